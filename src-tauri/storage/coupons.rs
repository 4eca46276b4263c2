//! The `coupons` table: the one discount code each cart may get (setting `coupon_percent`),
//! stored with its send BEFORE the store is asked to create it, so a retry or a crash finds the
//! same code (and asks the store for it by code) instead of creating a second one. Then what the
//! store said (its id for the code, or why it refused), and the code's end: deleted from the
//! store once unused and expired or the cart was recovered, or redeemed (with the discount the
//! purchase got, in the cart's currency).

use rusqlite::{params, Connection, OptionalExtension, Row};

pub(crate) const SCHEMA_V18: &str = "
CREATE TABLE coupons (
    id               INTEGER PRIMARY KEY,
    cart_id          INTEGER NOT NULL UNIQUE REFERENCES carts(id),
    send_id          INTEGER NOT NULL REFERENCES sends(id),
    store_id         INTEGER NOT NULL REFERENCES stores(id),
    code             TEXT NOT NULL UNIQUE,
    percent          INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    min_total        TEXT,
    currency         TEXT NOT NULL,
    platform_id      TEXT,
    reserved_at      TEXT NOT NULL,
    created_at       TEXT,
    expires_at       TEXT NOT NULL,
    refused_at       TEXT,
    refused_why      TEXT,
    deleted_at       TEXT,
    redeemed_at      TEXT,
    discount         TEXT
) STRICT;
CREATE INDEX coupons_open ON coupons(deleted_at, redeemed_at, expires_at);
";

/// One cart's coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRow {
    pub id: i64,
    pub cart_id: i64,
    pub send_id: i64,
    pub store_id: i64,
    pub code: String,
    pub percent: i64,
    pub min_total: Option<String>,
    pub currency: String,
    /// The store's id for the code (`None`: not created, or not known to be created, yet).
    pub platform_id: Option<String>,
    pub reserved_at: String,
    pub created_at: Option<String>,
    pub expires_at: String,
    /// The store refused to create it (a missing scope…): the message went without it.
    pub refused_at: Option<String>,
    pub refused_why: Option<String>,
    pub deleted_at: Option<String>,
    pub redeemed_at: Option<String>,
    /// The discount the purchase got, a decimal in `currency`.
    pub discount: Option<String>,
}

const COLUMNS: &str = "id, cart_id, send_id, store_id, code, percent, min_total, currency, platform_id, \
    reserved_at, created_at, expires_at, refused_at, refused_why, deleted_at, redeemed_at, discount";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CouponRow> {
    Ok(CouponRow {
        id: r.get(0)?,
        cart_id: r.get(1)?,
        send_id: r.get(2)?,
        store_id: r.get(3)?,
        code: r.get(4)?,
        percent: r.get(5)?,
        min_total: r.get(6)?,
        currency: r.get(7)?,
        platform_id: r.get(8)?,
        reserved_at: r.get(9)?,
        created_at: r.get(10)?,
        expires_at: r.get(11)?,
        refused_at: r.get(12)?,
        refused_why: r.get(13)?,
        deleted_at: r.get(14)?,
        redeemed_at: r.get(15)?,
        discount: r.get(16)?,
    })
}

/// What a new reservation holds.
#[derive(Debug, Clone)]
pub struct NewCoupon<'a> {
    pub cart_id: i64,
    pub send_id: i64,
    pub store_id: i64,
    pub code: &'a str,
    pub percent: i64,
    pub min_total: Option<&'a str>,
    pub currency: &'a str,
    pub expires_at: &'a str,
}

/// The cart's coupon: the one already reserved (whatever `new` says), else `new` reserved now.
pub fn reserve(conn: &Connection, new: &NewCoupon<'_>, now: &str) -> rusqlite::Result<CouponRow> {
    conn.prepare_cached(
        "INSERT INTO coupons (cart_id, send_id, store_id, code, percent, min_total, currency, reserved_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(cart_id) DO NOTHING",
    )?
    .execute(params![
        new.cart_id,
        new.send_id,
        new.store_id,
        new.code,
        new.percent,
        new.min_total,
        new.currency,
        now,
        new.expires_at
    ])?;
    by_cart(conn, new.cart_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub fn by_cart(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<CouponRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM coupons WHERE cart_id = ?1"))?
        .query_row([cart_id], from_row)
        .optional()
}

pub fn by_code(conn: &Connection, code: &str) -> rusqlite::Result<Option<CouponRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM coupons WHERE code = ?1"))?
        .query_row([code], from_row)
        .optional()
}

/// The store created the code (or already had it): its id.
pub fn record_created(conn: &Connection, id: i64, platform_id: &str, now: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE coupons SET platform_id = ?2, created_at = COALESCE(created_at, ?3), refused_at = NULL,
         refused_why = NULL WHERE id = ?1",
    )?
    .execute(params![id, platform_id, now])?;
    Ok(())
}

/// The store refused to create the code: the message goes without it.
pub fn record_refused(conn: &Connection, id: i64, why: &str, now: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE coupons SET refused_at = ?2, refused_why = ?3 WHERE id = ?1 AND platform_id IS NULL",
    )?
    .execute(params![id, now, why])?;
    Ok(())
}

/// Whether any coupon of this store was refused before `now` (the owner is told only once).
pub fn refused_before(conn: &Connection, store_id: i64, except: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM coupons WHERE store_id = ?1 AND refused_at IS NOT NULL AND id <> ?2)",
    )?
    .query_row(params![store_id, except], |r| r.get(0))
}

/// Coupons the housekeeping round looks at: created in the store, neither deleted nor redeemed,
/// and expired by `now`, of a cart that is recovered, or of a send that will never go (skipped
/// after the code was made: a STOP or a purchase during its creation).
pub fn due_for_housekeeping(conn: &Connection, now: &str, limit: u32) -> rusqlite::Result<Vec<CouponRow>> {
    let cols = COLUMNS.split(", ").map(|c| format!("k.{c}")).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols} FROM coupons k JOIN carts c ON c.id = k.cart_id JOIN sends s ON s.id = k.send_id
         WHERE k.platform_id IS NOT NULL AND k.deleted_at IS NULL AND k.redeemed_at IS NULL
           AND (k.expires_at <= ?1 OR c.status = 'recovered' OR s.state IN ('skipped', 'cancelled'))
         ORDER BY k.id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now, limit], from_row)?;
    rows.collect()
}

/// Coupons reserved but never confirmed by the store whose send is over (a crash between the
/// reservation and the request; the send then went without a coupon): the store is asked for
/// the code, and it is deleted if it exists. So are codes the store refused with anything but a
/// missing permission: the error may have come after the store made the code (a refused answer
/// to a create that worked), and a refused row is never asked about again otherwise.
pub fn unconfirmed(conn: &Connection, now: &str, limit: u32) -> rusqlite::Result<Vec<CouponRow>> {
    let cols = COLUMNS.split(", ").map(|c| format!("k.{c}")).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols} FROM coupons k JOIN sends s ON s.id = k.send_id
         WHERE k.platform_id IS NULL AND k.deleted_at IS NULL
           AND (k.refused_at IS NULL OR k.refused_why NOT LIKE 'missing_permission%')
           AND (s.state IN ('sent','failed','skipped','cancelled','unknown') OR k.expires_at <= ?1)
         ORDER BY k.id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now, limit], from_row)?;
    rows.collect()
}

pub fn record_deleted(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE coupons SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL")?
        .execute(params![id, now])?;
    Ok(())
}

/// A purchase used the code: when, and the discount it got (a decimal in the coupon's currency).
pub fn record_redeemed(conn: &Connection, id: i64, discount: &str, at: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE coupons SET redeemed_at = ?2, discount = ?3 WHERE id = ?1 AND redeemed_at IS NULL",
    )?
    .execute(params![id, at, discount])?;
    Ok(())
}

/// Every coupon, oldest first (the Results' discount lines and the demo's report).
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<CouponRow>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM coupons ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

/// The cart's total as stored (a decimal in its currency).
pub fn cart_total(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT total FROM carts WHERE id = ?1")?
        .query_row([cart_id], |r| r.get(0))
        .optional()
}
