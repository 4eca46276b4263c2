//! What the header, the tray tooltip and `recupero status` show, published to listeners on every
//! change that moves it, and the recent event log.

use super::{AppStatus, Counts, Engine, EngineResult};
use crate::config::Settings;
use crate::events::EngineEvent;
use crate::storage::{carts, conversations, events, sends, stores, webhook_events};

impl Engine {
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
            last_poll_at: stores::last_success(&conn)?,
            webhook_url: crate::webhooks::local_url(settings.webhook_port, &settings.webhook_path),
            last_webhook_at: webhook_events::last_received(&conn)?,
            webhooks_pending: webhook_events::counts(&conn)?.1,
        })
    }

    pub fn recent_events(&self, limit: u32) -> EngineResult<Vec<events::EventRow>> {
        Ok(events::recent(&self.db.conn(), limit)?)
    }

    pub(crate) fn emit_status(&self) {
        match self.status() {
            Ok(status) => self.events.emit(EngineEvent::StatusChanged { status }),
            Err(e) => tracing::warn!(error = %e, "could not read the status"),
        }
    }
}
