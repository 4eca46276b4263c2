//! The tray icon: a menu (a status line, open, pause/resume sending, quit), a badge (the icon
//! turns to its alert variant while a conversation is escalated) and a tooltip with the counts.
//! Linux's app indicators show no tooltip, so the same text is the menu's first, disabled line.

use std::sync::Arc;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::engine::{AppStatus, Engine};
use crate::i18n::{t, Lang};

const TRAY_ID: &str = "recupero";
const ICON: &[u8] = include_bytes!("../../icons/tray.png");
const ICON_ALERT: &[u8] = include_bytes!("../../icons/tray-alert.png");

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

/// The language for native texts: the `ui_language` setting, else the OS locale.
pub fn lang_of(engine: &Engine) -> Lang {
    let setting = engine.setting_get("ui_language").unwrap_or_else(|_| "auto".into());
    Lang::resolve(&setting, Lang::os_locale(|k| std::env::var(k).ok()).as_deref())
}

fn toggle_pause(app: &AppHandle) {
    let engine = app.state::<Arc<super::engines::Engines>>().get();
    tauri::async_runtime::spawn_blocking(move || {
        let result = engine.status().and_then(|s| engine.set_paused(!s.paused));
        if let Err(e) = result {
            tracing::warn!(error = %e, "tray: could not change the pause switch");
        }
    });
}

/// Brings texts, tooltip and badge in line with the status.
pub fn refresh(app: &AppHandle, status: &AppStatus, lang: Lang) {
    let Some(items) = app.try_state::<TrayItems>() else { return };
    let c = &status.counts;
    let (carts, unread, escalated) = (c.carts.to_string(), c.unread.to_string(), c.escalated.to_string());
    let line = if status.paused {
        t(lang, "native.tray.tooltipPaused", &[("unread", &unread), ("escalated", &escalated)])
    } else {
        t(lang, "native.tray.tooltip", &[("carts", &carts), ("unread", &unread), ("escalated", &escalated)])
    };
    let pause_text = t(lang, if status.paused { "native.tray.resume" } else { "native.tray.pause" }, &[]);
    let results = [
        items.status.set_text(&line),
        items.open.set_text(t(lang, "native.tray.open", &[])),
        items.pause.set_text(pause_text),
        items.quit.set_text(t(lang, "native.tray.quit", &[])),
    ];
    for r in results {
        if let Err(e) = r {
            tracing::warn!(error = %e, "tray: could not update the menu");
        }
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&line));
        let icon = if c.escalated > 0 { ICON_ALERT } else { ICON };
        if let Ok(image) = Image::from_bytes(icon) {
            let _ = tray.set_icon(Some(image));
        }
    }
}
