//! The rules of the owner's and automation's replies around the durable reply queue (its
//! storage is `storage::messages::replies`): what a reply may hold, when automation's own reply
//! must stay home after all, how an approved draft is queued, and what WhatsApp's answer makes
//! of a reply. At most once: a reply is claimed before it leaves and settled after, never resent.

use rusqlite::Connection;

use crate::storage::event_log::{self, LogEvent};
use crate::storage::{contacts, conversations, drafts, messages};
use crate::whatsapp::{Accepted, SendError};

/// The most characters a WhatsApp text message holds.
pub const MAX_CHARS: usize = 4096;

/// Too long to send as one message?
pub fn too_long(text: &str) -> bool {
    text.chars().count() > MAX_CHARS
}

/// 128 random bits, hex: a reply's unique key.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS RNG failing is near impossible; a time-free fallback still never repeats in
        // practice within one database.
        bytes = fastrand::u128(..).to_le_bytes();
    }
    hex::encode(bytes)
}

/// Why automation's own reply does not leave after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    TakenOver,
    OptedOut,
}

impl Held {
    /// For the owner and the log.
    pub fn reason(self) -> &'static str {
        match self {
            Held::TakenOver => "a person took over this conversation",
            Held::OptedOut => "the customer opted out",
        }
    }
}

/// Automation's own replies re-check the rules at the last moment; the owner's don't. When the
/// assistant's reply must not leave (a takeover or an opt-out since it was queued), it is settled
/// as failed and the reason returned.
pub fn hold_automation(
    conn: &Connection,
    reply: &messages::QueuedReply,
    contact: &contacts::ContactRow,
    automation: bool,
    now: &str,
) -> rusqlite::Result<Option<Held>> {
    if !automation || reply.origin != "assistant" {
        return Ok(None);
    }
    if conversations::automation_paused(conn, reply.conversation_id)? {
        messages::reply_settled(
            conn,
            reply.id,
            "failed",
            Some("taken_over"),
            Some("a person took over"),
            now,
        )?;
        return Ok(Some(Held::TakenOver));
    }
    if contact.opted_out_at.is_some() {
        messages::reply_settled(
            conn,
            reply.id,
            "failed",
            Some("opted_out"),
            Some("the customer opted out"),
            now,
        )?;
        return Ok(Some(Held::OptedOut));
    }
    Ok(None)
}

/// Stores WhatsApp's answer to a claimed reply in `tx`: accepted (with the customer's WhatsApp
/// id), unknown (it may have left: never resent), back in the queue (asked to retry later: nothing
/// left) or failed. Returns the send error, if any, for the caller.
pub fn settle(
    tx: &Connection,
    reply: &messages::QueuedReply,
    contact: i64,
    result: Result<Accepted, SendError>,
    now: &str,
) -> rusqlite::Result<Result<(), SendError>> {
    let id = reply.id;
    Ok(match result {
        Ok(accepted) => {
            if let Some(wa_id) = accepted.wa_id.as_deref() {
                contacts::remember_wa_id(tx, contact, wa_id)?;
            }
            messages::reply_accepted(tx, id, &accepted.wamid, now)?;
            conversations::touch(tx, reply.conversation_id, &reply.body, now, false)?;
            Ok(())
        }
        Err(SendError::Unknown { detail }) => {
            messages::reply_settled(tx, id, "unknown", None, Some(&detail), now)?;
            Err(SendError::Unknown { detail })
        }
        // The reply waits for the next round (pair rate limit, throughput, Meta
        // unavailable): nothing left, so sending later is still at most once.
        Err(e @ SendError::Retryable { .. }) => {
            messages::requeue_reply(tx, id, &e.to_string(), now)?;
            Err(e)
        }
        Err(SendError::WindowClosed { code }) => {
            messages::reply_settled(
                tx,
                id,
                "failed",
                Some(&code),
                Some("the 24-hour window is closed"),
                now,
            )?;
            Err(SendError::WindowClosed { code })
        }
        Err(e) => {
            messages::reply_settled(tx, id, "failed", Some(e.code()), Some(&e.to_string()), now)?;
            Err(e)
        }
    })
}

/// Stores WhatsApp's answer to a template sent by hand (`id`, stored as sending). An unknown
/// outcome is kept as unknown and is not an error; a refusal is.
pub fn settle_template(
    conn: &Connection,
    id: i64,
    conversation_id: i64,
    body: &str,
    result: Result<Accepted, SendError>,
    now: &str,
) -> rusqlite::Result<Result<(), SendError>> {
    Ok(match result {
        Ok(accepted) => {
            messages::reply_accepted(conn, id, &accepted.wamid, now)?;
            conversations::touch(conn, conversation_id, body, now, false)?;
            Ok(())
        }
        Err(SendError::Unknown { detail }) => {
            messages::reply_settled(conn, id, "unknown", None, Some(&detail), now)?;
            Ok(())
        }
        Err(e) => {
            messages::reply_settled(conn, id, "failed", Some(e.code()), Some(&e.to_string()), now)?;
            Err(e)
        }
    })
}

/// What became of an approved draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approved {
    /// Queued as this message: commit, then send.
    Queued(i64),
    AlreadySent,
    NoLongerPending,
}

/// Queues the approved draft `text` in `tx` and marks the draft sent. Unedited, the assistant
/// wrote it; edited, the owner did. Anything but [`Approved::Queued`] must not be committed.
pub fn queue_approved(
    tx: &Connection,
    draft: &drafts::DraftRow,
    text: &str,
    now: &str,
) -> rusqlite::Result<Approved> {
    let origin = if text == draft.text { "assistant" } else { "app" };
    let key = format!("draft:{}", draft.id);
    let Some(id) = messages::queue_reply(tx, draft.conversation_id, origin, text, &key, now)? else {
        return Ok(Approved::AlreadySent);
    };
    if !drafts::decide(tx, draft.id, "sent", Some(id), now)? {
        return Ok(Approved::NoLongerPending);
    }
    event_log::append(
        tx,
        now,
        None,
        None,
        &LogEvent::DraftApproved {
            draft: draft.id,
            conversation: draft.conversation_id,
            edited: origin == "app",
        },
    )?;
    Ok(Approved::Queued(id))
}
