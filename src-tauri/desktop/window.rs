//! The main window: created on start and on "Open", destroyed on close so an app that lives in
//! the tray does not keep a webview (and its WebKit processes) alive. It shows the app's own
//! pages only (`navigation.rs`) and opens no other window.

use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

use super::navigation::{may_navigate, own_origins};

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
    let own = own_origins(app.config().build.dev_url.as_ref());
    let window = WebviewWindowBuilder::from_config(app, &config)?
        .on_navigation(move |url| {
            let allowed = may_navigate(url, &own);
            if !allowed {
                // The origin only: a refused address's path or query may carry anything.
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str(),
                    "the window refused to leave the app"
                );
            }
            allowed
        })
        .on_new_window(|url, _| {
            tracing::warn!(
                scheme = url.scheme(),
                host = url.host_str(),
                "the window refused to open another"
            );
            NewWindowResponse::Deny
        })
        .build()?;
    window.set_focus()?;
    tracing::info!("main window created");
    Ok(())
}
