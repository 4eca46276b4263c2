//! Why a store request failed, told apart by what the caller can do: wait and try again
//! (network, 5xx, throttling, an unreadable page), or ask the owner (credentials, a refusal).

use std::time::Duration;

use crate::ui_error::{UiError, UiErrorCode};

/// Why a store request failed, and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the store could not be reached: {0}")]
    Unreachable(String),
    #[error("the store asked us to slow down (HTTP 429){}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error("the store had an internal problem (HTTP {status})")]
    Server { status: u16 },
    #[error("the store refused the credentials (HTTP {status}): {detail}")]
    Auth { status: u16, detail: String },
    #[error("the store answered HTTP {status}: {detail}")]
    Rejected { status: u16, detail: String },
    #[error("the store's answer could not be read: {0}")]
    Protocol(String),
    #[error("{0}")]
    Invalid(String),
}

fn retry_hint(after: Option<Duration>) -> String {
    after.map(|d| format!("; retry after {:.1} s", d.as_secs_f64())).unwrap_or_default()
}

impl StoreError {
    /// A stable code for the UI and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unreachable(_) | StoreError::Server { .. } | StoreError::RateLimited { .. } => {
                "store_unreachable"
            }
            StoreError::Auth { .. } => "store_auth",
            StoreError::Rejected { .. } | StoreError::Protocol(_) => "store_protocol",
            StoreError::Invalid(_) => "store_invalid",
        }
    }

    /// Trying again later can help (network, 5xx, throttling, an unreadable page).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable(_)
                | StoreError::Server { .. }
                | StoreError::RateLimited { .. }
                | StoreError::Protocol(_)
        )
    }

    /// The error as the window shows it: a code for the owner's language, the HTTP status or
    /// the wait as parameters, this text as the detail.
    pub fn ui(&self) -> UiError {
        let detail = self.to_string();
        match self {
            StoreError::Unreachable(_) => UiError::new(UiErrorCode::StoreUnreachable, detail),
            StoreError::RateLimited { retry_after } => {
                let e = UiError::new(UiErrorCode::StoreRateLimited, detail);
                match retry_after {
                    // Whole seconds, rounded up: "in 1 second", never "in 0".
                    Some(d) => e.with("retry_after", d.as_secs() + u64::from(d.subsec_nanos() > 0)),
                    None => e,
                }
            }
            StoreError::Server { status } => {
                UiError::new(UiErrorCode::StoreServerError, detail).with("status", status)
            }
            StoreError::Auth { status, .. } => {
                UiError::new(UiErrorCode::StoreUnauthorized, detail).with("status", status)
            }
            StoreError::Rejected { status: 404, .. } => {
                UiError::new(UiErrorCode::StoreNotFound, detail).with("status", 404)
            }
            StoreError::Rejected { status, .. } => {
                UiError::new(UiErrorCode::StoreRejected, detail).with("status", status)
            }
            StoreError::Protocol(_) => UiError::new(UiErrorCode::StoreBadResponse, detail),
            StoreError::Invalid(_) => UiError::new(UiErrorCode::StoreInvalid, detail),
        }
    }

    /// The error back from its text (a store's `last_error`, stored as this type displays it):
    /// the inverse of `Display` (a wait to a tenth of a second), so a saved failure is shown
    /// with its code. A text no other
    /// variant writes is `Invalid`, which displays as the bare text.
    pub fn from_display(text: &str) -> StoreError {
        let status_in = |rest: &str| -> Option<u16> {
            rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok())
        };
        if let Some(rest) = text.strip_prefix("the store could not be reached: ") {
            return StoreError::Unreachable(rest.to_string());
        }
        if let Some(rest) = text.strip_prefix("the store asked us to slow down (HTTP 429)") {
            let retry_after = rest
                .strip_prefix("; retry after ")
                .and_then(|r| r.strip_suffix(" s"))
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Duration::from_secs_f64);
            return StoreError::RateLimited { retry_after };
        }
        if let Some(status) =
            text.strip_prefix("the store had an internal problem (HTTP ").and_then(status_in)
        {
            return StoreError::Server { status };
        }
        if let Some(rest) = text.strip_prefix("the store refused the credentials (HTTP ") {
            if let Some((status, detail)) = rest.split_once("): ") {
                if let Ok(status) = status.parse() {
                    return StoreError::Auth { status, detail: detail.to_string() };
                }
            }
        }
        if let Some(rest) = text.strip_prefix("the store answered HTTP ") {
            if let Some((status, detail)) = rest.split_once(": ") {
                if let Ok(status) = status.parse() {
                    return StoreError::Rejected { status, detail: detail.to_string() };
                }
            }
        }
        if let Some(rest) = text.strip_prefix("the store's answer could not be read: ") {
            return StoreError::Protocol(rest.to_string());
        }
        StoreError::Invalid(text.to_string())
    }

    /// The wait the store itself asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            StoreError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_told_apart_from_permanent_ones() {
        assert!(StoreError::Server { status: 503 }.is_transient());
        assert!(StoreError::RateLimited { retry_after: None }.is_transient());
        assert!(StoreError::Protocol("x".into()).is_transient());
        assert!(!StoreError::Auth { status: 401, detail: "x".into() }.is_transient());
        assert_eq!(
            StoreError::RateLimited { retry_after: Some(Duration::from_millis(1500)) }.retry_after(),
            Some(Duration::from_millis(1500))
        );
    }

    fn every_kind() -> Vec<StoreError> {
        vec![
            StoreError::Unreachable("error sending request: connection refused".into()),
            StoreError::RateLimited { retry_after: Some(Duration::from_millis(1500)) },
            StoreError::RateLimited { retry_after: None },
            StoreError::Server { status: 503 },
            StoreError::Auth { status: 401, detail: "Invalid API key or access token".into() },
            StoreError::Rejected { status: 404, detail: "Not Found".into() },
            StoreError::Rejected { status: 422, detail: "x".into() },
            StoreError::Protocol("unexpected JSON: EOF".into()),
            StoreError::Invalid("the store address is not a web address".into()),
        ]
    }

    #[test]
    fn each_kind_has_its_code_and_its_params() {
        let codes: Vec<(String, Vec<(String, String)>)> = every_kind()
            .iter()
            .map(|e| {
                let ui = e.ui();
                assert_eq!(ui.detail, e.to_string());
                (ui.code.as_str(), ui.params.into_iter().collect())
            })
            .collect();
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(
            codes,
            vec![
                ("store_unreachable".into(), vec![]),
                ("store_rate_limited".into(), p("retry_after", "2")),
                ("store_rate_limited".into(), vec![]),
                ("store_server_error".into(), p("status", "503")),
                ("store_unauthorized".into(), p("status", "401")),
                ("store_not_found".into(), p("status", "404")),
                ("store_rejected".into(), p("status", "422")),
                ("store_bad_response".into(), vec![]),
                ("store_invalid".into(), vec![]),
            ]
        );
    }

    #[test]
    fn a_saved_failure_reads_back_as_the_same_error() {
        for e in every_kind() {
            assert_eq!(StoreError::from_display(&e.to_string()), e, "{e}");
        }
        // A whole-second wait survives too, and any other text is the owner's own sentence.
        let e = StoreError::RateLimited { retry_after: Some(Duration::from_secs(3)) };
        assert_eq!(StoreError::from_display(&e.to_string()), e);
        assert_eq!(StoreError::from_display("no store token saved").ui().code.as_str(), "store_invalid");
    }
}
