//! Signed webhook delivery (§4.2–4.5): Meta's envelope, `X-Hub-Signature-256`, and retries.
//!
//! Everything the sandbox has to tell the app — message statuses, inbound messages, echoes of
//! the owner's phone, template reviews, raw test payloads — is queued here as one POST body,
//! serialized once: JSON with non-ASCII characters escaped as `\uXXXX` (lowercase hex), which is
//! what Meta signs, so a receiver that re-serializes before checking the signature fails here as
//! it would in production. The signature is `sha256=` and the lowercase hex HMAC-SHA256 of those
//! exact bytes with the app secret.
//!
//! One background task per sandbox POSTs the queue in order. A POST that doesn't get HTTP 200
//! (or can't connect) is tried again after 50 ms, 100 ms, 200 ms… at most 2 s apart (real time),
//! until it gets through or the sandbox is dropped: Meta retries for days, and the app must cope
//! with the duplicates that follow. [`WhatsAppSandbox::flush`] waits until the queue is empty.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::{mpsc, oneshot};

use super::{meta_text, Inner, Shared, WhatsAppSandbox};

/// Where webhooks go: the app's callback URL and, to sign them, the Meta app secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    pub app_secret: Option<String>,
}

/// How message statuses arrive. Random choices come from `seed`, so a run repeats exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryBehaviour {
    /// The customer reads the message (`read` after `delivered`).
    pub read: bool,
    /// Chance that a status webhook is POSTed twice, byte for byte.
    pub duplicate_rate: f64,
    /// Chance that `read` arrives before `delivered`.
    pub out_of_order_rate: f64,
    /// Chance that a message fails after `sent` (a `failed` status with `fail_code`).
    pub fail_rate: f64,
    pub fail_code: i64,
    pub seed: u64,
}

impl Default for DeliveryBehaviour {
    fn default() -> Self {
        DeliveryBehaviour {
            read: true,
            duplicate_rate: 0.0,
            out_of_order_rate: 0.0,
            fail_rate: 0.0,
            // The per-user marketing cap: the usual way a sent marketing message still fails.
            fail_code: 131049,
            seed: 2026,
        }
    }
}

/// One webhook POST as queued, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The change's `field`: `messages`, `smb_message_echoes`, `message_template_status_update`…
    pub field: String,
    pub url: String,
    /// Exactly the bytes POSTed.
    pub body: String,
    /// The `X-Hub-Signature-256` header, when the target has an app secret.
    pub signature: Option<String>,
    /// Each attempt's HTTP status; `None` when no answer came (refused, timed out).
    pub attempts: Vec<Option<u16>>,
    /// Acknowledged with a 200.
    pub delivered: bool,
}

/// An accepted message, for its status webhooks.
pub(super) struct Outbound<'a> {
    pub wamid: &'a str,
    /// The customer's wa_id (`recipient_id`), when the send went to their number.
    pub recipient: Option<&'a str>,
    /// The customer's BSUID (`recipient_user_id`), when the send went to it.
    pub recipient_user_id: Option<&'a str>,
    pub callback_data: Option<&'a str>,
    /// The `pricing` object of the `sent` status.
    pub pricing: Value,
    /// Not a WhatsApp number: the message fails with 131026 instead of being sent.
    pub undeliverable: bool,
}

/// `sha256=<hex HMAC-SHA256 of body with secret>`, Meta's `X-Hub-Signature-256` value.
pub(super) fn sign(secret: &str, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    Some(format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

/// JSON text with every non-ASCII character written as `\uXXXX` (UTF-16, lowercase hex), as
/// Meta serializes webhook bodies. Valid because serde_json only emits them inside strings.
fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

/// The error object of a failed status (§4.4).
fn status_error(code: i64) -> Value {
    let (title, details) = meta_text(code);
    json!({"code": code, "title": title, "message": title, "error_data": {"details": details},
        "href": "/documentation/business-messaging/whatsapp/support/error-codes"})
}

impl Shared {
    /// `value.metadata`: which business number the change is about.
    pub(super) fn metadata(&self) -> Value {
        json!({"display_phone_number": self.config.display_phone_number,
            "phone_number_id": self.config.phone_number_id})
    }

    /// Wraps `value` in Meta's envelope and queues it for the current target (nothing is queued
    /// without one: Meta only calls subscribed apps). `time` is the entry's `time`, which some
    /// fields carry. Returns whether it was queued.
    pub(super) fn enqueue(&self, inner: &mut Inner, field: &str, value: Value, time: Option<i64>) -> bool {
        let Some(target) = inner.webhook.clone() else { return false };
        let mut entry =
            json!({"id": self.config.business_account_id, "changes": [{"value": value, "field": field}]});
        if let Some(time) = time {
            entry["time"] = json!(time);
        }
        let envelope = json!({"object": "whatsapp_business_account", "entry": [entry]});
        let body = escape_non_ascii(&envelope.to_string());
        let signature = target.app_secret.as_deref().and_then(|secret| sign(secret, body.as_bytes()));
        self.push(
            inner,
            Delivery {
                field: field.into(),
                url: target.url,
                body,
                signature,
                attempts: Vec::new(),
                delivered: false,
            },
        );
        true
    }

    /// Queues the last delivery once more, byte for byte (a duplicate, as Meta's retries make).
    fn enqueue_again(&self, inner: &mut Inner) {
        if let Some(last) = inner.deliveries.last() {
            let copy = Delivery { attempts: Vec::new(), delivered: false, ..last.clone() };
            self.push(inner, copy);
        }
    }

    fn push(&self, inner: &mut Inner, delivery: Delivery) {
        let index = inner.deliveries.len();
        inner.deliveries.push(delivery);
        // The task only stops with the sandbox; if it is gone, nothing will be delivered.
        if self.queue.send(index).is_ok() {
            inner.pending += 1;
        }
    }

    /// The status webhooks of an accepted message: `sent` (with pricing), then `delivered` and
    /// `read` — or `failed` — shaped by the delivery behaviour's dice.
    pub(super) fn queue_statuses(&self, inner: &mut Inner, m: &Outbound<'_>) {
        if inner.webhook.is_none() {
            return;
        }
        let behaviour = inner.delivery.clone();
        let fails = inner.rng.f64() < behaviour.fail_rate;
        let reordered = inner.rng.f64() < behaviour.out_of_order_rate;
        let plan: Vec<(&str, Option<i64>)> = if m.undeliverable {
            vec![("failed", Some(131026))]
        } else if fails {
            vec![("sent", None), ("failed", Some(behaviour.fail_code))]
        } else {
            match (behaviour.read, reordered) {
                (false, _) => vec![("sent", None), ("delivered", None)],
                (true, false) => vec![("sent", None), ("delivered", None), ("read", None)],
                (true, true) => vec![("sent", None), ("read", None), ("delivered", None)],
            }
        };
        let timestamp = self.now().timestamp().to_string();
        for (status, code) in plan {
            let mut s = json!({"id": m.wamid, "status": status, "timestamp": timestamp});
            if let Some(r) = m.recipient {
                s["recipient_id"] = json!(r);
            }
            if let Some(user_id) = m.recipient_user_id {
                s["recipient_user_id"] = json!(user_id);
            }
            if let Some(data) = m.callback_data {
                s["biz_opaque_callback_data"] = json!(data);
            }
            if status == "sent" {
                s["pricing"] = m.pricing.clone();
            }
            if let Some(code) = code {
                s["errors"] = json!([status_error(code)]);
            }
            let value =
                json!({"messaging_product": "whatsapp", "metadata": self.metadata(), "statuses": [s]});
            let twice = inner.rng.f64() < behaviour.duplicate_rate;
            self.enqueue(inner, "messages", value, None);
            if twice {
                self.enqueue_again(inner);
            }
        }
    }
}

/// The HTTP client for webhooks, built on first use (setting up TLS takes a moment, and most
/// sandboxes never deliver anything). `None` if it can't be built, counted as a failed attempt.
fn client(slot: &mut Option<reqwest::Client>) -> Option<reqwest::Client> {
    if slot.is_none() {
        let built = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("facebookexternalua")
            .build();
        match built {
            Ok(client) => *slot = Some(client),
            Err(e) => tracing::warn!(error = %e, "sandbox WhatsApp: no HTTP client for webhooks"),
        }
    }
    slot.clone()
}

/// The delivery task: POSTs each queued webhook until it gets a 200, in queue order, until
/// `stop` fires or its sender is dropped (with the sandbox).
pub(super) async fn deliver(
    shared: Arc<Shared>,
    mut queued: mpsc::UnboundedReceiver<usize>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut http = None;
    loop {
        let index = tokio::select! {
            _ = &mut stop => return,
            next = queued.recv() => match next {
                Some(index) => index,
                None => return,
            },
        };
        let Some((url, body, signature)) =
            shared.lock().deliveries.get(index).map(|d| (d.url.clone(), d.body.clone(), d.signature.clone()))
        else {
            continue;
        };
        let mut backoff = Duration::from_millis(50);
        loop {
            let status = match client(&mut http) {
                Some(http) => {
                    let mut request =
                        http.post(url.as_str()).header("content-type", "application/json").body(body.clone());
                    if let Some(signature) = &signature {
                        request = request.header("x-hub-signature-256", signature.as_str());
                    }
                    tokio::select! {
                        _ = &mut stop => return,
                        answer = request.send() => answer.ok().map(|r| r.status().as_u16()),
                    }
                }
                None => None,
            };
            let done = status == Some(200);
            {
                let mut inner = shared.lock();
                if let Some(d) = inner.deliveries.get_mut(index) {
                    d.attempts.push(status);
                    d.delivered = done;
                }
                if done {
                    inner.pending = inner.pending.saturating_sub(1);
                }
            }
            if done {
                shared.settled.notify_waiters();
                break;
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

impl WhatsAppSandbox {
    /// Where webhooks go from now on (`None`: nowhere; nothing is queued until one is set).
    /// Webhooks already queued keep their target.
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        self.shared.lock().webhook = target;
    }

    /// How statuses arrive from now on; the dice restart from `behaviour.seed`.
    pub fn set_delivery(&self, behaviour: DeliveryBehaviour) {
        let mut inner = self.shared.lock();
        inner.rng = fastrand::Rng::with_seed(behaviour.seed);
        inner.delivery = behaviour;
    }

    /// Waits (at most 10 s of real time) until every queued webhook was acknowledged with a 200.
    /// Returns whether it was.
    pub async fn flush(&self) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let settled = self.shared.settled.notified();
            tokio::pin!(settled);
            // Registered before looking, so an acknowledgement in between is not missed.
            settled.as_mut().enable();
            if self.shared.lock().pending == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, settled).await.is_err() {
                return self.shared.lock().pending == 0;
            }
        }
    }

    /// Every webhook queued so far, in order, with each attempt's outcome.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Queues any `value` under `field` in Meta's envelope (`history`, `smb_app_state_sync`,
    /// `user_preferences`, `account_update`…). Returns whether a target was set to queue it for.
    pub fn post_raw(&self, field: &str, value: Value) -> bool {
        let mut inner = self.shared.lock();
        self.shared.enqueue(&mut inner, field, value, None)
    }

    /// The `X-Hub-Signature-256` value for `body` with the current target's app secret.
    pub fn signed_body(&self, body: &[u8]) -> Option<String> {
        let secret = self.shared.lock().webhook.as_ref().and_then(|t| t.app_secret.clone())?;
        sign(&secret, body)
    }
}
