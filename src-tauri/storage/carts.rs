//! The `carts` table: every abandoned checkout seen, rebuilt from the store, one row per
//! (store, checkout id) so re-seeing a checkout updates it and never duplicates it. A cart without
//! a usable phone is kept with the reason, so the owner sees it.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::ts;
use crate::domain::{Cart, Contact};

mod filter;
mod identity;
mod report;

pub use filter::{count_matching, list, CartFilter};
pub use identity::{identity, CartIdentity};
pub use report::{external_id, holdout_count_of_store, outcome_counts_of_store, recovered_totals_of_store};

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

/// `first_seen_at`: when the poller first read the checkout. `detected_at` is when the checkout
/// became a cart to message: its last update plus the abandonment delay, or the first sight if
/// later. Until then the cart is `waiting`.
pub(crate) const SCHEMA_V2: &str = "
ALTER TABLE carts ADD COLUMN first_seen_at TEXT;
CREATE INDEX carts_store_updated ON carts(store_id, checkout_updated_at);
";

/// `outcome`: what the recovery tracker concluded when the cart was bought (`recovered`,
/// `bought_before_message`, `bought_after_optout`, `holdout_converted`, `bought_late`).
pub(crate) const SCHEMA_V3: &str = "
ALTER TABLE carts ADD COLUMN outcome TEXT;
ALTER TABLE carts ADD COLUMN outcome_at TEXT;
CREATE INDEX carts_outcome ON carts(outcome);
";

/// The Carts screen filters by store and detection day together: one index serves both.
pub(crate) const SCHEMA_V6: &str = "
CREATE INDEX carts_store_detected ON carts(store_id, detected_at);
";

/// When the purchase sweep last asked the store about a cart.
pub(crate) const SCHEMA_V8: &str = "
ALTER TABLE carts ADD COLUMN purchase_checked_at TEXT;
";

/// Carts whose purchase the sweep should look for: not bought yet, whose first message was
/// attempted (or, for the holdout, whose message would have left) at or after `since`, least
/// recently checked first, none checked after `checked_before`. Both groups alike, as Results
/// counts them (`metrics::facts::classify`: reached or not), so the lift stays honest.
pub fn sweep_candidates(
    conn: &Connection,
    since: &str,
    checked_before: &str,
    limit: u32,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id FROM carts c JOIN sends s ON s.cart_id = c.id AND s.step = 0
         WHERE c.completed_at IS NULL AND c.outcome IS NULL
           AND ((c.holdout = 0 AND COALESCE(s.sent_at,
                  CASE WHEN s.state IN ('failed', 'unknown') THEN s.sending_at END,
                  CASE WHEN s.state = 'skipped' AND s.error_code IS NOT NULL
                       THEN COALESCE(s.planned_at, s.due_at) END, s.passed_at) >= ?1)
             OR (c.holdout = 1 AND s.state = 'skipped' AND s.skip_reason = 'holdout' AND s.updated_at >= ?1))
           AND (c.purchase_checked_at IS NULL OR c.purchase_checked_at < ?2)
         ORDER BY coalesce(c.purchase_checked_at, ''), c.id
         LIMIT ?3",
    )?;
    let ids = stmt.query_map(params![since, checked_before, i64::from(limit)], |r| r.get(0))?;
    ids.collect()
}

pub fn set_purchase_checked(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE carts SET purchase_checked_at = ?2 WHERE id = ?1")?
        .execute(params![id, at])?;
    Ok(())
}

/// What the planner needs about a cart.
#[derive(Debug, Clone)]
pub struct PlanInfo {
    pub store_id: i64,
    pub external_id: String,
    pub status: String,
    pub detected_at: DateTime<Utc>,
    pub checkout_updated_at: DateTime<Utc>,
    pub completed: bool,
}

pub fn plan_info(conn: &Connection, id: i64) -> rusqlite::Result<Option<PlanInfo>> {
    let parse = |s: String| crate::domain::time::parse_time(&s).unwrap_or(DateTime::<Utc>::MIN_UTC);
    conn.prepare_cached(
        "SELECT store_id, external_id, status, detected_at, checkout_updated_at, completed_at FROM carts WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(PlanInfo {
            store_id: r.get(0)?,
            external_id: r.get(1)?,
            status: r.get(2)?,
            detected_at: parse(r.get(3)?),
            checkout_updated_at: parse(r.get(4)?),
            completed: r.get::<_, Option<String>>(5)?.is_some(),
        })
    })
    .optional()
}

pub fn set_status(conn: &Connection, id: i64, status: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE carts SET status = ?2 WHERE id = ?1")?.execute(params![id, status])?;
    Ok(())
}

pub fn set_holdout(conn: &Connection, id: i64, holdout: bool) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE carts SET holdout = ?2 WHERE id = ?1")?.execute(params![id, holdout])?;
    Ok(())
}

/// Records the tracker's verdict once (a later completion never rewrites it).
pub fn set_outcome(
    conn: &Connection,
    id: i64,
    outcome: &str,
    at: &str,
    status: Option<&str>,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE carts SET outcome = ?2, outcome_at = ?3, status = COALESCE(?4, status)
             WHERE id = ?1 AND outcome IS NULL",
        )?
        .execute(params![id, outcome, at, status])?;
    Ok(n == 1)
}

/// The rules that turn a checkout into a cart's status, from the send-plan settings.
#[derive(Debug, Clone, Copy)]
pub struct Intake {
    /// Quiet time after the checkout's last update before it counts as abandoned.
    pub abandonment_delay: Duration,
    /// A checkout last updated longer ago than this is kept but never messaged.
    pub max_age: Duration,
}

/// Status and detection time of a checkout seen at `now`.
pub fn intake_status(cart: &Cart, now: DateTime<Utc>, rules: Intake) -> (&'static str, DateTime<Utc>) {
    let ready = cart.updated_at() + rules.abandonment_delay;
    if cart.completed_at().is_some() {
        return ("completed", now);
    }
    if now - cart.updated_at() > rules.max_age {
        return ("expired", now);
    }
    // Kept and shown with the phone problem, never messaged (until an update brings a phone).
    if cart.contact().phone().is_none() {
        return ("no_phone", now);
    }
    if ready > now {
        ("waiting", ready)
    } else {
        ("detected", now)
    }
}

/// What happened to a checkout when it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// First time seen; with the status it got.
    New { id: i64, status: &'static str },
    /// Seen before and its data refreshed; `completed` when this update says it was bought,
    /// `detected` when it just became a cart to message (e.g. a phone was added).
    Updated { id: i64, completed: bool, detected: bool },
}

fn phone_columns(contact: &Contact) -> (Option<String>, Option<String>, Option<String>) {
    match contact {
        Contact::Phone(p) => (Some(p.e164().to_string()), Some(p.raw().to_string()), None),
        Contact::Missing => (None, None, Some("no phone number in the checkout".to_string())),
        Contact::Unusable { raw, reason } => (None, Some(raw.clone()), Some(reason.to_string())),
    }
}

/// Inserts or refreshes the cart of a checkout: one row per (store, checkout id), so seeing a
/// checkout again updates it and never duplicates it. Statuses the send plan owns (planned,
/// sent…) are never moved back; a waiting cart's detection time follows its latest update.
pub fn upsert(conn: &Connection, cart: &Cart, now: DateTime<Utc>, rules: Intake) -> rusqlite::Result<Stored> {
    let store_id = cart.store_id().0;
    let external = cart.external_id().as_str();
    let existing: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT id, status, completed_at FROM carts WHERE store_id = ?1 AND external_id = ?2",
            params![store_id, external],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (phone_e164, phone_raw, phone_problem) = phone_columns(cart.contact());
    let contact_id = match cart.contact().phone() {
        Some(phone) => Some(super::contacts::upsert_from_cart(conn, phone.e164(), cart, now)?),
        None => None,
    };
    let customer = cart.customer();
    let items = serde_json::to_string(cart.items()).unwrap_or_else(|_| "[]".into());
    let total = cart.total();
    let completed_at = cart.completed_at().map(ts);
    match existing {
        None => {
            let (status, detected_at) = intake_status(cart, now, rules);
            conn.execute(
                "INSERT INTO carts (store_id, external_id, contact_id, phone_e164, phone_raw, phone_problem, first_name,
                   language, marketing_consent, currency, total, items_json, recovery_url, checkout_created_at,
                   checkout_updated_at, completed_at, detected_at, status, first_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                params![
                    store_id, external, contact_id, phone_e164, phone_raw, phone_problem, customer.first_name(),
                    customer.language().map(|l| l.code().to_string()), customer.marketing_consent(),
                    total.currency().code(), total.amount().to_string(), items, cart.recovery_link().as_str(),
                    ts(cart.created_at()), ts(cart.updated_at()), completed_at, ts(detected_at), status, ts(now)
                ],
            )?;
            Ok(Stored::New { id: conn.last_insert_rowid(), status })
        }
        Some((id, previous, was_completed)) => {
            let (status, detected_at) = match previous.as_str() {
                "waiting" | "detected" | "expired" | "no_phone" => intake_status(cart, now, rules),
                // A cart the plan already owns keeps its status; completion is recorded beside it.
                _ => (
                    if cart.completed_at().is_some() && previous == "completed" { "completed" } else { "" },
                    now,
                ),
            };
            // A customer who comes back to a detected (not yet planned) checkout is active again:
            // the abandonment delay starts over.
            conn.execute(
                "UPDATE carts SET contact_id = ?2, phone_e164 = ?3, phone_raw = ?4, phone_problem = ?5, first_name = ?6,
                   language = ?7, marketing_consent = ?8, currency = ?9, total = ?10, items_json = ?11,
                   recovery_url = ?12, checkout_updated_at = ?13, completed_at = COALESCE(completed_at, ?14),
                   status = CASE WHEN ?15 = '' THEN status ELSE ?15 END,
                   detected_at = CASE WHEN ?15 = 'waiting' OR (status != 'detected' AND ?15 = 'detected')
                                      THEN ?16 ELSE detected_at END
                 WHERE id = ?1",
                params![
                    id, contact_id, phone_e164, phone_raw, phone_problem, customer.first_name(),
                    customer.language().map(|l| l.code().to_string()), customer.marketing_consent(),
                    total.currency().code(), total.amount().to_string(), items, cart.recovery_link().as_str(),
                    ts(cart.updated_at()), completed_at, status, ts(detected_at)
                ],
            )?;
            Ok(Stored::Updated {
                id,
                completed: was_completed.is_none() && cart.completed_at().is_some(),
                detected: previous != "detected" && status == "detected",
            })
        }
    }
}

/// Records that a known checkout became a paid order. Unknown ids are ignored. Returns the
/// cart's id when this is news.
pub fn mark_completed(
    conn: &Connection,
    store_id: i64,
    external_id: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "UPDATE carts SET completed_at = ?3,
           status = CASE WHEN status IN ('waiting', 'detected', 'expired', 'no_phone') THEN 'completed' ELSE status END
         WHERE store_id = ?1 AND external_id = ?2 AND completed_at IS NULL RETURNING id",
        params![store_id, external_id, ts(at)],
        |r| r.get(0),
    )
    .optional()
}

/// Waiting carts whose abandonment delay has passed become `detected`. Returns their ids.
pub fn promote_ready(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "UPDATE carts SET status = 'detected' WHERE status = 'waiting' AND detected_at <= ?1 RETURNING id",
    )?;
    let ids = stmt.query_map([ts(now)], |r| r.get(0))?;
    ids.collect()
}

/// What the Carts screen and the export show for one cart.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    pub outcome: Option<String>,
    pub outcome_at: Option<String>,
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
            outcome: r.get("outcome")?,
            outcome_at: r.get("outcome_at")?,
        })
    }
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM carts", [], |r| r.get(0))
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<CartRow>> {
    conn.prepare_cached(
        "SELECT c.*, s.name AS store FROM carts c JOIN stores s ON s.id = c.store_id WHERE c.id = ?1",
    )?
    .query_row([id], CartRow::from_row)
    .optional()
}

/// A customer's latest cart (the one the inbox shows beside the thread).
pub fn latest_for_contact(conn: &Connection, contact_id: i64) -> rusqlite::Result<Option<CartRow>> {
    conn.prepare_cached(
        "SELECT c.*, s.name AS store FROM carts c JOIN stores s ON s.id = c.store_id
         WHERE c.contact_id = ?1 ORDER BY c.detected_at DESC, c.id DESC LIMIT 1",
    )?
    .query_row([contact_id], CartRow::from_row)
    .optional()
}

/// A store's newest cart: its currency and recovery link (the message preview's sample).
pub fn latest_of_store(conn: &Connection, store_id: i64) -> rusqlite::Result<Option<(String, String)>> {
    conn.prepare_cached(
        "SELECT currency, recovery_url FROM carts WHERE store_id = ?1 AND recovery_url IS NOT NULL
         ORDER BY detected_at DESC, id DESC LIMIT 1",
    )?
    .query_row([store_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// A cart's items as stored (JSON list of line items).
pub fn items_json(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT items_json FROM carts WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// What the owner is told about a recovered cart: the customer's first name, the total and its
/// currency.
pub fn name_and_total(conn: &Connection, id: i64) -> rusqlite::Result<(Option<String>, String, String)> {
    conn.prepare_cached("SELECT first_name, total, currency FROM carts WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}
