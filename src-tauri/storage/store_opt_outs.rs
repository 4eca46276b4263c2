//! Opt-outs written back to the store the customer came from (`store_write_opt_out`): which
//! opt-outs wait for a write, and the final outcome of each write, one row per (contact, the
//! opt-out's time, store). A contact who opts out again after opting back in has a new opt-out
//! time, so a new write. A write that failed for now (network, 5xx, throttling) leaves no row:
//! it is asked again on the next round.

use rusqlite::{params, Connection};

pub(crate) const SCHEMA_V15: &str = "
CREATE TABLE store_opt_out_writes (
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    opted_out_at  TEXT NOT NULL,
    store_id      INTEGER NOT NULL REFERENCES stores(id),
    outcome       TEXT NOT NULL,
    detail        TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (contact_id, opted_out_at, store_id)
) STRICT;
";

/// One opt-out to write to one store, through the contact's latest checkout there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub contact_id: i64,
    pub phone_e164: String,
    pub opted_out_at: String,
    pub store_id: i64,
    /// The checkout (the store's id) whose customer is written.
    pub external_id: String,
}

/// The opt-outs since `since` not written yet to the `platform` stores their contact bought
/// from (paused stores wait), oldest first, at most `limit`.
pub fn pending(
    conn: &Connection,
    platform: &str,
    since: &str,
    limit: usize,
) -> rusqlite::Result<Vec<PendingWrite>> {
    conn.prepare_cached(
        "WITH latest AS (
             SELECT c.id AS contact_id, c.phone_e164 AS phone, c.opted_out_at AS opted_out_at,
                    k.store_id AS store_id, max(k.id) AS cart_id
             FROM contacts c
             JOIN carts k ON k.contact_id = c.id
             JOIN stores s ON s.id = k.store_id
             WHERE c.opted_out_at IS NOT NULL AND c.opted_out_at >= ?2 AND c.phone_e164 IS NOT NULL
               AND s.platform = ?1 AND s.state != 'paused'
               AND NOT EXISTS (SELECT 1 FROM store_opt_out_writes w
                               WHERE w.contact_id = c.id AND w.opted_out_at = c.opted_out_at
                                 AND w.store_id = k.store_id)
             GROUP BY c.id, k.store_id
         )
         SELECT l.contact_id, l.phone, l.opted_out_at, l.store_id, k.external_id
         FROM latest l JOIN carts k ON k.id = l.cart_id
         ORDER BY l.opted_out_at, l.contact_id, l.store_id
         LIMIT ?3",
    )?
    .query_map(params![platform, since, limit as i64], |r| {
        Ok(PendingWrite {
            contact_id: r.get(0)?,
            phone_e164: r.get(1)?,
            opted_out_at: r.get(2)?,
            store_id: r.get(3)?,
            external_id: r.get(4)?,
        })
    })?
    .collect()
}

/// Records the final outcome of one write (a second record of the same write changes nothing).
pub fn record(
    conn: &Connection,
    write: &PendingWrite,
    outcome: &str,
    detail: Option<&str>,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO store_opt_out_writes (contact_id, opted_out_at, store_id, outcome, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![write.contact_id, write.opted_out_at, write.store_id, outcome, detail, at])?;
    Ok(())
}

/// The outcome of the store's latest write before this one, if any.
pub fn last_outcome(conn: &Connection, store_id: i64) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(
        "SELECT outcome FROM store_opt_out_writes WHERE store_id = ?1 ORDER BY at DESC, rowid DESC LIMIT 1",
    )?
    .query_row([store_id], |r| r.get(0))
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{contacts, migrations};

    const AT: &str = "2026-11-20T12:00:00.000Z";

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut conn).unwrap();
        for (id, platform, state) in [(1, "shopify", "ok"), (2, "tiendanube", "ok"), (3, "shopify", "paused")]
        {
            conn.execute(
                "INSERT INTO stores (id, platform, name, base_url, country, state, created_at)
                 VALUES (?1, ?2, 's', ?3, 'AR', ?4, ?5)",
                params![id, platform, format!("https://s{id}.example"), state, AT],
            )
            .unwrap();
        }
        conn
    }

    fn cart(conn: &Connection, store: i64, external: &str, contact: i64) {
        conn.execute(
            "INSERT INTO carts (store_id, external_id, contact_id, currency, total, items_json,
                                checkout_created_at, checkout_updated_at, detected_at)
             VALUES (?1, ?2, ?3, 'ARS', '1.00', '[]', ?4, ?4, ?4)",
            params![store, external, contact, AT],
        )
        .unwrap();
    }

    #[test]
    fn an_opt_out_waits_once_per_shopify_store_through_the_latest_checkout_until_recorded() {
        let conn = db();
        let ana = contacts::resolve_wa_id(&conn, "5491160000001", None, AT).unwrap();
        let bea = contacts::resolve_wa_id(&conn, "5491160000002", None, AT).unwrap();
        for (store, external) in [(1, "100"), (1, "101"), (2, "200"), (3, "300")] {
            cart(&conn, store, external, ana);
        }
        cart(&conn, 1, "102", bea);
        assert!(pending(&conn, "shopify", "2026-11-01", 10).unwrap().is_empty(), "nobody opted out");
        contacts::opt_out(&conn, ana, "keyword", "2026-11-20T12:00:01.000Z").unwrap();
        let waiting = pending(&conn, "shopify", "2026-11-01", 10).unwrap();
        assert_eq!(waiting.len(), 1, "one Shopify store; Tiendanube and the paused store aside: {waiting:?}");
        let w = &waiting[0];
        assert_eq!((w.contact_id, w.store_id, w.external_id.as_str()), (ana, 1, "101"));
        assert_eq!(w.phone_e164, "+5491160000001");
        assert!(pending(&conn, "shopify", "2026-11-21", 10).unwrap().is_empty(), "older than `since`");
        assert_eq!(last_outcome(&conn, 1).unwrap(), None);
        record(&conn, w, "written", None, AT).unwrap();
        record(&conn, w, "refused", Some("again"), AT).unwrap();
        assert!(pending(&conn, "shopify", "2026-11-01", 10).unwrap().is_empty(), "written once");
        assert_eq!(last_outcome(&conn, 1).unwrap().as_deref(), Some("written"), "the first record stays");
        // Back in, then out again: a new opt-out, a new write.
        conn.execute("UPDATE contacts SET opted_out_at = NULL WHERE id = ?1", [ana]).unwrap();
        contacts::opt_out(&conn, ana, "button", "2026-11-22T09:00:00.000Z").unwrap();
        assert_eq!(pending(&conn, "shopify", "2026-11-01", 10).unwrap().len(), 1);
    }
}
