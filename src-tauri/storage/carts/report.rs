//! A store's carts counted for the demo's closing report: by outcome, the recovered totals, the
//! holdout group, and a cart's checkout id.

use rusqlite::Connection;

/// The store's checkout id of a cart (the demo maps a received message back to its checkout).
pub fn external_id(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    conn.query_row("SELECT external_id FROM carts WHERE id = ?1", [id], |r| r.get(0))
}

/// A store's carts by outcome (the demo's report).
pub fn outcome_counts_of_store(
    conn: &Connection,
    store_id: i64,
) -> rusqlite::Result<std::collections::BTreeMap<String, i64>> {
    conn.prepare(
        "SELECT outcome, count(*) FROM carts WHERE store_id = ?1 AND outcome IS NOT NULL GROUP BY outcome",
    )?
    .query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// (currency, total) of each of a store's recovered carts, totals as stored (decimal strings).
pub fn recovered_totals_of_store(
    conn: &Connection,
    store_id: i64,
) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare("SELECT currency, total FROM carts WHERE store_id = ?1 AND outcome = 'recovered'")?
        .query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// How many of a store's carts are in the holdout group.
pub fn holdout_count_of_store(conn: &Connection, store_id: i64) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM carts c WHERE c.store_id = ?1 AND c.holdout = 1", [store_id], |r| {
        r.get(0)
    })
}
