//! The owner's hand on one cart, from the Carts screen: **send now**, **stop** and **retry**.
//! None of them sends anything itself, and none gets around a rule that protects the customer:
//!
//! - *Send now* only moves a planned first message's due time to now, while the shop is open;
//!   the dispatcher then sends it after every pre-send check (purchase, opt-out, takeover,
//!   consent, cap, holdout…). A holdout cart is refused: messaging it would spoil the measurement;
//!   so is any cart while the month's spend is at the owner's cap (`spend_cap`).
//! - *Stop* skips every send of the cart not yet handed to WhatsApp with the reason
//!   `stopped_by_owner`. A message already on its way is left alone (and the answer says so); the
//!   follow-up it would plan once sent is skipped in advance, so nothing goes out later.
//! - *Retry* plans a new attempt of a send that failed before WhatsApp accepted it, under a fresh
//!   idempotency key, through the planner's timing: now while open, else at the next opening (in
//!   that opening's spread backlog), never past the maximum age. Never after `sent` or `unknown`,
//!   a purchase, an opt-out or a takeover.
//!
//! Each action is one `BEGIN IMMEDIATE` transaction with its event in the log, and changes a row
//! only in the state it checked (`WHERE state = …`): a double click, or a dispatcher claiming the
//! row meanwhile, can never make a second message. A refusal is an answer, not a failure: it
//! comes back with its reason code (the UI's words) and, for a closed shop, when it opens.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;

use super::{Engine, EngineResult};
use crate::config::Settings;
use crate::domain::send_plan::{first_send, Timing};
use crate::domain::time::parse_time;
use crate::scheduler::planner::{self, PlanRules};
use crate::storage::event_log::{self, By, LogEvent};
use crate::storage::{carts, sends, ts};

mod rules;

pub(super) use rules::available;
use rules::{check_retry, check_send_now, refuse, stop_plan, CartState, Refusal, Sending};

/// The skip reason of everything a stop skipped.
pub const STOPPED_BY_OWNER: &str = "stopped_by_owner";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum CartAction {
    SendNow,
    Stop,
    Retry,
}

/// What an action did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CartActionResult {
    pub action: CartAction,
    pub done: bool,
    /// Done: what happened (`due_now`, `stopped`, `retry_now`, `retry_at_opening`). Refused: the
    /// reason (`shop_closed`, `holdout`, `in_flight`, `already_sent`, `opted_out`…).
    pub code: String,
    /// The instant the words need (RFC 3339, UTC): when the message is due, or when the shop
    /// opens next (`shop_closed`).
    pub at: Option<String>,
    /// How many sends a stop skipped.
    pub stopped: usize,
    /// A message of this cart is on its way to WhatsApp and can't be called back.
    pub in_flight: bool,
    /// The same in plain English (the command line, the logs).
    pub message: String,
}

fn time(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How a shop-local instant reads in the English answers.
fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%a %d %b %H:%M").to_string()
}

impl Engine {
    pub(super) fn sending(&self, settings: &Settings) -> EngineResult<Sending> {
        Ok(Sending { paused: settings.sending_paused, connected: self.sender(settings)?.is_some() })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction (committed whatever it answers), then tells
    /// the app when something changed.
    fn cart_action(
        &self,
        cart_id: i64,
        action: CartAction,
        f: impl FnOnce(&Connection, &CartState, DateTime<Utc>) -> EngineResult<CartActionResult>,
    ) -> EngineResult<CartActionResult> {
        let now = self.clock.now();
        let result = {
            let mut conn = self.db.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let state = CartState::load(&tx, cart_id)?;
            let result = f(&tx, &state, now)?;
            tx.commit()?;
            result
        };
        tracing::info!(cart = cart_id, ?action, done = result.done, code = %result.code, "owner's cart action");
        if result.done {
            self.emit_status();
        }
        Ok(result)
    }

    /// "Send now": the cart's planned first message becomes due now, while the shop is open. The
    /// dispatcher sends it on its next step, after all its checks.
    pub fn cart_send_now(&self, cart_id: i64) -> EngineResult<CartActionResult> {
        let settings = self.settings()?;
        let sending = self.sending(&settings)?;
        let rules = PlanRules::from_settings(&settings);
        let tz = settings.timezone;
        let action = CartAction::SendNow;
        let capped = match settings.monthly_spend_cap_usd {
            Some(_) => Some(crate::metrics::spend::cap_status(&self.db.conn(), &settings, self.clock.now())?)
                .filter(|c| c.reached),
            None => None,
        };
        self.cart_action(cart_id, action, |tx, state, now| {
            let first = match check_send_now(state, sending) {
                Ok(first) => first,
                Err(r) => return Ok(r.answer(action)),
            };
            if let Some(cap) = &capped {
                // The dispatcher would only hold it again: say why instead of pretending.
                let resumes = time(&cap.resumes_at);
                return Ok(Refusal {
                    code: "spend_cap",
                    message: format!(
                        "This month's WhatsApp spend (about USD {}) reached your cap of USD {}: recovery \
                         messages wait until {} or until you raise the cap.",
                        cap.spent_usd,
                        cap.cap_usd.as_deref().unwrap_or("0"),
                        local(resumes, tz)
                    ),
                    at: Some(resumes),
                }
                .answer(action));
            }
            if !rules.hours.is_open(now) {
                let refusal = match rules.hours.next_open_instant(now) {
                    Some(opens) => Refusal {
                        code: "shop_closed",
                        message: format!("The shop is closed now; it opens {}.", local(opens, tz)),
                        at: Some(opens),
                    },
                    None => refuse("no_business_hours", "The shop has no opening hours."),
                };
                return Ok(refusal.answer(action));
            }
            let deadline =
                match first_send(&rules.hours, now, time(&state.ctx.checkout_updated_at), &rules.timing) {
                    Timing::Now { deadline } => deadline,
                    Timing::TooOld { .. } => {
                        return Ok(refuse(
                            "too_old",
                            "The cart is older than the maximum age: it is not messaged any more.",
                        )
                        .answer(action))
                    }
                    Timing::AtOpening { .. } | Timing::NeverOpen => {
                        return Ok(
                            refuse("no_business_hours", "The shop has no opening hours.").answer(action)
                        )
                    }
                };
            let at = ts(now);
            let due = if time(&first.due_at) <= now {
                // Already due (a second click): the dispatcher takes it on its next step.
                first.due_at.clone()
            } else {
                if !sends::bring_forward(tx, first.id, &at, &ts(deadline), &at)? {
                    return Ok(refuse("in_flight", "The message is being sent right now.").answer(action));
                }
                event_log::append(
                    tx,
                    &at,
                    Some(cart_id),
                    state.ctx.contact_id,
                    &LogEvent::SendReplanned {
                        step: 0,
                        reason: "owner_send_now",
                        due: Some(&at),
                        by: Some(By::Owner),
                    },
                )?;
                at
            };
            Ok(CartActionResult {
                action,
                done: true,
                code: "due_now".into(),
                at: Some(due),
                stopped: 0,
                in_flight: false,
                message: "The message goes out in a moment, after the usual checks.".into(),
            })
        })
    }

    /// "Stop": every send of the cart not yet handed to WhatsApp is skipped as stopped by the
    /// owner; a message already on its way is left alone, and the answer says so.
    pub fn cart_stop(&self, cart_id: i64) -> EngineResult<CartActionResult> {
        let followups = self.settings()?.followups;
        let action = CartAction::Stop;
        self.cart_action(cart_id, action, |tx, state, now| {
            let plan = match stop_plan(state, followups) {
                Ok(plan) => plan,
                Err(r) => return Ok(r.answer(action)),
            };
            let at = ts(now);
            let detail = "stopped by the owner";
            let mut stopped: Vec<i64> =
                sends::skip_unsent_for_cart(tx, cart_id, STOPPED_BY_OWNER, detail, &at)?
                    .into_iter()
                    .map(|(_, step)| step)
                    .collect();
            debug_assert!(stopped.len() >= plan.unsent, "nothing unsent escapes a stop");
            for step in &plan.ahead {
                // Recorded as skipped before it exists: the planner's insert for that step then
                // finds it taken (one row per cart and step) and plans nothing.
                let new = sends::NewSend {
                    cart_id,
                    step: *step,
                    due_at: &at,
                    deadline_at: &at,
                    window_opens_at: None,
                    skip_reason: Some(STOPPED_BY_OWNER),
                };
                if sends::insert(tx, &new, &at)?.is_some() {
                    stopped.push(*step);
                }
            }
            if stopped.contains(&0) {
                carts::set_status(tx, cart_id, "not_sent")?;
            }
            for step in &stopped {
                event_log::append(
                    tx,
                    &at,
                    Some(cart_id),
                    state.ctx.contact_id,
                    &LogEvent::SendSkipped {
                        step: Some(*step),
                        reason: STOPPED_BY_OWNER,
                        detail: None,
                        by: Some(By::Owner),
                    },
                )?;
            }
            let message = if plan.in_flight {
                "Stopped. One message was already on its way to WhatsApp and can't be called back; nothing \
                 else will be sent."
            } else {
                "Stopped: nothing more will be sent for this cart."
            };
            Ok(CartActionResult {
                action,
                done: true,
                code: "stopped".into(),
                at: None,
                stopped: stopped.len(),
                in_flight: plan.in_flight,
                message: message.into(),
            })
        })
    }

    /// "Retry": the cart's last send, failed before WhatsApp accepted it, is planned again with a
    /// fresh idempotency key: now while the shop is open, else at the next opening.
    pub fn cart_retry(&self, cart_id: i64) -> EngineResult<CartActionResult> {
        let settings = self.settings()?;
        let sending = self.sending(&settings)?;
        let rules = PlanRules::from_settings(&settings);
        let tz = settings.timezone;
        let action = CartAction::Retry;
        self.cart_action(cart_id, action, |tx, state, now| {
            let send = match check_retry(state, sending) {
                Ok(send) => send,
                Err(r) => return Ok(r.answer(action)),
            };
            // A first message ages from the checkout's last update, a follow-up from its own time.
            let reference =
                if send.step == 0 { time(&state.ctx.checkout_updated_at) } else { time(&send.due_at) };
            let (due, deadline, window) = match first_send(&rules.hours, now, reference, &rules.timing) {
                Timing::Now { deadline } => (now, deadline, None),
                Timing::AtOpening { opens_at, deadline } => (opens_at, deadline, Some(opens_at)),
                Timing::TooOld { .. } => {
                    return Ok(refuse(
                        "too_old",
                        "The cart is older than the maximum age: it is not messaged any more.",
                    )
                    .answer(action))
                }
                Timing::NeverOpen => {
                    return Ok(refuse("no_business_hours", "The shop has no opening hours.").answer(action))
                }
            };
            let at = ts(now);
            let old_key =
                sends::key_of(tx, send.id)?.unwrap_or_else(|| sends::idempotency_key(cart_id, send.step));
            let key = sends::retry_key(&old_key);
            let window_key = window.map(ts);
            if !sends::replan_failed(tx, send.id, &key, &ts(due), &ts(deadline), window_key.as_deref(), &at)?
            {
                return Ok(
                    refuse("already_planned", "A message is already waiting to go out.").answer(action)
                );
            }
            if let Some(opens) = window {
                // Joins that opening's backlog, spread like the others.
                planner::reslot(tx, opens, rules.timing.backlog_spread, &at)?;
            }
            if send.step == 0 {
                carts::set_status(tx, cart_id, "planned")?;
            }
            let due = sends::due_at(tx, send.id)?;
            event_log::append(
                tx,
                &at,
                Some(cart_id),
                state.ctx.contact_id,
                &LogEvent::SendPlanned {
                    step: send.step,
                    reason: Some("owner_retry"),
                    due: Some(&due),
                    deadline: Some(&ts(deadline)),
                    holdout: None,
                    after: None,
                    by: Some(By::Owner),
                },
            )?;
            let (code, message) = match window {
                None => {
                    ("retry_now", "A new attempt goes out in a moment, after the usual checks.".to_string())
                }
                Some(_) => (
                    "retry_at_opening",
                    format!(
                        "The shop is closed now: a new attempt goes out when it opens, {}.",
                        local(time(&due), tz)
                    ),
                ),
            };
            Ok(CartActionResult {
                action,
                done: true,
                code: code.into(),
                at: Some(due),
                stopped: 0,
                in_flight: false,
                message,
            })
        })
    }
}
