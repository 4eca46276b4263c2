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

/// `opted_in_at`: when the customer last said, in their own words, that they want to hear from
/// the shop (the message's own time). An opt-out said before it, delivered late, is stale.
pub(crate) const SCHEMA_V10: &str = "
ALTER TABLE contacts ADD COLUMN opted_in_at TEXT;
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

/// The contact behind a cart's phone, created on first sight. Name (unless the owner's address
/// book names the contact), language and consent are refreshed from the newest checkout; opt-out and takeover are never touched here.
pub fn upsert_from_cart(
    conn: &Connection,
    e164: &str,
    cart: &crate::domain::Cart,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let customer = cart.customer();
    conn.query_row(
        "INSERT INTO contacts (phone_e164, name, language, marketing_consent, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(phone_e164) DO UPDATE SET name = COALESCE(book_name, excluded.name, name),
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
    // An opt-out said before the customer's latest opt-in (a STOP delivered late) is stale.
    let n = conn
        .prepare_cached(
            "UPDATE contacts SET opted_out_at = ?3, opt_out_source = ?2
             WHERE id = ?1 AND opted_out_at IS NULL AND (opted_in_at IS NULL OR opted_in_at < ?3)",
        )?
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

/// The E.164 a checkout would give for the number WhatsApp reports as `wa_id` (digits), the
/// form contacts are keyed by: Mexico's abolished mobile `1` after 52 is dropped (webhooks
/// still send `521…`, [`crate::domain::Phone`] stores `+52…`), and a Brazilian mobile
/// reported without its ninth digit (`55` + area + 8 digits starting 6–9) gets it back.
pub fn canonical_e164(wa_id: &str) -> String {
    let digits: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits.strip_prefix("521").filter(|r| r.len() == 10) {
        return format!("+52{rest}");
    }
    if let Some(rest) = digits.strip_prefix("55").filter(|r| r.len() == 10) {
        if rest[2..].starts_with(['6', '7', '8', '9']) {
            return format!("+55{}9{}", &rest[..2], &rest[2..]);
        }
    }
    format!("+{digits}")
}

/// The numbers a contact we know may be stored under, for a `wa_id` (digits) WhatsApp
/// reports: its canonical E.164 first, then the number as reported, then the forms older data
/// may hold (Argentina without the mobile `9`, Mexico with the `1`, Brazil without the ninth
/// digit). Returns E.164 candidates (with `+`), without repeats.
pub fn e164_candidates(wa_id: &str) -> Vec<String> {
    let digits: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![canonical_e164(&digits), format!("+{digits}")];
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
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
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
                    .query_row(params![canonical_e164(&wa_id), wa_id, name, now], |r| r.get(0))?,
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

/// The customer wrote to opt back in: lift an opt-out they gave us (keyword, button). One
/// WhatsApp itself enforces (131050, `user_preferences`) is lifted only when WhatsApp says the
/// customer resumed, since our messages would still be blocked. `said_at`: when the customer
/// said it; an opt-in said before the opt-out (delivered late) lifts nothing. Both are stored
/// timestamps of one format, so they compare as text. The latest opt-in's time is kept, lifted
/// or not, so a STOP said before it and delivered after it opts nobody out. Returns true when
/// lifted.
pub fn opt_in_by_customer(conn: &Connection, id: i64, said_at: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE contacts SET opted_out_at = NULL, opt_out_source = NULL
             WHERE id = ?1 AND opted_out_at IS NOT NULL AND opted_out_at <= ?2
               AND coalesce(opt_out_source, '') NOT LIKE 'meta\\_%' ESCAPE '\\'",
        )?
        .execute(params![id, said_at])?;
    conn.prepare_cached(
        "UPDATE contacts SET opted_in_at = ?2 WHERE id = ?1 AND (opted_in_at IS NULL OR opted_in_at < ?2)",
    )?
    .execute(params![id, said_at])?;
    Ok(n == 1)
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<ContactRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT * FROM contacts WHERE id = ?1")?
        .query_row([id], ContactRow::from_row)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Phone;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        conn
    }

    const AT: &str = "2026-11-20T12:00:00.000Z";

    #[test]
    fn a_wa_id_maps_to_the_e164_a_checkout_gives_for_the_same_mobile() {
        for (wa_id, typed, country) in [
            ("5215512345678", "+52 1 55 1234 5678", "MX"),
            ("525512345678", "55 1234 5678", "MX"),
            ("551187654321", "(11) 98765-4321", "BR"),
            ("5511987654321", "+55 11 98765-4321", "BR"),
            ("5491123456789", "011 15-2345-6789", "AR"),
            ("34612345678", "612 34 56 78", "ES"),
        ] {
            let phone = Phone::parse(typed, country).unwrap();
            assert_eq!(canonical_e164(wa_id), phone.e164(), "{wa_id} and {typed} are one customer");
        }
        // A Brazilian landline (area + 8 digits starting 2–5) keeps its eight digits.
        assert_eq!(canonical_e164("551134567890"), "+551134567890");
        let candidates = e164_candidates("5215512345678");
        assert_eq!(candidates[0], "+525512345678");
        assert!(candidates.contains(&"+5215512345678".to_string()), "older data as reported");
        let mut unique = candidates.clone();
        unique.dedup();
        assert_eq!(unique.len(), candidates.len());
    }

    #[test]
    fn a_mexican_customer_who_writes_first_is_the_contact_their_checkout_finds() {
        let conn = db();
        // STOP (or any message) arrives from 521…, before any cart.
        let first = resolve_wa_id(&conn, "5215512345678", Some("Lupita"), AT).unwrap();
        assert!(opt_out(&conn, first, "keyword", AT).unwrap());
        // The checkout's number, as the Phone parser stores it, finds that same contact.
        let phone = Phone::parse("+52 55 1234 5678", "MX").unwrap();
        assert_eq!(id_by_phone(&conn, phone.e164()).unwrap(), Some(first));
        assert!(get(&conn, first).unwrap().unwrap().opted_out_at.is_some());
    }

    #[test]
    fn a_customer_lifts_their_own_opt_out_but_not_one_whatsapp_enforces() {
        let conn = db();
        let theirs = resolve_wa_id(&conn, "5491150000001", None, AT).unwrap();
        let meta = resolve_wa_id(&conn, "5491150000002", None, AT).unwrap();
        opt_out(&conn, theirs, "keyword", AT).unwrap();
        opt_out(&conn, meta, "meta_131050", AT).unwrap();
        assert!(
            !opt_in_by_customer(&conn, theirs, "2026-11-20T11:59:59.000Z").unwrap(),
            "an opt-in said before the opt-out lifts nothing"
        );
        assert!(opt_in_by_customer(&conn, theirs, AT).unwrap());
        assert!(!opt_in_by_customer(&conn, meta, AT).unwrap(), "WhatsApp would still block our messages");
        assert!(get(&conn, meta).unwrap().unwrap().opted_out_at.is_some());
        assert!(!opt_in_by_customer(&conn, theirs, AT).unwrap(), "nothing to lift twice");
    }

    #[test]
    fn an_opt_out_said_before_the_latest_opt_in_is_stale() {
        let conn = db();
        let id = resolve_wa_id(&conn, "5491150000003", None, AT).unwrap();
        // ALTA said at AT (lifts nothing: not opted out), then a STOP said a second earlier.
        assert!(!opt_in_by_customer(&conn, id, AT).unwrap());
        assert!(!opt_out(&conn, id, "keyword", "2026-11-20T11:59:59.000Z").unwrap(), "stale");
        assert!(get(&conn, id).unwrap().unwrap().opted_out_at.is_none());
        // An older ALTA does not move the mark back; a later STOP counts.
        assert!(!opt_in_by_customer(&conn, id, "2026-11-20T11:00:00.000Z").unwrap());
        assert!(!opt_out(&conn, id, "keyword", "2026-11-20T11:30:00.000Z").unwrap());
        assert!(opt_out(&conn, id, "keyword", "2026-11-20T12:00:01.000Z").unwrap());
    }

    #[test]
    fn a_reply_from_521_lands_on_the_contact_the_cart_created() {
        let conn = db();
        conn.execute("INSERT INTO contacts (phone_e164, created_at) VALUES ('+525512345678', ?1)", [AT])
            .unwrap();
        let cart_contact = id_by_phone(&conn, "+525512345678").unwrap().unwrap();
        assert_eq!(resolve_wa_id(&conn, "5215512345678", None, AT).unwrap(), cart_contact);
        assert_eq!(get(&conn, cart_contact).unwrap().unwrap().wa_id.as_deref(), Some("5215512345678"));
        // And again by the remembered wa_id.
        assert_eq!(resolve_wa_id(&conn, "5215512345678", None, AT).unwrap(), cart_contact);
        let n: i64 = conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "one customer, one contact");
    }
}

/// How many contacts opted out.
// Appended after the tests so the parallel #15 branches merge cleanly.
#[allow(clippy::items_after_test_module)]
pub fn opted_out_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL", [], |r| r.get(0))
}
