//! Discount codes through the store's own API (setting `coupon_percent`): one unique,
//! single-use, expiring percentage code per cart, created, looked up by its code, and deleted.
//!
//! - Tiendanube / Nuvemshop: `POST /coupons` (`code`, `type: percentage`, `value` as a string,
//!   `max_uses: 1`, `max_uses_per_client: 1`, `start_date`/`end_date` as days, `min_price`),
//!   `GET /coupons?q=CODE`, `DELETE /coupons/{id}`; the app needs `write_coupons` (else 401/403).
//!   A coupon reports its uses as `used`.
//! - Shopify: `discountCodeBasicCreate` (`usageLimit: 1`, `appliesOncePerCustomer`, `endsAt`,
//!   `customerGets.value.percentage` as a fraction, `minimumRequirement.subtotal`),
//!   `codeDiscountNodeByCode`, `discountCodeDelete`; the app needs `write_discounts` (else the
//!   top-level error `ACCESS_DENIED`). A code reports its uses as `asyncUsageCount`.
//! - WooCommerce: `POST /wp-json/wc/v3/coupons` (`discount_type: percent`, `amount` as a string,
//!   `usage_limit: 1`, `usage_limit_per_user: 1`, `date_expires_gmt`, `minimum_amount`),
//!   `GET /coupons?code=CODE`, `DELETE /coupons/{id}?force=true`; keys without write access get
//!   401 (`woocommerce_rest_cannot_create`). A coupon reports its uses as `usage_count`.
//!
//! A duplicate code is refused by every platform (Tiendanube and WooCommerce 422/400, Shopify a
//! `userErrors` entry `TAKEN`): the caller looks the code up first, so a retry finds the coupon
//! an earlier attempt created.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::StoreError;

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponSpec {
    pub code: String,
    /// Whole percent, 1–100.
    pub percent: u32,
    /// The least the order's subtotal must reach, in the store's currency.
    pub min_total: Option<Decimal>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A coupon as the store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCoupon {
    /// The store's id (Tiendanube's and WooCommerce's number, Shopify's discount gid).
    pub id: String,
    pub code: String,
    /// How many orders used it.
    pub uses: u32,
}

/// A coupon request's answer, boxed so the trait stays object-safe.
pub type CouponFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The coupon requests of the shop's saved stores, by store id (the engine's connectors).
pub trait CouponStore: Send + Sync {
    /// The coupon by its code, else created now (see `AnyConnector::ensure_coupon`).
    fn ensure_coupon<'a>(&'a self, store_id: i64, spec: &'a CouponSpec) -> CouponFuture<'a, StoreCoupon>;
    fn find_coupon<'a>(&'a self, store_id: i64, code: &'a str) -> CouponFuture<'a, Option<StoreCoupon>>;
    fn delete_coupon<'a>(&'a self, store_id: i64, id: &'a str) -> CouponFuture<'a, ()>;
}

/// A store that refused the request for want of permission (a missing scope): the message goes
/// without a coupon and the owner is told.
pub fn is_missing_permission(e: &StoreError) -> bool {
    matches!(e, StoreError::Auth { .. })
}

/// A fresh code: `RC` and 8 characters from an alphabet without look-alikes (0/O, 1/I/L), from
/// the OS's random source; 10 characters, inside WhatsApp's copy-code limit of 15.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (never seen): fastrand still gives a unique-enough code.
        bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    }
    let mut code = String::from("RC");
    code.extend(bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char));
    code
}

/// Whether `text` looks like a discount code: 5–20 characters of capitals and digits (at least
/// one of each), optionally with `-`/`_`. Used by the assistant's guard.
pub fn looks_like_code(text: &str) -> bool {
    let t = text.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let len = t.chars().count();
    (5..=20).contains(&len)
        && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().any(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_unambiguous_and_different() {
        let a = new_code();
        let b = new_code();
        assert_ne!(a, b);
        assert_eq!(a.len(), 10);
        assert!(a.starts_with("RC") && a.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert!(!a[2..].contains(['0', 'O', '1', 'I', 'L']), "{a}");
    }

    #[test]
    fn code_like_words_are_told_apart_from_ordinary_ones() {
        for yes in ["RCAB12CD34", "DESCUENTO10", "SAVE-20", "(RC7HK2M9QX)."] {
            assert!(looks_like_code(yes), "{yes}");
        }
        for no in ["Hola", "ENVIO", "10%", "12345", "https://x.example", "AB1"] {
            assert!(!looks_like_code(no), "{no}");
        }
    }
}
