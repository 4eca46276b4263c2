//! Our own serde types for the WhatsApp webhook payloads we act on (Meta's shapes, reference §4.4, §5.4).
//! Every field is optional or defaulted: Meta adds fields freely, and a payload we can't fully
//! read must still be stored and the rest of it processed.
//!
//! Business-scoped user ids (reference §1.6, §10; Meta, *Business-scoped user IDs*,
//! <https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids>,
//! updated May 2026): since April 2026 every customer in a webhook also carries their BSUID —
//! `contacts[].user_id` (and `parent_user_id`, `profile.username`), `messages[].from_user_id`,
//! `message_echoes[].to_user_id`, `statuses[].recipient_user_id`, `user_preferences[].user_id`,
//! a history thread's `context.user_id`, a synced contact's `user_id`. A customer with a
//! username and no recent exchange has no number at all: `wa_id`, `from`, `to`,
//! `recipient_id` and a history thread's `id` are then absent.
use serde::Deserialize;
use serde_json::Value;

mod summary;
#[cfg(test)]
mod tests;
mod user_id_update;

pub use user_id_update::{IdChange, UserIdUpdate};

#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    /// The WhatsApp Business Account id.
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    /// The customer's WhatsApp username, when they adopted one.
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactInfo {
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The customer's BSUID.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
}

impl ContactInfo {
    pub fn name(&self) -> Option<&str> {
        self.profile.as_ref()?.name.as_deref()
    }

    pub fn username(&self) -> Option<&str> {
        self.profile.as_ref()?.username.as_deref()
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ErrorObject {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

impl ErrorObject {
    /// For people: Meta says to show `error_data.details`, falling back to the message or title.
    pub fn detail(&self) -> String {
        self.error_data
            .as_ref()
            .and_then(|d| d.details.clone())
            .or_else(|| self.message.clone())
            .or_else(|| self.title.clone())
            .unwrap_or_default()
    }
}

/// `field: messages` (and the same shape for echoes and history threads).
#[derive(Debug, Default, Deserialize)]
pub struct MessagesValue {
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub contacts: Vec<ContactInfo>,
    /// Kept raw: each message is read on its own so one odd message can't hide the others.
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub statuses: Vec<Value>,
    #[serde(default)]
    pub errors: Vec<ErrorObject>,
    #[serde(default)]
    pub message_echoes: Vec<Value>,
    #[serde(default)]
    pub history: Vec<HistoryChunk>,
    #[serde(default)]
    pub state_sync: Vec<StateSync>,
    #[serde(default)]
    pub user_preferences: Vec<UserPreference>,
    /// `field: user_id_update`: a customer's new BSUID.
    #[serde(default)]
    pub user_id_update: Vec<UserIdUpdate>,
}

impl MessagesValue {
    /// The `contacts[]` entry of the customer with this number or this BSUID (a non-empty id
    /// must match; Meta sends one entry per customer the change is about).
    pub fn contact_for(&self, phone: Option<&str>, user_id: Option<&str>) -> Option<&ContactInfo> {
        let same = |a: Option<&str>, b: Option<&str>| a.is_some_and(|a| !a.is_empty() && Some(a) == b);
        self.contacts.iter().find(|c| same(c.user_id.as_deref(), user_id) || same(c.wa_id.as_deref(), phone))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Pricing {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// The customer's BSUID (always, except on `failed` for a send to a number).
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub pricing: Option<Pricing>,
    #[serde(default)]
    pub errors: Vec<ErrorObject>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Text {
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Button {
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub emoji: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Location {
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Media {
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryContext {
    #[serde(default)]
    pub status: Option<String>,
}

/// One message: inbound, an echo from the phone, or a history entry.
#[derive(Debug, Default, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The sender's BSUID (a customer's message, a history entry).
    #[serde(default)]
    pub from_user_id: Option<String>,
    #[serde(default)]
    pub from_parent_user_id: Option<String>,
    /// The recipient's BSUID (an echo of the owner's phone).
    #[serde(default)]
    pub to_user_id: Option<String>,
    #[serde(default)]
    pub to_parent_user_id: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub text: Option<Text>,
    #[serde(default)]
    pub button: Option<Button>,
    #[serde(default)]
    pub interactive: Option<Value>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub contacts: Option<Value>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub audio: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
    #[serde(default)]
    pub sticker: Option<Media>,
    #[serde(default)]
    pub errors: Vec<ErrorObject>,
    #[serde(default)]
    pub history_context: Option<HistoryContext>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryMeta {
    #[serde(default)]
    pub phase: Option<i64>,
    #[serde(default)]
    pub chunk_order: Option<i64>,
    #[serde(default)]
    pub progress: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryThread {
    /// The customer's number (absent for a customer known only by BSUID).
    #[serde(default)]
    pub id: Option<String>,
    /// Who the customer is: `wa_id`, `user_id`, `parent_user_id`, `username`.
    #[serde(default)]
    pub context: Option<ThreadContext>,
    #[serde(default)]
    pub messages: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ThreadContext {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryChunk {
    #[serde(default)]
    pub metadata: HistoryMeta,
    #[serde(default)]
    pub threads: Vec<HistoryThread>,
    #[serde(default)]
    pub errors: Vec<ErrorObject>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SyncedContact {
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StateSync {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub contact: Option<SyncedContact>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserPreference {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// `field: account_update`.
#[derive(Debug, Default, Deserialize)]
pub struct AccountUpdate {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub disconnection_info: Option<Value>,
}

/// `field: message_template_status_update`.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateUpdate {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub message_template_name: Option<String>,
    #[serde(default)]
    pub message_template_language: Option<String>,
    #[serde(default)]
    pub reason: Option<Value>,
}

/// Meta's timestamps are unix seconds, as a string (or a number in some payloads).
pub fn unix_seconds(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}
