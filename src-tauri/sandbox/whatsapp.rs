//! The sandbox WhatsApp: the two Cloud API paths the send plan uses, served on loopback with
//! Meta's shapes — `POST /{version}/{phone_number_id}/messages` (bearer token, template body,
//! `{contacts, messages:[{id}]}` or Meta's error envelope) and
//! `GET /{version}/{waba_id}/message_templates`. It records every message it accepted, so tests
//! and the demo can count exactly what a customer would have received.
//!
//! Faults are queued per request: a Meta error code, or "accepted, then the answer is lost"
//! (the message left but we never hear its id — the case the outbox must never resend).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::json_response;
use crate::clock::Clock;

#[derive(Debug, Clone)]
pub struct WhatsAppSandboxConfig {
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: String,
    /// Each send waits a random time up to this long before answering (crash tests).
    pub max_latency: std::time::Duration,
}

impl Default for WhatsAppSandboxConfig {
    fn default() -> Self {
        WhatsAppSandboxConfig {
            phone_number_id: "1055500000000".into(),
            business_account_id: "2055500000000".into(),
            token: "sandbox-whatsapp-token".into(),
            max_latency: std::time::Duration::ZERO,
        }
    }
}

/// What the next send request gets instead of a normal acceptance.
#[derive(Debug, Clone, PartialEq)]
pub enum WaFault {
    /// Meta's error envelope with this code (HTTP 400, or 401 for 190).
    Error { code: i64 },
    /// The message is accepted and recorded, but the answer is cut off.
    AcceptThenLoseAnswer,
}

/// A message the sandbox accepted: what the customer's phone would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub wamid: String,
    pub to: String,
    pub template: String,
    pub language: String,
    pub body: Vec<String>,
    pub button_suffix: Option<String>,
    pub callback_data: Option<String>,
    pub at: DateTime<Utc>,
}

struct Inner {
    messages: Vec<ReceivedMessage>,
    faults: VecDeque<WaFault>,
    /// (name, language, status)
    templates: Vec<(String, String, String)>,
    next: u64,
}

struct Shared {
    config: WhatsAppSandboxConfig,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct WhatsAppSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The recovery template's name in the sandbox (and the default setting).
pub const TEMPLATE: &str = "recupero_carrito";

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"error": {"message": format!("(#{code}) {message}"), "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "AsandboxTrace"}});
    json_response(status, vec![], body.to_string())
}

fn meta_message(code: i64) -> &'static str {
    match code {
        130429 => "Cloud API message throughput has been reached.",
        131050 => "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
        131026 => "Message undeliverable",
        131056 => "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
        190 => "Error validating access token: Session has expired.",
        132001 => "Template name does not exist in the translation",
        _ => "Something went wrong",
    }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == shared.config.token)
}

async fn send(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, 190, meta_message(190));
    }
    if id != shared.config.phone_number_id {
        return error(StatusCode::BAD_REQUEST, 100, "Unsupported post request. Object does not exist");
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, 100, "Invalid JSON");
    };
    let text = |p: &Value| p.get("text").and_then(Value::as_str).map(String::from);
    let template = &v["template"];
    let (Some(to), Some(name)) = (v["to"].as_str(), template["name"].as_str()) else {
        return error(StatusCode::BAD_REQUEST, 131008, "Required parameter is missing");
    };
    let mut body_params = Vec::new();
    let mut button_suffix = None;
    for c in template["components"].as_array().into_iter().flatten() {
        let params: Vec<String> = c["parameters"].as_array().into_iter().flatten().filter_map(text).collect();
        match c["type"].as_str() {
            Some("body") => body_params = params,
            Some("button") => button_suffix = params.into_iter().next(),
            _ => {}
        }
    }
    if body_params.iter().any(|p| p.contains('\n') || p.contains('\t') || p.contains("     ")) {
        return error(
            StatusCode::BAD_REQUEST,
            132000,
            "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
        );
    }
    let language = template["language"]["code"].as_str().unwrap_or_default().to_string();
    let latency = shared.config.max_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency.mul_f64(fastrand::f64())).await;
    }
    let fault = shared.lock().faults.pop_front();
    if let Some(WaFault::Error { code }) = fault {
        let status = if code == 190 { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
        return error(status, code, meta_message(code));
    }
    let now = shared.clock.now();
    let wamid = {
        let mut inner = shared.lock();
        let approved = inner.templates.iter().any(|(n, l, s)| n == name && *l == language && s == "APPROVED");
        if !approved {
            drop(inner);
            return error(StatusCode::NOT_FOUND, 132001, meta_message(132001));
        }
        inner.next += 1;
        let wamid = format!("wamid.SANDBOX{:012}", inner.next);
        inner.messages.push(ReceivedMessage {
            wamid: wamid.clone(),
            to: to.to_string(),
            template: name.to_string(),
            language,
            body: body_params,
            button_suffix,
            callback_data: v["biz_opaque_callback_data"].as_str().map(String::from),
            at: now,
        });
        wamid
    };
    let answer = json!({"messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
        "messages": [{"id": wamid, "message_status": "accepted"}]})
    .to_string();
    if fault == Some(WaFault::AcceptThenLoseAnswer) {
        return json_response(StatusCode::OK, vec![], super::truncate(&answer));
    }
    json_response(StatusCode::OK, vec![], answer)
}

async fn list_templates(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, 190, meta_message(190));
    }
    if id != shared.config.business_account_id {
        return error(StatusCode::BAD_REQUEST, 100, "Unsupported get request. Object does not exist");
    }
    let pairs = super::query_pairs(query.as_deref().unwrap_or(""));
    let wanted = super::param(&pairs, "name").map(String::from);
    let data: Vec<Value> = shared
        .lock()
        .templates
        .iter()
        .filter(|(n, _, _)| wanted.as_ref().is_none_or(|w| w == n))
        .map(|(n, l, s)| json!({"name": n, "language": l, "status": s, "category": "MARKETING", "id": format!("tpl-{n}-{l}")}))
        .collect();
    json_response(StatusCode::OK, vec![], json!({"data": data, "paging": {"cursors": {}}}).to_string())
}

impl WhatsAppSandbox {
    pub async fn start(
        config: WhatsAppSandboxConfig,
        clock: Arc<dyn Clock>,
        port: u16,
    ) -> std::io::Result<WhatsAppSandbox> {
        let templates = ["es_AR", "es", "es_MX", "es_ES", "pt_BR", "pt_PT", "en_US", "en_GB"]
            .into_iter()
            .map(|l| (TEMPLATE.to_string(), l.to_string(), "APPROVED".to_string()))
            .collect();
        let shared = Arc::new(Shared {
            config,
            clock,
            inner: Mutex::new(Inner { messages: Vec::new(), faults: VecDeque::new(), templates, next: 0 }),
        });
        let app = Router::new()
            .route("/{version}/{id}/messages", post(send))
            .route("/{version}/{id}/message_templates", get(list_templates))
            .with_state(shared.clone());
        let (addr, stop) = super::serve(app, port, "sandbox WhatsApp").await?;
        Ok(WhatsAppSandbox { addr, shared, stop: Some(stop) })
    }

    /// The Graph API root, e.g. `http://127.0.0.1:40124`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config(&self) -> &WhatsAppSandboxConfig {
        &self.shared.config
    }

    pub fn inject(&self, fault: WaFault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// Sets a template's review status (APPROVED, PENDING, REJECTED, PAUSED…) in every language.
    pub fn set_template_status(&self, name: &str, status: &str) {
        for t in self.shared.lock().templates.iter_mut().filter(|t| t.0 == name) {
            t.2 = status.to_string();
        }
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared.lock().messages.clone()
    }
}

impl Drop for WhatsAppSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
