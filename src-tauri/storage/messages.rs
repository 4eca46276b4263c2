//! The `messages` table: every WhatsApp message in or out, deduplicated by wamid, with who wrote
//! it (automation, the owner in the app, the owner on the phone, the customer) and its status.

use rusqlite::{Connection, Row};
use serde::Serialize;

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
