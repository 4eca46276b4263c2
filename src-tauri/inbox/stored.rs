//! Storing one live message (a customer's, or an echo of the owner's phone) with its contact and
//! thread, written once for both sides; and reading a delivery's messages, times and who each
//! message is about (by number or business-scoped user id).

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::Value;

use crate::storage::contacts::{self, Identity};
use crate::storage::{conversations, messages, ts};
use crate::whatsapp::webhook::{unix_seconds, Message, MessagesValue};

pub(super) fn at_of(v: Option<&Value>, now: DateTime<Utc>) -> String {
    ts(unix_seconds(v).and_then(|s| Utc.timestamp_opt(s, 0).single()).unwrap_or(now))
}

pub(super) fn parse_each<'a>(raw: &'a [Value], notes: &mut Vec<String>) -> Vec<(Message, &'a Value)> {
    raw.iter()
        .filter_map(|v| match serde_json::from_value::<Message>(v.clone()) {
            Ok(m) if m.id.is_some() => Some((m, v)),
            Ok(_) => {
                notes.push("a message without an id".into());
                None
            }
            Err(e) => {
                notes.push(format!("unreadable message: {e}"));
                None
            }
        })
        .collect()
}

/// The customer who sent `m`: by `from` and/or `from_user_id`, with what the delivery's
/// `contacts[]` entry adds (parent BSUID, username, profile name). `None` when neither id names
/// anyone (empty, garbage): such a message is not stored, never filed under a made-up contact.
pub(super) fn sender(value: &MessagesValue, m: &Message) -> Option<Identity> {
    customer(value, m.from.as_deref(), m.from_user_id.as_deref(), m.from_parent_user_id.as_deref())
}

/// The customer an echo of the owner's phone went to: by `to` and/or `to_user_id`.
pub(super) fn recipient(value: &MessagesValue, m: &Message) -> Option<Identity> {
    customer(value, m.to.as_deref(), m.to_user_id.as_deref(), m.to_parent_user_id.as_deref())
}

fn customer(
    value: &MessagesValue,
    phone: Option<&str>,
    user_id: Option<&str>,
    parent: Option<&str>,
) -> Option<Identity> {
    let who = Identity::new(phone, user_id)?;
    let card = value.contact_for(who.wa_id(), who.user_id());
    let parent = parent.or(card.and_then(|c| c.parent_user_id.as_deref()));
    Some(
        who.with_parent(parent)
            .with_username(card.and_then(|c| c.username()))
            .with_name(card.and_then(|c| c.name())),
    )
}

/// The raw object is kept for every type but plain text (media ids, locations, contact cards…).
pub(super) fn payload_of(m: &Message, raw: &Value) -> Option<String> {
    (m.kind.as_deref() != Some("text")).then(|| raw.to_string())
}

/// Who wrote a message that arrives live (history has its own rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The customer wrote to us.
    Customer,
    /// The owner wrote from the WhatsApp Business app on the phone (an echo).
    Phone,
}

/// A live message as stored: its contact, thread and row.
pub(super) struct Stored {
    pub contact: i64,
    pub thread: i64,
    pub id: i64,
    pub kind: String,
    pub summary: Option<String>,
}

/// Stores one live message between the customer `who` and us: the contact (found by number or
/// BSUID, created on first sight; an unsigned delivery only finds, see
/// [`contacts::resolve_unsigned`]), its thread, the message with its raw payload and what it
/// answers, and the thread's last line (a customer's message also opens the window and counts as unread). `None` when
/// this wamid was stored before: then nothing else is touched.
pub(super) fn store_message(
    conn: &Connection,
    side: Side,
    who: &Identity,
    wamid: &str,
    (m, raw): (&Message, &Value),
    signed: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Stored>> {
    let at = at_of(m.timestamp.as_ref(), now);
    let contact = contacts::resolve_delivered(conn, who, signed, &ts(now))?;
    let thread = conversations::ensure(conn, contact, &ts(now))?;
    let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
    let summary = m.summary();
    let (direction, origin, status) = match side {
        Side::Customer => ("in", "customer", "received"),
        Side::Phone => ("out", "phone", "sent"),
    };
    let Some(id) = messages::insert(
        conn,
        &messages::NewMessage {
            conversation_id: thread,
            direction,
            origin,
            wamid: Some(wamid),
            send_id: None,
            kind: &kind,
            body: summary.as_deref(),
            status: Some(status),
            at: &at,
        },
    )?
    else {
        return Ok(None);
    };
    messages::set_details(
        conn,
        id,
        payload_of(m, raw).as_deref(),
        m.context.as_ref().and_then(|c| c.id.as_deref()),
    )?;
    conversations::touch(conn, thread, summary.as_deref().unwrap_or(&kind), &at, side == Side::Customer)?;
    Ok(Some(Stored { contact, thread, id, kind, summary }))
}
