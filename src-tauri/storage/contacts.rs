//! The `contacts` table: one row per customer we may write to, keyed by WhatsApp's `wa_id` once
//! known and by the E.164 number we sent to (the two differ for AR, MX and BR numbers). Opt-out,
//! takeover and escalation are facts about the contact, so every cart of that customer obeys them.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row};
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

/// The contact behind a cart's phone, created on first sight. Name, language and consent are
/// refreshed from the newest checkout; opt-out and takeover are never touched here.
pub fn upsert_from_cart(
    conn: &Connection,
    e164: &str,
    cart: &crate::domain::Cart,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let customer = cart.customer();
    conn.query_row(
        "INSERT INTO contacts (phone_e164, name, language, marketing_consent, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(phone_e164) DO UPDATE SET name = COALESCE(excluded.name, name),
           language = COALESCE(excluded.language, language),
           marketing_consent = COALESCE(excluded.marketing_consent, marketing_consent)
         RETURNING id",
        params![
            e164,
            customer.first_name(),
            customer.language().map(|l| l.code().to_string()),
            customer.marketing_consent(),
            super::ts(now)
        ],
        |r| r.get(0),
    )
}

/// The customer stopped messages (keyword, button, Meta's 131050): suppressed for good until
/// they opt back in. Keeps the first opt-out's time and source. Returns true when this is news.
pub fn opt_out(conn: &Connection, id: i64, source: &str, at: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("UPDATE contacts SET opted_out_at = ?3, opt_out_source = ?2 WHERE id = ?1 AND opted_out_at IS NULL")?
        .execute(params![id, source, at])?;
    Ok(n == 1)
}

/// A person took over the conversation (owner in the app or on the phone): automation stops
/// for this customer until given back.
pub fn take_over(conn: &Connection, id: i64, at: Option<&str>) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE contacts SET takeover_at = ?2 WHERE id = ?1")?.execute(params![id, at])?;
    Ok(())
}

pub fn id_by_phone(conn: &Connection, e164: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT id FROM contacts WHERE phone_e164 = ?1")?
        .query_row([e164], |r| r.get(0))
        .optional()
}
