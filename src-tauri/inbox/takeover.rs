//! A person takes a customer over (automation stays away from them) or hands them back: from the
//! app, or by writing from the WhatsApp Business app on the phone.

use rusqlite::Connection;

use crate::storage::event_log::{self, LogEvent};
use crate::storage::{contacts, conversations, drafts, messages};

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
    let (source, conversation) = ("app", conversation_id);
    let event = if taken {
        LogEvent::Takeover { source, conversation }
    } else {
        LogEvent::HandedBack { source, conversation }
    };
    event_log::append(conn, now, None, Some(contact), &event)?;
    Ok(true)
}

/// The owner wrote to `contact` from the phone: a person is handling this customer now. True the
/// first time (logged once; later echoes change nothing new).
pub fn by_phone(conn: &Connection, contact: i64, thread: i64, now: &str) -> rusqlite::Result<bool> {
    let already = contacts::get(conn, contact)?.and_then(|c| c.takeover_at).is_some();
    contacts::take_over(conn, contact, Some(now))?;
    conversations::set_automation_paused(conn, thread, true)?;
    if !already {
        event_log::append(
            conn,
            now,
            None,
            Some(contact),
            &LogEvent::Takeover { source: "phone", conversation: thread },
        )?;
    }
    Ok(!already)
}
