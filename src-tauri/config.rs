//! Typed, non-secret settings with their defaults: what each setting means, how a value is
//! checked and normalized, and the typed [`Settings`] the engine reads. Pure: values are stored
//! as text in SQLite by `storage::settings` (only the ones the owner changed), which validates
//! every value through here on the way in, so what is stored always parses. Unknown keys and
//! malformed values are rejected with the list of what is valid. Secrets never pass through
//! here (see `secrets.rs`).
//!
//! The specs are grouped by what they set: `shop`, `sending`, `whatsapp`, `webhook`,
//! `assistant`, the desktop `app` and the `tunnel` Recupero runs; `values` holds the checks and
//! their typed errors.

use std::collections::BTreeMap;

use serde::Serialize;

mod app;
mod assistant;
mod sending;
mod settings;
mod shop;
mod tunnel;
mod values;
mod webhook;
mod whatsapp;

pub use settings::Settings;
pub use values::ValueError;

/// What kind of value a setting holds, for the UI to pick an editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "SettingKind"))]
pub enum Kind {
    Timezone,
    Hours,
    Minutes,
    Hours24,
    Days,
    Seconds,
    Int,
    Percent,
    Bool,
    Language,
    Country,
    Text,
    /// off | drafts | auto
    AssistantMode,
    /// An http(s) address (empty = not set).
    Url,
    /// Several lines of the owner's own words.
    LongText,
    /// A comma-separated list of words and phrases.
    Keywords,
}

/// One setting: its key, what it means, its default and how a value is checked.
pub struct Spec {
    pub key: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    default: fn() -> String,
    /// Returns the normalized value, or why the input is not acceptable.
    validate: fn(&str) -> values::Checked,
}

impl Spec {
    /// The value used while the owner has not set one.
    pub fn default_value(&self) -> String {
        (self.default)()
    }

    /// The normalized value to store, or why `value` is not acceptable for this setting.
    pub fn normalize(&self, value: &str) -> Result<String, ConfigError> {
        (self.validate)(value).map_err(|why| ConfigError::InvalidValue {
            key: self.key.into(),
            reason: why.to_string(),
            expected: Some(why),
        })
    }
}

/// Every setting Recupero knows, in the order `config show` lists them.
pub static SPECS: &[Spec] = &[
    shop::TIMEZONE,
    shop::BUSINESS_HOURS,
    shop::DEFAULT_COUNTRY,
    sending::ABANDONMENT_DELAY_MINUTES,
    sending::MAX_DELAY_MINUTES,
    sending::BACKLOG_SPREAD_MINUTES,
    sending::MAX_CART_AGE_HOURS,
    sending::FOLLOWUPS,
    sending::FOLLOWUP_DELAY_HOURS,
    sending::PER_CUSTOMER_CAP_DAYS,
    sending::CONSENT_ONLY,
    sending::HOLDOUT_PERCENT,
    sending::ATTRIBUTION_DAYS,
    sending::POLL_INTERVAL_SECONDS,
    sending::SENDING_PAUSED,
    whatsapp::WHATSAPP_BASE_URL,
    whatsapp::WHATSAPP_API_VERSION,
    whatsapp::WHATSAPP_PHONE_NUMBER_ID,
    whatsapp::WHATSAPP_WABA_ID,
    whatsapp::WHATSAPP_AUTH_HEADER,
    whatsapp::WHATSAPP_MAX_PER_SECOND,
    webhook::WEBHOOK_PORT,
    webhook::WEBHOOK_PATH,
    webhook::WEBHOOK_VERIFY_TOKEN,
    webhook::ALLOW_UNSIGNED_WEBHOOKS,
    webhook::WEBHOOK_BODY_RETENTION_DAYS,
    webhook::WEBHOOK_PUBLIC_URL,
    webhook::WEBHOOK_REGISTERED_URL,
    whatsapp::TEMPLATE_NAME,
    sending::SEND_LEASE_SECONDS,
    app::UI_LANGUAGE,
    app::AUTOSTART,
    assistant::ASSISTANT_MODE,
    assistant::ASSISTANT_BASE_URL,
    assistant::ASSISTANT_MODEL,
    assistant::ASSISTANT_TIMEOUT_SECONDS,
    assistant::SHOP_FACTS,
    assistant::ESCALATION_KEYWORDS,
    shop::USD_EXCHANGE_RATES,
    app::NOTIFY_RECOVERED,
    app::UPDATE_MANIFEST_URL,
    tunnel::TUNNEL_MODE,
    tunnel::TUNNEL_NAME,
    tunnel::TUNNEL_HOSTNAME,
    tunnel::CLOUDFLARED_PATH,
    sending::REMINDER_IMAGE,
    whatsapp::REMINDER_IMAGE_TEMPLATE,
    sending::STORE_WRITE_OPT_OUT,
    sending::MONTHLY_SPEND_CAP_USD,
    sending::EXPERIMENT,
    sending::COUPON_PERCENT,
    sending::COUPON_STEP,
    sending::COUPON_VALID_HOURS,
    sending::COUPON_MIN_TOTAL,
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown setting '{key}'; valid settings: {valid}")]
    UnknownKey { key: String, valid: String },
    /// `reason` is a [`ValueError`]'s text (or, for the Results period and rate table, the
    /// metrics' own explanation).
    /// `expected`: the value check's own error, when there is one (the window words it).
    #[error("invalid value for {key}: {reason}")]
    InvalidValue { key: String, reason: String, expected: Option<ValueError> },
    /// Reading or writing the settings table failed (raised by `storage::settings`).
    #[error(transparent)]
    Storage(#[from] rusqlite::Error),
}

pub fn spec(key: &str) -> Result<&'static Spec, ConfigError> {
    SPECS.iter().find(|s| s.key == key.trim()).ok_or_else(|| ConfigError::UnknownKey {
        key: key.to_string(),
        valid: SPECS.iter().map(|s| s.key).collect::<Vec<_>>().join(", "),
    })
}

/// One setting as shown by `config show` and the Settings screen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingView {
    pub key: String,
    pub value: String,
    pub default: String,
    pub description: String,
    pub kind: Kind,
}

/// Every key with its effective value: the stored one if it still validates, else the default.
/// A stored value that no longer validates (edited by hand) falls back to the default with a
/// warning instead of stopping the app.
pub fn effective(stored: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in SPECS {
        let value = match stored.get(s.key) {
            Some(v) => match (s.validate)(v) {
                Ok(v) => v,
                Err(reason) => {
                    tracing::warn!(key = s.key, %reason, "stored setting is invalid; using the default");
                    (s.default)()
                }
            },
            None => (s.default)(),
        };
        out.insert(s.key.to_string(), value);
    }
    out
}

/// Settings that are secrets of a kind: the webhook address's secret path (with unsigned
/// deliveries allowed, the only barrier against forged ones) and Meta's verify token. Shown to
/// the owner, who registers them; never written to the logs or the event log.
pub fn is_secret_word(key: &str) -> bool {
    matches!(key.trim(), "webhook_path" | "webhook_verify_token")
}

/// The rules that join two settings, checked with every key's effective value after `key`
/// changed (the change is refused, and named after `key`, when they break): a `coupon:on,off`
/// experiment needs coupons (`coupon_percent` above 0), else both arms would go without.
pub fn check_together(key: &str, values: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    let coupon_experiment = values.get("experiment").is_some_and(|e| {
        matches!(
            crate::domain::experiment::ExperimentSpec::parse(e),
            Ok(crate::domain::experiment::ExperimentSpec::Coupon)
        )
    });
    let coupons = values.get("coupon_percent").and_then(|p| p.parse::<u32>().ok()).unwrap_or(0) > 0;
    if coupon_experiment && !coupons {
        let why = if key.trim() == "coupon_percent" {
            ValueError::CouponInExperiment
        } else {
            ValueError::ExperimentNeedsCoupon
        };
        return Err(ConfigError::InvalidValue {
            key: key.trim().to_string(),
            reason: why.to_string(),
            expected: Some(why),
        });
    }
    Ok(())
}

/// Every setting as `config show` and the Settings screen list it, from the effective values.
pub fn views(values: &BTreeMap<String, String>) -> Vec<SettingView> {
    SPECS
        .iter()
        .map(|s| SettingView {
            key: s.key.into(),
            value: values.get(s.key).cloned().unwrap_or_default(),
            default: (s.default)(),
            description: s.description.into(),
            kind: s.kind,
        })
        .collect()
}

#[cfg(test)]
mod tests;
