//! Coupons in the demo (`coupon_percent` set): a customer who buys after a message that
//! carried the cart's code uses it at the sandbox store's checkout; the housekeeping round runs
//! every simulated hour (and once at the end), and the report counts what was created, redeemed
//! and the discount given per currency.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::Engine;
use crate::sandbox::whatsapp::ReceivedMessage;
use crate::sandbox::Sandbox;
use crate::stores::Platform;

/// The coupons the demo made: `coupons` in `recupero demo --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DemoCoupons {
    pub created: u64,
    pub redeemed: u64,
    /// Codes the store refused (the message went without one).
    pub refused: u64,
    /// The discount the redeemed codes gave, per currency (decimal strings).
    pub discount: BTreeMap<String, String>,
}

/// The purchase after `m` uses the cart's code when `m` carried it. Returns whether it did.
pub(super) fn use_coupon(engine: &Engine, store: &Sandbox, m: &ReceivedMessage) -> bool {
    let Some(cart) =
        m.callback_data.as_deref().and_then(|c| c.split(':').nth(1)).and_then(|c| c.parse().ok())
    else {
        return false;
    };
    let row = crate::storage::coupons::by_cart(&engine.db().conn(), cart).ok().flatten();
    match row {
        Some(k) if m.body.iter().any(|p| p.contains(&k.code)) => {
            store.redeem_coupon(Platform::Tiendanube, &k.code)
        }
        _ => false,
    }
}

/// The report's figures; `None` when coupons are off and none was ever made.
pub(super) fn figures(engine: &Engine, percent: u32) -> anyhow::Result<Option<DemoCoupons>> {
    let totals = engine.coupon_results()?;
    if percent == 0 && totals.created + totals.refused == 0 {
        return Ok(None);
    }
    Ok(Some(DemoCoupons {
        created: totals.created,
        redeemed: totals.redeemed,
        refused: totals.refused,
        discount: totals.discount.into_iter().map(|a| (a.currency, a.amount)).collect(),
    }))
}
