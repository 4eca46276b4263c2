//! Our own serde types for the WhatsApp webhook payloads we act on (Meta's shapes, reference §4.4, §5.4).
//! Every field is optional or defaulted: Meta adds fields freely, and a payload we can't fully
//! read must still be stored and the rest of it processed.

use serde::Deserialize;
use serde_json::Value;

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
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactInfo {
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub profile: Option<Profile>,
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
    /// The customer's number.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub messages: Vec<Value>,
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

impl Message {
    /// What the thread shows for this message: its text, or a short description for the types
    /// that have none (the UI translates the kind).
    pub fn summary(&self) -> Option<String> {
        let media =
            |m: &Option<Media>| m.as_ref().and_then(|m| m.caption.clone().or_else(|| m.filename.clone()));
        match self.kind.as_deref().unwrap_or("unknown") {
            "text" => self.text.as_ref().and_then(|t| t.body.clone()),
            "button" => self.button.as_ref().and_then(|b| b.text.clone().or_else(|| b.payload.clone())),
            "interactive" => self.interactive.as_ref().and_then(|i| {
                ["button_reply", "list_reply", "nfm_reply"]
                    .iter()
                    .find_map(|k| i.get(k))
                    .and_then(|r| r.get("title").or_else(|| r.get("body")).and_then(Value::as_str))
                    .map(String::from)
            }),
            "reaction" => self.reaction.as_ref().and_then(|r| r.emoji.clone()),
            "location" => self.location.as_ref().map(|l| {
                let place = [l.name.as_deref(), l.address.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ");
                match (l.latitude, l.longitude) {
                    (Some(lat), Some(lon)) if place.is_empty() => format!("{lat:.5}, {lon:.5}"),
                    (Some(lat), Some(lon)) => format!("{place} ({lat:.5}, {lon:.5})"),
                    _ => place,
                }
            }),
            "contacts" => self.contacts.as_ref().and_then(Value::as_array).map(|cards| {
                cards
                    .iter()
                    .filter_map(|c| c.pointer("/name/formatted_name").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            "image" => media(&self.image),
            "video" => media(&self.video),
            "audio" => media(&self.audio),
            "document" => media(&self.document),
            "sticker" => media(&self.sticker),
            _ => None,
        }
        .filter(|s| !s.trim().is_empty())
    }
}
