//! What the tray says, in the owner's language: one status line (Linux's app indicators show
//! no tooltip, so the same text is the menu's first, disabled line and the tooltip), the menu
//! items, and whether the icon shows its alert variant. Both trays — the window process's and
//! the tray-only process's — take their texts from here.

use crate::engine::Engine;
use crate::events::AppStatus;
use crate::i18n::{t, Lang};

pub const ICON: &[u8] = include_bytes!("../../icons/tray.png");
pub const ICON_ALERT: &[u8] = include_bytes!("../../icons/tray-alert.png");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayTexts {
    pub status: String,
    pub open: String,
    pub pause: String,
    pub quit: String,
    /// A conversation waits for a person: the icon turns to its alert variant.
    pub alert: bool,
}

pub fn tray_texts(status: &AppStatus, lang: Lang) -> TrayTexts {
    let c = &status.counts;
    let (carts, unread, escalated) = (c.carts.to_string(), c.unread.to_string(), c.escalated.to_string());
    let line = if status.paused {
        t(lang, "native.tray.tooltipPaused", &[("unread", &unread), ("escalated", &escalated)])
    } else {
        t(lang, "native.tray.tooltip", &[("carts", &carts), ("unread", &unread), ("escalated", &escalated)])
    };
    // Messages left and nothing heard back for hours: the tunnel is most likely down.
    let line = if status.webhook_silent {
        format!("{line} · {}", t(lang, "native.tray.webhookSilent", &[]))
    } else {
        line
    };
    // The number cut from the phone's WhatsApp Business app, or about to be (day 12 of 14).
    let coex = &status.coexistence;
    let disconnected = coex.state == crate::engine::CoexistenceState::Disconnected;
    let line = if disconnected {
        format!("{line} · {}", t(lang, "coexistence.tray.disconnected", &[]))
    } else if coex.phone_reminder {
        format!("{line} · {}", t(lang, "coexistence.tray.phoneReminder", &[]))
    } else {
        line
    };
    TrayTexts {
        status: line,
        open: t(lang, "native.tray.open", &[]),
        pause: t(lang, if status.paused { "native.tray.resume" } else { "native.tray.pause" }, &[]),
        quit: t(lang, "native.tray.quit", &[]),
        alert: c.escalated > 0 || status.webhook_silent || disconnected || coex.phone_reminder,
    }
}

/// The language for native texts: the `ui_language` setting, else the OS locale.
pub fn lang_of(engine: &Engine) -> Lang {
    let setting = engine.setting_get("ui_language").unwrap_or_else(|_| "auto".into());
    Lang::resolve(&setting, Lang::os_locale(|k| std::env::var(k).ok()).as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Counts;

    fn status(paused: bool, escalated: i64) -> AppStatus {
        AppStatus {
            version: "0".into(),
            paused,
            demo: false,
            data_dir: String::new(),
            database: String::new(),
            secret_store: String::new(),
            counts: Counts { carts: 12, pending_sends: 0, conversations: 3, unread: 2, escalated },
            last_poll_at: None,
            webhook_url: String::new(),
            last_webhook_at: None,
            webhooks_pending: 0,
            webhook_signatures: crate::events::WebhookSignatures::Required,
            last_webhook_signed: None,
            webhook_registered_url: None,
            webhook_silent: false,
            first_syncs: Vec::new(),
            tunnel: Default::default(),
            coexistence: Default::default(),
        }
    }

    #[test]
    fn the_status_line_counts_and_the_menu_follows_the_pause_switch() {
        let active = tray_texts(&status(false, 0), Lang::Es);
        assert_eq!(active.status, "Recupero — 12 carritos · 2 sin leer · 0 para atender");
        assert_eq!(active.pause, "Pausar envíos");
        assert_eq!(active.open, "Abrir Recupero");
        assert!(!active.alert);
        let paused = tray_texts(&status(true, 1), Lang::En);
        assert_eq!(paused.status, "Recupero — sending paused · 2 unread · 1 need you");
        assert_eq!(paused.pause, "Resume sending");
        assert_eq!(paused.quit, "Quit");
        assert!(paused.alert, "an escalated conversation turns the icon to its alert variant");
    }

    #[test]
    fn a_silent_webhook_shows_on_the_status_line_and_the_icon() {
        let silent = AppStatus { webhook_silent: true, ..status(false, 0) };
        let texts = tray_texts(&silent, Lang::En);
        assert_eq!(
            texts.status,
            "Recupero — 12 carts · 2 unread · 0 need you · ⚠ no replies from WhatsApp for 3 h: check the tunnel"
        );
        assert!(texts.alert);
        assert!(tray_texts(&silent, Lang::Es).status.contains("túnel"));
    }

    #[test]
    fn a_cut_or_fading_coexistence_link_shows_on_the_status_line_and_the_icon() {
        use crate::engine::{CoexistenceHealth, CoexistenceState};
        let cut = AppStatus {
            coexistence: CoexistenceHealth { state: CoexistenceState::Disconnected, ..Default::default() },
            ..status(false, 0)
        };
        let texts = tray_texts(&cut, Lang::Es);
        assert!(texts.status.contains("desconectado"), "{}", texts.status);
        assert!(texts.alert);
        let fading = AppStatus {
            coexistence: CoexistenceHealth {
                state: CoexistenceState::Ok,
                phone_reminder: true,
                ..Default::default()
            },
            ..status(false, 0)
        };
        let texts = tray_texts(&fading, Lang::En);
        assert!(texts.status.contains("WhatsApp Business"), "{}", texts.status);
        assert!(texts.alert);
        assert!(!tray_texts(&status(false, 0), Lang::En).alert);
    }

    #[test]
    fn both_icons_are_pngs() {
        for icon in [ICON, ICON_ALERT] {
            assert_eq!(&icon[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}
