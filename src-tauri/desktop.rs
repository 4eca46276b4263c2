//! The desktop shell, and the only module that imports tauri: one window showing the UI, the
//! tray, native notifications, single instance and start-at-login. No business rule lives here:
//! commands call one engine method each, and engine events are mapped to the webview, the tray
//! and notifications in `bridge.rs`.
//!
//! Closing the window hands the app over to the tray-only process (`recupero-tray`, see
//! `native::tray_only`), which never links WebKit, so the app resident in the tray holds no
//! WebKit process, library or webview heap; "Open" there hands back to a process with the
//! window. Single instance holds throughout: a successor waits for its predecessor to end
//! before it starts. Without the tray binary next to this one (e.g. after `cargo run`), the
//! window closes and this process stays in the tray.

mod backups;
mod bridge;
pub mod carts;
mod coexistence;
pub mod commands;
mod deliveries;
mod engines;
mod navigation;
mod reply_cost;
pub mod startup_failure;
mod tray;
pub mod updater;
mod webhook_registration;
mod window;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::engine::Engine;
use crate::events::Route;
use crate::launch::Launch;
pub use crate::native::handover::Mode;
use crate::native::handover::{self, spawn_successor};

/// The app's IPC commands. Generic so tests can mount the real list on tauri's mock runtime.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_status,
        commands::set_paused,
        commands::settings_show,
        commands::settings_set,
        commands::message_preview,
        commands::preview_picture,
        carts::list_carts,
        carts::cart_timeline,
        carts::cart_stores,
        carts::cart_send_now,
        carts::cart_stop,
        carts::cart_retry,
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
        webhook_registration::webhook_register,
        coexistence::coexistence_check,
        coexistence::coexistence_request_history,
        deliveries::quarantined_deliveries,
        deliveries::retry_deliveries,
        commands::whatsapp_test_message,
        commands::start_demo,
        commands::stop_demo,
        commands::take_route,
        commands::store_test,
        commands::store_connect,
        commands::list_stores,
        backups::backups_overview,
        backups::backup_now,
        backups::backup_restore,
        backups::backup_restart,
        updater::update_status,
        updater::update_check,
        updater::update_install,
        updater::update_restart,
        reply_cost::reply_cost,
        reply_cost::spend_cap_status,
    ])
}

/// tauri.conf.json, the icons and the embedded UI.
pub fn context() -> tauri::Context<tauri::Wry> {
    tauri::generate_context!("tauri.conf.json")
}

/// The shell's own state: its mode, how to launch a successor, and the engine's stop switch.
pub struct Shell {
    mode: Mode,
    launch: Launch,
    /// Where the window should go once its UI asks (a clicked notification).
    pending_route: Mutex<Option<Route>>,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    background: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    handing_over: AtomicBool,
}

impl Shell {
    /// The route the window should show, once (the UI asks when it starts and when told).
    pub(crate) fn take_route(&self) -> Option<Route> {
        self.pending_route.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// "Open" (tray menu, tray click, a second launch): raises the window, or — in the tray-only
/// process — hands over to a full app process that shows it.
pub(crate) fn open_window(app: &AppHandle) {
    let mode = app.try_state::<Arc<Shell>>().map_or(Mode::Window, |s| s.mode);
    match mode {
        Mode::Window => {
            if let Err(e) = window::show(app) {
                tracing::warn!(error = %e, "could not open the window");
            }
        }
        Mode::Tray => hand_over(app, Mode::Window),
    }
}

/// A clicked notification: the window opens on that conversation or setting. Linux only: the
/// notification plugin used elsewhere has no click callback.
#[cfg(target_os = "linux")]
pub(crate) fn open_route(app: &AppHandle, route: Route) {
    use tauri::Emitter as _;
    if let Some(shell) = app.try_state::<Arc<Shell>>() {
        *shell.pending_route.lock().unwrap_or_else(PoisonError::into_inner) = Some(route.clone());
    }
    open_window(app);
    // A window already showing follows at once; a new one takes the route when it starts.
    if let Err(e) = app.emit(bridge::EVENT_NAME, crate::events::EngineEvent::Navigate { route }) {
        tracing::warn!(error = %e, "could not tell the window where to go");
    }
}

/// Ends this process in favour of one in `to` mode (`Mode::Tray`: the `recupero-tray` binary): stops the engine's background work
/// cleanly (no send is left half-done by choice), starts the successor — which waits for this
/// process to end before it takes the single-instance lock and the webhook port — and exits.
fn hand_over<R: Runtime>(app: &AppHandle<R>, to: Mode) {
    let Some(shell) = app.try_state::<Arc<Shell>>().map(|s| s.inner().clone()) else { return };
    if shell.handing_over.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let stop = shell.stop.lock().unwrap_or_else(PoisonError::into_inner).take();
        let background = shell.background.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let (Some(stop), Some(background)) = (stop, background) {
            let _ = stop.send(());
            if tokio::time::timeout(std::time::Duration::from_secs(15), background).await.is_err() {
                tracing::warn!("the engine did not stop within 15 s; handing over anyway");
            }
        }
        let route = shell.take_route();
        match spawn_successor(&shell.launch, to, route.as_ref()) {
            Ok(pid) => tracing::info!(pid, ?to, "handed over to a new app process"),
            Err(e) => {
                // Nobody to hand over to: stay, with the engine stopped, rather than vanish.
                tracing::error!(error = %e, "could not start the successor; quitting");
            }
        }
        app.exit(0);
    });
}

/// Runs the desktop app until the owner quits from the tray (or it hands over to a process in
/// the other mode). Returns once the event loop ends.
pub fn run(engine: Arc<Engine>, mode: Mode, launch: Launch) -> anyhow::Result<()> {
    let engines = Arc::new(engines::Engines::new(engine.clone()));
    let updates = Arc::new(updater::Updates::default());
    let pending_route = launch.route.as_deref().and_then(Route::from_arg);
    let shell = Arc::new(Shell {
        mode,
        launch,
        pending_route: Mutex::new(pending_route),
        stop: Mutex::new(None),
        background: Mutex::new(None),
        handing_over: AtomicBool::new(false),
    });
    let builder = tauri::Builder::default()
        // First, so a second launch only raises the running app's window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| open_window(app)));
    // Notifications come from Rust only (the webview may not send any); on Linux through
    // `native::notify`, which has the click the plugin lacks there.
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_notification::init());
    let builder = builder
        // At login the app starts in the tray; the owner opens the window when they want it.
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["tray"]),
        ))
        // Signed updates: checked when asked and once a day, installed only when the owner says.
        .plugin(updater::plugin())
        .manage(engines.clone())
        .manage(updates.clone())
        .manage(shell.clone());
    let mut context = context();
    updater::configure(&mut context);
    let app = with_commands(builder)
        .setup(move |app| {
            let handle = app.handle().clone();
            tray::create(&handle, &engine)?;
            if mode == Mode::Window {
                window::show(&handle)?;
            }
            bridge::start(handle.clone(), engine.clone(), true);
            updater::start_periodic(handle.clone(), engines.clone(), updates);
            engines.set_forward(Box::new(move |demo| Some(bridge::start(handle.clone(), demo, false))));
            // The engine's background work (store polling, sending, the webhook receiver, the
            // conversation step) runs for as long as the app does, window open or not.
            let background = engine.clone();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tauri::async_runtime::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = background.run_until_stopped(shutdown).await {
                    tracing::error!(error = %e, "the engine's background work stopped");
                }
            });
            *shell.stop.lock().unwrap_or_else(PoisonError::into_inner) = Some(stop);
            *shell.background.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
            if mode == Mode::Tray {
                tracing::info!("Recupero runs in the tray");
            }
            Ok(())
        })
        .build(context)?;
    let code = app.run_return(|app, event| match event {
        // The last window closed: the app lives on in the tray, in a process without any
        // webview. An explicit quit carries an exit code.
        RunEvent::ExitRequested { api, code: None, .. } => {
            api.prevent_exit();
            if handover::tray_binary().is_some() {
                tracing::info!("window closed; Recupero goes on in the tray");
                hand_over(app, Mode::Tray);
            } else {
                tracing::warn!("window closed; no `recupero-tray` binary next to this one, so this process stays in the tray");
            }
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
