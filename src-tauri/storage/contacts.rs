//! The `contacts` table: one row per customer we may write to, keyed by WhatsApp's `wa_id` once
//! known, by the E.164 number we sent to (the two differ for AR, MX and BR numbers) and by the
//! customer's business-scoped user id (BSUID, `user_id`) — the only key of a customer who writes
//! with a WhatsApp username and no number. Opt-out, takeover and escalation are facts about the
//! contact, so every cart of that customer obeys them. Finding and merging by number or BSUID is
//! in [`identity`] and `merge`.

#[cfg(test)]
mod bsuid_tests;
mod identity;
mod merge;
#[cfg(test)]
mod tests;

pub use identity::{id_by_user_id, replace_user_id, resolve, resolve_delivered, resolve_unsigned, Identity};

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

/// Business-scoped user ids (reference §1.6, §10): `user_id` (the BSUID, unique), the parent
/// BSUID and the WhatsApp username; `phone_e164` may now be NULL (a customer known only by
/// BSUID); `merged_into`: this row was one customer's second contact, merged into that one
/// (kept because the append-only event log still points at it; it holds no key any more).
///
/// SQLite cannot drop a NOT NULL with ALTER TABLE, so the table is rebuilt the way SQLite
/// documents (<https://sqlite.org/lang_altertable.html#otheralter>): a new table with every
/// column and constraint, every row copied with its id, the old one dropped, the new one renamed.
/// `migrations::migrate` turns foreign keys off meanwhile and checks them before the commit; the
/// references from carts, conversations and events keep pointing at the same ids. Only the
/// UNIQUE autoindexes existed on the old table, and the new one has them too. Columns added to
/// `contacts` by an earlier migration must be listed here.
pub(crate) const SCHEMA_V13: &str = "
CREATE TABLE contacts_v13 (
    id                INTEGER PRIMARY KEY,
    phone_e164        TEXT UNIQUE,
    wa_id             TEXT UNIQUE,
    name              TEXT,
    language          TEXT,
    marketing_consent INTEGER CHECK (marketing_consent IN (0, 1)),
    opted_out_at      TEXT,
    opt_out_source    TEXT,
    takeover_at       TEXT,
    created_at        TEXT NOT NULL,
    opted_in_at       TEXT,
    book_name         TEXT,
    user_id           TEXT UNIQUE,
    parent_user_id    TEXT,
    username          TEXT,
    merged_into       INTEGER REFERENCES contacts(id),
    CHECK (phone_e164 IS NOT NULL OR user_id IS NOT NULL OR merged_into IS NOT NULL)
) STRICT;
INSERT INTO contacts_v13 (id, phone_e164, wa_id, name, language, marketing_consent, opted_out_at,
        opt_out_source, takeover_at, created_at, opted_in_at, book_name)
    SELECT id, phone_e164, wa_id, name, language, marketing_consent, opted_out_at,
        opt_out_source, takeover_at, created_at, opted_in_at, book_name
    FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_v13 RENAME TO contacts;
";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContactRow {
    pub id: i64,
    /// `None` for a customer known only by their BSUID.
    pub phone_e164: Option<String>,
    pub wa_id: Option<String>,
    /// The business-scoped user id (BSUID).
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    /// The customer's WhatsApp username, when they adopted one.
    pub username: Option<String>,
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
            user_id: r.get("user_id")?,
            parent_user_id: r.get("parent_user_id")?,
            username: r.get("username")?,
            name: r.get("name")?,
            language: r.get("language")?,
            marketing_consent: r.get("marketing_consent")?,
            opted_out_at: r.get("opted_out_at")?,
            opt_out_source: r.get("opt_out_source")?,
            takeover_at: r.get("takeover_at")?,
            created_at: r.get("created_at")?,
        })
    }

    /// Whom a message to this customer is addressed to: their number (as WhatsApp reported it,
    /// else as the checkout gave it) when known — Meta recommends it, and it keeps the number in
    /// later webhooks — else their BSUID (Meta's `recipient`). `None` for a merged-away row.
    pub fn address(&self) -> Option<String> {
        self.wa_id
            .as_deref()
            .filter(|w| !w.is_empty())
            .map(|w| format!("+{w}"))
            .or_else(|| self.phone_e164.clone())
            .or_else(|| self.user_id.clone())
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<ContactRow>> {
    let mut stmt = conn.prepare("SELECT * FROM contacts WHERE merged_into IS NULL ORDER BY id")?;
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
    join_older_forms(conn, e164)?;
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

/// The other ways a contact of this checkout number may be stored: what WhatsApp's side keyed
/// before [`canonical_e164`] knew the form (an Argentine wa_id without the mobile `9`, Mexico's
/// `521`, a Brazilian mobile without its ninth digit).
fn older_forms(e164: &str) -> Vec<String> {
    let digits = e164.trim_start_matches('+');
    let mut out = Vec::new();
    if let Some(rest) = digits.strip_prefix("549").filter(|r| r.len() == 10) {
        out.push(format!("+54{rest}"));
    } else if let Some(rest) = digits.strip_prefix("52").filter(|r| r.len() == 10) {
        out.push(format!("+521{rest}"));
    } else if let Some(rest) = digits.strip_prefix("55").filter(|r| r.len() == 11 && r.as_bytes()[2] == b'9')
    {
        out.push(format!("+55{}{}", &rest[..2], &rest[3..]));
    }
    out
}

/// One customer stays one contact: a contact stored under an older form of the checkout's
/// number takes the checkout's form, or, when both exist already, is merged into it (the
/// stricter state wins: an opt-out or a takeover on either holds).
fn join_older_forms(conn: &Connection, e164: &str) -> rusqlite::Result<()> {
    for older in older_forms(e164) {
        let Some(old) = id_by_phone(conn, &older)? else { continue };
        match id_by_phone(conn, e164)? {
            Some(current) if current != old => merge::merge(conn, old, current)?,
            Some(_) => {}
            None => {
                conn.prepare_cached("UPDATE contacts SET phone_e164 = ?2 WHERE id = ?1")?
                    .execute(params![old, e164])?;
            }
        }
    }
    Ok(())
}

/// The customer stopped messages (keyword, button, Meta's 131050): suppressed for good until
/// they opt back in. Keeps the first opt-out's time and source. Returns true when this is news.
pub fn opt_out(conn: &Connection, id: i64, source: &str, at: &str) -> rusqlite::Result<bool> {
    // An opt-out said before the customer's latest opt-in (a STOP delivered late) is stale; one
    // said in the same second counts (WhatsApp's times are whole seconds: silence wins a tie).
    let n = conn
        .prepare_cached(
            "UPDATE contacts SET opted_out_at = ?3, opt_out_source = ?2
             WHERE id = ?1 AND opted_out_at IS NULL AND (opted_in_at IS NULL OR opted_in_at <= ?3)",
        )?
        .execute(params![id, source, at])?;
    // The customer's own words on top of an opt-out WhatsApp recorded: theirs from now on, so
    // WhatsApp's "resume" can't lift what the customer asked for.
    conn.prepare_cached(
        "UPDATE contacts SET opt_out_source = ?2
         WHERE id = ?1 AND opted_out_at IS NOT NULL AND opt_out_source LIKE 'meta\\_%' ESCAPE '\\'
           AND ?2 NOT LIKE 'meta\\_%' ESCAPE '\\' AND (opted_in_at IS NULL OR opted_in_at <= ?3)",
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
/// still send `521…`, [`crate::domain::Phone`] stores `+52…`), an Argentine number reported
/// without the mobile `9` (`54` + the 10-digit national number, as WhatsApp often reports it)
/// gets it, as [`crate::domain::Phone`] writes every Argentine number (the national number is
/// one subscriber's, mobile or not), and a Brazilian mobile reported without its ninth digit
/// (`55` + area + 8 digits starting 6–9) gets it back.
pub fn canonical_e164(wa_id: &str) -> String {
    let digits: String = wa_id.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits.strip_prefix("521").filter(|r| r.len() == 10) {
        return format!("+52{rest}");
    }
    if let Some(rest) = digits.strip_prefix("54").filter(|r| r.len() == 10 && !r.starts_with('9')) {
        return format!("+549{rest}");
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

/// The contact behind a phone number WhatsApp reports (digits, or a typed number), created on
/// first sight; `name` fills an empty name. Tests' shorthand for [`resolve`]; an id that is no
/// number is refused (`QueryReturnedNoRows`), never made a contact.
#[cfg(test)]
pub fn resolve_wa_id(conn: &Connection, wa_id: &str, name: Option<&str>, now: &str) -> rusqlite::Result<i64> {
    let who = Identity::new(Some(wa_id), None).ok_or(rusqlite::Error::QueryReturnedNoRows)?.with_name(name);
    resolve(conn, &who, now)
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
/// said it; an opt-in said before the opt-out (delivered late), or in the same second (the order
/// can't be told: silence wins), lifts nothing. Both are stored
/// timestamps of one format, so they compare as text. The latest opt-in's time is kept, lifted
/// or not, so a STOP said before it and delivered after it opts nobody out. Returns true when
/// lifted.
pub fn opt_in_by_customer(conn: &Connection, id: i64, said_at: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE contacts SET opted_out_at = NULL, opt_out_source = NULL
             WHERE id = ?1 AND opted_out_at IS NOT NULL AND opted_out_at < ?2
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

/// How many contacts opted out.
pub fn opted_out_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        // A STOP left on a customer's old number counts once, with the customer.
        "SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL AND merged_into IS NULL
           AND opt_out_source IS NOT 'number_changed'",
        [],
        |r| r.get(0),
    )
}
