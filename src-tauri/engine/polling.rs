//! The store poller as the engine drives it: one page for one store, a store until it is caught
//! up, every due store in its own task, waiting carts promoted, and the per-cart "did the
//! customer buy?" question to the store.

use std::sync::Arc;
use std::time::Duration;

use super::{Engine, EngineError, EngineResult};
use crate::scheduler::planner::PlanRules;
use crate::scheduler::poller::{self, PollOutcome, PollSettings};
use crate::storage::{carts, shops};
use crate::stores::StoreConnector;

impl Engine {
    fn poll_settings(&self) -> EngineResult<PollSettings> {
        let s = self.settings()?;
        Ok(PollSettings {
            interval: Duration::from_secs(u64::from(s.poll_interval_seconds.max(5))),
            intake: carts::Intake {
                abandonment_delay: chrono::Duration::minutes(i64::from(s.abandonment_delay_minutes)),
                max_age: chrono::Duration::hours(i64::from(s.max_cart_age_hours)),
            },
            plan: PlanRules::from_settings(&s),
            attribution: chrono::Duration::days(i64::from(s.attribution_days)),
        })
    }

    /// One poll step for one store (one page). `force` ignores the schedule and the backoff.
    pub async fn poll_store(&self, store_id: i64, force: bool) -> EngineResult<PollOutcome> {
        let settings = self.poll_settings()?;
        let connector = match self.connector(store_id) {
            Ok(c) => c,
            Err(EngineError::Store(error)) => {
                // Missing credentials or a bad address: shown on the store like any failure.
                let previous = shops::poll_state(&self.db.conn(), store_id)?.map_or(0, |s| s.failures);
                let outcome = poller::record_failure(
                    &self.db,
                    self.clock.as_ref(),
                    &self.events,
                    store_id,
                    previous,
                    error,
                )?;
                self.emit_status();
                return Ok(outcome);
            }
            Err(e) => return Err(e),
        };
        let outcome = poller::poll_step(
            &self.db,
            self.clock.as_ref(),
            &self.events,
            store_id,
            connector.as_ref(),
            &settings,
            force,
        )
        .await?;
        // A store in its first sync shows its progress after every page (one status per page).
        let first_sync = matches!(outcome, PollOutcome::Page { more: true, .. })
            && shops::get(&self.db.conn(), store_id)?.is_some_and(|s| s.first_sync.is_some());
        if first_sync || matches!(outcome, PollOutcome::Page { more: false, .. } | PollOutcome::Failed { .. })
        {
            self.emit_status();
        }
        Ok(outcome)
    }

    /// Polls a store until it is caught up (or fails), waiting between pages as the store asks.
    /// Returns the outcomes of every step.
    pub async fn poll_store_until_caught_up(
        &self,
        store_id: i64,
        force: bool,
    ) -> EngineResult<Vec<PollOutcome>> {
        self.poll_store_pages(store_id, force, usize::MAX).await
    }

    /// Like [`Self::poll_store_until_caught_up`], stopping after `max_pages` steps: the rest
    /// continues from the stored cursor (the store stays due).
    pub async fn poll_store_pages(
        &self,
        store_id: i64,
        force: bool,
        max_pages: usize,
    ) -> EngineResult<Vec<PollOutcome>> {
        let mut outcomes = Vec::new();
        let mut force = force;
        loop {
            let outcome = self.poll_store(store_id, force).await?;
            force = true;
            let next = match &outcome {
                PollOutcome::Page { more: true, pace, .. } => Some(*pace),
                _ => None,
            };
            outcomes.push(outcome);
            if outcomes.len() >= max_pages {
                return Ok(outcomes);
            }
            match next {
                Some(pace) if !pace.is_zero() => tokio::time::sleep(pace).await,
                Some(_) => {}
                None => return Ok(outcomes),
            }
        }
    }

    /// Did the customer buy? Asks the store about one cart (the pre-send re-check): checkout
    /// completed, an order with the same id, or an order placed since the checkout by the same
    /// customer, through a fresh checkout (same phone, or the checkout's email).
    pub async fn cart_completion(&self, cart_id: i64) -> EngineResult<crate::stores::Completion> {
        let cart = carts::identity(&self.db.conn(), cart_id)?;
        let query = crate::stores::CompletionQuery {
            external_id: crate::domain::ExternalId::parse(&cart.external_id)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("cart {cart_id}: {e}")))?,
            phone_e164: cart.phone_e164,
            since: crate::domain::time::parse_time(&cart.checkout_created_at)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("cart {cart_id}: {e}")))?,
        };
        Ok(self.connector(cart.store_id)?.completion(&query).await?)
    }

    /// Every store that is due, each in its own task so a slow or failing one never holds up
    /// the others. Returns each store's last outcome.
    pub async fn poll_due_stores(self: &Arc<Self>) -> EngineResult<Vec<(i64, Result<PollOutcome, String>)>> {
        let ids: Vec<i64> =
            self.list_stores()?.into_iter().filter(|s| s.state != "paused").map(|s| s.id).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let engine = self.clone();
            tasks.spawn(async move {
                let result = engine.poll_store_pages(id, false, poller::MAX_PAGES_PER_ROUND).await;
                (
                    id,
                    result
                        .map(|mut o| o.pop().unwrap_or(PollOutcome::NotDue { at: engine.clock.now() }))
                        .map_err(|e| e.to_string()),
                )
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(pair) => out.push(pair),
                Err(e) => tracing::error!(error = %e, "a store poll task panicked"),
            }
        }
        out.sort_by_key(|(id, _)| *id);
        self.promote_waiting()?;
        Ok(out)
    }

    /// Carts whose abandonment delay ran out since the last poll are detected and planned.
    pub fn promote_waiting(&self) -> EngineResult<usize> {
        let plan = PlanRules::from_settings(&self.settings()?);
        Ok(poller::promote_waiting(&self.db, self.clock.as_ref(), &self.events, &plan)?)
    }
}
