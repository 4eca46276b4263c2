//! The Cloud API client for what the send plan needs: send a template
//! (`POST {base}/{version}/{phone_number_id}/messages`) and read a template's review state
//! (`GET {base}/{version}/{waba_id}/message_templates?name=…`). The base URL comes from the
//! settings (Meta's Graph API, a partner's compatible endpoint, or the sandbox on loopback).
//!
//! A request that failed before reaching the server (refused connection, DNS) is retryable; one
//! that may have reached it (timeout, connection cut while waiting for the answer) is *unknown*.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::{Accepted, BoxFuture, MessageSender, OutgoingTemplate, SendError, TemplateState};
use crate::secrets::Sensitive;

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    pub base_url: Url,
    pub api_version: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: Sensitive<String>,
}

pub struct CloudClient {
    http: reqwest::Client,
    config: CloudConfig,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: MetaError,
}

#[derive(Deserialize)]
struct MetaError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_data: Option<Value>,
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<ContactOut>,
    #[serde(default)]
    messages: Vec<MessageOut>,
}

#[derive(Deserialize)]
struct ContactOut {
    #[serde(default)]
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageOut {
    id: String,
}

#[derive(Deserialize)]
struct TemplateList {
    #[serde(default)]
    data: Vec<TemplateItem>,
}

#[derive(Deserialize)]
struct TemplateItem {
    name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    status: String,
}

impl CloudClient {
    pub fn new(config: CloudConfig) -> Result<CloudClient, String> {
        if config.phone_number_id.trim().is_empty() {
            return Err("the WhatsApp phone number id is not set".into());
        }
        let http = reqwest::Client::builder()
            .user_agent(crate::stores::http::USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!crate::stores::is_loopback(&config.base_url))
            .no_proxy()
            .build()
            .map_err(|e| format!("could not set up HTTP: {e}"))?;
        Ok(CloudClient { http, config })
    }

    fn url(&self, tail: &str) -> Result<Url, String> {
        let base = self.config.base_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{}/{tail}", self.config.api_version.trim_matches('/')))
            .map_err(|e| format!("bad WhatsApp address: {e}"))
    }

    /// The request body Meta expects for a template with body parameters and a URL button.
    pub fn body(message: &OutgoingTemplate) -> Value {
        let mut components = vec![json!({
            "type": "body",
            "parameters": message.body.iter().map(|t| json!({"type": "text", "text": t})).collect::<Vec<_>>(),
        })];
        if let Some(suffix) = &message.button_suffix {
            components.push(json!({
                "type": "button", "sub_type": "url", "index": "0",
                "parameters": [{"type": "text", "text": suffix}],
            }));
        }
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to,
            "type": "template",
            "biz_opaque_callback_data": message.callback_data,
            "template": {
                "name": message.template,
                "language": {"code": message.language},
                "components": components,
            },
        })
    }

    fn mask(&self, text: String) -> String {
        let token = self.config.token.expose();
        if token.len() >= 4 {
            text.replace(token.as_str(), "***")
        } else {
            text
        }
    }

    /// Reads an error answer into a [`SendError`].
    fn error_from(&self, status: reqwest::StatusCode, body: &[u8]) -> SendError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => {
                let details = error
                    .error_data
                    .as_ref()
                    .and_then(|d| d.get("details"))
                    .and_then(Value::as_str)
                    .map(String::from);
                let detail = self.mask(details.or(error.message).unwrap_or_else(|| format!("HTTP {status}")));
                match error.code {
                    Some(code) => SendError::from_meta(code, detail, 0),
                    None => SendError::Terminal { code: format!("http_{}", status.as_u16()), detail },
                }
            }
            Err(_) if status.is_server_error() => SendError::Retryable {
                code: format!("http_{}", status.as_u16()),
                detail: "WhatsApp answered with a server error".into(),
                retry_after: None,
            },
            Err(_) if status.as_u16() == 401 => {
                SendError::Account { code: "190".into(), detail: "the access token was refused".into() }
            }
            Err(_) => SendError::Terminal {
                code: format!("http_{}", status.as_u16()),
                detail: "WhatsApp answered with something that is not an error object".into(),
            },
        }
    }

    async fn send(&self, message: &OutgoingTemplate) -> Result<Accepted, SendError> {
        let url = self
            .url(&format!("{}/messages", self.config.phone_number_id.trim()))
            .map_err(|detail| SendError::Account { code: "config".into(), detail })?;
        let response = self
            .http
            .post(url)
            .bearer_auth(self.config.token.expose())
            .json(&Self::body(message))
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            // Refused before anything was written: safe to try again.
            Err(e) if e.is_connect() || e.is_builder() => {
                return Err(SendError::Retryable {
                    code: "network".into(),
                    detail: self.mask(e.without_url().to_string()),
                    retry_after: None,
                })
            }
            Err(e) => return Err(SendError::Unknown { detail: self.mask(e.without_url().to_string()) }),
        };
        let status = response.status();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(SendError::Unknown { detail: self.mask(e.without_url().to_string()) }),
        };
        if !status.is_success() {
            return Err(self.error_from(status, &body));
        }
        match serde_json::from_slice::<SendResponse>(&body) {
            Ok(SendResponse { contacts, messages }) => match messages.into_iter().next() {
                Some(m) => {
                    Ok(Accepted { wamid: m.id, wa_id: contacts.into_iter().next().and_then(|c| c.wa_id) })
                }
                None => Err(SendError::Unknown { detail: "WhatsApp accepted without a message id".into() }),
            },
            // A 200 we can't read: it was most likely accepted; don't send again.
            Err(e) => Err(SendError::Unknown { detail: format!("unreadable answer to a send: {e}") }),
        }
    }

    async fn template(&self, name: &str, language: &str) -> Result<Option<TemplateState>, SendError> {
        let mut url = self
            .url(&format!("{}/message_templates", self.config.business_account_id.trim()))
            .map_err(|detail| SendError::Account { code: "config".into(), detail })?;
        url.query_pairs_mut().append_pair("name", name).append_pair("fields", "name,language,status");
        let response =
            self.http.get(url).bearer_auth(self.config.token.expose()).send().await.map_err(|e| {
                SendError::Retryable {
                    code: "network".into(),
                    detail: self.mask(e.without_url().to_string()),
                    retry_after: None,
                }
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| SendError::Retryable {
            code: "network".into(),
            detail: self.mask(e.without_url().to_string()),
            retry_after: None,
        })?;
        if !status.is_success() {
            return Err(self.error_from(status, &body));
        }
        let list: TemplateList = serde_json::from_slice(&body).map_err(|e| SendError::Retryable {
            code: "protocol".into(),
            detail: format!("unreadable template list: {e}"),
            retry_after: None,
        })?;
        Ok(list
            .data
            .into_iter()
            .find(|t| t.name == name && t.language.eq_ignore_ascii_case(language))
            .map(|t| TemplateState { name: t.name, language: t.language, status: t.status }))
    }
}

impl MessageSender for CloudClient {
    fn send_template<'a>(
        &'a self,
        message: &'a OutgoingTemplate,
    ) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send(message))
    }

    fn template_state<'a>(
        &'a self,
        name: &'a str,
        language: &'a str,
    ) -> BoxFuture<'a, Result<Option<TemplateState>, SendError>> {
        Box::pin(self.template(name, language))
    }
}
