//! The Cloud API client: send a template or free text
//! (`POST {base}/{version}/{phone_number_id}/messages`), list templates with their review state
//! and shape (`GET {base}/{version}/{waba_id}/message_templates`, every page) and submit one for
//! review (`POST` on the same path); register the webhook (`client/registration.rs`). The base URL and the auth header come from the settings
//! (Meta's Graph API with `Authorization: Bearer`, a partner's compatible endpoint with its own
//! header such as 360dialog's `D360-API-KEY`, or the sandbox on loopback). Our own serde types.
//!
//! A request that failed before reaching the server (refused connection, DNS) is retryable; one
//! that may have reached it (timeout, connection cut while waiting for the answer) is *unknown*.

use std::time::Duration;

use serde_json::{json, Value};
use url::Url;

use super::{
    Accepted, BoxFuture, CreatedTemplate, MessageSender, NewTemplate, OutgoingTemplate, OutgoingText,
    SendError,
};
use crate::domain::TemplateState;
use crate::secrets::Sensitive;

mod coexistence;
mod media;
mod registration;
mod wire;

pub use coexistence::{is_disconnect_code, BizAppLink, SyncType};
pub use registration::WebhookConfiguration;

use wire::{addressed, CreateAnswer, ErrorBody, SendResponse, TemplateItem, TemplateList};

/// Longer than any parameter the recovery builder makes (the body itself is at most 1024).
const MAX_PARAMETER_CHARS: usize = 1024;

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    pub base_url: Url,
    pub api_version: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: Sensitive<String>,
    /// `Authorization` (sent as `Bearer <token>`) or a partner's header (the token as is).
    pub auth_header: String,
}

pub struct CloudClient {
    http: reqwest::Client,
    config: CloudConfig,
}

impl CloudClient {
    pub fn new(config: CloudConfig) -> Result<CloudClient, String> {
        if config.phone_number_id.trim().is_empty() {
            return Err("the WhatsApp phone number id is not set".into());
        }
        let http = reqwest::Client::builder()
            .user_agent(crate::http::USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!crate::http::is_loopback(&config.base_url))
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
        let mut components = Vec::new();
        if let Some(header) = media::header_component(message) {
            components.push(header);
        }
        components.push(json!({
            "type": "body",
            // The last gate before Meta: whoever built the message, no parameter leaves with a
            // newline, a run of spaces or a control character (a no-op on the builder's output).
            "parameters": message
                .body
                .iter()
                .map(|t| json!({"type": "text", "text": super::recovery::clean_parameter(t, MAX_PARAMETER_CHARS)}))
                .collect::<Vec<_>>(),
        }));
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

    fn auth_name(&self) -> &str {
        let h = self.config.auth_header.trim();
        if h.is_empty() {
            "Authorization"
        } else {
            h
        }
    }

    fn auth_value(&self) -> String {
        if self.auth_name().eq_ignore_ascii_case("authorization") {
            format!("Bearer {}", self.config.token.expose())
        } else {
            self.config.token.expose().to_string()
        }
    }

    async fn send(&self, message: &OutgoingTemplate) -> Result<Accepted, SendError> {
        self.post_message(&Self::body(message)).await
    }

    async fn send_free_text(&self, message: &OutgoingText) -> Result<Accepted, SendError> {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to,
            "type": "text",
            "text": {"preview_url": true, "body": message.body},
        });
        if let Some(cb) = &message.callback_data {
            body["biz_opaque_callback_data"] = json!(cb);
        }
        self.post_message(&body).await
    }

    async fn post_message(&self, body: &Value) -> Result<Accepted, SendError> {
        let body = &addressed(body);
        let url = self
            .url(&format!("{}/messages", self.config.phone_number_id.trim()))
            .map_err(|detail| SendError::Account { code: "config".into(), detail })?;
        let response =
            self.http.post(url).header(self.auth_name(), self.auth_value()).json(body).send().await;
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

    /// POSTs `body` (or an empty body) and returns the answer; an answer other than 2xx is read
    /// as Meta's error. Not for sends: a request that may have reached Meta is retried here.
    pub(super) async fn post_json(&self, url: Url, body: Option<&Value>) -> Result<Vec<u8>, SendError> {
        let mut request = self.http.post(url).header(self.auth_name(), self.auth_value());
        request = match body {
            Some(body) => request.json(body),
            None => request.header("content-length", "0"),
        };
        let response = request.send().await.map_err(|e| SendError::Retryable {
            code: "network".into(),
            detail: self.mask(e.without_url().to_string()),
            retry_after: None,
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| SendError::Unknown { detail: self.mask(e.without_url().to_string()) })?;
        if !status.is_success() {
            return Err(self.error_from(status, &body));
        }
        Ok(body.to_vec())
    }

    pub(super) async fn get_json(&self, url: Url) -> Result<Vec<u8>, SendError> {
        let net = |e: reqwest::Error| SendError::Retryable {
            code: "network".into(),
            detail: self.mask(e.without_url().to_string()),
            retry_after: None,
        };
        let response =
            self.http.get(url).header(self.auth_name(), self.auth_value()).send().await.map_err(net)?;
        let status = response.status();
        let body = response.bytes().await.map_err(net)?;
        if !status.is_success() {
            return Err(self.error_from(status, &body));
        }
        Ok(body.to_vec())
    }

    async fn list(&self, name: Option<&str>) -> Result<Vec<TemplateState>, SendError> {
        let mut url = self
            .url(&format!("{}/message_templates", self.config.business_account_id.trim()))
            .map_err(|detail| SendError::Account { code: "config".into(), detail })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(name) = name {
                q.append_pair("name", name);
            }
            q.append_pair("fields", "name,language,status,category,components,id")
                .append_pair("limit", "100");
        }
        let mut out = Vec::new();
        // Follow `paging.next`, but only on the same host (never let an answer send the token elsewhere).
        for _page in 0..50 {
            let body = self.get_json(url.clone()).await?;
            let list: TemplateList = serde_json::from_slice(&body).map_err(|e| SendError::Retryable {
                code: "protocol".into(),
                detail: format!("unreadable template list: {e}"),
                retry_after: None,
            })?;
            out.extend(
                list.data
                    .into_iter()
                    .map(TemplateItem::into_state)
                    .filter(|t| name.is_none_or(|n| t.name == n)),
            );
            match list.paging.and_then(|p| p.next).and_then(|n| Url::parse(&n).ok()) {
                Some(next)
                    if next.host_str() == url.host_str()
                        && next.port_or_known_default() == url.port_or_known_default() =>
                {
                    url = next
                }
                _ => break,
            }
        }
        Ok(out)
    }

    async fn create(&self, template: &NewTemplate) -> Result<CreatedTemplate, SendError> {
        let url = self
            .url(&format!("{}/message_templates", self.config.business_account_id.trim()))
            .map_err(|detail| SendError::Account { code: "config".into(), detail })?;
        let body = self.post_json(url, Some(&template.body)).await.map_err(|e| match e {
            // A creation error is about the template's text, not the account.
            SendError::Terminal { code, detail } | SendError::Template { code, detail } => {
                SendError::Template { code, detail }
            }
            other => other,
        })?;
        let answer: CreateAnswer = serde_json::from_slice(&body).map_err(|e| SendError::Unknown {
            detail: format!("unreadable answer to a template creation: {e}"),
        })?;
        Ok(CreatedTemplate {
            id: answer
                .id
                .map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()))
                .unwrap_or_default(),
            status: answer.status.unwrap_or_else(|| "PENDING".into()).to_ascii_uppercase(),
            category: answer.category,
        })
    }
}

impl MessageSender for CloudClient {
    fn send_template<'a>(
        &'a self,
        message: &'a OutgoingTemplate,
    ) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send(message))
    }

    fn send_text<'a>(&'a self, message: &'a OutgoingText) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_free_text(message))
    }

    fn templates<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<TemplateState>, SendError>> {
        Box::pin(self.list(name))
    }

    fn create_template<'a>(
        &'a self,
        template: &'a NewTemplate,
    ) -> BoxFuture<'a, Result<CreatedTemplate, SendError>> {
        Box::pin(self.create(template))
    }

    fn upload_media<'a>(
        &'a self,
        file: &'a super::media::MediaFile,
    ) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(CloudClient::upload_media(self, file))
    }

    fn upload_template_example<'a>(
        &'a self,
        app_id: &'a str,
        file: &'a super::media::MediaFile,
    ) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(CloudClient::upload_template_example(self, app_id, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whoever built the message (a cart, the owner's test message, a future caller), Meta never
    /// gets a parameter it refuses: no newline, tab, run of spaces or control character.
    #[test]
    fn the_request_body_cleans_every_parameter() {
        let message = OutgoingTemplate {
            to: "+5491100000000".into(),
            template: "recupero_carrito".into(),
            language: "es_AR".into(),
            body: vec!["Ana\n\tLuna     Store".into(), "\u{0}\u{7}".into(), "Zoë 👋".into()],
            header_image: None,
            header_media_id: None,
            button_suffix: None,
            callback_data: "recupero:1:0".into(),
        };
        let body = CloudClient::body(&message);
        let texts: Vec<&str> = body["template"]["components"][0]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["Ana Luna Store", "-", "Zoë 👋"]);
    }
}
