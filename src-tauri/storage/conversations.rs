//! The `conversations` table: one WhatsApp thread per contact, with what the inbox sorts on
//! (escalated, unread, last activity) and the customer-service window (last inbound message).

use rusqlite::{Connection, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY,
    contact_id         INTEGER NOT NULL UNIQUE REFERENCES contacts(id),
    last_inbound_at    TEXT,
    last_message_at    TEXT,
    last_message       TEXT,
    unread             INTEGER NOT NULL DEFAULT 0 CHECK (unread >= 0),
    escalated          INTEGER NOT NULL DEFAULT 0 CHECK (escalated IN (0, 1)),
    escalation_reason  TEXT,
    automation_paused  INTEGER NOT NULL DEFAULT 0 CHECK (automation_paused IN (0, 1)),
    created_at         TEXT NOT NULL
) STRICT;
CREATE INDEX conversations_inbox ON conversations(escalated DESC, unread DESC, last_message_at DESC);
";

/// One line of the inbox list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConversationRow {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    /// `None` for a customer known only by their business-scoped user id (a WhatsApp username).
    pub phone: Option<String>,
    /// The customer's WhatsApp username, when they adopted one.
    pub username: Option<String>,
    /// The customer's business-scoped user id (BSUID), shown when there is neither a number
    /// nor a username.
    pub user_id: Option<String>,
    pub language: Option<String>,
    pub last_message: Option<String>,
    pub last_at: Option<String>,
    pub last_inbound_at: Option<String>,
    pub unread: i64,
    pub escalated: bool,
    pub escalation_reason: Option<String>,
    pub automation_paused: bool,
    pub opted_out: bool,
    pub pending_drafts: i64,
}

const ROW_SELECT: &str = "SELECT v.id, v.contact_id, k.name, k.phone_e164, k.username, k.user_id, k.language, v.last_message, v.last_message_at,
        v.last_inbound_at, v.unread, v.escalated, v.escalation_reason, v.automation_paused,
        k.opted_out_at IS NOT NULL AS opted_out,
        (SELECT count(*) FROM drafts d WHERE d.conversation_id = v.id AND d.state = 'pending') AS pending_drafts
     FROM conversations v JOIN contacts k ON k.id = v.contact_id";

impl ConversationRow {
    /// Who the customer is, for people: their name, else their number, else their WhatsApp
    /// username, else their BSUID.
    pub fn display_name(&self) -> Option<String> {
        [&self.contact_name, &self.phone, &self.username, &self.user_id]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(String::from)
    }

    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            contact_id: r.get("contact_id")?,
            contact_name: r.get("name")?,
            phone: r.get("phone_e164")?,
            username: r.get("username")?,
            user_id: r.get("user_id")?,
            language: r.get("language")?,
            last_message: r.get("last_message")?,
            last_at: r.get("last_message_at")?,
            last_inbound_at: r.get("last_inbound_at")?,
            unread: r.get("unread")?,
            escalated: r.get("escalated")?,
            escalation_reason: r.get("escalation_reason")?,
            automation_paused: r.get("automation_paused")?,
            opted_out: r.get("opted_out")?,
            pending_drafts: r.get("pending_drafts")?,
        })
    }
}

/// Escalated first, then unread, then most recent — the order the owner should work in.
pub fn inbox(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<ConversationRow>> {
    search(conn, None, limit)
}

/// The inbox, optionally narrowed by a search: the customer's name or number, or words in any
/// message of the thread (full-text, accents folded).
pub fn search(conn: &Connection, query: Option<&str>, limit: u32) -> rusqlite::Result<Vec<ConversationRow>> {
    let order = "ORDER BY v.escalated DESC, (v.unread > 0) DESC, v.last_message_at DESC, v.id DESC LIMIT ?1";
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    let Some(q) = query else {
        let mut stmt = conn.prepare_cached(&format!("{ROW_SELECT} {order}"))?;
        let rows = stmt.query_map([i64::from(limit)], ConversationRow::from_row)?;
        return rows.collect();
    };
    // FTS5 query: each word as a quoted prefix term (an inner `"` doubled), so no typed text —
    // `"`, `*`, `-`, `NEAR(`, `AND`, `col:` — is FTS5 syntax. A word without a letter or digit
    // has no token to match, so it is left out; with no term left the FTS branch is not queried.
    let fts: Vec<String> = q
        // A NUL ends FTS5's query text early (an unterminated `"`): it separates words too.
        .split(|c: char| c.is_whitespace() || c == '\0')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    let like = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let words = if fts.is_empty() {
        "OR (0 AND ?4 IS NULL)" // keeps ?4 bound; never matches
    } else {
        "OR v.id IN (SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.id = f.rowid
                        WHERE messages_fts MATCH ?4)"
    };
    let mut stmt = conn.prepare_cached(&format!(
        "{ROW_SELECT} WHERE (k.name LIKE ?2 ESCAPE '\\' OR k.username LIKE ?2 ESCAPE '\\'
            OR (length(?3) >= 4 AND k.phone_e164 LIKE '%' || ?3 || '%')
            {words})
         {order}"
    ))?;
    let rows = stmt.query_map(
        rusqlite::params![i64::from(limit), like, digits, fts.join(" ")],
        ConversationRow::from_row,
    )?;
    rows.collect()
}

/// One conversation's row.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<ConversationRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!("{ROW_SELECT} WHERE v.id = ?1"))?
        .query_row([id], ConversationRow::from_row)
        .optional()
}

/// Hands the thread to a person: escalated with its reason, automation paused. Returns false
/// when it was already escalated (no second notification).
pub fn escalate(conn: &Connection, id: i64, reason: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE conversations SET escalated = 1, escalation_reason = ?2, automation_paused = 1
             WHERE id = ?1 AND escalated = 0",
        )?
        .execute(rusqlite::params![id, reason])?;
    Ok(n == 1)
}

/// The owner handed the thread back: no longer escalated, automation resumes.
pub fn clear_escalation(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE conversations SET escalated = 0, escalation_reason = NULL WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// The owner read the thread.
pub fn mark_read(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE conversations SET unread = 0 WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Is automation kept away from this thread (a person took over or it escalated)?
pub fn automation_paused(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT automation_paused OR escalated FROM conversations WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(true))
}

/// (conversations, total unread messages, escalated conversations).
pub fn counts(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(
        "SELECT count(*), coalesce(sum(unread), 0), coalesce(sum(escalated), 0) FROM conversations",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The contact's conversation, created on first need. Returns its id.
pub fn ensure(conn: &Connection, contact_id: i64, now: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO conversations (contact_id, created_at) VALUES (?1, ?2)
         ON CONFLICT(contact_id) DO UPDATE SET contact_id = excluded.contact_id RETURNING id",
    )?
    .query_row(rusqlite::params![contact_id, now], |r| r.get(0))
}

/// Moves the thread's last activity (and, for a customer's message, the unread count and the
/// customer-service window). Messages may arrive out of order (webhook retries, history
/// chunks): the thread's "last message" only moves forward in time.
pub fn touch(conn: &Connection, id: i64, text: &str, at: &str, inbound: bool) -> rusqlite::Result<()> {
    touch_with(conn, id, text, at, inbound, inbound)
}

/// A past message (Coexistence history): the thread's last activity, no unread, no window.
pub fn touch_history(conn: &Connection, id: i64, text: &str, at: &str) -> rusqlite::Result<()> {
    touch_with(conn, id, text, at, false, false)
}

fn touch_with(
    conn: &Connection,
    id: i64,
    text: &str,
    at: &str,
    window: bool,
    unread: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE conversations SET
           last_message = CASE WHEN last_message_at IS NULL OR ?3 >= last_message_at THEN ?2 ELSE last_message END,
           last_message_at = CASE WHEN last_message_at IS NULL OR ?3 >= last_message_at THEN ?3 ELSE last_message_at END,
           last_inbound_at = CASE WHEN ?4 AND (last_inbound_at IS NULL OR ?3 > last_inbound_at) THEN ?3 ELSE last_inbound_at END,
           unread = unread + CASE WHEN ?5 THEN 1 ELSE 0 END
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, text, at, window, unread])?;
    Ok(())
}

/// A person took over (or gave back) this thread: automation stays away while paused.
pub fn set_automation_paused(conn: &Connection, id: i64, paused: bool) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE conversations SET automation_paused = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![id, paused])?;
    Ok(())
}

/// When the customer last wrote (the 24-hour customer-service window starts there).
pub fn last_inbound_at(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT last_inbound_at FROM conversations WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// The contact behind a thread.
pub fn contact_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT contact_id FROM conversations WHERE id = ?1", [id], |r| r.get(0)).optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{contacts, messages};

    #[test]
    fn any_text_typed_in_the_search_is_searched_literally_never_an_fts_syntax_error() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        let at = "2026-11-20T12:00:00.000Z";
        let contact = contacts::resolve_wa_id(&conn, "5491155550000", Some("Ana"), at).unwrap();
        let id = ensure(&conn, contact, at).unwrap();
        let body = "Precio \"final\" -20% NEAR(el) c*sa AND OR NOT ^inicio col:umna";
        let msg = messages::NewMessage {
            conversation_id: id,
            direction: "in",
            origin: "customer",
            wamid: Some("wamid.1"),
            send_id: None,
            kind: "text",
            body: Some(body),
            status: None,
            at,
        };
        messages::insert(&conn, &msg).unwrap();
        for q in [
            "\"",
            "\"\"",
            "*",
            "-",
            "NEAR(",
            "NEAR",
            "AND",
            "OR",
            "NOT",
            "^",
            ":",
            "(",
            ")",
            "+",
            "col:umna",
            "c*sa",
            "-20%",
            "\"final",
            "\u{7}\0AR(x)",
            "a\0b",
        ] {
            let found = search(&conn, Some(q), 10);
            assert!(found.is_ok(), "search {q:?} failed: {found:?}");
        }
        for q in ["\"final", "-20", "NEAR(el", "c*sa", "col:umna", "AND OR"] {
            assert_eq!(search(&conn, Some(q), 10).unwrap().len(), 1, "{q:?} found the message");
        }
        assert!(search(&conn, Some("\" zzzzqqq"), 10).unwrap().is_empty());
    }
}
