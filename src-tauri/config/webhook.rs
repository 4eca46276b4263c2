//! The webhook receiver's settings: its loopback port, its secret path and the verify token
//! Meta is given (both generated once when empty), and how long raw deliveries are kept.

use super::values;
use super::{Kind, Spec};

pub(super) const WEBHOOK_PORT: Spec = Spec {
    key: "webhook_port",
    kind: Kind::Text,
    description: "The loopback port the webhook receiver listens on (expose it with a tunnel)",
    default: || "8790".into(),
    validate: |v| values::int_in(v, 1024, 65535),
};

pub(super) const WEBHOOK_PATH: Spec = Spec {
    key: "webhook_path",
    kind: Kind::Text,
    description: "The secret part of the webhook address (generated once; empty: generate a new one)",
    default: String::new,
    validate: |v| values::secret_word(v, 24),
};

pub(super) const WEBHOOK_VERIFY_TOKEN: Spec = Spec {
    key: "webhook_verify_token",
    kind: Kind::Text,
    description:
        "The verify token to give Meta with the callback URL (generated once; empty: generate a new one)",
    default: String::new,
    validate: |v| values::secret_word(v, 16),
};

pub(super) const ALLOW_UNSIGNED_WEBHOOKS: Spec = Spec {
    key: "allow_unsigned_webhooks",
    kind: Kind::Bool,
    description: "Accept webhook deliveries without a valid X-Hub-Signature-256 while no app secret is set (unsafe: anyone who learns the address can post; the window warns while it is on). Even then an unsigned delivery never lifts an opt-out, resumes marketing, pauses sending, changes templates, takes over a thread or settles a send",
    default: || "false".into(),
    validate: values::boolean,
};

pub(super) const WEBHOOK_BODY_RETENTION_DAYS: Spec = Spec {
    key: "webhook_body_retention_days",
    kind: Kind::Days,
    description: "Keep each webhook delivery's raw body this many days after it was processed, then delete it (the facts of the delivery stay; deliveries not yet processed keep theirs)",
    default: || "30".into(),
    validate: |v| values::int_in(v, 1, 3650),
};

/// Empty, or an https address (plain http only on loopback, for tests and the sandbox).
fn address_or_empty(v: &str) -> values::Checked {
    if v.trim().is_empty() {
        Ok(String::new())
    } else {
        values::base_url(v)
    }
}

pub(super) const WEBHOOK_PUBLIC_URL: Spec = Spec {
    key: "webhook_public_url",
    kind: Kind::Url,
    description: "The public https address your tunnel forwards to this computer (e.g. https://shop.example.com); Recupero registers it, with the secret path, as your number's webhook with WhatsApp, and again whenever it changes (empty: not registered by Recupero)",
    default: String::new,
    validate: address_or_empty,
};

pub(super) const WEBHOOK_REGISTERED_URL: Spec = Spec {
    key: "webhook_registered_url",
    kind: Kind::Text,
    description: "The full webhook address WhatsApp accepted at the last registration (written by Recupero; empty: none yet)",
    default: String::new,
    validate: address_or_empty,
};
