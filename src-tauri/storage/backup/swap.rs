//! Applying a staged restore. One process at a time: the swap runs under an exclusive lock on
//! `<data dir>/restore.lock` (a SQLite file used only for its lock), taken before the checks
//! and held through the renames, so a second process starting at the same moment waits, then
//! finds nothing staged and opens the restored database. A marker file (`restore-in-progress`)
//! lives from the first rename to the last: `Db::open` refuses to create an empty database
//! while it is there and the database is missing. The old database's `-wal`/`-shm`/`-journal`
//! move before the main file (and back if one cannot), and side files with no database beside
//! them are set aside in `backups/`, never left where SQLite would apply them to the restored
//! file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{
    backups_dir, check_database, dir_of, exists, free_name, pending_restore_path, sync_dir, with_suffix,
    BackupError,
};

/// The lock file, inside the data directory, that serializes applying a restore.
pub const RESTORE_LOCK: &str = "restore.lock";
/// Present, inside the data directory, while a swap is under way (or when one stopped half-way).
pub const RESTORE_MARKER: &str = "restore-in-progress";
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// `<data dir>/restore-in-progress` for the database at `db_path`.
pub fn restore_marker_path(db_path: &Path) -> PathBuf {
    dir_of(db_path).join(RESTORE_MARKER)
}

#[cfg(test)]
pub(crate) type SwapHook = Option<Box<dyn FnMut(&Path)>>;

#[cfg(test)]
thread_local! {
    /// Runs between the in-use check and the renames (tests race a second opener there).
    pub(crate) static BEFORE_SWAP: std::cell::RefCell<SwapHook> = const { std::cell::RefCell::new(None) };
}

/// What [`apply_pending_restore`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Restore {
    /// No restore was staged.
    NonePending,
    /// Another process has the database open: the staged restore waits for the next start.
    InUse,
    /// The staged file is now the database; the previous one was kept at `kept` (None when
    /// there was no previous database).
    Applied { kept: Option<PathBuf> },
    /// The staged file failed the checks: it was moved to `aside` and nothing else changed.
    Refused { aside: PathBuf, reason: String },
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Write { path: path.to_path_buf(), detail: e.to_string() }
}

/// Applies a staged restore, if any, before the database at `db_path` is opened: only when no
/// other process has it open (SQLite's own lock, see [`in_use`]), and only one process at a
/// time (see the module's notes). The current database (with its WAL folded in, or as it is
/// when it cannot be read) moves to `backups/before-restore.db`.
pub fn apply_pending_restore(db_path: &Path) -> Result<Restore, BackupError> {
    let pending = pending_restore_path(db_path);
    if !exists(&pending) {
        return Ok(Restore::NonePending);
    }
    let _swap = lock_swap(db_path)?;
    // Another process may have applied it while this one waited for the lock.
    if !exists(&pending) {
        return Ok(Restore::NonePending);
    }
    // A file dropped there by hand (or staged by a newer build before a downgrade) gets the same
    // checks as one staged by `stage_restore`; a refused one is moved aside, never deleted, and
    // the current database opens as it is.
    if let Err(refused) = check_database(&pending) {
        let dir = backups_dir(db_path);
        std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
        let aside = free_name(&dir, "refused-restore");
        std::fs::rename(&pending, &aside).map_err(write_err(&aside))?;
        return Ok(Restore::Refused { aside, reason: refused.to_string() });
    }
    // The exclusive connection is kept until the renames are done, so a process that does not
    // go through this lock still cannot open the old file mid-swap — except on Windows, where
    // an open file cannot be renamed, and when the WAL could not be folded in (closing a WAL
    // connection afterwards would unlink side files by their old names).
    let mut held = None;
    if exists(db_path) {
        match hold_exclusively(db_path) {
            Lock::InUse => return Ok(Restore::InUse),
            Lock::Held(conn) => match conn.pragma_update(None, "journal_mode", "DELETE") {
                // Fold the WAL into the file so the kept copy is one self-contained file.
                Ok(()) if cfg!(not(windows)) => held = Some(conn),
                Ok(()) => drop(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "could not fold the WAL in before the restore; keeping it beside the old database");
                    drop(conn);
                }
            },
            Lock::Unreadable(detail) => {
                tracing::warn!(detail, "the current database cannot be read; keeping it as it is");
            }
        }
    }
    #[cfg(test)]
    BEFORE_SWAP.with(|h| h.borrow_mut().as_mut().map(|f| f(db_path)));
    let dir = backups_dir(db_path);
    std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
    let marker = restore_marker_path(db_path);
    std::fs::write(&marker, b"a restore was being applied; see backups/before-restore*.db\n")
        .map_err(write_err(&marker))?;
    sync_dir(&marker);
    let kept = if exists(db_path) {
        let dest = free_name(&dir, "before-restore");
        move_database(db_path, &dest)?;
        if let Some(conn) = held.take() {
            // Closed before the restored file takes the name (closing may unlink side files by
            // the old names). In exclusive mode the folded file keeps an emptied journal, which
            // holds nothing to replay.
            drop(conn);
            let _ = std::fs::remove_file(with_suffix(&dest, "-journal"));
        }
        Some(dest)
    } else {
        set_aside_strays(db_path, &dir)?;
        None
    };
    drop(held);
    std::fs::rename(&pending, db_path).map_err(write_err(db_path))?;
    sync_dir(db_path);
    std::fs::remove_file(&marker).map_err(write_err(&marker))?;
    sync_dir(&marker);
    Ok(Restore::Applied { kept })
}

/// Blocks (up to two minutes) until this process holds the exclusive lock on
/// `<data dir>/restore.lock`; released when the returned connection is dropped (or the process
/// ends). The lock file is a tiny SQLite database: SQLite's own file locks work across
/// processes and between connections of one process, on every OS, with no extra dependency.
fn lock_swap(db_path: &Path) -> Result<Connection, BackupError> {
    let path = dir_of(db_path).join(RESTORE_LOCK);
    let fail = |e: rusqlite::Error| BackupError::Write { path: path.clone(), detail: e.to_string() };
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(fail)?;
    conn.busy_timeout(Duration::from_secs(120)).map_err(fail)?;
    conn.execute_batch("BEGIN EXCLUSIVE").map_err(fail)?;
    Ok(conn)
}

/// Moves the database and its side files to `dest`: the side files first, so a failure never
/// leaves an old WAL where the restored file is about to go; on a failure the ones already
/// moved go back.
fn move_database(db_path: &Path, dest: &Path) -> Result<(), BackupError> {
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let undo = |moved: &[(PathBuf, PathBuf)]| {
        for (from, to) in moved.iter().rev() {
            let _ = std::fs::rename(to, from);
        }
    };
    for suffix in SIDE_FILES {
        let side = with_suffix(db_path, suffix);
        if exists(&side) {
            let to = with_suffix(dest, suffix);
            if let Err(e) = std::fs::rename(&side, &to) {
                undo(&moved);
                return Err(write_err(&to)(e));
            }
            moved.push((side, to));
        }
    }
    if let Err(e) = std::fs::rename(db_path, dest) {
        undo(&moved);
        return Err(write_err(dest)(e));
    }
    Ok(())
}

/// Side files with no database beside them belong to some other database: SQLite would apply
/// such a WAL to the restored file. They move to `backups/stray-before-restore.db-wal` (…-2…).
fn set_aside_strays(db_path: &Path, dir: &Path) -> Result<(), BackupError> {
    let strays: Vec<&str> = SIDE_FILES.into_iter().filter(|s| exists(&with_suffix(db_path, s))).collect();
    if strays.is_empty() {
        return Ok(());
    }
    let taken = |base: &Path| exists(base) || SIDE_FILES.iter().any(|s| exists(&with_suffix(base, s)));
    let first = dir.join("stray-before-restore.db");
    let base = if taken(&first) {
        (2u32..)
            .map(|n| dir.join(format!("stray-before-restore-{n}.db")))
            .find(|p| !taken(p))
            .unwrap_or(first)
    } else {
        first
    };
    for suffix in strays {
        let to = with_suffix(&base, suffix);
        std::fs::rename(with_suffix(db_path, suffix), &to).map_err(write_err(&to))?;
        tracing::warn!(kept = %to.display(), "a side file with no database beside it was set aside before the restore");
    }
    Ok(())
}

enum Lock {
    /// This connection holds SQLite's exclusive lock on the file: nobody else has it open.
    Held(Connection),
    /// Another connection (in this process or another) has the database open — or whether it
    /// has cannot be told (the restore then waits, as for a busy database).
    InUse,
    /// The file cannot be read as a database (damaged): nobody can be using it.
    Unreadable(String),
}

/// Every Recupero process keeps a shared lock on its database file for as long as its
/// connection is open (WAL mode holds it from the first read), so an exclusive lock taken
/// without waiting succeeds only when no process has the file open — the app, `serve`, the
/// tray process or a CLI command, on any OS, for this data directory only.
fn hold_exclusively(db_path: &Path) -> Lock {
    let attempt = || -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        // The first read takes the lock (in WAL mode, an exclusive one at once).
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
        // In rollback-journal mode a read only takes a shared lock: ask for the write lock too.
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")?;
        Ok(conn)
    };
    match attempt() {
        Ok(conn) => Lock::Held(conn),
        Err(e) => match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Lock::InUse,
            // Only a file that is genuinely not a readable database counts as unused.
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Lock::Unreadable(e.to_string()),
            _ => {
                tracing::warn!(error = %e, db = %db_path.display(), "could not tell whether the database is in use; the staged restore waits");
                Lock::InUse
            }
        },
    }
}

/// True when another connection has the database at `db_path` open (see [`hold_exclusively`]).
pub fn in_use(db_path: &Path) -> bool {
    exists(db_path) && matches!(hold_exclusively(db_path), Lock::InUse)
}
