//! The dispatcher's hold on a send: claim under a lease, the fenced "about to send" mark, and
//! the fenced ends (finished, given back, retried later, reconciled). Guarantee: every update
//! names the lease owner and the state it expects, so two dispatchers (or a restarted one) never
//! both send a row, and a row past its sending mark is never planned again blindly.

use rusqlite::{Connection, OptionalExtension};

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
