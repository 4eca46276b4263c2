//! IPC command for "Register with WhatsApp" (onboarding's webhook step and Settings → WhatsApp):
//! the owner's public address plus the secret path becomes the number's webhook with Meta.
//! Always the owner's engine: the webhook is never the demo's.

use std::sync::Arc;

use tauri::State;

use super::commands::IpcError;
use super::engines::{Engines, Whose};
use crate::engine::WebhookRegistration;

/// Registers `public_url` (the tunnel's https address) with WhatsApp and subscribes the app;
/// a refusal by Meta comes back as `ok: false` with the reason, and changes nothing.
#[tauri::command]
pub async fn webhook_register(
    engine: State<'_, Arc<Engines>>,
    public_url: String,
) -> Result<WebhookRegistration, IpcError> {
    let engine = engine.of(Whose::Owner);
    engine.register_webhook(&public_url).await.map_err(IpcError::from)
}
