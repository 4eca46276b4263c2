//! The sandbox WhatsApp: a faithful stand-in for Meta's WhatsApp Cloud API, served on loopback,
//! so tests and the demo exercise the same requests, answers, errors and webhooks the app meets
//! in production — without a Meta account, a phone or the internet.
//!
//! What it imitates (the § numbers are those of the project's WhatsApp research notes,
//! `reference/whatsapp.md`, which cite Meta's pages):
//! - **Sending** (§1.3–1.5): `POST /{version}/{phone_number_id}/messages` with a bearer token (or
//!   a partner's raw-key header, [`WhatsAppSandboxConfig::auth_header`]). Template and free-text
//!   messages are validated the way Meta does — unknown or unapproved template (132001, HTTP 404),
//!   wrong parameter count (132000), missing URL-button parameter (131008), missing image header
//!   (132012), free text outside the customer's 24 h window (131047, §2.1), a malformed number
//!   (100) — each with Meta's error envelope (§6.4). An accepted message gets a wamid and Meta's
//!   `{messaging_product, contacts, messages}` answer, whose `wa_id` drops Argentina's mobile `9`
//!   and Mexico's `1` as real WhatsApp does.
//! - **Templates** (§3.1–3.2): `GET` and `POST /{version}/{waba_id}/message_templates`, with
//!   Meta's `components`, filters and paging; a created template is PENDING until
//!   [`WhatsAppSandboxConfig::approve_after`] of sandbox-clock time has passed.
//! - **Webhooks** (§4.2–4.4, §5.4): every accepted message gets `sent` → `delivered` → `read`
//!   status webhooks, signed with `X-Hub-Signature-256` over the exact bytes (non-ASCII escaped as
//!   `\uXXXX`, like Meta), retried with back-off until the receiver answers 200; optionally
//!   duplicated, out of order or failed ([`DeliveryBehaviour`]). Simulated customers write, tap
//!   buttons and react, and the owner writes from the phone app (`smb_message_echoes`).
//! - **Usernames** (§1.6, §10): a customer with a WhatsApp username and no number writes with
//!   only a business-scoped user id (BSUID); a send may address a BSUID in `recipient`.
//! - **Webhook registration** (§4.1, §4.6–4.7): the phone number's callback override and the
//!   app's subscription to the business account, each override accepted only after Meta's
//!   verification GET succeeds (HTTPS only unless [`WhatsAppSandboxConfig::allow_http_callbacks`]).
//! - **Coexistence** (§5.1, §5.3–5.5): `is_on_biz_app`/`platform_type` on the phone number, the
//!   one-time `smb_app_data` contact and history sync with Meta's refusals (2593107/08/09) and
//!   the `smb_app_state_sync` and `history` webhooks that follow; the link can be dropped.
//! - **Media** (Meta's *Media* reference, the Resumable Upload API): multipart uploads with
//!   Meta's type and size limits and errors, media ids that read back and expire after 30 days,
//!   the handle a template's image example needs; a send's image header must name a live id
//!   (`media.rs`).
//! - **Faults** for tests and the demo: the next send can get any Meta error code, or be
//!   accepted with its answer lost (the message left but the app never hears its wamid — the case
//!   the outbox must never resend).
//!
//! It records every message it accepted ([`WhatsAppSandbox::messages`]), so tests and the demo
//! can count exactly what a customer would have received, and every webhook it POSTed
//! ([`WhatsAppSandbox::deliveries`]).
//!
//! Time: every timestamp comes from the sandbox's [`Clock`] (a test clock in tests and the demo);
//! only the webhook retry back-off and [`WhatsAppSandbox::flush`]'s timeout use real time.
//!
//! Where it is simpler than Meta, knowingly: free text outside the window is refused at once
//! (131047, HTTP 400; Meta may also accept it and fail it by webhook); a number without `+` is
//! taken as international (Meta prepends the business's country code); only template and text
//! messages are served (other types get 131051); webhooks go one at a time in queue order, each
//! status in its own POST; template-creation subcodes (2388023/24/40/43/47/72/73/299) follow
//! Meta's error list and errors seen in the wild, not a published schema.

mod coexistence;
mod customers;
mod media;
mod registration;
mod send;
mod templates;
mod webhooks;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};

use super::json_response;
use crate::clock::Clock;

pub use coexistence::PastThread;
pub use customers::{Customer, ReplyKind, SimulatedReply};
pub use media::StoredMedia;
pub use registration::{SANDBOX_APP_ID, SANDBOX_APP_NAME};
pub use templates::{
    default_templates, image_variant_templates, TemplateDefinition, TemplateHeader, UrlButton,
};
pub use webhooks::{Delivery, DeliveryBehaviour, WebhookTarget};

/// The recovery template's name in the sandbox (and the default setting).
pub const TEMPLATE: &str = "recupero_carrito";

/// The image variant's name in the sandbox (and the default `reminder_image_template`).
pub const IMAGE_TEMPLATE: &str = "recupero_carrito_foto";

/// The default template's URL button: the store's address with the cart's path as `{{1}}`.
pub const DEFAULT_BUTTON_URL: &str = "https://tienda-sandbox.mitiendanube.com/{{1}}";

#[derive(Debug, Clone)]
pub struct WhatsAppSandboxConfig {
    pub phone_number_id: String,
    pub business_account_id: String,
    pub token: String,
    /// Each send waits a random time up to this long before answering (crash tests).
    pub max_latency: std::time::Duration,
    /// The business number as WhatsApp shows it (digits only): webhook `metadata` and echoes.
    pub display_phone_number: String,
    /// The URL of the default template's button; ends in `{{1}}`, the part each send fills.
    pub button_url: String,
    /// The templates at start; `None` is [`TEMPLATE`] in eight languages ([`default_templates`]).
    pub templates: Option<Vec<TemplateDefinition>>,
    /// How long (sandbox-clock time) a template created through the API stays PENDING.
    pub approve_after: Duration,
    /// Partner endpoints (360dialog's `D360-API-KEY`) take the raw token in this header instead
    /// of `Authorization: Bearer`.
    pub auth_header: Option<String>,
    /// Numbers (digits) without WhatsApp: sends to them are accepted, then fail with 131026 by
    /// webhook, as on Meta.
    pub not_on_whatsapp: Vec<String>,
    /// Accept `http://` callback overrides (loopback tests); Meta, and the sandbox by default,
    /// accept only HTTPS.
    pub allow_http_callbacks: bool,
    /// The Meta app's default callback (`webhook_configuration.application`); empty: none shown.
    pub app_callback_url: String,
    /// A stand-in for a tunnel's edge (the tunnel tests): a callback on `https://` a host equal
    /// to or under one of these names is checked over plain http on that loopback port (what
    /// Cloudflare's edge does through the tunnel), so nothing leaves the machine.
    pub tunnel_edge: Vec<(String, u16)>,
}

impl Default for WhatsAppSandboxConfig {
    fn default() -> Self {
        WhatsAppSandboxConfig {
            phone_number_id: "1055500000000".into(),
            business_account_id: "2055500000000".into(),
            token: "sandbox-whatsapp-token".into(),
            max_latency: std::time::Duration::ZERO,
            display_phone_number: "5491155550000".into(),
            button_url: DEFAULT_BUTTON_URL.into(),
            templates: None,
            approve_after: Duration::minutes(10),
            auth_header: None,
            not_on_whatsapp: Vec::new(),
            allow_http_callbacks: false,
            app_callback_url: String::new(),
            tunnel_edge: Vec::new(),
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
    /// The number as the request gave it (or the BSUID, for a send addressed to one).
    pub to: String,
    /// The template's name (empty for free text).
    pub template: String,
    /// The template's language (empty for free text).
    pub language: String,
    /// Body parameters, in placeholder order.
    pub body: Vec<String>,
    pub button_suffix: Option<String>,
    pub callback_data: Option<String>,
    pub at: DateTime<Utc>,
    /// `"template"` or `"text"`.
    pub kind: String,
    /// The body of a free-text message.
    pub text: Option<String>,
    /// A template's image header as sent: `id:<media id>` (uploaded) or `link:<url>`.
    pub header_image: Option<String>,
}

struct Inner {
    messages: Vec<ReceivedMessage>,
    faults: VecDeque<WaFault>,
    templates: Vec<TemplateDefinition>,
    /// Outbound wamids, inbound wamids and template ids are numbered from these.
    next: u64,
    next_inbound: u64,
    next_template_id: u64,
    /// When each customer (by wa_id) last wrote: their 24 h window runs from there.
    last_inbound: HashMap<String, DateTime<Utc>>,
    webhook: Option<WebhookTarget>,
    delivery: DeliveryBehaviour,
    rng: fastrand::Rng,
    /// Every webhook queued, in order; the delivery task works through their indexes.
    deliveries: Vec<Delivery>,
    /// Queued and not yet acknowledged with a 200.
    pending: usize,
    /// Callback overrides and the app's subscription (§4.6–4.7).
    registration: registration::Registration,
    /// The phone's side of Coexistence (§5): linked or not, its address book and past chats.
    phone: coexistence::Phone,
    /// Uploaded media and resumable upload sessions (the Media API).
    media: media::MediaStore,
}

struct Shared {
    config: WhatsAppSandboxConfig,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
    /// Indexes into `Inner::deliveries`, for the delivery task.
    queue: mpsc::UnboundedSender<usize>,
    /// Woken whenever a webhook is acknowledged, for `flush`.
    settled: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The request carries the token where this sandbox expects it.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let token = self.config.token.as_str();
        match &self.config.auth_header {
            Some(name) => {
                headers.get(name.as_str()).and_then(|v| v.to_str().ok()).is_some_and(|t| t == token)
            }
            None => headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|t| t == token),
        }
    }
}

pub struct WhatsAppSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    /// Dropping it ends the webhook delivery task.
    _stop_delivery: oneshot::Sender<()>,
}

/// An error answer: a JSON body and its HTTP status. Small, so checks can return it in `Err`.
struct Rejection {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        json_response(self.status, vec![], self.body.to_string())
    }
}

/// Meta's error envelope (§6.4): `{"error":{message, type, code, error_data{details}, fbtrace_id}}`.
fn error(status: StatusCode, code: i64, title: &str, details: &str) -> Rejection {
    let body = json!({"error": {"message": format!("(#{code}) {title}"), "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "AsandboxTrace"}});
    Rejection { status, body }
}

/// Meta's wording for the codes the sandbox produces: (title, details). The title is the
/// synchronous `message` after `(#code)`, and the `title` of a webhook error.
fn meta_text(code: i64) -> (&'static str, &'static str) {
    match code {
        100 => ("Invalid parameter", "Invalid parameter"),
        130429 => ("Rate limit hit", "Cloud API message throughput has been reached."),
        131000 => ("Something went wrong", "Something went wrong"),
        131008 => ("Required parameter is missing", "Required parameter is missing"),
        131026 => ("Message undeliverable", "Message Undeliverable."),
        131047 => (
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131049 => (
            "This message was not delivered to maintain healthy ecosystem engagement.",
            "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
        ),
        131050 => (
            "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
            "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
        ),
        131056 => (
            "(Business Account, Consumer Account) pair rate limit hit",
            "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
        ),
        132000 => (
            "Number of parameters does not match the expected number of params",
            "Number of parameters does not match the expected number of params",
        ),
        132001 => ("Template name does not exist in the translation", "Template name does not exist in the translation"),
        132012 => (
            "Parameter format does not match format in the created template",
            "Parameter format does not match format in the created template",
        ),
        132015 => ("Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message."),
        132016 => ("Template is disabled", "Template has been paused too many times due to low quality and is now permanently disabled."),
        190 => ("Error validating access token: Session has expired.", "Error validating access token: Session has expired."),
        _ => ("Something went wrong", "Something went wrong"),
    }
}

/// An injected fault's answer: HTTP 400 (Meta answers 400 even for throttling), 401 for 190.
fn fault_error(code: i64) -> Rejection {
    let status = if code == 190 { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let (title, details) = meta_text(code);
    error(status, code, title, details)
}

/// WhatsApp's id for a number: its digits, without Argentina's mobile `9` (`+54 9 11…` →
/// `5411…`) or Mexico's mobile `1` (`+52 1 55…` → `5255…`), as real WhatsApp answers.
pub fn wa_id(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    for (prefix, country) in [("549", "54"), ("521", "52")] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            if rest.len() == 10 {
                return format!("{country}{rest}");
            }
        }
    }
    digits
}

impl WhatsAppSandbox {
    pub async fn start(
        config: WhatsAppSandboxConfig,
        clock: Arc<dyn Clock>,
        port: u16,
    ) -> std::io::Result<WhatsAppSandbox> {
        let mut templates = config.templates.clone().unwrap_or_else(|| default_templates(&config.button_url));
        for (i, t) in templates.iter_mut().enumerate().filter(|(_, t)| t.id.is_empty()) {
            t.id = (805_550_000_000_001 + i as u64).to_string();
        }
        let (queue, queued) = mpsc::unbounded_channel();
        let next_template_id = 805_550_000_000_001 + templates.len() as u64;
        let shared = Arc::new(Shared {
            config,
            clock,
            inner: Mutex::new(Inner {
                messages: Vec::new(),
                faults: VecDeque::new(),
                templates,
                next: 0,
                next_inbound: 0,
                next_template_id,
                last_inbound: HashMap::new(),
                webhook: None,
                delivery: DeliveryBehaviour::default(),
                rng: fastrand::Rng::with_seed(DeliveryBehaviour::default().seed),
                deliveries: Vec::new(),
                pending: 0,
                registration: Default::default(),
                phone: Default::default(),
                media: Default::default(),
            }),
            queue,
            settled: Notify::new(),
        });
        let app = Router::new()
            .route("/{version}/{id}/messages", post(send::send))
            .route("/{version}/{id}/message_templates", get(templates::list).post(templates::create))
            .route(
                "/{version}/{id}",
                get(media::get_object)
                    .post(media::post_object)
                    .layer(axum::extract::DefaultBodyLimit::max(media::BODY_LIMIT)),
            )
            .route(
                "/{version}/{id}/media",
                post(media::upload).layer(axum::extract::DefaultBodyLimit::max(media::BODY_LIMIT)),
            )
            .route("/{version}/{id}/uploads", post(media::open_session))
            .route("/{version}/{id}/smb_app_data", post(coexistence::smb_app_data))
            .route(
                "/{version}/{id}/subscribed_apps",
                get(registration::subscribed_apps).post(registration::subscribe),
            )
            .with_state(shared.clone());
        let (addr, stop) = super::serve(app, port, "sandbox WhatsApp").await?;
        let (stop_delivery, delivery_stopped) = oneshot::channel();
        tokio::spawn(webhooks::deliver(shared.clone(), queued, delivery_stopped));
        Ok(WhatsAppSandbox { addr, shared, stop: Some(stop), _stop_delivery: stop_delivery })
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
