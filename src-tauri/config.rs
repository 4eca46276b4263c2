//! Typed, non-secret settings with their defaults. Values are stored as text in SQLite (only
//! the ones the owner changed); every value is validated and normalized on the way in, so what
//! is stored always parses. Unknown keys and malformed values are rejected with the list of
//! what is valid. Secrets never pass through here (see `secrets.rs`).

use std::collections::BTreeMap;

use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Serialize;

use crate::domain::BusinessHours;
use crate::storage::{self, settings as table};

/// What kind of value a setting holds, for the UI to pick an editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    validate: fn(&str) -> Result<String, String>,
}

fn int_in(v: &str, min: u32, max: u32) -> Result<String, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
        _ => Err(format!("expected a whole number from {min} to {max}")),
    }
}

fn boolean(v: &str) -> Result<String, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok("true".into()),
        "false" | "no" | "off" | "0" => Ok("false".into()),
        _ => Err("expected true or false".into()),
    }
}

fn timezone(v: &str) -> Result<String, String> {
    v.trim().parse::<Tz>().map(|tz| tz.name().to_string()).map_err(|_| {
        "expected an IANA time zone such as America/Argentina/Buenos_Aires or Europe/Madrid".into()
    })
}

fn hours(v: &str) -> Result<String, String> {
    // The format does not depend on the zone; the zone is applied when the settings are read.
    BusinessHours::parse(v, "UTC")
        .map(|h| h.to_string())
        .map_err(|e| format!("{e} (example: mon-fri 09:00-18:00; sat 10:00-13:00; closed 2026-12-25)"))
}

fn language(v: &str) -> Result<String, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        l @ ("auto" | "es" | "pt" | "en") => Ok(l.to_string()),
        _ => Err("expected one of: auto, es, pt, en".into()),
    }
}

fn country(v: &str) -> Result<String, String> {
    let up = v.trim().to_ascii_uppercase();
    match up.parse::<phonenumber::country::Id>() {
        Ok(_) => Ok(up),
        Err(_) => Err("expected a two-letter country code such as AR, BR, MX, CL, CO, ES".into()),
    }
}

/// An http(s) base URL (plain http only on loopback, for the sandbox and tests).
fn base_url(v: &str) -> Result<String, String> {
    let url = url::Url::parse(v.trim())
        .map_err(|_| "expected an address such as https://graph.facebook.com".to_string())?;
    let loopback = crate::stores::is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err("expected an https:// address (http:// only on this computer, for the sandbox)".into())
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// An id made of digits (Meta's phone-number and account ids), or empty for "not set".
fn digits_or_empty(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.chars().all(|c| c.is_ascii_digit()) && v.len() <= 32 {
        Ok(v.to_string())
    } else {
        Err("expected the numeric id Meta shows (digits only), or nothing".into())
    }
}

fn api_version(v: &str) -> Result<String, String> {
    let v = v.trim();
    let ok = v.strip_prefix('v').is_some_and(|rest| {
        let mut parts = rest.split('.');
        parts.next().is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
            && parts.next().is_some_and(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()))
            && parts.next().is_none()
    });
    if ok {
        Ok(v.to_string())
    } else {
        Err("expected a Graph API version such as v25.0".into())
    }
}

/// An HTTP header name (letters, digits and dashes).
fn header_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(v.to_string())
    } else {
        Err("expected an HTTP header name such as Authorization or D360-API-KEY".into())
    }
}

/// A generated secret word (URL-safe letters, digits, `-` and `_`), at least `min` long, or
/// empty for "generate one".
fn secret_word(v: &str, min: usize) -> Result<String, String> {
    let v = v.trim();
    let ok = v.is_empty()
        || (v.len() >= min
            && v.len() <= 128
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!("expected at least {min} letters, digits, '-' or '_' (or nothing, to generate one)"))
    }
}

fn template_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.is_empty()
        && v.len() <= 512
        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(v.to_string())
    } else {
        Err("expected a template name: lower-case letters, digits and underscores".into())
    }
}

fn assistant_mode(v: &str) -> Result<String, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        m @ ("off" | "drafts" | "auto") => Ok(m.to_string()),
        _ => Err("expected one of: off (no assistant), drafts (you approve each answer), auto (answers go out on their own)".into()),
    }
}

fn url_or_empty(v: &str) -> Result<String, String> {
    if v.trim().is_empty() {
        Ok(String::new())
    } else {
        base_url(v).map_err(|_| {
            "expected an https:// address, or http:// on this computer such as http://127.0.0.1:11434/v1 (a local Ollama)"
                .to_string()
        })
    }
}

fn model_name(v: &str) -> Result<String, String> {
    let v = v.trim();
    if !v.is_empty() && v.chars().count() <= 200 && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err("expected a model name such as llama3.2 or gpt-4o-mini".into())
    }
}

/// Free text of the owner's, up to 20,000 characters, line endings normalized.
fn long_text(v: &str) -> Result<String, String> {
    let v = v.replace("\r\n", "\n").replace('\r', "\n");
    let v = v.trim();
    if v.chars().count() > 20_000 {
        return Err("expected at most 20,000 characters".into());
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("the text has control characters; paste it as plain text".into());
    }
    Ok(v.to_string())
}

fn keywords(v: &str) -> Result<String, String> {
    let list = crate::domain::escalation::parse_keywords(v);
    if list.len() > 200 || list.iter().any(|k| k.chars().count() > 100) {
        return Err(
            "expected at most 200 words or phrases of up to 100 characters, separated by commas".into()
        );
    }
    Ok(list.join(", "))
}

fn system_timezone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse::<Tz>().ok())
        .map(|tz| tz.name().to_string())
        .unwrap_or_else(|| "UTC".to_string())
}

/// Every setting Recupero knows, in the order `config show` lists them.
pub static SPECS: &[Spec] = &[
    Spec {
        key: "timezone",
        kind: Kind::Timezone,
        description: "The shop's IANA time zone; business hours are read in it (default: the computer's)",
        default: system_timezone,
        validate: timezone,
    },
    Spec {
        key: "business_hours",
        kind: Kind::Hours,
        description:
            "When messages may go out, e.g. 'mon-fri 09:00-18:00; sat 10:00-13:00; closed 2026-12-25'",
        default: || "mon-fri 09:00-18:00; sat 10:00-13:00".into(),
        validate: hours,
    },
    Spec {
        key: "default_country",
        kind: Kind::Country,
        description: "Country used to read phone numbers typed without a country code",
        default: || "AR".into(),
        validate: country,
    },
    Spec {
        key: "abandonment_delay_minutes",
        kind: Kind::Minutes,
        description: "Minutes after the checkout's last update before it counts as abandoned",
        default: || "15".into(),
        validate: |v| int_in(v, 10, 1440),
    },
    Spec {
        key: "max_delay_minutes",
        kind: Kind::Minutes,
        description: "Latest first send after detection, when detection falls inside business hours",
        default: || "90".into(),
        validate: |v| int_in(v, 5, 1440),
    },
    Spec {
        key: "backlog_spread_minutes",
        kind: Kind::Minutes,
        description: "Carts that waited overnight, or were found late (computer off, store just connected), go out spread over this many minutes",
        default: || "30".into(),
        validate: |v| int_in(v, 0, 240),
    },
    Spec {
        key: "max_cart_age_hours",
        kind: Kind::Hours24,
        description: "Carts older than this are not messaged any more",
        default: || "24".into(),
        validate: |v| int_in(v, 1, 168),
    },
    Spec {
        key: "followups",
        kind: Kind::Int,
        description: "Follow-up messages after the first one (only if no reply, no purchase, no opt-out)",
        default: || "0".into(),
        validate: |v| int_in(v, 0, 2),
    },
    Spec {
        key: "followup_delay_hours",
        kind: Kind::Hours24,
        description: "Hours between one message and its follow-up",
        default: || "24".into(),
        validate: |v| int_in(v, 1, 168),
    },
    Spec {
        key: "per_customer_cap_days",
        kind: Kind::Days,
        description: "At most one recovery conversation per customer in this many days",
        default: || "7".into(),
        validate: |v| int_in(v, 1, 90),
    },
    Spec {
        key: "consent_only",
        kind: Kind::Bool,
        description: "Message only customers who accepted marketing (only Shopify records it: other stores' carts are then skipped as no_consent)",
        default: || "false".into(),
        validate: boolean,
    },
    Spec {
        key: "holdout_percent",
        kind: Kind::Percent,
        description: "Share of carts that get no message, to measure the real lift",
        default: || "10".into(),
        validate: |v| int_in(v, 0, 50),
    },
    Spec {
        key: "attribution_days",
        kind: Kind::Days,
        description: "A purchase within this many days after the first message counts as recovered",
        default: || "7".into(),
        validate: |v| int_in(v, 1, 30),
    },
    Spec {
        key: "poll_interval_seconds",
        kind: Kind::Seconds,
        description: "How often each store is asked for new abandoned checkouts",
        default: || "60".into(),
        validate: |v| int_in(v, 15, 3600),
    },
    Spec {
        key: "sending_paused",
        kind: Kind::Bool,
        description: "Pause all sending (the tray's pause switch)",
        default: || "false".into(),
        validate: boolean,
    },
    Spec {
        key: "whatsapp_base_url",
        kind: Kind::Text,
        description: "The WhatsApp Cloud API address: Meta's Graph API, or a partner's compatible endpoint",
        default: || "https://graph.facebook.com".into(),
        validate: base_url,
    },
    Spec {
        key: "whatsapp_api_version",
        kind: Kind::Text,
        description: "The Graph API version requests are pinned to",
        default: || "v25.0".into(),
        validate: api_version,
    },
    Spec {
        key: "whatsapp_phone_number_id",
        kind: Kind::Text,
        description: "The WhatsApp phone-number id messages are sent from (empty: not connected)",
        default: String::new,
        validate: digits_or_empty,
    },
    Spec {
        key: "whatsapp_waba_id",
        kind: Kind::Text,
        description: "The WhatsApp Business Account id (to read the template's approval)",
        default: String::new,
        validate: digits_or_empty,
    },
    Spec {
        key: "whatsapp_auth_header",
        kind: Kind::Text,
        description: "The header the access token goes in: Authorization (Meta: \"Bearer <token>\") or a partner's, e.g. D360-API-KEY (the token as is)",
        default: || "Authorization".into(),
        validate: header_name,
    },
    Spec {
        key: "whatsapp_max_per_second",
        kind: Kind::Text,
        description: "Messages per second at most (a Coexistence number is fixed at 20)",
        default: || "20".into(),
        validate: |v| int_in(v, 1, 1000),
    },
    Spec {
        key: "webhook_port",
        kind: Kind::Text,
        description: "The loopback port the webhook receiver listens on (expose it with a tunnel)",
        default: || "8790".into(),
        validate: |v| int_in(v, 1024, 65535),
    },
    Spec {
        key: "webhook_path",
        kind: Kind::Text,
        description: "The secret part of the webhook address (generated once; empty: generate a new one)",
        default: String::new,
        validate: |v| secret_word(v, 24),
    },
    Spec {
        key: "webhook_verify_token",
        kind: Kind::Text,
        description: "The verify token to give Meta with the callback URL (generated once; empty: generate a new one)",
        default: String::new,
        validate: |v| secret_word(v, 16),
    },
    Spec {
        key: "template_name",
        kind: Kind::Text,
        description: "The approved recovery template: body {{1}} store, {{2}} first name, {{3}} products; URL button",
        default: || "recupero_carrito".into(),
        validate: template_name,
    },
    Spec {
        key: "send_lease_seconds",
        kind: Kind::Seconds,
        description: "How long a claimed send may take before it counts as interrupted (then it is never resent blindly)",
        default: || "120".into(),
        validate: |v| int_in(v, 2, 600),
    },
    Spec {
        key: "ui_language",
        kind: Kind::Language,
        description: "App language: auto (the computer's), es, pt or en",
        default: || "auto".into(),
        validate: language,
    },
    Spec {
        key: "autostart",
        kind: Kind::Bool,
        description: "Start Recupero when the computer starts",
        default: || "false".into(),
        validate: boolean,
    },
    Spec {
        key: "assistant_mode",
        kind: Kind::AssistantMode,
        description: "The assistant answering customers' questions: off, drafts you approve with one click, or auto",
        default: || "drafts".into(),
        validate: assistant_mode,
    },
    Spec {
        key: "assistant_base_url",
        kind: Kind::Url,
        description: "OpenAI-compatible chat-completions address, e.g. http://127.0.0.1:11434/v1 for a local Ollama (empty: answers only from your shop facts)",
        default: String::new,
        validate: url_or_empty,
    },
    Spec {
        key: "assistant_model",
        kind: Kind::Text,
        description: "The assistant's model name at that address",
        default: || "llama3.2".into(),
        validate: model_name,
    },
    Spec {
        key: "assistant_timeout_seconds",
        kind: Kind::Seconds,
        description: "How long to wait for the assistant before handing the conversation to you",
        default: || "20".into(),
        validate: |v| int_in(v, 2, 120),
    },
    Spec {
        key: "shop_facts",
        kind: Kind::LongText,
        description: "Your shop's facts in your own words: shipping zones, costs and times, payment methods and installments, returns and exchanges, sizes, pickup, hours, contact",
        default: String::new,
        validate: long_text,
    },
    Spec {
        key: "escalation_keywords",
        kind: Kind::Keywords,
        description: "Your own words that hand a conversation to you (comma-separated), besides the built-in rules",
        default: String::new,
        validate: keywords,
    },
    Spec {
        key: "usd_exchange_rates",
        kind: Kind::Text,
        description: "What 1 US dollar is worth in your sales currencies, e.g. ARS=1050; BRL=5.40 (WhatsApp's prices are in USD: with a rate, Results shows the return on your sales' currency)",
        default: String::new,
        validate: |v| {
            crate::domain::money::parse_usd_rates(v).map(|r| crate::domain::money::format_usd_rates(&r))
        },
    },
    Spec {
        key: "notify_recovered",
        kind: Kind::Bool,
        description: "Show a notification when a cart is recovered",
        default: || "true".into(),
        validate: boolean,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown setting '{key}'; valid settings: {valid}")]
    UnknownKey { key: String, valid: String },
    #[error("invalid value for {key}: {reason}")]
    InvalidValue { key: String, reason: String },
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
pub struct SettingView {
    pub key: String,
    pub value: String,
    pub default: String,
    pub description: String,
    pub kind: Kind,
}

/// The settings as typed values, read once per use from the database.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timezone: Tz,
    pub business_hours: BusinessHours,
    pub default_country: String,
    pub abandonment_delay_minutes: u32,
    pub max_delay_minutes: u32,
    pub backlog_spread_minutes: u32,
    pub max_cart_age_hours: u32,
    pub followups: u32,
    pub followup_delay_hours: u32,
    pub per_customer_cap_days: u32,
    pub consent_only: bool,
    pub holdout_percent: u32,
    pub attribution_days: u32,
    pub poll_interval_seconds: u32,
    pub sending_paused: bool,
    pub ui_language: String,
    pub autostart: bool,
    pub whatsapp_base_url: String,
    pub whatsapp_api_version: String,
    pub whatsapp_phone_number_id: String,
    pub whatsapp_waba_id: String,
    pub template_name: String,
    pub send_lease_seconds: u32,
    pub whatsapp_auth_header: String,
    pub whatsapp_max_per_second: u32,
    pub webhook_port: u16,
    pub webhook_path: String,
    pub webhook_verify_token: String,
    pub assistant_mode: String,
    pub assistant_base_url: String,
    pub assistant_model: String,
    pub assistant_timeout_seconds: u32,
    pub shop_facts: String,
    pub escalation_keywords: Vec<String>,
    pub notify_recovered: bool,
    /// What 1 USD is worth in the shop's currencies (owner-entered), for the ROI.
    pub usd_exchange_rates: std::collections::BTreeMap<crate::domain::money::Currency, rust_decimal::Decimal>,
}

impl Settings {
    /// Reads every setting, falling back to defaults. A stored value that no longer validates
    /// (edited by hand) falls back to the default with a warning instead of stopping the app.
    pub fn load(conn: &Connection) -> Result<Settings, ConfigError> {
        let values = effective(conn)?;
        let get = |k: &str| values.get(k).cloned().unwrap_or_default();
        let int = |k: &str| get(k).parse::<u32>().unwrap_or(0);
        let timezone: Tz = get("timezone").parse().unwrap_or(Tz::UTC);
        let business_hours = BusinessHours::parse(&get("business_hours"), timezone.name())
            .map_err(|e| ConfigError::InvalidValue { key: "business_hours".into(), reason: e.to_string() })?;
        Ok(Settings {
            timezone,
            business_hours,
            default_country: get("default_country"),
            abandonment_delay_minutes: int("abandonment_delay_minutes"),
            max_delay_minutes: int("max_delay_minutes"),
            backlog_spread_minutes: int("backlog_spread_minutes"),
            max_cart_age_hours: int("max_cart_age_hours"),
            followups: int("followups"),
            followup_delay_hours: int("followup_delay_hours"),
            per_customer_cap_days: int("per_customer_cap_days"),
            consent_only: get("consent_only") == "true",
            holdout_percent: int("holdout_percent"),
            attribution_days: int("attribution_days"),
            poll_interval_seconds: int("poll_interval_seconds"),
            sending_paused: get("sending_paused") == "true",
            ui_language: get("ui_language"),
            autostart: get("autostart") == "true",
            whatsapp_base_url: get("whatsapp_base_url"),
            whatsapp_api_version: get("whatsapp_api_version"),
            whatsapp_phone_number_id: get("whatsapp_phone_number_id"),
            whatsapp_waba_id: get("whatsapp_waba_id"),
            template_name: get("template_name"),
            send_lease_seconds: int("send_lease_seconds"),
            whatsapp_auth_header: get("whatsapp_auth_header"),
            whatsapp_max_per_second: int("whatsapp_max_per_second"),
            webhook_port: u16::try_from(int("webhook_port")).unwrap_or(8790),
            webhook_path: get("webhook_path"),
            webhook_verify_token: get("webhook_verify_token"),
            assistant_mode: get("assistant_mode"),
            assistant_base_url: get("assistant_base_url"),
            assistant_model: get("assistant_model"),
            assistant_timeout_seconds: int("assistant_timeout_seconds"),
            shop_facts: get("shop_facts"),
            escalation_keywords: crate::domain::escalation::parse_keywords(&get("escalation_keywords")),
            notify_recovered: get("notify_recovered") == "true",
            usd_exchange_rates: crate::domain::money::parse_usd_rates(&get("usd_exchange_rates"))
                .unwrap_or_default(),
        })
    }
}

/// Every key with its effective value (stored if valid, else the default).
fn effective(conn: &Connection) -> Result<BTreeMap<String, String>, ConfigError> {
    let stored: BTreeMap<String, String> = table::all(conn)?.into_iter().collect();
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
    Ok(out)
}

pub fn show(conn: &Connection) -> Result<Vec<SettingView>, ConfigError> {
    let values = effective(conn)?;
    Ok(SPECS
        .iter()
        .map(|s| SettingView {
            key: s.key.into(),
            value: values.get(s.key).cloned().unwrap_or_default(),
            default: (s.default)(),
            description: s.description.into(),
            kind: s.kind,
        })
        .collect())
}

pub fn get(conn: &Connection, key: &str) -> Result<String, ConfigError> {
    let spec = spec(key)?;
    Ok(effective(conn)?.remove(spec.key).unwrap_or_default())
}

/// Validates, normalizes and stores one value; returns what was stored.
pub fn set(
    conn: &Connection,
    key: &str,
    value: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String, ConfigError> {
    let spec = spec(key)?;
    let normalized = (spec.validate)(value)
        .map_err(|reason| ConfigError::InvalidValue { key: spec.key.into(), reason })?;
    table::put(conn, spec.key, &normalized, &storage::ts(at))?;
    Ok(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn conn() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        storage::migrations::migrate(&mut c).unwrap();
        c
    }

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    #[test]
    fn defaults_match_the_product_rules() {
        let s = Settings::load(&conn()).unwrap();
        assert_eq!(s.abandonment_delay_minutes, 15);
        assert_eq!(s.max_delay_minutes, 90);
        assert_eq!(s.max_cart_age_hours, 24);
        assert_eq!(s.followups, 0, "follow-ups are off by default");
        assert_eq!(s.per_customer_cap_days, 7);
        assert_eq!(s.holdout_percent, 10);
        assert_eq!(s.attribution_days, 7);
        assert!(!s.sending_paused);
    }

    #[test]
    fn values_are_normalized_and_typed() {
        let c = conn();
        assert_eq!(set(&c, "timezone", " America/Bogota ", at()).unwrap(), "America/Bogota");
        assert_eq!(set(&c, "consent_only", "YES", at()).unwrap(), "true");
        set(&c, "business_hours", "MON-FRI 9:00-18:00;sat 10:00-13:00", at()).unwrap();
        let s = Settings::load(&c).unwrap();
        assert_eq!(s.timezone, chrono_tz::America::Bogota);
        assert!(s.consent_only);
        assert_eq!(s.business_hours.tz(), chrono_tz::America::Bogota, "hours follow the zone");
        // Saturday 2026-11-21 11:00 in Bogota (UTC-5) is open.
        assert!(s.business_hours.is_open(chrono::Utc.with_ymd_and_hms(2026, 11, 21, 16, 0, 0).unwrap()));
    }

    #[test]
    fn unknown_key_lists_the_valid_ones() {
        let err = set(&conn(), "holdout", "10", at()).unwrap_err().to_string();
        assert!(err.contains("unknown setting 'holdout'"), "{err}");
        assert!(err.contains("holdout_percent") && err.contains("business_hours"), "{err}");
    }

    #[test]
    fn malformed_values_are_rejected_with_what_is_valid() {
        let c = conn();
        for (key, bad, hint) in [
            ("timezone", "Mars/Olympus", "IANA"),
            ("followups", "3", "0 to 2"),
            ("holdout_percent", "-1", "0 to 50"),
            ("business_hours", "mon-fri 9-18", "example"),
            ("ui_language", "fr", "auto, es, pt, en"),
            ("consent_only", "maybe", "true or false"),
            ("default_country", "ZZ", "two-letter"),
            ("whatsapp_base_url", "http://graph.example.com", "https://"),
            ("whatsapp_api_version", "25", "v25.0"),
            ("whatsapp_phone_number_id", "12ab", "digits"),
            ("template_name", "Carrito Abandonado", "lower-case"),
            ("send_lease_seconds", "1", "2 to 600"),
        ] {
            let err = set(&c, key, bad, at()).unwrap_err().to_string();
            assert!(err.contains(hint), "{key}={bad}: {err}");
        }
        assert!(table::all(&c).unwrap().is_empty(), "nothing invalid is stored");
    }

    #[test]
    fn a_hand_edited_invalid_value_falls_back_to_the_default() {
        let c = conn();
        table::put(&c, "followups", "seven", "2026-11-20T12:00:00.000Z").unwrap();
        assert_eq!(get(&c, "followups").unwrap(), "0");
        assert_eq!(Settings::load(&c).unwrap().followups, 0);
    }
}
