//! The registration endpoints as Meta serves them: auth and unknown ids refused with Meta's
//! envelope, an override accepted only when the GET challenge is echoed with the right token,
//! read back, cleared; the app's subscription and a WABA-level override.

use std::sync::Arc;

use axum::extract::Query;
use axum::routing::get;
use serde_json::{json, Value};

use super::super::{WhatsAppSandbox, WhatsAppSandboxConfig};
use crate::clock::TestClock;

const TOKEN: &str = "verify-me-0123456789";

/// A callback on loopback: echoes `hub.challenge` when the token is [`TOKEN`] (`honest`), or
/// always answers 200 "nope".
async fn callback(honest: bool) -> String {
    let app = axum::Router::new().route(
        "/hook",
        get(move |Query(q): Query<std::collections::HashMap<String, String>>| async move {
            match (honest, q.get("hub.verify_token").map(String::as_str)) {
                (true, Some(TOKEN)) if q.get("hub.mode").map(String::as_str) == Some("subscribe") => {
                    (axum::http::StatusCode::OK, q.get("hub.challenge").cloned().unwrap_or_default())
                }
                (true, _) => (axum::http::StatusCode::FORBIDDEN, String::new()),
                (false, _) => (axum::http::StatusCode::OK, "nope".to_string()),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

async fn sandbox(allow_http: bool) -> WhatsAppSandbox {
    let clock =
        TestClock::at(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 20, 13, 0, 0).unwrap());
    let config = WhatsAppSandboxConfig { allow_http_callbacks: allow_http, ..Default::default() };
    WhatsAppSandbox::start(config, Arc::new(clock), 0).await.unwrap()
}

async fn call(
    wa: &WhatsAppSandbox,
    method: &str,
    path: &str,
    body: Option<Value>,
    auth: bool,
) -> (u16, Value) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/v25.0/{path}", wa.base_url());
    let mut request = if method == "GET" { http.get(url) } else { http.post(url) };
    if auth {
        request = request.bearer_auth(&wa.config().token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null))
}

fn override_body(uri: &str, token: &str) -> Value {
    json!({"webhook_configuration": {"override_callback_uri": uri, "verify_token": token}})
}

#[tokio::test]
async fn an_override_needs_the_token_the_right_object_and_an_echoed_challenge() {
    let wa = sandbox(true).await;
    let phone = wa.config().phone_number_id.clone();
    let uri = callback(true).await;
    let (status, body) = call(&wa, "POST", &phone, Some(override_body(&uri, TOKEN)), false).await;
    assert_eq!((status, body["error"]["code"].clone()), (401, json!(190)));
    let (status, body) = call(&wa, "POST", "999", Some(override_body(&uri, TOKEN)), true).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    assert!(body["error"]["message"].as_str().unwrap().contains("Unsupported post request"));
    // The callback refuses another token: Meta's 2200 with the HTTP status it got.
    let (status, body) = call(&wa, "POST", &phone, Some(override_body(&uri, "wrong-token")), true).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(2200)));
    assert!(body["error"]["message"].as_str().unwrap().contains("HTTP Status Code = 403"), "{body}");
    // Something answers 200 without the challenge.
    let liar = callback(false).await;
    let (_, body) = call(&wa, "POST", &phone, Some(override_body(&liar, TOKEN)), true).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("does not match challenge"), "{body}");
    assert_eq!(wa.phone_override(), None, "no failed check changes anything");
    // The right token: accepted, read back, then cleared.
    let (status, body) = call(&wa, "POST", &phone, Some(override_body(&uri, TOKEN)), true).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let (_, read) = call(&wa, "GET", &format!("{phone}?fields=webhook_configuration"), None, true).await;
    assert_eq!(read["webhook_configuration"]["phone_number"], uri.as_str());
    call(&wa, "POST", &phone, Some(override_body("", "")), true).await;
    let (_, read) = call(&wa, "GET", &format!("{phone}?fields=webhook_configuration"), None, true).await;
    assert_eq!(read["webhook_configuration"].get("phone_number"), None);
    assert_eq!(wa.challenges().iter().map(|(_, ok)| *ok).collect::<Vec<_>>(), [false, false, true]);
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed_and_so_are_long_uris() {
    let wa = sandbox(false).await;
    let phone = wa.config().phone_number_id.clone();
    let uri = callback(true).await;
    let (status, body) = call(&wa, "POST", &phone, Some(override_body(&uri, TOKEN)), true).await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    assert!(body["error"]["message"].as_str().unwrap().contains("https"), "{body}");
    let long = format!("https://x.example/{}", "a".repeat(200));
    let (_, body) = call(&wa, "POST", &phone, Some(override_body(&long, TOKEN)), true).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("200 characters"), "{body}");
    assert!(wa.challenges().is_empty(), "refused before any request");
}

#[tokio::test]
async fn the_app_subscribes_to_the_business_account_with_or_without_an_override() {
    let wa = sandbox(true).await;
    let waba = format!("{}/subscribed_apps", wa.config().business_account_id);
    assert_eq!(call(&wa, "GET", &waba, None, true).await, (200, json!({"data": []})));
    assert_eq!(call(&wa, "POST", &waba, None, true).await, (200, json!({"success": true})));
    let (_, list) = call(&wa, "GET", &waba, None, true).await;
    assert_eq!(list["data"][0]["whatsapp_business_api_data"]["name"], super::SANDBOX_APP_NAME);
    assert!(wa.app_subscribed());
    let uri = callback(true).await;
    let body = json!({"override_callback_uri": uri, "verify_token": TOKEN});
    assert_eq!(call(&wa, "POST", &waba, Some(body), true).await.0, 200);
    let (_, list) = call(&wa, "GET", &waba, None, true).await;
    assert_eq!(list["data"][0]["override_callback_uri"], uri.as_str());
    let (status, _) = call(&wa, "GET", "999/subscribed_apps", None, true).await;
    assert_eq!(status, 400);
}
