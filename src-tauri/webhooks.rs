//! The webhook receiver: a small axum server on 127.0.0.1 (the owner's tunnel forwards Meta's
//! HTTPS calls to it). Reference §4.1–4.5.
//!
//! - `GET /webhook/{secret}`: Meta's verification handshake (`hub.mode=subscribe`,
//!   `hub.verify_token`, `hub.challenge` → the challenge as the body).
//! - `POST /webhook/{secret}`: a delivery. The path's secret is unguessable and generated once.
//!   `X-Hub-Signature-256` must be the HMAC-SHA256 of the raw body under the app secret (checked
//!   in constant time): missing → 401, wrong → 403, and nothing is stored. With no app secret
//!   every delivery is unsigned and refused (401) unless the owner allows unsigned ones
//!   ([`Ingest::allow_unsigned`]); those are stored marked unsigned and only partly applied.
//!   Bad JSON → 400. Otherwise the raw bytes are committed to SQLite ([`Ingest`]) *before* the
//!   200: a crash after that loses nothing, and a crash before it makes Meta retry. Processing
//!   (`inbox::delivery`) happens after the answer.
//!
//! It holds under abuse: a wrong path is a 404 before any byte of the body is read; a request
//! whose headers don't arrive within [`Limits::header_read`] has its connection closed; a whole
//! request (body included) gets [`Limits::request`], then a 408; at most
//! [`Limits::concurrency`] requests run at once, the rest get a 503 at once (Meta retries).
//! Bodies over [`MAX_BODY`] are a 413, and nothing here panics on input.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
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
    /// May a delivery without a valid signature be stored while no app secret is set? Asked
    /// per delivery (the owner may change it while the receiver runs); it may block.
    fn allow_unsigned(&self) -> bool;
}

/// How much of the receiver one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A connection whose request headers don't arrive within this is closed.
    pub header_read: Duration,
    /// A whole request, its body included, or a 408.
    pub request: Duration,
    /// Requests handled at once; more are answered 503 at once.
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Meta answers in well under these; a slow tunnel gets some room.
        Limits { header_read: Duration::from_secs(10), request: Duration::from_secs(30), concurrency: 32 }
    }
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
    pub limits: Limits,
}

struct Shared {
    config: ReceiverConfig,
    sink: Arc<dyn Ingest>,
    running: Arc<tokio::sync::Semaphore>,
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

/// Why a delivery is refused before it is stored.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// No signature where one is required: 401.
    Unsigned,
    /// A signature that doesn't match: 403.
    WrongSignature,
}

/// Checks a delivery's signature. `Ok(true)`: signed; `Ok(false)`: unsigned, to be stored only
/// if the owner allows it. With an app secret set, a signature is always required (Meta always
/// signs): `allow_unsigned_webhooks` never lets an unsigned delivery past a configured secret.
fn check_signature(
    app_secret: Option<&Sensitive<String>>,
    body: &[u8],
    header: Option<&str>,
) -> Result<bool, Refusal> {
    match (app_secret, header) {
        (Some(secret), Some(_)) if signature_valid(secret.expose().as_bytes(), body, header) => Ok(true),
        (Some(_), Some(_)) => Err(Refusal::WrongSignature),
        (Some(_), None) => Err(Refusal::Unsigned),
        // No secret to check against: whatever the header says, it is unsigned.
        (None, _) => Ok(false),
    }
}

async fn deliver(
    State(shared): State<Arc<Shared>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    // The path first: a stranger's body is never read.
    if !same(secret.as_bytes(), shared.config.path.as_bytes()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(e) => {
            let timed_out =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| e.source())
                    .any(|e| e.is::<tower_http::timeout::TimeoutError>());
            tracing::warn!(error = %e, "webhook refused: body not read");
            return if timed_out {
                StatusCode::REQUEST_TIMEOUT.into_response()
            } else {
                (StatusCode::PAYLOAD_TOO_LARGE, "body too large or cut").into_response()
            };
        }
    };
    let app_secret =
        shared.config.app_secret.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    let signed = match check_signature(app_secret.as_ref(), &body, header) {
        Ok(signed) => signed,
        Err(refusal) => {
            tracing::warn!(bytes = body.len(), signed = header.is_some(), "webhook refused: {refusal:?}");
            return match refusal {
                Refusal::Unsigned => (StatusCode::UNAUTHORIZED, "missing signature").into_response(),
                Refusal::WrongSignature => (StatusCode::FORBIDDEN, "invalid signature").into_response(),
            };
        }
    };
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        tracing::warn!(bytes = body.len(), error = %e, "webhook refused: not JSON");
        return (StatusCode::BAD_REQUEST, "invalid JSON").into_response();
    }
    let sink = shared.sink.clone();
    let stored = tokio::task::spawn_blocking(move || {
        if !signed && !sink.allow_unsigned() {
            return Ok(None);
        }
        sink.ingest(&body, signed).map(Some)
    })
    .await;
    match stored {
        Ok(Ok(Some(_new))) => {}
        Ok(Ok(None)) => {
            tracing::warn!(
                "webhook refused: unsigned and no app secret set (set whatsapp_app_secret, or allow_unsigned_webhooks at your own risk)"
            );
            return (StatusCode::UNAUTHORIZED, "missing signature").into_response();
        }
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

/// At most [`Limits::concurrency`] requests at once; the next one is told to come back (503)
/// instead of queueing behind a slow client.
async fn at_most(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Ok(_permit) = shared.running.clone().try_acquire_owned() else {
        tracing::warn!("webhook receiver busy: a request refused with 503");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    next.run(request).await
}

/// The receiver's routes and limits, without a socket: what answers each request (the fuzz
/// target `fuzzing::webhook_router` drives it directly).
pub(crate) fn app(config: ReceiverConfig, sink: Arc<dyn Ingest>) -> Router {
    let limits = config.limits;
    let running = Arc::new(tokio::sync::Semaphore::new(limits.concurrency.max(1)));
    let shared = Arc::new(Shared { config, sink, running });
    Router::new()
        .route("/webhook/{secret}", get(verify).post(deliver))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.request))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), at_most))
        .with_state(shared)
}

/// Starts the receiver on 127.0.0.1:`config.port` (0: any free port).
pub async fn start(config: ReceiverConfig, sink: Arc<dyn Ingest>) -> std::io::Result<Receiver> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    let addr = listener.local_addr()?;
    let limits = config.limits;
    let app = app(config, sink);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, app, limits, stopped));
    tracing::info!(%addr, "webhook receiver listening");
    Ok(Receiver { addr, stop: Some(stop) })
}

/// The accept loop: hyper's HTTP/1 with a timer, so a connection that never finishes its
/// headers is closed; on stop, no new connection, and the open ones finish their request.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "webhook receiver could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "webhook connection ended");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.request, graceful.shutdown()).await;
}

#[cfg(test)]
mod tests;
