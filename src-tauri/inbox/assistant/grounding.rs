//! The check after generation: an answer may only state amounts, percentages, dates, links and
//! promotions that are present in what the assistant was given (the cart, the conversation and
//! the shop facts). Anything else is an invention — the answer is blocked and the conversation
//! goes to a person.

use std::collections::HashSet;

use rust_decimal::Decimal;

use crate::domain::phrases::{contains_phrase, fold};

/// What an answer claimed that its inputs do not support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ungrounded {
    pub claim: String,
}

/// Words that announce a promotion or a date: each must appear in the inputs too.
const GUARDED_WORDS: &[&str] = &[
    // Promotions
    "descuento",
    "descuentos",
    "cupon",
    "cupones",
    "codigo de descuento",
    "promo",
    "promocion",
    "promociones",
    "oferta",
    "ofertas",
    "rebaja",
    "rebajas",
    "bonificacion",
    "gratis",
    "regalo",
    "desconto",
    "descontos",
    "cupom",
    "cupons",
    "promocao",
    "frete gratis",
    "brinde",
    "discount",
    "discounts",
    "coupon",
    "coupons",
    "promo code",
    "free shipping",
    "for free",
    "off",
    // Dates
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janeiro",
    "fevereiro",
    "marco",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "viernes",
    "sabado",
    "domingo",
    "segunda feira",
    "terca feira",
    "quarta feira",
    "quinta feira",
    "sexta feira",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "manana",
    "pasado manana",
    "amanha",
    "tomorrow",
];

/// Checks `answer` against everything the assistant was given.
pub fn check(answer: &str, inputs: &[&str]) -> Result<(), Ungrounded> {
    let inputs_joined = inputs.join("\n");
    // Links: every link in the answer must be one of the inputs' links, character for character.
    let input_links: HashSet<&str> = links(&inputs_joined).collect();
    for link in links(answer) {
        if !input_links.contains(link) {
            return Err(Ungrounded { claim: link.to_string() });
        }
    }
    let answer_text = without_links(answer);
    let inputs_text = without_links(&inputs_joined);

    let known: HashSet<Decimal> = numbers(&inputs_text).into_iter().flat_map(|n| n.values).collect();
    let known_percent: HashSet<Decimal> =
        numbers(&inputs_text).into_iter().filter(|n| n.percent).flat_map(|n| n.values).collect();
    for n in numbers(&answer_text) {
        let pool = if n.percent { &known_percent } else { &known };
        if !n.values.iter().any(|v| pool.contains(v)) {
            return Err(Ungrounded { claim: n.text });
        }
    }

    let folded_answer = fold(&answer_text);
    let folded_inputs = singular(&fold(&inputs_text));
    for word in GUARDED_WORDS {
        if contains_phrase(&folded_answer, word) && !contains_phrase(&folded_inputs, &singular(word)) {
            return Err(Ungrounded { claim: (*word).to_string() });
        }
    }
    Ok(())
}

/// Plural-insensitive comparison: "descuentos" in an answer is grounded by "descuento".
fn singular(folded: &str) -> String {
    folded
        .split(' ')
        .map(|w| {
            if w.len() > 4 {
                w.strip_suffix("es").filter(|s| s.ends_with('n')).or_else(|| w.strip_suffix('s')).unwrap_or(w)
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn links(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .map(|w| w.trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '"', '\'']))
}

fn without_links(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number as written, with every value it may mean ("50.000" is fifty thousand in Buenos
/// Aires and fifty in Miami) and whether a `%` follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    text: String,
    values: Vec<Decimal>,
    percent: bool,
}

fn numbers(text: &str) -> Vec<Number> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || ((chars[i] == '.' || chars[i] == ',')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let percent = chars.get(j) == Some(&'%');
        // A number too long to read has no values: it can never be grounded.
        let values = interpretations(&raw);
        out.push(Number { text: if percent { format!("{raw}%") } else { raw }, values, percent });
    }
    out
}

fn interpretations(raw: &str) -> Vec<Decimal> {
    let parse = |s: &str| s.parse::<Decimal>().ok().map(|d| d.normalize());
    let dots = raw.matches('.').count();
    let commas = raw.matches(',').count();
    let mut out = Vec::new();
    match (dots, commas) {
        (0, 0) => out.extend(parse(raw)),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let plain: String = raw.chars().filter(|c| *c != sep).collect();
            if dots + commas > 1 {
                out.extend(parse(&plain));
            } else {
                let after = raw.rsplit(sep).next().unwrap_or("");
                out.extend(parse(&raw.replace(sep, ".")));
                if after.len() == 3 {
                    out.extend(parse(&plain));
                }
            }
        }
        _ => {
            // Both: the last one is the decimal separator.
            let last = raw.rfind(['.', ',']).unwrap_or(0);
            let (int, frac) = raw.split_at(last);
            let int: String = int.chars().filter(char::is_ascii_digit).collect();
            out.extend(parse(&format!("{int}.{}", &frac[1..])));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str = "Envíos a todo el país por Andreani: 3 a 5 días hábiles, $ 4.500. \
                         Gratis desde $ 50.000. Pagás con tarjeta en 3 cuotas sin interés o 10% off por transferencia. \
                         Cambios dentro de los 30 días. Retiro en Palermo de lunes a viernes.";
    const CART: &str = "Remera azul (M) x2 — total ARS 58.070,50 — https://tienda.example/recover/abc?t=1";

    fn ok(answer: &str) -> Result<(), Ungrounded> {
        check(answer, &[FACTS, CART, "Hola, ¿cuánto sale el envío? ¿Tienen descuento?"])
    }

    #[test]
    fn answers_built_from_the_inputs_pass() {
        assert_eq!(ok("¡Hola! El envío sale $4.500 y llega en 3 a 5 días hábiles 🚚"), Ok(()));
        assert_eq!(ok("Desde $50.000 el envío es gratis."), Ok(()));
        assert_eq!(ok("Con transferencia tenés 10% off, y con tarjeta 3 cuotas sin interés."), Ok(()));
        assert_eq!(
            ok("Tu total es $ 58.070,50. Podés terminar acá: https://tienda.example/recover/abc?t=1"),
            Ok(())
        );
        assert_eq!(ok("Podés retirar en Palermo de lunes a viernes."), Ok(()));
        assert_eq!(ok("No tenemos descuentos por ahora, pero el envío es gratis desde $ 50.000"), Ok(()));
    }

    #[test]
    fn invented_amounts_percentages_dates_links_and_promotions_are_blocked() {
        let claim = |a: &str| ok(a).unwrap_err().claim;
        assert_eq!(claim("Te hago un 15% de descuento si comprás hoy"), "15%");
        assert_eq!(claim("El envío sale $ 3.900"), "3.900");
        assert_eq!(claim("Te llega el 12/12"), "12");
        assert_eq!(claim("Te llega el sábado"), "sabado");
        assert_eq!(claim("Lo tenés mañana"), "manana");
        assert_eq!(claim("Usá el cupón VERANO"), "cupon");
        assert_eq!(claim("Pagá acá: https://evil.example/pay"), "https://evil.example/pay");
        // A number from the facts is not a licence for it as a percentage.
        assert_eq!(claim("Tenés 30% off"), "30%");
    }

    #[test]
    fn number_formats_are_read_both_ways() {
        let v = |s: &str| interpretations(s).iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(v("1234"), ["1234"]);
        assert_eq!(v("58.07"), ["58.07"]);
        assert_eq!(v("50.000"), ["50", "50000"]);
        assert_eq!(v("1.234,50"), ["1234.5"]);
        assert_eq!(v("1,234.50"), ["1234.5"]);
        assert_eq!(v("1.234.567"), ["1234567"]);
        assert_eq!(numbers("sale 10 %, o 3x2")[0].text, "10%");
    }

    #[test]
    fn no_numbers_no_problem_and_odd_text_never_panics() {
        assert_eq!(check("¡Gracias por escribir! 🙌", &[]), Ok(()));
        assert_eq!(check("مرحبا 👋🏽 ..,,%%", &["x"]), Ok(()));
        assert!(check("9999999999999999999999999999999999999999", &[]).is_err());
    }
}
