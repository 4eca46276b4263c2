//! A secret stored through the public API never reaches the database, its WAL, or the logs —
//! even at trace level. With RECUPERO_KEYCHAIN_TESTS=1 (a Secret Service is running, as in the
//! README's test command) the same is proven through the real CLI and the OS keychain.

use recupero::secrets::{SecretName, Sensitive};

use crate::support::{contains_bytes, files_under, recupero, spawn_app, text};

const TOKEN: &str = "shpat_f00dcafe_TOKEN_that_must_never_leak_9c1b";

#[test]
fn a_stored_token_is_absent_from_database_wal_and_logs() {
    let app = spawn_app();
    let log_dir = app.dir.path().join("logs");
    let _guard = recupero::logging::init_with_filter(&log_dir, false, Some("trace")).unwrap();
    app.engine.set_secret(SecretName::StoreToken, Sensitive::new(TOKEN.into())).unwrap();
    // Exercise the paths that could print it.
    let states = app.engine.secret_states().unwrap();
    assert!(states.iter().any(|s| s.name == "store_token" && s.set), "the token is stored");
    let status = serde_json::to_string(&app.engine.status().unwrap()).unwrap();
    let read = app.engine.secret(SecretName::StoreToken).unwrap().unwrap();
    tracing::info!(token = ?read, "reading the secret back for a request");
    assert_eq!(read.expose(), TOKEN);
    assert!(!status.contains(TOKEN));
    // The database is still open, so its WAL is on disk beside it.
    let wal = app.dir.path().join("recupero.sqlite3-wal");
    assert!(wal.exists(), "the WAL must be checked while it exists");
    drop(_guard); // flush the log file
    let files = files_under(app.dir.path());
    assert!(files.iter().any(|f| f.starts_with(&log_dir)), "a log file was written: {files:?}");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(!contains_bytes(&bytes, TOKEN.as_bytes()), "the token leaked into {}", f.display());
    }
}

#[test]
fn the_real_keychain_keeps_the_token_out_of_every_file() {
    if std::env::var("RECUPERO_KEYCHAIN_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set RECUPERO_KEYCHAIN_TESTS=1 with an unlocked Secret Service (the README test command does)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unique = format!("{TOKEN}_{}", std::process::id());
    let out = recupero(dir.path(), &["secret", "set", "assistant_api_key"], Some(&format!("{unique}\n")));
    assert!(out.status.success(), "secret set: {}", text(&out.stderr));
    let out = recupero(dir.path(), &["secret", "list", "--json"], None);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = list.as_array().unwrap().iter().find(|e| e["name"] == "assistant_api_key").unwrap();
    assert_eq!(entry["set"], true, "the keychain holds it");
    assert!(!text(&out.stdout).contains(&unique) && !text(&out.stderr).contains(&unique));
    for f in files_under(dir.path()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!contains_bytes(&bytes, unique.as_bytes()), "the token leaked into {}", f.display());
    }
    assert!(recupero(dir.path(), &["secret", "delete", "assistant_api_key"], None).status.success());
}
