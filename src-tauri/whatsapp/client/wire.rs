//! Meta's JSON as the Cloud API client reads it: error bodies, send answers, template lists
//! and creation answers: our own serde types, with a default for each field Meta may leave out.

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
