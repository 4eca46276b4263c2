//! `POST /{version}/{phone_number_id}/messages` (§1.2–1.5): a template or free-text message,
//! validated the way the Cloud API does, answered with a wamid (or Meta's error envelope), then
//! followed by status webhooks.
//!
//! The checks, in Meta's order as far as it shows: token (190), phone number id and JSON (100),
//! `messaging_product` (100), the injected fault if any, the recipient, then by `type`. The
//! recipient is `to`, a phone number (100 when malformed), or — for a customer known only by
//! their business-scoped user id — `recipient`, a BSUID or parent BSUID (100 when malformed);
//! with both, `to` wins, as on Meta. An accepted send to a BSUID answers `contacts[{input,
//! user_id}]` without `wa_id`, and its statuses carry `recipient_user_id` without
//! `recipient_id` (Meta, *Business-scoped user IDs*, "Send message requests/response", "Status
//! messages webhooks"; reference §10). Then by `type`:
//! - `template`: exists in that language and is APPROVED (132001, HTTP 404; 132015 paused,
//!   132016 disabled), body parameter count (132000), header parameter or image (132000 /
//!   132012), URL button suffix (131008 "Button at index 0 of type Url requires a parameter"),
//!   parameter text without new lines, tabs or 5+ spaces (132000);
//! - `text`: a body of at most 4096 characters, and the customer wrote within 24 h of sandbox
//!   time (131047 "Re-engagement message").

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{json, Value};

use super::customers::key;
use super::webhooks::Outbound;
use super::{
    error, fault_error, json_response, meta_text, wa_id, ReceivedMessage, Rejection, Shared, TemplateHeader,
    WaFault,
};

/// A validated message, ready to be accepted.
struct Valid {
    kind: &'static str,
    template: String,
    language: String,
    category: String,
    body: Vec<String>,
    button_suffix: Option<String>,
    text: Option<String>,
    /// The image header as sent: `id:<media id>` or `link:<url>`.
    header_image: Option<String>,
}

/// An error with `code`'s title and these details, HTTP 400.
fn bad(code: i64, details: &str) -> Rejection {
    error(StatusCode::BAD_REQUEST, code, meta_text(code).0, details)
}

/// Meta's own limit on parameter text, for body and header parameters.
fn clean(text: &str) -> bool {
    !(text.contains('\n') || text.contains('\t') || text.contains("     "))
}

const UNCLEAN: &str = "Param text cannot have new-line/tab characters or more than 4 consecutive spaces";

/// A phone number as the Cloud API takes it: an optional leading `+`, then 8 to 15 digits
/// (spaces, dashes and parentheses between them are allowed, as on Meta).
fn valid_phone(to: &str) -> bool {
    let to = to.trim();
    let rest = to.strip_prefix('+').unwrap_or(to);
    let mut digits = 0;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits += 1,
            ' ' | '-' | '(' | ')' => {}
            _ => return false,
        }
    }
    (8..=15).contains(&digits)
}

/// Whom a send is addressed to, and whether by BSUID: `to` (a phone number) wins; else
/// `recipient` (a BSUID or parent BSUID).
fn addressee(v: &Value) -> Result<(&str, bool), Rejection> {
    match (v.get("to").and_then(Value::as_str), v.get("recipient").and_then(Value::as_str)) {
        (Some(to), _) if valid_phone(to) => Ok((to, false)),
        (Some(to), _) => {
            Err(bad(100, &format!("Invalid parameter to: '{to}' is not a phone number with its country code")))
        }
        (None, Some(r)) => match crate::domain::user_id::bsuid(r) {
            Some(bsuid) => Ok((bsuid, true)),
            None => Err(bad(
                100,
                &format!(
                    "Invalid parameter recipient: '{r}' is not a business-scoped user ID (a country code, a period and up to 128 letters and digits)"
                ),
            )),
        },
        (None, None) => Err(bad(131008, "The parameter to or recipient is required.")),
    }
}

/// A component's parameters (none when absent or not a list).
fn parameters(component: &Value) -> Vec<&Value> {
    component.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

/// A text-like parameter's value: `text`, or the fallback of `currency` / `date_time`.
fn text_of(p: &Value) -> Option<&str> {
    match p.get("type").and_then(Value::as_str).unwrap_or("text") {
        "text" => p.get("text").and_then(Value::as_str),
        "currency" => p.pointer("/currency/fallback_value").and_then(Value::as_str),
        "date_time" => p.pointer("/date_time/fallback_value").and_then(Value::as_str),
        _ => None,
    }
}

fn kind_of(p: &Value) -> String {
    p.get("type").and_then(Value::as_str).unwrap_or("unknown").to_ascii_uppercase()
}

fn count_mismatch(component: &str, given: usize, expected: usize) -> Rejection {
    bad(
        132000,
        &format!(
            "{component}: number of localizable_params ({given}) does not match the expected number of params ({expected})"
        ),
    )
}

/// Checks a template send against the template's definition.
fn validate_template(shared: &Shared, v: &Value) -> Result<Valid, Rejection> {
    let Some(template) = v.get("template").filter(|t| t.is_object()) else {
        return Err(bad(131008, "The parameter template is required."));
    };
    let name = template.get("name").and_then(Value::as_str).unwrap_or_default();
    let language = template.pointer("/language/code").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty() || language.is_empty() {
        return Err(bad(131008, "template: name and language.code are required"));
    }
    let not_found = || {
        let details = format!("template name ({name}) does not exist in {language}");
        error(StatusCode::NOT_FOUND, 132001, meta_text(132001).0, &details)
    };
    let def = shared.find_template(name, language).ok_or_else(not_found)?;
    match def.status.to_ascii_uppercase().as_str() {
        "APPROVED" => {}
        "PAUSED" => return Err(bad(132015, meta_text(132015).1)),
        "DISABLED" => return Err(bad(132016, meta_text(132016).1)),
        _ => return Err(not_found()),
    }
    let components: Vec<&Value> = match template.get("components") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(all)) => all.iter().collect(),
        Some(_) => return Err(bad(100, "template: components must be a list")),
    };
    let of_type = |kind: &str| -> Vec<&Value> {
        components
            .iter()
            .copied()
            .filter(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(kind)))
            .collect()
    };

    // Body.
    let body_params: Vec<&Value> = of_type("body").into_iter().flat_map(parameters).collect();
    if body_params.len() != def.body_params() {
        return Err(count_mismatch("body", body_params.len(), def.body_params()));
    }
    let mut body = Vec::with_capacity(body_params.len());
    for p in body_params {
        let Some(text) = text_of(p) else {
            return Err(bad(
                132012,
                &format!("body: Format mismatch, expected TEXT, received {}", kind_of(p)),
            ));
        };
        if !clean(text) {
            return Err(bad(132000, UNCLEAN));
        }
        body.push(text.to_string());
    }

    // Header.
    let header_params: Vec<&Value> = of_type("header").into_iter().flat_map(parameters).collect();
    let mut header_image = None;
    match &def.header {
        Some(TemplateHeader::Image) => {
            let image = header_params.first().copied();
            let has_image = image.is_some_and(|p| {
                kind_of(p) == "IMAGE"
                    && ["/image/id", "/image/link"]
                        .iter()
                        .any(|k| p.pointer(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty()))
            });
            if !has_image {
                let received = image.map(kind_of).unwrap_or_else(|| "UNKNOWN".into());
                return Err(bad(
                    132012,
                    &format!("header: Format mismatch, expected IMAGE, received {received}"),
                ));
            }
            header_image = image.and_then(|p| shared.header_image(p).transpose()).transpose()?;
        }
        _ => {
            if header_params.len() != def.header_params() {
                return Err(count_mismatch("header", header_params.len(), def.header_params()));
            }
            for p in header_params {
                let Some(text) = text_of(p) else {
                    let details = format!("header: Format mismatch, expected TEXT, received {}", kind_of(p));
                    return Err(bad(132012, &details));
                };
                if !clean(text) {
                    return Err(bad(132000, UNCLEAN));
                }
            }
        }
    }

    // The URL button's suffix (button index 0: the URL button comes first).
    let url_buttons: Vec<&Value> = of_type("button")
        .into_iter()
        .filter(|c| c.get("sub_type").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("url")))
        .collect();
    let suffix =
        url_buttons.first().and_then(|c| parameters(c).first().and_then(|p| text_of(p))).map(String::from);
    let button_suffix = if def.url_takes_suffix() {
        let Some(suffix) = suffix.filter(|s| !s.is_empty()) else {
            return Err(bad(131008, "buttons: Button at index 0 of type Url requires a parameter"));
        };
        if suffix.chars().any(char::is_whitespace) {
            let url = def.url_button.as_ref().map(|b| b.url.replace("{{1}}", &suffix)).unwrap_or_default();
            return Err(bad(
                131009,
                &format!("buttons: the URL {url} is not valid: encode the variable part"),
            ));
        }
        Some(suffix)
    } else {
        if !url_buttons.is_empty() {
            return Err(bad(131009, "buttons: Button at index 0 of type Url does not take a parameter"));
        }
        None
    };

    Ok(Valid {
        kind: "template",
        template: def.name.clone(),
        language: def.language.clone(),
        category: def.category.to_ascii_lowercase(),
        body,
        button_suffix,
        text: None,
        header_image,
    })
}

/// Checks a free-text send: a body, and an open 24 h window with that customer.
fn validate_text(shared: &Shared, v: &Value, recipient: &str) -> Result<Valid, Rejection> {
    let Some(body) = v.pointer("/text/body").and_then(Value::as_str).filter(|b| !b.trim().is_empty()) else {
        return Err(bad(100, "The parameter text['body'] is required."));
    };
    if body.chars().count() > 4096 {
        return Err(bad(100, "Param text['body'] must be at most 4096 characters long."));
    }
    if !shared.window_open(recipient) {
        return Err(bad(131047, meta_text(131047).1));
    }
    Ok(Valid {
        kind: "text",
        template: String::new(),
        language: String::new(),
        category: "service".into(),
        body: Vec::new(),
        button_suffix: None,
        text: Some(body.to_string()),
        header_image: None,
    })
}

impl Shared {
    /// Whether the customer (any form of their number, or their BSUID) wrote within the last 24 h.
    pub(super) fn window_open(&self, number: &str) -> bool {
        let now = self.now();
        let last = self.lock().last_inbound.get(&key(number)).copied();
        last.is_some_and(|at| now - at < Duration::hours(24))
    }
}

/// What Meta bills for a message (`pricing` on the `sent` webhook, PMP since July 2025): free
/// service replies and utility templates inside an open window, every other template regular.
fn pricing(category: &str, in_window: bool) -> Value {
    let free = category == "service" || (category == "utility" && in_window);
    let kind = if free { "free_customer_service" } else { "regular" };
    json!({"billable": !free, "pricing_model": "PMP", "type": kind, "category": category})
}

pub(super) async fn send(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    accept(&shared, &id, &headers, &body).await.unwrap_or_else(IntoResponse::into_response)
}

/// Checks a send and accepts it, or says why not.
async fn accept(shared: &Shared, id: &str, headers: &HeaderMap, body: &str) -> Result<Response, Rejection> {
    if !shared.authorized(headers) {
        let (title, details) = meta_text(190);
        return Err(error(StatusCode::UNAUTHORIZED, 190, title, details));
    }
    if id != shared.config.phone_number_id {
        let message = format!("Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation");
        return Err(bad(100, &message));
    }
    let v = serde_json::from_str::<Value>(body).map_err(|_| bad(100, "Invalid JSON in the request body"))?;
    match v.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        None => return Err(bad(100, "The parameter messaging_product is required.")),
        Some(other) => {
            let message = format!("Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\".");
            return Err(bad(100, &message));
        }
    }
    let latency = shared.config.max_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency.mul_f64(fastrand::f64())).await;
    }
    // The next request gets the injected fault, whatever it carries.
    let fault = shared.lock().faults.pop_front();
    if let Some(WaFault::Error { code }) = fault {
        return Err(fault_error(code));
    }
    let (to, by_bsuid) = addressee(&v)?;
    let recipient = key(to);
    // Meta reads a message without `type` as text.
    let valid = match v.get("type").and_then(Value::as_str).unwrap_or("text") {
        "template" => validate_template(shared, &v)?,
        "text" => validate_text(shared, &v, to)?,
        other => {
            let details = format!("The sandbox serves template and text messages, not {other}");
            return Err(bad(131051, &details));
        }
    };
    let callback_data = v.get("biz_opaque_callback_data").and_then(Value::as_str).map(String::from);
    if callback_data.as_ref().is_some_and(|c| c.chars().count() > 512) {
        return Err(bad(100, "Param biz_opaque_callback_data must be at most 512 characters long."));
    }
    let undeliverable = !by_bsuid && shared.config.not_on_whatsapp.iter().any(|n| wa_id(n) == recipient);
    let in_window = shared.window_open(to);
    let now = shared.now();
    let wamid = {
        let mut inner = shared.lock();
        inner.next += 1;
        let wamid = format!("wamid.SANDBOX{:012}", inner.next);
        inner.messages.push(ReceivedMessage {
            wamid: wamid.clone(),
            to: to.to_string(),
            template: valid.template,
            language: valid.language,
            body: valid.body,
            button_suffix: valid.button_suffix,
            callback_data: callback_data.clone(),
            at: now,
            kind: valid.kind.into(),
            text: valid.text,
            header_image: valid.header_image,
        });
        let outbound = Outbound {
            wamid: &wamid,
            recipient: (!by_bsuid).then_some(recipient.as_str()),
            recipient_user_id: by_bsuid.then_some(recipient.as_str()),
            callback_data: callback_data.as_deref(),
            pricing: pricing(&valid.category, in_window),
            undeliverable,
        };
        shared.queue_statuses(&mut inner, &outbound);
        wamid
    };
    let mut message = json!({"id": wamid});
    if valid.kind == "template" {
        message["message_status"] = json!("accepted");
    }
    let contact = if by_bsuid {
        json!({"input": to, "user_id": recipient})
    } else {
        json!({"input": to, "wa_id": recipient})
    };
    let answer =
        json!({"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}).to_string();
    if fault == Some(WaFault::AcceptThenLoseAnswer) {
        return Ok(json_response(StatusCode::OK, vec![], super::super::truncate(&answer)));
    }
    Ok(json_response(StatusCode::OK, vec![], answer))
}
