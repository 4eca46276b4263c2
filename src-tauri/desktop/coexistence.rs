//! IPC commands for Coexistence health (Settings → WhatsApp and the banner): check the number's
//! link with the WhatsApp Business app now, and the owner's "Import chat history" click (allowed
//! only when never asked or after a refusal). Always the owner's engine.

use std::sync::Arc;

use tauri::State;

use super::commands::IpcError;
use super::engines::{Engines, Whose};
use crate::engine::CoexistenceHealth;

/// Reads `is_on_biz_app`/`platform_type` now.
#[tauri::command]
pub async fn coexistence_check(engine: State<'_, Arc<Engines>>) -> Result<CoexistenceHealth, IpcError> {
    engine.of(Whose::Owner).check_coexistence().await.map_err(IpcError::from)
}

/// The owner asks the phone for its contacts and chat history (once; again only after a refusal).
#[tauri::command]
pub async fn coexistence_request_history(
    engine: State<'_, Arc<Engines>>,
) -> Result<CoexistenceHealth, IpcError> {
    engine.of(Whose::Owner).request_history(true).await.map_err(IpcError::from)
}
