//! Why a store request failed, told apart by what the caller can do: wait and try again
//! (network, 5xx, throttling, an unreadable page), or ask the owner (credentials, a refusal).

use std::time::Duration;

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
}
