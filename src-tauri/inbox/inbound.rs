//! A customer's messages: stored once by wamid, then the rules in order — opt-out (a keyword or
//! the template's button), opting back in, the escalation rules — and what is left waits for the
//! conversation step.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::effects::{Effects, Routing};
use super::stored::{at_of, parse_each, sender, store_message, Side, Stored};
use super::{escalation, opt_out};
use crate::domain::opt_out::is_opt_in;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{contacts, conversations, messages, ts};
use crate::whatsapp::webhook::MessagesValue;

/// Records the customers' messages of one delivery and applies the rules to each new one.
pub(super) fn record(
    conn: &Connection,
    value: &MessagesValue,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for (m, raw) in parse_each(&value.messages, notes) {
        // A customer with a WhatsApp username may come with a BSUID and no number.
        let (Some(who), Some(wamid)) = (sender(value, &m), m.id.as_deref()) else {
            notes.push("an inbound message without a usable sender (no number, no BSUID): not stored".into());
            continue;
        };
        let error = m.errors.first();
        let Some(Stored { contact, thread, id, kind, summary }) =
            store_message(conn, Side::Customer, &who, wamid, (&m, raw), routing.signed, now)?
        else {
            continue; // seen before
        };
        if let Some(e) = error {
            messages::set_error(conn, id, e.code.map(|c| c.to_string()).as_deref(), &e.detail())?;
        }
        event_log::append(
            conn,
            &ts(now),
            None,
            Some(contact),
            &LogEvent::CustomerReplied { conversation: Some(thread), kind: Some(&kind), wamid: Some(wamid) },
        )?;
        fx.inbound.push(thread);
        let text = summary.as_deref().unwrap_or("");
        let said = opt_out::Said { contact, thread, wamid, text };
        // When the customer said it (Meta's timestamp, never later than now): a STOP and an ALTA
        // count in the order they were said, not the order they were delivered.
        let said_at = at_of(m.timestamp.as_ref(), now).min(ts(now));
        if let Some(source) = opt_out::stop_source(&kind, &m, summary.as_deref()) {
            opt_out::by_customer(conn, &said, source, &said_at, routing, now, fx)?;
        } else if kind == "text" && summary.as_deref().is_some_and(is_opt_in) && !routing.signed {
            // A stranger must not lift a STOP: the words are kept for the owner, nothing more.
            notes.push("unsigned: opt-in not applied".into());
        } else if kind == "text"
            && summary.as_deref().is_some_and(is_opt_in)
            && contacts::opt_in_by_customer(conn, contact, &said_at)?
        {
            opt_out::back_in_by_customer(conn, &said, routing, now, fx)?;
        } else if matches!(kind.as_str(), "text" | "button" | "interactive") {
            escalation::route(conn, &said, id, routing, now, fx)?;
        }
        if error.and_then(|e| e.code) == Some(131060) {
            event_log::append(
                conn,
                &ts(now),
                None,
                Some(contact),
                &LogEvent::UnsupportedMessage {
                    code: 131060,
                    detail: "a message WhatsApp could not show here: check the phone app",
                },
            )?;
        }
    }
    Ok(())
}

/// A customer's text recorded directly by E.164 number (tests and tools; the webhook is the real
/// path): stored once by wamid, the thread touched and its window opened. `None` when the number
/// is unknown or the wamid was stored before. Run it in a transaction.
pub fn record_text(
    conn: &Connection,
    phone_e164: &str,
    text: &str,
    wamid: &str,
    now: &str,
) -> rusqlite::Result<Option<i64>> {
    let Some(contact) = contacts::id_by_phone(conn, phone_e164)? else {
        return Ok(None);
    };
    let thread = conversations::ensure(conn, contact, now)?;
    let id = messages::insert(
        conn,
        &messages::NewMessage {
            conversation_id: thread,
            direction: "in",
            origin: "customer",
            wamid: Some(wamid),
            send_id: None,
            kind: "text",
            body: Some(text),
            status: None,
            at: now,
        },
    )?;
    if id.is_some() {
        conversations::touch(conn, thread, text, now, true)?;
        let replied = LogEvent::CustomerReplied { conversation: None, kind: None, wamid: None };
        event_log::append(conn, now, None, Some(contact), &replied)?;
    }
    Ok(id)
}
