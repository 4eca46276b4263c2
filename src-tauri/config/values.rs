//! The value checks behind every setting: each normalizes an owner-typed text or says, with a
//! typed [`ValueError`], what would be valid. Pure: no storage, no I/O.

use chrono_tz::Tz;

use crate::domain::{BusinessHours, HoursError};

/// Why a value is not acceptable for a setting. The texts are what the owner reads in the
/// Settings screen and on the command line, so each says what a valid value looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("expected a whole number from {min} to {max}")]
    OutOfRange { min: u32, max: u32 },
    #[error("expected true or false")]
    NotABool,
    #[error("expected an IANA time zone such as America/Argentina/Buenos_Aires or Europe/Madrid")]
    TimeZone,
    #[error("{0} (example: mon-fri 09:00-18:00; sat 10:00-13:00; closed 2026-12-25)")]
    Hours(HoursError),
    #[error("expected one of: auto, es, pt, en")]
    Language,
    #[error("expected a two-letter country code such as AR, BR, MX, CL, CO, ES")]
    Country,
    #[error("expected an address such as https://graph.facebook.com")]
    Address,
    #[error("expected an https:// address (http:// only on this computer, for the sandbox)")]
    NotHttps,
    #[error("expected the numeric id Meta shows (digits only), or nothing")]
    MetaId,
    #[error("expected a Graph API version such as v25.0")]
    ApiVersion,
    #[error("expected an HTTP header name such as Authorization or D360-API-KEY")]
    HeaderName,
    #[error("expected at least {min} letters, digits, '-' or '_' (or nothing, to generate one)")]
    SecretWord { min: usize },
    #[error("expected a template name: lower-case letters, digits and underscores")]
    TemplateName,
    #[error("expected one of: off (no assistant), drafts (you approve each answer), auto (answers go out on their own)")]
    AssistantMode,
    #[error("expected an https:// address, or http:// on this computer such as http://127.0.0.1:11434/v1 (a local Ollama)")]
    AssistantAddress,
    #[error("expected a model name such as llama3.2 or gpt-4o-mini")]
    ModelName,
    #[error("expected at most 20,000 characters")]
    TextTooLong,
    #[error("the text has control characters; paste it as plain text")]
    ControlCharacters,
    #[error("expected at most 200 words or phrases of up to 100 characters, separated by commas")]
    Keywords,
    /// The exchange-rate parser's own explanation (it names the offending part).
    #[error("{0}")]
    UsdRates(String),
    #[error(
        "expected one of: off, quick (a temporary address, to try), named (your own tunnel and hostname)"
    )]
    TunnelMode,
    #[error("expected the name you gave `cloudflared tunnel create` (letters, digits, '.', '-', '_'; not starting with '-'), or nothing")]
    TunnelName,
    #[error("expected a hostname such as hooks.your-shop.com (what `cloudflared tunnel route dns` points at), or nothing")]
    Hostname,
    #[error("expected the full path of the cloudflared program, or nothing to look for it on PATH")]
    ProgramPath,
    #[error("expected an amount of US dollars such as 20 or 12.50, up to 1000000 (0: no cap)")]
    SpendCap,
    #[error("expected two different arms: delay:A,B (minutes after abandonment, 0 to 1440, e.g. delay:15,60), template:NAME_A,NAME_B (two approved templates) or coupon:on,off; or nothing for no experiment")]
    Experiment,
    #[error("expected a plain amount such as 5000 or 12.50, with at most 2 decimals (0: every cart)")]
    Amount,
    /// Checked against the other settings ([`super::check_together`]).
    #[error("coupon:on,off compares a coupon with none: set coupon_percent (1 to 50) first")]
    ExperimentNeedsCoupon,
    /// Checked against the other settings ([`super::check_together`]).
    #[error("a coupon:on,off experiment is running: end it (empty experiment) before turning coupons off")]
    CouponInExperiment,
}

impl ValueError {
    /// What a valid value looks like, as a stable code for the window's sentence
    /// (`errors.expected.<code>` in the UI's catalogs) with its parameters; the English text
    /// above stays the detail and what the command line prints.
    pub fn expected(&self) -> (&'static str, Vec<(&'static str, String)>) {
        use ValueError as V;
        let code = match self {
            V::OutOfRange { min, max } => {
                return ("out_of_range", vec![("min", min.to_string()), ("max", max.to_string())])
            }
            V::SecretWord { min } => return ("secret_word", vec![("min", min.to_string())]),
            V::NotABool => "bool",
            V::TimeZone => "time_zone",
            V::Hours(_) => "hours",
            V::Language => "language",
            V::Country => "country",
            V::Address => "address",
            V::NotHttps => "https",
            V::MetaId => "meta_id",
            V::ApiVersion => "api_version",
            V::HeaderName => "header_name",
            V::TemplateName => "template_name",
            V::AssistantMode => "assistant_mode",
            V::AssistantAddress => "assistant_address",
            V::ModelName => "model_name",
            V::TextTooLong => "text_too_long",
            V::ControlCharacters => "control_characters",
            V::Keywords => "keywords",
            V::UsdRates(_) => "usd_rates",
            V::TunnelMode => "tunnel_mode",
            V::TunnelName => "tunnel_name",
            V::Hostname => "hostname",
            V::ProgramPath => "program_path",
            V::SpendCap => "spend_cap",
            V::Experiment => "experiment",
            V::Amount => "amount",
            V::ExperimentNeedsCoupon => "experiment_needs_coupon",
            V::CouponInExperiment => "coupon_in_experiment",
        };
        (code, Vec::new())
    }

    /// One value of each kind, for the test that every code has its sentence.
    #[cfg(test)]
    pub fn every_kind() -> Vec<ValueError> {
        use ValueError as V;
        vec![
            V::OutOfRange { min: 0, max: 50 },
            V::NotABool,
            V::TimeZone,
            V::Hours(crate::domain::HoursError::UnknownDay("x".into())),
            V::Language,
            V::Country,
            V::Address,
            V::NotHttps,
            V::MetaId,
            V::ApiVersion,
            V::HeaderName,
            V::SecretWord { min: 16 },
            V::TemplateName,
            V::AssistantMode,
            V::AssistantAddress,
            V::ModelName,
            V::TextTooLong,
            V::ControlCharacters,
            V::Keywords,
            V::UsdRates(String::new()),
            V::TunnelMode,
            V::TunnelName,
            V::Hostname,
            V::ProgramPath,
            V::SpendCap,
            V::Experiment,
            V::Amount,
            V::ExperimentNeedsCoupon,
            V::CouponInExperiment,
        ]
    }
}

/// What a check returns: the normalized value to store.
pub type Checked = Result<String, ValueError>;

pub fn int_in(v: &str, min: u32, max: u32) -> Checked {
    match v.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
        _ => Err(ValueError::OutOfRange { min, max }),
    }
}

pub fn boolean(v: &str) -> Checked {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok("true".into()),
        "false" | "no" | "off" | "0" => Ok("false".into()),
        _ => Err(ValueError::NotABool),
    }
}

pub fn timezone(v: &str) -> Checked {
    v.trim().parse::<Tz>().map(|tz| tz.name().to_string()).map_err(|_| ValueError::TimeZone)
}

pub fn hours(v: &str) -> Checked {
    // The format does not depend on the zone; the zone is applied when the settings are read.
    BusinessHours::parse(v, "UTC").map(|h| h.to_string()).map_err(ValueError::Hours)
}

pub fn language(v: &str) -> Checked {
    match v.trim().to_ascii_lowercase().as_str() {
        l @ ("auto" | "es" | "pt" | "en") => Ok(l.to_string()),
        _ => Err(ValueError::Language),
    }
}

pub fn country(v: &str) -> Checked {
    let up = v.trim().to_ascii_uppercase();
    match up.parse::<phonenumber::country::Id>() {
        Ok(_) => Ok(up),
        Err(_) => Err(ValueError::Country),
    }
}

/// An http(s) base URL (plain http only on loopback, for the sandbox and tests).
pub fn base_url(v: &str) -> Checked {
    let url = url::Url::parse(v.trim()).map_err(|_| ValueError::Address)?;
    let loopback = crate::http::is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(ValueError::NotHttps),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// An id made of digits (Meta's phone-number and account ids), or empty for "not set".
pub fn digits_or_empty(v: &str) -> Checked {
    let v = v.trim();
    if v.chars().all(|c| c.is_ascii_digit()) && v.len() <= 32 {
        Ok(v.to_string())
    } else {
        Err(ValueError::MetaId)
    }
}

pub fn api_version(v: &str) -> Checked {
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
        Err(ValueError::ApiVersion)
    }
}

/// An HTTP header name (letters, digits and dashes).
pub fn header_name(v: &str) -> Checked {
    let v = v.trim();
    if !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(v.to_string())
    } else {
        Err(ValueError::HeaderName)
    }
}

/// A generated secret word (URL-safe letters, digits, `-` and `_`), at least `min` long, or
/// empty for "generate one".
pub fn secret_word(v: &str, min: usize) -> Checked {
    let v = v.trim();
    let ok = v.is_empty()
        || (v.len() >= min
            && v.len() <= 128
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ValueError::SecretWord { min })
    }
}

pub fn template_name(v: &str) -> Checked {
    let v = v.trim();
    if !v.is_empty()
        && v.len() <= 512
        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(v.to_string())
    } else {
        Err(ValueError::TemplateName)
    }
}

pub fn assistant_mode(v: &str) -> Checked {
    match v.trim().to_ascii_lowercase().as_str() {
        m @ ("off" | "drafts" | "auto") => Ok(m.to_string()),
        _ => Err(ValueError::AssistantMode),
    }
}

pub fn url_or_empty(v: &str) -> Checked {
    if v.trim().is_empty() {
        Ok(String::new())
    } else {
        base_url(v).map_err(|_| ValueError::AssistantAddress)
    }
}

pub fn model_name(v: &str) -> Checked {
    let v = v.trim();
    if !v.is_empty() && v.chars().count() <= 200 && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err(ValueError::ModelName)
    }
}

/// Free text of the owner's, up to 20,000 characters, line endings normalized.
pub fn long_text(v: &str) -> Checked {
    let v = v.replace("\r\n", "\n").replace('\r', "\n");
    let v = v.trim();
    if v.chars().count() > 20_000 {
        return Err(ValueError::TextTooLong);
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ValueError::ControlCharacters);
    }
    Ok(v.to_string())
}

pub fn keywords(v: &str) -> Checked {
    let list = crate::domain::escalation::parse_keywords(v);
    if list.len() > 200 || list.iter().any(|k| k.chars().count() > 100) {
        return Err(ValueError::Keywords);
    }
    Ok(list.join(", "))
}

/// `CODE=rate` pairs, written back in one canonical form.
pub fn usd_rates(v: &str) -> Checked {
    crate::domain::money::parse_usd_rates(v)
        .map(|r| crate::domain::money::format_usd_rates(&r))
        .map_err(ValueError::UsdRates)
}

pub fn system_timezone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse::<Tz>().ok())
        .map(|tz| tz.name().to_string())
        .unwrap_or_else(|| "UTC".to_string())
}

/// An A/B experiment (`delay:15,60`, `template:a,b`, `coupon:on,off`), in its canonical
/// spelling; empty is no experiment.
pub fn experiment(v: &str) -> Checked {
    if v.trim().is_empty() {
        return Ok(String::new());
    }
    crate::domain::experiment::ExperimentSpec::parse(v)
        .map(|s| s.to_string())
        .map_err(|_| ValueError::Experiment)
}
