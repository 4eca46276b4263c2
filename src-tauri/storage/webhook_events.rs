//! The `webhook_events` table: every webhook POST Meta (or the sandbox) delivered, byte for byte,
//! committed before the receiver answers 200. Identical deliveries (Meta's retries, duplicates
//! sent to every subscribed app) are one row, counted in `deliveries`. Processing happens after
//! the answer, from this table, so a crash between the two loses nothing: the next start
//! processes what is left.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

pub(crate) const SCHEMA_V4: &str = "
CREATE TABLE webhook_events (
    id            INTEGER PRIMARY KEY,
    body_sha256   TEXT NOT NULL UNIQUE,
    body          BLOB NOT NULL,
    signed        INTEGER NOT NULL CHECK (signed IN (0, 1)),
    received_at   TEXT NOT NULL,
    deliveries    INTEGER NOT NULL DEFAULT 1,
    processed_at  TEXT,
    outcome       TEXT
) STRICT;
CREATE INDEX webhook_events_pending ON webhook_events(id) WHERE processed_at IS NULL;
";

/// Stores one delivery. Returns `true` when the body is new, `false` for a repeat.
pub fn store(conn: &Connection, body: &[u8], signed: bool, at: &str) -> rusqlite::Result<bool> {
    let digest = hex::encode(Sha256::digest(body));
    let new = conn
        .prepare_cached(
            "INSERT INTO webhook_events (body_sha256, body, signed, received_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(body_sha256) DO UPDATE SET deliveries = deliveries + 1
             RETURNING deliveries",
        )?
        .query_row(params![digest, body, signed, at], |r| r.get::<_, i64>(0))?;
    Ok(new == 1)
}

/// One stored delivery waiting to be processed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub body: Vec<u8>,
    /// Whether it arrived with a valid signature: an unsigned one is accepted only while the
    /// owner allows it, and then some of its effects are never applied (`inbox::delivery`).
    pub signed: bool,
}

/// The oldest unprocessed deliveries, in arrival order.
pub fn pending(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<Pending>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, body, signed FROM webhook_events WHERE processed_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows =
        stmt.query_map([limit], |r| Ok(Pending { id: r.get(0)?, body: r.get(1)?, signed: r.get(2)? }))?;
    rows.collect()
}

/// Marks a delivery processed with a short outcome ("ok", "ignored: …", "invalid: …").
pub fn mark_processed(conn: &Connection, id: i64, outcome: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE webhook_events SET processed_at = ?2, outcome = ?3 WHERE id = ?1")?
        .execute(params![id, at, outcome])?;
    Ok(())
}

/// (stored deliveries, still unprocessed, total POSTs counted including repeats).
pub fn counts(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row(
        "SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL), coalesce(sum(deliveries), 0)
         FROM webhook_events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// When the last delivery arrived (the onboarding's "last webhook received").
pub fn last_received(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT max(received_at) FROM webhook_events", [], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}
