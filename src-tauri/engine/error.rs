//! The engine's errors: one enum a caller can branch on, with the stable code the UI and
//! `--json` output receive, and the conversions from the parts' own errors.

use crate::config::ConfigError;
use crate::metrics::MetricsError;
use crate::secrets::SecretError;
use crate::storage::StorageError;
use crate::stores::StoreError;
use crate::ui_error::{UiError, UiErrorCode};

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
    /// Like `Invalid`, with a stable reason the window words (`errors.why.<why>`); `detail` is
    /// the English text the command line prints.
    #[error("{detail}")]
    Refused { why: &'static str, detail: String },
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

/// Every reason [`EngineError::refused`] is given; each has its sentence in the UI's catalogs
/// (`errors.why.<why>`, checked by a test).
pub const REFUSED_WHY: &[&str] = &[
    "backup_not_sqlite",
    "backup_not_recupero",
    "backup_damaged",
    "backup_newer",
    "backup_is_database",
    "file_exists",
    "token_first",
    "message_length",
    "already_handled",
    "button_https",
    "not_a_date",
    "one_line",
];

impl EngineError {
    /// An owner's request refused for a reason the window words (`errors.why.<why>`, one of
    /// [`REFUSED_WHY`]).
    pub fn refused(why: &'static str, detail: impl Into<String>) -> EngineError {
        debug_assert!(REFUSED_WHY.contains(&why), "{why} is not in REFUSED_WHY");
        EngineError::Refused { why, detail: detail.into() }
    }

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
            EngineError::Invalid(_) | EngineError::Refused { .. } => "invalid",
            EngineError::NoCart => "no_cart",
            EngineError::TemplateNotApproved => "template_not_approved",
            EngineError::WhatsApp(_) => "whatsapp",
            EngineError::Other(_) => "internal",
        }
    }
}

impl EngineError {
    /// The error as the window shows it: the store's and WhatsApp's own codes, else one for
    /// what went wrong here; this text (English, as logged) as the detail.
    pub fn ui(&self) -> UiError {
        let detail = self.to_string();
        let code = match self {
            EngineError::Store(e) => return e.ui(),
            EngineError::WhatsApp(e) => return e.ui(),
            EngineError::Config(ConfigError::UnknownKey { key, .. }) => {
                return UiError::new(UiErrorCode::UnknownSetting, detail).with("key", key)
            }
            EngineError::Config(ConfigError::InvalidValue { key, expected, .. }) => {
                let mut ui = UiError::new(UiErrorCode::InvalidSetting, detail).with("key", key);
                if let Some(why) = expected {
                    let (code, params) = why.expected();
                    ui = ui.with("expected", code);
                    for (name, value) in params {
                        ui = ui.with(name, value);
                    }
                }
                return ui;
            }
            EngineError::Config(ConfigError::Storage(_)) | EngineError::Storage(_) => UiErrorCode::Storage,
            EngineError::Secret(SecretError::NoKeychain { .. }) => UiErrorCode::NoKeychain,
            EngineError::Secret(_) => UiErrorCode::Secret,
            EngineError::NotReady { .. } => UiErrorCode::NotReady,
            EngineError::NoWhatsApp => UiErrorCode::WhatsappNotConnected,
            EngineError::WindowClosed => UiErrorCode::WhatsappWindowClosed,
            EngineError::NoConversation => UiErrorCode::NoConversation,
            EngineError::Invalid(_) => UiErrorCode::Invalid,
            EngineError::Refused { why, .. } => {
                return UiError::new(UiErrorCode::Invalid, detail).with("why", why)
            }
            EngineError::NoCart => UiErrorCode::NoCart,
            EngineError::TemplateNotApproved => UiErrorCode::WhatsappTemplateNotApproved,
            EngineError::Other(_) => UiErrorCode::Internal,
        };
        UiError::new(code, detail)
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

/// The Results' errors as the engine reports them: a bad period or rate table is an invalid
/// setting (the owner can fix it), the rest storage or internal.
impl From<MetricsError> for EngineError {
    fn from(e: MetricsError) -> Self {
        let invalid = |key: &str, reason: String| {
            ConfigError::InvalidValue { key: key.into(), reason, expected: None }.into()
        };
        match e {
            MetricsError::Storage(e) => e.into(),
            MetricsError::Json(e) => EngineError::Other(e.into()),
            MetricsError::Rates(e) => invalid("rates", e.to_string()),
            e @ (MetricsError::Range(_) | MetricsError::Bound(_)) => invalid("period", e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::SendError;

    #[test]
    fn each_engine_error_reaches_the_window_as_a_code() {
        let cases: Vec<(EngineError, &str)> = vec![
            (StoreError::Auth { status: 401, detail: "bad token".into() }.into(), "store_unauthorized"),
            (StoreError::RateLimited { retry_after: None }.into(), "store_rate_limited"),
            (SendError::from_meta(190, "expired".into(), 0).into(), "whatsapp_token_invalid"),
            (EngineError::NoWhatsApp, "whatsapp_not_connected"),
            (EngineError::WindowClosed, "whatsapp_window_closed"),
            (EngineError::TemplateNotApproved, "whatsapp_template_not_approved"),
            (EngineError::NoCart, "no_cart"),
            (EngineError::NoConversation, "no_conversation"),
            (EngineError::Invalid("paste the whole value, on one line".into()), "invalid"),
            (EngineError::NotReady { what: "x" }, "not_ready"),
            (ConfigError::UnknownKey { key: "nope".into(), valid: "a, b".into() }.into(), "unknown_setting"),
            (
                ConfigError::InvalidValue {
                    key: "business_hours".into(),
                    reason: "bad".into(),
                    expected: None,
                }
                .into(),
                "invalid_setting",
            ),
            (
                SecretError::NoKeychain { detail: "none".into(), env_hint: "RECUPERO_X".into() }.into(),
                "no_keychain",
            ),
            (EngineError::Other(anyhow::anyhow!("boom")), "internal"),
        ];
        for (error, code) in cases {
            let ui = error.ui();
            assert_eq!(ui.code.as_str(), code, "{error}");
            assert_eq!(ui.detail, error.to_string());
        }
        let ui = EngineError::from(ConfigError::InvalidValue {
            key: "business_hours".into(),
            reason: "x".into(),
            expected: None,
        })
        .ui();
        assert_eq!(ui.params.get("key").map(String::as_str), Some("business_hours"));
    }

    /// A refused setting says, in the owner's language, what a valid value looks like: the
    /// check's own reason travels as `expected` (with its numbers), and every such reason has
    /// its sentence in the three catalogs.
    #[test]
    fn a_refused_setting_carries_what_is_expected_and_every_reason_is_worded() {
        let err = crate::config::spec("holdout_percent").unwrap().normalize("80").unwrap_err();
        let ui = EngineError::from(err).ui();
        assert_eq!(ui.code.as_str(), "invalid_setting");
        let param = |k: &str| ui.params.get(k).map(String::as_str);
        assert_eq!((param("key"), param("expected")), (Some("holdout_percent"), Some("out_of_range")));
        assert_eq!((param("min"), param("max")), (Some("0"), Some("50")));
        for lang in ["es", "pt", "en"] {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/src/lib/i18n/{lang}.json"));
            let catalog: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for why in REFUSED_WHY {
                let text = catalog["errors"]["why"][why].as_str().unwrap_or_default();
                assert!(!text.trim().is_empty(), "errors.why.{why} missing in {lang}.json");
            }
            for why in crate::config::ValueError::every_kind() {
                let (code, params) = why.expected();
                let text = catalog["errors"]["expected"][code].as_str().unwrap_or_default();
                assert!(!text.trim().is_empty(), "errors.expected.{code} missing in {lang}.json");
                for (name, _) in params {
                    assert!(
                        text.contains(&format!("{{{name}}}")),
                        "errors.expected.{code} in {lang} lacks {{{name}}}"
                    );
                }
            }
        }
    }
}
