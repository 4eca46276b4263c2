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
