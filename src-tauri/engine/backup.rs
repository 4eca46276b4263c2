//! Backups as the engine offers them: a copy now (into `backups/` or a file the owner names), a
//! daily copy on the engine's clock with the last [`DAILY_KEEP`] kept, the list of copies with
//! their kind, size and time, and staging a restore (see `storage::backup` for how a staged
//! restore is applied at the next open, never under a running process).
//!
//! Only the daily copies rotate: the ones made before a migration or a restore, and the ones the
//! owner asked for, stay until the owner deletes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinHandle;

use super::{Engine, EngineError, EngineResult};
use crate::paths::AppPaths;
use crate::storage::backup::{self as copies, BackupError, Restore};
use crate::storage::Db;

/// Daily copies kept in `backups/`.
pub const DAILY_KEEP: usize = 7;
/// How often the background work looks whether today's daily copy exists.
pub const DAILY_CHECK: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// What a copy in `backups/` is, from its name.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum BackupKind {
    /// `daily-YYYY-MM-DD.db`: made once a day; the last 7 are kept.
    Daily,
    /// `manual-….db`: "Back up now".
    Manual,
    /// `before-schema-A-to-B.db`: the database as it was before an update changed its schema.
    BeforeMigration,
    /// `before-restore.db`: the database a restore replaced.
    BeforeRestore,
    /// Any other `.db` file someone put in the folder.
    Other,
}

impl BackupKind {
    fn of(name: &str) -> BackupKind {
        if name.starts_with("daily-") {
            BackupKind::Daily
        } else if name.starts_with("manual-") {
            BackupKind::Manual
        } else if name.starts_with("before-schema-") {
            BackupKind::BeforeMigration
        } else if name.starts_with("before-restore") {
            BackupKind::BeforeRestore
        } else {
            BackupKind::Other
        }
    }
}

/// One copy in `backups/`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct BackupInfo {
    /// The file name inside the backups folder (what "Restore…" takes).
    pub name: String,
    pub kind: BackupKind,
    pub size_bytes: u64,
    /// When the copy was written (the file's modification time), RFC 3339.
    pub taken_at: Option<String>,
}

/// The Settings section's view: where the copies are, the latest, every copy newest first, and
/// whether a restore waits for the next start.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct BackupsOverview {
    pub folder: String,
    pub last_backup_at: Option<String>,
    pub backups: Vec<BackupInfo>,
    pub restore_pending: bool,
}

/// A restore that was checked and staged.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestoreOutcome {
    /// The restored file's schema version (an older one is migrated forward at open).
    pub schema: i64,
    /// True when it is already the database; false when it waits for Recupero's next start
    /// (another process had the database open).
    pub applied: bool,
    /// Where the replaced database was kept, when it was applied.
    pub kept: Option<String>,
}

/// A refused file is the owner's to fix (`invalid`); a failed write is storage trouble.
fn refusal(e: BackupError) -> EngineError {
    let why = match &e {
        BackupError::NotSqlite { .. } => "backup_not_sqlite",
        BackupError::NotRecupero { .. } => "backup_not_recupero",
        BackupError::Damaged { .. } => "backup_damaged",
        BackupError::Newer { .. } => "backup_newer",
        BackupError::Exists { .. } => "file_exists",
        BackupError::Write { .. } => "",
    };
    if e.is_refusal() || matches!(e, BackupError::Exists { .. }) {
        EngineError::refused(why, e.to_string())
    } else {
        EngineError::Storage(e.into())
    }
}

fn io(e: std::io::Error) -> EngineError {
    EngineError::Other(e.into())
}

fn info(path: &Path) -> Option<BackupInfo> {
    let name = path.file_name()?.to_str()?.to_string();
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let taken_at = meta.modified().ok().map(|t| crate::storage::ts(DateTime::<Utc>::from(t)));
    Some(BackupInfo { kind: BackupKind::of(&name), name, size_bytes: meta.len(), taken_at })
}

/// Stages `file` to replace the database of `paths` and applies it at once when no process has
/// the database open (then migrates it forward if it is older); `recupero restore`.
pub fn restore(paths: &AppPaths, file: &Path) -> EngineResult<RestoreOutcome> {
    paths.create_dirs()?;
    let db_path = paths.db_path();
    let schema = copies::stage_restore(file, &db_path).map_err(refusal)?;
    match copies::apply_pending_restore(&db_path).map_err(refusal)? {
        Restore::InUse => Ok(RestoreOutcome { schema, applied: false, kept: None }),
        Restore::Applied { kept } => {
            drop(Db::open(&db_path)?);
            Ok(RestoreOutcome { schema, applied: true, kept: kept.map(|k| k.display().to_string()) })
        }
        Restore::Refused { reason, .. } => Err(EngineError::Invalid(reason)),
        Restore::NonePending => Err(EngineError::Invalid("the staged restore disappeared".into())),
    }
}

/// Aborts the task when dropped: background work that ends with its caller.
pub(super) struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// `<data dir>/backups/`.
    pub fn backups_dir(&self) -> PathBuf {
        copies::backups_dir(self.db.path())
    }

    fn new_copy(&self, stem: &str) -> EngineResult<BackupInfo> {
        let dir = self.backups_dir();
        std::fs::create_dir_all(&dir).map_err(io)?;
        let dest = copies::free_name(&dir, stem);
        copies::copy_database(self.db.path(), &dest, false).map_err(refusal)?;
        info(&dest).ok_or_else(|| EngineError::Invalid(format!("the copy {} vanished", dest.display())))
    }

    /// "Back up now": a consistent copy `backups/manual-<UTC time>.db`.
    pub fn backup_now(&self) -> EngineResult<BackupInfo> {
        let stem = format!("manual-{}", self.clock.now().format("%Y-%m-%dT%H-%M-%SZ"));
        let made = self.new_copy(&stem)?;
        tracing::info!(name = made.name, "backup made");
        Ok(made)
    }

    /// A consistent copy into `dest` (`recupero backup --output`); an existing file is replaced
    /// only with `replace`. Returns the copy's size in bytes.
    pub fn backup_to(&self, dest: &Path, replace: bool) -> EngineResult<u64> {
        let same = |a: &Path, b: &Path| {
            a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
        };
        if same(dest, self.db.path()) {
            return Err(EngineError::refused(
                "backup_is_database",
                format!("{} is the database itself: choose another file for the copy", dest.display()),
            ));
        }
        copies::copy_database(self.db.path(), dest, replace).map_err(refusal)?;
        Ok(std::fs::metadata(dest).map_err(io)?.len())
    }

    /// Today's daily copy (`backups/daily-YYYY-MM-DD.db`, the engine clock's UTC date) if it
    /// is not there yet, then the oldest daily copies beyond [`DAILY_KEEP`] are deleted.
    /// Returns the copy made, if one was.
    pub fn daily_backup(&self) -> EngineResult<Option<BackupInfo>> {
        let stem = format!("daily-{}", self.clock.now().format("%Y-%m-%d"));
        let made = if self.backups_dir().join(format!("{stem}.db")).exists() {
            None
        } else {
            Some(self.new_copy(&stem)?)
        };
        let mut dailies: Vec<String> = self
            .list_backups()?
            .into_iter()
            .filter(|b| b.kind == BackupKind::Daily)
            .map(|b| b.name)
            .collect();
        dailies.sort();
        let extra = dailies.len().saturating_sub(DAILY_KEEP);
        for name in &dailies[..extra] {
            std::fs::remove_file(self.backups_dir().join(name)).map_err(io)?;
            tracing::info!(name, "old daily backup removed");
        }
        Ok(made)
    }

    /// One step of the background work: the daily copy, off the async threads (not in a demo).
    pub(super) async fn daily_backup_step(self: Arc<Self>) {
        if self.demo {
            return;
        }
        match tokio::task::spawn_blocking(move || self.daily_backup()).await {
            Ok(Ok(Some(made))) => tracing::info!(name = made.name, "daily backup made"),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the daily backup failed"),
            Err(e) => tracing::error!(error = %e, "the daily backup task panicked"),
        }
    }

    /// Every `.db` file in `backups/`, newest first.
    pub fn list_backups(&self) -> EngineResult<Vec<BackupInfo>> {
        let mut list: Vec<BackupInfo> = match std::fs::read_dir(self.backups_dir()) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "db"))
                .filter_map(|p| info(&p))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        list.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then_with(|| b.name.cmp(&a.name)));
        Ok(list)
    }

    /// When the latest copy in `backups/` was written.
    pub fn last_backup_at(&self) -> EngineResult<Option<String>> {
        Ok(self.list_backups()?.into_iter().filter_map(|b| b.taken_at).max())
    }

    pub fn backups_overview(&self) -> EngineResult<BackupsOverview> {
        let backups = self.list_backups()?;
        Ok(BackupsOverview {
            folder: self.backups_dir().display().to_string(),
            last_backup_at: backups.iter().filter_map(|b| b.taken_at.clone()).max(),
            backups,
            restore_pending: copies::pending_restore_path(self.db.path()).exists(),
        })
    }

    /// Checks and stages a restore from `source`: the name of a copy in `backups/`, or the full
    /// path of a file. It replaces the database the next time it is opened (this process has it
    /// open now): the app restarts for it. Returns the staged file's schema version.
    pub fn stage_restore(&self, source: &str) -> EngineResult<i64> {
        let source = source.trim();
        let listed = self.backups_dir().join(source);
        let is_name = !source.is_empty() && Path::new(source).file_name() == Some(source.as_ref());
        let file = if is_name && listed.is_file() {
            listed
        } else if Path::new(source).is_absolute() {
            PathBuf::from(source)
        } else {
            return Err(EngineError::Invalid(format!(
                "{source:?} is neither a copy in {} nor a full path to a file",
                self.backups_dir().display()
            )));
        };
        let schema = copies::stage_restore(&file, self.db.path()).map_err(refusal)?;
        tracing::info!(file = %file.display(), schema, "restore staged for the next start");
        Ok(schema)
    }
}
