//! The WhatsApp account's own news: the number disconnected from the app (everything pauses and
//! the owner is told) and a template's review result.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::effects::Effects;
use crate::events::OwnerProblem;
use crate::storage::{events, settings, templates, ts};
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
    events::append(
        conn,
        &ts(now),
        "account_update",
        None,
        None,
        &json!({ "event": event, "disconnection": update.disconnection_info }),
    )?;
    if disconnected {
        settings::put(conn, "sending_paused", "true", &ts(now))?;
        events::append(
            conn,
            &ts(now),
            "sending_paused",
            None,
            None,
            &json!({ "code": event, "detail": update.disconnection_info }),
        )?;
        fx.paused = true;
        fx.problems.push(OwnerProblem::NumberDisconnected);
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
    events::append(
        conn,
        &ts(now),
        "template_status",
        None,
        None,
        &json!({ "name": name, "language": language, "status": event, "reason": update.reason }),
    )?;
    Ok(())
}
