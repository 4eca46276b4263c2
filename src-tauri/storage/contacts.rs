//! The `contacts` table: one row per customer we may write to, keyed by WhatsApp's `wa_id` once
//! known and by the E.164 number we sent to (the two differ for AR, MX and BR numbers). Opt-out,
//! takeover and escalation are facts about the contact, so every cart of that customer obeys them.

use rusqlite::{Connection, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    phone_e164       TEXT NOT NULL UNIQUE,
    wa_id            TEXT UNIQUE,
    name             TEXT,
    language         TEXT,
    marketing_consent INTEGER CHECK (marketing_consent IN (0, 1)),
    opted_out_at     TEXT,
    opt_out_source   TEXT,
    takeover_at      TEXT,
    created_at       TEXT NOT NULL
) STRICT;
";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContactRow {
    pub id: i64,
    pub phone_e164: String,
    pub wa_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub marketing_consent: Option<bool>,
    pub opted_out_at: Option<String>,
    pub opt_out_source: Option<String>,
    pub takeover_at: Option<String>,
    pub created_at: String,
}

impl ContactRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            phone_e164: r.get("phone_e164")?,
            wa_id: r.get("wa_id")?,
            name: r.get("name")?,
            language: r.get("language")?,
            marketing_consent: r.get("marketing_consent")?,
            opted_out_at: r.get("opted_out_at")?,
            opt_out_source: r.get("opt_out_source")?,
            takeover_at: r.get("takeover_at")?,
            created_at: r.get("created_at")?,
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<ContactRow>> {
    let mut stmt = conn.prepare("SELECT * FROM contacts ORDER BY id")?;
    let rows = stmt.query_map([], ContactRow::from_row)?;
    rows.collect()
}
