//! Coupons as the engine drives them: the stores' coupon requests through each store's
//! connector (the outbox's `CouponStore`), and the housekeeping round that ends coupons that are
//! over (`scheduler::outbox::coupon::housekeeping`), run with the purchase sweep.

use super::{Engine, EngineError, EngineResult};
use crate::metrics::coupons::CouponFigures;
use crate::scheduler::outbox::coupon::{self, CouponRound};
use crate::stores::coupons::{CouponFuture, CouponSpec, CouponStore, StoreCoupon};
use crate::stores::StoreError;

fn store_error(e: EngineError) -> StoreError {
    match e {
        EngineError::Store(e) => e,
        other => StoreError::Invalid(other.to_string()),
    }
}

impl CouponStore for Engine {
    fn ensure_coupon<'a>(&'a self, store_id: i64, spec: &'a CouponSpec) -> CouponFuture<'a, StoreCoupon> {
        Box::pin(async move { self.connector(store_id).map_err(store_error)?.ensure_coupon(spec).await })
    }

    fn find_coupon<'a>(&'a self, store_id: i64, code: &'a str) -> CouponFuture<'a, Option<StoreCoupon>> {
        Box::pin(async move { self.connector(store_id).map_err(store_error)?.find_coupon(code).await })
    }

    fn delete_coupon<'a>(&'a self, store_id: i64, id: &'a str) -> CouponFuture<'a, ()> {
        Box::pin(async move { self.connector(store_id).map_err(store_error)?.delete_coupon(id).await })
    }
}

impl Engine {
    /// One housekeeping round: coupons of recovered carts or past their end are looked up in
    /// their store, and counted as redeemed (used) or deleted (unused).
    pub async fn coupon_housekeeping(&self) -> EngineResult<CouponRound> {
        Ok(coupon::housekeeping(&self.db, self, self.clock.now()).await?)
    }

    /// Every coupon so far: created, redeemed, refused, and the discount per currency.
    pub fn coupon_results(&self) -> EngineResult<CouponFigures> {
        Ok(crate::metrics::coupons::totals(&self.db.conn())?)
    }
}
