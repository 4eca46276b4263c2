//! The outbox as the engine drives it: the dispatch rules from the settings, one dispatcher step
//! with the sender in use, a status webhook settling an `unknown` send, and the store's
//! pre-send "did the customer buy?" answer.

use super::{Engine, EngineError, EngineResult};
use crate::config::Settings;
use crate::scheduler::outbox::{self, DispatchReport, DispatchRules, PreSendStore};
use crate::scheduler::planner::PlanRules;
use crate::stores::StoreError;
use crate::whatsapp::BoxFuture;

impl Engine {
    fn dispatch_rules(&self, s: &Settings) -> DispatchRules {
        DispatchRules {
            plan: PlanRules::from_settings(s),
            abandonment_delay: chrono::Duration::minutes(i64::from(s.abandonment_delay_minutes)),
            consent_only: s.consent_only,
            customer_cap: chrono::Duration::days(i64::from(s.per_customer_cap_days)),
            attribution: chrono::Duration::days(i64::from(s.attribution_days)),
            paused: s.sending_paused,
            template: s.template_name.clone(),
            lease: chrono::Duration::seconds(i64::from(s.send_lease_seconds.max(2))),
            batch: 20,
            image_template: s.reminder_image.then(|| s.reminder_image_template.clone()),
            coupon: outbox::coupon::CouponRules::from_settings(s),
        }
    }

    /// One dispatcher step: reap, re-plan overdue, claim due sends, check, send, finish.
    pub async fn dispatch_due(&self) -> EngineResult<DispatchReport> {
        let settings = self.settings()?;
        let rules = self.dispatch_rules(&settings);
        let sender = self.sender(&settings)?;
        let report = outbox::dispatch_step(
            &self.db,
            self.clock.as_ref(),
            &self.events,
            sender.as_deref(),
            self,
            &rules,
            &self.lease_owner,
        )
        .await?;
        if report.sent > 0 || !report.skipped.is_empty() || report.failed > 0 || report.unknown > 0 {
            self.emit_status();
        }
        Ok(report)
    }

    /// WhatsApp's later word about a message (a status webhook): settles an `unknown` send.
    pub fn reconcile_status(
        &self,
        callback_data: Option<&str>,
        wamid: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> EngineResult<Option<i64>> {
        Ok(outbox::reconcile(&self.db, callback_data, wamid, at, self.clock.now())?)
    }
}

impl PreSendStore for Engine {
    fn completion<'a>(
        &'a self,
        cart_id: i64,
    ) -> BoxFuture<'a, Result<crate::stores::Completion, StoreError>> {
        Box::pin(async move {
            self.cart_completion(cart_id).await.map_err(|e| match e {
                EngineError::Store(e) => e,
                other => StoreError::Invalid(other.to_string()),
            })
        })
    }

    fn spend_cap_reached(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<outbox::spend_cap::CapReached>, crate::storage::StorageError> {
        self.spend_cap_reached_at(now)
    }

    fn coupons(&self) -> Option<&dyn crate::stores::coupons::CouponStore> {
        Some(self)
    }
}
