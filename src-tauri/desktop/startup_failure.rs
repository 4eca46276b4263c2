//! The window shown when the app could not start (a damaged database, one from a newer
//! Recupero, a locked keychain): a small tauri app of its own, without the engine, the tray or
//! single instance, whose one window loads the same UI on its start-up-failure screen
//! (`index.html#startup-failure`). The UI asks for the failure with `startup_failure`, and may
//! open the data folder or try again (a fresh app process, once this one has ended).

use std::sync::Arc;

use tauri::webview::NewWindowResponse;
use tauri::{Manager, State, WebviewUrl, WebviewWindowBuilder};

use crate::launch::failure::StartupFailure;
use crate::launch::Launch;
use crate::native::handover::{spawn_successor, Mode};

use super::navigation::{may_navigate, own_origins};

/// The window's label. No capability names it, so it holds no permission at all: the app's own
/// commands need none from the app's own pages, and it listens to no event.
const LABEL: &str = "startup-failure";

/// What the failure window's commands read.
struct Failed {
    failure: StartupFailure,
    launch: Launch,
}

/// What went wrong, for the window to say.
#[tauri::command]
fn startup_failure(state: State<'_, Arc<Failed>>) -> StartupFailure {
    state.failure.clone()
}

/// Opens the data folder (database, logs, backups) in the file manager.
#[tauri::command]
fn startup_open_folder(state: State<'_, Arc<Failed>>) -> Result<(), String> {
    let dir = &state.failure.data_dir;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("could not open {dir}: {e}"))
}

/// "Try again": a new app process (it waits for this one to end) and this one leaves.
#[tauri::command]
fn startup_retry(app: tauri::AppHandle, state: State<'_, Arc<Failed>>) -> Result<(), String> {
    let pid = spawn_successor(&state.launch, Mode::Window, None).map_err(|e| e.to_string())?;
    tracing::info!(pid, "trying to start again");
    app.exit(1);
    Ok(())
}

/// "Close": the window goes, and with it this process (the app stays stopped).
#[tauri::command]
fn startup_close(app: tauri::AppHandle) {
    app.exit(1);
}

/// Shows the failure: a native notification, and its window until the owner closes it.
/// Returns when the window is gone.
pub fn show(failure: StartupFailure, launch: Launch) -> anyhow::Result<()> {
    let notice = failure.notice();
    // On Linux through `native::notify` (as every notification of the app), elsewhere through
    // the notification plugin once the app runs.
    #[cfg(target_os = "linux")]
    crate::native::notify::show(notice, crate::i18n::Lang::resolve(&failure.lang, None), |_| {});
    let state = Arc::new(Failed { failure, launch });
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_notification::init());
    let app = builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            startup_failure,
            startup_open_folder,
            startup_retry,
            startup_close
        ])
        .setup(move |app| {
            #[cfg(not(target_os = "linux"))]
            {
                use tauri_plugin_notification::NotificationExt as _;
                let shown = app.notification().builder().title(&notice.title).body(&notice.body).show();
                if let Err(e) = shown {
                    tracing::warn!(error = %e, "could not show a notification");
                }
            }
            let own = own_origins(app.config().build.dev_url.as_ref());
            let window =
                WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html#startup-failure".into()))
                    .title("Recupero")
                    .inner_size(720.0, 680.0)
                    .min_inner_size(480.0, 420.0)
                    .on_navigation(move |url| may_navigate(url, &own))
                    .on_new_window(|_, _| NewWindowResponse::Deny)
                    .build()?;
            window.set_focus()?;
            Ok(())
        })
        .build(super::context())?;
    app.run_return(|app, event| {
        if let tauri::RunEvent::WindowEvent { event: tauri::WindowEvent::Destroyed, .. } = event {
            if app.webview_windows().is_empty() {
                app.exit(1);
            }
        }
    });
    Ok(())
}
