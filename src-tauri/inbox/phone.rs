//! The owner's WhatsApp Business app on the phone (Coexistence): messages the owner writes there
//! (echoes — a person is handling that customer now), the past conversations it shares once
//! (history) and its address book (contact names).

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::effects::Effects;
use super::stored::{at_of, parse_each, payload_of, store_message, Side, Stored};
use super::takeover;
use crate::storage::{contacts, conversations, events, messages, ts};
use crate::whatsapp::webhook::MessagesValue;

/// The owner wrote from the phone: the message is stored and the customer taken over.
pub(super) fn echoes(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    fx: &mut Effects,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for (m, raw) in parse_each(&value.message_echoes, notes) {
        let (Some(to), Some(wamid)) = (m.to.as_deref(), m.id.as_deref()) else {
            notes.push("an echo without a recipient".into());
            continue;
        };
        let Some(Stored { contact, thread, .. }) =
            store_message(conn, Side::Phone, to, None, wamid, (&m, raw), now)?
        else {
            continue;
        };
        // The owner wrote from the phone: a person is handling this customer now.
        if takeover::by_phone(conn, contact, thread, &ts(now))? {
            fx.takeovers.push(thread);
        }
    }
    Ok(())
}

/// The past conversations the phone shares once, chunk by chunk: stored as they were, without
/// opening windows or counting as unread.
pub(super) fn history(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for chunk in &value.history {
        for e in &chunk.errors {
            events::append(
                conn,
                &ts(now),
                "history_declined",
                None,
                None,
                &json!({ "code": e.code, "detail": e.detail() }),
            )?;
        }
        for thread in &chunk.threads {
            let Some(customer) = thread.id.as_deref() else { continue };
            let contact = contacts::resolve_wa_id(conn, customer, None, &ts(now))?;
            let conversation = conversations::ensure(conn, contact, &ts(now))?;
            for (m, raw) in parse_each(&thread.messages, notes) {
                let Some(wamid) = m.id.as_deref() else { continue };
                let from_customer = m.from.as_deref().is_some_and(|f| digits(f) == digits(customer));
                let at = at_of(m.timestamp.as_ref(), now);
                let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
                let summary = m.summary();
                let status =
                    m.history_context.as_ref().and_then(|h| h.status.as_deref()).map(str::to_ascii_lowercase);
                let Some(id) = messages::insert(
                    conn,
                    &messages::NewMessage {
                        conversation_id: conversation,
                        direction: if from_customer { "in" } else { "out" },
                        origin: if from_customer { "customer" } else { "phone" },
                        wamid: Some(wamid),
                        send_id: None,
                        kind: &kind,
                        body: summary.as_deref(),
                        status: status.as_deref(),
                        at: &at,
                    },
                )?
                else {
                    continue;
                };
                messages::set_details(conn, id, payload_of(&m, raw).as_deref(), None)?;
                conversations::touch_history(conn, conversation, summary.as_deref().unwrap_or(&kind), &at)?;
            }
        }
        if chunk.metadata.progress == Some(100) {
            events::append(
                conn,
                &ts(now),
                "history_synced",
                None,
                None,
                &json!({ "phase": chunk.metadata.phase, "chunk": chunk.metadata.chunk_order }),
            )?;
        }
    }
    Ok(())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The phone's address book: names for the contacts we know or will.
pub(super) fn state_sync(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    for item in &value.state_sync {
        if item.kind.as_deref().is_some_and(|k| k != "contact") || item.action.as_deref() == Some("remove") {
            continue;
        }
        let Some(c) = &item.contact else { continue };
        let Some(phone) = c.phone_number.as_deref().map(digits).filter(|p| p.len() >= 6) else { continue };
        let name =
            c.full_name.as_deref().or(c.first_name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
        let contact = contacts::resolve_wa_id(conn, &phone, None, &ts(now))?;
        if let Some(name) = name {
            contacts::set_name(conn, contact, name)?;
        }
    }
    Ok(())
}
