//! The Carts screen: the list, and one cart's timeline with the why-not-sent rules (the reason
//! code the panel shows when the first message did not, or will not yet, go).

use serde::Serialize;

use super::{cart_actions, CartAction, Engine, EngineError, EngineResult};
use crate::storage::event_log::{self, Kind};
use crate::storage::{carts, sends};

/// One line of a cart's timeline ("why not sent" included).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TimelineEntry {
    pub at: String,
    pub kind: String,
    pub step: Option<i64>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CartTimeline {
    pub cart: carts::CartRow,
    pub entries: Vec<TimelineEntry>,
    pub sends: Vec<sends::SendRow>,
    /// Why the first message did not (or will not yet) go, as a reason code.
    pub why_not_sent: Option<String>,
    /// What the owner can do with the cart now (the panel's buttons).
    pub actions: Vec<CartAction>,
}

/// The Carts list's page when the caller names none.
pub const CART_PAGE: u32 = 500;
/// The most carts one page may hold (a screen that loaded more asks for them again at once).
pub const MAX_CART_PAGE: u32 = 10_000;

/// One page of the Carts list and how many carts its filter matches in all, read under one
/// lock so the two agree (the screen's "N of TOTAL" and its "load more").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CartPage {
    pub rows: Vec<carts::CartRow>,
    pub total: i64,
}

impl Engine {
    /// The Carts list. Days in the filter are shop days, read in the shop's time zone unless
    /// the filter names one.
    pub fn list_carts(&self, filter: &carts::CartFilter) -> EngineResult<Vec<carts::CartRow>> {
        let mut filter = filter.clone();
        if filter.timezone.is_none() && (filter.from.is_some() || filter.to.is_some()) {
            filter.timezone = Some(self.settings()?.timezone);
        }
        Ok(carts::list(&self.db.conn(), &filter)?)
    }

    /// How many carts the Carts list's filter matches in all (its "N of TOTAL"), read with the
    /// same shop days as `list_carts`; page size and offset are ignored.
    pub fn count_carts(&self, filter: &carts::CartFilter) -> EngineResult<i64> {
        let mut filter = filter.clone();
        if filter.timezone.is_none() && (filter.from.is_some() || filter.to.is_some()) {
            filter.timezone = Some(self.settings()?.timezone);
        }
        Ok(carts::count_matching(&self.db.conn(), &filter)?)
    }

    /// One page of the Carts list (the filter's `offset` and `limit`) with the filter's total.
    /// Without a limit a page holds [`CART_PAGE`] carts, and never more than [`MAX_CART_PAGE`].
    pub fn cart_page(&self, filter: &carts::CartFilter) -> EngineResult<CartPage> {
        let mut filter = filter.clone();
        filter.limit = Some(filter.limit.unwrap_or(CART_PAGE).clamp(1, MAX_CART_PAGE));
        if filter.timezone.is_none() && (filter.from.is_some() || filter.to.is_some()) {
            filter.timezone = Some(self.settings()?.timezone);
        }
        let conn = self.db.conn();
        let rows = carts::list(&conn, &filter)?;
        let total = carts::count_matching(&conn, &filter)?;
        Ok(CartPage { rows, total })
    }

    /// A shop day as the UI and the command line give it (`YYYY-MM-DD`); blank is no day.
    pub fn shop_date(text: Option<&str>) -> EngineResult<Option<chrono::NaiveDate>> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| EngineError::refused("not_a_date", format!("\"{text}\" is not a date (YYYY-MM-DD)")))
    }

    /// A cart with its history and, when it was not messaged, why.
    pub fn cart_timeline(&self, cart_id: i64) -> EngineResult<CartTimeline> {
        let settings = self.settings()?;
        let sending = self.sending(&settings)?;
        let idle = if sending.paused {
            Some("paused")
        } else if !sending.connected {
            Some("no_whatsapp")
        } else {
            None
        };
        let conn = self.db.conn();
        // The month's spend reached the cap: every recovery message waits, like a pause.
        let idle = match (idle, settings.monthly_spend_cap_usd) {
            (None, Some(_)) => crate::metrics::spend::cap_status(&conn, &settings, self.clock.now())?
                .reached
                .then_some("spend_cap"),
            (idle, _) => idle,
        };
        let cart = carts::get(&conn, cart_id)?
            .ok_or_else(|| EngineError::Other(anyhow::anyhow!("there is no cart {cart_id}")))?;
        let sends = sends::for_cart(&conn, cart_id)?;
        let entries = event_log::for_cart(&conn, cart_id)?.into_iter().filter_map(timeline_entry).collect();
        let why_not_sent = why_not_sent(sends.iter().find(|s| s.step == 0), idle, &cart.status);
        let actions = cart_actions::available(&conn, cart_id, sending, settings.followups)?;
        Ok(CartTimeline { cart, entries, sends, why_not_sent, actions })
    }
}

/// One event-log row as a timeline line; events the timeline does not show give `None`. The one
/// place a stored kind becomes the timeline's word. The data is read leniently (a missing key is
/// no step, reason or detail), as rows written by older versions may lack one.
fn timeline_entry(e: event_log::EventRow) -> Option<TimelineEntry> {
    let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
    let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(String::from);
    let kind = match Kind::parse(&e.kind)? {
        Kind::CartDetected => "detected",
        Kind::SendPlanned => "planned",
        Kind::SendReplanned => "replanned",
        Kind::SendHeld | Kind::SendRetry => "held",
        Kind::SendSent => "sent",
        Kind::SendSkipped => "skipped",
        Kind::SendFailed => "failed",
        Kind::SendUnknown => "unknown",
        Kind::SendReconciled => "sent",
        Kind::CartCompleted => "completed",
        Kind::CartOutcome if text("outcome").as_deref() == Some("recovered") => "recovered",
        Kind::CartOutcome => "note",
        Kind::OptedOut => "opted_out",
        Kind::MessageDelivered => "delivered",
        Kind::MessageRead => "read",
        Kind::MessageFailed => "failed",
        // Listed rather than `_`, so a new kind needs a decision here.
        Kind::CheckoutSkipped
        | Kind::OptedIn
        | Kind::CustomerReplied
        | Kind::UnsupportedMessage
        | Kind::Takeover
        | Kind::HandedBack
        | Kind::Escalated
        | Kind::DraftReady
        | Kind::DraftApproved
        | Kind::HistoryDeclined
        | Kind::HistorySynced
        | Kind::WhatsappError
        | Kind::AccountUpdate
        | Kind::NumberDisconnected
        | Kind::NumberReconnected
        | Kind::PhoneReminder
        | Kind::HistoryRequested
        | Kind::SendingPaused
        | Kind::TemplateStatus
        | Kind::TemplateCreated
        | Kind::TemplateBlocked
        | Kind::TestMessageSent
        | Kind::SecretSet
        | Kind::SettingChanged
        | Kind::StoreConnected
        | Kind::StorePollFailed
        | Kind::StoreUnreachableTold
        | Kind::WebhookQuarantined
        | Kind::WebhooksRetried
        | Kind::WebhookRegistered
        | Kind::StoreOptOut
        | Kind::StoreOptIn => return None,
    };
    Some(TimelineEntry {
        at: e.at,
        kind: kind.into(),
        step: data.get("step").and_then(serde_json::Value::as_i64),
        reason: text("reason").or_else(|| text("code")).or_else(|| text("outcome")),
        detail: text("detail").or_else(|| text("how")).or_else(|| text("due").map(|d| format!("due {d}"))),
    })
}

/// The why-not-sent rules: why the cart's first message (`first`) did not, or will not yet, go,
/// as the reason code the panel words. `idle`: what stops all sending now (`paused`,
/// `no_whatsapp`, `spend_cap`), which outranks a send's own reason while it waits.
fn why_not_sent(first: Option<&sends::SendRow>, idle: Option<&str>, cart_status: &str) -> Option<String> {
    match first {
        Some(s) if s.state == "skipped" => s.skip_reason.clone(),
        Some(s) if s.state == "failed" => Some(s.error_code.clone().unwrap_or_else(|| "send_failed".into())),
        // Waiting to try again after WhatsApp refused it: a template refusal (132xxx) in the
        // owner's words, any other refusal by its WhatsApp code.
        Some(s)
            if s.state == "planned"
                && s.held_reason.as_deref() == Some("retry")
                && s.error_code.is_some() =>
        {
            idle.map(String::from).or_else(|| {
                let code = s.error_code.clone().unwrap_or_default();
                Some(if crate::whatsapp::errors::is_template_refusal(&code) {
                    "template_blocked".into()
                } else if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
                    code // a WhatsApp code: the UI names it with its number
                } else {
                    "whatsapp_unreachable".into() // network, HTTP 5xx, throttling on our side
                })
            })
        }
        // Waiting: say why only when something other than the clock holds it.
        Some(s) if s.state == "planned" => idle.map(String::from).or_else(|| {
            s.held_reason.clone().filter(|r| {
                [
                    "template_not_approved",
                    "template_blocked",
                    "store_unreachable",
                    "whatsapp_unreachable",
                    "account",
                    "spend_cap",
                ]
                .contains(&r.as_str())
            })
        }),
        Some(_) => None,
        None => match cart_status {
            "no_phone" => Some("no_phone".into()),
            "expired" => Some("too_old".into()),
            "completed" => Some("purchased".into()),
            _ => None,
        },
    }
}
