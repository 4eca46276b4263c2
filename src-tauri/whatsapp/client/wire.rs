//! Meta's JSON as the Cloud API client reads it: error bodies, send answers, template lists
//! and creation answers: our own serde types, with a default for each field Meta may leave out.
//! And how a send request names its recipient ([`addressed`]).

use serde::Deserialize;
use serde_json::Value;

use crate::domain::TemplateState;

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    pub(super) error: MetaError,
}

#[derive(Deserialize)]
pub(super) struct MetaError {
    #[serde(default)]
    pub(super) code: Option<i64>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) error_data: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct SendResponse {
    #[serde(default)]
    pub(super) contacts: Vec<ContactOut>,
    #[serde(default)]
    pub(super) messages: Vec<MessageOut>,
}

#[derive(Deserialize)]
pub(super) struct ContactOut {
    #[serde(default)]
    pub(super) wa_id: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct MessageOut {
    pub(super) id: String,
}

#[derive(Deserialize)]
pub(super) struct TemplateList {
    #[serde(default)]
    pub(super) data: Vec<TemplateItem>,
    #[serde(default)]
    pub(super) paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(super) struct Paging {
    #[serde(default)]
    pub(super) next: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TemplateItem {
    pub(super) name: String,
    #[serde(default)]
    pub(super) language: String,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) category: Option<String>,
    #[serde(default)]
    pub(super) id: Option<Value>,
    #[serde(default)]
    pub(super) components: Vec<Value>,
}

impl TemplateItem {
    pub(super) fn into_state(self) -> TemplateState {
        let mut state = TemplateState {
            id: self.id.map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())),
            category: self.category,
            ..Default::default()
        };
        for c in &self.components {
            match c.get("type").and_then(Value::as_str).map(str::to_ascii_uppercase).as_deref() {
                Some("BODY") => {
                    let text = c.get("text").and_then(Value::as_str);
                    state.body_params = Some(text.map_or(0, crate::whatsapp::template::count_placeholders));
                    state.body_text = text.map(String::from);
                }
                Some("FOOTER") => state.footer_text = c.get("text").and_then(Value::as_str).map(String::from),
                Some("HEADER") => {
                    state.header_format = c.get("format").and_then(Value::as_str).map(str::to_ascii_uppercase)
                }
                Some("BUTTONS") => {
                    let button = |kind: &str| {
                        c.get("buttons").and_then(Value::as_array).into_iter().flatten().find(|b| {
                            b.get("type")
                                .and_then(Value::as_str)
                                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
                        })
                    };
                    let (url_button, quick_reply) = (button("URL"), button("QUICK_REPLY"));
                    let field = |name: &str| url_button.and_then(|b| b.get(name)).and_then(Value::as_str);
                    state.button_url = field("url").map(String::from);
                    state.button_text = field("text").map(String::from);
                    state.quick_reply_text =
                        quick_reply.and_then(|b| b.get("text")).and_then(Value::as_str).map(String::from);
                }
                _ => {}
            }
        }
        state.name = self.name;
        state.language = self.language;
        state.status = self.status.to_ascii_uppercase();
        state
    }
}

#[derive(Deserialize)]
pub(super) struct CreateAnswer {
    #[serde(default)]
    pub(super) id: Option<Value>,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) category: Option<String>,
}

/// The send request addressed as Meta documents it: a phone number in `to`; a business-scoped
/// user id (BSUID, or a parent BSUID) in `recipient` with `to` left out — a customer who writes
/// with a WhatsApp username may have no number we know. ("You can include both `to` (phone
/// number) and `recipient` (BSUID or parent BSUID) … If you do, `to` will take precedence";
/// Meta, *Business-scoped user IDs*, "Send message requests",
/// <https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids>;
/// the Calling API page documents `to` as "Required (unless `recipient` is provided)".)
pub(super) fn addressed(body: &Value) -> Value {
    let mut body = body.clone();
    let bsuid =
        body.get("to").and_then(Value::as_str).and_then(crate::domain::user_id::bsuid).map(String::from);
    if let (Some(bsuid), Some(fields)) = (bsuid, body.as_object_mut()) {
        fields.remove("to");
        fields.insert("recipient".into(), Value::String(bsuid));
    }
    body
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A number goes in `to`; a BSUID in `recipient`, without `to` (Meta's send request).
    #[test]
    fn a_bsuid_is_addressed_as_recipient_and_a_number_as_to() {
        let text = |to: &str| json!({"messaging_product": "whatsapp", "to": to, "type": "text"});
        let by_bsuid = addressed(&text("AR.1502576394655843"));
        assert_eq!(by_bsuid.get("to"), None);
        assert_eq!(by_bsuid["recipient"], "AR.1502576394655843");
        let parent = addressed(&text("US.ENT.11815799212886844830"));
        assert_eq!(parent["recipient"], "US.ENT.11815799212886844830");
        let by_number = addressed(&text("+5491155550000"));
        assert_eq!((by_number["to"].as_str(), by_number.get("recipient")), (Some("+5491155550000"), None));
    }
}
