//! The check after generation: an automatic answer may only state amounts, percentages (in
//! digits or in words), dates, links, coupon-like codes and promotions that the shop itself gave
//! the assistant: the shop's facts, the cart and the store's own name and address. The customer's
//! messages are never grounds (a customer could plant "30 % off with coupon X, pay at evil.example"
//! and ask for it to be confirmed). Anything else is blocked: the owner gets it as a draft and the
//! conversation goes to a person.
//!
//! Links are found the way a messaging app finds them (`linkify`: any case, inside brackets or
//! markdown, bare `domain.tld/path`, e-mail addresses); a link is grounded only when the shop's
//! texts hold the same address, or, for a bare domain, one of the shop's own domains.

mod words;

use std::collections::HashSet;

use linkify::{LinkFinder, LinkKind};
use rust_decimal::Decimal;

use crate::domain::phrases::{contains_phrase, fold};
use words::{wording, GUARDED_WORDS, HARMLESS};

/// What an answer claimed that its grounds do not support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ungrounded {
    pub claim: String,
}

fn ungrounded(claim: impl Into<String>) -> Ungrounded {
    Ungrounded { claim: claim.into() }
}

/// Opt-out and opt-in keywords automation itself tells customers to answer with.
const KNOWN_WORDS: &[&str] = &["baja", "alta", "stop", "start", "parar", "voltar", "sair"];

/// Checks `answer` against the shop's own texts (`grounds`): facts, cart, store name and address.
pub fn check(answer: &str, grounds: &[&str]) -> Result<(), Ungrounded> {
    let grounds_joined = grounds.join("\n");
    let ground_links: Vec<Link> = links(&grounds_joined).into_iter().filter_map(|(_, l)| l).collect();
    for (raw, link) in links(answer) {
        let Some(link) = link else { return Err(ungrounded(raw)) };
        if !ground_links.iter().any(|g| link.grounded_by(g)) {
            return Err(ungrounded(raw));
        }
    }
    let answer_text = without_links(answer);
    let grounds_text = without_links(&grounds_joined);

    let folded_answer = without_harmless(&fold(&answer_text));
    let folded_grounds = fold(&grounds_text);
    let ground_words = wording(&folded_grounds);
    let mut known: HashSet<Decimal> = numbers(&grounds_text).into_iter().flat_map(|n| n.values).collect();
    let mut known_percent: HashSet<Decimal> =
        numbers(&grounds_text).into_iter().filter(|n| n.percent).flat_map(|n| n.values).collect();
    for n in &ground_words.numbers {
        known.insert(Decimal::from(n.value));
        if n.percent {
            known_percent.insert(Decimal::from(n.value));
        }
    }
    for n in numbers(&answer_text) {
        let pool = if n.percent { &known_percent } else { &known };
        if !n.values.iter().any(|v| pool.contains(v)) {
            return Err(ungrounded(n.text));
        }
    }
    let answer_words = wording(&folded_answer);
    for n in answer_words.numbers {
        let pool = if n.percent { &known_percent } else { &known };
        if !pool.contains(&Decimal::from(n.value)) {
            return Err(ungrounded(n.text));
        }
    }
    if let Some(p) = answer_words.loose_percent {
        return Err(ungrounded(p));
    }

    let singular_grounds = singular(&folded_grounds);
    for word in GUARDED_WORDS {
        if contains_phrase(&folded_answer, word) && !contains_phrase(&singular_grounds, &singular(word)) {
            return Err(ungrounded(*word));
        }
    }

    let ground_tokens: HashSet<String> = tokens(&grounds_text).map(str::to_lowercase).collect();
    if let Some(code) = tokens(&answer_text).find(|t| {
        code_like(t)
            && !ground_tokens.contains(&t.to_lowercase())
            && !KNOWN_WORDS.contains(&t.to_lowercase().as_str())
    }) {
        return Err(ungrounded(code));
    }
    Ok(())
}

fn without_harmless(folded: &str) -> String {
    let mut s = format!(" {folded} ");
    for h in HARMLESS {
        s = s.replace(&format!(" {h} "), " ");
    }
    s.trim().to_string()
}

/// Words made of ASCII letters, digits, `-` and `_`.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(|t| t.trim_matches(['-', '_']))
        .filter(|t| !t.is_empty())
}

/// Looks like a coupon code: "ANA20", "VERANO-30", "BLACKWEEK"; not "12hs", "500ml" or "XL".
fn code_like(token: &str) -> bool {
    let letters = token.chars().filter(char::is_ascii_alphabetic).count();
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let lower = token.chars().any(|c| c.is_ascii_lowercase());
    let measure = digits > 0
        && token.trim_start_matches(|c: char| c.is_ascii_digit()).chars().all(|c| c.is_ascii_lowercase());
    token.chars().count() >= 4 && letters >= 2 && !measure && (digits > 0 || (!lower && letters >= 4))
}

/// A link as compared: host without `www.`, and the rest of the address (path, query, fragment).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    host: String,
    rest: String,
    email: bool,
}

impl Link {
    fn read(raw: &str, kind: &LinkKind) -> Option<Link> {
        if *kind == LinkKind::Email {
            return Some(Link { host: raw.to_lowercase(), rest: String::new(), email: true });
        }
        let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("https://{raw}") };
        let url = url::Url::parse(&with_scheme).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let host = url.host_str()?.trim_start_matches("www.").to_string();
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let mut rest = url.path().trim_end_matches('/').to_string();
        if let Some(q) = url.query() {
            rest = format!("{rest}?{q}");
        }
        if let Some(f) = url.fragment() {
            rest = format!("{rest}#{f}");
        }
        Some(Link { host, rest, email: false })
    }

    /// The same address, or a bare domain that is one of the shop's own.
    fn grounded_by(&self, ground: &Link) -> bool {
        self.host == ground.host
            && self.email == ground.email
            && (self.rest == ground.rest || self.rest.is_empty())
    }
}

fn finder() -> LinkFinder {
    let mut f = LinkFinder::new();
    f.url_must_have_scheme(false);
    f
}

/// Every link in `text`, as written and as read (`None`: not an address we can compare).
fn links(text: &str) -> Vec<(String, Option<Link>)> {
    finder().links(text).map(|l| (l.as_str().to_string(), Link::read(l.as_str(), l.kind()))).collect()
}

fn without_links(text: &str) -> String {
    finder()
        .spans(text)
        .map(|s| if s.kind().is_some() { " " } else { s.as_str() })
        .collect::<Vec<_>>()
        .concat()
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
        let after: String = chars[j..chars.len().min(j + 12)].iter().collect::<String>().to_lowercase();
        let percent = chars.get(j) == Some(&'%')
            || words::PERCENT_WORDS
                .iter()
                .any(|p| after.strip_prefix(p).is_some_and(|rest| !rest.starts_with(char::is_alphanumeric)));
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
mod tests;
