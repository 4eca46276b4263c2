//! The words the grounding check reads: promotion and date words an answer may only use when
//! the shop's own texts use them, and numbers written in words (es, pt, en) with their values,
//! so "treinta por ciento" is checked like "30 %".

/// Words that announce a promotion or a date: each must appear in the inputs too.
pub(super) const GUARDED_WORDS: &[&str] = &[
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
    // More promotion wording a customer may try to get confirmed (es, pt, en).
    "sin cargo",
    "sin costo",
    "gratuito",
    "gratuita",
    "bonificado",
    "bonificada",
    "mitad de precio",
    "a mitad de precio",
    "la mitad",
    "2x1",
    "3x2",
    "dos por uno",
    "liquidacion",
    "rebajado",
    "rebajada",
    "precio especial",
    "reintegro",
    "cashback",
    "voucher",
    "obsequio",
    "sorteo",
    "hot sale",
    "black friday",
    "cyber monday",
    "codigo promocional",
    "sem custo",
    "de graca",
    "metade do preco",
    "pela metade",
    "a metade",
    "liquidacao",
    "queima de estoque",
    "leve 3 pague 2",
    "free",
    "half price",
    "half off",
    "on sale",
    "deal",
    "deals",
    "promotion",
    "promotional",
    "complimentary",
    "no charge",
    "at no cost",
    "rebate",
    "clearance",
    "special price",
    "buy one get one",
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

/// Harmless phrases that contain a guarded word ("feel free"): removed before the check.
pub(super) const HARMLESS: &[&str] = &["feel free", "free to ask", "sin cargo de conciencia"];

/// Words that make the number before them a percentage (folded, as whole words).
pub(super) const PERCENT_WORDS: &[&str] =
    &["por ciento", "por cento", "porciento", "percent", "per cent", "pct"];

/// Connectors inside a number written in words ("treinta y cinco", "vinte e cinco").
const CONNECTORS: &[&str] = &["y", "e", "and"];

/// How a number word counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Added ("treinta", "cinco", "doscientos"); `weak` words are also ordinary words ("un",
    /// "once", "ten", "doce") and count only beside another number word or a percent word.
    Add { value: u64, weak: bool },
    /// Multiplies what came before ("hundred").
    Times(u64),
    /// Closes a group ("mil", "million").
    Group(u64),
}

fn part(word: &str) -> Option<Part> {
    let add = |value| Some(Part::Add { value, weak: false });
    let weak = |value| Some(Part::Add { value, weak: true });
    match word {
        "un" | "uno" | "una" | "um" | "uma" | "one" => weak(1),
        "once" => weak(11),
        "ten" => weak(10),
        "doce" => weak(12),
        "dos" | "dois" | "duas" | "two" => add(2),
        "tres" | "three" => add(3),
        "cuatro" | "quatro" | "four" => add(4),
        "cinco" | "five" => add(5),
        "seis" | "six" => add(6),
        "siete" | "sete" | "seven" => add(7),
        "ocho" | "oito" | "eight" => add(8),
        "nueve" | "nove" | "nine" => add(9),
        "diez" | "dez" => add(10),
        "onze" | "eleven" => add(11),
        "twelve" => add(12),
        "trece" | "treze" | "thirteen" => add(13),
        "catorce" | "catorze" | "quatorze" | "fourteen" => add(14),
        "quince" | "quinze" | "fifteen" => add(15),
        "dieciseis" | "dezesseis" | "dezasseis" | "sixteen" => add(16),
        "diecisiete" | "dezessete" | "dezassete" | "seventeen" => add(17),
        "dieciocho" | "dezoito" | "eighteen" => add(18),
        "diecinueve" | "dezenove" | "dezanove" | "nineteen" => add(19),
        "veinte" | "vinte" | "twenty" => add(20),
        "veintiun" | "veintiuno" | "veintiuna" => add(21),
        "veintidos" => add(22),
        "veintitres" => add(23),
        "veinticuatro" => add(24),
        "veinticinco" => add(25),
        "veintiseis" => add(26),
        "veintisiete" => add(27),
        "veintiocho" => add(28),
        "veintinueve" => add(29),
        "treinta" | "trinta" | "thirty" => add(30),
        "cuarenta" | "quarenta" | "forty" => add(40),
        "cincuenta" | "cinquenta" | "fifty" => add(50),
        "sesenta" | "sessenta" | "sixty" => add(60),
        "setenta" | "seventy" => add(70),
        "ochenta" | "oitenta" | "eighty" => add(80),
        "noventa" | "ninety" => add(90),
        "cien" | "ciento" | "cem" | "cento" => add(100),
        "doscientos" | "doscientas" | "duzentos" | "duzentas" => add(200),
        "trescientos" | "trescientas" | "trezentos" | "trezentas" => add(300),
        "cuatrocientos" | "cuatrocientas" | "quatrocentos" | "quatrocentas" => add(400),
        "quinientos" | "quinientas" | "quinhentos" | "quinhentas" => add(500),
        "seiscientos" | "seiscientas" | "seiscentos" | "seiscentas" => add(600),
        "setecientos" | "setecientas" | "setecentos" | "setecentas" => add(700),
        "ochocientos" | "ochocientas" | "oitocentos" | "oitocentas" => add(800),
        "novecientos" | "novecientas" | "novecentos" | "novecentas" => add(900),
        "hundred" => Some(Part::Times(100)),
        "mil" | "thousand" => Some(Part::Group(1_000)),
        "millon" | "millones" | "milhao" | "milhoes" | "million" | "millions" => Some(Part::Group(1_000_000)),
        _ => None,
    }
}

/// A number written in words: its value, whether a percent word follows, and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WordNumber {
    pub text: String,
    pub value: u64,
    pub percent: bool,
}

/// What the words of a folded text say: the numbers written in words, and a percent word with no
/// number before it (a percentage the check cannot read, so it can never be grounded).
pub(super) struct Wording {
    pub numbers: Vec<WordNumber>,
    pub loose_percent: Option<String>,
}

fn percent_at(words: &[&str], i: usize) -> Option<usize> {
    PERCENT_WORDS.iter().find_map(|p| {
        let n = p.split(' ').count();
        (words.len() >= i + n && words[i..i + n].join(" ") == *p).then_some(n)
    })
}

/// Reads the numbers written in words in a folded text.
pub(super) fn wording(folded: &str) -> Wording {
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out = Wording { numbers: Vec::new(), loose_percent: None };
    let mut i = 0;
    // Whether the previous word was a number (digits or words): a percent word then belongs to it.
    let mut after_number = false;
    while i < words.len() {
        if let Some(n) = percent_at(&words, i) {
            if !after_number && out.loose_percent.is_none() {
                out.loose_percent = Some(words[i..i + n].join(" "));
            }
            i += n;
            after_number = false;
            continue;
        }
        if part(words[i]).is_none() {
            after_number = words[i].chars().all(|c| c.is_ascii_digit());
            i += 1;
            continue;
        }
        // "un treinta por ciento": the article is not part of the number ("un mil" is).
        if matches!(part(words[i]), Some(Part::Add { value: 1, weak: true }))
            && matches!(words.get(i + 1).and_then(|w| part(w)), Some(Part::Add { .. }))
        {
            i += 1;
        }
        let start = i;
        let (mut total, mut current, mut strong) = (0u64, 0u64, false);
        loop {
            match part(words[i]) {
                Some(Part::Add { value, weak }) => {
                    current = current.saturating_add(value);
                    strong |= !weak;
                }
                Some(Part::Times(m)) => {
                    current = current.max(1).saturating_mul(m);
                    strong = true;
                }
                Some(Part::Group(m)) => {
                    total = total.saturating_add(current.max(1).saturating_mul(m));
                    current = 0;
                    strong = true;
                }
                None => break,
            }
            i += 1;
            if i < words.len() && part(words[i]).is_some() {
                continue;
            }
            if i + 1 < words.len() && CONNECTORS.contains(&words[i]) && part(words[i + 1]).is_some() {
                i += 1;
                continue;
            }
            break;
        }
        let percent = percent_at(&words, i).is_some();
        if strong || percent || i - start > 1 {
            out.numbers.push(WordNumber { text: words[start..i].join(" "), value: total + current, percent });
        }
        after_number = true;
    }
    out
}
