//! The fuzz corpora replayed on stable, in the ordinary test command: every file of
//! `fuzz/corpus/<target>/` goes through `recupero::fuzzing::<target>`, the very function the
//! cargo-fuzz target calls (`scripts/fuzz.sh` runs the campaign on nightly). A panic names the
//! file; the named tests below are the crashes the campaign found, kept as regressions.

use std::path::{Path, PathBuf};

use recupero::fuzzing::TARGETS;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str) {
    let (_, run) = TARGETS.iter().find(|(name, _)| *name == target).expect("a known target");
    let files = corpus(target);
    assert!(!files.is_empty(), "the corpus of {target} is empty");
    for file in files {
        let data = std::fs::read(&file).expect("a readable corpus file");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{target} fails on {}", file.display());
        }
    }
}

macro_rules! replays {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        #[test]
        fn every_target_has_its_corpus_and_its_test() {
            let tested = [$(stringify!($target)),*];
            let names: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
            assert_eq!(tested.to_vec(), names, "a target without a replay test");
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
            for entry in std::fs::read_dir(&root).expect("fuzz/corpus") {
                let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
                assert!(names.contains(&name.as_str()), "fuzz/corpus/{name} belongs to no target");
            }
            let manifest = std::fs::read_to_string(root.with_file_name("Cargo.toml")).expect("fuzz/Cargo.toml");
            for name in names {
                assert!(manifest.contains(&format!("name = \"{name}\"")), "{name} is not a fuzz binary");
            }
        }
    };
}

mod replay {
    use super::*;

    replays!(
        parse_time,
        phone,
        money,
        business_hours,
        opt_out,
        escalation,
        grounding,
        template_params,
        store_cursors,
        tiendanube_page,
        shopify_page,
        woocommerce_page,
        webhook_router,
        webhook_delivery,
        inbox_search,
    );
}

/// Found by `inbox_search` (2026-12-06): a NUL in the typed search cut FTS5's query text short,
/// leaving an unterminated `"`, and the search failed with "unterminated string".
#[test]
fn a_nul_in_the_inbox_search_is_no_fts_syntax_error() {
    recupero::fuzzing::inbox_search(b"\x07\x00AR(x)");
    recupero::fuzzing::inbox_search(b"a\x00b \x00\"");
}

/// Found by `phone` (2026-12-06): the metadata calls a few 5- to 7-digit numbers valid, and
/// `Phone::parse` accepted them (`011 47 07012` typed in a US store became `+4707012`), although
/// a stored phone with fewer than 8 digits does not read back.
#[test]
fn a_phone_too_short_for_e164_is_refused() {
    use recupero::domain::Phone;
    recupero::fuzzing::phone(b"FM\n00 .4)70...7012");
    recupero::fuzzing::phone(b"US\n011 47 07012");
    assert!(Phone::parse("011 47 07012", "US").is_err());
    assert!(Phone::parse("00 .4)70...7012", "FM").is_err());
    assert_eq!(
        Phone::parse("00 54 9 11 2345 6789", "AR").map(|p| p.e164().to_string()),
        Ok("+5491123456789".into())
    );
}

/// Found by `phone` (2026-12-06): odd punctuation gave a number whose E.164 form is no valid
/// number itself (`+8/10 9023446 7 19` in a Brazilian store), so the stored phone would not
/// parse again.
#[test]
fn a_phone_whose_e164_form_does_not_parse_back_is_refused() {
    recupero::fuzzing::phone(b"BR\n+8/10 9023446 7 19");
    assert!(recupero::domain::Phone::parse("+8/10 9023446 7 19", "BR").is_err());
}
