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

/// A delivery that failed to apply is retried: `attempts` counts the failures, `next_attempt_at`
/// holds it back until then, and after too many it is `quarantined` (set aside, body kept, for
/// the owner to retry). Quarantined deliveries are not pending.
pub(crate) const SCHEMA_V9: &str = "
ALTER TABLE webhook_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN next_attempt_at TEXT;
ALTER TABLE webhook_events ADD COLUMN quarantined_at TEXT;
ALTER TABLE webhook_events ADD COLUMN last_error TEXT;
";

/// Raw bodies are pruned after processing (`webhook_body_retention_days`): the row keeps its
/// facts (hash for deduplicating Meta's retries, when it came, whether signed, when and how it
/// was processed) and says when its body went.
pub(crate) const SCHEMA_V10: &str = "
ALTER TABLE webhook_events ADD COLUMN body_pruned_at TEXT;
CREATE INDEX webhook_events_unpruned ON webhook_events(processed_at)
    WHERE processed_at IS NOT NULL AND body_pruned_at IS NULL;
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
    /// Failed attempts so far.
    pub attempts: u32,
}

/// The oldest unprocessed deliveries due at `now` (not waiting out a retry's backoff, not
/// quarantined), in arrival order.
pub fn pending(conn: &Connection, limit: u32, now: &str) -> rusqlite::Result<Vec<Pending>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, body, signed, attempts FROM webhook_events
         WHERE processed_at IS NULL AND quarantined_at IS NULL
           AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
         ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![limit, now], |r| {
        Ok(Pending { id: r.get(0)?, body: r.get(1)?, signed: r.get(2)?, attempts: r.get(3)? })
    })?;
    rows.collect()
}

/// Records a failed attempt: the delivery stays pending until `next_at`.
pub fn mark_retry(conn: &Connection, id: i64, error: &str, next_at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_events SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, next_at, error])?;
    Ok(())
}

/// Sets a delivery aside after its last failed attempt; its body is kept for a retry.
pub fn mark_quarantined(conn: &Connection, id: i64, error: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_events SET attempts = attempts + 1, quarantined_at = ?2, last_error = ?3 WHERE id = ?1",
    )?
    .execute(params![id, at, error])?;
    Ok(())
}

/// Puts every quarantined delivery back in line (the owner's "retry"). Returns how many.
pub fn release_quarantined(conn: &Connection) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE webhook_events SET quarantined_at = NULL, next_attempt_at = NULL, attempts = 0
         WHERE quarantined_at IS NOT NULL AND processed_at IS NULL",
    )?
    .execute([])
}

/// One quarantined delivery as the owner sees it: never its body (it may hold a customer's
/// words), only when it came, how often it was tried and why it failed.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct QuarantinedRow {
    pub id: i64,
    pub received_at: String,
    pub quarantined_at: String,
    pub attempts: u32,
    pub last_error: String,
}

/// The quarantined deliveries, most recently set aside first (at most `limit`).
pub fn quarantined(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<QuarantinedRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, received_at, quarantined_at, attempts, coalesce(last_error, '') FROM webhook_events
         WHERE quarantined_at IS NOT NULL AND processed_at IS NULL
         ORDER BY quarantined_at DESC, id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(QuarantinedRow {
            id: r.get(0)?,
            received_at: r.get(1)?,
            quarantined_at: r.get(2)?,
            attempts: r.get(3)?,
            last_error: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// When the oldest quarantined delivery arrived.
pub fn oldest_quarantined(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT min(received_at) FROM webhook_events WHERE quarantined_at IS NOT NULL AND processed_at IS NULL",
        [],
        |r| r.get(0),
    )
}

/// Empties the raw body of every delivery processed before `before` (pending and quarantined
/// ones keep theirs); the row and its hash stay, so a late retry of Meta's is still a repeat.
/// Returns how many bodies went.
pub fn prune_bodies(conn: &Connection, before: &str, at: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE webhook_events SET body = X'', body_pruned_at = ?2
         WHERE processed_at IS NOT NULL AND body_pruned_at IS NULL AND processed_at < ?1",
    )?
    .execute(params![before, at])
}

/// How many deliveries are quarantined.
pub fn quarantined_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM webhook_events WHERE quarantined_at IS NOT NULL AND processed_at IS NULL",
        [],
        |r| r.get(0),
    )
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

/// Whether the latest delivery arrived with a valid signature (`None`: none yet).
pub fn last_signed(conn: &Connection) -> rusqlite::Result<Option<bool>> {
    conn.query_row("SELECT signed FROM webhook_events ORDER BY received_at DESC, id DESC LIMIT 1", [], |r| {
        r.get(0)
    })
    .optional()
}
