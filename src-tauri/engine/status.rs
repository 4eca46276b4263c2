//! What the header, the tray tooltip and `recupero status` show, published to listeners on every
//! change that moves it, and the recent event log.

use super::{Engine, EngineResult};
use crate::config::Settings;
use crate::events::{AppStatus, Counts, EngineEvent};
use crate::storage::{carts, conversations, event_log, sends, shops, webhook_events};

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
        })
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
