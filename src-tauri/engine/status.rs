//! What the header, the tray tooltip and `recupero status` show, published to listeners on every
//! change that moves it (webhook health included: last delivery, signed or not, the registered
//! address, and the "sent but nothing heard back" warning), and the recent event log.

use super::{Engine, EngineResult};
use crate::config::Settings;
use crate::events::{AppStatus, Counts, EngineEvent, WebhookSignatures};
use crate::storage::{carts, conversations, event_log, sends, shops, ts, webhook_events};

/// Messages sent and no webhook for this long: the webhook health warning.
pub const SILENT_AFTER: chrono::Duration = chrono::Duration::hours(3);

impl Engine {
    /// The status as it is now (settings, paths and counts read afresh).
    pub fn status(&self) -> EngineResult<AppStatus> {
        let conn = self.db.conn();
        let settings = Settings::load(&conn)?;
        let (conversations, unread, escalated) = conversations::counts(&conn)?;
        Ok(AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            paused: settings.sending_paused,
            demo: self.demo,
            data_dir: self.paths.data_dir.display().to_string(),
            database: self.db.path().display().to_string(),
            secret_store: self.secrets.describe().to_string(),
            counts: Counts {
                carts: carts::count(&conn)?,
                pending_sends: sends::count_pending(&conn)?,
                conversations,
                unread,
                escalated,
            },
            last_poll_at: shops::last_success(&conn)?,
            webhook_url: crate::webhooks::local_url(settings.webhook_port, &settings.webhook_path),
            last_webhook_at: webhook_events::last_received(&conn)?,
            webhooks_pending: webhook_events::counts(&conn)?.1,
            webhook_signatures: self.webhook_signatures(
                settings.allow_unsigned_webhooks,
                !settings.whatsapp_phone_number_id.trim().is_empty(),
            ),
            last_webhook_signed: webhook_events::last_signed(&conn)?,
            webhook_registered_url: Some(settings.webhook_registered_url.clone()).filter(|u| !u.is_empty()),
            webhook_silent: self.webhook_silent(&conn)?,
            first_syncs: shops::first_syncs(&conn)?,
            tunnel: self.tunnel_status_or(|| Some(settings.tunnel_mode.clone())),
            coexistence: super::coexistence::health(
                &crate::storage::coexistence::get(&conn)?,
                self.clock.now(),
            ),
        })
    }

    /// Messages left between [`SILENT_AFTER`] and a few minutes ago, and no delivery has arrived
    /// for [`SILENT_AFTER`]: their statuses should have come back by now.
    fn webhook_silent(&self, conn: &rusqlite::Connection) -> EngineResult<bool> {
        let now = self.clock.now();
        let since = now - SILENT_AFTER;
        let left = sends::left_between(conn, &ts(since), &ts(now - chrono::Duration::minutes(10)))?;
        if left == 0 {
            return Ok(false);
        }
        Ok(webhook_events::last_received(conn)?.is_none_or(|last| last < ts(since)))
    }

    /// As the receiver sees it: the app secret it checks with (read from the keychain when the
    /// receiver starts and kept current when the owner sets or deletes it; a process that runs
    /// no receiver has none) and the owner's `allow_unsigned_webhooks`.
    /// `whatsapp_set_up`: a phone number id is saved (deliveries can be expected).
    fn webhook_signatures(&self, allow_unsigned: bool, whatsapp_set_up: bool) -> WebhookSignatures {
        let has_secret =
            self.receiver_secret.read().unwrap_or_else(std::sync::PoisonError::into_inner).is_some();
        match (allow_unsigned, has_secret) {
            (true, _) => WebhookSignatures::UnsignedAllowed,
            (false, false) if !whatsapp_set_up => WebhookSignatures::NotSetUp,
            (false, false) => WebhookSignatures::NoSecret,
            (false, true) => WebhookSignatures::Required,
        }
    }

    /// The newest entries of the event log, newest first.
    pub fn recent_events(&self, limit: u32) -> EngineResult<Vec<event_log::EventRow>> {
        Ok(event_log::recent(&self.db.conn(), limit)?)
    }

    /// Publishes the current status; a status that can't be read is logged, not raised.
    pub(crate) fn emit_status(&self) {
        match self.status() {
            Ok(status) => self.events.emit(EngineEvent::StatusChanged { status }),
            Err(e) => tracing::warn!(error = %e, "could not read the status"),
        }
    }
}
