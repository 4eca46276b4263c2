//! The `messages` table: every WhatsApp message in or out, deduplicated by wamid, with who wrote
//! it (automation, the owner in the app, the owner on the phone, the customer) and its status.

use rusqlite::{Connection, Row};
use serde::Serialize;

mod replies;
pub use replies::{
    adopt_wamid, claim_reply, insert_template_send, queue_reply, queued_replies, reply_accepted,
    reply_settled, requeue_reply, settle_interrupted_replies, QueuedReply,
};

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    direction        TEXT NOT NULL CHECK (direction IN ('in','out')),
    origin           TEXT NOT NULL CHECK (origin IN ('customer','automation','app','phone','assistant')),
    wamid            TEXT UNIQUE,
    send_id          INTEGER REFERENCES sends(id),
    kind             TEXT NOT NULL,
    body             TEXT,
    status           TEXT,
    error_code       TEXT,
    created_at       TEXT NOT NULL,
    status_at        TEXT
) STRICT;
CREATE INDEX messages_thread ON messages(conversation_id, created_at);
";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: String,
    pub origin: String,
    pub wamid: Option<String>,
    pub kind: String,
    pub body: Option<String>,
    pub status: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub created_at: String,
}

impl MessageRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            conversation_id: r.get("conversation_id")?,
            direction: r.get("direction")?,
            origin: r.get("origin")?,
            wamid: r.get("wamid")?,
            kind: r.get("kind")?,
            body: r.get("body")?,
            status: r.get("status")?,
            error_code: r.get("error_code")?,
            error_detail: r.get("error_detail")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<MessageRow>> {
    let mut stmt = conn.prepare("SELECT * FROM messages ORDER BY id")?;
    let rows = stmt.query_map([], MessageRow::from_row)?;
    rows.collect()
}

/// One message to store. Deduplicated by wamid: a second copy of the same message is ignored.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub direction: &'a str,
    pub origin: &'a str,
    pub wamid: Option<&'a str>,
    pub send_id: Option<i64>,
    pub kind: &'a str,
    pub body: Option<&'a str>,
    pub status: Option<&'a str>,
    pub at: &'a str,
}

/// Returns the new row's id, or `None` when a message with that wamid is already stored.
pub fn insert(conn: &Connection, m: &NewMessage<'_>) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, direction, origin, wamid, send_id, kind, body, status, created_at, status_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT DO NOTHING RETURNING id",
    )?
    .query_row(
        rusqlite::params![m.conversation_id, m.direction, m.origin, m.wamid, m.send_id, m.kind, m.body, m.status, m.at],
        |r| r.get(0),
    )
    .optional()
}

/// Did the customer write since `since`? (A reply stops follow-ups.)
pub fn customer_wrote_since(conn: &Connection, contact_id: i64, since: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM messages m JOIN conversations v ON v.id = m.conversation_id
           WHERE v.contact_id = ?1 AND m.direction = 'in' AND m.created_at >= ?2)",
    )?
    .query_row(rusqlite::params![contact_id, since], |r| r.get(0))
}

/// Migration 4: what webhooks add to a message (the error in words, the raw object for types
/// other than text, the message it answers, the billing category), and every status WhatsApp
/// reported, once per (wamid, status), so a message's status is the best one ever seen whatever
/// the order of arrival.
pub(crate) const SCHEMA_V4: &str = "
ALTER TABLE messages ADD COLUMN error_detail TEXT;
ALTER TABLE messages ADD COLUMN payload TEXT;
ALTER TABLE messages ADD COLUMN reply_to TEXT;
ALTER TABLE messages ADD COLUMN pricing_category TEXT;
CREATE TABLE message_statuses (
    wamid             TEXT NOT NULL,
    status            TEXT NOT NULL,
    at                TEXT NOT NULL,
    recipient         TEXT,
    error_code        TEXT,
    error_detail      TEXT,
    pricing_category  TEXT,
    pricing_type      TEXT,
    PRIMARY KEY (wamid, status)
) STRICT;
";

/// A message's status as a rank: a later rank never gives way to an earlier one. `failed` ranks
/// above `sent` and `delivered` (a failure after sending is kept with its error) and below
/// `read` (a message the customer read was delivered, whatever else arrived).
pub fn status_rank(status: &str) -> i32 {
    match status {
        "accepted" => 0,
        "sent" => 1,
        "delivered" => 2,
        "failed" => 3,
        "read" => 4,
        "played" => 5,
        _ => -1,
    }
}

/// One status report from WhatsApp.
#[derive(Debug, Clone, Default)]
pub struct StatusReport<'a> {
    pub wamid: &'a str,
    pub status: &'a str,
    pub at: &'a str,
    pub recipient: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_detail: Option<&'a str>,
    pub pricing_category: Option<&'a str>,
    pub pricing_type: Option<&'a str>,
}

/// Records a status (once per wamid and status). Returns `true` when it is news.
pub fn record_status(conn: &Connection, s: &StatusReport<'_>) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO message_statuses (wamid, status, at, recipient, error_code, error_detail, pricing_category, pricing_type)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )?
        .execute(rusqlite::params![
            s.wamid,
            s.status,
            s.at,
            s.recipient,
            s.error_code,
            s.error_detail,
            s.pricing_category,
            s.pricing_type
        ])?;
    Ok(n == 1)
}

/// Sets a stored message's status to the best one reported for its wamid (order of arrival
/// does not matter), with the failure's error and the billing category. Returns the message's
/// (id, status) after the update, or `None` when no message has that wamid (yet).
pub fn apply_statuses(conn: &Connection, wamid: &str) -> rusqlite::Result<Option<(i64, Option<String>)>> {
    use rusqlite::OptionalExtension;
    let Some((id, current)) = conn
        .prepare_cached("SELECT id, status FROM messages WHERE wamid = ?1")?
        .query_row([wamid], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)))
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT status, at, error_code, error_detail, pricing_category FROM message_statuses WHERE wamid = ?1",
    )?;
    type Report = (String, String, Option<String>, Option<String>, Option<String>);
    let reports: Vec<Report> = stmt
        .query_map([wamid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let Some(best) = reports.iter().max_by_key(|r| status_rank(&r.0)) else {
        return Ok(Some((id, current)));
    };
    let failure = reports.iter().find(|r| r.0 == "failed");
    let category = reports.iter().find_map(|r| r.4.clone());
    let best_rank = status_rank(&best.0);
    let keep = current.as_deref().is_some_and(|c| status_rank(c) >= best_rank);
    let status = if keep { current.clone().unwrap_or_default() } else { best.0.clone() };
    conn.prepare_cached(
        "UPDATE messages SET status = ?2, status_at = CASE WHEN ?3 THEN status_at ELSE ?4 END,
           error_code = COALESCE(?5, error_code), error_detail = COALESCE(?6, error_detail),
           pricing_category = COALESCE(?7, pricing_category)
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        id,
        status,
        keep,
        best.1,
        failure.and_then(|f| f.2.clone()),
        failure.and_then(|f| f.3.clone()),
        category
    ])?;
    Ok(Some((id, Some(status))))
}

/// The send behind an outgoing message, if automation sent it.
pub fn send_of(conn: &Connection, wamid: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT send_id FROM messages WHERE wamid = ?1")?
        .query_row([wamid], |r| r.get::<_, Option<i64>>(0))
        .optional()
        .map(Option::flatten)
}

/// Extra details of an inbound or echoed message (webhooks): the raw object and what it answers.
pub fn set_details(
    conn: &Connection,
    id: i64,
    payload: Option<&str>,
    reply_to: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE messages SET payload = ?2, reply_to = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![id, payload, reply_to])?;
    Ok(())
}

/// The error WhatsApp reported with an inbound message (one it could not show, for instance).
pub fn set_error(conn: &Connection, id: i64, code: Option<&str>, detail: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE messages SET error_code = ?2, error_detail = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![id, code, detail])?;
    Ok(())
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<MessageRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT * FROM messages WHERE id = ?1")?
        .query_row([id], MessageRow::from_row)
        .optional()
}

/// One conversation's messages, oldest first.
pub fn thread(conn: &Connection, conversation_id: i64) -> rusqlite::Result<Vec<MessageRow>> {
    let mut stmt =
        conn.prepare("SELECT * FROM messages WHERE conversation_id = ?1 ORDER BY created_at, id")?;
    let rows = stmt.query_map([conversation_id], MessageRow::from_row)?;
    rows.collect()
}

/// Migration 5: replies the app sends on its own or for the owner go through a durable queue
/// (`queued` → `sending` → `accepted`/`failed`/`unknown`) keyed by a unique `client_key`, so a
/// reply is sent at most once even across a crash; `assist` marks inbound messages the
/// conversation step still has to look at; full-text search over message bodies (FTS5).
pub(crate) const SCHEMA_V5: &str = "
ALTER TABLE messages ADD COLUMN client_key TEXT;
ALTER TABLE messages ADD COLUMN assist TEXT;
CREATE UNIQUE INDEX messages_client_key ON messages(client_key) WHERE client_key IS NOT NULL;
CREATE INDEX messages_assist ON messages(assist) WHERE assist = 'pending';
CREATE INDEX messages_outgoing_queue ON messages(status) WHERE direction = 'out' AND status IN ('queued', 'sending');
CREATE INDEX messages_wamid_status ON message_statuses(wamid);
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) SELECT 'delete', old.id, old.body WHERE old.body IS NOT NULL;
    INSERT INTO messages_fts(rowid, body) SELECT new.id, new.body WHERE new.body IS NOT NULL;
END;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
";

/// Inbound messages the conversation step has not looked at yet, oldest first.
pub fn awaiting_assist(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<MessageRow>> {
    let mut stmt = conn
        .prepare_cached("SELECT * FROM messages WHERE assist = 'pending' ORDER BY created_at, id LIMIT ?1")?;
    let rows = stmt.query_map([i64::from(limit)], MessageRow::from_row)?;
    rows.collect()
}

/// Marks a conversation's pending inbound messages as looked at, with the outcome.
pub fn assist_done(conn: &Connection, conversation_id: i64, outcome: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE messages SET assist = ?2 WHERE conversation_id = ?1 AND assist = 'pending'")?
        .execute(rusqlite::params![conversation_id, outcome])
}

/// Flags one inbound message for the conversation step.
pub fn mark_for_assist(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE messages SET assist = 'pending' WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// How many of a conversation's inbound messages still wait for the conversation step.
pub fn pending_assist_count(conn: &Connection, conversation_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM messages WHERE conversation_id = ?1 AND assist = 'pending'")?
        .query_row([conversation_id], |r| r.get(0))
}

/// The last `n` messages of a thread, oldest first (what the assistant sees).
pub fn recent(conn: &Connection, conversation_id: i64, n: u32) -> rusqlite::Result<Vec<MessageRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2)
         ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map(rusqlite::params![conversation_id, i64::from(n)], MessageRow::from_row)?;
    rows.collect()
}

/// Automated outgoing messages by their last status ('none' before any status).
pub fn automation_status_counts(
    conn: &Connection,
) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    conn.prepare(
        "SELECT coalesce(status, 'none'), count(*) FROM messages WHERE direction = 'out' AND origin = 'automation' GROUP BY 1",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// Opt-out confirmations WhatsApp accepted.
pub fn accepted_opt_out_confirmations(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM messages WHERE client_key LIKE 'optout:%' AND status IN ('accepted', 'sent', 'delivered', 'read')",
        [],
        |r| r.get(0),
    )
}
