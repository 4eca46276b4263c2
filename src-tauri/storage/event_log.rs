//! The `events` table: an append-only log of what happened (a cart detected, a send skipped and
//! why, a setting changed, sending paused…). Triggers make UPDATE and DELETE fail, so the history
//! the owner reads can't be rewritten. What can be logged is [`LogEvent`]; the module is called
//! `event_log` so it is not mistaken for the in-process event bus (`crate::events`).

mod log_event;

use rusqlite::{params, Connection, Row};
use serde::Serialize;

pub use log_event::{By, Kind, LogEvent, PauseDetail};

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    cart_id     INTEGER REFERENCES carts(id),
    contact_id  INTEGER REFERENCES contacts(id),
    data        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX events_cart ON events(cart_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub cart_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub data: String,
}

impl EventRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            at: r.get("at")?,
            kind: r.get("kind")?,
            cart_id: r.get("cart_id")?,
            contact_id: r.get("contact_id")?,
            data: r.get("data")?,
        })
    }
}

/// Appends one event about the cart and contact it concerns, if any.
pub fn append(
    conn: &Connection,
    at: &str,
    cart_id: Option<i64>,
    contact_id: Option<i64>,
    event: &LogEvent<'_>,
) -> rusqlite::Result<i64> {
    // Through a `Value`, whose object keeps its keys sorted: the stored text is the one the
    // `json!` literals wrote before the enum, whatever the order of the variant's fields.
    let data =
        serde_json::to_value(event).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    insert(conn, at, event.kind().as_str(), cart_id, contact_id, &data)
}

/// Appends one event by its kind's text. `data` is a JSON object with the details.
fn insert(
    conn: &Connection,
    at: &str,
    kind: &str,
    cart_id: Option<i64>,
    contact_id: Option<i64>,
    data: &serde_json::Value,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO events(at, kind, cart_id, contact_id, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![at, kind, cart_id, contact_id, data.to_string()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn recent(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<EventRow>> {
    let mut stmt = conn.prepare("SELECT * FROM events ORDER BY id DESC LIMIT ?1")?;
    let rows = stmt.query_map([i64::from(limit)], EventRow::from_row)?;
    rows.collect()
}

/// A cart's history, oldest first.
pub fn for_cart(conn: &Connection, cart_id: i64) -> rusqlite::Result<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM events WHERE cart_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([cart_id], EventRow::from_row)?;
    rows.collect()
}

/// The newest first failure (`failures` = 1) among a store's failed polls: (event id, at).
pub fn last_first_poll_failure(conn: &Connection, store_id: i64) -> rusqlite::Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension as _;
    conn.query_row(
        "SELECT id, at FROM events WHERE kind = ?2
           AND json_extract(data, '$.store') = ?1 AND json_extract(data, '$.failures') = 1
         ORDER BY id DESC LIMIT 1",
        params![store_id, Kind::StorePollFailed.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Whether the owner was told the store is unreachable after the event `after`.
pub fn store_unreachable_told_after(conn: &Connection, store_id: i64, after: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind = ?3
           AND json_extract(data, '$.store') = ?1 AND id > ?2)",
        params![store_id, after, Kind::StoreUnreachableTold.as_str()],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_cannot_be_rewritten_or_deleted() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        let id = insert(
            &conn,
            "2026-11-20T12:00:00.000Z",
            "paused",
            None,
            None,
            &serde_json::json!({"by":"tray"}),
        )
        .unwrap();
        let upd = conn.execute("UPDATE events SET kind = 'resumed' WHERE id = ?1", [id]);
        assert!(upd.is_err(), "an UPDATE must be refused");
        let del = conn.execute("DELETE FROM events WHERE id = ?1", [id]);
        assert!(del.is_err(), "a DELETE must be refused");
        let rows = recent(&conn, 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].kind, "paused");
    }
}

/// Escalations logged, by reason ('?' where none was recorded).
// Appended after the tests so the parallel #15 branches merge cleanly.
#[allow(clippy::items_after_test_module)]
pub fn escalations_by_reason(conn: &Connection) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    conn.prepare(
        "SELECT coalesce(json_extract(data, '$.reason'), '?'), count(*) FROM events WHERE kind = ?1 GROUP BY 1",
    )?
    .query_map([Kind::Escalated.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}
