//! Formats [`Money`] for a message in the customer's locale ("$ 1.234,50", "R$ 1.234,50").
//!
//! Guarantees: the result never panics and is always readable: an unknown locale falls back to
//! its language, then to `en`. Data is a small table taken from CLDR 45 (`cldr-json`,
//! `cldr-numbers-full/main/<locale>/numbers.json`): decimal and group symbols,
//! `minimumGroupingDigits` and the `standard` currency pattern. Spaces are U+00A0 (no-break
//! space), as in CLDR, so a symbol never wraps away from its number.
//!
//! Deliberate simplifications, documented rather than hidden:
//! - Rounding is to the currency's ISO minor units, half away from zero (`1234.5 CLP` → `$1.235`),
//!   the everyday shop convention; CLDR/ICU would round half to even.
//! - Symbols: the locale's own currency gets its local symbol (`$` for ARS in es-AR). Any other
//!   currency gets an unambiguous international symbol (`US$`, `€`, `£`, `R$`) or its ISO code,
//!   so a foreign amount is never mistaken for local pesos. CLDR's per-locale symbol lists are
//!   larger; this is the subset that matters for these shops.
//! - CLDR's `currencySpacing` is applied: a symbol ending in a letter or `.` gets a space
//!   before the digits (`Bs 1.234,50`, `ARS 1,234.50`).

use rust_decimal::RoundingStrategy;

use super::money::Money;

const NBSP: char = '\u{a0}';

/// Where the symbol goes relative to the number, from the CLDR `standard` currency pattern.
#[derive(Clone, Copy)]
enum Layout {
    /// `¤#,##0.00`
    Prefix,
    /// `¤ #,##0.00` (the space is U+00A0)
    PrefixSpaced,
    /// `#,##0.00 ¤`
    Suffix,
}

struct LocaleData {
    tag: &'static str,
    decimal: char,
    group: char,
    min_grouping: usize,
    layout: Layout,
    /// The locale's own currency and its local symbol, if the locale has one.
    home: Option<(&'static str, &'static str)>,
}

const fn data(
    tag: &'static str,
    decimal: char,
    group: char,
    min_grouping: usize,
    layout: Layout,
    home: Option<(&'static str, &'static str)>,
) -> LocaleData {
    LocaleData { tag, decimal, group, min_grouping, layout, home }
}

use Layout::{Prefix, PrefixSpaced, Suffix};

/// CLDR 45 data for the locales Recupero's shops and customers use.
const LOCALES: &[LocaleData] = &[
    data("en", '.', ',', 1, Prefix, Some(("USD", "$"))),
    data("en-US", '.', ',', 1, Prefix, Some(("USD", "$"))),
    data("en-GB", '.', ',', 1, Prefix, Some(("GBP", "£"))),
    data("en-001", '.', ',', 1, Prefix, None),
    data("es", ',', '.', 2, Suffix, Some(("EUR", "€"))),
    data("es-ES", ',', '.', 2, Suffix, Some(("EUR", "€"))),
    data("es-419", '.', ',', 1, Prefix, None),
    data("es-AR", ',', '.', 1, PrefixSpaced, Some(("ARS", "$"))),
    data("es-BO", ',', '.', 1, Prefix, Some(("BOB", "Bs"))),
    data("es-CL", ',', '.', 1, Prefix, Some(("CLP", "$"))),
    data("es-CO", ',', '.', 1, PrefixSpaced, Some(("COP", "$"))),
    data("es-CR", ',', NBSP, 1, Prefix, Some(("CRC", "₡"))),
    data("es-DO", '.', ',', 1, Prefix, Some(("DOP", "RD$"))),
    data("es-EC", ',', '.', 1, Prefix, Some(("USD", "$"))),
    data("es-GT", '.', ',', 1, Prefix, Some(("GTQ", "Q"))),
    data("es-MX", '.', ',', 1, Prefix, Some(("MXN", "$"))),
    data("es-PE", '.', ',', 1, PrefixSpaced, Some(("PEN", "S/"))),
    data("es-PY", ',', '.', 1, PrefixSpaced, Some(("PYG", "Gs."))),
    data("es-US", '.', ',', 1, Prefix, Some(("USD", "$"))),
    data("es-UY", ',', '.', 1, PrefixSpaced, Some(("UYU", "$"))),
    data("es-VE", ',', '.', 1, Prefix, Some(("VES", "Bs.S"))),
    data("pt", ',', '.', 1, PrefixSpaced, Some(("BRL", "R$"))),
    data("pt-BR", ',', '.', 1, PrefixSpaced, Some(("BRL", "R$"))),
    data("pt-PT", ',', NBSP, 2, Suffix, Some(("EUR", "€"))),
];

/// Regions whose Spanish inherits from `es-419` in CLDR's parent-locale data.
const LATIN_AMERICA: &[&str] = &[
    "AR", "BO", "BR", "BZ", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "US", "UY", "VE",
];

/// International symbols that read unambiguously in every locale here.
const INTERNATIONAL_SYMBOLS: &[(&str, &str)] = &[("USD", "US$"), ("EUR", "€"), ("GBP", "£"), ("BRL", "R$")];

impl Money {
    /// The amount as a customer in `locale` (BCP 47, e.g. `"es-AR"`, `"pt_BR"`) expects to
    /// read it, e.g. `"$ 1.234,50"` for ARS in es-AR (with U+00A0 as the space).
    pub fn format(&self, locale: &str) -> String {
        let data = resolve(locale);
        let number = format_number(self, data);
        let currency = self.currency();
        let code = currency.code();
        let symbol = match data.home {
            Some((home, symbol)) if home == code => symbol,
            _ => {
                INTERNATIONAL_SYMBOLS.iter().find(|(iso, _)| *iso == code).map_or(code, |(_, symbol)| symbol)
            }
        };
        match data.layout {
            Prefix if needs_spacing(symbol) => format!("{symbol}{NBSP}{number}"),
            Prefix => format!("{symbol}{number}"),
            PrefixSpaced => format!("{symbol}{NBSP}{number}"),
            Suffix => format!("{number}{NBSP}{symbol}"),
        }
    }
}

/// Finds the table entry for a locale: exact match, then CLDR's parent, then `en`.
fn resolve(locale: &str) -> &'static LocaleData {
    let mut subtags = locale.trim().split(['-', '_']).filter(|s| !s.is_empty());
    let language = subtags.next().unwrap_or("en").to_ascii_lowercase();
    // The region is the first 2-letter or 3-digit subtag; scripts (4 letters) are skipped.
    let region = subtags
        .find(|s| {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()))
                || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_ascii_uppercase);
    let find = |tag: &str| LOCALES.iter().find(|d| d.tag == tag);
    let exact = region.as_ref().and_then(|region| find(&format!("{language}-{region}")));
    let parent = || {
        let region = region.as_deref()?;
        match language.as_str() {
            "es" if LATIN_AMERICA.contains(&region) => find("es-419"),
            "pt" => find("pt-PT"),
            "en" => find("en-001"),
            _ => None,
        }
    };
    exact.or_else(parent).or_else(|| find(&language)).unwrap_or(&LOCALES[0])
}

fn format_number(money: &Money, data: &LocaleData) -> String {
    let minor = money.currency().minor_units();
    let rounded = money.amount().round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
    let plain = rounded.abs().to_string();
    let (int_part, frac_part) = plain.split_once('.').unwrap_or((&plain, ""));

    let mut out = String::with_capacity(plain.len() + 8);
    let digits = int_part.len();
    let grouped = digits >= 3 + data.min_grouping;
    for (index, digit) in int_part.chars().enumerate() {
        let remaining = digits - index;
        if grouped && index > 0 && remaining % 3 == 0 {
            out.push(data.group);
        }
        out.push(digit);
    }
    if minor > 0 {
        out.push(data.decimal);
        out.push_str(frac_part);
        for _ in frac_part.len()..minor as usize {
            out.push('0');
        }
    }
    out
}

/// CLDR `currencySpacing`: a symbol whose last character is not itself a symbol (a letter,
/// `.` or `/`) needs a space before the digits.
fn needs_spacing(symbol: &str) -> bool {
    symbol.chars().last().is_some_and(|c| {
        !matches!(c, '$' | '£' | '€' | '¥' | '¢' | '₡' | '₲' | '₱' | '₩' | '₹')
            && !('\u{20a0}'..='\u{20cf}').contains(&c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn money(amount: &str, currency: &str) -> Money {
        Money::parse(amount, currency).unwrap()
    }

    #[rstest]
    #[case("es-AR", "1234.50", "ARS", "$\u{a0}1.234,50")]
    #[case("pt-BR", "1234.50", "BRL", "R$\u{a0}1.234,50")]
    #[case("es-ES", "1234.50", "EUR", "1234,50\u{a0}€")]
    #[case("es-ES", "12345.50", "EUR", "12.345,50\u{a0}€")]
    #[case("en-US", "1234.50", "USD", "$1,234.50")]
    #[case("es-MX", "1234.50", "MXN", "$1,234.50")]
    #[case("es-CL", "1234.50", "CLP", "$1.235")]
    #[case("es-CL", "1234.49", "CLP", "$1.234")]
    #[case("es-CO", "1234.50", "COP", "$\u{a0}1.234,50")]
    #[case("pt-PT", "1234.50", "EUR", "1234,50\u{a0}€")]
    #[case("pt-PT", "12345.50", "EUR", "12\u{a0}345,50\u{a0}€")]
    #[case("en-GB", "1234.50", "GBP", "£1,234.50")]
    #[case("es-UY", "1234.5", "UYU", "$\u{a0}1.234,50")]
    #[case("es-PE", "1234.5", "PEN", "S/\u{a0}1,234.50")]
    #[case("es-PY", "150000", "PYG", "Gs.\u{a0}150.000")]
    #[case("es-BO", "1234.5", "BOB", "Bs\u{a0}1.234,50")]
    #[case("es-CR", "1234.5", "CRC", "₡1\u{a0}234,50")]
    #[case("es-DO", "1234.5", "DOP", "RD$1,234.50")]
    #[case("es-GT", "1234.5", "GTQ", "Q\u{a0}1,234.50")]
    fn local_currency_uses_the_local_pattern_and_symbol(
        #[case] locale: &str,
        #[case] amount: &str,
        #[case] currency: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(money(amount, currency).format(locale), expected);
    }

    #[rstest]
    #[case("es-AR", "USD", "US$\u{a0}1.234,50")]
    #[case("es-MX", "USD", "US$1,234.50")]
    #[case("pt-BR", "USD", "US$\u{a0}1.234,50")]
    #[case("en-US", "EUR", "€1,234.50")]
    #[case("en-US", "ARS", "ARS\u{a0}1,234.50")]
    #[case("es-ES", "ARS", "1234,50\u{a0}ARS")]
    #[case("en-GB", "USD", "US$1,234.50")]
    fn foreign_currency_gets_an_unambiguous_symbol(
        #[case] locale: &str,
        #[case] currency: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(money("1234.50", currency).format(locale), expected);
    }

    #[rstest]
    #[case("es_AR", "$\u{a0}1.234,50")]
    #[case("ES-ar", "$\u{a0}1.234,50")]
    #[case("es-Latn-AR", "$\u{a0}1.234,50")]
    #[case("es-HN", "ARS\u{a0}1,234.50")]
    #[case("es", "1234,50\u{a0}ARS")]
    #[case("fr-FR", "ARS\u{a0}1,234.50")]
    #[case("", "ARS\u{a0}1,234.50")]
    #[case("🙂-💥", "ARS\u{a0}1,234.50")]
    fn unknown_locales_fall_back_to_language_then_english(#[case] locale: &str, #[case] expected: &str) {
        assert_eq!(money("1234.50", "ARS").format(locale), expected);
    }

    #[test]
    fn portuguese_without_region_is_brazilian_and_other_regions_follow_portugal() {
        assert_eq!(money("1234.5", "BRL").format("pt"), "R$\u{a0}1.234,50");
        assert_eq!(money("12345", "EUR").format("pt-AO"), "12\u{a0}345,00\u{a0}€");
    }

    #[rstest]
    #[case("0.5", "$1")]
    #[case("2.5", "$3")]
    #[case("0.49", "$0")]
    fn zero_decimal_currencies_round_half_away_from_zero(#[case] amount: &str, #[case] expected: &str) {
        assert_eq!(money(amount, "CLP").format("es-CL"), expected, "not banker's rounding");
    }

    #[test]
    fn two_decimal_amounts_round_and_pad_to_minor_units() {
        assert_eq!(money("10.005", "USD").format("en-US"), "$10.01");
        assert_eq!(money("10", "USD").format("en-US"), "$10.00");
        assert_eq!(money("0", "ARS").format("es-AR"), "$\u{a0}0,00");
    }

    #[test]
    fn the_largest_amount_is_grouped_throughout() {
        let max = money("1000000000000000", "USD");
        assert_eq!(max.format("en-US"), "$1,000,000,000,000,000.00");
    }

    proptest! {
        #[test]
        fn formatting_never_panics_and_keeps_every_integer_digit(
            mantissa in 0i64..=1_000_000_000_000_000,
            scale in 0u32..=2,
            locale in any::<String>(),
        ) {
            let value = rust_decimal::Decimal::new(mantissa, scale);
            let text = Money::parse(&value.to_string(), "USD").unwrap().format(&locale);
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            prop_assert!(digits.len() >= value.trunc().to_string().len(), "{text}");
        }
    }
}
