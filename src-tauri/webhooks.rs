//! The webhook receiver: a small axum server on 127.0.0.1 (the owner's tunnel forwards Meta's
//! HTTPS calls to it). Reference §4.1–4.5.
//!
//! - `GET /webhook/{secret}`: Meta's verification handshake (`hub.mode=subscribe`,
//!   `hub.verify_token`, `hub.challenge` → the challenge as the body).
//! - `POST /webhook/{secret}`: a delivery. The path's secret is unguessable and generated once;
//!   when an app secret is set, `X-Hub-Signature-256` must be the HMAC-SHA256 of the raw body
//!   (checked in constant time) or nothing is stored. Bad JSON → 400. Otherwise the raw bytes are
//!   committed to SQLite ([`Ingest`]) *before* the 200: a crash after that loses nothing, and a
//!   crash before it makes Meta retry. Processing (`inbox::delivery`) happens after the answer.
//!
//! Any other path is a 404, bodies over [`MAX_BODY`] a 413, and nothing here panics on input.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::Sensitive;

/// Meta's payloads are up to 3 MB; a little more is accepted, nothing beyond.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Where stored deliveries go: the engine commits them to SQLite.
pub trait Ingest: Send + Sync + 'static {
    /// Commits the raw body. `Ok(true)`: new; `Ok(false)`: a repeat of a stored one.
    fn ingest(&self, body: &[u8], signed: bool) -> Result<bool, String>;
    /// Called after a delivery was stored and answered: time to process.
    fn stored(&self);
}

/// The app secret as the receiver reads it on every delivery.
pub type AppSecret = Arc<std::sync::RwLock<Option<Sensitive<String>>>>;

#[derive(Clone)]
pub struct ReceiverConfig {
    pub port: u16,
    /// The secret path segment.
    pub path: String,
    pub verify_token: String,
    /// Meta's app secret: when set, every POST must carry a valid signature. Shared with the
    /// engine, so a secret set while the receiver runs applies to the next delivery.
    pub app_secret: AppSecret,
    /// Test knob (debug builds only): wait this long between storing and answering, so a test
    /// can kill the process in that gap.
    pub ack_delay: Option<Duration>,
}

struct Shared {
    config: ReceiverConfig,
    sink: Arc<dyn Ingest>,
}

/// A running receiver; dropping it stops the server.
pub struct Receiver {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The local address of the receiver, with its secret path.
pub fn local_url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}/webhook/{path}")
}

/// Compares two byte strings in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Is `header` (`sha256=<hex>`) the HMAC-SHA256 of `body` under `secret`? Constant time.
pub fn signature_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The `X-Hub-Signature-256` value for a body (the sandbox and tests sign with it).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(serde::Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn verify(
    State(shared): State<Arc<Shared>>,
    Path(secret): Path<String>,
    Query(q): Query<Handshake>,
) -> Response {
    if !same(secret.as_bytes(), shared.config.path.as_bytes()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let token_ok =
        q.verify_token.as_deref().is_some_and(|t| same(t.as_bytes(), shared.config.verify_token.as_bytes()));
    match (q.mode.as_deref(), q.challenge) {
        (Some("subscribe"), Some(challenge)) if token_ok => {
            tracing::info!("webhook verification handshake answered");
            (StatusCode::OK, challenge).into_response()
        }
        _ => {
            tracing::warn!("webhook verification refused: wrong verify token or mode");
            StatusCode::FORBIDDEN.into_response()
        }
    }
}

async fn deliver(
    State(shared): State<Arc<Shared>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same(secret.as_bytes(), shared.config.path.as_bytes()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let app_secret =
        shared.config.app_secret.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let signed = match &app_secret {
        Some(app_secret) => {
            let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
            if !signature_valid(app_secret.expose().as_bytes(), &body, header) {
                tracing::warn!(
                    bytes = body.len(),
                    signed = header.is_some(),
                    "webhook refused: bad or missing signature"
                );
                return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
            }
            true
        }
        None => false,
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        tracing::warn!(bytes = body.len(), error = %e, "webhook refused: not JSON");
        return (StatusCode::BAD_REQUEST, "invalid JSON").into_response();
    }
    let sink = shared.sink.clone();
    let stored = tokio::task::spawn_blocking(move || sink.ingest(&body, signed)).await;
    match stored {
        Ok(Ok(_new)) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not store a webhook; Meta will retry");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook store task failed; Meta will retry");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    if let Some(delay) = shared.config.ack_delay {
        tokio::time::sleep(delay).await;
    }
    shared.sink.stored();
    (StatusCode::OK, "EVENT_RECEIVED").into_response()
}

/// Starts the receiver on 127.0.0.1:`config.port` (0: any free port).
pub async fn start(config: ReceiverConfig, sink: Arc<dyn Ingest>) -> std::io::Result<Receiver> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared { config, sink });
    let app = Router::new()
        .route("/webhook/{secret}", get(verify).post(deliver))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "webhook receiver stopped");
        }
    });
    tracing::info!(%addr, "webhook receiver listening");
    Ok(Receiver { addr, stop: Some(stop) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_raw_bytes() {
        let body =
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"text":"\u00e4"}}]}]}"#;
        let header = sign(b"app-secret", body);
        assert!(signature_valid(b"app-secret", body, Some(&header)));
        assert!(!signature_valid(b"other-secret", body, Some(&header)));
        assert!(!signature_valid(b"app-secret", b"{}", Some(&header)));
        assert!(!signature_valid(b"app-secret", body, None));
        assert!(!signature_valid(b"app-secret", body, Some("sha256=zz")));
        assert!(!signature_valid(b"app-secret", body, Some(header.trim_start_matches("sha256="))));
    }

    #[test]
    fn constant_time_compare() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
