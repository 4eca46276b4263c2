//! Opt-out and opting back in, recorded in one place: a customer's keyword or the template's
//! button, WhatsApp's 131050 and the customer's marketing preference on WhatsApp all end in
//! [`record`], so every opt-out is stored and logged the same way, and only once. The words
//! themselves are recognised in `domain::opt_out`.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::assistant::texts;
use super::effects::{Effects, Routing};
use crate::domain::opt_out::{is_opt_out, is_stop_button};
use crate::i18n::Lang;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{contacts, drafts, messages, store_opt_outs, ts};
use crate::whatsapp::webhook::{Message, MessagesValue};

/// What a customer just said, and where.
pub(super) struct Said<'a> {
    pub contact: i64,
    pub thread: i64,
    pub wamid: &'a str,
    /// The message's text (its summary for non-text messages; empty when it has none).
    pub text: &'a str,
}

/// Records that `contact` opted out through `source`, logged once. False when they had already
/// opted out: nothing is logged again. `conversation`: the thread it came from, when known.
/// `verified`: a signed delivery, WhatsApp's answer to our send, the owner — only such an
/// opt-out is written back to the store (`store_opt_outs::note_origin`).
pub fn record(
    conn: &Connection,
    contact: i64,
    source: &str,
    conversation: Option<i64>,
    at: &str,
    verified: bool,
) -> rusqlite::Result<bool> {
    let news = contacts::opt_out(conn, contact, source, at)?;
    store_opt_outs::note_origin(conn, contact, verified, at)?;
    if !news {
        return Ok(false);
    }
    event_log::append(conn, at, None, Some(contact), &LogEvent::OptedOut { source, conversation })?;
    Ok(true)
}

/// [`record`] for the contact with this E.164 number; false when there is none.
pub fn record_by_phone(
    conn: &Connection,
    phone_e164: &str,
    source: &str,
    at: &str,
) -> rusqlite::Result<bool> {
    match contacts::id_by_phone(conn, phone_e164)? {
        Some(contact) => record(conn, contact, source, None, at, true),
        None => Ok(false),
    }
}

/// Does this customer message ask to stop? The source to record ("button" for the template's
/// button, "keyword" for a stop word or phrase), or `None`.
pub(super) fn stop_source(kind: &str, m: &Message, summary: Option<&str>) -> Option<&'static str> {
    match kind {
        "button" => m
            .button
            .as_ref()
            .is_some_and(|b| is_stop_button(b.payload.as_deref(), b.text.as_deref()))
            .then_some("button"),
        "text" => summary.is_some_and(is_opt_out).then_some("keyword"),
        _ => None,
    }
}

/// A customer asked to stop: recorded as of `said_at` (when they said it, so an earlier "ALTA"
/// delivered late cannot lift it), their drafts and pending answers dropped, and one short
/// confirmation queued inside the window they just opened.
pub(super) fn by_customer(
    conn: &Connection,
    said: &Said<'_>,
    source: &str,
    said_at: &str,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    if !record(conn, said.contact, source, Some(said.thread), said_at, routing.signed)? {
        return Ok(());
    }
    fx.opt_outs += 1;
    fx.opted_out_threads.push(said.thread);
    drafts::discard_pending(conn, said.thread, &ts(now))?;
    messages::assist_done(conn, said.thread, "opted_out")?;
    if !routing.signed {
        return Ok(()); // no message from the shop's number on an unsigned word
    }
    confirm(conn, said, routing, now, fx, "optout", texts::opt_out_confirmation)
}

/// An opted-out customer asked to hear from the shop again (theirs to decide, already recorded
/// on the contact): logged, and one short confirmation queued.
pub(super) fn back_in_by_customer(
    conn: &Connection,
    said: &Said<'_>,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    event_log::append(
        conn,
        &ts(now),
        None,
        Some(said.contact),
        &LogEvent::OptedIn { source: None, conversation: Some(said.thread) },
    )?;
    messages::assist_done(conn, said.thread, "opted_in")?;
    confirm(conn, said, routing, now, fx, "optin", texts::opt_in_confirmation)
}

/// Queues one short confirmation in the customer's language, keyed by what they said (so a
/// delivery processed twice queues it once).
fn confirm(
    conn: &Connection,
    said: &Said<'_>,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
    key_prefix: &str,
    text: fn(Lang) -> &'static str,
) -> rusqlite::Result<()> {
    let lang = confirmation_lang(conn, said, routing)?;
    let key = format!("{key_prefix}:{}", said.wamid);
    let queued = messages::queue_reply(conn, said.thread, "automation", text(lang), &key, &ts(now))?;
    fx.replies_queued |= queued.is_some();
    Ok(())
}

/// The language of a confirmation: the one on record, else the one they wrote in, else the
/// shop's.
fn confirmation_lang(conn: &Connection, said: &Said<'_>, routing: &Routing) -> rusqlite::Result<Lang> {
    let recorded = contacts::get(conn, said.contact)?.and_then(|c| c.language);
    Ok(texts::customer_lang(recorded.as_deref(), said.text, routing.shop_lang))
}

/// The customer's marketing preference on WhatsApp (`user_preferences`): "stop" opts out,
/// "resume" opts back in.
pub(super) fn preferences(
    conn: &Connection,
    value: &MessagesValue,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    for p in &value.user_preferences {
        // By number and/or BSUID (a customer with a username may have no number).
        let Some(who) = contacts::Identity::new(p.wa_id.as_deref(), p.user_id.as_deref()) else { continue };
        if p.category.as_deref().is_some_and(|c| c != "marketing_messages") {
            continue;
        }
        // An unsigned word only finds the customer, never links a number to a BSUID.
        let who = who.with_parent(p.parent_user_id.as_deref());
        let contact = contacts::resolve_delivered(conn, &who, routing.signed, &ts(now))?;
        let value = p.value.as_deref();
        let stop = value == Some("stop");
        if stop && record(conn, contact, "meta_user_preferences", None, &ts(now), routing.signed)? {
            fx.opt_outs += 1;
        } else if value == Some("resume") && !routing.signed {
            // Lifting an opt-out is the customer's to decide: never on an unsigned word.
            continue;
        } else if value == Some("resume") && contacts::opt_back_in(conn, contact)? {
            let event = LogEvent::OptedIn { source: Some("meta_user_preferences"), conversation: None };
            event_log::append(conn, &ts(now), None, Some(contact), &event)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const AT: &str = "2026-11-20T12:00:00.000Z";

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn an_opt_out_is_recorded_and_logged_once_whatever_its_source() {
        let conn = db();
        let contact = contacts::resolve_wa_id(&conn, "5491160000001", None, AT).unwrap();
        assert!(record(&conn, contact, "keyword", Some(7), AT, true).unwrap());
        assert!(!record(&conn, contact, "meta_131050", None, AT, true).unwrap(), "already opted out");
        assert!(contacts::get(&conn, contact).unwrap().unwrap().opted_out_at.is_some());
        let logged: Vec<_> =
            event_log::recent(&conn, 10).unwrap().into_iter().filter(|e| e.kind == "opted_out").collect();
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].contact_id, Some(contact));
        let data: serde_json::Value = serde_json::from_str(&logged[0].data).unwrap();
        assert_eq!(data, json!({ "source": "keyword", "conversation": 7 }));
    }

    #[test]
    fn an_unknown_number_opts_nobody_out() {
        let conn = db();
        assert!(!record_by_phone(&conn, "+5491160000009", "keyword", AT).unwrap());
        assert!(event_log::recent(&conn, 10).unwrap().is_empty());
    }
}
