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
//!   History is shown, never acted on: an old "STOP" or complaint in it changes nothing today.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::events::{EngineEvent, OwnerProblem};
use crate::storage::coexistence::{self as coex, CoexistenceRow, HistoryState};
use crate::storage::ts;
use crate::whatsapp::client::{is_disconnect_code, SyncType};
use crate::whatsapp::SendError;

/// How often the link is read.
pub const CHECK_EVERY: Duration = Duration::hours(6);
/// No echo from the phone for this long: remind the owner (Meta cuts the link at ~14 days).
pub const PHONE_REMINDER_AFTER: Duration = Duration::days(12);

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum CoexistenceState {
    /// On the WhatsApp Business app and the Cloud API.
    Ok,
    /// Was linked and is not any more (reason in `reason`).
    Disconnected,
    /// Never seen on the Business app: a Cloud API-only number; nothing to watch.
    NotLinked,
    /// Not checked yet, or the check got no answer.
    Unknown,
}

/// The link as the window, the tray and `status --json` show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CoexistenceHealth {
    pub state: CoexistenceState,
    /// Why it is disconnected: Meta's reason (`PRIMARY_INACTIVITY`…), a send error code
    /// (`133010`…) or `not_on_business_app`.
    pub reason: Option<String>,
    pub checked_at: Option<String>,
    /// The last check's failure, when it got no answer.
    pub check_error: Option<String>,
    pub platform_type: Option<String>,
    /// The last sign of life from the phone app: the owner's last message from it, else when the
    /// link was first seen.
    pub last_phone_at: Option<String>,
    pub days_without_phone: Option<i64>,
    /// No sign of life for 12 days: "open WhatsApp Business on the phone before day 14".
    pub phone_reminder: bool,
    pub history: HistoryState,
    /// Why the history request failed (2593109, 2593108, 2593107, `network`…).
    pub history_code: Option<String>,
    pub history_detail: Option<String>,
    pub history_progress: Option<i64>,
    pub history_phase: Option<i64>,
    pub history_requested_at: Option<String>,
    pub history_request_id: Option<String>,
    /// Why the contact (address book) sync request failed.
    pub contacts_code: Option<String>,
}

/// The health from the stored row at `now`.
pub fn health(row: &CoexistenceRow, now: DateTime<Utc>) -> CoexistenceHealth {
    let state = if row.disconnected_at.is_some() {
        CoexistenceState::Disconnected
    } else if row.on_biz_app == Some(true) {
        CoexistenceState::Ok
    } else if row.on_biz_app == Some(false) && row.linked_since.is_none() {
        CoexistenceState::NotLinked
    } else {
        CoexistenceState::Unknown
    };
    let last_phone_at =
        coex::latest(row.last_echo_at.as_deref(), row.linked_since.as_deref()).map(String::from);
    let days = last_phone_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| now - t.with_timezone(&Utc));
    CoexistenceHealth {
        state,
        reason: row.disconnected_reason.clone(),
        checked_at: row.checked_at.clone(),
        check_error: row.check_error.clone(),
        platform_type: row.platform_type.clone(),
        last_phone_at,
        days_without_phone: days.map(|d| d.num_days().max(0)),
        phone_reminder: state == CoexistenceState::Ok && days.is_some_and(|d| d >= PHONE_REMINDER_AFTER),
        history: row.history_state(),
        history_code: row.history_error_code.clone(),
        history_detail: row.history_error_detail.clone(),
        history_progress: row.history_progress,
        history_phase: row.history_phase,
        history_requested_at: row.history_requested_at.clone(),
        history_request_id: row.history_request_id.clone(),
        contacts_code: row.contacts_error_code.clone(),
    }
}

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
                Err(SendError::Account { code, .. }) if is_disconnect_code(code) => {
                    coex::record_check_failed(&conn, &answer.as_ref().unwrap_err().to_string(), &at)?;
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
            if let Err(e) = self.check_coexistence().await {
                tracing::warn!(error = %e, "could not check the number's link with WhatsApp Business");
            }
        }
        // An incident started elsewhere (a send error, an account update) not told yet.
        self.tell_disconnected()?;
        let row = coex::get(&self.db.conn())?;
        let h = health(&row, now);
        if h.phone_reminder {
            if let Some(since) = h.last_phone_at.as_deref() {
                if coex::mark_reminded(&self.db.conn(), since)? {
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
        coex::history_answered(&self.db.conn(), contacts, history)?;
        if let Some((code, _)) = &history_error {
            tracing::warn!(%code, "the phone's history was not requested");
        }
        self.emit_status();
        self.coexistence()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_state_follows_the_row_and_a_plain_cloud_number_is_not_an_incident() {
        let now = at("2026-03-20T00:00:00Z");
        assert_eq!(health(&CoexistenceRow::default(), now).state, CoexistenceState::Unknown);
        let plain = CoexistenceRow { on_biz_app: Some(false), ..Default::default() };
        assert_eq!(health(&plain, now).state, CoexistenceState::NotLinked);
        assert!(!health(&plain, now).phone_reminder);
        let linked = CoexistenceRow {
            on_biz_app: Some(true),
            linked_since: Some("2026-03-01T00:00:00.000Z".into()),
            last_echo_at: Some("2026-03-08T00:00:00.000Z".into()),
            ..Default::default()
        };
        let h = health(&linked, now);
        assert_eq!((h.state, h.days_without_phone, h.phone_reminder), (CoexistenceState::Ok, Some(12), true));
        let h = health(&linked, at("2026-03-19T23:59:00Z"));
        assert!(!h.phone_reminder, "11 days and a bit: not yet");
        let gone = CoexistenceRow {
            disconnected_at: Some("2026-03-19T00:00:00.000Z".into()),
            disconnected_reason: Some("PRIMARY_INACTIVITY".into()),
            ..linked
        };
        let h = health(&gone, now);
        assert_eq!(
            (h.state, h.reason.as_deref()),
            (CoexistenceState::Disconnected, Some("PRIMARY_INACTIVITY"))
        );
        assert!(!h.phone_reminder, "no reminder once cut: the disconnection says it");
        assert!(is_disconnect_code("133010") && !is_disconnect_code("131047"));
    }
}
