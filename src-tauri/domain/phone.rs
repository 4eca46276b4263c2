//! Phone: a customer's number in E.164, ready for the WhatsApp Cloud API.
//!
//! Guarantees: a [`Phone`] holds a number that libphonenumber's metadata (through the
//! `phonenumber` crate) calls valid and that is not known to be a landline, toll-free or premium
//! line. Parsing never panics, whatever the input. The raw text is kept only for display.
//!
//! Country rules the metadata alone does not settle, applied after it:
//! - **Argentina.** Mobiles are `+54 9 <area> <number>` in E.164. People dial them nationally
//!   as `0<area> 15 <number>`; the crate's AR metadata (`national_prefix_for_parsing` with the
//!   transform `9$1`) drops the `0` and the `15` and inserts the `9`, so `011 15-2345-6789`
//!   becomes `+5491123456789`. Written without `9` or `15` (`11 2345 6789`, `+54 11 …`) the
//!   number looks like a landline, and AR landlines and mobiles share the same digits, so the
//!   metadata cannot tell them apart: we assume a mobile (checkout forms ask for one) and add
//!   the `9` when that gives a valid mobile.
//! - **Mexico.** The mobile prefixes `1` after `+52` and `044`/`045` before the area code were
//!   abolished in 2019–2020 but are still typed (and WhatsApp webhooks still send `521…`);
//!   they are dropped, so `+52 1 55 1234 5678` becomes `+525512345678`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, Type};
use serde::{Deserialize, Serialize};

/// Longest raw input considered; anything longer is not a phone number typed by a person.
const MAX_RAW_CHARS: usize = 64;

/// A validated phone number. Equality and hashing use the E.164 form only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "PhoneRepr")]
pub struct Phone {
    e164: String,
    raw: String,
}

#[derive(Deserialize)]
struct PhoneRepr {
    e164: String,
    raw: String,
}

impl TryFrom<PhoneRepr> for Phone {
    type Error = PhoneError;
    /// Stored phones were validated when first parsed; re-check only the E.164 shape.
    fn try_from(repr: PhoneRepr) -> Result<Self, Self::Error> {
        if !e164_shaped(&repr.e164) {
            return Err(PhoneError::Invalid);
        }
        Ok(Phone { e164: repr.e164, raw: repr.raw })
    }
}

/// `+` and 8 to 15 digits, not starting with 0: what a stored phone must look like, so
/// [`Phone::parse`] accepts nothing its stored form would refuse.
fn e164_shaped(e164: &str) -> bool {
    let digits = e164.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// Why a phone number was refused; messages are meant for the shop owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum PhoneError {
    #[error("no phone number was given")]
    Empty,
    #[error("this is not a valid phone number")]
    Invalid,
    #[error("{0} is a landline or service number, which cannot receive WhatsApp messages")]
    NotMobile(String),
    #[error("{0:?} is not a two-letter country code such as AR or BR")]
    UnknownRegion(String),
}

impl Phone {
    /// Parses what a customer typed. `default_region` (ISO 3166 alpha-2, e.g. `"AR"`) is the
    /// store's country, used when the number has no `+` country code.
    pub fn parse(raw: &str, default_region: &str) -> Result<Phone, PhoneError> {
        let region = parse_region(default_region)?;
        let cleaned: String = raw.chars().filter(|c| !is_invisible_format(*c)).collect();
        let cleaned = cleaned.trim();
        if cleaned.is_empty() {
            return Err(PhoneError::Empty);
        }
        if cleaned.chars().count() > MAX_RAW_CHARS || !looks_like_a_phone(cleaned) {
            return Err(PhoneError::Invalid);
        }

        let number = parse_number(region, cleaned).ok_or(PhoneError::Invalid)?;
        let number = repair(region, number).ok_or(PhoneError::Invalid)?;
        let e164 = number.format().mode(Mode::E164).to_string();
        // The metadata calls a few 5- to 7-digit numbers valid (`011 47 07012` from the US is
        // +4707012), and odd punctuation can yield a number whose E.164 form is itself no valid
        // number (`+8/10 9023446 7 19` from BR): neither is a WhatsApp user, nor reads back.
        let again = parse_number(region, &e164).and_then(|n| repair(region, n));
        if !e164_shaped(&e164) || again.map(|n| n.format().mode(Mode::E164).to_string()) != Some(e164.clone())
        {
            return Err(PhoneError::Invalid);
        }
        match number.number_type(&DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile | Type::Voip | Type::PersonalNumber | Type::Unknown => {
                Ok(Phone { e164, raw: raw.trim().to_owned() })
            }
            _ => Err(PhoneError::NotMobile(e164)),
        }
    }

    /// `+` and up to 15 digits, e.g. `"+5491123456789"`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// What the customer typed, trimmed, for showing to the owner.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

impl PartialEq for Phone {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}

impl Eq for Phone {}

impl Hash for Phone {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

fn parse_region(region: &str) -> Result<Id, PhoneError> {
    let code = region.trim().to_ascii_uppercase();
    let unknown = || PhoneError::UnknownRegion(region.chars().take(16).collect());
    if code.len() != 2 {
        return Err(unknown());
    }
    code.parse::<Id>().map_err(|_| unknown())
}

/// Bidi marks, zero-width characters and BOMs arrive invisibly with copy-pasted numbers.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Digits and the punctuation people put between them; a leading `+` at most. Letters are
/// refused up front because the crate would read them as keypad digits ("casa" → 2272).
fn looks_like_a_phone(text: &str) -> bool {
    let body = text.strip_prefix('+').unwrap_or(text);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    (1..=20).contains(&digits)
        && body.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || "-()./".contains(c))
}

/// The crate has panicked on odd input in the past (rust-phonenumber issue #43); a panic
/// must never take a cart down with it, so it is treated as "not a number".
fn parse_number(region: Id, text: &str) -> Option<PhoneNumber> {
    catch_unwind(AssertUnwindSafe(|| phonenumber::parse(Some(region), text))).ok()?.ok()
}

/// Applies the country rules from the module docs; `None` when no valid number results.
fn repair(region: Id, number: PhoneNumber) -> Option<PhoneNumber> {
    // From the E.164 text rather than `national().value()`, which drops leading zeros.
    let e164 = number.format().mode(Mode::E164).to_string();
    let code = number.code().value();
    let national = e164.strip_prefix(&format!("+{code}")).unwrap_or_default();
    let fixed_or_invalid = !number.is_valid() || number.number_type(&DATABASE) == Type::FixedLine;
    let candidate = match code {
        54 if fixed_or_invalid && !national.starts_with('9') => Some(format!("+549{national}")),
        52 if !number.is_valid() => ["1", "044", "045"]
            .iter()
            .find_map(|prefix| national.strip_prefix(prefix))
            .map(|rest| format!("+52{rest}")),
        _ => None,
    };
    if let Some(repaired) = candidate.and_then(|text| parse_number(region, &text)) {
        let is_mobile = matches!(repaired.number_type(&DATABASE), Type::Mobile | Type::FixedLineOrMobile);
        if repaired.is_valid() && is_mobile {
            return Some(repaired);
        }
    }
    number.is_valid().then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    // Argentina: national "15", international "9", and the bare form people often type.
    #[case("AR", "011 15-2345-6789", "+5491123456789")]
    #[case("AR", "+54 9 11 2345-6789", "+5491123456789")]
    #[case("AR", "11 2345 6789", "+5491123456789")]
    #[case("AR", "+54 11 2345 6789", "+5491123456789")]
    #[case("AR", "0351 15 612 3456", "+5493516123456")]
    #[case("AR", "351 612 3456", "+5493516123456")]
    #[case("AR", "5491123456789", "+5491123456789")]
    #[case("AR", "00 54 9 11 2345 6789", "+5491123456789")]
    // Brazil: 9-digit mobiles after a 2-digit area code.
    #[case("BR", "(11) 91234-5678", "+5511912345678")]
    #[case("BR", "+55 11 91234 5678", "+5511912345678")]
    #[case("BR", "11981234567", "+5511981234567")]
    // Mexico: no mobile/landline distinction since 2019; legacy "1" and "044" dropped.
    #[case("MX", "55 1234 5678", "+525512345678")]
    #[case("MX", "+52 1 55 1234 5678", "+525512345678")]
    #[case("MX", "+5215512345678", "+525512345678")]
    #[case("MX", "044 55 1234 5678", "+525512345678")]
    #[case("CL", "9 8765 4321", "+56987654321")]
    #[case("CO", "300 123 4567", "+573001234567")]
    #[case("PE", "987 654 321", "+51987654321")]
    #[case("UY", "094 123 456", "+59894123456")]
    #[case("ES", "612 34 56 78", "+34612345678")]
    #[case("US", "(415) 555-2671", "+14155552671")]
    #[case("BO", "71234567", "+59171234567")]
    #[case("CR", "8312 3456", "+50683123456")]
    #[case("DO", "809 234 5678", "+18092345678")]
    #[case("GT", "5123 4567", "+50251234567")]
    #[case("PY", "0961 456789", "+595961456789")]
    #[case("EC", "099 123 4567", "+593991234567")]
    // More of what people type at checkout, per country.
    #[case("AR", "(011) 15 2345-6789", "+5491123456789")]
    #[case("AR", "+54 (11) 15-2345-6789", "+5491123456789")]
    #[case("BR", "+55 (11) 9 1234-5678", "+5511912345678")]
    #[case("BR", "11 9 1234 5678", "+5511912345678")]
    #[case("MX", "(55) 1234-5678", "+525512345678")]
    #[case("MX", "+52 (33) 1234 5678", "+523312345678")]
    #[case("CL", "+56 9 8765 4321", "+56987654321")]
    #[case("CL", "987654321", "+56987654321")]
    #[case("CO", "+57 300 1234567", "+573001234567")]
    #[case("CO", "(300) 123-4567", "+573001234567")]
    #[case("PE", "+51 987654321", "+51987654321")]
    #[case("UY", "+598 94 123 456", "+59894123456")]
    #[case("UY", "94123456", "+59894123456")]
    #[case("ES", "+34 612345678", "+34612345678")]
    #[case("ES", "0034 612 34 56 78", "+34612345678")]
    #[case("US", "+1 (415) 555-2671", "+14155552671")]
    #[case("US", "415.555.2671", "+14155552671")]
    // A foreign number keeps its own country whatever the store's region.
    #[case("AR", "+34 612 34 56 78", "+34612345678")]
    #[case("ar", "11 2345 6789", "+5491123456789")]
    fn typed_mobiles_normalise_to_e164(#[case] region: &str, #[case] raw: &str, #[case] e164: &str) {
        let phone = Phone::parse(raw, region).unwrap();
        assert_eq!(phone.e164(), e164, "{region} {raw:?}");
        assert_eq!(phone.raw(), raw.trim(), "the raw text is kept for display");
        assert_eq!(phone.to_string(), e164, "Display shows E.164");
    }

    #[rstest]
    #[case("BR", "(11) 3123-4567", "+551131234567")]
    #[case("CO", "601 234 5678", "+576012345678")]
    #[case("PE", "01 234 5678", "+5112345678")]
    #[case("UY", "2 123 4567", "+59821234567")]
    #[case("ES", "912 34 56 78", "+34912345678")]
    #[case("ES", "900 123 456", "+34900123456")]
    fn landlines_and_service_numbers_are_not_mobiles(
        #[case] region: &str,
        #[case] raw: &str,
        #[case] e164: &str,
    ) {
        assert_eq!(
            Phone::parse(raw, region),
            Err(PhoneError::NotMobile(e164.into())),
            "{region} {raw:?} cannot receive WhatsApp"
        );
    }

    #[rstest]
    #[case("", PhoneError::Empty)]
    #[case("   ", PhoneError::Empty)]
    #[case("\u{200f}\u{200e}", PhoneError::Empty)]
    #[case("😀", PhoneError::Invalid)]
    #[case("📞 11 2345 6789", PhoneError::Invalid)]
    #[case("abc", PhoneError::Invalid)]
    #[case("+54 9 11 2345-6789 (casa)", PhoneError::Invalid)]
    #[case("11 2345 6789 ext 12", PhoneError::Invalid)]
    #[case("+", PhoneError::Invalid)]
    #[case("++54 9 11 2345 6789", PhoneError::Invalid)]
    #[case("11 2345 678", PhoneError::Invalid)]
    #[case("+999 1234567", PhoneError::Invalid)]
    #[case("  2 22#:", PhoneError::Invalid)]
    #[case("مرحبا", PhoneError::Invalid)]
    fn garbage_is_refused_cleanly(#[case] raw: &str, #[case] expected: PhoneError) {
        assert_eq!(Phone::parse(raw, "AR"), Err(expected), "{raw:?}");
    }

    #[test]
    fn old_eight_digit_brazilian_mobiles_are_invalid() {
        assert_eq!(Phone::parse("(11) 8123-4567", "BR"), Err(PhoneError::Invalid));
    }

    #[test]
    fn extremely_long_input_is_invalid_not_slow_or_panicking() {
        let long = "1".repeat(100_000);
        assert_eq!(Phone::parse(&long, "AR"), Err(PhoneError::Invalid));
    }

    #[test]
    fn rtl_marks_around_a_pasted_number_are_ignored() {
        let phone = Phone::parse("\u{200f}+54 9 11 2345-6789\u{200f}", "AR").unwrap();
        assert_eq!(phone.e164(), "+5491123456789");
    }

    #[rstest]
    #[case("")]
    #[case("XX")]
    #[case("ARG")]
    #[case("🇦🇷")]
    fn unknown_regions_are_refused(#[case] region: &str) {
        assert!(matches!(Phone::parse("11 2345 6789", region), Err(PhoneError::UnknownRegion(_))));
    }

    #[test]
    fn phones_are_equal_by_e164_whatever_was_typed() {
        let a = Phone::parse("011 15-2345-6789", "AR").unwrap();
        let b = Phone::parse("+54 9 11 2345-6789", "AR").unwrap();
        assert_eq!(a, b);
        assert_ne!(a.raw(), b.raw());
    }

    #[test]
    fn serde_round_trips_and_rejects_a_malformed_e164() {
        let phone = Phone::parse("(11) 91234-5678", "BR").unwrap();
        let json = serde_json::to_string(&phone).unwrap();
        assert_eq!(json, r#"{"e164":"+5511912345678","raw":"(11) 91234-5678"}"#);
        let back: Phone = serde_json::from_str(&json).unwrap();
        assert_eq!(back, phone);
        let bad = serde_json::from_str::<Phone>(r#"{"e164":"5511912345678","raw":""}"#);
        assert!(bad.is_err(), "stored phones must still look like E.164");
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(raw in any::<String>(), region in "[A-Z]{2}|AR|BR|MX") {
            let _ = Phone::parse(&raw, &region);
        }

        #[test]
        fn phone_like_strings_never_panic_and_yield_e164(raw in "[+]?[0-9 ().-]{0,24}", region in "AR|BR|MX|CL|CO|PE|UY|ES|US") {
            if let Ok(phone) = Phone::parse(&raw, &region) {
                prop_assert!(phone.e164().starts_with('+'));
                prop_assert!(phone.e164()[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(phone.e164().len() <= 16);
            }
        }
    }
}
