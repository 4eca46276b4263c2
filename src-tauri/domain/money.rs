//! Money: a non-negative decimal amount in a validated ISO 4217 currency.
//!
//! Guarantees: amounts are exact decimals (never `f64`), never negative, at most
//! [`Money::MAX_AMOUNT`] and at most [`Money::MAX_SCALE`] fractional digits, so arithmetic
//! can neither overflow nor silently round. Amounts of different currencies are never
//! combined. Formatting for messages lives in `money_format.rs`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic currency code such as `ARS`, stored upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// ISO 4217 minor units for the codes that do not use 2 (ISO 4217 list one, 2024 edition).
const MINOR_UNITS: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

impl Currency {
    /// Parses a 3-letter code; surrounding whitespace is ignored and lower case is accepted
    /// (some platforms send `"ars"`). Any well-formed code is accepted, known or not.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let trimmed = code.trim();
        match trimmed.as_bytes() {
            [a, b, c] if trimmed.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(Currency([a.to_ascii_uppercase(), b.to_ascii_uppercase(), c.to_ascii_uppercase()]))
            }
            _ => Err(MoneyError::InvalidCurrency(excerpt(code))),
        }
    }

    /// The upper-case code, e.g. `"ARS"`.
    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in everyday amounts: 0 for CLP and PYG, 2 for ARS,
    /// BRL, COP, MXN, PEN, UYU, USD, EUR, GBP, BOB, CRC, DOP, GTQ and any unknown code.
    pub fn minor_units(&self) -> u32 {
        MINOR_UNITS.iter().find(|(code, _)| *code == self.code()).map_or(2, |(_, units)| *units)
    }
}

/// The most rates one setting holds (a shop sells in a handful of currencies).
const MAX_RATES: usize = 16;

/// What one US dollar is worth in the shop's currencies, as the owner writes it:
/// `ARS=1050; BRL=5.40` (`;`, `,` between pairs is not allowed since it may be a decimal mark;
/// new lines work too). WhatsApp's prices are in USD and a shop's sales rarely are, so the ROI
/// needs the owner's own rate. Codes are 3 letters, rates decimal and positive, each code once.
pub fn parse_usd_rates(text: &str) -> Result<std::collections::BTreeMap<Currency, Decimal>, String> {
    let mut out = std::collections::BTreeMap::new();
    for part in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, rate)) = part.split_once('=') else {
            return Err(format!("\"{}\": write each rate as CODE=amount, e.g. ARS=1050", excerpt(part)));
        };
        let currency = Currency::parse(code)
            .map_err(|_| format!("\"{}\" is not a currency code", excerpt(code.trim())))?;
        if currency.code() == "USD" {
            return Err("USD=1 goes without saying; list the other currencies".into());
        }
        let rate = Decimal::from_str(rate.trim())
            .ok()
            .filter(|r| r.is_sign_positive() && !r.is_zero())
            .ok_or_else(|| {
                format!(
                    "{}: \"{}\" is not a positive number (use a dot for decimals)",
                    currency,
                    excerpt(rate.trim())
                )
            })?;
        if out.insert(currency, rate.normalize()).is_some() {
            return Err(format!("{currency} is listed twice"));
        }
        if out.len() > MAX_RATES {
            return Err(format!("at most {MAX_RATES} currencies"));
        }
    }
    Ok(out)
}

/// The rates written back the way [`parse_usd_rates`] reads them.
pub fn format_usd_rates(rates: &std::collections::BTreeMap<Currency, Decimal>) -> String {
    rates.iter().map(|(c, r)| format!("{c}={r}")).collect::<Vec<_>>().join("; ")
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("{0:?} is not a plain decimal amount like 1234.50")]
    Malformed(String),
    #[error("the amount is negative")]
    Negative,
    #[error("the amount is larger than any real cart (limit 10^15)")]
    TooLarge,
    #[error("the amount has more than 8 digits after the decimal point")]
    TooPrecise,
    #[error("{0:?} is not a 3-letter ISO 4217 currency code")]
    InvalidCurrency(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// A non-negative amount of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr")]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

/// The wire shape; `rust_decimal`'s `serde-str` feature keeps amounts as JSON strings.
#[derive(Deserialize)]
struct MoneyRepr {
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = MoneyError;
    fn try_from(repr: MoneyRepr) -> Result<Self, Self::Error> {
        Money::from_decimal(repr.amount, repr.currency)
    }
}

impl Money {
    /// Largest accepted amount: far above any cart, far below `Decimal`'s range, so sums and
    /// products of checked values never overflow.
    pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0); // 10^15
    /// Most fractional digits accepted; more is not a price but a float printed badly.
    pub const MAX_SCALE: u32 = 8;

    /// Parses an API decimal string such as `"1234.50"` or `" 12 "`: ASCII digits with an
    /// optional `.` and fraction. Exponents, thousands separators, `NaN`, signs other than a
    /// `-` on zero, and values over [`Money::MAX_AMOUNT`] are refused.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        let currency = Currency::parse(currency)?;
        let text = amount.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((int_part, frac_part)) => (int_part, Some(frac_part)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || !frac_part.is_none_or(all_digits) {
            return Err(MoneyError::Malformed(excerpt(amount)));
        }
        if frac_part.is_some_and(|f| f.len() > Self::MAX_SCALE as usize) {
            return Err(MoneyError::TooPrecise);
        }
        // 17 integer digits are already above MAX_AMOUNT; checking first keeps `Decimal`
        // parsing away from its own overflow behaviour.
        if int_part.trim_start_matches('0').len() > 16 {
            return Err(MoneyError::TooLarge);
        }
        let value = Decimal::from_str(digits).map_err(|_| MoneyError::Malformed(excerpt(amount)))?;
        if negative && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        Money::from_decimal(value.abs(), currency)
    }

    /// Wraps an exact decimal, enforcing the same limits as [`Money::parse`].
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        if amount > Self::MAX_AMOUNT {
            return Err(MoneyError::TooLarge);
        }
        if amount.scale() > Self::MAX_SCALE {
            return Err(MoneyError::TooPrecise);
        }
        // `abs` turns a negative zero into a plain zero so equal values print alike.
        Ok(Money { amount: amount.abs(), currency })
    }

    /// Zero of the given currency, the start of a sum.
    pub fn zero(currency: Currency) -> Money {
        Money { amount: Decimal::ZERO, currency }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Sum of two amounts of the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let sum = self.amount.checked_add(other.amount).ok_or(MoneyError::TooLarge)?;
        Money::from_decimal(sum, self.currency)
    }

    /// The amount times a quantity, e.g. a line's unit price times its quantity.
    pub fn checked_mul(&self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self.amount.checked_mul(Decimal::from(quantity)).ok_or(MoneyError::TooLarge)?;
        Money::from_decimal(product, self.currency)
    }
}

impl fmt::Display for Money {
    /// Locale-free form for logs: `"1234.50 ARS"`. Messages use [`Money::format`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// A short, char-safe copy of bad input for an error message.
fn excerpt(input: &str) -> String {
    const LIMIT: usize = 32;
    let mut out: String = input.chars().take(LIMIT).collect();
    if input.chars().nth(LIMIT).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[test]
    fn dollar_rates_are_read_as_the_owner_writes_them() {
        let rates = parse_usd_rates(" ars = 1050.5 ;\nBRL=5.40\n").unwrap();
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[&Currency::parse("ARS").unwrap()], Decimal::from_str("1050.5").unwrap());
        assert_eq!(format_usd_rates(&rates), "ARS=1050.5; BRL=5.4");
        assert!(parse_usd_rates("").unwrap().is_empty());
        for (bad, says) in [
            ("ARS 1050", "CODE=amount"),
            ("PESOS=1050", "not a currency code"),
            ("ARS=0", "positive"),
            ("ARS=-3", "positive"),
            ("ARS=1050,50", "use a dot"),
            ("ARS=1; ars=2", "twice"),
            ("USD=1", "goes without saying"),
        ] {
            let err = parse_usd_rates(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    fn ars(amount: &str) -> Money {
        Money::parse(amount, "ARS").unwrap()
    }

    #[rstest]
    #[case("1234.50", "1234.50")]
    #[case("58.07", "58.07")]
    #[case("  12 ", "12")]
    #[case("0", "0")]
    #[case("0.00", "0")]
    #[case("-0.00", "0")]
    #[case("+7.5", "7.5")]
    #[case("007.10", "7.1")]
    #[case("1000000000000000", "1000000000000000")]
    fn api_decimal_strings_parse_to_exact_amounts(#[case] input: &str, #[case] expected: &str) {
        let money = Money::parse(input, "ARS").unwrap();
        assert_eq!(money.amount(), Decimal::from_str(expected).unwrap(), "input {input:?}");
    }

    #[rstest]
    #[case("", MoneyError::Empty)]
    #[case("   ", MoneyError::Empty)]
    #[case("1e3", MoneyError::Malformed("1e3".into()))]
    #[case("NaN", MoneyError::Malformed("NaN".into()))]
    #[case("inf", MoneyError::Malformed("inf".into()))]
    #[case("1,234.50", MoneyError::Malformed("1,234.50".into()))]
    #[case("1.", MoneyError::Malformed("1.".into()))]
    #[case(".5", MoneyError::Malformed(".5".into()))]
    #[case("1.2.3", MoneyError::Malformed("1.2.3".into()))]
    #[case("--1", MoneyError::Malformed("--1".into()))]
    #[case("١٢٣", MoneyError::Malformed("١٢٣".into()))]
    #[case("-5", MoneyError::Negative)]
    #[case("-0.01", MoneyError::Negative)]
    #[case("1000000000000000.01", MoneyError::TooLarge)]
    #[case("99999999999999999999999999999999999999", MoneyError::TooLarge)]
    #[case("1.123456789", MoneyError::TooPrecise)]
    fn malformed_amounts_are_refused_with_a_reason(#[case] input: &str, #[case] expected: MoneyError) {
        assert_eq!(Money::parse(input, "USD"), Err(expected), "input {input:?}");
    }

    #[rstest]
    #[case("ars", "ARS")]
    #[case(" BRL ", "BRL")]
    #[case("XYZ", "XYZ")]
    fn currency_codes_are_normalised_to_upper_case(#[case] input: &str, #[case] code: &str) {
        assert_eq!(Currency::parse(input).unwrap().code(), code);
    }

    #[rstest]
    #[case("")]
    #[case("AR")]
    #[case("ARSS")]
    #[case("A1S")]
    #[case("€€€")]
    #[case("ÀRS")]
    fn malformed_currency_codes_are_refused(#[case] input: &str) {
        assert!(matches!(Currency::parse(input), Err(MoneyError::InvalidCurrency(_))));
    }

    #[rstest]
    #[case("CLP", 0)]
    #[case("PYG", 0)]
    #[case("ARS", 2)]
    #[case("COP", 2)]
    #[case("CRC", 2)]
    #[case("KWD", 3)]
    #[case("QQQ", 2)]
    fn minor_units_follow_iso_4217(#[case] code: &str, #[case] units: u32) {
        assert_eq!(Currency::parse(code).unwrap().minor_units(), units);
    }

    #[test]
    fn the_amount_cap_is_ten_to_the_fifteenth() {
        assert_eq!(Money::MAX_AMOUNT, Decimal::from(1_000_000_000_000_000u64));
    }

    #[test]
    fn adding_same_currency_sums_exactly() {
        let sum = ars("0.10").checked_add(&ars("0.20")).unwrap();
        assert_eq!(sum, ars("0.30"), "decimal arithmetic must not drift like f64");
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        let usd = Money::parse("1", "USD").unwrap();
        let err = ars("1").checked_add(&usd).unwrap_err();
        assert_eq!(err, MoneyError::CurrencyMismatch(Currency::parse("ARS").unwrap(), usd.currency()));
    }

    #[test]
    fn multiplying_by_quantity_is_exact_and_bounded() {
        assert_eq!(ars("19.99").checked_mul(3).unwrap(), ars("59.97"));
        assert_eq!(ars("0").checked_mul(u32::MAX).unwrap(), ars("0"));
        assert_eq!(
            ars("1000000000").checked_mul(u32::MAX),
            Err(MoneyError::TooLarge),
            "a product above the cap must fail, not wrap"
        );
    }

    #[test]
    fn money_serializes_amount_as_string_and_validates_on_read() {
        let json = serde_json::to_string(&ars("1234.50")).unwrap();
        assert_eq!(json, r#"{"amount":"1234.50","currency":"ARS"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ars("1234.50"));
        let negative = serde_json::from_str::<Money>(r#"{"amount":"-1","currency":"ARS"}"#);
        assert!(negative.is_err(), "deserializing must not bypass validation");
        let bad_code = serde_json::from_str::<Money>(r#"{"amount":"1","currency":"AR"}"#);
        assert!(bad_code.is_err());
    }

    #[test]
    fn json_numbers_are_refused_so_floats_never_sneak_in() {
        for json in [r#"{"amount":0.1,"currency":"ARS"}"#, r#"{"amount":12,"currency":"ARS"}"#] {
            assert!(serde_json::from_str::<Money>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn long_garbage_is_quoted_briefly_in_the_error() {
        let input = "x".repeat(10_000);
        let err = Money::parse(&input, "ARS").unwrap_err();
        assert!(err.to_string().chars().count() < 100, "error was {err}");
    }

    proptest! {
        #[test]
        fn any_two_decimal_amount_round_trips(mantissa in 0i64..=1_000_000_000_000_000, scale in 0u32..=2) {
            let value = Decimal::new(mantissa, scale);
            let money = Money::parse(&value.to_string(), "BRL").unwrap();
            prop_assert_eq!(money.amount(), value);
            prop_assert_eq!(money.amount().scale(), scale, "scale is kept for display");
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics(amount in any::<String>(), currency in any::<String>()) {
            let _ = Money::parse(&amount, &currency);
        }

        #[test]
        fn parsing_number_like_strings_never_panics(amount in "[-+ ]?[0-9.eE,]{0,40}") {
            if let Ok(money) = Money::parse(&amount, "ARS") {
                prop_assert!(money.amount() <= Money::MAX_AMOUNT);
                prop_assert!(!money.amount().is_sign_negative());
            }
        }
    }
}
