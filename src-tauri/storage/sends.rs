//! The `sends` table: the outbox. One row per (cart, step) with a unique idempotency key, so a
//! message can be planned twice but exist once. Dispatch claims a row under a lease and finishes
//! it with an update fenced by the lease owner; a lease that expired without a result becomes
//! `unknown` and is reconciled from delivery webhooks, never re-sent blindly. Skips are rows too,
//! with their reason.

use rusqlite::{Connection, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE sends (
    id               INTEGER PRIMARY KEY,
    cart_id          INTEGER NOT NULL REFERENCES carts(id),
    step             INTEGER NOT NULL CHECK (step BETWEEN 0 AND 2),
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN ('planned','leased','sent','failed','skipped','unknown','cancelled')),
    due_at           TEXT NOT NULL,
    deadline_at      TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    wamid            TEXT UNIQUE,
    sent_at          TEXT,
    skip_reason      TEXT,
    error_code       TEXT,
    error_detail     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (cart_id, step)
) STRICT;
CREATE INDEX sends_due ON sends(state, due_at);
";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SendRow {
    pub id: i64,
    pub cart_id: i64,
    pub step: i64,
    pub state: String,
    pub due_at: String,
    pub deadline_at: String,
    pub attempts: i64,
    pub wamid: Option<String>,
    pub sent_at: Option<String>,
    pub skip_reason: Option<String>,
    pub error_code: Option<String>,
    pub created_at: String,
}

impl SendRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            cart_id: r.get("cart_id")?,
            step: r.get("step")?,
            state: r.get("state")?,
            due_at: r.get("due_at")?,
            deadline_at: r.get("deadline_at")?,
            attempts: r.get("attempts")?,
            wamid: r.get("wamid")?,
            sent_at: r.get("sent_at")?,
            skip_reason: r.get("skip_reason")?,
            error_code: r.get("error_code")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<SendRow>> {
    let mut stmt = conn.prepare("SELECT * FROM sends ORDER BY id")?;
    let rows = stmt.query_map([], SendRow::from_row)?;
    rows.collect()
}

/// Sends still waiting to go out (planned or in flight).
pub fn count_pending(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM sends WHERE state IN ('planned','leased')", [], |r| r.get(0))
}
