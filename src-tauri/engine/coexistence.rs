//! Coexistence health (reference §5): the number's link with the owner's WhatsApp Business app.
//!
//! - **Disconnected number**: every [`CHECK_EVERY`] (and right after a send error that means
//!   disconnection) `is_on_biz_app`/`platform_type` is read. A number that was on the Business
//!   app and no longer is, an `account_update` disconnection or a send error 33/131045/133010
//!   opens an incident: the status says so with the reason, and the owner is told once per
//!   incident (notice + native notification). A number never seen on the Business app is a plain
//!   Cloud API number (`not_linked`), not an incident.
//! - **Phone reminder**: Meta drops the link when the phone app is inactive ~14 days
//!   (`PRIMARY_INACTIVITY`). The last message the owner wrote on the phone (echo) — or, before
//!   any, when the link was first seen — is the signal: after [`PHONE_REMINDER_AFTER`] without
//!   one, the owner is reminded once per silence.
//! - **History import**: contacts and history are requested once (`smb_app_data`), automatically
//!   the first time the link is seen; the request is written down before it leaves, so it is never
//!   repeated automatically (not even after a crash). A refusal (2593109 declined, 2593108 too late,
//!   2593107 already asked, or no answer) is shown with its code; only the owner's click asks again.
//!   History is shown, not acted on (an old complaint or question escalates or answers nothing
//!   today), except the customer's own "STOP"/"ALTA": an opt-out said on the phone still holds.

use chrono::{DateTime, Duration, Utc};

use super::{Engine, EngineError, EngineResult};
use crate::events::{EngineEvent, OwnerProblem};
pub use crate::storage::coexistence::health::{
    health, CoexistenceHealth, CoexistenceState, PHONE_REMINDER_AFTER,
};
use crate::storage::coexistence::{self as coex, HistoryState};
use crate::storage::ts;
use crate::whatsapp::client::{is_disconnect_code, SyncType};
use crate::whatsapp::SendError;

/// How often the link is read.
pub const CHECK_EVERY: Duration = Duration::hours(6);

impl Engine {
    /// The link's health now.
    pub fn coexistence(&self) -> EngineResult<CoexistenceHealth> {
        Ok(health(&coex::get(&self.db.conn())?, self.clock.now()))
    }

    /// Reads `is_on_biz_app`/`platform_type` now and records the answer; a new incident tells
    /// the owner (once).
    pub async fn check_coexistence(&self) -> EngineResult<CoexistenceHealth> {
        let client = self.registration_client()?;
        let answer = client.biz_app_link().await;
        let at = ts(self.clock.now());
        let new_incident = {
            let conn = self.db.conn();
            match &answer {
                Ok(link) => {
                    let linked = link.is_on_biz_app;
                    coex::record_check(
                        &conn,
                        linked,
                        link.platform_type.as_deref(),
                        "not_on_business_app",
                        &at,
                    )?
                }
                Err(e @ SendError::Account { code, .. }) if is_disconnect_code(code) => {
                    coex::record_check_failed(&conn, &e.to_string(), &at)?;
                    coex::mark_disconnected(&conn, code, &at)?
                }
                Err(e) => {
                    coex::record_check_failed(&conn, &e.to_string(), &at)?;
                    false
                }
            }
        };
        if new_incident {
            self.tell_disconnected()?;
        }
        self.emit_status();
        self.coexistence()
    }

    /// Tells the owner about the current incident unless already told.
    fn tell_disconnected(&self) -> EngineResult<()> {
        if coex::mark_notified(&self.db.conn(), &ts(self.clock.now()))? {
            tracing::warn!("the WhatsApp number is no longer connected to the Business app");
            self.events.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::NumberDisconnected });
        }
        Ok(())
    }

    /// One round for the background run: the check when due (or after a disconnection error
    /// newer than the last check), the phone reminder, and the first history request.
    pub async fn coexistence_step(&self) -> EngineResult<()> {
        let settings = self.settings()?;
        if settings.whatsapp_phone_number_id.is_empty() || settings.whatsapp_waba_id.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let row = coex::get(&self.db.conn())?;
        let due = match row.checked_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
            None => true,
            Some(last) => {
                now - last.with_timezone(&Utc) >= CHECK_EVERY
                    || row
                        .disconnected_at
                        .as_deref()
                        .is_some_and(|d| d >= row.checked_at.as_deref().unwrap_or(""))
            }
        };
        if due {
            match self.check_coexistence().await {
                Ok(_) => {}
                // Not connected yet (no token): nothing to check, nothing to say every minute.
                Err(e @ (EngineError::Invalid(_) | EngineError::Refused { .. })) => {
                    tracing::debug!(why = %e, "the Coexistence link is not checked")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not check the number's link with WhatsApp Business")
                }
            }
        }
        // An incident started elsewhere (a send error, an account update) not told yet.
        self.tell_disconnected()?;
        let row = coex::get(&self.db.conn())?;
        let h = health(&row, now);
        if h.phone_reminder {
            if let Some(since) = h.last_phone_at.as_deref() {
                if coex::mark_reminded(&self.db.conn(), since, &ts(now))? {
                    self.events.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::PhoneInactive });
                    self.emit_status();
                }
            }
        }
        if h.state == CoexistenceState::Ok && h.history == HistoryState::NotRequested {
            self.request_history(false).await?;
        }
        Ok(())
    }

    /// Asks the phone for its address book and its history (each once). Automatic
    /// (`by_owner: false`) only when never asked; the owner may ask again only after a failure.
    pub async fn request_history(&self, by_owner: bool) -> EngineResult<CoexistenceHealth> {
        let row = coex::get(&self.db.conn())?;
        match (row.history_state(), by_owner) {
            (HistoryState::NotRequested, _) | (HistoryState::Failed, true) => {}
            (_, false) => return self.coexistence(),
            (_, true) => {
                return Err(EngineError::Invalid("the history was already requested from the phone".into()))
            }
        }
        let client = self.registration_client()?;
        coex::history_requesting(&self.db.conn(), &ts(self.clock.now()))?;
        let contacts = client.request_sync(SyncType::Contacts).await;
        let history = client.request_sync(SyncType::History).await;
        let contacts = match &contacts {
            Ok(id) => Ok(id.as_str()),
            Err(e) => Err(e.code()),
        };
        let history_error = history.as_ref().err().map(|e| (e.code().to_string(), e.to_string()));
        let history = history_error.as_ref().map_or_else(
            || Ok(history.as_deref().unwrap_or_default()),
            |(code, detail)| Err((code.as_str(), detail.as_str())),
        );
        coex::history_answered(&self.db.conn(), contacts, history, &ts(self.clock.now()))?;
        if let Some((code, _)) = &history_error {
            tracing::warn!(%code, "the phone's history was not requested");
        }
        self.emit_status();
        self.coexistence()
    }
}
