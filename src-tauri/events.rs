//! The one typed stream of what the engine tells the outside world. The desktop shell forwards
//! it to the webview (event `engine-event`), the tray and native notifications; `serve` logs it.
//! Serialized as `{ "type": "snake_case_name", ...camelCase fields }`.

use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
// The status is the big one and the most frequent: boxing it would only move the allocation.
#[allow(clippy::large_enum_variant)]
pub enum EngineEvent {
    StatusChanged {
        status: AppStatus,
    },
    PausedChanged {
        paused: bool,
    },
    SettingsChanged,
    CartDetected {
        cart_id: i64,
    },
    InboundMessage {
        conversation_id: i64,
    },
    /// A customer bought after the message (the tracker's `recovered`).
    CartRecovered {
        cart_id: i64,
        contact_name: Option<String>,
        /// The total with its currency, e.g. `45990.50 ARS`.
        total: String,
    },
    Escalation {
        conversation_id: i64,
        contact_name: Option<String>,
        reason: String,
    },
    /// The assistant (or the shop facts) prepared an answer waiting for the owner's approval.
    DraftReady {
        conversation_id: i64,
        draft_id: i64,
    },
    /// A customer opted out (keyword, button or WhatsApp's own stop).
    OptedOut {
        conversation_id: i64,
    },
    /// Something only the owner can fix (expired token, disconnected number…).
    NeedsOwner {
        problem: OwnerProblem,
    },
    /// The window should show `route` (a clicked notification); the UI takes it with
    /// `take_route`, so a window opened for it finds it too.
    Navigate {
        route: Route,
    },
}

/// A place in the app: a screen, and in it a conversation or a settings section.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Route {
    pub screen: Screen,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub conversation_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub section: Option<String>,
}

impl Route {
    pub fn conversation(id: i64) -> Route {
        Route { screen: Screen::Inbox, conversation_id: Some(id), section: None }
    }

    pub fn settings(section: &str) -> Route {
        Route { screen: Screen::Settings, conversation_id: None, section: Some(section.to_string()) }
    }

    /// `inbox:12`, `settings:whatsapp`, `carts` — how a route travels on a command line.
    pub fn to_arg(&self) -> String {
        let screen = match self.screen {
            Screen::Carts => "carts",
            Screen::Inbox => "inbox",
            Screen::Results => "results",
            Screen::Settings => "settings",
        };
        match (&self.conversation_id, &self.section) {
            (Some(id), _) => format!("{screen}:{id}"),
            (None, Some(section)) => format!("{screen}:{section}"),
            (None, None) => screen.to_string(),
        }
    }

    /// The inverse of [`Route::to_arg`]; `None` for anything else.
    pub fn from_arg(arg: &str) -> Option<Route> {
        let (screen, rest) = arg.split_once(':').map_or((arg, None), |(a, b)| (a, Some(b)));
        let screen = match screen {
            "carts" => Screen::Carts,
            "inbox" => Screen::Inbox,
            "results" => Screen::Results,
            "settings" => Screen::Settings,
            _ => return None,
        };
        let mut route = Route { screen, conversation_id: None, section: None };
        match (screen, rest) {
            (_, None) => {}
            (Screen::Inbox, Some(id)) => route.conversation_id = Some(id.parse().ok()?),
            (Screen::Settings, Some(section))
                if !section.is_empty() && section.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                route.section = Some(section.to_string())
            }
            _ => return None,
        }
        Some(route)
    }
}

/// The numbers in the status: carts, sends still to go, conversations and what needs the owner.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Counts {
    pub carts: i64,
    pub pending_sends: i64,
    pub conversations: i64,
    pub unread: i64,
    pub escalated: i64,
}

/// What the header, the tray tooltip and `recupero status` show.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppStatus {
    pub version: String,
    pub paused: bool,
    pub demo: bool,
    pub data_dir: String,
    pub database: String,
    pub secret_store: String,
    pub counts: Counts,
    pub last_poll_at: Option<String>,
    /// The local webhook address with its secret path (what the tunnel forwards to). Named
    /// `webhook_url` in JSON, as documented for `recupero status --json`.
    #[serde(rename = "webhook_url")]
    pub webhook_url: String,
    /// When the last webhook delivery arrived (onboarding's "last webhook received").
    pub last_webhook_at: Option<String>,
    /// Webhook deliveries stored but not processed yet.
    pub webhooks_pending: i64,
    /// How this process's webhook receiver treats signatures (the window warns unless
    /// `required`).
    pub webhook_signatures: WebhookSignatures,
    /// Whether the last delivery carried a valid signature (`None`: none received yet).
    pub last_webhook_signed: Option<bool>,
    /// The public address WhatsApp accepted at the last registration (`None`: not registered
    /// by Recupero).
    pub webhook_registered_url: Option<String>,
    /// Messages left in the last hours but no delivery arrived for as long: the tunnel (or the
    /// registration) is most likely down.
    pub webhook_silent: bool,
    /// The stores still in their first sync, with the checkouts read and carts with a phone so
    /// far (no total: indeterminate progress).
    pub first_syncs: Vec<crate::storage::shops::FirstSync>,
    /// The tunnel Recupero runs for the owner (off, starting, up at its address, failed with
    /// the reason, cloudflared not installed) and the registration of its address.
    pub tunnel: crate::tunnel::TunnelStatus,
    /// The number's link with the phone's WhatsApp Business app (Coexistence): connected or
    /// not and why, the phone-inactivity reminder, the history import.
    pub coexistence: crate::storage::coexistence::health::CoexistenceHealth,
}

/// How webhook signatures are checked now, for the window's standing warning.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum WebhookSignatures {
    /// An app secret is set and unsigned deliveries are not allowed: every one must be signed.
    Required,
    /// No app secret known to the receiver: every delivery is refused until one is set.
    NoSecret,
    /// WhatsApp is not set up yet (no phone number id) and no app secret either: no delivery
    /// is expected, so nothing to warn about — a fresh install opens without an alarm.
    NotSetUp,
    /// `allow_unsigned_webhooks` is on: while no app secret is set, anyone who learns the
    /// address can post (their risky effects are never applied); with one set it does nothing,
    /// but would the moment the secret is removed.
    UnsignedAllowed,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum OwnerProblem {
    TokenExpired,
    NumberDisconnected,
    TemplateRejected,
    StoreUnreachable,
    /// A webhook delivery failed to apply after every retry and was set aside.
    DeliveryQuarantined,
    /// No message from the phone's WhatsApp Business app for 12 days: open it before day 14 or
    /// Meta cuts the Coexistence link.
    PhoneInactive,
    /// The store refused to record a customer's WhatsApp opt-out (`store_write_opt_out`): the
    /// app lacks `write_customers`, the API version is older than 2026-07, or Shopify said no.
    StoreOptOutRefused,
    /// The month's estimated WhatsApp spend reached `monthly_spend_cap_usd`: recovery messages
    /// wait until the next month or a higher cap (told once a month).
    SpendCapReached,
    /// A store refused to create a coupon (`coupon_percent`): its app lacks the permission
    /// (Shopify's `write_discounts`, Tiendanube's `write_coupons`, read-only WooCommerce keys),
    /// so messages go without one (told once per store).
    CouponRefused,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum Screen {
    Carts,
    Inbox,
    Results,
    Settings,
}

/// Fan-out of engine events to any number of listeners. Slow listeners lose old events rather
/// than slowing the engine (they re-read the status on `Lagged`).
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<EngineEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { tx: broadcast::channel(256).0 }
    }
}

impl EventBus {
    pub fn emit(&self, event: EngineEvent) {
        tracing::debug!(?event, "engine event");
        // No listener is fine: the headless engine may have none.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_as_a_tagged_union_with_camel_case_fields() {
        let v = serde_json::to_value(EngineEvent::Escalation {
            conversation_id: 7,
            contact_name: Some("Joaõ 🛒".into()),
            reason: "complaint".into(),
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"escalation","conversationId":7,"contactName":"Joaõ 🛒","reason":"complaint"})
        );
        let v = serde_json::to_value(EngineEvent::Navigate { route: Route::conversation(4) }).unwrap();
        assert_eq!(v, serde_json::json!({"type":"navigate","route":{"screen":"inbox","conversationId":4}}));
    }

    #[test]
    fn routes_travel_on_a_command_line_and_nothing_else_parses() {
        for route in [
            Route::conversation(12),
            Route::settings("whatsapp"),
            Route { screen: Screen::Results, conversation_id: None, section: None },
        ] {
            assert_eq!(Route::from_arg(&route.to_arg()), Some(route.clone()), "{}", route.to_arg());
        }
        for bad in [
            "",
            "inbox:x",
            "settings:",
            "settings:a b",
            "results:3",
            "nowhere",
            "carts:1",
            "inbox:9999999999999999999999",
        ] {
            assert_eq!(Route::from_arg(bad), None, "{bad}");
        }
        let v = serde_json::to_value(EngineEvent::SettingsChanged).unwrap();
        assert_eq!(v, serde_json::json!({"type":"settings_changed"}));
    }

    #[test]
    fn every_subscriber_gets_every_event() {
        let bus = EventBus::default();
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.emit(EngineEvent::PausedChanged { paused: true });
        assert_eq!(a.try_recv().unwrap(), EngineEvent::PausedChanged { paused: true });
        assert_eq!(b.try_recv().unwrap(), EngineEvent::PausedChanged { paused: true });
    }
}
