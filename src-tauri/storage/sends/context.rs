//! What the dispatcher (and the owner's hand-sent template) reads about one send, its cart, its
//! store and its customer, in one query; both queries share one row mapping.

use rusqlite::{Connection, OptionalExtension, Row};

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

impl SendContext {
    /// The one mapping from a row of either context query (same column names in both).
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
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
    }
}

/// The cart, store and customer columns of a context, named as [`SendContext::from_row`] reads
/// them (a macro, so both queries stay one `prepare_cached` string).
macro_rules! cart_columns {
    () => {
        "c.store_id, st.name AS store_name, st.country AS store_country, c.external_id, c.phone_e164,
           c.first_name, c.language, c.marketing_consent, c.items_json, c.currency, c.total, c.recovery_url,
           c.checkout_updated_at, c.completed_at, c.holdout, c.contact_id, k.opted_out_at, k.takeover_at,
           COALESCE(v.automation_paused, 0) AS automation_paused"
    };
}

/// The joins from a cart `c` to its store, contact and conversation.
macro_rules! cart_joins {
    () => {
        "JOIN stores st ON st.id = c.store_id
         LEFT JOIN contacts k ON k.id = c.contact_id LEFT JOIN conversations v ON v.contact_id = c.contact_id"
    };
}

pub fn context(conn: &Connection, id: i64) -> rusqlite::Result<Option<SendContext>> {
    conn.prepare_cached(concat!(
        "SELECT s.id, s.cart_id, s.step, s.idempotency_key, s.state, s.due_at, s.deadline_at, ",
        cart_columns!(),
        " FROM sends s JOIN carts c ON c.id = s.cart_id ",
        cart_joins!(),
        " WHERE s.id = ?1"
    ))?
    .query_row([id], SendContext::from_row)
    .optional()
}

/// The same context for a cart outside any planned send (the owner sends the template by hand
/// from the inbox): `id` 0 and `step` -1.
pub fn context_for_cart(conn: &Connection, id: i64) -> rusqlite::Result<Option<SendContext>> {
    conn.prepare_cached(concat!(
        "SELECT 0 AS id, c.id AS cart_id, -1 AS step, 'recupero:' || c.id || ':-1' AS idempotency_key,
               'manual' AS state, c.detected_at AS due_at, c.detected_at AS deadline_at, ",
        cart_columns!(),
        " FROM carts c ",
        cart_joins!(),
        " WHERE c.id = ?1"
    ))?
    .query_row([id], SendContext::from_row)
    .optional()
}
