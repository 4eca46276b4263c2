//! IPC commands for the webhook deliveries set aside (quarantined): what Settings' webhook panel
//! shows, and its "Retry". Always the owner's engine: the webhook is never the demo's.

use std::sync::Arc;

use tauri::State;

use super::commands::IpcError;
use super::engines::{Engines, Whose};
use crate::engine::webhooks::QuarantinedDeliveries;
use crate::engine::{Engine, EngineResult};

async fn on_owner<T: Send + 'static>(
    engines: &State<'_, Arc<Engines>>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Result<T, IpcError> {
    let engine = engines.of(Whose::Owner);
    tauri::async_runtime::spawn_blocking(move || f(&engine))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

/// How many deliveries are quarantined, the oldest's arrival, the last error, the recent ones.
#[tauri::command]
pub async fn quarantined_deliveries(
    engine: State<'_, Arc<Engines>>,
) -> Result<QuarantinedDeliveries, IpcError> {
    on_owner(&engine, |e| e.quarantined_deliveries()).await
}

/// "Retry": every quarantined delivery back in line; returns what is still quarantined (none
/// until the next round has tried them).
#[tauri::command]
pub async fn retry_deliveries(engine: State<'_, Arc<Engines>>) -> Result<QuarantinedDeliveries, IpcError> {
    on_owner(&engine, |e| {
        e.retry_quarantined_deliveries()?;
        e.quarantined_deliveries()
    })
    .await
}
