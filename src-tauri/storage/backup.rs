//! Copies of the database, in `<data dir>/backups/` or wherever the owner asks: consistent
//! snapshots (`VACUUM INTO`, which reads one transaction's view, WAL included), written under a
//! temporary name, synced, then renamed, so a half-written copy never carries a backup's name
//! and an existing file is never overwritten unless the caller says so.
//!
//! A restore is staged, not done in place: the chosen file is copied to
//! `<data dir>/restore-pending.db` and checked there (a SQLite file, Recupero's tables, a clean
//! `quick_check`, a schema this build knows). [`apply_pending_restore`] runs first thing in
//! `Db::open`: when no other process has the database open, the current database moves to
//! `backups/before-restore.db` (`-2`, `-3`… if taken) and the staged file takes its place; an
//! older backup is then migrated forward like any older database, with its own pre-migration
//! copy. Nothing here reads the wall clock: names carry no time unless the caller passes one.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::migrations;

mod swap;

#[cfg(test)]
use swap::BEFORE_SWAP;
pub use swap::{apply_pending_restore, in_use, restore_marker_path, Restore, RESTORE_LOCK, RESTORE_MARKER};

/// The folder, inside the data directory, that holds the automatic and manual copies.
pub const BACKUPS_DIR: &str = "backups";
/// A restore waiting for the next `Db::open`, inside the data directory.
pub const RESTORE_PENDING: &str = "restore-pending.db";
/// Every Recupero database has had these tables since schema 1.
const CORE_TABLES: [&str; 8] =
    ["settings", "stores", "contacts", "carts", "sends", "conversations", "messages", "events"];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} is not a Recupero backup: it is not a SQLite database ({detail})", path.display())]
    NotSqlite { path: PathBuf, detail: String },
    #[error(
        "{} is a SQLite database but not a Recupero one (it lacks the tables {missing})",
        path.display()
    )]
    NotRecupero { path: PathBuf, missing: String },
    #[error("{} is damaged and cannot be restored ({detail})", path.display())]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{} was written by a newer version of Recupero (schema {found}; this version knows up to \
         {supported}): update Recupero, then restore it",
        path.display()
    )]
    Newer { path: PathBuf, found: i64, supported: i64 },
    #[error("{} already exists: choose another file name (or replace it with --force)", path.display())]
    Exists { path: PathBuf },
    #[error("could not write the copy {}: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
}

impl BackupError {
    /// True when the file offered for a restore was refused (as opposed to a failed write).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, BackupError::Write { .. } | BackupError::Exists { .. })
    }
}

fn write_err(path: &Path) -> impl Fn(String) -> BackupError + '_ {
    move |detail| BackupError::Write { path: path.to_path_buf(), detail }
}

fn dir_of(db_path: &Path) -> &Path {
    db_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// `<data dir>/backups/` for the database at `db_path`.
pub fn backups_dir(db_path: &Path) -> PathBuf {
    dir_of(db_path).join(BACKUPS_DIR)
}

/// `<data dir>/restore-pending.db` for the database at `db_path`.
pub fn pending_restore_path(db_path: &Path) -> PathBuf {
    dir_of(db_path).join(RESTORE_PENDING)
}

/// `dir/stem.db`, or `dir/stem-2.db`, `dir/stem-3.db`… — the first that does not exist yet.
pub fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.db"));
    if !exists(&first) {
        return first;
    }
    (2u32..).map(|n| dir.join(format!("{stem}-{n}.db"))).find(|p| !exists(p)).unwrap_or(first)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `path` with `suffix` appended to its file name (`x.db` → `x.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A consistent copy of the database `conn` reads, into `dest`. Refuses an existing `dest`
/// unless `replace`. Written as `dest.partial`, synced to disk, then renamed onto `dest`.
pub fn copy_into(conn: &Connection, dest: &Path, replace: bool) -> Result<(), BackupError> {
    if !replace && exists(dest) {
        return Err(BackupError::Exists { path: dest.to_path_buf() });
    }
    let fail = write_err(dest);
    let tmp = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&tmp);
    let target = tmp.to_str().ok_or_else(|| fail("the path is not valid Unicode".into()))?;
    let copied = conn.execute("VACUUM INTO ?1", [target]).map_err(|e| fail(e.to_string()));
    let synced = copied.and_then(|_| sync_file(&tmp).map_err(|e| fail(e.to_string())));
    if let Err(e) = synced {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if !replace && exists(dest) {
        let _ = std::fs::remove_file(&tmp);
        return Err(BackupError::Exists { path: dest.to_path_buf() });
    }
    std::fs::rename(&tmp, dest).map_err(|e| fail(e.to_string()))?;
    sync_dir(dest);
    Ok(())
}

/// A consistent copy of the database file at `db_path` into `dest`, through a read-only
/// connection of its own: a writer (the running app) is never held up by it.
pub fn copy_database(db_path: &Path, dest: &Path, replace: bool) -> Result<(), BackupError> {
    let conn = Connection::open_with_flags(
        db_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| BackupError::Write { path: dest.to_path_buf(), detail: e.to_string() })?;
    let _ = conn.busy_timeout(Duration::from_secs(5));
    copy_into(&conn, dest, replace)
}

/// The copy made before migrating from schema `from` to `to`:
/// `backups/before-schema-{from}-to-{to}.db` (with a suffix if that name is taken).
pub(crate) fn before_migration(
    conn: &Connection,
    db_path: &Path,
    from: i64,
    to: i64,
) -> Result<PathBuf, BackupError> {
    let dir = backups_dir(db_path);
    std::fs::create_dir_all(&dir)
        .map_err(|e| BackupError::Write { path: dir.clone(), detail: e.to_string() })?;
    let dest = free_name(&dir, &format!("before-schema-{from}-to-{to}"));
    copy_into(conn, &dest, false)?;
    Ok(dest)
}

/// Checks that `path` is a Recupero database this build can open: SQLite's header, a clean
/// `quick_check`, Recupero's tables, a schema version from 1 to the latest. Returns the version.
/// Opens the file read-only: it is never changed.
pub fn check_database(path: &Path) -> Result<i64, BackupError> {
    check_header(path)?;
    let not_sqlite =
        |e: rusqlite::Error| BackupError::NotSqlite { path: path.to_path_buf(), detail: e.to_string() };
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(not_sqlite)?;
    let damaged = |detail: String| BackupError::Damaged { path: path.to_path_buf(), detail };
    let verdict: String =
        conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => not_sqlite(e),
            _ => damaged(e.to_string()),
        })?;
    if verdict != "ok" {
        return Err(damaged(verdict));
    }
    let version: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| damaged(e.to_string()))?;
    let mut missing = Vec::new();
    for table in CORE_TABLES {
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(|e| damaged(e.to_string()))?;
        if found == 0 {
            missing.push(table);
        }
    }
    if version < 1 || !missing.is_empty() {
        let missing =
            if missing.is_empty() { "and its schema version".to_string() } else { missing.join(", ") };
        return Err(BackupError::NotRecupero { path: path.to_path_buf(), missing });
    }
    let supported = migrations::latest_version();
    if version > supported {
        return Err(BackupError::Newer { path: path.to_path_buf(), found: version, supported });
    }
    Ok(version)
}

fn check_header(path: &Path) -> Result<(), BackupError> {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| BackupError::NotSqlite { path: path.to_path_buf(), detail: e.to_string() })?;
    if &header != b"SQLite format 3\0" {
        let detail = "the file does not start with the SQLite header".to_string();
        return Err(BackupError::NotSqlite { path: path.to_path_buf(), detail });
    }
    Ok(())
}

/// Stages `source` to replace the database at `db_path` at its next open: checks it, copies it
/// consistently to `<data dir>/restore-pending.db` (replacing an earlier staged restore), checks
/// the copy again. `source` itself is only read. Returns the staged file's schema version.
pub fn stage_restore(source: &Path, db_path: &Path) -> Result<i64, BackupError> {
    check_database(source)?;
    let pending = pending_restore_path(db_path);
    let partial = with_suffix(&pending, ".staging");
    let _ = std::fs::remove_file(&partial);
    let conn = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| BackupError::NotSqlite { path: source.to_path_buf(), detail: e.to_string() })?;
    let _ = conn.busy_timeout(Duration::from_secs(5));
    copy_into(&conn, &partial, false)?;
    drop(conn);
    let version = match check_database(&partial) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &pending)
        .map_err(|e| BackupError::Write { path: pending.clone(), detail: e.to_string() })?;
    sync_dir(&pending);
    Ok(version)
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new().read(true).write(true).open(path)?.sync_all()
}

/// Makes a rename durable (POSIX: sync the directory); best effort, and a no-op elsewhere.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(dir_of(path)) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests;
