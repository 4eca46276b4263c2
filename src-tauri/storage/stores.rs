//! The `stores` table: each connected shop, its platform, where its API lives, the polling
//! cursor and the connection state the owner sees. Credentials are never here (keychain only).

use rusqlite::{Connection, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE stores (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL CHECK (platform IN ('tiendanube','shopify','woocommerce','sandbox')),
    name             TEXT NOT NULL,
    base_url         TEXT NOT NULL,
    external_id      TEXT,
    country          TEXT NOT NULL,
    cursor           TEXT,
    state            TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new','ok','failing','paused')),
    last_poll_at     TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (platform, base_url, external_id)
) STRICT;
";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoreRow {
    pub id: i64,
    pub platform: String,
    pub name: String,
    pub base_url: String,
    pub external_id: Option<String>,
    pub country: String,
    pub state: String,
    pub last_poll_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

impl StoreRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            platform: r.get("platform")?,
            name: r.get("name")?,
            base_url: r.get("base_url")?,
            external_id: r.get("external_id")?,
            country: r.get("country")?,
            state: r.get("state")?,
            last_poll_at: r.get("last_poll_at")?,
            last_success_at: r.get("last_success_at")?,
            last_error: r.get("last_error")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<StoreRow>> {
    let mut stmt = conn.prepare("SELECT * FROM stores ORDER BY id")?;
    let rows = stmt.query_map([], StoreRow::from_row)?;
    rows.collect()
}

/// The most recent successful poll over all stores, if any.
pub fn last_success(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT max(last_success_at) FROM stores", [], |r| r.get(0))
}
