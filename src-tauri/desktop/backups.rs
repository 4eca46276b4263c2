//! The Settings section "Backups": back up now, the list of copies with the last one's time, and
//! "Restore…". Always on the owner's engine (a live demo has nothing to back up).
//!
//! A restore is checked and staged while this process keeps the database open; it is applied
//! before the database is opened again (`storage::backup`). So after staging, the app restarts:
//! on Linux by handing over to a new window process, which waits for this one to end before it
//! opens the database (see `native::handover`); elsewhere the predecessor cannot be waited for,
//! so the owner is asked to quit from the tray and open Recupero again.

use std::sync::Arc;

use tauri::{AppHandle, Runtime, State};

use super::commands::IpcError;
use super::engines::Engines;
use crate::engine::backup::{BackupInfo, BackupsOverview};
use crate::engine::{Engine, EngineResult};
use crate::native::handover;

async fn on_owner<T: Send + 'static>(
    engines: &State<'_, Arc<Engines>>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Result<T, IpcError> {
    let engine = engines.real();
    tauri::async_runtime::spawn_blocking(move || f(&engine))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

/// Where the copies are, the last one's time, every copy newest first, a restore waiting.
#[tauri::command]
pub async fn backups_overview(engines: State<'_, Arc<Engines>>) -> Result<BackupsOverview, IpcError> {
    on_owner(&engines, |e| e.backups_overview()).await
}

/// "Back up now": a consistent copy into the backups folder.
#[tauri::command]
pub async fn backup_now(engines: State<'_, Arc<Engines>>) -> Result<BackupInfo, IpcError> {
    on_owner(&engines, |e| e.backup_now()).await
}

/// Checks and stages `source` (a listed copy's name, or a full path) to replace the database at
/// the next start; answers its schema version. Nothing is replaced yet.
#[tauri::command]
pub async fn backup_restore(engines: State<'_, Arc<Engines>>, source: String) -> Result<i64, IpcError> {
    on_owner(&engines, move |e| e.stage_restore(&source)).await
}

/// Restarts the app so a staged restore is applied: true when this process is handing over to a
/// new one (and exits), false when the owner has to quit and open Recupero again.
#[tauri::command]
pub fn backup_restart<R: Runtime>(app: AppHandle<R>) -> bool {
    let can = cfg!(target_os = "linux") && handover::window_binary().is_some();
    if can {
        tracing::info!("restarting to apply the staged restore");
        super::hand_over(&app, super::Mode::Window);
    }
    can
}
