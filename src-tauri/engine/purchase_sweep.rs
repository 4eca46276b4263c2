//! The purchase sweep: a customer often buys some time after the message, and not always by
//! finishing the same checkout — a fresh checkout, another device. The poller only sees the
//! first (the checkout completing); the pre-send check sees the second only while a message
//! is still to go. So every so often the engine asks the store, cart by cart, whether the
//! customer bought (the connector's completion check: the checkout, or an order since it by the
//! same phone or email), for carts inside the attribution window — messaged carts and holdout
//! carts alike, so both groups are measured the same way and the lift stays honest.
//!
//! A few carts per round, least recently checked first; each cart at most every
//! [`RECHECK_AFTER`]. A store that can't be reached is left for a later round.

use chrono::Duration;
use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::events::EngineEvent;
use crate::scheduler::tracker;
use crate::storage::{self, carts};
use crate::stores::Completion;

/// How often one cart is asked about, at most.
pub const RECHECK_AFTER: Duration = Duration::hours(6);
/// Carts asked about per round (each is a store request or a few).
pub const PER_ROUND: u32 = 20;
/// A cart whose store did not answer is asked about again after this long, not at once (so a
/// failing store never crowds the others out of the rounds).
pub const RETRY_AFTER_ERROR: Duration = Duration::hours(1);

/// What one round found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub checked: usize,
    /// Carts found bought in this round, with the outcome the tracker gave each.
    pub bought: Vec<(i64, String)>,
    /// Carts whose store could not answer this round.
    pub unreachable: usize,
}

impl Engine {
    /// One round of the purchase sweep (the background loop runs it every few minutes).
    pub async fn sweep_purchases(&self) -> EngineResult<SweepReport> {
        let settings = self.settings()?;
        let attribution = Duration::days(i64::from(settings.attribution_days.max(1)));
        let now = self.clock.now();
        let candidates = carts::sweep_candidates(
            &self.db.conn(),
            &storage::ts(now - attribution),
            &storage::ts(now - RECHECK_AFTER),
            PER_ROUND,
        )?;
        let mut report = SweepReport::default();
        for cart_id in candidates {
            report.checked += 1;
            let answer = self.cart_completion(cart_id).await;
            let now = self.clock.now();
            let at = storage::ts(now);
            match answer {
                Ok(Completion::Completed { at: bought_at, how }) => {
                    let done = bought_at.unwrap_or(now);
                    let recovered = {
                        let mut conn = self.db.conn();
                        let tx = conn.transaction()?;
                        let cart = carts::identity(&tx, cart_id)?;
                        carts::set_purchase_checked(&tx, cart_id, &at)?;
                        let outcome =
                            match carts::mark_completed(&tx, cart.store_id, &cart.external_id, done)? {
                                Some(_) => {
                                    tracker::record_purchase(&tx, cart_id, &how, done, attribution, now)?
                                }
                                None => None,
                            };
                        let row = match outcome {
                            Some("recovered") => Some(crate::scheduler::poller::recovered_row(&tx, cart_id)?),
                            _ => None,
                        };
                        tx.commit()?;
                        if let Some(o) = outcome {
                            report.bought.push((cart_id, o.to_string()));
                        }
                        row
                    };
                    if let Some((cart_id, contact_name, total)) = recovered {
                        self.events.emit(EngineEvent::CartRecovered { cart_id, contact_name, total });
                    }
                }
                Ok(Completion::Open | Completion::Gone) => {
                    carts::set_purchase_checked(&self.db.conn(), cart_id, &at)?;
                }
                Err(EngineError::Store(e)) => {
                    report.unreachable += 1;
                    // Due again in RETRY_AFTER_ERROR: stamped as if checked that long before
                    // the usual wait ends.
                    let retry = storage::ts(now - RECHECK_AFTER + RETRY_AFTER_ERROR);
                    carts::set_purchase_checked(&self.db.conn(), cart_id, &retry)?;
                    tracing::info!(cart = cart_id, error = %e, "purchase sweep: the store did not answer; later");
                }
                Err(e) => {
                    // This cart can't be asked about (e.g. its store was removed): don't ask
                    // again until its turn comes round.
                    carts::set_purchase_checked(&self.db.conn(), cart_id, &at)?;
                    tracing::warn!(cart = cart_id, error = %e, "purchase sweep: could not ask about this cart");
                }
            }
        }
        if !report.bought.is_empty() {
            self.emit_status();
        }
        Ok(report)
    }
}
