//! The `drafts` table: answers the assistant (or the shop facts) prepared for a customer. In
//! "drafts" mode they wait for the owner's one-click approval; in "auto" mode they are recorded
//! as sent; an answer that failed the grounding check is kept as `blocked`, for the owner to see
//! why the conversation escalated.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V5: &str = "
CREATE TABLE drafts (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    reply_to        INTEGER REFERENCES messages(id),
    text            TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('assistant','facts')),
    facts_version   INTEGER,
    state           TEXT NOT NULL CHECK (state IN ('pending','sent','discarded','superseded','blocked')),
    detail          TEXT,
    message_id      INTEGER REFERENCES messages(id),
    created_at      TEXT NOT NULL,
    decided_at      TEXT
) STRICT;
CREATE INDEX drafts_by_conversation ON drafts(conversation_id, state);
";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DraftRow {
    pub id: i64,
    pub conversation_id: i64,
    pub text: String,
    pub source: String,
    pub facts_version: Option<i64>,
    pub reply_to_message_id: Option<i64>,
    pub state: String,
    pub detail: Option<String>,
    pub created_at: String,
}

impl DraftRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            conversation_id: r.get("conversation_id")?,
            text: r.get("text")?,
            source: r.get("source")?,
            facts_version: r.get("facts_version")?,
            reply_to_message_id: r.get("reply_to")?,
            state: r.get("state")?,
            detail: r.get("detail")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub struct NewDraft<'a> {
    pub conversation_id: i64,
    pub reply_to: Option<i64>,
    pub text: &'a str,
    pub source: &'a str,
    pub facts_version: Option<i64>,
    pub state: &'a str,
    pub detail: Option<&'a str>,
    pub at: &'a str,
}

/// Stores a draft; a new pending draft supersedes the conversation's older pending ones (the
/// customer wrote again, so the older answer is stale).
pub fn insert(conn: &Connection, d: &NewDraft<'_>) -> rusqlite::Result<i64> {
    if d.state == "pending" {
        conn.prepare_cached(
            "UPDATE drafts SET state = 'superseded', decided_at = ?2 WHERE conversation_id = ?1 AND state = 'pending'",
        )?
        .execute(params![d.conversation_id, d.at])?;
    }
    conn.prepare_cached(
        "INSERT INTO drafts (conversation_id, reply_to, text, source, facts_version, state, detail, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    )?
    .query_row(
        params![d.conversation_id, d.reply_to, d.text, d.source, d.facts_version, d.state, d.detail, d.at],
        |r| r.get(0),
    )
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<DraftRow>> {
    conn.prepare_cached("SELECT * FROM drafts WHERE id = ?1")?.query_row([id], DraftRow::from_row).optional()
}

/// A conversation's drafts in `state`, oldest first.
pub fn by_state(conn: &Connection, conversation_id: i64, state: &str) -> rusqlite::Result<Vec<DraftRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM drafts WHERE conversation_id = ?1 AND state = ?2 ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map(params![conversation_id, state], DraftRow::from_row)?;
    rows.collect()
}

/// Every draft, oldest first (reports and tests).
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<DraftRow>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM drafts ORDER BY id")?;
    let rows = stmt.query_map([], DraftRow::from_row)?;
    rows.collect()
}

/// Moves a pending draft to `state` (sent, discarded). Returns false when it was not pending
/// (already decided, or superseded by a newer one).
pub fn decide(
    conn: &Connection,
    id: i64,
    state: &str,
    message_id: Option<i64>,
    at: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE drafts SET state = ?2, message_id = ?3, decided_at = ?4 WHERE id = ?1 AND state = 'pending'",
        )?
        .execute(params![id, state, message_id, at])?;
    Ok(n == 1)
}

/// Pending drafts of a conversation are dropped (the owner took over or the customer left).
pub fn discard_pending(conn: &Connection, conversation_id: i64, at: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE drafts SET state = 'discarded', decided_at = ?2 WHERE conversation_id = ?1 AND state = 'pending'",
    )?
    .execute(params![conversation_id, at])
}

/// Drafts counted by "source state" (e.g. "facts pending").
pub fn counts_by_source_and_state(
    conn: &Connection,
) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    conn.prepare("SELECT source || ' ' || state, count(*) FROM drafts GROUP BY 1")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}
