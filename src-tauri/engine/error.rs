//! The engine's errors: one enum a caller can branch on, with the stable code the UI and
//! `--json` output receive, and the conversions from the parts' own errors.

use crate::config::ConfigError;
use crate::metrics::MetricsError;
use crate::secrets::SecretError;
use crate::storage::StorageError;
use crate::stores::StoreError;

/// Errors a caller can branch on. `code()` is what the UI receives.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("WhatsApp is not connected yet (phone-number id and token)")]
    NoWhatsApp,
    #[error("the customer's 24-hour window is closed: only a template can be sent")]
    WindowClosed,
    #[error("no such conversation")]
    NoConversation,
    #[error(transparent)]
    WhatsApp(#[from] crate::whatsapp::SendError),
    #[error("{0}")]
    Invalid(String),
    #[error("this customer has no cart to send the recovery template for")]
    NoCart,
    #[error("the recovery template is not approved in that language yet")]
    TemplateNotApproved,
    #[error("{what} is not ready yet in this version of Recupero")]
    NotReady { what: &'static str },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError::Storage(StorageError::Sql(e))
    }
}

impl EngineError {
    /// A stable, machine-readable code for the UI and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Config(ConfigError::UnknownKey { .. }) => "unknown_setting",
            EngineError::Config(ConfigError::InvalidValue { .. }) => "invalid_setting",
            EngineError::Config(ConfigError::Storage(_)) | EngineError::Storage(_) => "storage",
            EngineError::Secret(SecretError::NoKeychain { .. }) => "no_keychain",
            EngineError::Secret(_) => "secret",
            EngineError::Store(e) => e.code(),
            EngineError::NotReady { .. } => "not_ready",
            EngineError::NoWhatsApp => "no_whatsapp",
            EngineError::WindowClosed => "window_closed",
            EngineError::NoConversation => "no_conversation",
            EngineError::Invalid(_) => "invalid",
            EngineError::NoCart => "no_cart",
            EngineError::TemplateNotApproved => "template_not_approved",
            EngineError::WhatsApp(_) => "whatsapp",
            EngineError::Other(_) => "internal",
        }
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

/// The Results' errors as the engine reports them: a bad period or rate table is an invalid
/// setting (the owner can fix it), the rest storage or internal.
impl From<MetricsError> for EngineError {
    fn from(e: MetricsError) -> Self {
        let invalid =
            |key: &str, reason: String| ConfigError::InvalidValue { key: key.into(), reason }.into();
        match e {
            MetricsError::Storage(e) => e.into(),
            MetricsError::Json(e) => EngineError::Other(e.into()),
            MetricsError::Rates(e) => invalid("rates", e.to_string()),
            e @ (MetricsError::Range(_) | MetricsError::Bound(_)) => invalid("period", e.to_string()),
        }
    }
}
