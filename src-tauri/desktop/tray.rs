//! The window process's tray icon: a menu (a status line, open, pause/resume sending, quit), a
//! badge (the icon turns to its alert variant while a conversation is escalated) and a tooltip
//! with the counts; texts from `native::texts`, shared with the tray-only process.

use std::sync::Arc;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::engine::Engine;
use crate::events::AppStatus;
use crate::i18n::Lang;
pub use crate::native::texts::lang_of;
use crate::native::texts::{tray_texts, ICON, ICON_ALERT};

const TRAY_ID: &str = "recupero";

/// Handles to the menu items whose text changes.
pub struct TrayItems {
    status: MenuItem<Wry>,
    open: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    quit: MenuItem<Wry>,
}

pub fn create(app: &AppHandle, engine: &Arc<Engine>) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Recupero", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&status, &separator, &open, &pause, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON)?)
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => super::open_window(app),
            "pause" => toggle_pause(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                super::open_window(tray.app_handle());
            }
        })
        .build(app)?;
    app.manage(TrayItems { status, open, pause, quit });
    match engine.status() {
        Ok(s) => refresh(app, &s, lang_of(engine)),
        Err(e) => tracing::warn!(error = %e, "tray: could not read the status"),
    }
    Ok(())
}

/// The owner's pause switch, during a demo too (see `Engines::toggle_paused`).
fn toggle_pause(app: &AppHandle) {
    let engines = app.state::<Arc<super::engines::Engines>>().inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = engines.toggle_paused() {
            tracing::warn!(error = %e, "tray: could not change the pause switch");
        }
    });
}

/// Brings texts, tooltip and badge in line with the status.
pub fn refresh(app: &AppHandle, status: &AppStatus, lang: Lang) {
    let Some(items) = app.try_state::<TrayItems>() else { return };
    let texts = tray_texts(status, lang);
    let results = [
        items.status.set_text(&texts.status),
        items.open.set_text(&texts.open),
        items.pause.set_text(&texts.pause),
        items.quit.set_text(&texts.quit),
    ];
    for r in results {
        if let Err(e) = r {
            tracing::warn!(error = %e, "tray: could not update the menu");
        }
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&texts.status));
        let icon = if texts.alert { ICON_ALERT } else { ICON };
        if let Ok(image) = Image::from_bytes(icon) {
            let _ = tray.set_icon(Some(image));
        }
    }
}
