//! The other side of the conversation: simulated customers writing, tapping a template's quick
//! reply or reacting (`messages` webhooks, §4.4), the owner answering from the WhatsApp Business
//! app on the phone (`smb_message_echoes`, §5.4), and a scripted customer for the demo who
//! answers a cart reminder in Spanish, Portuguese or English.
//!
//! A customer's message (text or button tap) opens their 24 h customer-service window in the
//! sandbox, so the app may then answer with free text (§2.1). Reactions and the owner's echoes
//! don't. Numbers are written as WhatsApp writes them (`wa_id`: Argentina without the mobile
//! `9`, Mexico without the `1`), whatever form the caller gives.
//!
//! A customer who adopted a WhatsApp username and had no recent exchange with the shop writes
//! with no number at all: Meta's envelope then carries only their business-scoped user id
//! (`messages[].from_user_id`, `contacts[].user_id`, `contacts[].profile.username`; no `from`,
//! no `wa_id`), and an echo of the owner's phone to them only `to_user_id` (Meta,
//! *Business-scoped user IDs*; reference §1.6, §10). [`Customer`] says which ids a message
//! carries; the sandbox keys a customer's window by number or, without one, by BSUID.

use serde_json::{json, Value};

use super::{wa_id, WhatsAppSandbox};
use crate::domain::user_id;

/// Who writes, as Meta's webhook names them: a number, a business-scoped user id (BSUID), or
/// both (since April 2026 a customer with a number carries their BSUID too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// Any form of their number; `None` for a username adopter Meta shares no number of.
    pub number: Option<String>,
    pub user_id: Option<String>,
    /// `contacts[].profile.username`.
    pub username: Option<String>,
    /// `contacts[].profile.name`.
    pub name: String,
}

impl Customer {
    /// A customer who wrote with a WhatsApp username: BSUID and username, no number.
    pub fn with_username(user_id: &str, username: &str, name: &str) -> Customer {
        Customer {
            number: None,
            user_id: Some(user_id.into()),
            username: Some(username.into()),
            name: name.into(),
        }
    }

    /// A customer with a number and, as Meta sends since April 2026, their BSUID.
    pub fn with_number(number: &str, user_id: Option<&str>, name: &str) -> Customer {
        Customer {
            number: Some(number.into()),
            user_id: user_id.map(String::from),
            username: None,
            name: name.into(),
        }
    }
}

/// The key the sandbox files a customer's window under: their `wa_id` for a number, else the
/// BSUID as written (a BSUID's digits are no number).
pub(super) fn key(id: &str) -> String {
    match user_id::bsuid(id) {
        Some(b) => b.to_string(),
        None => wa_id(id),
    }
}

/// What a simulated customer answered to a cart reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyKind {
    /// "Do you ship to …?"
    Shipping,
    /// "Can I pay in instalments?"
    Payment,
    /// "Thanks, I'll finish it now."
    Thanks,
    /// "STOP", or a tap on the template's "Stop promotions" quick reply.
    Stop,
    /// "The product arrived broken, I want to talk to someone."
    Complaint,
}

/// A simulated customer's answer, already queued as a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedReply {
    pub kind: ReplyKind,
    /// The inbound message's wamid.
    pub wamid: String,
    /// The customer's wa_id.
    pub from: String,
    /// What they wrote, or the label of the button they tapped.
    pub text: String,
    /// They tapped the quick reply rather than typing.
    pub button: bool,
}

/// The customer's words, by language (`es…`, `pt…`, anything else English).
fn words(language: &str, kind: ReplyKind) -> &'static str {
    let lang = language.get(..2).unwrap_or("es");
    match (lang, kind) {
        ("pt", ReplyKind::Shipping) => "Vocês entregam no interior?",
        ("pt", ReplyKind::Payment) => "Posso parcelar?",
        ("pt", ReplyKind::Thanks) => "Obrigado! Já finalizo",
        ("pt", ReplyKind::Complaint) => "O produto chegou quebrado, quero falar com alguém",
        ("en", ReplyKind::Shipping) => "Do you ship outside the city?",
        ("en", ReplyKind::Payment) => "Can I pay in instalments?",
        ("en", ReplyKind::Thanks) => "Thanks! I'll finish it now",
        ("en", ReplyKind::Complaint) => "The product arrived broken, I want to talk to someone",
        (_, ReplyKind::Shipping) => "¿Hacen envíos al interior?",
        (_, ReplyKind::Payment) => "¿Puedo pagar en cuotas?",
        (_, ReplyKind::Thanks) => "¡Gracias! Ahora lo termino",
        (_, ReplyKind::Complaint) => "El producto llegó roto, quiero hablar con alguien",
        (_, ReplyKind::Stop) => "STOP",
    }
}

/// A customer's name when the template didn't carry one.
fn fallback_name(language: &str) -> &'static str {
    if language.starts_with("en") {
        "Customer"
    } else {
        "Cliente"
    }
}

impl WhatsAppSandbox {
    /// Queues an inbound `messages` webhook from `from` (any form of their number) named
    /// `name`; `message` holds `type` and its object. Returns the new wamid.
    fn inbound(&self, from: &str, name: &str, message: Value, opens_window: bool) -> String {
        let who = Customer { number: Some(from.into()), name: name.into(), ..Customer::default() };
        self.inbound_from(&who, message, opens_window)
    }

    /// Queues an inbound `messages` webhook from `who`, with the ids Meta gives them: `from` and
    /// `contacts[].wa_id` for a number, `from_user_id` and `contacts[].user_id` for a BSUID,
    /// `profile.username` for a username.
    fn inbound_from(&self, who: &Customer, message: Value, opens_window: bool) -> String {
        let from = who.number.as_deref().map(wa_id);
        let now = self.shared.now();
        let mut inner = self.shared.lock();
        inner.next_inbound += 1;
        let wamid = format!("wamid.SANDBOXIN{:012}", inner.next_inbound);
        let window_key = from.clone().or_else(|| who.user_id.clone()).unwrap_or_default();
        if opens_window {
            inner.last_inbound.insert(window_key, now);
        }
        let mut m = json!({"id": wamid, "timestamp": now.timestamp().to_string()});
        let mut profile = json!({"name": who.name});
        let mut contact = json!({});
        if let Some(from) = &from {
            m["from"] = json!(from);
            contact["wa_id"] = json!(from);
        }
        if let Some(user_id) = &who.user_id {
            m["from_user_id"] = json!(user_id);
            contact["user_id"] = json!(user_id);
        }
        if let Some(username) = &who.username {
            profile["username"] = json!(username);
        }
        contact["profile"] = profile;
        if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), message) {
            m.extend(extra);
        }
        let value = json!({
            "messaging_product": "whatsapp",
            "metadata": self.shared.metadata(),
            "contacts": [contact],
            "messages": [m],
        });
        self.shared.enqueue(&mut inner, "messages", value, None);
        wamid
    }

    /// The customer writes `text`. Opens their 24 h window. Returns the message's wamid.
    pub fn customer_says(&self, from: &str, name: &str, text: &str) -> String {
        self.inbound(from, name, json!({"type": "text", "text": {"body": text}}), true)
    }

    /// `who` writes `text` — with a username and no number, a number and a BSUID, or both — in
    /// Meta's envelope for them. Opens their 24 h window. Returns the message's wamid.
    pub fn customer_writes(&self, who: &Customer, text: &str) -> String {
        self.inbound_from(who, json!({"type": "text", "text": {"body": text}}), true)
    }

    /// The customer taps a quick reply of the template `context_wamid` (type `button`, with
    /// `context{from, id}` pointing at it). Opens their 24 h window.
    pub fn customer_taps_button(
        &self,
        from: &str,
        name: &str,
        payload: &str,
        text: &str,
        context_wamid: &str,
    ) -> String {
        let context = json!({"from": self.shared.config.display_phone_number, "id": context_wamid});
        let message =
            json!({"type": "button", "button": {"payload": payload, "text": text}, "context": context});
        self.inbound(from, name, message, true)
    }

    /// The customer reacts to `to_wamid` with `emoji` (type `reaction`; no window opens).
    pub fn customer_reacts(&self, from: &str, name: &str, emoji: &str, to_wamid: &str) -> String {
        let message = json!({"type": "reaction", "reaction": {"message_id": to_wamid, "emoji": emoji}});
        self.inbound(from, name, message, false)
    }

    /// The owner writes `text` to `to` from the WhatsApp Business app on the phone: an
    /// `smb_message_echoes` webhook (coexistence). `to` is a number, or a BSUID for a customer
    /// known by username only (the echo then has `to_user_id` and no `to`). Doesn't touch the
    /// window. Returns the wamid.
    pub fn owner_writes_from_phone(&self, to: &str, text: &str) -> String {
        let now = self.shared.now();
        let mut inner = self.shared.lock();
        inner.next_inbound += 1;
        let wamid = format!("wamid.SANDBOXECHO{:012}", inner.next_inbound);
        let mut echo = json!({
            "from": self.shared.config.display_phone_number,
            "id": wamid,
            "timestamp": now.timestamp().to_string(),
            "type": "text",
            "text": {"body": text},
        });
        let mut value = json!({"messaging_product": "whatsapp", "metadata": self.shared.metadata()});
        match user_id::bsuid(to) {
            Some(bsuid) => {
                echo["to_user_id"] = json!(bsuid);
                value["contacts"] = json!([{"user_id": bsuid}]);
            }
            None => echo["to"] = json!(wa_id(to)),
        }
        value["message_echoes"] = json!([echo]);
        self.shared.enqueue(&mut inner, "smb_message_echoes", value, Some(now.timestamp()));
        wamid
    }

    /// Whether the app may write free text to `number` (or BSUID) now (they wrote within 24 h).
    pub fn window_open(&self, number: &str) -> bool {
        self.shared.window_open(number)
    }

    /// The customer who got our latest template at `to_wa_id` answers, in `language`, as the
    /// dice `roll` says (taken modulo 100): below 30 a shipping question, below 50 a payment
    /// question, below 72 thanks, below 80 "STOP", below 88 a tap on the template's "Stop
    /// promotions" quick reply (typed "STOP" when it has none), else a complaint. `None` when no
    /// template went to that number. Buying is the store sandbox's business, not this one's.
    pub fn simulate_reply(&self, to_wa_id: &str, language: &str, roll: u32) -> Option<SimulatedReply> {
        let who = wa_id(to_wa_id);
        let last = {
            let inner = self.shared.lock();
            inner.messages.iter().rev().find(|m| m.kind == "template" && wa_id(&m.to) == who).cloned()
        }?;
        let name = last
            .body
            .first()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(fallback_name(language))
            .to_string();
        let roll = roll % 100;
        let kind = match roll {
            0..30 => ReplyKind::Shipping,
            30..50 => ReplyKind::Payment,
            50..72 => ReplyKind::Thanks,
            72..88 => ReplyKind::Stop,
            _ => ReplyKind::Complaint,
        };
        let stop_label = (roll >= 80 && kind == ReplyKind::Stop)
            .then(|| self.shared.find_template(&last.template, &last.language))
            .flatten()
            .and_then(|t| t.stop_button().map(String::from));
        let (wamid, text, button) = match stop_label {
            Some(label) => (self.customer_taps_button(&who, &name, &label, &label, &last.wamid), label, true),
            None => {
                let text = words(language, kind);
                (self.customer_says(&who, &name, text), text.to_string(), false)
            }
        };
        Some(SimulatedReply { kind, wamid, from: who, text, button })
    }
}
