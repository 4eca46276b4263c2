//! The non-secret settings as the engine serves them: read, shown, changed (validated, recorded
//! in the event log and announced), the pause-all switch, and the webhook secrets generated once.

use super::{Engine, EngineError, EngineResult};
use crate::config::{SettingView, Settings};
use crate::events::{AppStatus, EngineEvent};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, settings as stored, Db};

/// The webhook address's secret path and Meta's verify token are generated once, from the
/// operating system's random source, and kept (they are part of what the owner registers).
pub(super) fn ensure_webhook_secrets(db: &Db, now: chrono::DateTime<chrono::Utc>) -> EngineResult<()> {
    use base64::Engine as _;
    let conn = db.conn();
    for (key, bytes) in [("webhook_path", 24usize), ("webhook_verify_token", 18)] {
        if stored::value(&conn, key)?.is_empty() {
            let mut buf = vec![0u8; bytes];
            getrandom::fill(&mut buf)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("no random source: {e}")))?;
            let word = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf);
            stored::set(&conn, key, &word, now)?;
        }
    }
    Ok(())
}

/// A setting's value as the logs and the event log keep it: the webhook's secret words hidden.
fn logged<'a>(key: &str, value: &'a str) -> &'a str {
    if crate::config::is_secret_word(key) && !value.is_empty() {
        "(hidden)"
    } else {
        value
    }
}

impl Engine {
    pub fn settings(&self) -> EngineResult<Settings> {
        Ok(Settings::load(&self.db.conn())?)
    }

    pub fn settings_show(&self) -> EngineResult<Vec<SettingView>> {
        Ok(stored::show(&self.db.conn())?)
    }

    pub fn setting_get(&self, key: &str) -> EngineResult<String> {
        Ok(stored::value(&self.db.conn(), key)?)
    }

    /// Validates and stores a setting, records it in the event log, and tells listeners.
    pub fn setting_set(&self, key: &str, value: &str) -> EngineResult<String> {
        let now = self.clock.now();
        let stored = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let stored = stored::set(&tx, key, value, now)?;
            // Rolled back with the transaction when it breaks a rule joining two settings.
            crate::config::check_together(
                key,
                &crate::config::effective(&stored::all(&tx)?.into_iter().collect()),
            )?;
            if key.trim() == "shop_facts" {
                // Every change is a new version, so answers can say which facts they used.
                storage::shop_facts::record(&tx, &stored, &storage::ts(now))?;
            }
            if key.trim() == "experiment" {
                // The A/B experiment starts, or the running one ends, with the setting (not
                // with the next cart), so Results date it right.
                let spec = crate::domain::experiment::ExperimentSpec::parse(&stored).ok();
                storage::experiments::sync(&tx, spec.as_ref(), &storage::ts(now))?;
            }
            event_log::append(
                &tx,
                &storage::ts(now),
                None,
                None,
                &LogEvent::SettingChanged { key: key.trim(), value: logged(key, &stored) },
            )?;
            tx.commit()?;
            stored
        };
        tracing::info!(key = key.trim(), value = %logged(key, &stored), "setting changed");
        if key.trim().starts_with("tunnel_") || key.trim() == "cloudflared_path" {
            self.tunnel_settings_changed();
        }
        if key.trim() == "sending_paused" {
            self.events.emit(EngineEvent::PausedChanged { paused: stored == "true" });
        }
        if key.trim() == "timezone" {
            // Connectors are built with it (PrestaShop's fallback zone): built again on next use.
            self.connectors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        }
        self.events.emit(EngineEvent::SettingsChanged);
        self.emit_status();
        Ok(stored)
    }

    /// The pause-all switch (tray and UI).
    pub fn set_paused(&self, paused: bool) -> EngineResult<AppStatus> {
        self.setting_set("sending_paused", if paused { "true" } else { "false" })?;
        self.status()
    }
}
