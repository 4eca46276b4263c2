//! The WhatsApp account's own news: the number disconnected from the app (everything pauses and
//! the owner is told) and a template's review result.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::effects::Effects;
use crate::events::OwnerProblem;
use crate::storage::event_log::{self, LogEvent, PauseDetail};
use crate::storage::{coexistence, settings, templates, ts};
use crate::whatsapp::webhook::{AccountUpdate, TemplateUpdate};

/// An `account_update`: always logged; a disconnection pauses sending.
pub(super) fn update(
    conn: &Connection,
    update: &AccountUpdate,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    let event = update.event.as_deref().unwrap_or_default();
    let disconnected =
        matches!(event, "PARTNER_REMOVED" | "ACCOUNT_OFFBOARDED" | "ACCOUNT_DELETED" | "DISABLED_UPDATE");
    event_log::append(
        conn,
        &ts(now),
        None,
        None,
        &LogEvent::AccountUpdate { event, disconnection: update.disconnection_info.as_ref() },
    )?;
    if disconnected {
        settings::put(conn, "sending_paused", "true", &ts(now))?;
        event_log::append(
            conn,
            &ts(now),
            None,
            None,
            &LogEvent::SendingPaused {
                code: event,
                detail: PauseDetail::Disconnection(update.disconnection_info.as_ref()),
            },
        )?;
        fx.paused = true;
        // One Coexistence incident, with Meta's reason (`PRIMARY_INACTIVITY`…): told once.
        let reason = update
            .disconnection_info
            .as_ref()
            .and_then(|i| i.get("reason"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(event);
        coexistence::mark_disconnected(conn, reason, &ts(now))?;
        if coexistence::mark_notified(conn, &ts(now))? {
            fx.problems.push(OwnerProblem::NumberDisconnected);
        }
    }
    Ok(())
}

/// A template's review result: the cached state follows it, a rejection tells the owner.
pub(super) fn template(
    conn: &Connection,
    update: &TemplateUpdate,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    let (Some(name), Some(event)) = (update.message_template_name.as_deref(), update.event.as_deref()) else {
        return Ok(());
    };
    // The webhook writes `en-US`; templates are created and sent as `en_US`.
    let language = update.message_template_language.as_deref().unwrap_or_default().replace('-', "_");
    templates::set_status(conn, name, &language, event, &ts(now))?;
    if matches!(event, "REJECTED" | "PAUSED" | "DISABLED") {
        fx.problems.push(OwnerProblem::TemplateRejected);
    }
    event_log::append(
        conn,
        &ts(now),
        None,
        None,
        &LogEvent::TemplateStatus {
            name,
            language: &language,
            status: event,
            reason: update.reason.as_ref(),
        },
    )?;
    Ok(())
}
