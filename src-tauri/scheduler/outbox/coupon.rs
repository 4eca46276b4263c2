//! The coupon at the outbox (setting `coupon_percent`): the message that carries it (step
//! `coupon_step`, a cart total of at least `coupon_min_total`) gets a unique, single-use code
//! valid for `coupon_valid_hours`, created in the store through its own API.
//!
//! At most one per cart, even across crashes: the code is drawn and stored (`storage::coupons`,
//! one row per cart) before the store is asked; a retry finds the row and asks the store for the
//! code before creating it, so a crash between the store's answer and the send never makes a
//! second coupon. All of it happens after the pre-send checks (no coupon for a cart bought or
//! held out) and before the send is marked as leaving.
//!
//! A store that refuses for want of permission (Shopify's `write_discounts`, Tiendanube's
//! `write_coupons`, read-only WooCommerce keys) or refuses the coupon itself: the message goes
//! without one, the refusal is recorded, and the owner is told once per store
//! (`OwnerProblem::CouponRefused`). A store that can't be reached: the send waits a little, as
//! for the purchase check.
//!
//! [`housekeeping`] ends the coupons: one of a recovered cart or past its end is looked up in the
//! store; used — redeemed, with the discount (the percentage of the cart's total, in its
//! currency); unused — deleted. A reserved code the store never confirmed is looked up and
//! deleted if it exists, and so is one whose creation was refused for anything but a missing
//! permission (the refusal may have come after the store made it). A code that expired while its
//! send waited is left out of the message, never replaced (one coupon per cart).

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::checks::time;
use crate::config::Settings;
use crate::events::{EngineEvent, EventBus, OwnerProblem};
use crate::storage::coupons::{self as rows, CouponRow, NewCoupon};
use crate::storage::{experiments, sends, ts, Db, StorageError};
use crate::stores::coupons::{is_missing_permission, new_code, CouponSpec, CouponStore};
use crate::whatsapp::recovery::with_coupon;
use crate::whatsapp::OutgoingTemplate;

/// The coupon settings; `None` from [`CouponRules::from_settings`] when coupons are off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRules {
    pub percent: u32,
    /// Which message carries it: 0 the first, 1 the first follow-up, …
    pub step: u32,
    pub valid: Duration,
    /// The cart total it needs, in the cart's currency.
    pub min_total: Option<Decimal>,
}

impl CouponRules {
    pub fn from_settings(s: &Settings) -> Option<CouponRules> {
        (s.coupon_percent > 0).then(|| CouponRules {
            percent: s.coupon_percent,
            step: s.coupon_step,
            valid: Duration::hours(i64::from(s.coupon_valid_hours.max(1))),
            min_total: s.coupon_min_total,
        })
    }
}

/// Whether the send of step `step` for a cart of `total` carries a coupon: the one decision
/// (with `attach`, which also leaves out the carts of a `coupon:on,off` experiment's "off" arm).
pub fn applies(rules: Option<&CouponRules>, step: i64, total: &str) -> bool {
    let Some(rules) = rules else { return false };
    if step != i64::from(rules.step) {
        return false;
    }
    match rules.min_total {
        None => true,
        Some(min) => total.trim().parse::<Decimal>().is_ok_and(|t| t >= min),
    }
}

/// What the coupon step decided for one send.
pub(super) enum Attached {
    /// The message to send (with the coupon when it has one).
    Go(OutgoingTemplate),
    /// The store could not be reached: try the send again at this time.
    Wait(DateTime<Utc>),
}

/// The message with this cart's coupon when the send carries one. See the module docs.
pub(super) async fn attach(
    db: &Db,
    bus: &EventBus,
    api: Option<&dyn CouponStore>,
    ctx: &sends::SendContext,
    rules: Option<&CouponRules>,
    mut outgoing: OutgoingTemplate,
    now: DateTime<Utc>,
) -> Result<Attached, StorageError> {
    let existing = rows::by_cart(&db.conn(), ctx.cart_id)?;
    // A send retried after the settings changed keeps the coupon it already has.
    let carries = existing.as_ref().is_some_and(|c| c.send_id == ctx.id);
    let (Some(api), Some(rules)) = (api, rules) else {
        // Coupons turned off (or no store to ask): no code is created any more, but a send whose
        // code the store already holds keeps it (made for this very message; housekeeping
        // deletes it at its end if unused). A reserved code never confirmed is left out: the
        // housekeeping's `unconfirmed` round looks it up and deletes it.
        return Ok(match existing {
            Some(row)
                if carries
                    && row.platform_id.is_some()
                    && row.deleted_at.is_none()
                    && usable(&row, ctx, now) =>
            {
                with_coupon(&mut outgoing, &row.code, u32::try_from(row.percent).unwrap_or(0));
                Attached::Go(outgoing)
            }
            _ => Attached::Go(outgoing),
        });
    };
    if !carries && !applies(Some(rules), ctx.step, &ctx.total) {
        return Ok(Attached::Go(outgoing));
    }
    // A `coupon:on,off` experiment: the "off" arm's carts go without (the arm recorded when the
    // cart was planned; no experiment: the settings alone decide).
    if !carries && experiments::coupon_arm(&db.conn(), ctx.cart_id)? == Some(false) {
        return Ok(Attached::Go(outgoing));
    }
    let row = match existing {
        Some(row) => row,
        None => {
            let code = new_code();
            let min_total = rules.min_total.map(|m| m.to_string());
            let new = NewCoupon {
                cart_id: ctx.cart_id,
                send_id: ctx.id,
                store_id: ctx.store_id,
                code: &code,
                percent: i64::from(rules.percent),
                min_total: min_total.as_deref(),
                currency: &ctx.currency,
                expires_at: &ts(now + rules.valid),
            };
            rows::reserve(&db.conn(), &new, &ts(now))?
        }
    };
    // One coupon per cart: a later message of the same cart never gets a second one; nor does
    // a send whose coupon ran out while it waited (see `usable`).
    if row.send_id != ctx.id
        || row.refused_at.is_some()
        || row.deleted_at.is_some()
        || !usable(&row, ctx, now)
    {
        return Ok(Attached::Go(outgoing));
    }
    let percent = u32::try_from(row.percent).unwrap_or(0);
    if row.platform_id.is_none() {
        match api.ensure_coupon(row.store_id, &spec(&row, now)).await {
            Ok(found) => rows::record_created(&db.conn(), row.id, &found.id, &ts(now))?,
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, send = ctx.id, "could not create the coupon now; the send waits");
                return Ok(Attached::Wait(now + Duration::minutes(5)));
            }
            Err(e) => {
                tracing::warn!(error = %e, store = row.store_id, "the store refused the coupon; the message goes without it");
                let why = if is_missing_permission(&e) { "missing_permission" } else { "refused" };
                let conn = db.conn();
                rows::record_refused(&conn, row.id, &format!("{why}: {e}"), &ts(now))?;
                let told = rows::refused_before(&conn, row.store_id, row.id)?;
                drop(conn);
                if !told {
                    bus.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::CouponRefused });
                }
                return Ok(Attached::Go(outgoing));
            }
        }
    }
    with_coupon(&mut outgoing, &row.code, percent);
    Ok(Attached::Go(outgoing))
}

/// Whether the cart's coupon may still go in a message at `now`: not past its end. A send that
/// waited longer than `coupon_valid_hours` (a long hold, the nights in between) goes without it
/// rather than with a dead code; no fresh one is made, since the store may still hold the old
/// one (one coupon per cart, always), and housekeeping deletes it as expired.
fn usable(row: &CouponRow, ctx: &sends::SendContext, now: DateTime<Utc>) -> bool {
    let live = time(&row.expires_at) > now;
    if !live {
        tracing::info!(
            send = ctx.id,
            coupon = row.id,
            "the cart's coupon expired before its message could go; the message goes without it (never a second coupon per cart)"
        );
    }
    live
}

fn spec(row: &CouponRow, now: DateTime<Utc>) -> CouponSpec {
    CouponSpec {
        code: row.code.clone(),
        percent: u32::try_from(row.percent).unwrap_or(0),
        min_total: row.min_total.as_deref().and_then(|m| m.parse().ok()),
        starts_at: time(&row.reserved_at).min(now),
        ends_at: time(&row.expires_at),
    }
}

/// What one housekeeping round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponRound {
    pub deleted: usize,
    pub redeemed: usize,
    /// Store requests that failed (tried again next round).
    pub failed: usize,
}

/// Ends the coupons that are over: redeemed when the store counts a use, else deleted.
pub async fn housekeeping(
    db: &Db,
    api: &dyn CouponStore,
    now: DateTime<Utc>,
) -> Result<CouponRound, StorageError> {
    let mut round = CouponRound::default();
    let (due, unconfirmed) = {
        let conn = db.conn();
        (rows::due_for_housekeeping(&conn, &ts(now), 50)?, rows::unconfirmed(&conn, &ts(now), 50)?)
    };
    for row in due.iter().chain(unconfirmed.iter()) {
        let found = match api.find_coupon(row.store_id, &row.code).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, coupon = row.id, "could not look the coupon up");
                round.failed += 1;
                continue;
            }
        };
        match found {
            Some(c) if c.uses > 0 => {
                let discount = discount(db, row)?;
                rows::record_redeemed(&db.conn(), row.id, &discount, &ts(now))?;
                round.redeemed += 1;
            }
            Some(c) => match api.delete_coupon(row.store_id, &c.id).await {
                Ok(()) => {
                    rows::record_deleted(&db.conn(), row.id, &ts(now))?;
                    round.deleted += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, coupon = row.id, "could not delete the coupon");
                    round.failed += 1;
                }
            },
            None => {
                rows::record_deleted(&db.conn(), row.id, &ts(now))?;
                round.deleted += 1;
            }
        }
    }
    Ok(round)
}

/// The discount a redemption gave: the coupon's percentage of the cart's total, in its currency.
fn discount(db: &Db, row: &CouponRow) -> Result<String, StorageError> {
    let total = rows::cart_total(&db.conn(), row.cart_id)?.and_then(|t| t.parse::<Decimal>().ok());
    let amount = total.unwrap_or_default() * Decimal::from(row.percent) / Decimal::from(100);
    Ok(amount.round_dp(2).normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_step_and_a_big_enough_cart_carry_a_coupon() {
        let rules = CouponRules {
            percent: 10,
            step: 1,
            valid: Duration::hours(48),
            min_total: Some(Decimal::from(5000)),
        };
        assert!(applies(Some(&rules), 1, "5000"));
        assert!(applies(Some(&rules), 1, "12500.50"));
        assert!(!applies(Some(&rules), 0, "12500"), "another message");
        assert!(!applies(Some(&rules), 1, "4999.99"), "under the minimum");
        assert!(!applies(Some(&rules), 1, "garbage"));
        assert!(!applies(None, 1, "12500"), "coupons off");
        let any = CouponRules { min_total: None, step: 0, ..rules };
        assert!(applies(Some(&any), 0, "1"));
    }
}
