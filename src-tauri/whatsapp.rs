//! The WhatsApp side as the send plan sees it: one template message out, and what came back —
//! accepted (with its wamid), an error sorted by what the outbox must do about it, or *unknown*
//! (the request may have reached Meta and no answer came back: never resend blindly).
//!
//! [`MessageSender`] is the seam: the Cloud API client ([`client::CloudClient`]) in production,
//! the sandbox WhatsApp in the demo and tests (over real HTTP), or a test double. Error classes
//! follow Meta's codes, not HTTP statuses (Meta answers 400 even for throttling).

pub mod client;
pub mod template;
pub mod throttle;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One recovery template message, ready to send. Built by the outbox from the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingTemplate {
    /// E.164 with the `+`.
    pub to: String,
    pub template: String,
    /// Meta's language code, e.g. `es_AR`, `pt_BR`, `en_US`.
    pub language: String,
    /// Body parameters in placeholder order: first name, store name, products, total.
    pub body: Vec<String>,
    /// The image header's link (the first product image), when the template has an image header.
    pub header_image: Option<String>,
    /// The variable end of the URL button (already percent-encoded), if the template has one.
    pub button_suffix: Option<String>,
    /// Echoed back by Meta in status webhooks (`biz_opaque_callback_data`): the send's
    /// idempotency key, so an `unknown` send is reconciled exactly.
    pub callback_data: String,
}

/// Meta accepted the message (not yet delivered: that comes by webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub wamid: String,
    /// WhatsApp's id for the recipient; may differ from what we sent (BR, MX, AR numbers).
    pub wa_id: Option<String>,
}

/// What the outbox does with a failed send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Nothing was sent; try again later (throughput, pair rate, Meta unavailable, refused
    /// connection). `retry_after` when the error says how long.
    #[error("WhatsApp asked to retry later ({code}): {detail}")]
    Retryable { code: String, detail: String, retry_after: Option<Duration> },
    /// This message to this customer will not go (undeliverable number, invalid parameter…).
    #[error("WhatsApp refused the message ({code}): {detail}")]
    Terminal { code: String, detail: String },
    /// The template can't be used as it is (132xxx: missing in that language, paused, disabled,
    /// parameters that don't match): that template pauses, the owner is told, nothing else stops.
    #[error("the message template can't be used ({code}): {detail}")]
    Template { code: String, detail: String },
    /// Free text outside the customer's 24-hour window (131047): a template is needed.
    #[error("the 24-hour window is closed ({code}); send a template instead")]
    WindowClosed { code: String },
    /// The customer stopped marketing messages (131050): suppress the contact for good.
    #[error("the customer stopped marketing messages ({code})")]
    OptedOut { code: String },
    /// The account can't send at all (expired token, blocked, number disconnected, template
    /// missing): nothing is the message's fault; everything pauses until the owner acts.
    #[error("the WhatsApp account cannot send ({code}): {detail}")]
    Account { code: String, detail: String },
    /// The request may have reached Meta, and no answer came back. Never resend blindly.
    #[error("no answer from WhatsApp after sending; the message may have left: {detail}")]
    Unknown { detail: String },
}

impl SendError {
    pub fn code(&self) -> &str {
        match self {
            SendError::Retryable { code, .. }
            | SendError::Terminal { code, .. }
            | SendError::OptedOut { code }
            | SendError::Template { code, .. }
            | SendError::WindowClosed { code }
            | SendError::Account { code, .. } => code,
            SendError::Unknown { .. } => "unknown",
        }
    }

    /// Sorts one of Meta's error codes (§6.5 of the reference) into what the outbox must do.
    pub fn from_meta(code: i64, detail: String, attempt: u32) -> SendError {
        let c = code.to_string();
        match code {
            131050 => SendError::OptedOut { code: c },
            // Pair rate limit: 4^X seconds.
            131056 => SendError::Retryable {
                code: c,
                detail,
                retry_after: Some(Duration::from_secs(4u64.saturating_pow(attempt.min(5)))),
            },
            4 | 80007 | 130429 | 131000 | 131016 | 131057 => {
                SendError::Retryable { code: c, detail, retry_after: None }
            }
            // Per-user marketing cap: not before 24 h, which is past any send's deadline.
            131049 => SendError::Terminal { code: c, detail },
            131047 => SendError::WindowClosed { code: c },
            132000..=132999 => SendError::Template { code: c, detail },
            0 | 3 | 10 | 33 | 190 | 368 | 131031 | 131042 | 131045 | 133010 => {
                SendError::Account { code: c, detail }
            }
            200..=299 => SendError::Account { code: c, detail },
            _ => SendError::Terminal { code: c, detail },
        }
    }
}

/// A template as Meta reports it: review state (APPROVED, PENDING, REJECTED, PAUSED…) and the
/// shape a send must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TemplateState {
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: Option<String>,
    pub id: Option<String>,
    /// How many body parameters it takes (`None`: not reported).
    pub body_params: Option<i64>,
    /// TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION when it has a header.
    pub header_format: Option<String>,
    /// The URL button's address as approved, e.g. `https://shop.example/{{1}}`.
    pub button_url: Option<String>,
    /// The texts as approved on the account (placeholders `{{1}}` unfilled): what the customer
    /// reads, which may be the owner's own wording rather than the one Recupero submits.
    pub body_text: Option<String>,
    pub footer_text: Option<String>,
    /// The URL button's label.
    pub button_text: Option<String>,
    /// The first quick-reply button's label (the marketing opt-out, "Stop promotions").
    pub quick_reply_text: Option<String>,
}

/// A free-text message (inbox replies, inside the 24-hour window only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingText {
    pub to: String,
    pub body: String,
    pub callback_data: Option<String>,
}

/// A template to create (see [`template::recovery_template`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    /// Meta's creation body.
    pub body: serde_json::Value,
}

/// What Meta answered to a creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTemplate {
    pub id: String,
    pub status: String,
    pub category: Option<String>,
}

impl TemplateState {
    pub fn approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("APPROVED")
    }

    /// The cache row for what Meta reported, checked at `checked_at` (no local block).
    pub fn to_row(&self, checked_at: &str) -> crate::storage::templates::TemplateRow {
        crate::storage::templates::TemplateRow {
            name: self.name.clone(),
            language: self.language.clone(),
            status: self.status.clone(),
            category: self.category.clone(),
            meta_id: self.id.clone(),
            body_params: self.body_params,
            header_format: self.header_format.clone(),
            button_url: self.button_url.clone(),
            body_text: self.body_text.clone(),
            footer_text: self.footer_text.clone(),
            button_text: self.button_text.clone(),
            quick_reply_text: self.quick_reply_text.clone(),
            checked_at: checked_at.to_string(),
            block_code: None,
            block_detail: None,
        }
    }

    /// What the cache row says Meta reported.
    pub fn from_row(row: crate::storage::templates::TemplateRow) -> TemplateState {
        TemplateState {
            name: row.name,
            language: row.language,
            status: row.status,
            category: row.category,
            id: row.meta_id,
            body_params: row.body_params,
            header_format: row.header_format,
            button_url: row.button_url,
            body_text: row.body_text,
            footer_text: row.footer_text,
            button_text: row.button_text,
            quick_reply_text: row.quick_reply_text,
        }
    }
}

/// Sends template messages. Boxed futures keep it usable as `dyn` (the engine holds one).
pub trait MessageSender: Send + Sync {
    fn send_template<'a>(
        &'a self,
        message: &'a OutgoingTemplate,
    ) -> BoxFuture<'a, Result<Accepted, SendError>>;

    /// Free text (only inside the customer's 24-hour window; else Meta answers 131047).
    fn send_text<'a>(&'a self, message: &'a OutgoingText) -> BoxFuture<'a, Result<Accepted, SendError>>;

    /// Every language of the templates called `name` (every template when `name` is `None`).
    fn templates<'a>(&'a self, name: Option<&'a str>)
        -> BoxFuture<'a, Result<Vec<TemplateState>, SendError>>;

    /// Submits a template for review.
    fn create_template<'a>(
        &'a self,
        template: &'a NewTemplate,
    ) -> BoxFuture<'a, Result<CreatedTemplate, SendError>>;
}

/// Meta's language code for a customer's language and the store's country.
pub fn template_language(language: &str, country: &str) -> String {
    let country = country.trim().to_ascii_uppercase();
    match language {
        "pt" => if country == "PT" { "pt_PT" } else { "pt_BR" }.to_string(),
        "en" => if country == "GB" { "en_GB" } else { "en_US" }.to_string(),
        _ => match country.as_str() {
            "AR" => "es_AR".into(),
            "MX" => "es_MX".into(),
            "ES" => "es_ES".into(),
            _ => "es".into(),
        },
    }
}

/// A template parameter as Meta accepts it: no newlines or tabs, no more than 4 spaces in a
/// row (error 132000 family), and not empty. Long values are cut at a character boundary.
pub fn clean_parameter(value: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(value.len());
    let mut spaces = 0;
    for ch in value.chars() {
        let ch = if ch.is_whitespace() { ' ' } else { ch };
        if ch == ' ' {
            spaces += 1;
            if spaces > 1 {
                continue;
            }
        } else {
            spaces = 0;
        }
        out.push(ch);
    }
    let trimmed = out.trim();
    let mut result: String = trimmed.chars().take(max_chars).collect();
    if trimmed.chars().count() > max_chars {
        result.pop();
        result.push('…');
    }
    if result.is_empty() {
        "-".into()
    } else {
        result
    }
}

/// The URL button's variable part when the approved button URL is `prefix` + `{{1}}`: what
/// follows the prefix in the recovery link, percent-encoded where Meta requires it. `None` when
/// the link does not start with the prefix (the template can't carry this cart's link).
pub fn button_suffix_for(recovery_url: &str, approved_url: &str) -> Option<String> {
    let prefix = approved_url.strip_suffix("{{1}}")?;
    let url = url::Url::parse(recovery_url).ok()?;
    let rest = url.as_str().strip_prefix(prefix).or_else(|| recovery_url.strip_prefix(prefix))?;
    encode_suffix(rest)
}

/// The URL button's variable part: the recovery link's path and query after its origin,
/// percent-encoded where Meta requires it. The template's fixed URL is the shop's origin + `/`.
pub fn button_suffix(recovery_url: &str) -> Option<String> {
    let url = url::Url::parse(recovery_url).ok()?;
    let mut rest = url.path().trim_start_matches('/').to_string();
    if let Some(q) = url.query() {
        rest.push('?');
        rest.push_str(q);
    }
    encode_suffix(&rest)
}

fn encode_suffix(rest: &str) -> Option<String> {
    let encoded: String = rest
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' | '?' | '=' | '&' | '%' => {
                c.to_string()
            }
            other => {
                let mut buf = [0u8; 4];
                other.encode_utf8(&mut buf).bytes().map(|b| format!("%{b:02X}")).collect()
            }
        })
        .collect();
    (!encoded.is_empty()).then_some(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_codes_sort_into_what_the_outbox_does() {
        assert!(matches!(SendError::from_meta(131050, "x".into(), 0), SendError::OptedOut { .. }));
        assert!(matches!(SendError::from_meta(130429, "x".into(), 0), SendError::Retryable { .. }));
        assert!(matches!(SendError::from_meta(190, "x".into(), 0), SendError::Account { .. }));
        assert!(matches!(SendError::from_meta(131026, "x".into(), 0), SendError::Terminal { .. }));
        assert!(matches!(SendError::from_meta(131049, "x".into(), 0), SendError::Terminal { .. }));
        assert!(matches!(SendError::from_meta(132015, "x".into(), 0), SendError::Template { .. }));
        assert!(matches!(SendError::from_meta(132000, "x".into(), 0), SendError::Template { .. }));
        assert!(matches!(SendError::from_meta(131047, "x".into(), 0), SendError::WindowClosed { .. }));
        assert!(matches!(SendError::from_meta(999_999, "x".into(), 0), SendError::Terminal { .. }));
        match SendError::from_meta(131056, "x".into(), 2) {
            SendError::Retryable { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(16)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parameters_lose_newlines_and_runs_of_spaces() {
        assert_eq!(clean_parameter("Remera\nAzul\t\t  talle M", 60), "Remera Azul talle M");
        assert_eq!(clean_parameter("   ", 60), "-");
        assert_eq!(clean_parameter("مرحبا 👋 Ana", 60), "مرحبا 👋 Ana");
        let long = "ñ".repeat(100);
        let cut = clean_parameter(&long, 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_button_suffix_is_the_links_path_encoded() {
        assert_eq!(
            button_suffix("https://shop.example/checkout/v3/proceed/123/abc?token=x y").as_deref(),
            Some("checkout/v3/proceed/123/abc?token=x%20y")
        );
        assert_eq!(
            button_suffix("https://loja.example/carrinho/ção").as_deref(),
            Some("carrinho/%C3%A7%C3%A3o")
        );
        assert_eq!(button_suffix("not a url"), None);
        assert_eq!(
            button_suffix_for("https://shop.example/checkout/1?k=a b", "https://shop.example/{{1}}")
                .as_deref(),
            Some("checkout/1?k=a%20b")
        );
        assert_eq!(button_suffix_for("https://other.example/checkout/1", "https://shop.example/{{1}}"), None);
        assert_eq!(button_suffix_for("https://shop.example/x", "https://shop.example/static"), None);
    }

    #[test]
    fn languages_follow_the_customer_then_the_country() {
        assert_eq!(template_language("es", "AR"), "es_AR");
        assert_eq!(template_language("pt", "BR"), "pt_BR");
        assert_eq!(template_language("en", "US"), "en_US");
        assert_eq!(template_language("es", "CL"), "es");
    }
}
