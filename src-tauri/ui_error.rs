//! The one shape of an error the window shows ([`UiError`]): a stable code the UI words in the
//! owner's language (`errors.<code>` in `ui/src/lib/i18n/{es,pt,en}.json`), a few parameters for
//! that sentence (a wait in seconds, an HTTP status, Meta's error number), and the technical
//! detail in English — what the command line and the logs say — shown on "Show details".
//!
//! The parts that own an error type sort it into a code (`StoreError::ui`, `SendError::ui`,
//! `EngineError::ui`, the webhook registration's refusals); this module holds only the shape,
//! the list of codes (every one has a sentence in all three languages: a test reads the
//! catalogs) and the last guard that keeps credentials out of the detail.
//!
//! Two codes carry a finer reason as a parameter, so the sentence says what to do: a refused
//! setting (`invalid_setting`) has `expected` — what a valid value looks like, from the value
//! check (`ValueError::expected`, worded as `errors.expected.<expected>`, with `min`/`max` where
//! they apply) — and a refused request (`invalid`) may have `why` (`EngineError::refused`, one of
//! `engine::error::REFUSED_WHY`, worded as `errors.why.<why>`). Without one, the generic
//! sentence stays and the detail says the rest.

use std::collections::BTreeMap;

use serde::Serialize;

/// What went wrong, as the window words it. Serialized in snake_case (`store_rate_limited`).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum UiErrorCode {
    // The store.
    /// No answer from the store (network, DNS, time-out).
    StoreUnreachable,
    /// The store asked to slow down (HTTP 429, Shopify's `THROTTLED`); `retry_after` seconds.
    StoreRateLimited,
    /// The store had an internal problem (HTTP 5xx); `status`.
    StoreServerError,
    /// The store refused the credentials (HTTP 401/403); `status`.
    StoreUnauthorized,
    /// Nothing at that address (HTTP 404): wrong address or store id.
    StoreNotFound,
    /// The store refused the request otherwise (HTTP 4xx); `status`.
    StoreRejected,
    /// The store's answer could not be read.
    StoreBadResponse,
    /// Something typed is not valid (the address, a missing credential…).
    StoreInvalid,
    // WhatsApp (the Cloud API).
    /// WhatsApp is not connected yet (phone-number id, token).
    WhatsappNotConnected,
    /// The access token expired or was refused (Meta 0, 190).
    WhatsappTokenInvalid,
    /// The token lacks a permission (Meta 3, 10, 200–299).
    WhatsappPermissionMissing,
    /// The number is disconnected, deleted or not registered (Meta 33, 131045, 133010).
    WhatsappNumberDisconnected,
    /// The account is locked or blocked for policy (Meta 368, 131031).
    WhatsappAccountBlocked,
    /// The account's payment method has a problem (Meta 131042).
    WhatsappPaymentProblem,
    /// Too many messages for now; `retry_after` seconds when known.
    WhatsappRateLimited,
    /// WhatsApp could not be reached (network).
    WhatsappUnreachable,
    /// WhatsApp had a temporary problem (HTTP 5xx, Meta 131000, 131016).
    WhatsappUnavailable,
    /// WhatsApp's answer could not be read.
    WhatsappBadResponse,
    /// The request left and no answer came back: the message may have been sent.
    WhatsappNoAnswer,
    /// The customer's 24-hour window is closed: only a template can go.
    WhatsappWindowClosed,
    /// The customer stopped marketing messages.
    WhatsappOptedOut,
    /// The per-customer marketing cap (Meta 131049).
    WhatsappMarketingCap,
    /// The number can't receive WhatsApp messages (Meta 131026).
    WhatsappUndeliverable,
    /// The template can't be used as it is (132xxx).
    WhatsappTemplateUnusable,
    /// The recovery template is not approved in that language yet.
    WhatsappTemplateNotApproved,
    /// WhatsApp refused the request for another reason; `meta_code` or `status`.
    WhatsappRefused,
    /// The WhatsApp address set in the settings is not usable.
    WhatsappConfig,
    // Registering the webhook with Meta.
    /// Meta's check got no answer at the address; `url`, `port`.
    WebhookNothingAnswered,
    /// Something answered and refused Meta's check (verify token); `url`, `port`.
    WebhookWrongToken,
    /// Meta accepts only https addresses with a valid certificate.
    WebhookNotHttps,
    /// Meta refused the address for another reason; `url`.
    WebhookRefused,
    /// The address was accepted but subscribing the app failed; `url`.
    WebhookSubscribeFailed,
    /// Meta reads back another address than the one given; `url`, `read_back`.
    WebhookReadBackMismatch,
    // The rest of the app.
    /// A setting's value is not valid; `key`.
    InvalidSetting,
    /// No such setting; `key`.
    UnknownSetting,
    /// Something typed is not valid (the detail says what).
    Invalid,
    /// The local database could not be read or written.
    Storage,
    /// No secure keychain on this computer.
    NoKeychain,
    /// The keychain refused to read or save a secret.
    Secret,
    /// The conversation is gone.
    NoConversation,
    /// The customer has no cart for the recovery template.
    NoCart,
    /// Not ready in this version.
    NotReady,
    /// A fault inside Recupero.
    Internal,
    /// The window runs without the desktop app behind it (the UI's own code).
    NoBackend,
    /// Anything else. Stays the last variant (the tests count the codes by it).
    Unknown,
}

impl UiErrorCode {
    /// Every code, for the test that each one has a sentence in every language.
    pub const ALL: [UiErrorCode; 45] = [
        UiErrorCode::StoreUnreachable,
        UiErrorCode::StoreRateLimited,
        UiErrorCode::StoreServerError,
        UiErrorCode::StoreUnauthorized,
        UiErrorCode::StoreNotFound,
        UiErrorCode::StoreRejected,
        UiErrorCode::StoreBadResponse,
        UiErrorCode::StoreInvalid,
        UiErrorCode::WhatsappNotConnected,
        UiErrorCode::WhatsappTokenInvalid,
        UiErrorCode::WhatsappPermissionMissing,
        UiErrorCode::WhatsappNumberDisconnected,
        UiErrorCode::WhatsappAccountBlocked,
        UiErrorCode::WhatsappPaymentProblem,
        UiErrorCode::WhatsappRateLimited,
        UiErrorCode::WhatsappUnreachable,
        UiErrorCode::WhatsappUnavailable,
        UiErrorCode::WhatsappBadResponse,
        UiErrorCode::WhatsappNoAnswer,
        UiErrorCode::WhatsappWindowClosed,
        UiErrorCode::WhatsappOptedOut,
        UiErrorCode::WhatsappMarketingCap,
        UiErrorCode::WhatsappUndeliverable,
        UiErrorCode::WhatsappTemplateUnusable,
        UiErrorCode::WhatsappTemplateNotApproved,
        UiErrorCode::WhatsappRefused,
        UiErrorCode::WhatsappConfig,
        UiErrorCode::WebhookNothingAnswered,
        UiErrorCode::WebhookWrongToken,
        UiErrorCode::WebhookNotHttps,
        UiErrorCode::WebhookRefused,
        UiErrorCode::WebhookSubscribeFailed,
        UiErrorCode::WebhookReadBackMismatch,
        UiErrorCode::InvalidSetting,
        UiErrorCode::UnknownSetting,
        UiErrorCode::Invalid,
        UiErrorCode::Storage,
        UiErrorCode::NoKeychain,
        UiErrorCode::Secret,
        UiErrorCode::NoConversation,
        UiErrorCode::NoCart,
        UiErrorCode::NotReady,
        UiErrorCode::Internal,
        UiErrorCode::NoBackend,
        UiErrorCode::Unknown,
    ];

    /// The code as the UI and the catalogs spell it (`store_rate_limited`).
    pub fn as_str(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => "unknown".into(),
        }
    }
}

/// An error as the window shows it: `t('errors.<code>', params)`, and `detail` on click.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UiError {
    pub code: UiErrorCode,
    /// Values for the sentence's `{placeholders}` (`retry_after`, `status`, `meta_code`, `url`…).
    pub params: BTreeMap<String, String>,
    /// The technical text in English (as logged); never a credential.
    pub detail: String,
}

impl UiError {
    /// `code` with `detail` (passed through [`redact`]) and no parameters.
    pub fn new(code: UiErrorCode, detail: impl Into<String>) -> UiError {
        UiError { code, params: BTreeMap::new(), detail: redact(&detail.into()) }
    }

    /// The same with one more parameter for the sentence.
    pub fn with(mut self, key: &str, value: impl ToString) -> UiError {
        self.params.insert(key.to_string(), value.to_string());
        self
    }
}

/// Words after which a credential follows in an error text (query parameters, headers).
const SECRET_MARKERS: [&str; 8] = [
    "access_token=",
    "consumer_key=",
    "consumer_secret=",
    "client_secret=",
    "api_key=",
    "key=",
    "token=",
    "bearer ",
];

/// The detail with whatever follows a credential marker (`access_token=…`, `Bearer …`) masked
/// as `***`, up to the next separator. The clients already mask the secrets they know; this is
/// the last guard for a text that reaches the window.
pub fn redact(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hit = SECRET_MARKERS.iter().find(|m| lower[i..].starts_with(*m));
        match hit {
            Some(marker) => {
                let start = i + marker.len();
                out.push_str(&text[i..start]);
                let rest = &text[start..];
                let end = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | ';' | ')'))
                    .unwrap_or(rest.len());
                if end > 0 {
                    out.push_str("***");
                }
                i = start + end;
            }
            None => {
                let c = text[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(lang: &str) -> serde_json::Value {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/src/lib/i18n/{lang}.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn every_code_has_a_sentence_in_every_language() {
        for lang in ["es", "pt", "en"] {
            let errors = &catalog(lang)["errors"];
            for code in UiErrorCode::ALL {
                let text = errors[code.as_str()].as_str().unwrap_or("");
                assert!(!text.trim().is_empty(), "errors.{} missing in {lang}.json", code.as_str());
            }
            assert!(errors["showDetails"].is_string() && errors["hideDetails"].is_string(), "{lang}");
        }
    }

    #[test]
    fn the_list_holds_every_code_once_in_declaration_order() {
        // `Unknown` stays the last variant, so its discriminant counts the codes.
        assert_eq!(UiErrorCode::ALL.len(), UiErrorCode::Unknown as usize + 1);
        for (i, code) in UiErrorCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i, "{code:?} out of place in ALL");
        }
    }

    #[test]
    fn codes_and_params_serialize_as_the_ui_reads_them() {
        let e = UiError::new(UiErrorCode::StoreRateLimited, "the store asked us to slow down (HTTP 429)")
            .with("retry_after", 2);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "code": "store_rate_limited",
                "params": {"retry_after": "2"},
                "detail": "the store asked us to slow down (HTTP 429)"
            })
        );
        assert_eq!(UiErrorCode::WhatsappTokenInvalid.as_str(), "whatsapp_token_invalid");
    }

    #[test]
    fn credentials_never_reach_the_detail() {
        let cases = [
            (
                "error sending request for url (https://shop.example/wp-json/wc/v3/orders?consumer_key=ck_123&consumer_secret=cs_456)",
                ["ck_123", "cs_456"].as_slice(),
            ),
            ("Authorization: Bearer EAAGsecret123 was refused", ["EAAGsecret123"].as_slice()),
            ("GET /v21.0/1?access_token=EAAGzz\" failed", ["EAAGzz"].as_slice()),
            ("X-Shopify-Access-Token= nope; token=shpat_abc, then", ["shpat_abc"].as_slice()),
        ];
        for (text, secrets) in cases {
            let detail = UiError::new(UiErrorCode::Unknown, text).detail;
            for secret in secrets {
                assert!(!detail.contains(secret), "{detail}");
            }
            assert!(detail.contains("***"), "{detail}");
        }
        // Plain words stay as they were, accents included.
        let plain = "la tienda no respondió: connection refused (HTTP 0)";
        assert_eq!(redact(plain), plain);
    }
}
