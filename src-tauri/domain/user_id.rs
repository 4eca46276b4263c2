//! Who a WhatsApp customer is, as WhatsApp names them: a phone number (`wa_id`, digits) or a
//! business-scoped user id (BSUID, `user_id`).
//!
//! Since April 2026 every webhook carries the customer's BSUID beside their number, and a
//! customer who adopted a WhatsApp username may arrive with the BSUID alone (no `wa_id`, no
//! `from`). A BSUID is the customer's ISO 3166 alpha-2 country, a dot and up to 128 letters and
//! digits (`AR.1502576394655843`); a parent BSUID, shared by linked business portfolios, has
//! `ENT.` after the country (`US.ENT.11815799212886844830`). It is used exactly as received: a
//! changed country, dot or character makes Meta refuse it. (Meta, *Business-scoped user IDs*,
//! <https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids>;
//! project notes `reference/whatsapp.md` §1.6, §10.)
//!
//! An id that is neither a number nor a BSUID is no one: it is refused, never turned into a
//! contact (an id without digits once became the shared contact `"+"`).

/// The most alphanumerics after the country and dot, per Meta.
const MAX_ID_CHARS: usize = 128;

/// A customer's WhatsApp identity, as one sender id reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerId {
    /// A phone number: its digits (`wa_id` form, no `+`).
    Phone(String),
    /// A business-scoped user id (or parent id), exactly as WhatsApp wrote it.
    Bsuid(String),
}

/// The BSUID `raw` holds (surrounding spaces trimmed), or `None` when it is not one.
pub fn bsuid(raw: &str) -> Option<&str> {
    let s = raw.trim();
    let (country, rest) = s.split_once('.')?;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let id = rest.strip_prefix("ENT.").unwrap_or(rest);
    let ok = !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(s)
}

/// Whether `raw` is a BSUID.
pub fn is_bsuid(raw: &str) -> bool {
    bsuid(raw).is_some()
}

/// Whether a BSUID is a parent one (`CC.ENT.…`).
pub fn is_parent(bsuid: &str) -> bool {
    bsuid.get(2..7) == Some(".ENT.")
}

/// The country a BSUID starts with (`AR` for `AR.1502…`).
pub fn country(bsuid: &str) -> Option<&str> {
    self::bsuid(bsuid).map(|b| &b[..2])
}

/// The digits of a phone number WhatsApp reports (`wa_id`, `from`, `to`, `recipient_id`), or a
/// number written for people (`+54 9 11 5555-0000`): 6 to 15 digits, with nothing else but a
/// leading `+`, spaces, dashes, dots and parentheses. `None` for anything else — a BSUID, a
/// name, an empty string.
pub fn phone_digits(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut digits = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    (6..=15).contains(&digits.len()).then_some(digits)
}

/// A number as the owner's address book may hold it (the phone app's contact sync), cleaned
/// for [`phone_digits`]: the invisible direction marks a right-to-left phone inserts around
/// numbers (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the zero-width characters go,
/// any Unicode space becomes a plain one and any dash a `-`. Validation is still
/// [`phone_digits`]'s: letters or other symbols still make it no number.
pub fn book_number(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
        .map(|c| match c {
            c if c.is_whitespace() => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c => c,
        })
        .collect()
}

/// What one sender (or recipient) id is: a phone number, a BSUID, or `None` (garbage).
pub fn classify(raw: &str) -> Option<CustomerId> {
    if let Some(b) = bsuid(raw) {
        return Some(CustomerId::Bsuid(b.to_string()));
    }
    phone_digits(raw).map(CustomerId::Phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bsuid_is_a_country_a_dot_and_up_to_128_alphanumerics() {
        for ok in ["AR.1502576394655843", "US.13491208655302741918", "US.ENT.11815799212886844830", "BR.aB9"]
        {
            assert_eq!(bsuid(ok), Some(ok), "{ok}");
        }
        assert_eq!(bsuid("AR.15 02"), None, "a space inside is not alphanumeric");
        assert_eq!(bsuid(" AR.15 "), Some("AR.15"), "surrounding spaces are trimmed");
        let longest = format!("AR.{}", "7".repeat(128));
        assert!(is_bsuid(&longest));
        for bad in [
            "",
            "+",
            "AR.",
            "ar.1502",
            "ARG.1502",
            "A.1502",
            "AR1502",
            "AR.15-02",
            "AR.15.02",
            "AR.ENT.",
            "5491155550000",
            "Ana",
            &format!("AR.{}", "7".repeat(129)),
        ] {
            assert!(!is_bsuid(bad), "{bad:?} is not a BSUID");
        }
        assert!(is_parent("US.ENT.11815799212886844830"));
        assert!(!is_parent("US.13491208655302741918"));
        assert_eq!(country("AR.1502576394655843"), Some("AR"));
        assert_eq!(country("nope"), None);
    }

    #[test]
    fn a_sender_id_is_a_number_a_bsuid_or_nothing() {
        assert_eq!(classify("5491155550000"), Some(CustomerId::Phone("5491155550000".into())));
        assert_eq!(classify("+54 9 11 5555-0000"), Some(CustomerId::Phone("5491155550000".into())));
        assert_eq!(classify("AR.1502576394655843"), Some(CustomerId::Bsuid("AR.1502576394655843".into())));
        // Nothing that would become the shared contact "+": no digits, too few, letters mixed in.
        for garbage in ["", "   ", "+", "abc", "@ana.perez", "12345", "54911abc55550000", "1234567890123456"]
        {
            assert_eq!(classify(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn an_address_book_number_loses_its_direction_marks_and_odd_spaces_and_dashes() {
        let rtl = "\u{202B}+54 9 11\u{00A0}5555\u{2011}0001\u{202C}\u{200F}";
        assert_eq!(phone_digits(rtl), None, "not a number as it comes");
        assert_eq!(phone_digits(&book_number(rtl)).as_deref(), Some("5491155550001"));
        let isolated = "\u{2068}(011) 15-5555-0001\u{2069}\u{200E}";
        assert_eq!(phone_digits(&book_number(isolated)).as_deref(), Some("0111555550001"));
        assert_eq!(phone_digits(&book_number("\u{200F}Ana\u{200F}")), None, "a name stays no number");
    }
}
