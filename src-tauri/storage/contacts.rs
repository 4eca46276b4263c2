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

/// The numbers WhatsApp may report for an E.164 we know, and the other way round: Argentina
/// drops the mobile `9` after 54, Mexico the `1` after 52, and Brazil may drop the ninth digit
/// of a mobile number. Returns E.164 candidates (with `+`) for a `wa_id` (digits).
pub fn e164_candidates(wa_id: &str) -> Vec<String> {
    let digits: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![format!("+{digits}")];
    if let Some(rest) = digits.strip_prefix("54") {
        if !rest.starts_with('9') {
            out.push(format!("+549{rest}"));
        }
    } else if let Some(rest) = digits.strip_prefix("52") {
        if !rest.starts_with('1') && rest.len() == 10 {
            out.push(format!("+521{rest}"));
        }
    } else if let Some(rest) = digits.strip_prefix("55") {
        // DDD (2 digits) + 8 digits: the ninth digit was dropped.
        if rest.len() == 10 {
            out.push(format!("+55{}9{}", &rest[..2], &rest[2..]));
        }
    }
    out
}

/// The contact a WhatsApp id (webhooks, send answers) belongs to: by `wa_id`, else by one of its
/// E.164 forms (then the `wa_id` is remembered beside the E.164 we send to), else a new contact
/// (a customer who writes first). `name` fills an empty name.
pub fn resolve_wa_id(conn: &Connection, wa_id: &str, name: Option<&str>, now: &str) -> rusqlite::Result<i64> {
    use rusqlite::OptionalExtension;
    let wa_id: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM contacts WHERE wa_id = ?1")?
        .query_row([&wa_id], |r| r.get(0))
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            let mut by_phone = None;
            for candidate in e164_candidates(&wa_id) {
                if let Some(id) = id_by_phone(conn, &candidate)? {
                    by_phone = Some(id);
                    break;
                }
            }
            match by_phone {
                Some(id) => {
                    conn.prepare_cached("UPDATE contacts SET wa_id = ?2 WHERE id = ?1 AND wa_id IS NULL")?
                        .execute(params![id, wa_id])?;
                    id
                }
                None => conn
                    .prepare_cached(
                        "INSERT INTO contacts (phone_e164, wa_id, name, created_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT(phone_e164) DO UPDATE SET wa_id = COALESCE(wa_id, excluded.wa_id) RETURNING id",
                    )?
                    .query_row(params![format!("+{wa_id}"), wa_id, name, now], |r| r.get(0))?,
            }
        }
    };
    if let Some(name) = name {
        conn.prepare_cached("UPDATE contacts SET name = ?2 WHERE id = ?1 AND (name IS NULL OR name = '')")?
            .execute(params![id, name])?;
    }
    Ok(id)
}

/// WhatsApp answered a send with this `wa_id` for the contact: remember it, unless another
/// contact already holds it (a customer who wrote first under that id; left for the owner).
pub fn remember_wa_id(conn: &Connection, id: i64, wa_id: &str) -> rusqlite::Result<()> {
    let wa_id: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    if wa_id.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE contacts SET wa_id = ?2 WHERE id = ?1 AND wa_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM contacts WHERE wa_id = ?2)",
    )?
    .execute(params![id, wa_id])?;
    Ok(())
}

/// A name from the owner's phone address book (Coexistence contact sync) — it wins over a
/// checkout's first name because it is what the owner knows the customer as.
pub fn set_name(conn: &Connection, id: i64, name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE contacts SET name = ?2 WHERE id = ?1")?.execute(params![id, name])?;
    Ok(())
}

/// WhatsApp says the customer resumed marketing messages: lift an opt-out that came from
/// WhatsApp itself (never one the customer asked for in words).
pub fn opt_back_in(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE contacts SET opted_out_at = NULL, opt_out_source = NULL
             WHERE id = ?1 AND opt_out_source IN ('meta_131050', 'meta_user_preferences')",
        )?
        .execute([id])?;
    Ok(n == 1)
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<ContactRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT * FROM contacts WHERE id = ?1")?
        .query_row([id], ContactRow::from_row)
        .optional()
}
