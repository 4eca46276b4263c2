//! Which checkout a cart is at its store, for asking the store whether the customer bought.

use rusqlite::Connection;

/// What the store is asked about a cart (did the customer buy?): which store, the checkout's id
/// there, the customer's phone and when the checkout began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartIdentity {
    pub store_id: i64,
    pub external_id: String,
    pub phone_e164: Option<String>,
    pub checkout_created_at: String,
}

/// A cart's [`CartIdentity`]; no such cart is an error (`QueryReturnedNoRows`).
pub fn identity(conn: &Connection, id: i64) -> rusqlite::Result<CartIdentity> {
    conn.query_row(
        "SELECT store_id, external_id, phone_e164, checkout_created_at FROM carts WHERE id = ?1",
        [id],
        |r| {
            Ok(CartIdentity {
                store_id: r.get(0)?,
                external_id: r.get(1)?,
                phone_e164: r.get(2)?,
                checkout_created_at: r.get(3)?,
            })
        },
    )
}
