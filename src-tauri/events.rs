//! The one typed stream of what the engine tells the outside world. The desktop shell forwards
//! it to the webview (event `engine-event`), the tray and native notifications; `serve` logs it.
//! Serialized as `{ "type": "snake_case_name", ...camelCase fields }`.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::engine::AppStatus;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
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
    Navigate {
        screen: Screen,
    },
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OwnerProblem {
    TokenExpired,
    NumberDisconnected,
    TemplateRejected,
    StoreUnreachable,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
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
        let v = serde_json::to_value(EngineEvent::Navigate { screen: Screen::Inbox }).unwrap();
        assert_eq!(v, serde_json::json!({"type":"navigate","screen":"inbox"}));
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
