//! The Coexistence link's health as the window, the tray and `status --json` show it, computed
//! from the stored row and the time (see `engine/coexistence.rs` for what drives it).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{latest, CoexistenceRow, HistoryState};

/// No echo from the phone for this long: remind the owner (Meta cuts the link at ~14 days).
pub const PHONE_REMINDER_AFTER: Duration = Duration::days(12);

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
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
    #[default]
    Unknown,
}

/// The link as the window, the tray and `status --json` show it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
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
    let last_phone_at = latest(row.last_echo_at.as_deref(), row.linked_since.as_deref()).map(String::from);
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
    }
}
