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
mod tests;
