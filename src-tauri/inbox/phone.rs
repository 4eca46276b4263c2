//! The owner's WhatsApp Business app on the phone (Coexistence): messages the owner writes there
//! (echoes — a person is handling that customer now), the past conversations it shares once
//! (history) and its address book (contact names).

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::effects::Effects;
use super::stored::{at_of, parse_each, payload_of, recipient, store_message, Side, Stored};
use super::takeover;
use crate::storage::contacts::{self, Identity};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{coexistence, conversations, messages, ts};
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
        // `to_user_id` alone for a customer with a username and no number.
        let (Some(to), Some(wamid)) = (recipient(value, &m), m.id.as_deref()) else {
            notes.push("an echo without a usable recipient (no number, no BSUID)".into());
            continue;
        };
        // The phone app is alive (Meta cuts the link after ~14 days without it).
        coexistence::note_echo(conn, &at_of(m.timestamp.as_ref(), now))?;
        let Some(Stored { contact, thread, .. }) =
            store_message(conn, Side::Phone, &to, wamid, (&m, raw), true, now)?
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
/// opening windows or counting as unread. Nothing in them is acted on — no escalation, takeover,
/// answer, draft or confirmation — except the customer's own word on marketing: a "STOP" (or an
/// "ALTA" after it) said on the phone before Recupero was connected still holds (product: never
/// message after an opt-out), recorded silently as of when it was said, so chunks arriving out
/// of order settle the same way. The import's progress and a refusal (2593109) are kept.
pub(super) fn history(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for chunk in &value.history {
        coexistence::history_chunk(conn, chunk.metadata.phase, chunk.metadata.progress, &ts(now))?;
        for e in &chunk.errors {
            let code = e.code.map_or_else(|| "unknown".to_string(), |c| c.to_string());
            coexistence::history_failed(conn, &code, &e.detail())?;
            event_log::append(
                conn,
                &ts(now),
                None,
                None,
                &LogEvent::HistoryDeclined { code: e.code, detail: &e.detail() },
            )?;
        }
        for thread in &chunk.threads {
            // The thread's customer: its `id` (their number) and/or `context` (number, BSUID,
            // username); a customer with a username may have no number at all.
            let ctx = thread.context.as_ref();
            let phone = thread.id.as_deref().or(ctx.and_then(|c| c.wa_id.as_deref()));
            let Some(customer) = Identity::new(phone, ctx.and_then(|c| c.user_id.as_deref())) else {
                notes.push("a history thread without a usable customer id".into());
                continue;
            };
            let customer = customer
                .with_parent(ctx.and_then(|c| c.parent_user_id.as_deref()))
                .with_username(ctx.and_then(|c| c.username.as_deref()));
            let contact = contacts::resolve(conn, &customer, &ts(now))?;
            let conversation = conversations::ensure(conn, contact, &ts(now))?;
            for (m, raw) in parse_each(&thread.messages, notes) {
                let Some(wamid) = m.id.as_deref() else { continue };
                let from_customer = customer.is(m.from.as_deref()) || customer.is(m.from_user_id.as_deref());
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
                if from_customer {
                    past_word_on_marketing(conn, contact, conversation, &kind, &m, summary.as_deref(), &at)?;
                }
            }
        }
        if chunk.metadata.progress == Some(100) {
            event_log::append(
                conn,
                &ts(now),
                None,
                None,
                &LogEvent::HistorySynced { phase: chunk.metadata.phase, chunk: chunk.metadata.chunk_order },
            )?;
        }
    }
    Ok(())
}

/// The phone's address book: names for the contacts we know or will. The owner's name for a
/// customer wins over their WhatsApp profile name and a checkout's name; a contact removed from
/// the book loses that name (a removal for a number we never met creates nothing).
pub(super) fn state_sync(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    for item in &value.state_sync {
        if item.kind.as_deref().is_some_and(|k| k != "contact") {
            continue;
        }
        let Some(c) = &item.contact else { continue };
        // The book may hold a number with direction marks or odd spaces (a right-to-left phone).
        let number = c.phone_number.as_deref().map(crate::domain::user_id::book_number);
        let Some(who) = Identity::new(number.as_deref(), c.user_id.as_deref()) else { continue };
        if item.action.as_deref() == Some("remove") {
            if let Some(contact) = known_contact(conn, &who)? {
                coexistence::clear_book_name(conn, contact)?;
            }
            continue;
        }
        let name =
            c.full_name.as_deref().or(c.first_name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
        let contact = contacts::resolve(conn, &who.with_username(c.username.as_deref()), &ts(now))?;
        if let Some(name) = name {
            coexistence::set_book_name(conn, contact, name)?;
        }
    }
    Ok(())
}

/// The contact with this WhatsApp number or BSUID, if we have one (never creates).
fn known_contact(conn: &Connection, who: &Identity) -> rusqlite::Result<Option<i64>> {
    if let Some(wa_id) = who.wa_id() {
        for e164 in contacts::e164_candidates(wa_id) {
            if let Some(id) = contacts::id_by_phone(conn, &e164)? {
                return Ok(Some(id));
            }
        }
    }
    match who.user_id() {
        Some(b) => contacts::id_by_user_id(conn, b),
        None => Ok(None),
    }
}

/// A customer's "STOP" (or "ALTA") in the history, as of when they said it: the opt-out is
/// recorded and logged (source `history`) without confirming anything to the customer.
fn past_word_on_marketing(
    conn: &Connection,
    contact: i64,
    conversation: i64,
    kind: &str,
    m: &crate::whatsapp::webhook::Message,
    summary: Option<&str>,
    said_at: &str,
) -> rusqlite::Result<()> {
    if super::opt_out::stop_source(kind, m, summary).is_some() {
        super::opt_out::record(conn, contact, "history", Some(conversation), said_at, true)?;
    } else if kind == "text" && summary.is_some_and(crate::domain::opt_out::is_opt_in) {
        contacts::opt_in_by_customer(conn, contact, said_at)?;
    }
    Ok(())
}
