//! A person takes a customer over (automation stays away from them) or hands them back: from the
//! app, or by writing from the WhatsApp Business app on the phone.

use rusqlite::Connection;
use serde_json::json;

use crate::storage::{contacts, conversations, drafts, events, messages};

/// The owner takes over `conversation_id` in the app (`taken`), or hands it back: taking over
/// drops pending drafts and answers, handing back also ends an escalation, and either is logged.
/// False when there is no such conversation (nothing changed).
pub fn set(conn: &Connection, conversation_id: i64, taken: bool, now: &str) -> rusqlite::Result<bool> {
    let Some(contact) = conversations::contact_of(conn, conversation_id)? else { return Ok(false) };
    contacts::take_over(conn, contact, taken.then_some(now))?;
    conversations::set_automation_paused(conn, conversation_id, taken)?;
    if taken {
        drafts::discard_pending(conn, conversation_id, now)?;
        messages::assist_done(conn, conversation_id, "taken_over")?;
    } else {
        // Handing back ends the escalation too: automation answers this customer again.
        conversations::clear_escalation(conn, conversation_id)?;
    }
    events::append(
        conn,
        now,
        if taken { "takeover" } else { "handed_back" },
        None,
        Some(contact),
        &json!({ "source": "app", "conversation": conversation_id }),
    )?;
    Ok(true)
}

/// The owner wrote to `contact` from the phone: a person is handling this customer now. True the
/// first time (logged once; later echoes change nothing new).
pub fn by_phone(conn: &Connection, contact: i64, thread: i64, now: &str) -> rusqlite::Result<bool> {
    let already = contacts::get(conn, contact)?.and_then(|c| c.takeover_at).is_some();
    contacts::take_over(conn, contact, Some(now))?;
    conversations::set_automation_paused(conn, thread, true)?;
    if !already {
        events::append(
            conn,
            now,
            "takeover",
            None,
            Some(contact),
            &json!({ "source": "phone", "conversation": thread }),
        )?;
    }
    Ok(!already)
}
