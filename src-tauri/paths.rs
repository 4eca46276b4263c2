//! Where Recupero keeps its files: the OS app-data directory by default (for example
//! `~/.local/share/recupero` on Linux), or the folder given with `--data-dir` /
//! `RECUPERO_DATA_DIR`. The database and the logs live there.

use std::path::{Path, PathBuf};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "recupero.sqlite3";

#[derive(Debug, Clone)]
pub struct AppPaths {
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl AppPaths {
    /// With an explicit folder, everything lives under it (logs in `logs/`); otherwise the OS's
    /// data directory and its log/state directory.
    pub fn resolve(data_dir: Option<&Path>) -> anyhow::Result<AppPaths> {
        if let Some(dir) = data_dir {
            return Ok(AppPaths { data_dir: dir.to_path_buf(), log_dir: dir.join("logs") });
        }
        let dirs = directories::ProjectDirs::from("app", "recupero", "recupero").ok_or_else(|| {
            anyhow::anyhow!("could not find a home directory for the app data; pass --data-dir")
        })?;
        let log_dir =
            dirs.state_dir().map(|d| d.join("logs")).unwrap_or_else(|| dirs.data_local_dir().join("logs"));
        Ok(AppPaths { data_dir: dirs.data_dir().to_path_buf(), log_dir })
    }

    /// Where a demo (the app's live one and `recupero demo`) keeps its database: the `demo/`
    /// folder beside the owner's database, never in it; the logs stay where they are.
    pub fn demo(&self) -> AppPaths {
        AppPaths { data_dir: self.data_dir.join("demo"), log_dir: self.log_dir.clone() }
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }

    pub fn create_dirs(&self) -> anyhow::Result<()> {
        use anyhow::Context;
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("while creating the data directory {}", self.data_dir.display()))?;
        std::fs::create_dir_all(&self.log_dir)
            .with_context(|| format!("while creating the log directory {}", self.log_dir.display()))?;
        Ok(())
    }
}
