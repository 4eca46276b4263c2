//! Handing a thread to a person: by the escalation rules on a customer's text (the rules
//! themselves are in `domain::escalation`) or by the conversation step. A thread is escalated
//! once: a second reason raises no second alert.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::effects::{Effects, Routing};
use super::opt_out::Said;
use crate::domain::escalation;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{contacts, conversations, drafts, messages, ts};

/// The escalation rules on a customer's message `id`: a match hands the thread to a person;
/// otherwise, when automation may still answer this customer, the message waits for the
/// conversation step — never for an unsigned delivery, which a person answers if anyone does.
pub(super) fn route(
    conn: &Connection,
    said: &Said<'_>,
    id: i64,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    let Said { contact, thread, wamid, text } = *said;
    if let Some(esc) = escalation::classify(text, &routing.escalation_keywords) {
        let code = esc.reason.code();
        if escalate(conn, thread, contact, code, &esc.matched, wamid, now)? {
            fx.escalations.push((thread, code.to_string()));
        }
    } else if routing.signed
        && !conversations::automation_paused(conn, thread)?
        && contacts::get(conn, contact)?.is_some_and(|c| c.opted_out_at.is_none())
    {
        messages::mark_for_assist(conn, id)?;
        fx.assist_queued = true;
    }
    Ok(())
}

/// Hands a thread to a person: escalated, automation paused, pending drafts dropped, the
/// decision logged. Returns false when the thread was already escalated (no second alert).
pub fn escalate(
    conn: &Connection,
    thread: i64,
    contact: i64,
    reason: &str,
    detail: &str,
    wamid: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    messages::assist_done(conn, thread, "escalated")?;
    drafts::discard_pending(conn, thread, &ts(now))?;
    if !conversations::escalate(conn, thread, reason)? {
        return Ok(false);
    }
    event_log::append(
        conn,
        &ts(now),
        None,
        Some(contact),
        &LogEvent::Escalated { conversation: thread, reason, detail, wamid },
    )?;
    Ok(true)
}
