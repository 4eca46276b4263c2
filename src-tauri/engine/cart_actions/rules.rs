//! The rules behind the owner's cart actions, read-only: what applies to a cart now and, when
//! an action can't apply, why (a reason code and its English words). The same checks decide
//! which buttons the Carts panel shows and what an action answers, so the two never disagree.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{CartAction, CartActionResult};
use crate::engine::{EngineError, EngineResult};
use crate::storage::{carts, sends, ts};
use crate::whatsapp::ErrorClass;

/// Whether messages can leave at all (the pause switch, a connected WhatsApp account).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sending {
    pub paused: bool,
    pub connected: bool,
}

/// A refusal: its reason code, its words, and the instant they mention.
pub(super) struct Refusal {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) at: Option<DateTime<Utc>>,
}

pub(super) fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into(), at: None }
}

impl Refusal {
    pub(super) fn answer(self, action: CartAction) -> CartActionResult {
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

/// Everything the checks need about one cart, read in the action's transaction.
pub(super) struct CartState {
    pub(super) cart: carts::CartRow,
    pub(super) ctx: sends::SendContext,
    pub(super) sends: Vec<sends::SendRow>,
    /// Steps whose request may be on its way to WhatsApp.
    pub(super) in_flight: Vec<i64>,
}

impl CartState {
    pub(super) fn load(conn: &Connection, cart_id: i64) -> EngineResult<CartState> {
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
pub(super) fn check_send_now(state: &CartState, sending: Sending) -> Result<&sends::SendRow, Refusal> {
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
pub(super) fn check_retry(state: &CartState, sending: Sending) -> Result<&sends::SendRow, Refusal> {
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
    match last.error_code.as_deref().and_then(ErrorClass::of_recorded) {
        Some(ErrorClass::MarketingCap) => {
            return Err(refuse(
                "marketing_cap",
                "WhatsApp is limiting marketing messages to this customer for now; another try would be \
                 refused too and hurts the number's quality.",
            ))
        }
        Some(ErrorClass::OptedOut) => {
            return Err(refuse("opted_out", "The customer asked not to get messages."))
        }
        _ => {}
    }
    if let Some(r) = sending_block(sending) {
        return Err(r);
    }
    Ok(last)
}

/// What a stop would do: the sends to skip, the steps to skip in advance, whether something is
/// in flight.
pub(super) struct StopPlan {
    pub(super) unsent: usize,
    pub(super) ahead: Vec<i64>,
    pub(super) in_flight: bool,
}

pub(super) fn stop_plan(state: &CartState, followups: u32) -> Result<StopPlan, Refusal> {
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
pub(crate) fn available(
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
