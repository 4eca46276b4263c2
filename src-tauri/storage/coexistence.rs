//! The `coexistence` table: one row about the number's link with the owner's WhatsApp Business
//! app (reference §5): the last `is_on_biz_app`/`platform_type` check, the current disconnection
//! incident (why, and whether the owner was told), the last message the owner wrote on the phone
//! (echo) for the ~14-day inactivity rule, and the one-time history and contact sync requests
//! (`smb_app_data`) with their outcome and the history's progress.
//!
//! `contacts.book_name`: the name the owner gave the customer in the phone's address book
//! (`smb_app_state_sync`); while set it is the contact's name (it wins over the WhatsApp profile
//! name and a checkout's first name: it is who the owner knows the customer as).

pub mod health;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::event_log::{self, LogEvent};

pub(crate) const SCHEMA_V12: &str = "
CREATE TABLE coexistence (
    id                     INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at             TEXT,
    on_biz_app             INTEGER CHECK (on_biz_app IN (0, 1)),
    platform_type          TEXT,
    check_error            TEXT,
    linked_since           TEXT,
    disconnected_at        TEXT,
    disconnected_reason    TEXT,
    disconnect_notified_at TEXT,
    last_echo_at           TEXT,
    reminded_for           TEXT,
    history_requested_at   TEXT,
    history_request_id     TEXT,
    history_error_code     TEXT,
    history_error_detail   TEXT,
    history_phase          INTEGER,
    history_progress       INTEGER,
    history_done_at        TEXT,
    contacts_request_id    TEXT,
    contacts_error_code    TEXT
) STRICT;
INSERT INTO coexistence (id) VALUES (1);
ALTER TABLE contacts ADD COLUMN book_name TEXT;
";

/// The row as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoexistenceRow {
    pub checked_at: Option<String>,
    pub on_biz_app: Option<bool>,
    pub platform_type: Option<String>,
    pub check_error: Option<String>,
    pub linked_since: Option<String>,
    pub disconnected_at: Option<String>,
    pub disconnected_reason: Option<String>,
    pub disconnect_notified_at: Option<String>,
    pub last_echo_at: Option<String>,
    pub reminded_for: Option<String>,
    pub history_requested_at: Option<String>,
    pub history_request_id: Option<String>,
    pub history_error_code: Option<String>,
    pub history_error_detail: Option<String>,
    pub history_phase: Option<i64>,
    pub history_progress: Option<i64>,
    pub history_done_at: Option<String>,
    pub contacts_request_id: Option<String>,
    pub contacts_error_code: Option<String>,
}

pub fn get(conn: &Connection) -> rusqlite::Result<CoexistenceRow> {
    let row = conn
        .query_row("SELECT * FROM coexistence WHERE id = 1", [], |r| {
            Ok(CoexistenceRow {
                checked_at: r.get("checked_at")?,
                on_biz_app: r.get("on_biz_app")?,
                platform_type: r.get("platform_type")?,
                check_error: r.get("check_error")?,
                linked_since: r.get("linked_since")?,
                disconnected_at: r.get("disconnected_at")?,
                disconnected_reason: r.get("disconnected_reason")?,
                disconnect_notified_at: r.get("disconnect_notified_at")?,
                last_echo_at: r.get("last_echo_at")?,
                reminded_for: r.get("reminded_for")?,
                history_requested_at: r.get("history_requested_at")?,
                history_request_id: r.get("history_request_id")?,
                history_error_code: r.get("history_error_code")?,
                history_error_detail: r.get("history_error_detail")?,
                history_phase: r.get("history_phase")?,
                history_progress: r.get("history_progress")?,
                history_done_at: r.get("history_done_at")?,
                contacts_request_id: r.get("contacts_request_id")?,
                contacts_error_code: r.get("contacts_error_code")?,
            })
        })
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// A check answered: on the Business app (the incident, if any, ends) or not (one starts, with
/// `reason`, if the number was ever seen on it). Returns whether a new incident started.
pub fn record_check(
    conn: &Connection,
    on_biz_app: bool,
    platform_type: Option<&str>,
    reason: &str,
    at: &str,
) -> rusqlite::Result<bool> {
    conn.execute(
        "UPDATE coexistence SET checked_at = ?1, on_biz_app = ?2, platform_type = ?3, check_error = NULL,
           linked_since = CASE WHEN ?2 = 1 THEN COALESCE(linked_since, ?1) ELSE linked_since END
         WHERE id = 1",
        params![at, on_biz_app, platform_type],
    )?;
    if on_biz_app {
        let ended = conn.execute(
            "UPDATE coexistence SET disconnected_at = NULL, disconnected_reason = NULL,
               disconnect_notified_at = NULL WHERE id = 1 AND disconnected_at IS NOT NULL",
            [],
        )? == 1;
        if ended {
            event_log::append(conn, at, None, None, &LogEvent::NumberReconnected {})?;
        }
        Ok(false)
    } else if get(conn)?.linked_since.is_none() {
        // Never on the Business app: a Cloud API-only number, nothing was lost.
        Ok(false)
    } else {
        mark_disconnected(conn, reason, at)
    }
}

/// A check that got no answer (network, token): the last known state stays.
pub fn record_check_failed(conn: &Connection, detail: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE coexistence SET checked_at = ?1, check_error = ?2 WHERE id = 1",
        params![at, detail],
    )?;
    Ok(())
}

/// The number is disconnected (`reason`: Meta's disconnection reason, an error code, or
/// `not_on_business_app`). Returns whether this starts a new incident (the reason of an ongoing
/// one is kept up to date).
pub fn mark_disconnected(conn: &Connection, reason: &str, at: &str) -> rusqlite::Result<bool> {
    let new = conn.execute(
        "UPDATE coexistence SET disconnected_at = ?2, disconnected_reason = ?1
         WHERE id = 1 AND disconnected_at IS NULL",
        params![reason, at],
    )? == 1;
    if new {
        event_log::append(conn, at, None, None, &LogEvent::NumberDisconnected { reason })?;
    } else {
        conn.execute("UPDATE coexistence SET disconnected_reason = ?1 WHERE id = 1", params![reason])?;
    }
    Ok(new)
}

/// The owner was told about the current incident. Returns false when already told.
pub fn mark_notified(conn: &Connection, at: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE coexistence SET disconnect_notified_at = ?1
         WHERE id = 1 AND disconnected_at IS NOT NULL AND disconnect_notified_at IS NULL",
        params![at],
    )? == 1)
}

/// The owner wrote from the phone at `at` (an echo's own time): the phone is alive.
pub fn note_echo(conn: &Connection, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE coexistence SET last_echo_at = ?1 WHERE id = 1 AND (last_echo_at IS NULL OR last_echo_at < ?1)",
        params![at],
    )?;
    Ok(())
}

/// Remembers that the owner was reminded about the silence that started at `since`. Returns
/// false when already reminded about it.
pub fn mark_reminded(conn: &Connection, since: &str, at: &str) -> rusqlite::Result<bool> {
    let new = conn.execute(
        "UPDATE coexistence SET reminded_for = ?1 WHERE id = 1 AND (reminded_for IS NULL OR reminded_for <> ?1)",
        params![since],
    )? == 1;
    if new {
        event_log::append(conn, at, None, None, &LogEvent::PhoneReminder { since })?;
    }
    Ok(new)
}

/// The history request is about to go (written before it leaves, so a crash never repeats it
/// automatically): a fresh start, earlier outcome forgotten.
pub fn history_requesting(conn: &Connection, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE coexistence SET history_requested_at = ?1, history_request_id = NULL, history_error_code = NULL,
           history_error_detail = NULL, history_phase = NULL, history_progress = NULL, history_done_at = NULL,
           contacts_request_id = NULL, contacts_error_code = NULL
         WHERE id = 1",
        params![at],
    )?;
    Ok(())
}

/// The answers to the two requests: each its request id or its error code.
pub fn history_answered(
    conn: &Connection,
    contacts: Result<&str, &str>,
    history: Result<&str, (&str, &str)>,
    at: &str,
) -> rusqlite::Result<()> {
    let (contacts_id, contacts_code) = split(contacts);
    let (history_id, history_error) = match history {
        Ok(id) => (Some(id), None),
        Err(e) => (None, Some(e)),
    };
    conn.execute(
        "UPDATE coexistence SET contacts_request_id = ?1, contacts_error_code = ?2, history_request_id = ?3,
           history_error_code = ?4, history_error_detail = ?5 WHERE id = 1",
        params![
            contacts_id,
            contacts_code,
            history_id,
            history_error.map(|e| e.0),
            history_error.map(|e| e.1)
        ],
    )?;
    let event = LogEvent::HistoryRequested {
        request_id: history_id,
        code: history_error.map(|e| e.0),
        contacts_request_id: contacts_id,
        contacts_code,
    };
    event_log::append(conn, at, None, None, &event)?;
    Ok(())
}

fn split<'a>(r: Result<&'a str, &'a str>) -> (Option<&'a str>, Option<&'a str>) {
    match r {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    }
}

/// A `history` chunk arrived: the furthest progress is kept; 100 means done.
pub fn history_chunk(
    conn: &Connection,
    phase: Option<i64>,
    progress: Option<i64>,
    at: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE coexistence SET
           history_phase = CASE WHEN ?1 IS NOT NULL AND (history_phase IS NULL OR ?1 > history_phase) THEN ?1 ELSE history_phase END,
           history_progress = CASE WHEN ?2 IS NOT NULL AND (history_progress IS NULL OR ?2 > history_progress) THEN ?2 ELSE history_progress END,
           history_done_at = CASE WHEN ?2 = 100 THEN COALESCE(history_done_at, ?3) ELSE history_done_at END
         WHERE id = 1",
        params![phase, progress, at],
    )?;
    Ok(())
}

/// The phone refused to share its history (2593109: sharing turned off in the app).
pub fn history_failed(conn: &Connection, code: &str, detail: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE coexistence SET history_error_code = ?1, history_error_detail = ?2 WHERE id = 1",
        params![code, detail],
    )?;
    Ok(())
}

/// The address book named this contact: that name becomes the contact's name.
pub fn set_book_name(conn: &Connection, contact: i64, name: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE contacts SET book_name = ?2, name = ?2 WHERE id = ?1", params![contact, name])?;
    Ok(())
}

/// The contact left the address book: its book name goes, and so does the name it gave
/// (another name comes back from the customer's WhatsApp profile or the next checkout).
pub fn clear_book_name(conn: &Connection, contact: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE contacts SET name = CASE WHEN name = book_name THEN NULL ELSE name END, book_name = NULL
         WHERE id = ?1",
        params![contact],
    )?;
    Ok(())
}

/// The most recent `at` among the given instants (RFC 3339 text sorts as time).
pub fn latest<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<&'a str> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a >= b { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// How the history import stands, for the window.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum HistoryState {
    #[default]
    NotRequested,
    /// Asked for; nothing arrived yet.
    Requested,
    Importing,
    Done,
    /// Refused (its code says why: 2593109 sharing declined, 2593108 too late, 2593107 asked before).
    Failed,
}

impl CoexistenceRow {
    pub fn history_state(&self) -> HistoryState {
        if self.history_error_code.is_some() {
            HistoryState::Failed
        } else if self.history_done_at.is_some() {
            HistoryState::Done
        } else if self.history_progress.is_some() {
            HistoryState::Importing
        } else if self.history_requested_at.is_some() {
            HistoryState::Requested
        } else {
            HistoryState::NotRequested
        }
    }
}

#[cfg(test)]
mod tests;
