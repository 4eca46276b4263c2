//! What a customer's sends already did: the first message of a cart, other recovery
//! conversations, WhatsApp's marketing cap, and what a purchase is measured against. Read by the
//! pre-send checks and the recovery tracker.

use rusqlite::{Connection, OptionalExtension};

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

/// When the cart's message of `step` left, if it did (a follow-up is planned from it).
pub fn step_sent_at(conn: &Connection, cart_id: i64, step: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT sent_at FROM sends WHERE cart_id = ?1 AND step = ?2 AND state = 'sent'")?
        .query_row(rusqlite::params![cart_id, step], |r| r.get(0))
        .optional()
        .map(Option::flatten)
}

/// What a purchase of a cart is measured against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseBasis {
    pub holdout: bool,
    /// The outcome already recorded, if any.
    pub outcome: Option<String>,
    pub opted_out_at: Option<String>,
    /// When the first message was due (for a holdout cart: when it was held back); `None` when
    /// the cart never got a plan.
    pub would_have_at: Option<String>,
}

/// The cart's [`PurchaseBasis`]; `None` when there is no such cart.
pub fn purchase_basis(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<PurchaseBasis>> {
    conn.query_row(
        "SELECT c.holdout, c.outcome, k.opted_out_at,
           (SELECT CASE WHEN s.skip_reason = 'holdout' THEN s.updated_at ELSE s.due_at END
              FROM sends s WHERE s.cart_id = c.id AND s.step = 0)
         FROM carts c LEFT JOIN contacts k ON k.id = c.contact_id WHERE c.id = ?1",
        [cart_id],
        |r| {
            Ok(PurchaseBasis {
                holdout: r.get(0)?,
                outcome: r.get(1)?,
                opted_out_at: r.get(2)?,
                would_have_at: r.get(3)?,
            })
        },
    )
    .optional()
}
