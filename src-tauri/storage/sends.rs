//! The `sends` table: the outbox. One row per (cart, step) with a unique idempotency key, so a
//! message can be planned twice but exist once. Dispatch claims a row under a lease and finishes
//! it with an update fenced by the lease owner; a lease that expired without a result becomes
//! `unknown` and is reconciled from delivery webhooks, never re-sent blindly. Skips are rows too,
//! with their reason.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

mod owner;

pub use owner::{bring_forward, in_flight_steps, key_of, replan_failed, retry_key, skip_unsent_for_cart};

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

/// Claims up to `limit` due sends for `owner` in one short `BEGIN IMMEDIATE`, so two dispatchers
/// (or a restarted one) never hold the same row. Returns their ids, oldest due first.
pub fn claim_due(
    conn: &mut Connection,
    owner: &str,
    now: &str,
    lease_until: &str,
    limit: u32,
) -> rusqlite::Result<Vec<i64>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id FROM sends WHERE state = 'planned' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![now, limit], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for id in &ids {
        tx.prepare_cached(
            "UPDATE sends SET state = 'leased', lease_owner = ?2, lease_expires_at = ?3, attempts = attempts + 1,
               updated_at = ?4 WHERE id = ?1 AND state = 'planned'",
        )?
        .execute(rusqlite::params![id, owner, lease_until, now])?;
    }
    tx.commit()?;
    Ok(ids)
}

/// Leases that ran out: never-started ones go back to `planned` (nothing left); ones whose
/// request may have gone out become `unknown`. Returns (replanned, unknown) ids.
pub fn reap_expired(conn: &mut Connection, now: &str) -> rusqlite::Result<(Vec<i64>, Vec<i64>)> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let back: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "UPDATE sends SET state = 'planned', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?1
             WHERE state = 'leased' AND sending_at IS NULL AND lease_expires_at < ?1 RETURNING id",
        )?;
        let rows = stmt.query_map([now], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let unknown: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "UPDATE sends SET state = 'unknown', updated_at = ?1,
               error_detail = 'interrupted while sending; waiting for WhatsApp to tell whether it left'
             WHERE state = 'leased' AND sending_at IS NOT NULL AND lease_expires_at < ?1 RETURNING id",
        )?;
        let rows = stmt.query_map([now], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    tx.commit()?;
    Ok((back, unknown))
}

/// The fenced "about to send": only the lease's owner, before the lease runs out. After this a
/// crash leaves the row `unknown`, never re-sendable.
pub fn mark_sending(
    conn: &Connection,
    id: i64,
    owner: &str,
    recipient: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn.prepare_cached(
        "UPDATE sends SET sending_at = ?4, recipient = ?3, updated_at = ?4
         WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased' AND sending_at IS NULL AND lease_expires_at > ?4",
    )?
    .execute(rusqlite::params![id, owner, recipient, now])?;
    Ok(n == 1)
}

/// Gives a claimed send back unsent (the checks said "not this round"), fenced by the owner.
pub fn release(
    conn: &Connection,
    id: i64,
    owner: &str,
    due_at: &str,
    reason: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn.prepare_cached(
        "UPDATE sends SET state = 'planned', due_at = ?3, held_reason = ?4, lease_owner = NULL, lease_expires_at = NULL,
           updated_at = ?5
         WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased' AND sending_at IS NULL",
    )?
    .execute(rusqlite::params![id, owner, due_at, reason, now])?;
    Ok(n == 1)
}

/// The fenced result of a send: the owner's word wins even if its lease ran out meanwhile (it
/// knows the answer; `unknown` was only a guess).
#[allow(clippy::too_many_arguments)]
pub fn finish(
    conn: &Connection,
    id: i64,
    owner: &str,
    state: &str,
    wamid: Option<&str>,
    error_code: Option<&str>,
    error_detail: Option<&str>,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sends SET state = ?3, wamid = ?4, error_code = ?5, error_detail = ?6,
           sent_at = CASE WHEN ?3 = 'sent' THEN sending_at ELSE sent_at END,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = ?7
         WHERE id = ?1 AND lease_owner = ?2 AND state IN ('leased', 'unknown') AND sending_at IS NOT NULL",
        )?
        .execute(rusqlite::params![id, owner, state, wamid, error_code, error_detail, now])?;
    Ok(n == 1)
}

/// A send whose request may have gone out goes back to `planned` after a definite "nothing
/// was sent" (a refused connection, a throughput error), fenced by the owner.
pub fn retry_later(
    conn: &Connection,
    id: i64,
    owner: &str,
    due_at: &str,
    code: &str,
    detail: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn.prepare_cached(
        "UPDATE sends SET state = 'planned', due_at = ?3, error_code = ?4, error_detail = ?5, held_reason = 'retry',
           sending_at = NULL, recipient = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?6
         WHERE id = ?1 AND lease_owner = ?2 AND state IN ('leased', 'unknown')",
    )?
    .execute(rusqlite::params![id, owner, due_at, code, detail, now])?;
    Ok(n == 1)
}

/// A status webhook (or any later word from WhatsApp) about a message: an `unknown` send with
/// that idempotency key (Meta echoes it as `biz_opaque_callback_data`) or wamid is settled as
/// sent. Returns the send's id when one was settled.
pub fn reconcile(
    conn: &Connection,
    callback_data: Option<&str>,
    wamid: &str,
    at: &str,
    now: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "UPDATE sends SET state = 'sent', wamid = ?2, sent_at = COALESCE(sending_at, ?3), error_detail = NULL,
           updated_at = ?4
         WHERE state = 'unknown' AND (idempotency_key = ?1 OR wamid = ?2) RETURNING id",
    )?
    .query_row(rusqlite::params![callback_data, wamid, at, now], |r| r.get(0))
    .optional()
}

/// Everything the dispatcher needs about one send, its cart and its customer, in one read.
#[derive(Debug, Clone)]
pub struct SendContext {
    pub id: i64,
    pub cart_id: i64,
    pub step: i64,
    /// What Meta echoes back for this send (`biz_opaque_callback_data`): the row's key, fresh
    /// after an owner's retry.
    pub idempotency_key: String,
    pub state: String,
    pub due_at: String,
    pub deadline_at: String,
    pub store_id: i64,
    pub store_name: String,
    pub store_country: String,
    pub external_id: String,
    pub phone_e164: Option<String>,
    pub first_name: Option<String>,
    pub language: Option<String>,
    pub marketing_consent: Option<bool>,
    pub items_json: String,
    pub currency: String,
    pub total: String,
    pub recovery_url: Option<String>,
    pub checkout_updated_at: String,
    pub completed_at: Option<String>,
    pub holdout: bool,
    pub contact_id: Option<i64>,
    pub opted_out_at: Option<String>,
    pub takeover_at: Option<String>,
    pub automation_paused: bool,
}

pub fn context(conn: &Connection, id: i64) -> rusqlite::Result<Option<SendContext>> {
    conn.prepare_cached(
        "SELECT s.id, s.cart_id, s.step, s.idempotency_key, s.state, s.due_at, s.deadline_at, c.store_id, st.name AS store_name,
           st.country AS store_country, c.external_id, c.phone_e164, c.first_name, c.language, c.marketing_consent,
           c.items_json, c.currency, c.total, c.recovery_url, c.checkout_updated_at, c.completed_at, c.holdout,
           c.contact_id, k.opted_out_at, k.takeover_at, COALESCE(v.automation_paused, 0) AS automation_paused
         FROM sends s JOIN carts c ON c.id = s.cart_id JOIN stores st ON st.id = c.store_id
         LEFT JOIN contacts k ON k.id = c.contact_id LEFT JOIN conversations v ON v.contact_id = c.contact_id
         WHERE s.id = ?1",
    )?
    .query_row([id], |r| {
        Ok(SendContext {
            id: r.get("id")?,
            cart_id: r.get("cart_id")?,
            step: r.get("step")?,
            idempotency_key: r.get("idempotency_key")?,
            state: r.get("state")?,
            due_at: r.get("due_at")?,
            deadline_at: r.get("deadline_at")?,
            store_id: r.get("store_id")?,
            store_name: r.get("store_name")?,
            store_country: r.get("store_country")?,
            external_id: r.get("external_id")?,
            phone_e164: r.get("phone_e164")?,
            first_name: r.get("first_name")?,
            language: r.get("language")?,
            marketing_consent: r.get("marketing_consent")?,
            items_json: r.get("items_json")?,
            currency: r.get("currency")?,
            total: r.get("total")?,
            recovery_url: r.get("recovery_url")?,
            checkout_updated_at: r.get("checkout_updated_at")?,
            completed_at: r.get("completed_at")?,
            holdout: r.get("holdout")?,
            contact_id: r.get("contact_id")?,
            opted_out_at: r.get("opted_out_at")?,
            takeover_at: r.get("takeover_at")?,
            automation_paused: r.get("automation_paused")?,
        })
    })
    .optional()
}

/// The same context for a cart outside any planned send (the owner sends the template by hand
/// from the inbox): `id` 0 and `step` -1.
pub fn context_for_cart(conn: &Connection, id: i64) -> rusqlite::Result<Option<SendContext>> {
    conn.prepare_cached(
        "SELECT 0 AS id, c.id AS cart_id, -1 AS step, 'recupero:' || c.id || ':-1' AS idempotency_key,
           'manual' AS state, c.detected_at AS due_at, c.detected_at AS deadline_at,
           c.store_id, st.name AS store_name,
           st.country AS store_country, c.external_id, c.phone_e164, c.first_name, c.language, c.marketing_consent,
           c.items_json, c.currency, c.total, c.recovery_url, c.checkout_updated_at, c.completed_at, c.holdout,
           c.contact_id, k.opted_out_at, k.takeover_at, COALESCE(v.automation_paused, 0) AS automation_paused
         FROM carts c JOIN stores st ON st.id = c.store_id
         LEFT JOIN contacts k ON k.id = c.contact_id LEFT JOIN conversations v ON v.contact_id = c.contact_id
         WHERE c.id = ?1",
    )?
    .query_row([id], |r| {
        Ok(SendContext {
            id: r.get("id")?,
            cart_id: r.get("cart_id")?,
            step: r.get("step")?,
            idempotency_key: r.get("idempotency_key")?,
            state: r.get("state")?,
            due_at: r.get("due_at")?,
            deadline_at: r.get("deadline_at")?,
            store_id: r.get("store_id")?,
            store_name: r.get("store_name")?,
            store_country: r.get("store_country")?,
            external_id: r.get("external_id")?,
            phone_e164: r.get("phone_e164")?,
            first_name: r.get("first_name")?,
            language: r.get("language")?,
            marketing_consent: r.get("marketing_consent")?,
            items_json: r.get("items_json")?,
            currency: r.get("currency")?,
            total: r.get("total")?,
            recovery_url: r.get("recovery_url")?,
            checkout_updated_at: r.get("checkout_updated_at")?,
            completed_at: r.get("completed_at")?,
            holdout: r.get("holdout")?,
            contact_id: r.get("contact_id")?,
            opted_out_at: r.get("opted_out_at")?,
            takeover_at: r.get("takeover_at")?,
            automation_paused: r.get("automation_paused")?,
        })
    })
    .optional()
}

/// A recovery conversation this customer already had since `since` (another cart's first
/// message that left or may have left).
pub fn contact_messaged_since(
    conn: &Connection,
    contact_id: i64,
    other_than_cart: i64,
    since: &str,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM sends s JOIN carts c ON c.id = s.cart_id
           WHERE c.contact_id = ?1 AND s.cart_id != ?2 AND s.step = 0
             AND (s.state IN ('sent', 'unknown') OR (s.state = 'leased' AND s.sending_at IS NOT NULL))
             AND COALESCE(s.sent_at, s.sending_at) >= ?3)",
    )?
    .query_row(rusqlite::params![contact_id, other_than_cart, since], |r| r.get(0))
}

/// Whether WhatsApp refused a marketing message to this contact for its per-user marketing cap
/// (131049) since `since`: Meta asks for at least 24 hours before the next one.
pub fn marketing_capped_since(conn: &Connection, contact_id: i64, since: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM sends s JOIN carts c ON c.id = s.cart_id
           WHERE c.contact_id = ?1 AND s.error_code = '131049' AND s.updated_at >= ?2)",
    )?
    .query_row(rusqlite::params![contact_id, since], |r| r.get(0))
}

/// When the cart's first message left, if it did.
pub fn first_sent_at(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT sent_at FROM sends WHERE cart_id = ?1 AND step = 0 AND state = 'sent'")?
        .query_row([cart_id], |r| r.get(0))
        .optional()
        .map(Option::flatten)
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

/// A store's sends counted by what became of them (the demo's report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTally {
    /// First steps: one per cart given a plan.
    pub first_steps: i64,
    /// Every step planned (first messages and follow-ups).
    pub planned: i64,
    pub sent: i64,
    pub failed: i64,
    pub unknown: i64,
    /// Still waiting to go out (planned or in flight).
    pub pending: i64,
}

/// Counts a store's sends by state.
pub fn tally_of_store(conn: &Connection, store_id: i64) -> rusqlite::Result<StoreTally> {
    conn.query_row(
        "SELECT count(*) FILTER (WHERE s.step = 0), count(*), count(*) FILTER (WHERE s.state = 'sent'),
                count(*) FILTER (WHERE s.state = 'failed'), count(*) FILTER (WHERE s.state = 'unknown'),
                count(*) FILTER (WHERE s.state IN ('planned', 'leased'))
         FROM sends s JOIN carts c ON c.id = s.cart_id WHERE c.store_id = ?1",
        [store_id],
        |r| {
            Ok(StoreTally {
                first_steps: r.get(0)?,
                planned: r.get(1)?,
                sent: r.get(2)?,
                failed: r.get(3)?,
                unknown: r.get(4)?,
                pending: r.get(5)?,
            })
        },
    )
}

/// A store's skipped sends by skip reason.
pub fn skip_reasons_of_store(
    conn: &Connection,
    store_id: i64,
) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    conn.prepare(
        "SELECT s.skip_reason, count(*) FROM sends s JOIN carts c ON c.id = s.cart_id
         WHERE c.store_id = ?1 AND s.state = 'skipped' GROUP BY s.skip_reason",
    )?
    .query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// When each of a store's sent sends went out (None where no time was recorded).
pub fn sent_times_of_store(conn: &Connection, store_id: i64) -> rusqlite::Result<Vec<Option<String>>> {
    conn.prepare(
        "SELECT s.sent_at FROM sends s JOIN carts c ON c.id = s.cart_id WHERE c.store_id = ?1 AND s.state = 'sent'",
    )?
    .query_map([store_id], |r| r.get(0))?
    .collect()
}
