//! The main window: created on start and on "Open", destroyed on close so an app that lives in
//! the tray does not keep a webview (and its WebKit processes) alive.

use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Shows the main window, recreating it from tauri.conf.json if it was closed.
pub fn show<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.unminimize()?;
        window.show()?;
        return window.set_focus();
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let window = WebviewWindowBuilder::from_config(app, &config)?.build()?;
    window.set_focus()?;
    tracing::info!("main window created");
    Ok(())
}
