//! The owner's hand on one cart, from the Carts screen: **send now**, **stop** and **retry**.
//! None of them sends anything itself, and none gets around a rule that protects the customer:
//!
//! - *Send now* only moves a planned first message's due time to now, while the shop is open;
//!   the dispatcher then sends it after every pre-send check (purchase, opt-out, takeover,
//!   consent, cap, holdout…). A holdout cart is refused: messaging it would spoil the measurement.
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

use super::{Engine, EngineError, EngineResult};
use crate::config::Settings;
use crate::domain::send_plan::{first_send, Timing};
use crate::scheduler::planner::{self, PlanRules};
use crate::storage::{carts, events, sends, ts};
use crate::stores::fields::parse_time;

/// The skip reason of everything a stop skipped.
pub const STOPPED_BY_OWNER: &str = "stopped_by_owner";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CartAction {
    SendNow,
    Stop,
    Retry,
}

/// What an action did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
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

/// Whether messages can leave at all (the pause switch, a connected WhatsApp account).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sending {
    pub paused: bool,
    pub connected: bool,
}

/// A refusal: its reason code, its words, and the instant they mention.
struct Refusal {
    code: &'static str,
    message: String,
    at: Option<DateTime<Utc>>,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into(), at: None }
}

impl Refusal {
    fn answer(self, action: CartAction) -> CartActionResult {
        CartActionResult {
            action,
            done: false,
            code: self.code.into(),
            at: self.at.map(ts),
            stopped: 0,
            in_flight: self.code == "in_flight",
            message: self.message,
        }
    }
}

fn time(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How a shop-local instant reads in the English answers.
fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%a %d %b %H:%M").to_string()
}

/// Everything the checks need about one cart, read in the action's transaction.
struct CartState {
    cart: carts::CartRow,
    ctx: sends::SendContext,
    sends: Vec<sends::SendRow>,
    /// Steps whose request may be on its way to WhatsApp.
    in_flight: Vec<i64>,
}

impl CartState {
    fn load(conn: &Connection, cart_id: i64) -> EngineResult<CartState> {
        let missing = || EngineError::Invalid(format!("there is no cart {cart_id}"));
        Ok(CartState {
            cart: carts::get(conn, cart_id)?.ok_or_else(missing)?,
            ctx: sends::context_for_cart(conn, cart_id)?.ok_or_else(missing)?,
            sends: sends::for_cart(conn, cart_id)?,
            in_flight: sends::in_flight_steps(conn, cart_id)?,
        })
    }

    fn step(&self, step: i64) -> Option<&sends::SendRow> {
        self.sends.iter().find(|s| s.step == step)
    }
}

/// Why automation must leave this customer alone: the facts the dispatcher checks first.
fn customer_block(ctx: &sends::SendContext) -> Option<Refusal> {
    if ctx.completed_at.is_some() {
        return Some(refuse("purchased", "The customer already bought."));
    }
    if ctx.phone_e164.is_none() || ctx.contact_id.is_none() {
        return Some(refuse("no_phone", "The cart has no phone number WhatsApp can use."));
    }
    if ctx.opted_out_at.is_some() {
        return Some(refuse("opted_out", "The customer asked not to get messages."));
    }
    if ctx.takeover_at.is_some() || ctx.automation_paused {
        return Some(refuse(
            "takeover",
            "A person took over this customer's conversation: automation stays away.",
        ));
    }
    None
}

fn sending_block(sending: Sending) -> Option<Refusal> {
    if sending.paused {
        return Some(refuse("paused", "Sending is paused: resume it first."));
    }
    if !sending.connected {
        return Some(refuse("no_whatsapp", "WhatsApp is not connected yet."));
    }
    None
}

fn holdout(state: &CartState) -> Option<Refusal> {
    state.cart.holdout.then(|| {
        refuse(
            "holdout",
            "This cart is in the comparison group (holdout): it is never messaged, so the results can \
             measure what the messages add.",
        )
    })
}

/// Why a send that is not simply planned can't be sent now.
fn state_refusal(send: &sends::SendRow) -> Refusal {
    match send.state.as_str() {
        "leased" => refuse("in_flight", "The message is being sent right now."),
        "sent" => refuse("already_sent", "The message was already sent."),
        "unknown" => refuse(
            "outcome_unknown",
            "It is not known whether the message left (sending was interrupted); it is never sent \
             twice, and WhatsApp's delivery reports will settle it.",
        ),
        "failed" => refuse("not_planned", "The message failed; it can be tried again with Retry."),
        _ => refuse(
            "not_planned",
            format!(
                "The message is not waiting to go out ({}).",
                send.skip_reason.as_deref().unwrap_or(send.state.as_str())
            ),
        ),
    }
}

/// The planned first message "send now" would bring forward.
fn check_send_now(state: &CartState, sending: Sending) -> Result<&sends::SendRow, Refusal> {
    if let Some(r) = holdout(state) {
        return Err(r);
    }
    let first =
        state.step(0).ok_or_else(|| refuse("not_planned", "This cart has no message waiting to go out."))?;
    if first.state != "planned" {
        return Err(state_refusal(first));
    }
    if let Some(r) = customer_block(&state.ctx).or_else(|| sending_block(sending)) {
        return Err(r);
    }
    Ok(first)
}

/// The failed send "retry" would plan again: the cart's last one.
fn check_retry(state: &CartState, sending: Sending) -> Result<&sends::SendRow, Refusal> {
    let nothing = || refuse("nothing_to_retry", "Only a message that failed can be tried again.");
    let last = state.sends.iter().max_by_key(|s| s.step).ok_or_else(nothing)?;
    match last.state.as_str() {
        "failed" if last.wamid.is_some() || last.sent_at.is_some() => {
            return Err(refuse(
                "accepted_then_failed",
                "WhatsApp accepted the message and could not deliver it; it is not sent again.",
            ))
        }
        "failed" => {}
        "planned" => return Err(refuse("already_planned", "A message is already waiting to go out.")),
        "skipped" => return Err(nothing()),
        _ => return Err(state_refusal(last)),
    }
    if let Some(r) = holdout(state).or_else(|| customer_block(&state.ctx)) {
        return Err(r);
    }
    match last.error_code.as_deref() {
        Some("131049") => {
            return Err(refuse(
                "marketing_limit",
                "WhatsApp is limiting marketing messages to this customer for now; another try would be \
                 refused too and hurts the number's quality.",
            ))
        }
        Some("131050") => return Err(refuse("opted_out", "The customer asked not to get messages.")),
        _ => {}
    }
    if let Some(r) = sending_block(sending) {
        return Err(r);
    }
    Ok(last)
}

/// What a stop would do: the sends to skip, the steps to skip in advance, whether something is
/// in flight.
struct StopPlan {
    unsent: usize,
    ahead: Vec<i64>,
    in_flight: bool,
}

fn stop_plan(state: &CartState, followups: u32) -> Result<StopPlan, Refusal> {
    if let Some(r) = holdout(state) {
        return Err(r);
    }
    let unsent = state
        .sends
        .iter()
        .filter(|s| s.state == "planned" || (s.state == "leased" && !state.in_flight.contains(&s.step)))
        .count();
    // The follow-up a message in flight would plan once it is sent.
    let mut ahead: Vec<i64> = state
        .in_flight
        .iter()
        .map(|step| step + 1)
        .filter(|next| *next <= i64::from(followups.min(2)) && state.step(*next).is_none())
        .collect();
    // A cart not planned yet (its customer may still be at the checkout) never will be.
    if state.sends.is_empty() && matches!(state.cart.status.as_str(), "waiting" | "detected") {
        ahead.push(0);
    }
    let in_flight = !state.in_flight.is_empty();
    if unsent == 0 && ahead.is_empty() {
        return Err(if in_flight {
            refuse(
                "in_flight",
                "The message is being sent right now and can't be called back; nothing else is planned.",
            )
        } else {
            refuse("nothing_to_stop", "Nothing is waiting to be sent for this cart.")
        });
    }
    Ok(StopPlan { unsent, ahead, in_flight })
}

/// The actions that apply to a cart now (the Carts panel shows these buttons). Whether the shop
/// is open is left to the action, which then says when it opens.
pub(super) fn available(
    conn: &Connection,
    cart_id: i64,
    sending: Sending,
    followups: u32,
) -> EngineResult<Vec<CartAction>> {
    let state = CartState::load(conn, cart_id)?;
    let mut out = Vec::new();
    if check_send_now(&state, sending).is_ok() {
        out.push(CartAction::SendNow);
    }
    if stop_plan(&state, followups).is_ok() {
        out.push(CartAction::Stop);
    }
    if check_retry(&state, sending).is_ok() {
        out.push(CartAction::Retry);
    }
    Ok(out)
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
        self.cart_action(cart_id, action, |tx, state, now| {
            let first = match check_send_now(state, sending) {
                Ok(first) => first,
                Err(r) => return Ok(r.answer(action)),
            };
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
                events::append(
                    tx,
                    &at,
                    "send_replanned",
                    Some(cart_id),
                    state.ctx.contact_id,
                    &serde_json::json!({ "step": 0, "reason": "owner_send_now", "due": at, "by": "owner" }),
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
                events::append(
                    tx,
                    &at,
                    "send_skipped",
                    Some(cart_id),
                    state.ctx.contact_id,
                    &serde_json::json!({ "step": step, "reason": STOPPED_BY_OWNER, "by": "owner" }),
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
                    return Ok(refuse("too_old", "The cart is older than the maximum age: it is not messaged any more.")
                        .answer(action))
                }
                Timing::NeverOpen => {
                    return Ok(refuse("no_business_hours", "The shop has no opening hours.").answer(action))
                }
            };
            let at = ts(now);
            let old_key = sends::key_of(tx, send.id)?.unwrap_or_else(|| sends::idempotency_key(cart_id, send.step));
            let key = sends::retry_key(&old_key);
            let window_key = window.map(ts);
            if !sends::replan_failed(tx, send.id, &key, &ts(due), &ts(deadline), window_key.as_deref(), &at)? {
                return Ok(refuse("already_planned", "A message is already waiting to go out.").answer(action));
            }
            if let Some(opens) = window {
                // Joins that opening's backlog, spread like the others.
                planner::reslot(tx, opens, rules.timing.backlog_spread, &at)?;
            }
            if send.step == 0 {
                carts::set_status(tx, cart_id, "planned")?;
            }
            let due: String = tx.query_row("SELECT due_at FROM sends WHERE id = ?1", [send.id], |r| r.get(0))?;
            events::append(
                tx,
                &at,
                "send_planned",
                Some(cart_id),
                state.ctx.contact_id,
                &serde_json::json!({
                    "step": send.step, "reason": "owner_retry", "due": due, "deadline": ts(deadline), "by": "owner"
                }),
            )?;
            let (code, message) = match window {
                None => ("retry_now", "A new attempt goes out in a moment, after the usual checks.".to_string()),
                Some(_) => (
                    "retry_at_opening",
                    format!("The shop is closed now: a new attempt goes out when it opens, {}.", local(time(&due), tz)),
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
