//! IPC commands: convert the input, call one engine method off the main thread, return
//! `Result<T, IpcError>`. Errors reach the UI as `{code, message, error}`: the engine's code to
//! branch on, the English text, and the error as the window words it (`UiError`).
//!
//! While a live demo runs, each command acts on one of two engines (`Whose`):
//! - the owner's (`Whose::Owner`), whatever the window shows: the pause switch (`set_paused`,
//!   and `sending_paused` through `settings_set`) — the one thing that protects the real
//!   customers at once, so it never lands on the demo by mistake —, the app's preferences
//!   (language, start at login), the store, WhatsApp, the secrets and the webhook;
//! - the shown one (`Whose::Shown`: the demo's while it runs): what the screens read (status
//!   counts, carts, conversations, results, settings, previews) and every action on something
//!   picked on them (a cart, a conversation, a draft): its id comes from the demo's database,
//!   and on the owner's the same id would be another, real customer.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use crate::config::SettingView;
use crate::engine::{ConversationDetail, Engine, EngineError, EngineResult, MessagePreview};
use crate::events::AppStatus;
use crate::ui_error::{UiError, UiErrorCode};

use super::engines::{Engines, Whose};
use crate::storage::conversations::ConversationRow;
use crate::storage::messages::MessageRow;
use crate::storage::shops::StoreRow;
use crate::stores::{StoreCheckReport, StoreInput};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    /// What the window shows: a code in the owner's language, the English text on click.
    pub error: UiError,
}

impl IpcError {
    /// A fault of the app itself (a task that ended badly), not of the owner's data.
    pub fn internal(message: impl ToString) -> IpcError {
        let message = message.to_string();
        IpcError { code: "internal".into(), error: UiError::new(UiErrorCode::Internal, &message), message }
    }
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        IpcError { code: e.code().to_string(), message: e.to_string(), error: e.ui() }
    }
}

pub(super) type Ipc<T> = Result<T, IpcError>;

/// Database work runs on the blocking pool, never on the UI thread. On the engine the app
/// shows: the demo's while one runs, else the owner's.
pub(super) async fn blocking<T: Send + 'static>(
    engine: &State<'_, Arc<Engines>>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Ipc<T> {
    on_blocking(engine.of(Whose::Shown), f).await
}

/// The same on the owner's own engine: connections (store, WhatsApp, secrets, webhook) are never
/// the demo's business, and the pause switch is always the owner's.
async fn blocking_real<T: Send + 'static>(
    engine: &State<'_, Arc<Engines>>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Ipc<T> {
    on_blocking(engine.of(Whose::Owner), f).await
}

/// Work on the blocking pool that needs both engines (the status with the owner's switch).
async fn blocking_both<T: Send + 'static>(
    engines: &State<'_, Arc<Engines>>,
    f: impl FnOnce(&Engines) -> EngineResult<T> + Send + 'static,
) -> Ipc<T> {
    let engines = engines.inner().clone();
    tauri::async_runtime::spawn_blocking(move || f(&engines))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

async fn on_blocking<T: Send + 'static>(
    engine: Arc<Engine>,
    f: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> Ipc<T> {
    tauri::async_runtime::spawn_blocking(move || f(&engine))
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}

#[tauri::command]
pub async fn app_status(engine: State<'_, Arc<Engines>>) -> Ipc<AppStatus> {
    blocking_both(&engine, |e| e.status()).await
}

/// Pauses or resumes the owner's sending, during a demo too.
#[tauri::command]
pub async fn set_paused(engine: State<'_, Arc<Engines>>, paused: bool) -> Ipc<AppStatus> {
    blocking_both(&engine, move |e| e.set_paused(paused)).await
}

#[tauri::command]
pub async fn settings_show(engine: State<'_, Arc<Engines>>) -> Ipc<Vec<SettingView>> {
    blocking(&engine, |e| e.settings_show()).await
}

#[tauri::command]
pub async fn settings_set(
    engine: State<'_, Arc<Engines>>,
    key: String,
    value: String,
) -> Ipc<Vec<SettingView>> {
    // The app's own preferences (language, start at login) belong to the owner's engine, even
    // when changed during a demo; the demo follows the language too.
    if key.trim() == "sending_paused" {
        blocking_real(&engine, move |e| e.setting_set(&key, &value).map(|_| ())).await?;
        return blocking(&engine, |e| e.settings_show()).await;
    }
    if APP_PREFERENCES.contains(&key.as_str()) {
        let shown = engine.of(Whose::Shown);
        let (k, v) = (key.clone(), value.clone());
        blocking_real(&engine, move |e| e.setting_set(&k, &v).map(|_| ())).await?;
        if !Arc::ptr_eq(&shown, &engine.of(Whose::Owner)) {
            on_blocking(shown, move |e| e.setting_set(&key, &value).map(|_| ())).await?;
        }
        return blocking(&engine, |e| e.settings_show()).await;
    }
    blocking(&engine, move |e| {
        e.setting_set(&key, &value)?;
        e.settings_show()
    })
    .await
}

/// The recovery message as a customer would receive it, in `language` (`es`, `pt_BR`, `en`;
/// none: the app's language), with what would stop it.
#[tauri::command]
pub async fn message_preview(
    engine: State<'_, Arc<Engines>>,
    language: Option<String>,
) -> Ipc<MessagePreview> {
    blocking(&engine, move |e| e.message_preview(language.as_deref())).await
}

/// The preview's image header (the first product's picture) as a `data:` address; none when
/// the message has no image header or the picture can't be used.
#[tauri::command]
pub async fn preview_picture(
    engine: State<'_, Arc<Engines>>,
    language: Option<String>,
) -> Ipc<Option<String>> {
    engine.of(Whose::Shown).preview_picture(language.as_deref()).await.map_err(IpcError::from)
}

/// Settings of the app itself rather than of a shop.
const APP_PREFERENCES: [&str; 2] = ["ui_language", "autostart"];

/// The inbox list (escalated, then unread, then latest), searched by name, number or words.
#[tauri::command]
pub async fn list_conversations(
    engine: State<'_, Arc<Engines>>,
    search: Option<String>,
    limit: Option<u32>,
) -> Ipc<Vec<ConversationRow>> {
    blocking(&engine, move |e| e.conversations(search.as_deref(), limit.unwrap_or(10_000))).await
}

#[tauri::command]
pub async fn conversation_detail(
    engine: State<'_, Arc<Engines>>,
    conversation_id: i64,
) -> Ipc<ConversationDetail> {
    blocking(&engine, move |e| e.conversation_detail(conversation_id)).await
}

#[tauri::command]
pub async fn mark_read(engine: State<'_, Arc<Engines>>, conversation_id: i64) -> Ipc<()> {
    blocking(&engine, move |e| e.mark_read(conversation_id)).await
}

/// The owner's free-text reply (inside the 24-hour window only).
#[tauri::command]
pub async fn send_reply(
    engine: State<'_, Arc<Engines>>,
    conversation_id: i64,
    text: String,
) -> Ipc<MessageRow> {
    let engine = engine.of(Whose::Shown);
    engine.send_text(conversation_id, &text).await.map_err(IpcError::from)
}

/// The recovery template for the customer's latest cart (when the window is closed).
#[tauri::command]
pub async fn send_template(
    engine: State<'_, Arc<Engines>>,
    conversation_id: i64,
    language: Option<String>,
) -> Ipc<MessageRow> {
    let engine = engine.of(Whose::Shown);
    engine.send_template(conversation_id, language.as_deref()).await.map_err(IpcError::from)
}

/// Take over (automation stays away from this customer) or hand back.
#[tauri::command]
pub async fn set_takeover(
    engine: State<'_, Arc<Engines>>,
    conversation_id: i64,
    taken: bool,
) -> Ipc<ConversationDetail> {
    blocking(&engine, move |e| {
        e.set_takeover(conversation_id, taken)?;
        e.conversation_detail(conversation_id)
    })
    .await
}

/// One click: the draft (or the owner's edit of it) goes out now.
#[tauri::command]
pub async fn approve_draft(
    engine: State<'_, Arc<Engines>>,
    draft_id: i64,
    text: Option<String>,
) -> Ipc<MessageRow> {
    let engine = engine.of(Whose::Shown);
    engine.approve_draft(draft_id, text.as_deref()).await.map_err(IpcError::from)
}

#[tauri::command]
pub async fn discard_draft(engine: State<'_, Arc<Engines>>, draft_id: i64) -> Ipc<()> {
    blocking(&engine, move |e| e.discard_draft(draft_id)).await
}

/// The Results figures for a period (shop dates or RFC 3339; none = the last 30 days).
#[tauri::command]
pub async fn results(
    engine: State<'_, Arc<Engines>>,
    from: Option<String>,
    to: Option<String>,
) -> Ipc<crate::metrics::Metrics> {
    blocking(&engine, move |e| e.metrics_for_text(from.as_deref(), to.as_deref())).await
}

#[tauri::command]
pub async fn results_csv(
    engine: State<'_, Arc<Engines>>,
    from: Option<String>,
    to: Option<String>,
) -> Ipc<String> {
    blocking(&engine, move |e| e.metrics_csv_for_text(from.as_deref(), to.as_deref())).await
}

#[tauri::command]
pub async fn rate_table(engine: State<'_, Arc<Engines>>) -> Ipc<crate::metrics::RateTable> {
    blocking(&engine, |e| e.rate_table()).await
}

#[tauri::command]
pub async fn rate_table_set(
    engine: State<'_, Arc<Engines>>,
    rates: Vec<crate::metrics::RateRow>,
) -> Ipc<crate::metrics::RateTable> {
    blocking(&engine, move |e| e.set_rate_table(rates)).await
}

/// "Try the demo": a live demo on the sandbox store and WhatsApp, in a database of its own;
/// the app shows it (marked as demo) until `stop_demo`.
#[tauri::command]
pub async fn start_demo(engine: State<'_, Arc<Engines>>) -> Ipc<AppStatus> {
    engine.start_demo().await.map_err(IpcError::from)
}

/// Ends the demo: its engine stops and the app shows the owner's own shop again.
#[tauri::command]
pub async fn stop_demo(engine: State<'_, Arc<Engines>>) -> Ipc<AppStatus> {
    engine.stop_demo().await.map_err(IpcError::from)
}

/// "Test connection": polls the store with the credentials typed (or saved) and saves nothing.
#[tauri::command]
pub async fn store_test(engine: State<'_, Arc<Engines>>, input: StoreInput) -> Ipc<StoreCheckReport> {
    let engine = engine.of(Whose::Owner);
    engine.store_check(&input, crate::engine::CHECK_PREVIEW_LIMIT).await.map_err(IpcError::from)
}

/// Saves the store; credentials go to the OS keychain and never come back.
#[tauri::command]
pub async fn store_connect(engine: State<'_, Arc<Engines>>, input: StoreInput) -> Ipc<StoreRow> {
    blocking_real(&engine, move |e| e.connect_store(&input)).await
}

#[tauri::command]
pub async fn list_stores(engine: State<'_, Arc<Engines>>) -> Ipc<Vec<StoreRow>> {
    blocking_real(&engine, |e| e.list_stores()).await
}

/// Which secrets are set (never their values).
#[tauri::command]
pub async fn secret_states(engine: State<'_, Arc<Engines>>) -> Ipc<Vec<crate::engine::SecretState>> {
    blocking_real(&engine, |e| e.secret_states()).await
}

/// Replaces the WhatsApp token, the app secret or the assistant's key (write-only).
#[tauri::command]
pub async fn secret_set(
    engine: State<'_, Arc<Engines>>,
    name: String,
    value: String,
) -> Ipc<Vec<crate::engine::SecretState>> {
    blocking_real(&engine, move |e| e.set_app_secret(&name, &value)).await
}

/// "Check connection": the number and token work, and the account's templates.
#[tauri::command]
pub async fn whatsapp_check(engine: State<'_, Arc<Engines>>) -> Ipc<crate::engine::WhatsAppCheck> {
    let engine = engine.of(Whose::Owner);
    engine.whatsapp_check().await.map_err(IpcError::from)
}

#[tauri::command]
pub async fn whatsapp_create_template(
    engine: State<'_, Arc<Engines>>,
    button_url: String,
) -> Ipc<Vec<crate::storage::templates::TemplateRow>> {
    let engine = engine.of(Whose::Owner);
    engine.whatsapp_create_template(&button_url).await.map_err(IpcError::from)
}

#[tauri::command]
pub async fn webhook_info(engine: State<'_, Arc<Engines>>) -> Ipc<crate::engine::WebhookInfo> {
    blocking_real(&engine, |e| e.webhook_info()).await
}

/// Onboarding: the recovery template with example values to the owner's own phone.
#[tauri::command]
pub async fn whatsapp_test_message(engine: State<'_, Arc<Engines>>, phone: String) -> Ipc<String> {
    let engine = engine.of(Whose::Owner);
    engine.send_test_message(&phone).await.map_err(IpcError::from)
}

/// Where the window should go now (a clicked notification), once; `None` most of the time.
#[tauri::command]
pub fn take_route(shell: State<'_, Arc<super::Shell>>) -> Option<crate::events::Route> {
    shell.take_route()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::StoreError;

    #[test]
    fn a_command_error_carries_the_engine_code_its_text_and_the_worded_error() {
        let e = EngineError::Store(StoreError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(2)),
        });
        let text = e.to_string();
        assert_eq!(
            serde_json::to_value(IpcError::from(e)).unwrap(),
            serde_json::json!({
                "code": "store_unreachable",
                "message": text,
                "error": {"code": "store_rate_limited", "params": {"retry_after": "2"}, "detail": text},
            })
        );
        let internal = serde_json::to_value(IpcError::internal("task panicked")).unwrap();
        assert_eq!(internal["error"]["code"], "internal");
        assert_eq!(internal["error"]["detail"], "task panicked");
    }
}
