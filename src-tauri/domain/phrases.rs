//! Folding customer text for keyword rules, and matching whole phrases at word boundaries.
//!
//! Customers write "NO ME ESCRIBAN MÁS!!", "no me escriban mas", "no  me escriban más 🙏": all
//! fold to `no me escriban mas`. A phrase matches only on whole words, so "stop" never matches
//! inside "stopmotion" and "baja" never matches "bajar".

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower-case, accents removed, punctuation and emoji dropped, spaces collapsed. Letters of any
/// script (Arabic, Hebrew, CJK…) are kept as they are.
///
/// Accents are removed by decomposing to NFD and dropping the combining marks, so "más" typed
/// precomposed (U+00E1) or as "a" + U+0301 folds the same way: no spelling dodges a rule.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for ch in text.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        } else {
            space = true;
        }
    }
    out
}

/// Does the folded `text` contain the folded `phrase` as whole words?
pub fn contains_phrase(folded_text: &str, folded_phrase: &str) -> bool {
    if folded_phrase.is_empty() {
        return false;
    }
    let mut start = 0;
    while let Some(pos) = folded_text[start..].find(folded_phrase) {
        let at = start + pos;
        let end = at + folded_phrase.len();
        let before_ok = at == 0 || folded_text.as_bytes()[at - 1] == b' ';
        let after_ok = end == folded_text.len() || folded_text.as_bytes()[end] == b' ';
        if before_ok && after_ok {
            return true;
        }
        // Advance past this occurrence's first character (phrases are ASCII after folding in
        // practice, but the text may not be: step on a char boundary).
        start = at + folded_text[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// The first phrase of `phrases` (already folded) found in `folded_text`.
pub fn first_match<'a>(folded_text: &str, phrases: &[&'a str]) -> Option<&'a str> {
    phrases.iter().copied().find(|p| contains_phrase(folded_text, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_punctuation_and_emoji() {
        assert_eq!(fold("  NO me ESCRIBAN más!! 🙏 "), "no me escriban mas");
        assert_eq!(fold("Não quero"), "nao quero");
        assert_eq!(fold("stop-motion"), "stop motion");
        assert_eq!(fold("مرحبا بك"), "مرحبا بك");
        assert_eq!(fold("🙂🙂"), "");
        // Decomposed (NFD) accents fold like precomposed ones.
        assert_eq!(fold("NO ME ESCRIBAN MA\u{301}S"), "no me escriban mas");
        assert_eq!(fold("Na\u{303}o quero"), "nao quero");
        assert_eq!(fold("ç ñ Ü"), "c n u");
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("por favor stop", "stop"));
        assert!(contains_phrase("stop", "stop"));
        assert!(!contains_phrase("stopmotion", "stop"));
        assert!(!contains_phrase("nonstop", "stop"));
        assert!(contains_phrase("quiero darme de baja ya", "darme de baja"));
        assert!(!contains_phrase("bajar el precio", "baja"));
        assert!(!contains_phrase("anything", ""));
        // Repeated partial hits before the real one.
        assert!(contains_phrase("stops stopx stop", "stop"));
        // Non-ASCII text around the phrase never splits a character.
        assert!(contains_phrase("ñandú stop ñandú", "stop"));
        assert!(!contains_phrase("ñstopñ", "stop"));
    }
}
