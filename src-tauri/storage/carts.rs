//! The `carts` table: every abandoned checkout seen, rebuilt from the store, one row per
//! (store, checkout id) so re-seeing a checkout updates it and never duplicates it. A cart without
//! a usable phone is kept with the reason, so the owner sees it.

use rusqlite::{params, Connection, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE carts (
    id                  INTEGER PRIMARY KEY,
    store_id            INTEGER NOT NULL REFERENCES stores(id),
    external_id         TEXT NOT NULL,
    contact_id          INTEGER REFERENCES contacts(id),
    phone_e164          TEXT,
    phone_raw           TEXT,
    phone_problem       TEXT,
    first_name          TEXT,
    language            TEXT,
    marketing_consent   INTEGER CHECK (marketing_consent IN (0, 1)),
    currency            TEXT NOT NULL,
    total               TEXT NOT NULL,
    items_json          TEXT NOT NULL,
    recovery_url        TEXT,
    checkout_created_at TEXT NOT NULL,
    checkout_updated_at TEXT NOT NULL,
    completed_at        TEXT,
    detected_at         TEXT NOT NULL,
    holdout             INTEGER NOT NULL DEFAULT 0 CHECK (holdout IN (0, 1)),
    status              TEXT NOT NULL DEFAULT 'detected',
    UNIQUE (store_id, external_id)
) STRICT;
CREATE INDEX carts_detected ON carts(detected_at);
CREATE INDEX carts_status ON carts(status, detected_at);
CREATE INDEX carts_contact ON carts(contact_id);
";

/// What the Carts screen and the export show for one cart.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CartRow {
    pub id: i64,
    pub store: String,
    pub external_id: String,
    pub first_name: Option<String>,
    pub phone: Option<String>,
    pub phone_problem: Option<String>,
    pub currency: String,
    /// Decimal amount as text, exactly as stored (never a float).
    pub total: String,
    pub recovery_url: Option<String>,
    pub status: String,
    pub holdout: bool,
    pub detected_at: String,
    pub completed_at: Option<String>,
}

impl CartRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            store: r.get("store")?,
            external_id: r.get("external_id")?,
            first_name: r.get("first_name")?,
            phone: r.get("phone_e164")?,
            phone_problem: r.get("phone_problem")?,
            currency: r.get("currency")?,
            total: r.get("total")?,
            recovery_url: r.get("recovery_url")?,
            status: r.get("status")?,
            holdout: r.get("holdout")?,
            detected_at: r.get("detected_at")?,
            completed_at: r.get("completed_at")?,
        })
    }
}

/// Filters of the Carts screen. `search` matches name, phone or checkout id.
#[derive(Debug, Clone, Default)]
pub struct CartFilter {
    pub status: Option<String>,
    pub search: Option<String>,
    pub limit: Option<u32>,
}

pub fn list(conn: &Connection, filter: &CartFilter) -> rusqlite::Result<Vec<CartRow>> {
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let mut stmt = conn.prepare(
        "SELECT c.*, s.name AS store FROM carts c JOIN stores s ON s.id = c.store_id
         WHERE (?1 IS NULL OR c.status = ?1)
           AND (?2 IS NULL OR c.first_name LIKE ?2 ESCAPE '\\' OR c.phone_e164 LIKE ?2 ESCAPE '\\'
                OR c.external_id LIKE ?2 ESCAPE '\\')
         ORDER BY c.detected_at DESC, c.id DESC
         LIMIT ?3",
    )?;
    let limit = i64::from(filter.limit.unwrap_or(500));
    let rows = stmt.query_map(params![filter.status, search, limit], CartRow::from_row)?;
    rows.collect()
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM carts", [], |r| r.get(0))
}
