//! Native text (tray menu, desktop notifications) from the same catalog the webview uses:
//! `ui/src/lib/i18n/{es,pt,en}.json`, embedded at compile time. One mechanism, one set of
//! translations; the Rust side reads only the `native.*` section.

use std::sync::OnceLock;

use serde_json::Value;

const ES: &str = include_str!("../ui/src/lib/i18n/es.json");
const PT: &str = include_str!("../ui/src/lib/i18n/pt.json");
const EN: &str = include_str!("../ui/src/lib/i18n/en.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Es,
    Pt,
    En,
}

impl Lang {
    /// From the `ui_language` setting; "auto" (or anything else) uses the OS locale string.
    pub fn resolve(setting: &str, os_locale: Option<&str>) -> Lang {
        let pick = |tag: &str| {
            let tag = tag.trim().to_ascii_lowercase();
            if tag.starts_with("pt") {
                Some(Lang::Pt)
            } else if tag.starts_with("en") {
                Some(Lang::En)
            } else if tag.starts_with("es") {
                Some(Lang::Es)
            } else {
                None
            }
        };
        pick(setting).or_else(|| os_locale.and_then(pick)).unwrap_or(Lang::Es)
    }

    /// The operating system's language, from the usual environment variables.
    pub fn os_locale(env: impl Fn(&str) -> Option<String>) -> Option<String> {
        ["LC_ALL", "LC_MESSAGES", "LANG"].into_iter().find_map(|k| env(k).filter(|v| !v.is_empty()))
    }
}

fn catalog(lang: Lang) -> &'static Value {
    static CATALOGS: OnceLock<[Value; 3]> = OnceLock::new();
    let all = CATALOGS.get_or_init(|| {
        // The files are checked by the UI's type check and by the test below; a broken file
        // degrades to keys being shown, never to a crash.
        [ES, PT, EN].map(|s| serde_json::from_str(s).unwrap_or(Value::Null))
    });
    &all[lang as usize]
}

fn lookup<'a>(root: &'a Value, key: &str) -> Option<&'a str> {
    key.split('.').try_fold(root, |node, part| node.get(part))?.as_str()
}

/// The text for `key` (e.g. "native.tray.open") with `{name}` placeholders filled from `args`.
/// Falls back to Spanish, then to the key itself.
pub fn t(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let text = lookup(catalog(lang), key).or_else(|| lookup(catalog(Lang::Es), key)).unwrap_or(key);
    args.iter().fold(text.to_string(), |acc, (name, value)| acc.replace(&format!("{{{name}}}"), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_catalogs_parse_and_have_the_native_section() {
        for lang in [Lang::Es, Lang::Pt, Lang::En] {
            let c = catalog(lang);
            assert!(c.get("native").is_some(), "{lang:?} has no native section");
            for key in ["native.tray.open", "native.tray.pause", "native.tray.resume", "native.tray.quit"] {
                assert!(lookup(c, key).is_some_and(|s| !s.is_empty()), "{lang:?} {key}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_and_languages_differ() {
        let args = [("carts", "3"), ("unread", "2"), ("escalated", "1")];
        let es = t(Lang::Es, "native.tray.tooltip", &args);
        let en = t(Lang::En, "native.tray.tooltip", &args);
        assert!(es.contains('3') && es.contains('2') && es.contains('1'), "{es}");
        assert!(!es.contains('{'), "every placeholder filled: {es}");
        assert_ne!(es, en, "English and Spanish texts must differ");
    }

    #[test]
    fn unknown_keys_fall_back_to_the_key() {
        assert_eq!(t(Lang::Pt, "native.nope", &[]), "native.nope");
    }

    #[test]
    fn language_comes_from_the_setting_then_the_os() {
        assert_eq!(Lang::resolve("pt", Some("en_US.UTF-8")), Lang::Pt);
        assert_eq!(Lang::resolve("auto", Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::resolve("auto", Some("pt_BR.UTF-8")), Lang::Pt);
        assert_eq!(Lang::resolve("auto", Some("de_DE.UTF-8")), Lang::Es);
        assert_eq!(Lang::resolve("auto", None), Lang::Es);
    }
}
