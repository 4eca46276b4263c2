//! A store's sends counted for the demo's closing report: by state, by skip reason, and when
//! each went out.

use rusqlite::Connection;

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
