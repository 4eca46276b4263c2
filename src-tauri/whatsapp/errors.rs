//! The one place WhatsApp's error codes are sorted: [`ErrorClass`] says what a code means
//! (§6.5 of the reference), [`SendError`] is what a failed send carries to the outbox. Every
//! other part asks here instead of matching codes itself.

use std::time::Duration;

use crate::ui_error::{UiError, UiErrorCode};

/// What one of Meta's error codes means for whoever sent the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// 131050: the customer stopped marketing messages.
    OptedOut,
    /// 131056: too many messages to the same customer; wait 4^X seconds.
    PairRateLimit,
    /// Throughput, rate limits, Meta unavailable: nothing was sent, try again later.
    Throttled,
    /// 131049: the per-user marketing cap; not before 24 hours.
    MarketingCap,
    /// 131047: free text outside the customer's 24-hour window.
    WindowClosed,
    /// 132xxx: the template can't be used as it is.
    Template,
    /// 0, 190: the access token expired or was refused.
    TokenExpired,
    /// The account or number can't send (blocked, disconnected, permissions…).
    Account,
    /// Anything else: this message to this customer will not go.
    Other,
}

impl ErrorClass {
    /// The class of one of Meta's numeric codes.
    pub fn of(code: i64) -> ErrorClass {
        match code {
            131050 => ErrorClass::OptedOut,
            131056 => ErrorClass::PairRateLimit,
            4 | 80007 | 130429 | 131000 | 131016 | 131057 => ErrorClass::Throttled,
            131049 => ErrorClass::MarketingCap,
            131047 => ErrorClass::WindowClosed,
            132000..=132999 => ErrorClass::Template,
            0 | 190 => ErrorClass::TokenExpired,
            3 | 10 | 33 | 368 | 131031 | 131042 | 131045 | 133010 => ErrorClass::Account,
            200..=299 => ErrorClass::Account,
            _ => ErrorClass::Other,
        }
    }

    /// The class of a code as recorded (a send's `error_code`, a status webhook's code): `None`
    /// when it is not one of Meta's numbers (`network`, `http_503`, `config`…).
    pub fn of_recorded(code: &str) -> Option<ErrorClass> {
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        code.parse::<i64>().ok().map(ErrorClass::of)
    }
}

/// Whether a recorded code is a template refusal (132xxx): the template, not the message, is
/// what needs fixing.
pub fn is_template_refusal(code: &str) -> bool {
    ErrorClass::of_recorded(code) == Some(ErrorClass::Template)
}

/// Whether a recorded account code means the access token expired (else the number or the
/// account itself can't send).
pub fn is_token_expired(code: &str) -> bool {
    ErrorClass::of_recorded(code) == Some(ErrorClass::TokenExpired)
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

    /// The error as the window shows it: a code for the owner's language (by Meta's number when
    /// there is one, §6.5), Meta's number or the HTTP status and any wait as parameters, this
    /// text as the detail.
    pub fn ui(&self) -> UiError {
        let detail = self.to_string();
        let code = self.code();
        let meta = code.parse::<i64>().ok().filter(|_| code.bytes().all(|b| b.is_ascii_digit()));
        let status = code.strip_prefix("http_").and_then(|s| s.parse::<u16>().ok());
        let which = match (self, meta) {
            (SendError::OptedOut { .. }, _) => UiErrorCode::WhatsappOptedOut,
            (SendError::WindowClosed { .. }, _) => UiErrorCode::WhatsappWindowClosed,
            (SendError::Template { .. }, _) => UiErrorCode::WhatsappTemplateUnusable,
            (SendError::Unknown { .. }, _) => UiErrorCode::WhatsappNoAnswer,
            (_, Some(0 | 190)) => UiErrorCode::WhatsappTokenInvalid,
            (_, Some(33 | 131045 | 133010)) => UiErrorCode::WhatsappNumberDisconnected,
            (_, Some(368 | 131031)) => UiErrorCode::WhatsappAccountBlocked,
            (_, Some(131042)) => UiErrorCode::WhatsappPaymentProblem,
            (_, Some(3 | 10 | 200..=299)) => UiErrorCode::WhatsappPermissionMissing,
            (_, Some(131049)) => UiErrorCode::WhatsappMarketingCap,
            (_, Some(131026)) => UiErrorCode::WhatsappUndeliverable,
            (_, Some(131000 | 131016)) => UiErrorCode::WhatsappUnavailable,
            (_, Some(n)) if ErrorClass::of(n) == ErrorClass::Throttled => UiErrorCode::WhatsappRateLimited,
            (_, Some(131056)) => UiErrorCode::WhatsappRateLimited,
            (SendError::Retryable { .. }, None) => match code {
                "network" => UiErrorCode::WhatsappUnreachable,
                "protocol" => UiErrorCode::WhatsappBadResponse,
                _ => UiErrorCode::WhatsappUnavailable,
            },
            (SendError::Account { .. }, None) if code == "config" => UiErrorCode::WhatsappConfig,
            // 401 without Meta's body: the token was refused.
            (_, None) if status == Some(401) => UiErrorCode::WhatsappTokenInvalid,
            (_, None) if status == Some(429) => UiErrorCode::WhatsappRateLimited,
            _ => UiErrorCode::WhatsappRefused,
        };
        let mut ui = UiError::new(which, detail);
        if let Some(n) = meta {
            ui = ui.with("meta_code", n);
        }
        if let Some(s) = status {
            ui = ui.with("status", s);
        }
        if let SendError::Retryable { retry_after: Some(d), .. } = self {
            ui = ui.with("retry_after", d.as_secs().max(1));
        }
        ui
    }

    /// Sorts one of Meta's error codes (by its [`ErrorClass`]) into what the outbox must do.
    pub fn from_meta(code: i64, detail: String, attempt: u32) -> SendError {
        let c = code.to_string();
        match ErrorClass::of(code) {
            ErrorClass::OptedOut => SendError::OptedOut { code: c },
            // Pair rate limit: 4^X seconds.
            ErrorClass::PairRateLimit => SendError::Retryable {
                code: c,
                detail,
                retry_after: Some(Duration::from_secs(4u64.saturating_pow(attempt.min(5)))),
            },
            ErrorClass::Throttled => SendError::Retryable { code: c, detail, retry_after: None },
            // Per-user marketing cap: not before 24 h, which is past any send's deadline.
            ErrorClass::MarketingCap | ErrorClass::Other => SendError::Terminal { code: c, detail },
            ErrorClass::WindowClosed => SendError::WindowClosed { code: c },
            ErrorClass::Template => SendError::Template { code: c, detail },
            ErrorClass::TokenExpired | ErrorClass::Account => SendError::Account { code: c, detail },
        }
    }
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
    fn each_kind_of_failure_has_its_code_for_the_window() {
        let cases: Vec<(SendError, &str)> = vec![
            (SendError::from_meta(190, "Error validating access token".into(), 0), "whatsapp_token_invalid"),
            (SendError::from_meta(0, "AuthException".into(), 0), "whatsapp_token_invalid"),
            (
                SendError::from_meta(133010, "Account not registered".into(), 0),
                "whatsapp_number_disconnected",
            ),
            (SendError::from_meta(131045, "Incorrect certificate".into(), 0), "whatsapp_number_disconnected"),
            (SendError::from_meta(368, "Temporarily blocked".into(), 0), "whatsapp_account_blocked"),
            (SendError::from_meta(131042, "Payment issue".into(), 0), "whatsapp_payment_problem"),
            (SendError::from_meta(200, "Permissions error".into(), 0), "whatsapp_permission_missing"),
            (SendError::from_meta(130429, "Rate limit hit".into(), 0), "whatsapp_rate_limited"),
            (SendError::from_meta(131056, "Pair rate limit".into(), 1), "whatsapp_rate_limited"),
            (SendError::from_meta(131016, "Service unavailable".into(), 0), "whatsapp_unavailable"),
            (SendError::from_meta(131047, "Re-engagement".into(), 0), "whatsapp_window_closed"),
            (SendError::from_meta(131050, "Stopped marketing".into(), 0), "whatsapp_opted_out"),
            (SendError::from_meta(131049, "Healthy ecosystem".into(), 0), "whatsapp_marketing_cap"),
            (SendError::from_meta(131026, "Undeliverable".into(), 0), "whatsapp_undeliverable"),
            (SendError::from_meta(132001, "Template does not exist".into(), 0), "whatsapp_template_unusable"),
            (SendError::from_meta(100, "Invalid parameter".into(), 0), "whatsapp_refused"),
            (
                SendError::Retryable {
                    code: "network".into(),
                    detail: "connection refused".into(),
                    retry_after: None,
                },
                "whatsapp_unreachable",
            ),
            (
                SendError::Retryable {
                    code: "http_503".into(),
                    detail: "Service Unavailable".into(),
                    retry_after: None,
                },
                "whatsapp_unavailable",
            ),
            (
                SendError::Retryable {
                    code: "protocol".into(),
                    detail: "unexpected JSON".into(),
                    retry_after: None,
                },
                "whatsapp_bad_response",
            ),
            (SendError::Account { code: "config".into(), detail: "bad base URL".into() }, "whatsapp_config"),
            (
                SendError::Terminal { code: "http_401".into(), detail: "Unauthorized".into() },
                "whatsapp_token_invalid",
            ),
            (SendError::Terminal { code: "http_404".into(), detail: "Not Found".into() }, "whatsapp_refused"),
            (SendError::Unknown { detail: "timed out".into() }, "whatsapp_no_answer"),
        ];
        for (error, code) in cases {
            let ui = error.ui();
            assert_eq!(ui.code.as_str(), code, "{error}");
            assert_eq!(ui.detail, error.to_string());
        }
        let ui = SendError::from_meta(368, "x".into(), 0).ui();
        assert_eq!(ui.params.get("meta_code").map(String::as_str), Some("368"));
        let ui = SendError::from_meta(131056, "x".into(), 1).ui();
        assert_eq!(ui.params.get("retry_after").map(String::as_str), Some("4"));
        let ui = SendError::Terminal { code: "http_404".into(), detail: "x".into() }.ui();
        assert_eq!(ui.params.get("status").map(String::as_str), Some("404"));
    }

    #[test]
    fn recorded_codes_keep_their_class() {
        assert!(is_token_expired("0"));
        assert!(is_token_expired("190"));
        assert!(!is_token_expired("368"));
        assert!(!is_token_expired("config"));
        assert!(is_template_refusal("132001"));
        assert!(!is_template_refusal("131026"));
        assert!(!is_template_refusal("http_503"));
        assert_eq!(ErrorClass::of_recorded("131050"), Some(ErrorClass::OptedOut));
        assert_eq!(ErrorClass::of_recorded(""), None);
    }
}
