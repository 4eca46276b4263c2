//! Targets that need the database or the receiver: a webhook delivery applied to a migrated
//! in-memory database, the receiver's answer to any request, and the inbox search. Each input's
//! changes are rolled back, so every input meets the same state.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::text;
use crate::i18n::Lang;
use crate::inbox::delivery::{apply, Routing};
use crate::secrets::Sensitive;
use crate::storage::{conversations, migrations};
use crate::webhooks::{self, Ingest, Limits, ReceiverConfig};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).single().expect("a valid date")
}

fn routing(signed: bool) -> Routing {
    Routing {
        phone_number_id: None,
        escalation_keywords: vec!["gerente".into(), "reembolso ya".into()],
        shop_lang: Lang::Es,
        signed,
    }
}

/// A migrated in-memory database, as `Db::open` leaves a new one.
fn migrated() -> Connection {
    let mut conn = Connection::open_in_memory().expect("an in-memory database");
    conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys on");
    migrations::migrate(&mut conn).expect("the migrations apply");
    conn
}

thread_local! {
    static DELIVERY_DB: RefCell<Connection> = RefCell::new(migrated());
    static SEARCH_DB: RefCell<Connection> = RefCell::new(searchable());
}

/// `inbox::delivery::apply` on the whole input as a stored delivery's body: signed, then again
/// (a duplicate changes nothing: no second inbound message), then unsigned (never an automatic
/// answer, a takeover or a pause). Only storage errors are errors, and there must be none.
pub fn webhook_delivery(data: &[u8]) {
    DELIVERY_DB.with(|db| {
        let conn = db.borrow();
        let tx = conn.unchecked_transaction().expect("a transaction");
        let (outcome, _) = apply(&tx, data, &routing(true), now()).expect("no storage error");
        assert!(!outcome.is_empty());
        let (_, again) = apply(&tx, data, &routing(true), now()).expect("no storage error");
        assert!(again.inbound.is_empty(), "a duplicate delivery stored a message again: {again:?}");
        drop(tx);
        let tx = conn.unchecked_transaction().expect("a transaction");
        let (_, fx) = apply(&tx, data, &routing(false), now()).expect("no storage error");
        assert!(!fx.replies_queued && fx.takeovers.is_empty() && !fx.paused, "unsigned delivery did {fx:?}");
    });
}

/// A database with a few customers' threads to search: names and words with accents, emoji,
/// right-to-left script, and a number.
fn searchable() -> Connection {
    let conn = migrated();
    let people = [
        ("5491123456789", "José Pérez", "¿Tienen la remera en talle M? 🙏"),
        ("5511912345678", "Ana Luíza", "Não quero mais mensagens, obrigada"),
        ("525512345678", "محمد", "hola, ¿el envío a Córdoba cuánto tarda?"),
        ("14155550100", "Bob \"Bobby\" O'Neil", "50% off? use code ANA20 * NEAR(x) AND y"),
    ];
    for (i, (wa_id, name, body)) in people.iter().enumerate() {
        let delivery = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": "1"},
            "contacts": [{"wa_id": wa_id, "profile": {"name": name}}],
            "messages": [{"from": wa_id, "id": format!("wamid.seed{i}"),
                "timestamp": (now().timestamp() - 60).to_string(), "type": "text", "text": {"body": body}}]
        }}]}]});
        let body = serde_json::to_vec(&delivery).expect("JSON");
        apply(&conn, &body, &routing(true), now()).expect("a seed delivery applies");
    }
    let threads = conversations::inbox(&conn, 10).expect("the inbox reads").len();
    assert_eq!(threads, people.len(), "every seed customer has a thread to search");
    conn
}

/// The inbox search on the whole input as typed: never an error (no FTS5 syntax reaches SQLite),
/// at most the asked number of rows, and only threads the inbox holds.
pub fn inbox_search(data: &[u8]) {
    let query = text(data);
    SEARCH_DB.with(|db| {
        let conn = db.borrow();
        let all = conversations::inbox(&conn, 100).expect("the inbox reads");
        let found = conversations::search(&conn, Some(&query), 3).expect("any search text is accepted");
        assert!(found.len() <= 3);
        assert!(found.iter().all(|r| all.iter().any(|a| a.id == r.id)));
    });
}

const SECRET_PATH: &str = "the-secret-path-0123456789abcdef";
const VERIFY_TOKEN: &str = "verify-token-0123";
const APP_SECRET: &str = "app-secret";

/// Counts what the receiver stores.
#[derive(Default)]
struct Sink {
    stored: AtomicUsize,
    unsigned_ok: AtomicBool,
}

impl Ingest for Sink {
    fn ingest(&self, _body: &[u8], _signed: bool) -> Result<bool, String> {
        self.stored.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }
    fn stored(&self) {}
    fn allow_unsigned(&self) -> bool {
        self.unsigned_ok.load(Ordering::SeqCst)
    }
}

struct Receiver {
    runtime: tokio::runtime::Runtime,
    /// (app, its sink, whether it has an app secret)
    apps: Vec<(axum::Router, Arc<Sink>, bool)>,
}

fn receiver() -> Receiver {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let apps = [(true, false), (false, true), (false, false)]
        .into_iter()
        .map(|(secret, unsigned_ok)| {
            let sink =
                Arc::new(Sink { stored: AtomicUsize::new(0), unsigned_ok: AtomicBool::new(unsigned_ok) });
            let config = ReceiverConfig {
                port: 0,
                path: SECRET_PATH.into(),
                verify_token: VERIFY_TOKEN.into(),
                app_secret: Arc::new(std::sync::RwLock::new(
                    secret.then(|| Sensitive::new(APP_SECRET.into())),
                )),
                ack_delay: None,
                limits: Limits::default(),
            };
            (webhooks::app(config, sink.clone()), sink, secret)
        })
        .collect();
    Receiver { runtime, apps }
}

thread_local! {
    static RECEIVER: Receiver = receiver();
}

/// The receiver's answer to one request: first line `METHOD /path?query`, then header lines up
/// to an empty line, then the body. A signature header `sha256=VALID` is replaced by the body's
/// real signature. Each request goes to a receiver with an app secret, one allowing unsigned
/// deliveries and one refusing them. Never a 5xx; a 200 to a POST means exactly one delivery
/// stored, valid JSON, and (with a secret) a valid signature; any other answer stores nothing;
/// a 200 to a GET is the handshake's challenge for the right token.
pub fn webhook_router(data: &[u8]) {
    let Some((head, rest)) = split_line(data) else { return };
    let Ok(head) = std::str::from_utf8(head) else { return };
    let Some((method, target)) = head.split_once(' ') else { return };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else { return };
    let mut headers = Vec::new();
    let mut body = rest;
    while let Some((line, after)) = split_line(body) {
        body = after;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) else {
            continue;
        };
        headers.push((name, value));
    }
    RECEIVER.with(|r| {
        for (app, sink, has_secret) in &r.apps {
            let mut request = Request::builder().method(method.clone()).uri(target);
            for (name, value) in &headers {
                let value = if name == "x-hub-signature-256" && value == "sha256=VALID" {
                    HeaderValue::from_str(&webhooks::sign(APP_SECRET.as_bytes(), body)).expect("hex")
                } else {
                    value.clone()
                };
                request = request.header(name, value);
            }
            let Ok(request) = request.body(Body::from(body.to_vec())) else { return };
            let before = sink.stored.load(Ordering::SeqCst);
            let signature = request.headers().get("x-hub-signature-256").and_then(|v| v.to_str().ok());
            let signed = webhooks::signature_valid(APP_SECRET.as_bytes(), body, signature);
            let query = request.uri().query().unwrap_or_default().to_string();
            let (status, answer) = r.runtime.block_on(answer(app.clone(), request));
            let stored = sink.stored.load(Ordering::SeqCst) - before;
            assert!(!status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE, "{status}");
            let ok = status == StatusCode::OK;
            if ok && method == Method::POST {
                assert_eq!(stored, 1, "a 200 without a stored delivery");
                assert!(serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok(), "stored non-JSON");
                assert!(!has_secret || signed, "an unsigned delivery got past the app secret");
            } else {
                assert_eq!(stored, 0, "a delivery stored under a {status}");
            }
            if ok && method == Method::GET {
                let pairs: Vec<(String, String)> =
                    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
                let has = |k: &str, v: &[u8]| pairs.iter().any(|(n, x)| n == k && x.as_bytes() == v);
                assert!(has("hub.verify_token", VERIFY_TOKEN.as_bytes()), "a handshake without the token");
                assert!(
                    has("hub.mode", b"subscribe") && has("hub.challenge", &answer),
                    "{answer:?} for {query:?}"
                );
            }
        }
    });
}

async fn answer(app: axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    use hyper::service::Service as _;
    let service = hyper_util::service::TowerToHyperService::new(app);
    let response = match service.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), webhooks::MAX_BODY).await.unwrap_or_default();
    (status, body.to_vec())
}

fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = data.iter().position(|b| *b == b'\n')?;
    let line = &data[..at];
    Some((line.strip_suffix(b"\r").unwrap_or(line), &data[at + 1..]))
}
