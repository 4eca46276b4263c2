//! Forwards the engine's event stream to the webview (`engine-event`), the tray and native
//! notifications, and applies settings that belong to the OS (start at login).

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_autostart::ManagerExt as _;
#[cfg(not(target_os = "linux"))]
use tauri_plugin_notification::NotificationExt as _;
use tokio::sync::broadcast::error::RecvError;

use crate::engine::Engine;
use crate::events::EngineEvent;

use super::engines::Engines;
use super::tray;
use crate::notice as notify;

pub const EVENT_NAME: &str = "engine-event";

/// Forwards `engine`'s events until the task is aborted. `owner`: the owner's own engine (the
/// one whose settings apply to the OS); a demo's settings never do.
pub fn start(app: AppHandle, engine: Arc<Engine>, owner: bool) -> tauri::async_runtime::JoinHandle<()> {
    let mut rx = engine.events().subscribe();
    if owner {
        apply_autostart(&app, &engine);
    }
    tauri::async_runtime::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(event) => event,
                // Missed some: the status is what matters, re-read it.
                Err(RecvError::Lagged(_)) => match engine.status() {
                    Ok(status) => EngineEvent::StatusChanged { status },
                    Err(_) => continue,
                },
                Err(RecvError::Closed) => break,
            };
            deliver(&app, &engine, owner, &event);
        }
    })
}

fn deliver(app: &AppHandle, engine: &Arc<Engine>, owner: bool, event: &EngineEvent) {
    // The window and the tray follow the engine the app shows, with the owner's pause switch
    // (see `Engines::for_window`); the owner's notifications (an escalation in the real shop)
    // show even while a demo runs.
    let engines = app.try_state::<Arc<Engines>>();
    let for_window = match &engines {
        Some(engines) => engines.for_window(engine, event),
        None => Some(event.clone()),
    };
    if let Some(shown) = &for_window {
        if let Err(e) = app.emit(EVENT_NAME, shown) {
            tracing::warn!(error = %e, "could not forward an event to the webview");
        }
    }
    let lang = tray::lang_of(engine);
    match &for_window {
        Some(EngineEvent::StatusChanged { status }) => tray::refresh(app, status, lang),
        // The owner's switch moved while a demo shows: no status of the owner's reaches the
        // tray then, so it reads the one it shows.
        Some(EngineEvent::PausedChanged { .. }) => {
            if let Some(engines) = engines.as_ref().filter(|e| !e.is_shown(engine)) {
                match engines.status() {
                    Ok(status) => tray::refresh(app, &status, lang),
                    Err(e) => tracing::warn!(error = %e, "tray: could not read the status"),
                }
            }
        }
        _ => {}
    }
    if owner && matches!(event, EngineEvent::SettingsChanged) {
        apply_autostart(app, engine);
    }
    let asked = notify::wanted(event, engine.settings().is_ok_and(|s| s.notify_recovered));
    if let Some(n) = notify::notice_for(event, lang).filter(|_| asked) {
        show_notification(app, n, lang);
    }
}

/// A native notification; clicking it opens what it is about (that conversation, that
/// setting) — on Linux through the notification's default action.
#[cfg(target_os = "linux")]
pub(super) fn show_notification(app: &AppHandle, n: notify::Notice, lang: crate::i18n::Lang) {
    let app = app.clone();
    crate::native::notify::show(n, lang, move |route| super::open_route(&app, route));
}

#[cfg(not(target_os = "linux"))]
pub(super) fn show_notification(app: &AppHandle, n: notify::Notice, _lang: crate::i18n::Lang) {
    let mut builder = app.notification().builder().title(&n.title);
    if !n.body.is_empty() {
        builder = builder.body(&n.body);
    }
    if let Err(e) = builder.show() {
        tracing::warn!(error = %e, "could not show a notification");
    }
}

fn apply_autostart(app: &AppHandle, engine: &Engine) {
    let wanted = engine.settings().map(|s| s.autostart).unwrap_or(false);
    let launcher = app.autolaunch();
    let current = launcher.is_enabled().unwrap_or(false);
    if wanted != current {
        let result = if wanted { launcher.enable() } else { launcher.disable() };
        match result {
            Ok(()) => tracing::info!(enabled = wanted, "start at login changed"),
            Err(e) => tracing::warn!(error = %e, "could not change start at login"),
        }
    }
}
