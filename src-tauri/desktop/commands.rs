//! IPC commands: convert the input, call one engine method off the main thread, return
//! `Result<T, IpcError>`. Errors reach the UI as `{code, message}` with codes it knows.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use crate::config::SettingView;
use crate::engine::{AppStatus, CartTimeline, Engine, EngineError, EngineResult};
use crate::storage::carts::{CartFilter, CartRow};
use crate::storage::conversations::ConversationRow;
use crate::storage::stores::StoreRow;
use crate::stores::{StoreCheckReport, StoreInput};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        IpcError { code: e.code().to_string(), message: e.to_string() }
    }
}

type Ipc<T> = Result<T, IpcError>;

/// Database work runs on the blocking pool, never on the UI thread.
async fn blocking<T: Send + 'static>(
    engine: &State<'_, Arc<Engine>>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Ipc<T> {
    let engine = engine.inner().clone();
    tauri::async_runtime::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| IpcError { code: "internal".into(), message: e.to_string() })?
        .map_err(IpcError::from)
}

#[tauri::command]
pub async fn app_status(engine: State<'_, Arc<Engine>>) -> Ipc<AppStatus> {
    blocking(&engine, |e| e.status()).await
}

#[tauri::command]
pub async fn set_paused(engine: State<'_, Arc<Engine>>, paused: bool) -> Ipc<AppStatus> {
    blocking(&engine, move |e| e.set_paused(paused)).await
}

#[tauri::command]
pub async fn settings_show(engine: State<'_, Arc<Engine>>) -> Ipc<Vec<SettingView>> {
    blocking(&engine, |e| e.settings_show()).await
}

#[tauri::command]
pub async fn settings_set(
    engine: State<'_, Arc<Engine>>,
    key: String,
    value: String,
) -> Ipc<Vec<SettingView>> {
    blocking(&engine, move |e| {
        e.setting_set(&key, &value)?;
        e.settings_show()
    })
    .await
}

#[tauri::command]
pub async fn list_carts(
    engine: State<'_, Arc<Engine>>,
    status: Option<String>,
    search: Option<String>,
) -> Ipc<Vec<CartRow>> {
    blocking(&engine, move |e| e.list_carts(&CartFilter { status, search, limit: None })).await
}

/// A cart's timeline, with why it was not messaged when it wasn't.
#[tauri::command]
pub async fn cart_timeline(engine: State<'_, Arc<Engine>>, cart_id: i64) -> Ipc<CartTimeline> {
    blocking(&engine, move |e| e.cart_timeline(cart_id)).await
}

#[tauri::command]
pub async fn list_conversations(engine: State<'_, Arc<Engine>>) -> Ipc<Vec<ConversationRow>> {
    blocking(&engine, |e| e.inbox(500)).await
}

#[tauri::command]
pub async fn start_demo(engine: State<'_, Arc<Engine>>) -> Ipc<AppStatus> {
    blocking(&engine, |_| {
        Err(EngineError::NotReady {
            what: "The demo (sandbox store and WhatsApp, arriving with the send-plan issue)",
        })
    })
    .await
}

/// "Test connection": polls the store with the credentials typed (or saved) and saves nothing.
#[tauri::command]
pub async fn store_test(engine: State<'_, Arc<Engine>>, input: StoreInput) -> Ipc<StoreCheckReport> {
    let engine = engine.inner().clone();
    engine.store_check(&input, crate::engine::CHECK_PREVIEW_LIMIT).await.map_err(IpcError::from)
}

/// Saves the store; credentials go to the OS keychain and never come back.
#[tauri::command]
pub async fn store_connect(engine: State<'_, Arc<Engine>>, input: StoreInput) -> Ipc<StoreRow> {
    blocking(&engine, move |e| e.connect_store(&input)).await
}

#[tauri::command]
pub async fn list_stores(engine: State<'_, Arc<Engine>>) -> Ipc<Vec<StoreRow>> {
    blocking(&engine, |e| e.list_stores()).await
}
