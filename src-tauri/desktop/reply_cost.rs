//! IPC commands for what sending costs: the inbox composer's cost line (a typed reply from
//! Recupero, the same reply free from the phone app, the monthly cap's state) and the cap alone.
//! On the engine the window shows (the demo's while one runs).

use std::sync::Arc;

use tauri::State;

use super::commands::{blocking, Ipc};
use super::engines::Engines;
use crate::metrics::reply_cost::ReplyCost;
use crate::metrics::spend::SpendCapStatus;

/// What one typed reply in this conversation costs when sent from Recupero now.
#[tauri::command]
pub async fn reply_cost(engine: State<'_, Arc<Engines>>, conversation_id: i64) -> Ipc<ReplyCost> {
    blocking(&engine, move |e| e.reply_cost(conversation_id)).await
}

/// The month's estimated spend against `monthly_spend_cap_usd`.
#[tauri::command]
pub async fn spend_cap_status(engine: State<'_, Arc<Engines>>) -> Ipc<SpendCapStatus> {
    blocking(&engine, |e| e.spend_cap_status()).await
}
