use std::path::Path;

use rusqlite::Connection;

use super::*;
use crate::paths::DB_FILE;
use crate::storage::{migrations, Db, StorageError};

/// A database file at schema `version`, built with the real migrations, with one setting row.
fn database_at(path: &Path, version: i64, marker: &str) {
    let mut conn = Connection::open(path).unwrap();
    migrations::migrate_to(&mut conn, version).unwrap();
    conn.execute(
        "INSERT INTO settings(key, value, updated_at) VALUES ('marker', ?1, '2026-12-01T00:00:00.000Z')",
        [marker],
    )
    .unwrap();
}

fn marker(path: &Path) -> String {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("SELECT value FROM settings WHERE key = 'marker'", [], |r| r.get(0)).unwrap()
}

fn version(path: &Path) -> i64 {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn opening_an_older_database_first_copies_it_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    database_at(&path, 3, "old shop");
    let latest = migrations::latest_version();
    let db = Db::open(&path).unwrap();
    let copy = dir.path().join(BACKUPS_DIR).join(format!("before-schema-3-to-{latest}.db"));
    assert_eq!(files(&dir.path().join(BACKUPS_DIR)), [format!("before-schema-3-to-{latest}.db")]);
    // The copy is a valid database at the old version, with the old rows.
    assert_eq!(check_database(&copy).unwrap(), 3);
    assert_eq!(version(&copy), 3);
    assert_eq!(marker(&copy), "old shop");
    let v: i64 = db.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, latest, "the database itself is migrated");
}

#[test]
fn a_pre_migration_copy_never_overwrites_an_earlier_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    database_at(&path, 2, "second");
    let backups = dir.path().join(BACKUPS_DIR);
    std::fs::create_dir_all(&backups).unwrap();
    let latest = migrations::latest_version();
    let earlier = backups.join(format!("before-schema-2-to-{latest}.db"));
    std::fs::write(&earlier, b"an earlier copy").unwrap();
    drop(Db::open(&path).unwrap());
    assert_eq!(std::fs::read(&earlier).unwrap(), b"an earlier copy");
    let second = backups.join(format!("before-schema-2-to-{latest}-2.db"));
    assert_eq!(marker(&second), "second");
}

#[test]
fn a_fresh_or_current_database_gets_no_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    drop(Db::open(&path).unwrap());
    drop(Db::open(&path).unwrap());
    assert!(files(&dir.path().join(BACKUPS_DIR)).is_empty());
}

#[test]
fn copy_database_refuses_an_existing_file_unless_told_to_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let db = Db::open(&path).unwrap();
    db.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'live', '2026-12-01T00:00:00.000Z')", []).unwrap();
    let dest = dir.path().join("copy.db");
    std::fs::write(&dest, b"keep me").unwrap();
    let err = copy_database(&path, &dest, false).unwrap_err();
    assert!(matches!(err, BackupError::Exists { .. }), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
    // While the database is open and in WAL mode, the copy still sees the committed row.
    copy_database(&path, &dest, true).unwrap();
    assert_eq!(marker(&dest), "live");
    assert!(!dir.path().join("copy.db.partial").exists(), "no temporary file is left");
}

#[test]
fn a_staged_restore_is_applied_at_open_and_the_old_database_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let source_dir = tempfile::tempdir().unwrap();
    let source = source_dir.path().join("from-the-old-computer.db");
    {
        let db = Db::open(&source).unwrap();
        db.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'restored', '2026-12-01T00:00:00.000Z')", []).unwrap();
    }
    {
        let db = Db::open(&path).unwrap();
        db.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'current', '2026-12-01T00:00:00.000Z')", []).unwrap();
    }
    let source_before = std::fs::read(&source).unwrap();
    assert_eq!(stage_restore(&source, &path).unwrap(), migrations::latest_version());
    assert_eq!(std::fs::read(&source).unwrap(), source_before, "the source is only read");
    assert!(pending_restore_path(&path).exists());
    assert_eq!(marker(&path), "current", "staging does not touch the database");

    let db = Db::open(&path).unwrap();
    let now: String =
        db.conn().query_row("SELECT value FROM settings WHERE key='marker'", [], |r| r.get(0)).unwrap();
    assert_eq!(now, "restored");
    assert!(!pending_restore_path(&path).exists());
    let kept = dir.path().join(BACKUPS_DIR).join("before-restore.db");
    assert_eq!(marker(&kept), "current", "the previous database is kept whole (WAL folded in)");
    assert_eq!(check_database(&kept).unwrap(), migrations::latest_version());
}

#[test]
fn a_restore_waits_while_another_connection_has_the_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let source = dir.path().join("other.db");
    database_at(&source, migrations::latest_version(), "restored");
    let running = Db::open(&path).unwrap();
    running.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'current', '2026-12-01T00:00:00.000Z')", []).unwrap();
    assert!(in_use(&path));
    stage_restore(&source, &path).unwrap();
    assert_eq!(apply_pending_restore(&path).unwrap(), Restore::InUse);
    // A second opener (a CLI command while the app runs) leaves it staged too.
    let second = Db::open(&path).unwrap();
    drop(second);
    assert!(pending_restore_path(&path).exists());
    let v: String =
        running.conn().query_row("SELECT value FROM settings WHERE key='marker'", [], |r| r.get(0)).unwrap();
    assert_eq!(v, "current");
    drop(running);
    assert!(!in_use(&path));
    let db = Db::open(&path).unwrap();
    let v: String =
        db.conn().query_row("SELECT value FROM settings WHERE key='marker'", [], |r| r.get(0)).unwrap();
    assert_eq!(v, "restored");
}

#[test]
fn an_older_backup_is_restored_then_migrated_with_its_own_pre_migration_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    drop(Db::open(&path).unwrap());
    let source = dir.path().join("old-backup.db");
    database_at(&source, 4, "from v4");
    assert_eq!(stage_restore(&source, &path).unwrap(), 4);
    let latest = migrations::latest_version();
    let db = Db::open(&path).unwrap();
    let v: i64 = db.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, latest);
    let backups = dir.path().join(BACKUPS_DIR);
    assert_eq!(files(&backups), ["before-restore.db".to_string(), format!("before-schema-4-to-{latest}.db")]);
    assert_eq!(marker(&backups.join(format!("before-schema-4-to-{latest}.db"))), "from v4");
}

#[test]
fn a_damaged_database_is_replaced_by_the_restore_and_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(&path, b"SQLite format 3\0 and then garbage, a disk that went bad").unwrap();
    assert!(matches!(Db::open(&path).err().unwrap(), StorageError::Corrupt { .. }));
    let source = dir.path().join("good.db");
    database_at(&source, migrations::latest_version(), "good");
    stage_restore(&source, &path).unwrap();
    drop(Db::open(&path).unwrap());
    assert_eq!(marker(&path), "good");
    let kept = std::fs::read(dir.path().join(BACKUPS_DIR).join("before-restore.db")).unwrap();
    assert_eq!(kept, b"SQLite format 3\0 and then garbage, a disk that went bad");
}

/// Every refusal leaves the database, the backups and the staging area as they were.
fn refused(source: &Path) -> BackupError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let db = Db::open(&path).unwrap();
        db.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'current', '2026-12-01T00:00:00.000Z')", []).unwrap();
        db.checkpoint().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let source_before = std::fs::read(source).unwrap();
    let err = stage_restore(source, &path).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert_eq!(files(dir.path()), [DB_FILE.to_string()], "nothing staged, nothing left behind");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(std::fs::read(source).unwrap(), source_before);
    drop(Db::open(&path).unwrap());
    assert_eq!(marker(&path), "current");
    err
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("notes.db");
    std::fs::write(&source, "a shopping list, not a database\n").unwrap();
    let err = refused(&source);
    assert!(matches!(err, BackupError::NotSqlite { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
}

#[test]
fn a_sqlite_file_of_another_program_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("other-app.db");
    Connection::open(&source)
        .unwrap()
        .execute_batch("CREATE TABLE photos(id, name); INSERT INTO photos VALUES (1, 'cat');")
        .unwrap();
    let err = refused(&source);
    assert!(matches!(err, BackupError::NotRecupero { .. }), "{err}");
    assert!(err.to_string().contains("not a Recupero one"), "{err}");
}

#[test]
fn a_database_from_a_newer_recupero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("newer.db");
    database_at(&source, migrations::latest_version(), "newer");
    Connection::open(&source).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let err = refused(&source);
    assert!(matches!(err, BackupError::Newer { found: 999, .. }), "{err}");
    assert!(err.to_string().contains("newer version of Recupero"), "{err}");
}

#[test]
fn a_damaged_backup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("damaged.db");
    database_at(&source, migrations::latest_version(), "x");
    {
        let c = Connection::open(&source).unwrap();
        c.execute_batch("CREATE TABLE filler(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO filler SELECT hex(randomblob(64)) FROM n;").unwrap();
    }
    let mut bytes = std::fs::read(&source).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 8192].fill(0xA5);
    std::fs::write(&source, &bytes).unwrap();
    let err = refused(&source);
    assert!(matches!(err, BackupError::Damaged { .. } | BackupError::NotSqlite { .. }), "{err}");
}

#[test]
fn free_names_count_up_from_two() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(free_name(dir.path(), "x"), dir.path().join("x.db"));
    std::fs::write(dir.path().join("x.db"), b"").unwrap();
    std::fs::write(dir.path().join("x-2.db"), b"").unwrap();
    assert_eq!(free_name(dir.path(), "x"), dir.path().join("x-3.db"));
}

#[test]
fn a_bad_file_left_as_the_staged_restore_is_moved_aside_and_the_database_opens_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let db = Db::open(&path).unwrap();
        db.conn()
            .execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'current', '2026-12-01T00:00:00.000Z')", [])
            .unwrap();
    }
    std::fs::write(pending_restore_path(&path), b"not a database at all").unwrap();
    drop(Db::open(&path).unwrap());
    assert_eq!(marker(&path), "current");
    assert!(!pending_restore_path(&path).exists());
    let aside = dir.path().join(BACKUPS_DIR).join("refused-restore.db");
    assert_eq!(std::fs::read(aside).unwrap(), b"not a database at all", "moved, never deleted");
}

fn setting(db: &Db, key: &str) -> Option<String> {
    db.conn().query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).ok()
}

fn integrity(db: &Db) -> String {
    db.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// Two processes starting at once after a restore was staged: the second `Db::open` runs while
/// the first is between its check and its renames. The swap is serialized, so the restored rows
/// end up as the database, the old one is kept, and nothing opens an empty file.
#[test]
fn a_second_open_during_the_swap_waits_and_then_opens_the_restored_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let source = dir.path().join("other.db");
    database_at(&source, migrations::latest_version(), "restored");
    {
        let db = Db::open(&path).unwrap();
        db.conn().execute("INSERT INTO settings(key, value, updated_at) VALUES ('marker', 'current', '2026-12-01T00:00:00.000Z')", []).unwrap();
    }
    stage_restore(&source, &path).unwrap();

    type Opener = std::thread::JoinHandle<Result<Db, StorageError>>;
    let second: std::sync::Arc<std::sync::Mutex<Option<Opener>>> = Default::default();
    let slot = second.clone();
    let racer = path.clone();
    BEFORE_SWAP.with(|h| {
        *h.borrow_mut() = Some(Box::new(move |_: &Path| {
            let racer = racer.clone();
            let (done, finished) = std::sync::mpsc::channel();
            let handle = std::thread::spawn(move || {
                let opened = Db::open(&racer);
                let _ = done.send(());
                opened
            });
            // The second process gets its chance to run to the end (it must not be able to).
            let _ = finished.recv_timeout(Duration::from_millis(700));
            *slot.lock().unwrap() = Some(handle);
        }));
    });
    let first = apply_pending_restore(&path);
    BEFORE_SWAP.with(|h| h.borrow_mut().take());
    let second_db = second.lock().unwrap().take().expect("the hook ran").join().unwrap();
    let first = first.expect("the first swap completes");
    assert!(matches!(first, Restore::Applied { kept: Some(_) }), "{first:?}");
    let second_db = second_db.expect("the second process opens normally");
    assert_eq!(setting(&second_db, "marker").as_deref(), Some("restored"));
    assert_eq!(integrity(&second_db), "ok");
    drop(second_db);
    let db = Db::open(&path).unwrap();
    assert_eq!(setting(&db, "marker").as_deref(), Some("restored"), "the owner sees the restored rows");
    assert_eq!(integrity(&db), "ok");
    let backups = dir.path().join(BACKUPS_DIR);
    assert_eq!(files(&backups), ["before-restore.db".to_string()], "one swap, one kept copy");
    assert_eq!(marker(&backups.join("before-restore.db")), "current", "the old database is kept");
}

/// A WAL left behind by another database (X) at `<db>-wal`, with no database beside it, is
/// moved aside, never applied to the restored file (Y).
#[test]
fn a_leftover_wal_of_another_database_is_never_applied_to_the_restored_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let wal = with_suffix(&path, "-wal");
    {
        // X, with committed rows that live only in its WAL.
        let db = Db::open(&path).unwrap();
        let conn = db.conn();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        for i in 0..50 {
            conn.execute(
                "INSERT INTO settings(key, value, updated_at) VALUES (?1, 'from X', '2026-12-01T00:00:00.000Z')",
                [format!("x{i}")],
            )
            .unwrap();
        }
        conn.execute("INSERT OR REPLACE INTO settings(key, value, updated_at) VALUES ('marker', 'X', '2026-12-01T00:00:00.000Z')", []).unwrap();
        std::fs::copy(&wal, dir.path().join("x.wal")).unwrap();
    }
    std::fs::remove_file(&path).unwrap();
    let _ = std::fs::remove_file(with_suffix(&path, "-shm"));
    std::fs::rename(dir.path().join("x.wal"), &wal).unwrap();
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);

    let source = dir.path().join("y.db");
    database_at(&source, migrations::latest_version(), "Y");
    stage_restore(&source, &path).unwrap();
    let db = Db::open(&path).unwrap();
    assert_eq!(setting(&db, "marker").as_deref(), Some("Y"), "Y's rows are unchanged");
    assert_eq!(setting(&db, "x0"), None, "nothing of X's WAL was applied");
    assert_eq!(integrity(&db), "ok");
    let backups = files(&dir.path().join(BACKUPS_DIR));
    assert!(backups.iter().any(|f| f.ends_with("-wal")), "the stray WAL is kept aside: {backups:?}");
}

/// A swap that stopped half-way (the marker is there, the database is not) is never papered
/// over with a new empty database; a fresh data directory still gets one.
#[test]
fn a_missing_database_after_a_half_done_restore_is_refused_not_recreated_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(restore_marker_path(&path), b"x").unwrap();
    let err = Db::open(&path).err().expect("refused");
    assert!(matches!(err, StorageError::RestoreIncomplete { .. }), "{err}");
    assert!(err.to_string().contains("before-restore"), "{err}");
    assert!(!path.exists(), "no empty database was created");

    let fresh = tempfile::tempdir().unwrap();
    let db = Db::open(&fresh.path().join(DB_FILE)).unwrap();
    assert_eq!(integrity(&db), "ok");
}

/// Two openers racing after each of several staged restores: every restore is applied exactly
/// once, both openers see it, and each previous database is kept.
#[test]
fn openers_racing_a_staged_restore_all_see_it_and_every_old_database_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    drop(Db::open(&path).unwrap());
    for round in 1..=4 {
        let source = dir.path().join(format!("round-{round}.db"));
        database_at(&source, migrations::latest_version(), &format!("round {round}"));
        stage_restore(&source, &path).unwrap();
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (start, path) = (start.clone(), path.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let db = Db::open(&path).unwrap();
                    (setting(&db, "marker"), integrity(&db))
                })
            })
            .collect();
        for opener in openers {
            let (seen, integrity) = opener.join().unwrap();
            assert_eq!(seen, Some(format!("round {round}")));
            assert_eq!(integrity, "ok");
        }
        let kept = files(&dir.path().join(BACKUPS_DIR));
        assert_eq!(kept.iter().filter(|f| f.starts_with("before-restore")).count(), round, "{kept:?}");
    }
}

/// Only a file SQLite finds damaged counts as "unreadable, nobody can be using it": anything
/// else it cannot open (here a folder where the database should be) leaves the restore staged.
#[test]
fn a_database_that_cannot_be_checked_is_not_swapped_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::create_dir(&path).unwrap();
    let source = dir.path().join("good.db");
    database_at(&source, migrations::latest_version(), "good");
    stage_restore(&source, &path).unwrap();
    assert_eq!(apply_pending_restore(&path).unwrap(), Restore::InUse);
    assert!(path.is_dir(), "left where it was");
    assert!(pending_restore_path(&path).exists(), "the restore stays staged");
}
