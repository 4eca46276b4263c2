//! The desktop shell, and the only module that imports tauri: one window showing the UI, the
//! tray, native notifications, single instance and start-at-login. No business rule lives here:
//! commands call one engine method each, and engine events are mapped to the webview, the tray
//! and notifications in `bridge.rs`.
//!
//! Closing the window destroys it (releasing the webview and its WebKit processes) while the
//! engine keeps running in the tray; "Open" recreates it.

mod bridge;
pub mod commands;
mod engines;

mod tray;
mod window;

use std::sync::Arc;

use tauri::{Manager, RunEvent, Runtime};

use crate::engine::Engine;

/// The app's IPC commands. Generic so tests can mount the real list on tauri's mock runtime.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_status,
        commands::set_paused,
        commands::settings_show,
        commands::settings_set,
        commands::list_carts,
        commands::cart_timeline,
        commands::cart_stores,
        commands::cart_send_now,
        commands::cart_stop,
        commands::cart_retry,
        commands::list_conversations,
        commands::conversation_detail,
        commands::mark_read,
        commands::send_reply,
        commands::send_template,
        commands::set_takeover,
        commands::approve_draft,
        commands::discard_draft,
        commands::results,
        commands::results_csv,
        commands::rate_table,
        commands::rate_table_set,
        commands::secret_states,
        commands::secret_set,
        commands::whatsapp_check,
        commands::whatsapp_create_template,
        commands::webhook_info,
        commands::whatsapp_test_message,
        commands::start_demo,
        commands::stop_demo,
        commands::store_test,
        commands::store_connect,
        commands::list_stores,
    ])
}

/// tauri.conf.json, the icons and the embedded UI.
pub fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!("tauri.conf.json")
}

/// Runs the desktop app until the owner quits from the tray. Returns once the event loop ends.
pub fn run(engine: Arc<Engine>) -> anyhow::Result<()> {
    let engines = Arc::new(engines::Engines::new(engine.clone()));
    let builder = tauri::Builder::default()
        // First, so a second launch only raises the running app's window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Err(e) = window::show(app) {
                tracing::warn!(error = %e, "could not raise the window for a second launch");
            }
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .manage(engines.clone());
    let app = with_commands(builder)
        .setup(move |app| {
            let handle = app.handle().clone();
            tray::create(&handle, &engine)?;
            window::show(&handle)?;
            bridge::start(handle.clone(), engine.clone(), true);
            engines.set_forward(Box::new(move |demo| Some(bridge::start(handle.clone(), demo, false))));
            // The engine's background work (store polling, sending, the webhook receiver, the
            // conversation step) runs for as long as the app does, window open or not.
            let background = engine.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = background.run_until_stopped(std::future::pending::<()>()).await {
                    tracing::error!(error = %e, "the engine's background work stopped");
                }
            });
            Ok(())
        })
        .build(context())?;
    let code = app.run_return(|app, event| match event {
        // The last window closed: stay in the tray. An explicit quit carries an exit code.
        RunEvent::ExitRequested { api, code: None, .. } => {
            api.prevent_exit();
            tracing::info!("window closed; Recupero keeps running in the tray");
        }
        RunEvent::Exit => {
            if let Some(engines) = app.try_state::<Arc<engines::Engines>>() {
                if let Err(e) = engines.real().db().checkpoint() {
                    tracing::warn!(error = %e, "final checkpoint failed");
                }
            }
        }
        _ => {}
    });
    tracing::info!(code, "desktop app stopped");
    Ok(())
}
