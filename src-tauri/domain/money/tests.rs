//! Money and currencies as specifications: parsing, minor units, arithmetic, rates and serde.

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
