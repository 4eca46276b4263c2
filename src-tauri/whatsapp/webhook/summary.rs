//! What the inbox shows for a message: its text, or a short description of the types that have none.

use serde_json::Value;

use super::{Media, Message};

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
