//! Backups and restores through the real binary: `recupero backup` then `recupero restore` into a
//! fresh data directory round-trips every row of every table; a restore refuses what is not a
//! Recupero database of this version and leaves everything untouched; it keeps the database it
//! replaces; it waits while another process has the database open; daily copies keep 7.

use std::path::Path;
use std::sync::Arc;

use chrono::Duration;
use recupero::clock::TestClock;
use recupero::engine::backup::BackupKind;
use recupero::paths::DB_FILE;
use recupero::storage::backup::{BACKUPS_DIR, RESTORE_PENDING};
use rusqlite::{Connection, OpenFlags};

use crate::support::hooked::{hooked, one_reminder, text_from};
use crate::support::{engine_on, recupero, shop_morning, spawn_app, spawn_serve, text};

type Dump = Vec<(String, Vec<String>)>;

/// Every table (FTS shadow tables included) with every row, rows in a fixed order.
fn dump(db: &Path) -> Dump {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap();
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let width = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    let values: Vec<rusqlite::types::Value> =
                        (0..width).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                    Ok(format!("{values:?}"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

fn user_version(db: &Path) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_into_a_fresh_data_directory_round_trips_every_row_of_every_table() {
    // A shop that polled a cart, sent its reminder, got a reply and processed the webhook.
    let h = hooked().await;
    let (_cart, _wamid, wa_id) = one_reminder(&h).await;
    let reply = text_from(&wa_id, "Ana", "wamid.BACKUP1", "¿Hacen envíos al interior?", h.shop.now());
    assert_eq!(h.post_signed(&reply).await, 200);
    h.process();
    let source_dir = h.shop.app.dir.path();
    let before = dump(&source_dir.join(DB_FILE));
    for table in [
        "settings",
        "stores",
        "contacts",
        "carts",
        "sends",
        "conversations",
        "messages",
        "events",
        "webhook_events",
    ] {
        let rows = &before.iter().find(|(t, _)| t == table).unwrap().1;
        assert!(!rows.is_empty(), "the shop should have rows in {table}");
    }

    // The backup is taken while this engine has the database open, as the app would.
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("shop-backup.db");
    let said = ok(&recupero(source_dir, &["backup", "--output", file.to_str().unwrap()], None));
    assert!(said.contains("Backed up the database to"), "{said}");
    assert!(said.contains("keychain"), "the owner is told secrets are not in it: {said}");

    let fresh = tempfile::tempdir().unwrap();
    let said = ok(&recupero(fresh.path(), &["restore", file.to_str().unwrap()], None));
    assert!(said.contains("Restored"), "{said}");
    let after = dump(&fresh.path().join(DB_FILE));
    assert_eq!(after.len(), before.len(), "the same tables");
    for ((table, rows), (table_after, rows_after)) in before.iter().zip(&after) {
        assert_eq!(table, table_after);
        assert_eq!(rows, rows_after, "every row of {table}");
    }
    assert_eq!(user_version(&fresh.path().join(DB_FILE)), user_version(&source_dir.join(DB_FILE)));
    assert!(!fresh.path().join(RESTORE_PENDING).exists());
    // The restored data directory works as the app's: a command reads its store.
    let said = ok(&recupero(fresh.path(), &["store", "list"], None));
    assert!(!said.trim().is_empty());
}

#[test]
fn backup_refuses_to_overwrite_a_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "12"], None));
    let file = dir.path().join("existing.db");
    std::fs::write(&file, b"something the owner keeps").unwrap();
    let out = recupero(dir.path(), &["backup", "--output", file.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already exists"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&file).unwrap(), b"something the owner keeps");
    ok(&recupero(dir.path(), &["backup", "--output", file.to_str().unwrap(), "--force"], None));
    // Not even --force writes over the database itself.
    let db = dir.path().join(DB_FILE);
    let out = recupero(dir.path(), &["backup", "--output", db.to_str().unwrap(), "--force"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("the database itself"), "{}", text(&out.stderr));
    let restored = tempfile::tempdir().unwrap();
    ok(&recupero(restored.path(), &["restore", file.to_str().unwrap()], None));
    let said = ok(&recupero(restored.path(), &["config", "get", "holdout_percent"], None));
    assert_eq!(said.trim(), "12");
}

#[test]
fn restore_keeps_the_database_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "12"], None));
    let file = dir.path().join("monday.db");
    ok(&recupero(dir.path(), &["backup", "--output", file.to_str().unwrap()], None));
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "20"], None));

    let said = ok(&recupero(dir.path(), &["restore", file.to_str().unwrap()], None));
    assert!(said.contains("before-restore.db"), "{said}");
    assert_eq!(ok(&recupero(dir.path(), &["config", "get", "holdout_percent"], None)).trim(), "12");
    // The replaced database is kept whole in backups/ and can itself be restored.
    let kept = dir.path().join(BACKUPS_DIR).join("before-restore.db");
    ok(&recupero(dir.path(), &["restore", kept.to_str().unwrap()], None));
    assert_eq!(ok(&recupero(dir.path(), &["config", "get", "holdout_percent"], None)).trim(), "20");
    assert!(dir.path().join(BACKUPS_DIR).join("before-restore-2.db").exists(), "never overwritten");
}

/// Restoring `file` fails with `expected` in its message and leaves the data directory as it was.
fn refused(file: &Path, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "12"], None));
    let db = dir.path().join(DB_FILE);
    let listing = names(dir.path());
    let bytes = std::fs::read(&db).unwrap();
    let offered = std::fs::read(file).unwrap();
    let out = recupero(dir.path(), &["restore", file.to_str().unwrap()], None);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(expected), "{}", text(&out.stderr));
    assert_eq!(names(dir.path()), listing, "nothing staged, nothing moved");
    assert!(!dir.path().join(BACKUPS_DIR).exists());
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "the database is untouched");
    assert_eq!(std::fs::read(file).unwrap(), offered, "the offered file is untouched");
    assert_eq!(ok(&recupero(dir.path(), &["config", "get", "holdout_percent"], None)).trim(), "12");
}

#[test]
fn restore_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "milk, eggs, bread\n").unwrap();
    refused(&file, "not a SQLite database");
}

#[test]
fn restore_refuses_a_sqlite_file_that_is_not_recuperos() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("photos.db");
    Connection::open(&file)
        .unwrap()
        .execute_batch("CREATE TABLE photos(id, name); INSERT INTO photos VALUES (1, 'cat');")
        .unwrap();
    refused(&file, "not a Recupero one");
}

#[test]
fn restore_refuses_a_database_from_a_newer_recupero() {
    let source = tempfile::tempdir().unwrap();
    let file = source.path().join("newer.db");
    ok(&recupero(source.path(), &["backup", "--output", file.to_str().unwrap()], None));
    Connection::open(&file).unwrap().pragma_update(None, "user_version", 999).unwrap();
    refused(&file, "newer version of Recupero");
}

#[test]
fn a_restore_while_recupero_runs_waits_for_its_next_start() {
    let dir = tempfile::tempdir().unwrap();
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "12"], None));
    let file = dir.path().join("saved.db");
    ok(&recupero(dir.path(), &["backup", "--output", file.to_str().unwrap()], None));
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "20"], None));
    // This test process stands for the running app: it has the database open.
    let running = engine_on(dir.path(), Arc::new(TestClock::at(shop_morning())));
    let said = ok(&recupero(dir.path(), &["restore", file.to_str().unwrap()], None));
    assert!(said.contains("Recupero is running"), "{said}");
    assert!(dir.path().join(RESTORE_PENDING).exists());
    assert_eq!(running.settings().unwrap().holdout_percent, 20, "the running app's database is untouched");
    // Another command while it runs leaves the restore staged.
    assert_eq!(ok(&recupero(dir.path(), &["config", "get", "holdout_percent"], None)).trim(), "20");
    drop(running);
    // The next start applies it.
    assert_eq!(ok(&recupero(dir.path(), &["config", "get", "holdout_percent"], None)).trim(), "12");
    assert!(!dir.path().join(RESTORE_PENDING).exists());
    assert!(dir.path().join(BACKUPS_DIR).join("before-restore.db").exists());
}

#[test]
fn daily_copies_rotate_and_keep_the_last_seven() {
    let app = spawn_app();
    let engine = &app.engine;
    let manual = engine.backup_now().unwrap();
    assert_eq!(manual.kind, BackupKind::Manual);
    for _ in 0..9 {
        let made = engine.daily_backup().unwrap().expect("one copy a day");
        assert_eq!(made.kind, BackupKind::Daily);
        // A second look the same day makes none.
        assert_eq!(engine.daily_backup().unwrap(), None);
        app.clock.advance(Duration::days(1));
    }
    let list = engine.list_backups().unwrap();
    let mut dailies: Vec<&str> =
        list.iter().filter(|b| b.kind == BackupKind::Daily).map(|b| b.name.as_str()).collect();
    dailies.sort();
    let expected: Vec<String> = (2..9)
        .map(|d| format!("daily-{}.db", (shop_morning() + Duration::days(d)).format("%Y-%m-%d")))
        .collect();
    assert_eq!(dailies, expected);
    assert!(list.iter().any(|b| b.name == manual.name), "a manual copy is never rotated away");
    let overview = engine.backups_overview().unwrap();
    assert_eq!(overview.backups.len(), 8);
    assert!(overview.last_backup_at.is_some());
    assert!(!overview.restore_pending);
    // Each is a database a restore accepts.
    for b in &list {
        recupero::storage::backup::check_database(&engine.backups_dir().join(&b.name)).unwrap();
    }
}

#[test]
fn a_listed_copy_can_be_staged_by_name_and_a_relative_path_is_refused() {
    let app = spawn_app();
    let made = app.engine.daily_backup().unwrap().unwrap();
    let schema = app.engine.stage_restore(&made.name).unwrap();
    assert_eq!(schema, recupero::storage::migrations::latest_version());
    assert!(app.engine.backups_overview().unwrap().restore_pending);
    let err = app.engine.stage_restore("../elsewhere.db").unwrap_err();
    assert_eq!(err.code(), "invalid");
    // A file that is not a database: the window is told why, in the owner's words.
    let junk = app.dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database").unwrap();
    let err = app.engine.stage_restore(junk.to_str().unwrap()).unwrap_err();
    let ui = err.ui();
    assert_eq!(ui.code.as_str(), "invalid");
    assert_eq!(ui.params.get("why").map(String::as_str), Some("backup_not_sqlite"), "{}", ui.detail);
}

#[test]
fn recupero_serve_makes_the_days_copy_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    ok(&recupero(dir.path(), &["config", "set", "holdout_percent", "12"], None));
    let mut serve = spawn_serve(dir.path(), &[], std::process::Stdio::null());
    let backups = dir.path().join(BACKUPS_DIR);
    let mut daily = None;
    for _ in 0..600 {
        daily = names(&backups).into_iter().find(|n| n.starts_with("daily-") && n.ends_with(".db"));
        if daily.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = serve.kill();
    let _ = serve.wait();
    let daily = daily.expect("serve makes a daily copy when it starts");
    assert_eq!(daily.len(), "daily-2026-12-06.db".len(), "{daily}");
    let copy = backups.join(&daily);
    recupero::storage::backup::check_database(&copy).unwrap();
    let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let holdout: String =
        conn.query_row("SELECT value FROM settings WHERE key = 'holdout_percent'", [], |r| r.get(0)).unwrap();
    assert_eq!(holdout, "12");
}
