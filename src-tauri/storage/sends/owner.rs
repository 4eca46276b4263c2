//! The outbox rows the owner's cart actions touch (send now, stop, retry). Each update is
//! fenced by the state it expects (`WHERE state = …`), so it can't race a dispatcher into a
//! second message: a row already claimed and handed to WhatsApp is never matched.

use rusqlite::{Connection, OptionalExtension};

/// The key of an owner's new attempt at a send: `recupero:12:0` → `recupero:12:0:r1` →
/// `recupero:12:0:r2`. Never a key used before, so WhatsApp's reports about the failed attempt
/// can't be taken for the new one.
pub fn retry_key(current: &str) -> String {
    match current.rsplit_once(":r") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{base}:r{}", n.parse::<u64>().unwrap_or(0) + 1)
        }
        _ => format!("{current}:r1"),
    }
}

/// The key a send carries now.
pub fn key_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT idempotency_key FROM sends WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// The steps of a cart whose request may be on its way to WhatsApp right now (claimed and past
/// the fenced sending mark): nobody can call those back.
pub fn in_flight_steps(conn: &Connection, cart_id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT step FROM sends WHERE cart_id = ?1 AND state = 'leased' AND sending_at IS NOT NULL ORDER BY step",
    )?;
    let rows = stmt.query_map([cart_id], |r| r.get(0))?;
    rows.collect()
}

/// The owner's "send now": a planned (unclaimed) send becomes due at `due_at`, out of any
/// opening's backlog window. The dispatcher then sends it after its usual checks.
pub fn bring_forward(
    conn: &Connection,
    id: i64,
    due_at: &str,
    deadline_at: &str,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sends SET due_at = ?2, deadline_at = ?3, window_opens_at = NULL, held_reason = 'owner_send_now',
               updated_at = ?4
             WHERE id = ?1 AND state = 'planned'",
        )?
        .execute(rusqlite::params![id, due_at, deadline_at, now])?;
    Ok(n == 1)
}

/// The owner's "stop": every send of the cart not yet handed to WhatsApp is skipped with
/// `reason` — planned ones, and claimed ones before their fenced sending mark (whose dispatcher
/// then loses the row and sends nothing). A send past that mark is in flight and left alone.
/// Returns (id, step) of each skipped send.
pub fn skip_unsent_for_cart(
    conn: &Connection,
    cart_id: i64,
    reason: &str,
    detail: &str,
    now: &str,
) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sends SET state = 'skipped', skip_reason = ?2, error_detail = ?3, updated_at = ?4,
           lease_owner = NULL, lease_expires_at = NULL
         WHERE cart_id = ?1 AND state IN ('planned', 'leased') AND sending_at IS NULL RETURNING id, step",
    )?;
    let rows =
        stmt.query_map(rusqlite::params![cart_id, reason, detail, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut skipped = rows.collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
    skipped.sort_by_key(|(_, step)| *step);
    Ok(skipped)
}

/// The owner's "retry": a send that failed before WhatsApp accepted it (no wamid) is planned
/// again under the fresh `key`, with a clean slate (attempts, error, sending mark). A send
/// WhatsApp accepted, or one whose fate is unknown, never matches.
#[allow(clippy::too_many_arguments)]
pub fn replan_failed(
    conn: &Connection,
    id: i64,
    key: &str,
    due_at: &str,
    deadline_at: &str,
    window_opens_at: Option<&str>,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sends SET state = 'planned', idempotency_key = ?2, due_at = ?3, deadline_at = ?4,
               window_opens_at = ?5, held_reason = 'owner_retry', attempts = 0, error_code = NULL,
               error_detail = NULL, skip_reason = NULL, sending_at = NULL, recipient = NULL, sent_at = NULL,
               lease_owner = NULL, lease_expires_at = NULL, updated_at = ?6
             WHERE id = ?1 AND state = 'failed' AND wamid IS NULL AND sent_at IS NULL",
        )?
        .execute(rusqlite::params![id, key, due_at, deadline_at, window_opens_at, now])?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::retry_key;

    #[test]
    fn each_retry_gets_a_key_never_used_before() {
        assert_eq!(retry_key("recupero:12:0"), "recupero:12:0:r1");
        assert_eq!(retry_key("recupero:12:0:r1"), "recupero:12:0:r2");
        assert_eq!(retry_key("recupero:12:1:r9"), "recupero:12:1:r10");
        // A key that only looks similar is extended, never reused.
        assert_eq!(retry_key("recupero:12:0:rx"), "recupero:12:0:rx:r1");
    }
}
