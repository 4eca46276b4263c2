//! `recupero backup --output FILE` and `recupero restore FILE`.
//!
//! A backup is a consistent copy (SQLite's `VACUUM INTO`), safe while the app runs. A restore
//! checks the file (a Recupero database, undamaged, not from a newer version), stages it beside
//! the database and applies it at once when no process has the database open; while the app
//! (or `serve`) runs, it waits for Recupero's next start. Whether a process has it open is asked
//! of SQLite's own file lock, which every open connection holds: unlike the desktop's
//! single-instance name (D-Bus, Linux, the window and tray processes only), it covers `serve`
//! and CLI commands too, on every OS, for this data directory only.

use std::path::Path;
use std::process::ExitCode;

use crate::engine::backup::{restore as restore_file, DAILY_KEEP};
use crate::engine::Engine;
use crate::paths::AppPaths;
use crate::storage::backup::{BACKUPS_DIR, RESTORE_PENDING};

pub fn backup(engine: &Engine, output: &Path, force: bool) -> anyhow::Result<ExitCode> {
    let bytes = engine.backup_to(output, force)?;
    println!("Backed up the database to {} ({} KiB).", output.display(), bytes.div_ceil(1024));
    println!(
        "Secrets are not in it (store tokens and keys, the WhatsApp token, the app secret): they \
         stay in this computer's keychain."
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restore(paths: &AppPaths, file: &Path) -> anyhow::Result<ExitCode> {
    let outcome = restore_file(paths, file)?;
    if outcome.applied {
        println!("Restored {} (schema {}).", file.display(), outcome.schema);
        match &outcome.kept {
            Some(kept) => println!("The previous database was kept as {kept}."),
            None => println!("There was no database before in {}.", paths.data_dir.display()),
        }
    } else {
        println!(
            "Recupero is running (another process has the database open), so the restore was \
             checked and staged as {}.",
            paths.data_dir.join(RESTORE_PENDING).display()
        );
        println!(
            "Quit Recupero (tray menu → Quit, or stop `recupero serve`) and start it again: the \
             restore is applied before it opens the database, and the current database is kept \
             in {}.",
            paths.data_dir.join(BACKUPS_DIR).display()
        );
    }
    println!(
        "Secrets are not in a backup: enter the store credentials, the WhatsApp token and the app \
         secret again if this is a new computer (Settings, or `recupero secret set`). Automatic \
         copies: {} (one a day, the last {DAILY_KEEP} days; one before each update).",
        paths.data_dir.join(BACKUPS_DIR).display()
    );
    Ok(ExitCode::SUCCESS)
}
