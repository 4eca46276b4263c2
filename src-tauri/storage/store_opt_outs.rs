//! Consent written back to the store the customer came from (`store_write_opt_out`): which
//! opt-outs wait for a write, which written opt-outs the customer has since lifted (their
//! opt-in waits for a write too), and the final outcome of each write, one row per (contact, the
//! opt-out's time, store, state written). A contact who opts out again after opting back in has a
//! new opt-out time, so a new write. A write that failed for now (network, 5xx, throttling)
//! leaves no row: it is asked again on the next round.
//!
//! Where an opt-out came from (`opt_out_origins`): only a verified one is written to the store —
//! a signed delivery, WhatsApp's 131050 answer to our own send, a signed history sync, the owner.
//! An unsigned delivery's STOP stops Recupero's messages only (a forgery must not reach the
//! merchant's other tools). An opt-out with no recorded origin counts as unverified.

use rusqlite::{params, Connection};

pub(crate) const SCHEMA_V15: &str = "
CREATE TABLE store_opt_out_writes (
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    opted_out_at  TEXT NOT NULL,
    store_id      INTEGER NOT NULL REFERENCES stores(id),
    state         TEXT NOT NULL DEFAULT 'UNSUBSCRIBED' CHECK (state IN ('UNSUBSCRIBED', 'SUBSCRIBED')),
    outcome       TEXT NOT NULL,
    detail        TEXT,
    at            TEXT NOT NULL,
    PRIMARY KEY (contact_id, opted_out_at, store_id, state)
) STRICT;
CREATE TABLE opt_out_origins (
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    opted_out_at  TEXT NOT NULL,
    verified      INTEGER NOT NULL CHECK (verified IN (0, 1)),
    PRIMARY KEY (contact_id, opted_out_at)
) STRICT;
";

/// Outcomes of an opt-out that was not verified: final, until a verified word confirms it.
const UNVERIFIED: [&str; 2] = ["unsigned", "unknown_origin"];

/// Records where contact `contact`'s current opt-out came from: `verified` (a signed delivery,
/// WhatsApp's answer to our send, a signed history sync, the owner) or not (an unsigned delivery).
/// Called with every opt-out word, news or not, said at `said_at`: a verified word about an
/// opt-out recorded unverified makes it verified, and its write is tried again. Nothing when not
/// opted out, or when the word was said before the customer's latest opt-in (stale).
pub fn note_origin(conn: &Connection, contact: i64, verified: bool, said_at: &str) -> rusqlite::Result<()> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO opt_out_origins (contact_id, opted_out_at, verified)
             SELECT id, opted_out_at, ?2 FROM contacts
             WHERE id = ?1 AND opted_out_at IS NOT NULL AND (opted_in_at IS NULL OR opted_in_at < ?3)
             ON CONFLICT (contact_id, opted_out_at) DO UPDATE SET verified = 1
               WHERE excluded.verified = 1 AND verified = 0",
        )?
        .execute(params![contact, verified, said_at])?;
    if verified && changed == 1 {
        conn.prepare_cached(
            "DELETE FROM store_opt_out_writes
             WHERE contact_id = ?1 AND state = 'UNSUBSCRIBED' AND outcome IN (?2, ?3)
               AND opted_out_at = (SELECT opted_out_at FROM contacts WHERE id = ?1)",
        )?
        .execute(params![contact, UNVERIFIED[0], UNVERIFIED[1]])?;
    }
    Ok(())
}

/// The state a write sets in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The opt-out: `UNSUBSCRIBED`.
    OptOut,
    /// The customer's later opt-in, undoing the opt-out written before: `SUBSCRIBED`.
    OptIn,
}

impl Written {
    pub fn state(self) -> &'static str {
        match self {
            Written::OptOut => "UNSUBSCRIBED",
            Written::OptIn => "SUBSCRIBED",
        }
    }
}

/// One consent write to one store, through the contact's latest checkout there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub contact_id: i64,
    pub phone_e164: String,
    /// The opt-out's time (an opt-in write is keyed by the opt-out it undoes).
    pub opted_out_at: String,
    pub store_id: i64,
    /// The checkout (the store's id) whose customer is written.
    pub external_id: String,
    pub written: Written,
    /// An opt-out: whether it was verified (`None`: no origin recorded). An opt-in: always
    /// `Some(true)` (only a signed word lifts an opt-out).
    pub verified: Option<bool>,
    /// An opt-in: when the customer said it, when known.
    pub opted_in_at: Option<String>,
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
                    k.store_id AS store_id, max(k.id) AS cart_id,
                    (SELECT max(o.verified) FROM opt_out_origins o
                     WHERE o.opted_out_at = c.opted_out_at
                       AND (o.contact_id = c.id
                            OR o.contact_id IN (SELECT m.id FROM contacts m WHERE m.merged_into = c.id))
                    ) AS verified
             FROM contacts c
             JOIN carts k ON k.contact_id = c.id
             JOIN stores s ON s.id = k.store_id
             WHERE c.opted_out_at IS NOT NULL AND c.opted_out_at >= ?2 AND c.phone_e164 IS NOT NULL
               AND s.platform = ?1 AND s.state != 'paused'
               AND NOT EXISTS (SELECT 1 FROM store_opt_out_writes w
                               WHERE w.contact_id = c.id AND w.opted_out_at = c.opted_out_at
                                 AND w.store_id = k.store_id AND w.state = 'UNSUBSCRIBED')
             GROUP BY c.id, k.store_id
         )
         SELECT l.contact_id, l.phone, l.opted_out_at, l.store_id, k.external_id, l.verified
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
            written: Written::OptOut,
            verified: r.get(5)?,
            opted_in_at: None,
        })
    })?
    .collect()
}

/// The opt-outs written to the `platform` stores (outcome `written`) whose contact has since
/// opted back in, their opt-in not written yet (paused stores wait), at most `limit`. No age
/// limit: the customer's word stands however long after the opt-out they say it.
pub fn pending_opt_ins(
    conn: &Connection,
    platform: &str,
    limit: usize,
) -> rusqlite::Result<Vec<PendingWrite>> {
    conn.prepare_cached(
        "WITH lifted AS (
             SELECT w.contact_id, c.phone_e164 AS phone, w.opted_out_at, w.store_id,
                    CASE WHEN c.opted_in_at > w.opted_out_at THEN c.opted_in_at END AS opted_in_at,
                    (SELECT max(k.id) FROM carts k WHERE k.contact_id = c.id AND k.store_id = w.store_id)
                        AS cart_id
             FROM store_opt_out_writes w
             JOIN contacts c ON c.id = w.contact_id
             JOIN stores s ON s.id = w.store_id
             WHERE w.state = 'UNSUBSCRIBED' AND w.outcome = 'written'
               AND c.opted_out_at IS NULL AND c.phone_e164 IS NOT NULL
               AND s.platform = ?1 AND s.state != 'paused'
               AND NOT EXISTS (SELECT 1 FROM store_opt_out_writes i
                               WHERE i.contact_id = w.contact_id AND i.opted_out_at = w.opted_out_at
                                 AND i.store_id = w.store_id AND i.state = 'SUBSCRIBED')
         )
         SELECT l.contact_id, l.phone, l.opted_out_at, l.store_id, k.external_id, l.opted_in_at
         FROM lifted l JOIN carts k ON k.id = l.cart_id
         ORDER BY l.opted_out_at, l.contact_id, l.store_id
         LIMIT ?2",
    )?
    .query_map(params![platform, limit as i64], |r| {
        Ok(PendingWrite {
            contact_id: r.get(0)?,
            phone_e164: r.get(1)?,
            opted_out_at: r.get(2)?,
            store_id: r.get(3)?,
            external_id: r.get(4)?,
            written: Written::OptIn,
            verified: Some(true),
            opted_in_at: r.get(5)?,
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
        "INSERT OR IGNORE INTO store_opt_out_writes
             (contact_id, opted_out_at, store_id, state, outcome, detail, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        write.contact_id,
        write.opted_out_at,
        write.store_id,
        write.written.state(),
        outcome,
        detail,
        at
    ])?;
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
        assert_eq!((w.written, w.verified), (Written::OptOut, None), "no origin recorded");
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

    fn verified_of(conn: &Connection) -> Vec<Option<bool>> {
        pending(conn, "shopify", "2026-11-01", 10).unwrap().iter().map(|w| w.verified).collect()
    }

    #[test]
    fn an_unsigned_opt_out_stays_unverified_until_a_verified_word_confirms_it() {
        let conn = db();
        let ana = contacts::resolve_wa_id(&conn, "5491160000001", None, AT).unwrap();
        cart(&conn, 1, "100", ana);
        let t1 = "2026-11-20T12:00:01.000Z";
        contacts::opt_out(&conn, ana, "keyword", t1).unwrap();
        note_origin(&conn, ana, false, t1).unwrap();
        assert_eq!(verified_of(&conn), [Some(false)]);
        let w = pending(&conn, "shopify", "2026-11-01", 10).unwrap().remove(0);
        record(&conn, &w, "unsigned", Some("why"), AT).unwrap();
        assert!(verified_of(&conn).is_empty(), "recorded: not asked again");
        // Another unsigned word changes nothing; a signed one said before the latest opt-in is stale.
        note_origin(&conn, ana, false, "2026-11-20T13:00:00.000Z").unwrap();
        conn.execute(
            "UPDATE contacts SET opted_in_at = ?2 WHERE id = ?1",
            params![ana, "2026-11-20T12:00:00.500Z"],
        )
        .unwrap();
        note_origin(&conn, ana, true, "2026-11-20T12:00:00.000Z").unwrap();
        assert!(verified_of(&conn).is_empty());
        // The customer says it again on a signed delivery: verified, and written this time.
        note_origin(&conn, ana, true, "2026-11-20T13:00:00.000Z").unwrap();
        assert_eq!(verified_of(&conn), [Some(true)]);
        // A merged-away contact's origin counts for the contact it was merged into.
        let bea = contacts::resolve_wa_id(&conn, "5491160000002", None, AT).unwrap();
        let old = contacts::resolve_wa_id(&conn, "5491160000003", None, AT).unwrap();
        cart(&conn, 1, "101", bea);
        contacts::opt_out(&conn, old, "button", t1).unwrap();
        note_origin(&conn, old, true, t1).unwrap();
        contacts::opt_out(&conn, bea, "button", t1).unwrap();
        conn.execute("UPDATE contacts SET merged_into = ?2 WHERE id = ?1", params![old, bea]).unwrap();
        assert_eq!(verified_of(&conn), [Some(true), Some(true)]);
    }

    #[test]
    fn a_written_opt_out_lifted_by_the_customer_waits_once_for_its_opt_in() {
        let conn = db();
        let ana = contacts::resolve_wa_id(&conn, "5491160000001", None, AT).unwrap();
        cart(&conn, 1, "100", ana);
        let t1 = "2026-11-20T12:00:01.000Z";
        contacts::opt_out(&conn, ana, "keyword", t1).unwrap();
        note_origin(&conn, ana, true, t1).unwrap();
        let out = pending(&conn, "shopify", "2026-11-01", 10).unwrap().remove(0);
        record(&conn, &out, "refused", None, AT).unwrap();
        contacts::opt_in_by_customer(&conn, ana, "2026-11-21T09:00:00.000Z").unwrap();
        assert!(pending_opt_ins(&conn, "shopify", 10).unwrap().is_empty(), "nothing was written");
        // Out again, written this time, then back in.
        let t2 = "2026-11-22T09:00:00.000Z";
        contacts::opt_out(&conn, ana, "keyword", t2).unwrap();
        note_origin(&conn, ana, true, t2).unwrap();
        let out = pending(&conn, "shopify", "2026-11-01", 10).unwrap().remove(0);
        record(&conn, &out, "written", None, AT).unwrap();
        assert!(pending_opt_ins(&conn, "shopify", 10).unwrap().is_empty(), "still opted out");
        contacts::opt_in_by_customer(&conn, ana, "2026-11-23T09:00:00.000Z").unwrap();
        let waiting = pending_opt_ins(&conn, "shopify", 10).unwrap();
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        let w = &waiting[0];
        assert_eq!((w.written, w.opted_out_at.as_str(), w.external_id.as_str()), (Written::OptIn, t2, "100"));
        assert_eq!(w.opted_in_at.as_deref(), Some("2026-11-23T09:00:00.000Z"));
        record(&conn, w, "written", None, AT).unwrap();
        assert!(pending_opt_ins(&conn, "shopify", 10).unwrap().is_empty(), "written once");
        assert!(pending(&conn, "shopify", "2026-11-01", 10).unwrap().is_empty());
    }
}
