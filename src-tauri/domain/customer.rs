//! Customer: who abandoned a cart, as much as a message needs (first name, language, consent).
//!
//! Guarantees: a first name is a single trimmed word taken from whatever the store recorded,
//! with accents, emoji, apostrophes, hyphens and right-to-left text left exactly as typed;
//! values that cannot be a name (an e-mail address, a link or a bare domain, digits only, an
//! essay) become `None` so a greeting never reads "Hola juan@mail.com" and nobody can put a
//! link into the shop's own template by typing it as their name. A language is a lower-case
//! primary language subtag.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// Longest first name kept, in user-perceived characters.
const MAX_FIRST_NAME_GRAPHEMES: usize = 40;

/// The customer's language, from a BCP 47 tag; only the primary subtag matters here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Language {
    Es,
    Pt,
    En,
    /// Another 2- or 3-letter language code, lower case (e.g. `"fr"`).
    Other(String),
}

impl Language {
    /// Reads `"es"`, `"es-AR"`, `"pt_BR"`, `"EN"` or ISO 639-2 `"spa"`/`"por"`/`"eng"`.
    /// Returns `None` for anything that is not a language tag.
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        Some(match primary.as_str() {
            "es" | "spa" => Language::Es,
            "pt" | "por" => Language::Pt,
            "en" | "eng" => Language::En,
            _ => Language::Other(primary),
        })
    }

    /// The language code, e.g. `"es"`.
    pub fn code(&self) -> &str {
        match self {
            Language::Es => "es",
            Language::Pt => "pt",
            Language::En => "en",
            Language::Other(code) => code,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Language {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Language::parse(&value).ok_or_else(|| format!("{value:?} is not a language code"))
    }
}

impl From<Language> for String {
    fn from(value: Language) -> Self {
        value.code().to_owned()
    }
}

/// The customer behind a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CustomerRepr")]
pub struct Customer {
    first_name: Option<String>,
    language: Option<Language>,
    marketing_consent: Option<bool>,
}

#[derive(Deserialize)]
struct CustomerRepr {
    first_name: Option<String>,
    language: Option<Language>,
    marketing_consent: Option<bool>,
}

impl From<CustomerRepr> for Customer {
    /// Normalising again is harmless (it is idempotent) and keeps stored data honest.
    fn from(repr: CustomerRepr) -> Self {
        Customer {
            first_name: repr.first_name.as_deref().and_then(first_name),
            language: repr.language,
            marketing_consent: repr.marketing_consent,
        }
    }
}

impl Customer {
    /// Builds a customer from what the store recorded: a name (full or first), a language tag
    /// and whether they accepted marketing (`None` when the store does not record it).
    pub fn new(name: Option<&str>, language: Option<&str>, marketing_consent: Option<bool>) -> Self {
        Customer {
            first_name: name.and_then(first_name),
            language: language.and_then(Language::parse),
            marketing_consent,
        }
    }

    pub fn first_name(&self) -> Option<&str> {
        self.first_name.as_deref()
    }

    pub fn language(&self) -> Option<&Language> {
        self.language.as_ref()
    }

    pub fn marketing_consent(&self) -> Option<bool> {
        self.marketing_consent
    }
}

/// The first word of a name; "Pérez, Juan" (surname first) gives "Juan". `None` when that word
/// cannot be a name, including anything that looks like a link, an address or a handle. Also
/// what a message builder asks of a name stored earlier: it is idempotent.
pub fn first_name(name: &str) -> Option<String> {
    let given = match name.split_once(',') {
        Some((_, after)) if !after.trim().is_empty() => after,
        _ => name,
    };
    let word = given.split_whitespace().next()?.trim_end_matches(['.', ',', ';', ':']);
    let not_a_name = word.is_empty()
        || looks_like_a_link(word)
        || word.chars().all(|c| c.is_ascii_digit() || c.is_ascii_punctuation())
        || word.graphemes(true).count() > MAX_FIRST_NAME_GRAPHEMES;
    (!not_a_name).then(|| word.to_owned())
}

/// Characters no name holds but links, e-mail addresses, handles and schemes do (`a/b`, `x:y`,
/// `x@y`), with their full-width forms, which some clients read the same way.
const LINK_MARKS: [char; 8] = ['/', '\\', ':', '@', '／', '＼', '：', '＠'];
/// The dots a domain's labels are separated by (IDNA maps the ideographic and full-width ones to
/// `.`), and look-alikes.
const DOMAIN_DOTS: [char; 6] = ['.', '。', '．', '｡', '․', '﹒'];

/// Whether a word could become something tappable in the shop's own message: any link mark, or
/// a dot between two labels where the last could be a top-level domain (two characters or
/// more: `bit.ly`, `evil.example`, `tienda.рф`). Initials such as "J.R" stay names.
fn looks_like_a_link(word: &str) -> bool {
    if word.contains(LINK_MARKS) {
        return true;
    }
    let labels: Vec<&str> = word.split(DOMAIN_DOTS).filter(|l| !l.is_empty()).collect();
    labels.len() >= 2 && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("  María José Pérez ", Some("María"))]
    #[case("José", Some("José"))]
    #[case("ZOË", Some("ZOË"))]
    #[case("Ana💖 Gómez", Some("Ana💖"))]
    #[case("👩‍👩‍👧 Family", Some("👩‍👩‍👧"))]
    #[case("\u{200f}محمد علي", Some("\u{200f}محمد"))]
    #[case("יוסי כהן", Some("יוסי"))]
    #[case("Pérez, Juan", Some("Juan"))]
    #[case("Juan.", Some("Juan"))]
    #[case("João\u{a0}Silva", Some("João"))]
    #[case("", None)]
    #[case("   ", None)]
    #[case("juan@mail.com", None)]
    #[case("12345", None)]
    #[case("...", None)]
    fn first_name_is_the_first_word_kept_as_typed(#[case] name: &str, #[case] expected: Option<&str>) {
        let customer = Customer::new(Some(name), None, None);
        assert_eq!(customer.first_name(), expected, "from {name:?}");
    }

    /// A checkout's name field is typed by anyone (a stranger can type a victim's phone): a
    /// "name" that WhatsApp would turn into a link, an address or a handle never reaches the
    /// shop's template; real names in every script, with apostrophes and hyphens, do.
    #[rstest]
    #[case("evil.example/x")]
    #[case("https://evil.example/pay")]
    #[case("HTTPS://EVIL.EXAMPLE")]
    #[case("x@y.com")]
    #[case("bit.ly/abc")]
    #[case("bit.ly")]
    #[case("evil.example")]
    #[case("WWW.Evil.Example")]
    #[case("evil。example")]
    #[case("evil．example")]
    #[case("evil／x")]
    #[case("mailto:ana")]
    #[case("tel:+5491100000000")]
    #[case("ana@")]
    #[case("Ana/Bea")]
    #[case("localhost:8080")]
    #[case("Pérez, evil.example/x")]
    #[case("xn--80ak6aa92e.com")]
    #[case("tienda.рф")]
    fn a_name_that_looks_like_a_link_is_not_used(#[case] name: &str) {
        assert_eq!(Customer::new(Some(name), None, None).first_name(), None, "from {name:?}");
        assert_eq!(first_name(name), None, "the stored-name check agrees: {name:?}");
    }

    #[rstest]
    #[case("O'Brien", "O'Brien")]
    #[case("D’Angelo", "D’Angelo")]
    #[case("Jean-Luc Picard", "Jean-Luc")]
    #[case("Ana-María", "Ana-María")]
    #[case("J.R. Smith", "J.R")]
    #[case("Zoë🛒", "Zoë🛒")]
    #[case("\u{200f}محمد-علي", "\u{200f}محمد-علي")]
    #[case("שָׁלוֹם", "שָׁלוֹם")]
    #[case("Nguyễn", "Nguyễn")]
    #[case("さくら", "さくら")]
    fn real_names_keep_their_apostrophes_hyphens_and_scripts(#[case] name: &str, #[case] expected: &str) {
        assert_eq!(Customer::new(Some(name), None, None).first_name(), Some(expected), "from {name:?}");
    }

    #[test]
    fn an_essay_is_not_a_first_name() {
        let long = "a".repeat(41);
        assert_eq!(Customer::new(Some(&long), None, None).first_name(), None);
        let forty_emoji = "👍".repeat(40);
        assert_eq!(
            Customer::new(Some(&forty_emoji), None, None).first_name(),
            Some(forty_emoji.as_str()),
            "the limit counts graphemes, not bytes"
        );
    }

    #[rstest]
    #[case("es", Some(Language::Es))]
    #[case("es-AR", Some(Language::Es))]
    #[case("ES_ar", Some(Language::Es))]
    #[case("pt-BR", Some(Language::Pt))]
    #[case("por", Some(Language::Pt))]
    #[case("en", Some(Language::En))]
    #[case("fr-CA", Some(Language::Other("fr".into())))]
    #[case("", None)]
    #[case("123", None)]
    #[case("english", None)]
    #[case("é", None)]
    fn language_comes_from_the_primary_subtag(#[case] tag: &str, #[case] expected: Option<Language>) {
        assert_eq!(Language::parse(tag), expected, "from {tag:?}");
    }

    #[test]
    fn consent_is_kept_as_recorded_including_unknown() {
        assert_eq!(Customer::new(None, None, Some(false)).marketing_consent(), Some(false));
        assert_eq!(Customer::new(None, None, None).marketing_consent(), None);
    }

    #[test]
    fn serde_round_trips_and_normalises_stored_names() {
        let customer = Customer::new(Some("Ana Gómez"), Some("es-AR"), Some(true));
        let json = serde_json::to_string(&customer).unwrap();
        assert_eq!(json, r#"{"first_name":"Ana","language":"es","marketing_consent":true}"#);
        assert_eq!(serde_json::from_str::<Customer>(&json).unwrap(), customer);
        let raw = r#"{"first_name":"Ana Gómez","language":"xx-YY","marketing_consent":null}"#;
        let read: Customer = serde_json::from_str(raw).unwrap();
        assert_eq!(read.first_name(), Some("Ana"));
        assert_eq!(read.language(), Some(&Language::Other("xx".into())));
    }

    proptest! {
        #[test]
        fn first_name_never_panics_and_is_one_trimmed_word(name in any::<String>()) {
            if let Some(first) = Customer::new(Some(&name), None, None).first_name() {
                prop_assert!(!first.is_empty());
                prop_assert!(!first.chars().any(char::is_whitespace), "{first:?}");
                prop_assert!(name.contains(first));
            }
        }
    }
}
