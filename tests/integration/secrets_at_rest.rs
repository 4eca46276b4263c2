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

/// The keychain keeps what it was given: written through one store object, read back through a
/// new one (fresh entries), plain and scoped, then deleted. On macOS and Windows this is the
/// native store of that target; a build falling back to keyring's in-memory mock read back
/// nothing here.
#[test]
fn a_secret_written_to_the_keychain_reads_back_through_a_fresh_store() {
    use recupero::secrets::{KeyringSecretStore, SecretStore};
    if std::env::var("RECUPERO_KEYCHAIN_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set RECUPERO_KEYCHAIN_TESTS=1 with an unlocked keychain (the README test command does)"
        );
        return;
    }
    // A service of its own, so the owner's real `recupero` entries are never touched.
    let service = format!("recupero-test-{}", std::process::id());
    let value = format!("{TOKEN}_fresh_{}", std::process::id());
    let writer = KeyringSecretStore::new(service.clone());
    assert_eq!(writer.describe(), "OS keychain");
    writer.set(SecretName::StoreToken, Sensitive::new(value.clone())).unwrap();
    writer.set_scoped(SecretName::StoreToken, "store-7", Sensitive::new(format!("{value}_7"))).unwrap();
    drop(writer);

    let reader = KeyringSecretStore::new(service.clone());
    let read = reader.get(SecretName::StoreToken).unwrap().expect("the keychain kept the secret");
    assert_eq!(read.expose(), &value);
    let scoped = reader.get_scoped(SecretName::StoreToken, "store-7").unwrap().expect("and the scoped one");
    assert_eq!(scoped.expose(), &format!("{value}_7"));
    assert!(reader.get_scoped(SecretName::StoreToken, "store-8").unwrap().is_none(), "scopes stay apart");

    reader.delete(SecretName::StoreToken).unwrap();
    // The store has no scoped delete; leave nothing behind in the tester's keychain.
    keyring::Entry::new(&service, "store_token@store-7").unwrap().delete_credential().unwrap();
    assert!(
        KeyringSecretStore::new(service).get(SecretName::StoreToken).unwrap().is_none(),
        "deleted for good"
    );
}

/// The webhook address's secret path and Meta's verify token, set by the owner, are kept (and
/// shown by `config get`) but never written to the log files or the append-only event log.
#[test]
fn the_webhooks_secret_words_are_kept_but_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let path_word = "Pq7-secret_path_word_0123456789";
    let token_word = "Vt9-verify_token_word_987";
    for (key, word) in [("webhook_path", path_word), ("webhook_verify_token", token_word)] {
        let out = recupero(dir.path(), &["config", "set", key, word], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        // The owner's own terminal may echo it (stdout); the log lines (stderr) never carry it.
        assert!(!contains_bytes(&out.stderr, word.as_bytes()), "{key} logged: {}", text(&out.stderr));
        let shown = recupero(dir.path(), &["config", "get", key], None);
        assert_eq!(text(&shown.stdout).trim(), word, "kept for the owner to register");
    }
    let logs = files_under(&dir.path().join("logs"));
    assert!(!logs.is_empty(), "the binary wrote its log");
    for f in &logs {
        let bytes = std::fs::read(f).unwrap();
        for word in [path_word, token_word] {
            assert!(!contains_bytes(&bytes, word.as_bytes()), "{word} in {}", f.display());
        }
    }
    let conn = rusqlite::Connection::open(dir.path().join("recupero.sqlite3")).unwrap();
    let events: Vec<String> = conn
        .prepare("SELECT kind || ' ' || data FROM events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(events.iter().any(|e| e.contains("webhook_path")), "the change itself is logged: {events:?}");
    for word in [path_word, token_word] {
        assert!(!events.iter().any(|e| e.contains(word)), "{word} in the event log");
    }
}
