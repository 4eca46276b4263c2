//! Webhook registration as Meta serves it (§4.6–4.7, §4.1): the phone number's callback
//! override (`POST /{version}/{phone_number_id}` with `webhook_configuration`, read back with
//! `GET …?fields=webhook_configuration`) and the app's subscription to the business account
//! (`POST`/`GET /{version}/{waba_id}/subscribed_apps`, optionally with a WABA-level override).
//!
//! Like Meta, an override is accepted only after its verification GET succeeds: the sandbox asks
//! `<uri>?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` and wants HTTP 200 with exactly
//! the challenge as the body. A URI that is not HTTPS is refused before any request (Meta wants a
//! public HTTPS address); [`super::WhatsAppSandboxConfig::allow_http_callbacks`] lifts that for
//! loopback tests. A failed verification changes nothing. Error bodies follow Meta's envelope:
//! `(#100)` for a bad parameter or an unknown object, `(#2200) Callback verification failed with
//! the following errors: …` with the curl-style detail Meta reports (connection refused → HTTP
//! Status Code = 0; a refusal → that status; a wrong echo → "Response does not match challenge").
//! The exact wording of the non-HTTPS refusal is the sandbox's (Meta's is not documented).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{error, json_response, Rejection, Shared, WhatsAppSandbox};

/// The Meta app the sandbox's token belongs to, as `subscribed_apps` names it.
pub const SANDBOX_APP_ID: &str = "3055500000000";
pub const SANDBOX_APP_NAME: &str = "Recupero";

/// The registration state: overrides and whether the app is subscribed to the WABA.
#[derive(Debug, Clone, Default)]
pub(super) struct Registration {
    phone_override: Option<String>,
    waba_override: Option<String>,
    subscribed: bool,
    /// Every verification GET the sandbox made: (uri, whether it succeeded).
    challenges: Vec<(String, bool)>,
}

fn param_error(message: &str) -> Rejection {
    let body = json!({"error": {"message": format!("(#100) {message}"), "type": "OAuthException", "code": 100,
        "fbtrace_id": "AsandboxTrace"}});
    Rejection { status: StatusCode::BAD_REQUEST, body }
}

fn verification_failed(detail: &str) -> Rejection {
    let message = format!("(#2200) Callback verification failed with the following errors: {detail}");
    let body = json!({"error": {"message": message, "type": "OAuthException", "code": 2200,
        "error_user_title": "Callback verification failed",
        "error_user_msg": format!("The URL couldn't be validated. {detail}"),
        "fbtrace_id": "AsandboxTrace"}});
    Rejection { status: StatusCode::BAD_REQUEST, body }
}

fn unsupported(method: &str, id: &str) -> Rejection {
    let message = format!("Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation");
    error(StatusCode::BAD_REQUEST, 100, &message, &message)
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Rejection> {
    if shared.authorized(headers) {
        Ok(())
    } else {
        let (title, details) = super::meta_text(190);
        Err(error(StatusCode::UNAUTHORIZED, 190, title, details))
    }
}

/// Meta's checks on an override before its GET: at most 200 characters, an absolute HTTPS URL.
fn check_uri(shared: &Shared, uri: &str) -> Result<(), Rejection> {
    if uri.chars().count() > 200 {
        return Err(param_error("Param override_callback_uri must be at most 200 characters long"));
    }
    let https = match url::Url::parse(uri) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" && u.host().is_some() => false,
        _ => return Err(param_error("Param override_callback_uri must be a valid URL")),
    };
    if !https && !shared.config.allow_http_callbacks {
        return Err(param_error("Param override_callback_uri must be a valid https URL"));
    }
    Ok(())
}

/// The verification GET (§4.1): 200 with exactly the challenge, or why not in Meta's words.
async fn verify(shared: &Shared, uri: &str, token: &str) -> Result<(), Rejection> {
    check_uri(shared, uri)?;
    let challenge = shared.lock().rng.u64(1_000_000_000..9_999_999_999).to_string();
    let outcome = challenge_get(&through_edge(shared, uri), token, &challenge).await;
    shared.lock().registration.challenges.push((uri.to_string(), outcome.is_ok()));
    outcome.map_err(|detail| verification_failed(&detail))
}

/// `uri` as the stand-in tunnel edge reaches it: `http://127.0.0.1:PORT` + its path and query
/// for a host the edge serves, else `uri` itself.
fn through_edge(shared: &Shared, uri: &str) -> String {
    let Ok(url) = url::Url::parse(uri) else { return uri.to_string() };
    let host = url.host_str().unwrap_or_default();
    let served =
        shared.config.tunnel_edge.iter().find(|(name, _)| {
            url.scheme() == "https" && (host == name || host.ends_with(&format!(".{name}")))
        });
    match served {
        Some((_, port)) => {
            let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("http://127.0.0.1:{port}{}{query}", url.path())
        }
        None => uri.to_string(),
    }
}

async fn challenge_get(uri: &str, token: &str, challenge: &str) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("facebookplatform/1.0 (+http://developers.facebook.com)")
        .build()
        .map_err(|e| {
            format!("curl_errno = 2; curl_error = {e}; HTTP Status Code = 0; HTTP Message = Unknown Response")
        })?;
    let mut url = url::Url::parse(uri)
        .map_err(|_| "HTTP Status Code = 0; HTTP Message = Unknown Response".to_string())?;
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.verify_token", token)
        .append_pair("hub.challenge", challenge);
    let answer = match http.get(url).send().await {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => {
            return Err("curl_errno = 28; curl_error = Operation timed out; HTTP Status Code = 0; HTTP Message = Unknown Response".into())
        }
        Err(_) => {
            return Err("curl_errno = 7; curl_error = Couldn't connect to server; HTTP Status Code = 0; HTTP Message = Unknown Response".into())
        }
    };
    let status = answer.status();
    if !status.is_success() {
        return Err(format!(
            "HTTP Status Code = {}; HTTP Message = {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Unknown")
        ));
    }
    let body = answer.text().await.unwrap_or_default();
    if body != challenge {
        let received: String = body.chars().take(60).collect();
        return Err(format!(
            "Response does not match challenge, expected value=\"{challenge}\", received=\"{received}\""
        ));
    }
    Ok(())
}

fn success() -> Response {
    json_response(StatusCode::OK, vec![], json!({"success": true}).to_string())
}

fn override_of(body: &Value) -> (String, String) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").trim().to_string();
    (text(body.get("override_callback_uri")), text(body.get("verify_token")))
}

/// `POST /{version}/{phone_number_id}` with `{"webhook_configuration": {override_callback_uri,
/// verify_token}}`: sets (after the GET challenge) or, with an empty URI, clears the override.
pub(super) async fn update_phone(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(answer) = authorize(&shared, &headers) {
        return answer.into_response();
    }
    if id != shared.config.phone_number_id {
        return unsupported("post", &id).into_response();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return param_error("Invalid JSON for postbody").into_response();
    };
    let Some(config) = body.get("webhook_configuration").filter(|c| c.is_object()) else {
        return param_error("The parameter webhook_configuration is required").into_response();
    };
    let (uri, token) = override_of(config);
    if uri.is_empty() {
        shared.lock().registration.phone_override = None;
        return success();
    }
    if token.is_empty() {
        return param_error("The parameter verify_token is required").into_response();
    }
    if let Err(answer) = verify(&shared, &uri, &token).await {
        return answer.into_response();
    }
    shared.lock().registration.phone_override = Some(uri);
    success()
}

/// `GET /{version}/{phone_number_id}?fields=webhook_configuration`: where this number's webhooks
/// go (`phone_number` only while an override is set).
pub(super) async fn read_phone(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(answer) = authorize(&shared, &headers) {
        return answer.into_response();
    }
    if id != shared.config.phone_number_id {
        return unsupported("get", &id).into_response();
    }
    let pairs = super::super::query_pairs(query.as_deref().unwrap_or(""));
    let fields = super::super::param(&pairs, "fields").unwrap_or("");
    let mut out = json!({"id": id});
    if fields.split(',').any(|f| f.trim() == "webhook_configuration") {
        let r = shared.lock().registration.clone();
        let mut config = json!({});
        if let Some(uri) = r.phone_override {
            config["phone_number"] = json!(uri);
        }
        if let Some(uri) = r.waba_override {
            config["whatsapp_business_account"] = json!(uri);
        }
        if !shared.config.app_callback_url.is_empty() {
            config["application"] = json!(shared.config.app_callback_url);
        }
        out["webhook_configuration"] = config;
    }
    super::coexistence::link_fields(&shared, fields, &mut out);
    json_response(StatusCode::OK, vec![], out.to_string())
}

/// `POST /{version}/{waba_id}/subscribed_apps`: subscribes the token's app (no body), or sets
/// a WABA-level override after its GET challenge.
pub(super) async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(answer) = authorize(&shared, &headers) {
        return answer.into_response();
    }
    if id != shared.config.business_account_id {
        return unsupported("post", &id).into_response();
    }
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return param_error("Invalid JSON for postbody").into_response(),
        }
    };
    let (uri, token) = override_of(&body);
    if !uri.is_empty() {
        if let Err(answer) = verify(&shared, &uri, &token).await {
            return answer.into_response();
        }
    }
    let mut inner = shared.lock();
    inner.registration.subscribed = true;
    inner.registration.waba_override = Some(uri).filter(|u| !u.is_empty());
    drop(inner);
    success()
}

/// `GET /{version}/{waba_id}/subscribed_apps`: the subscribed apps (`data` empty when none).
pub(super) async fn subscribed_apps(
    State(shared): State<Arc<Shared>>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(answer) = authorize(&shared, &headers) {
        return answer.into_response();
    }
    if id != shared.config.business_account_id {
        return unsupported("get", &id).into_response();
    }
    let r = shared.lock().registration.clone();
    let data: Vec<Value> = if r.subscribed {
        let mut app = json!({"whatsapp_business_api_data": {"id": SANDBOX_APP_ID,
            "link": format!("https://www.facebook.com/games/?app_id={SANDBOX_APP_ID}"), "name": SANDBOX_APP_NAME}});
        if let Some(uri) = r.waba_override {
            app["override_callback_uri"] = json!(uri);
        }
        vec![app]
    } else {
        Vec::new()
    };
    json_response(StatusCode::OK, vec![], json!({"data": data}).to_string())
}

impl WhatsAppSandbox {
    /// The phone number's callback override, as Meta has it now.
    pub fn phone_override(&self) -> Option<String> {
        self.shared.lock().registration.phone_override.clone()
    }

    /// Whether the app is subscribed to the business account.
    pub fn app_subscribed(&self) -> bool {
        self.shared.lock().registration.subscribed
    }

    /// Every verification GET made so far: (the URI, whether it passed).
    pub fn challenges(&self) -> Vec<(String, bool)> {
        self.shared.lock().registration.challenges.clone()
    }
}

#[cfg(test)]
mod tests;
