//! The `sends` table: the outbox. One row per (cart, step) with a unique idempotency key, so a
//! message can be planned twice but exist once. Dispatch claims a row under a lease and finishes
//! it with an update fenced by the lease owner; a lease that expired without a result becomes
//! `unknown` and is reconciled from delivery webhooks, never re-sent blindly. Skips are rows too,
//! with their reason.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

mod context;
mod history;
mod lease;
mod owner;
mod report;

pub use context::{context, context_for_cart, SendContext};
pub use history::{
    contact_messaged_since, first_sent_at, marketing_capped_since, purchase_basis, step_sent_at,
    PurchaseBasis,
};
pub use lease::{claim_due, finish, mark_sending, reap_expired, reconcile, release, retry_later};
pub use owner::{bring_forward, in_flight_steps, key_of, replan_failed, retry_key, skip_unsent_for_cart};
pub use report::{sent_times_of_store, skip_reasons_of_store, tally_of_store, StoreTally};

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE sends (
    id               INTEGER PRIMARY KEY,
    cart_id          INTEGER NOT NULL REFERENCES carts(id),
    step             INTEGER NOT NULL CHECK (step BETWEEN 0 AND 2),
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL CHECK (state IN ('planned','leased','sent','failed','skipped','unknown','cancelled')),
    due_at           TEXT NOT NULL,
    deadline_at      TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    wamid            TEXT UNIQUE,
    sent_at          TEXT,
    skip_reason      TEXT,
    error_code       TEXT,
    error_detail     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (cart_id, step)
) STRICT;
CREATE INDEX sends_due ON sends(state, due_at);
";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SendRow {
    pub id: i64,
    pub cart_id: i64,
    pub step: i64,
    pub state: String,
    pub due_at: String,
    pub deadline_at: String,
    pub attempts: i64,
    pub wamid: Option<String>,
    pub sent_at: Option<String>,
    pub skip_reason: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    /// The first instant this send was planned for (before any re-plan).
    pub planned_at: Option<String>,
    pub recipient: Option<String>,
    pub held_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl SendRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            cart_id: r.get("cart_id")?,
            step: r.get("step")?,
            state: r.get("state")?,
            due_at: r.get("due_at")?,
            deadline_at: r.get("deadline_at")?,
            attempts: r.get("attempts")?,
            wamid: r.get("wamid")?,
            sent_at: r.get("sent_at")?,
            skip_reason: r.get("skip_reason")?,
            error_code: r.get("error_code")?,
            error_detail: r.get("error_detail")?,
            planned_at: r.get("planned_at")?,
            recipient: r.get("recipient")?,
            held_reason: r.get("held_reason")?,
            created_at: r.get("created_at")?,
            updated_at: r.get("updated_at")?,
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<SendRow>> {
    let mut stmt = conn.prepare("SELECT * FROM sends ORDER BY id")?;
    let rows = stmt.query_map([], SendRow::from_row)?;
    rows.collect()
}

/// Sends still waiting to go out (planned or in flight).
pub fn count_pending(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM sends WHERE state IN ('planned','leased')", [], |r| r.get(0))
}

/// `sending_at`: set (fenced by the lease) right before the HTTP request, so a lease that
/// expires without it was never sent and may be planned again, and one with it becomes
/// `unknown`. `recipient`: the E.164 the message went to. `window_opens_at`: the opening a
/// backlog send waits for (the group spread over the first minutes). `planned_at`: the first
/// instant planned, kept when a send is re-planned. `held_reason`: why the last round let it wait.
pub(crate) const SCHEMA_V3: &str = "
ALTER TABLE sends ADD COLUMN sending_at TEXT;
ALTER TABLE sends ADD COLUMN recipient TEXT;
ALTER TABLE sends ADD COLUMN window_opens_at TEXT;
ALTER TABLE sends ADD COLUMN planned_at TEXT;
ALTER TABLE sends ADD COLUMN held_reason TEXT;
CREATE INDEX sends_window ON sends(window_opens_at, state);
CREATE INDEX sends_recipient ON sends(recipient, sent_at);
";

/// `passed_at`: the first instant a first message passed the holdout point (every check a
/// holdout cart passes): from there the cart is in the messaged group whatever comes after (a
/// coupon store or a picture that holds it back, a purchase meanwhile) — intention to treat.
pub(crate) const SCHEMA_V19: &str = "
ALTER TABLE sends ADD COLUMN passed_at TEXT;
";

/// Records that a send passed the holdout point at `now` (the first time only).
pub fn mark_passed_holdout_point(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE sends SET passed_at = COALESCE(passed_at, ?2) WHERE id = ?1")?
        .execute(rusqlite::params![id, now])?;
    Ok(())
}

/// The idempotency key of a cart's step: stable for the life of the database, and what Meta
/// echoes back (`biz_opaque_callback_data`) in status webhooks.
pub fn idempotency_key(cart_id: i64, step: i64) -> String {
    format!("recupero:{cart_id}:{step}")
}

/// A send to plan (or to record as skipped at planning).
#[derive(Debug, Clone)]
pub struct NewSend<'a> {
    pub cart_id: i64,
    pub step: i64,
    pub due_at: &'a str,
    pub deadline_at: &'a str,
    pub window_opens_at: Option<&'a str>,
    /// `None` plans it; `Some(reason)` records it as skipped.
    pub skip_reason: Option<&'a str>,
}

/// Inserts the send unless the cart already has one for that step. Returns its id when new.
pub fn insert(conn: &Connection, send: &NewSend<'_>, now: &str) -> rusqlite::Result<Option<i64>> {
    let state = if send.skip_reason.is_some() { "skipped" } else { "planned" };
    let mut stmt = conn.prepare_cached(
        "INSERT INTO sends (cart_id, step, idempotency_key, state, due_at, deadline_at, window_opens_at,
           planned_at, skip_reason, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5, ?8, ?9, ?9)
         ON CONFLICT DO NOTHING RETURNING id",
    )?;
    stmt.query_row(
        rusqlite::params![
            send.cart_id,
            send.step,
            idempotency_key(send.cart_id, send.step),
            state,
            send.due_at,
            send.deadline_at,
            send.window_opens_at,
            send.skip_reason,
            now
        ],
        |r| r.get(0),
    )
    .optional()
}

/// The planned sends waiting for the opening `window`, in detection order.
/// A planned send of a backlog window.
#[derive(Debug, Clone)]
pub struct WindowMember {
    pub id: i64,
    pub deadline_at: String,
    pub due_at: String,
    /// Held back after an attempt or a check (a back-off, the store unreachable…): never
    /// brought earlier than its hold by a re-spread.
    pub held: bool,
}

pub fn window_members(conn: &Connection, window: &str) -> rusqlite::Result<Vec<WindowMember>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.deadline_at, s.due_at,
                coalesce(s.held_reason IN ('retry', 'store_unreachable', 'whatsapp_unreachable',
                  'template_not_approved', 'template_blocked', 'account', 'customer_active'), 0)
         FROM sends s JOIN carts c ON c.id = s.cart_id
         WHERE s.window_opens_at = ?1 AND s.state = 'planned'
         ORDER BY c.detected_at, s.id",
    )?;
    let rows = stmt.query_map([window], |r| {
        Ok(WindowMember { id: r.get(0)?, deadline_at: r.get(1)?, due_at: r.get(2)?, held: r.get(3)? })
    })?;
    rows.collect()
}

/// The newest backlog window key in `[from, to]` that still has planned sends.
pub fn newest_window_between(conn: &Connection, from: &str, to: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT max(window_opens_at) FROM sends WHERE state = 'planned' AND window_opens_at BETWEEN ?1 AND ?2",
    )?
    .query_row([from, to], |r| r.get(0))
}

pub fn set_due(conn: &Connection, id: i64, due_at: &str, now: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE sends SET due_at = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'planned'")?
        .execute(rusqlite::params![id, due_at, now])?;
    Ok(())
}

/// Moves a planned (unclaimed) send to a new time (and opening window), with the reason it moved.
pub fn replan(
    conn: &Connection,
    id: i64,
    due_at: &str,
    deadline_at: &str,
    window_opens_at: Option<&str>,
    reason: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn.prepare_cached(
        "UPDATE sends SET due_at = ?2, deadline_at = ?3, window_opens_at = ?4, held_reason = ?5, updated_at = ?6,
           state = 'planned', lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND state = 'planned'",
    )?
    .execute(rusqlite::params![id, due_at, deadline_at, window_opens_at, reason, now])?;
    Ok(n == 1)
}

/// Records a send as skipped with its reason (any state before sending).
pub fn skip(
    conn: &Connection,
    id: i64,
    reason: &str,
    detail: Option<&str>,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sends SET state = 'skipped', skip_reason = ?2, error_detail = ?3, updated_at = ?4,
           lease_owner = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND state IN ('planned', 'leased') AND sending_at IS NULL",
        )?
        .execute(rusqlite::params![id, reason, detail, now])?;
    Ok(n == 1)
}

/// Planned sends whose deadline passed (the computer slept, the app was closed, sending was
/// paused), oldest first.
pub fn overdue(conn: &Connection, now: &str, limit: u32) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM sends WHERE state = 'planned' AND deadline_at < ?1 ORDER BY due_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(rusqlite::params![now, limit], |r| r.get(0))?;
    rows.collect()
}

/// The sends of one cart, by step.
pub fn for_cart(conn: &Connection, cart_id: i64) -> rusqlite::Result<Vec<SendRow>> {
    let mut stmt = conn.prepare_cached("SELECT * FROM sends WHERE cart_id = ?1 ORDER BY step")?;
    let rows = stmt.query_map([cart_id], SendRow::from_row)?;
    rows.collect()
}

/// Planned (not yet claimed) sends of a cart are skipped with `reason` (a purchase, an opt-out).
pub fn skip_pending_for_cart(
    conn: &Connection,
    cart_id: i64,
    reason: &str,
    now: &str,
) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sends SET state = 'skipped', skip_reason = ?2, updated_at = ?3
         WHERE cart_id = ?1 AND state = 'planned' RETURNING id",
    )?;
    let rows = stmt.query_map(rusqlite::params![cart_id, reason, now], |r| r.get(0))?;
    rows.collect()
}

/// The send a status webhook is about: by wamid, or by the idempotency key Meta echoes back.
/// Returns (send id, cart id, step, state).
pub fn by_wamid_or_key(
    conn: &Connection,
    wamid: &str,
    key: Option<&str>,
) -> rusqlite::Result<Option<(i64, i64, i64, String)>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(
        "SELECT id, cart_id, step, state FROM sends WHERE wamid = ?1 OR (?2 IS NOT NULL AND idempotency_key = ?2)
         ORDER BY (wamid = ?1) DESC LIMIT 1",
    )?
    .query_row(rusqlite::params![wamid, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .optional()
}

/// WhatsApp reported that a message it accepted was not delivered (131026, 131049, 131050…):
/// the send ends `failed` with the code, never to be sent again. Returns true when this is news.
pub fn fail_after_sent(
    conn: &Connection,
    id: i64,
    code: &str,
    detail: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sends SET state = 'failed', error_code = ?2, error_detail = ?3, updated_at = ?4
             WHERE id = ?1 AND state = 'sent'",
        )?
        .execute(rusqlite::params![id, code, detail, now])?;
    Ok(n == 1)
}

/// When a send is due; no such send is an error (`QueryReturnedNoRows`).
pub fn due_at(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.query_row("SELECT due_at FROM sends WHERE id = ?1", [id], |r| r.get(0))
}

/// A send's planned time and deadline, as stored.
pub fn due_and_deadline(conn: &Connection, id: i64) -> rusqlite::Result<(String, String)> {
    conn.prepare_cached("SELECT due_at, deadline_at FROM sends WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// When a send left (its fenced sending mark, kept once it is `sent`).
pub fn sent_at(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT sent_at FROM sends WHERE id = ?1")?.query_row([id], |r| r.get(0))
}

/// How many times a send was claimed.
pub fn attempts(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT attempts FROM sends WHERE id = ?1")?.query_row([id], |r| r.get(0))
}

/// The cart a send belongs to.
pub fn cart_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT cart_id FROM sends WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()
}

/// How many sends left WhatsApp's way between `from` and `to` (the webhook-health check).
pub fn left_between(conn: &Connection, from: &str, to: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM sends WHERE sent_at >= ?1 AND sent_at <= ?2")?
        .query_row([from, to], |r| r.get(0))
}
