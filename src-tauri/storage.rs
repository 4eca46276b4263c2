//! SQLite, the single source of truth. `Db::open` applies a staged restore (see `backup`),
//! refuses a corrupt file or one written by a newer Recupero without touching it, copies an
//! older database into `backups/` and then applies the forward-only migrations. One file per
//! table holds its schema, row type and queries.

pub mod backup;
pub mod carts;
pub mod coexistence;
pub mod contacts;
pub mod conversations;
pub mod coupons;
pub mod drafts;
pub mod event_log;
pub mod experiments;
pub mod media;
pub mod messages;
pub mod migrations;
pub mod sends;
pub mod settings;
pub mod shop_facts;
pub mod shops;
pub mod store_opt_outs;
pub mod templates;
pub mod webhook_events;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "the database {path} was written by a newer version of Recupero (schema {found}, this \
         version knows up to {supported}). It was left untouched: update Recupero, or point \
         --data-dir at another folder."
    )]
    NewerVersion { path: PathBuf, found: i64, supported: i64 },
    #[error(
        "the file {path} is not a readable Recupero database ({detail}). It was left untouched: \
         restore a backup with `recupero restore FILE` (automatic copies are in the `backups` \
         folder beside it, one a day for the last 7 days and one before each update), or move \
         it aside and start again, or point --data-dir elsewhere."
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the database {path} is missing and a restore was being applied here ({marker} is still \
         there): nothing was created in its place. The previous database is in the `backups` \
         folder as before-restore.db (or -2, -3…): copy it back to {path}, or run \
         `recupero restore FILE`; then delete {marker}."
    )]
    RestoreIncomplete { path: PathBuf, marker: PathBuf },
    #[error("could not open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(transparent)]
    Backup(#[from] backup::BackupError),
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: rusqlite::Error },
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
}

/// A shared handle to the database. rusqlite connections are not `Sync`, so access goes through
/// a mutex; callers keep each lock short and never hold it across an `.await`.
pub struct Db {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it forward.
    pub fn open(path: &Path) -> Result<Db, StorageError> {
        match backup::apply_pending_restore(path)? {
            backup::Restore::NonePending => {}
            backup::Restore::InUse => tracing::warn!(
                db = %path.display(),
                "a restore is staged but another Recupero process has the database open; it is \
                 applied at the next start"
            ),
            backup::Restore::Refused { aside, reason } => tracing::error!(
                aside = %aside.display(),
                reason,
                "the staged restore was refused and moved aside; the database was not replaced"
            ),
            backup::Restore::Applied { kept } => tracing::info!(
                db = %path.display(),
                kept = %kept.as_deref().map(|k| k.display().to_string()).unwrap_or_default(),
                "the staged restore is now the database; the previous one was kept"
            ),
        }
        // Never an empty database where a restore was just applied or a swap stopped half-way.
        let marker = backup::restore_marker_path(path);
        if !path.exists() && marker.exists() {
            return Err(StorageError::RestoreIncomplete { path: path.to_path_buf(), marker });
        }
        let existed = path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
        if existed {
            check_header(path)?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StorageError::Open { path: path.to_path_buf(), source })?;
        let corrupt =
            |e: rusqlite::Error| StorageError::Corrupt { path: path.to_path_buf(), detail: e.to_string() };
        conn.busy_timeout(Duration::from_secs(5)).map_err(corrupt)?;
        if existed {
            // A damaged file must be reported before anything writes to it.
            let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(corrupt)?;
            if verdict != "ok" {
                return Err(StorageError::Corrupt { path: path.to_path_buf(), detail: verdict });
            }
        }
        // The version check comes before any pragma that writes (WAL switch, migrations).
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(corrupt)?;
        let supported = migrations::latest_version();
        if found > supported {
            return Err(StorageError::NewerVersion { path: path.to_path_buf(), found, supported });
        }
        // A copy before every migration of an existing database, as it was.
        if (1..supported).contains(&found) {
            let copy = backup::before_migration(&conn, path, found, supported)?;
            tracing::info!(copy = %copy.display(), from = found, to = supported, "database copied before migrating");
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL syncs the WAL on every commit: a delivery answered 200 and a fenced "sending"
        // mark survive an OS crash or power cut, not only a process crash (NORMAL's guarantee).
        conn.pragma_update(None, "synchronous", "FULL")?;
        // On macOS fsync() stops at the drive's cache; F_FULLFSYNC is what reaches the platter.
        #[cfg(target_os = "macos")]
        conn.pragma_update(None, "fullfsync", "ON")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut conn = conn;
        migrations::migrate(&mut conn)?;
        Ok(Db { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for one short unit of work.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Folds the WAL back into the main file (used at shutdown and by housekeeping).
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        self.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// SQLite's own 16-byte magic. Checked before opening so a non-database file is never
/// "upgraded" into one by our migrations.
fn check_header(path: &Path) -> Result<(), StorageError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| StorageError::Corrupt { path: path.to_path_buf(), detail: e.to_string() });
    read?;
    if &header != b"SQLite format 3\0" {
        return Err(StorageError::Corrupt {
            path: path.to_path_buf(),
            detail: "the file does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

/// Timestamps are stored as RFC 3339 UTC text with a fixed width, so they sort as text.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::DB_FILE;

    #[test]
    fn fresh_database_is_migrated_to_the_latest_version_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join(DB_FILE)).unwrap();
        let conn = db.conn();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, migrations::latest_version());
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys must be enforced");
    }

    #[test]
    fn an_opened_database_syncs_fully_so_a_200_survives_power_loss() {
        // NORMAL = 1 in WAL mode loses the last commits on an OS crash or power cut; FULL = 2
        // syncs the WAL on every commit, which "durable before 200" needs.
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join(DB_FILE)).unwrap();
        let sync: i64 = db.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous must be FULL");
        #[cfg(target_os = "macos")]
        {
            let full: i64 = db.conn().query_row("PRAGMA fullfsync", [], |r| r.get(0)).unwrap();
            assert_eq!(full, 1, "macOS fsync does not reach the disk without F_FULLFSYNC");
        }
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        drop(Db::open(&path).unwrap());
        let db = Db::open(&path).unwrap();
        let v: i64 = db.conn().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, migrations::latest_version());
    }

    #[test]
    fn a_newer_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        drop(Db::open(&path).unwrap());
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
            c.pragma_update(None, "journal_mode", "DELETE").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Db::open(&path).err().expect("a newer schema must be refused");
        assert!(matches!(err, StorageError::NewerVersion { found: 999, .. }), "{err}");
        assert!(err.to_string().contains("newer version"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not be modified");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        std::fs::write(&path, b"this is a shopping list, not a database\n").unwrap();
        let err = Db::open(&path).err().expect("garbage must be refused");
        assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"this is a shopping list, not a database\n");
    }

    #[test]
    fn a_damaged_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        {
            let db = Db::open(&path).unwrap();
            db.conn()
                .execute_batch(
                    "CREATE TABLE filler(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO filler SELECT hex(randomblob(64)) FROM n;",
                )
                .unwrap();
            db.checkpoint().unwrap();
            db.conn().pragma_update(None, "journal_mode", "DELETE").unwrap();
        }
        // Scribble over the middle of the file, past the header.
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 8192] {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = Db::open(&path).err().expect("a damaged file must be refused");
        assert!(matches!(err, StorageError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "never overwritten");
    }
}
