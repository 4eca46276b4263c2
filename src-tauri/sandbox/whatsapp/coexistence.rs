//! Coexistence as Meta serves it (§5.1, §5.3–5.5): the number's link with the WhatsApp Business
//! app (`GET /{version}/{phone_number_id}?fields=is_on_biz_app,platform_type`, answered by
//! `registration::read_phone`) and the one-time data sync (`POST
//! /{version}/{phone_number_id}/smb_app_data` with `sync_type` `smb_app_state_sync` or `history`
//! → `{"messaging_product":"whatsapp","request_id":…}`), followed by its webhooks.
//!
//! Like Meta: each sync type can be asked once (2593107 after that), only within 24 h of
//! onboarding (2593108), only for a number on the Business app. Contacts arrive as one
//! `smb_app_state_sync` webhook (`action: add`); history as `history` chunks, one per thread,
//! with `phase` by the thread's age (0: day 0–1, 1: day 1–90, 2: day 90–180), `chunk_order`
//! within the phase and `progress` up to 100 — or, when the owner declined to share history in
//! the app, one `history` webhook whose chunk carries error 2593109.
//!
//! Simpler than Meta, knowingly: a number not on the Business app is refused with a `(#100)`
//! in the sandbox's own words; an unlinked number reads `platform_type: NOT_APPLICABLE` (Meta's
//! value for it is not documented in our notes); chunks are sent in order.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::{error, json_response, wa_id, Shared, WhatsAppSandbox};

/// One past conversation the phone holds: the customer and their messages (newest last), each
/// `(from_customer, text, when)`.
#[derive(Debug, Clone)]
pub struct PastThread {
    pub customer: String,
    pub messages: Vec<(bool, String, DateTime<Utc>)>,
}

/// The phone's side of Coexistence.
#[derive(Debug, Clone, Default)]
pub(super) struct Phone {
    /// On the Business app and the Cloud API (Coexistence).
    linked: bool,
    /// When the number was onboarded (the 24 h sync window runs from it).
    onboarded_at: Option<DateTime<Utc>>,
    /// The owner chose not to share chat history at onboarding.
    history_declined: bool,
    /// The address book: (full name, number).
    contacts: Vec<(String, String)>,
    threads: Vec<PastThread>,
    /// Every accepted request: (sync type, request id).
    requests: Vec<(String, String)>,
}

/// `GET …?fields=is_on_biz_app,platform_type`: the fields asked for.
pub(super) fn link_fields(shared: &Shared, fields: &str, out: &mut Value) {
    let linked = shared.lock().phone.linked;
    for field in fields.split(',').map(str::trim) {
        match field {
            "is_on_biz_app" => out["is_on_biz_app"] = json!(linked),
            "platform_type" => {
                out["platform_type"] = json!(if linked { "CLOUD_API" } else { "NOT_APPLICABLE" })
            }
            _ => {}
        }
    }
}

fn sync_error(code: i64, message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, code, message, message).into_response()
}

/// `POST /{version}/{phone_number_id}/smb_app_data`.
pub(super) async fn smb_app_data(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !shared.authorized(&headers) {
        let (title, details) = super::meta_text(190);
        return error(StatusCode::UNAUTHORIZED, 190, title, details).into_response();
    }
    if id != shared.config.phone_number_id {
        return sync_error(100, &format!("Unsupported post request. Object with ID '{id}' does not exist"));
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let sync_type = body.get("sync_type").and_then(Value::as_str).unwrap_or_default().to_string();
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp")
        || !matches!(sync_type.as_str(), "smb_app_state_sync" | "history")
    {
        return sync_error(100, "Invalid parameter");
    }
    let now = shared.now();
    let mut inner = shared.lock();
    if !inner.phone.linked {
        return sync_error(100, "The phone number is not on the WhatsApp Business app");
    }
    if inner.phone.requests.iter().any(|(t, _)| *t == sync_type) {
        return sync_error(2593107, "Synchronization limit exceeded for this phone number");
    }
    if inner.phone.onboarded_at.is_none_or(|at| now - at > Duration::hours(24)) {
        return sync_error(2593108, "Synchronization is only possible within 24 hours of onboarding");
    }
    inner.next += 1;
    let request_id = format!("sandbox-sync-{:06}", inner.next);
    inner.phone.requests.push((sync_type.clone(), request_id.clone()));
    let metadata = shared.metadata();
    let values = if sync_type == "history" {
        history_chunks(&inner.phone, now, &shared.config.display_phone_number)
    } else {
        let items: Vec<Value> = inner
            .phone
            .contacts
            .iter()
            .map(|(name, number)| {
                let first = name.split_whitespace().next().unwrap_or(name);
                json!({"type": "contact", "contact": {"full_name": name, "first_name": first,
                    "phone_number": wa_id(number)}, "action": "add",
                    "metadata": {"timestamp": now.timestamp().to_string()}})
            })
            .collect();
        vec![json!({"state_sync": items})]
    };
    let field = if sync_type == "history" { "history" } else { "smb_app_state_sync" };
    for mut value in values {
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] = metadata.clone();
        shared.enqueue(&mut inner, field, value, Some(now.timestamp()));
    }
    drop(inner);
    json_response(
        StatusCode::OK,
        vec![],
        json!({"messaging_product": "whatsapp", "request_id": request_id}).to_string(),
    )
}

/// The `history` values to send: one chunk per thread with phase, order and progress, or the
/// refusal.
fn history_chunks(phone: &Phone, now: DateTime<Utc>, business: &str) -> Vec<Value> {
    if phone.history_declined {
        let text = "History sync is turned off by the business from the WhatsApp Business App";
        return vec![json!({"history": [{"errors": [{"code": 2593109, "title": text, "message": text,
            "error_data": {"details": text}}]}]})];
    }
    let onboarded = phone.onboarded_at.unwrap_or(now);
    let total = phone.threads.len().max(1);
    let mut order = [0i64; 3];
    let mut out = Vec::new();
    for (i, thread) in phone.threads.iter().enumerate() {
        let newest = thread.messages.iter().map(|m| m.2).max().unwrap_or(onboarded);
        let age = onboarded - newest;
        let phase = if age <= Duration::days(1) {
            0
        } else if age <= Duration::days(90) {
            1
        } else {
            2
        };
        order[phase] += 1;
        let customer = wa_id(&thread.customer);
        let messages: Vec<Value> = thread
            .messages
            .iter()
            .enumerate()
            .map(|(n, (from_customer, text, at))| {
                let mut m = json!({"id": format!("wamid.SANDBOXHIST{:04}{:06}", i, n), "timestamp": at.timestamp().to_string(),
                    "type": "text", "text": {"body": text},
                    "history_context": {"status": if *from_customer { "READ" } else { "DELIVERED" }}});
                if *from_customer {
                    m["from"] = json!(customer);
                } else {
                    m["from"] = json!(business);
                    m["to"] = json!(customer);
                }
                m
            })
            .collect();
        let progress = ((i + 1) * 100 / total) as i64;
        out.push(json!({"history": [{"metadata": {"phase": phase, "chunk_order": order[phase], "progress": progress},
            "threads": [{"id": customer, "messages": messages}]}]}));
    }
    if out.is_empty() {
        out.push(json!({"history": [{"metadata": {"phase": 0, "chunk_order": 1, "progress": 100}, "threads": []}]}));
    }
    out
}

impl WhatsAppSandbox {
    /// The number joins Coexistence now (onboarded: the 24 h sync window starts), with the
    /// phone's address book `(full name, number)`, its past chats, and whether the owner
    /// declined to share history.
    pub fn link_business_app(
        &self,
        contacts: Vec<(String, String)>,
        threads: Vec<PastThread>,
        history_declined: bool,
    ) {
        let now = self.shared.now();
        let mut inner = self.shared.lock();
        inner.phone = Phone {
            linked: true,
            onboarded_at: Some(now),
            history_declined,
            contacts,
            threads,
            requests: Vec::new(),
        };
    }

    /// Meta drops the link (e.g. `PRIMARY_INACTIVITY`): `is_on_biz_app` reads false from now on.
    pub fn unlink_business_app(&self) {
        self.shared.lock().phone.linked = false;
    }

    /// Every accepted `smb_app_data` request: (sync type, request id).
    pub fn sync_requests(&self) -> Vec<(String, String)> {
        self.shared.lock().phone.requests.clone()
    }
}
