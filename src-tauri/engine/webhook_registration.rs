//! Registering the webhook with Meta from the app (reference §4.6–4.7, §8): the public address
//! the owner's tunnel exposes plus the receiver's secret path becomes the phone number's callback
//! override, with Recupero's verify token (Meta checks it with a GET challenge the receiver
//! answers); the app is subscribed to the business account; both are read back. Only after all
//! of that are `webhook_public_url` and `webhook_registered_url` stored: a refusal changes
//! nothing locally and is explained in plain words. The background run re-registers whenever
//! `webhook_public_url` no longer matches what was registered (a tunnel with a new address).
//!
//! Template status and account updates can't follow an override (§4.7): templates are polled
//! (`refresh_templates_if_due`), never expected by webhook.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::secrets::SecretName;
use crate::storage::{self, event_log::LogEvent};
use crate::ui_error::{UiError, UiErrorCode};
use crate::whatsapp::client::{CloudClient, CloudConfig};
use crate::whatsapp::SendError;

/// Why Meta refused the address.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum RegistrationFailure {
    /// Meta's challenge got no answer at that address (tunnel down, wrong port, app closed).
    NothingAnswered,
    /// Something answered but refused the challenge: the verify token didn't match.
    WrongToken,
    /// Meta accepts only https addresses with a valid certificate.
    NotHttps,
    /// Anything else (Meta's words in `detail`).
    Other,
}

impl RegistrationFailure {
    fn as_str(self) -> &'static str {
        match self {
            RegistrationFailure::NothingAnswered => "nothing_answered",
            RegistrationFailure::WrongToken => "wrong_token",
            RegistrationFailure::NotHttps => "not_https",
            RegistrationFailure::Other => "other",
        }
    }
}

/// What a registration did, for the window and `recupero whatsapp register-webhook`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WebhookRegistration {
    pub ok: bool,
    /// The address given to Meta: the public address plus the receiver's secret path.
    pub callback_url: String,
    pub failure: Option<RegistrationFailure>,
    /// In plain words: what happened and what to do.
    pub message: String,
    /// Meta's own words, when it refused.
    pub detail: Option<String>,
    /// The refusal as the window words it, in the owner's language (`None` when registered).
    pub error: Option<UiError>,
    /// The phone number's override as Meta reads it back.
    pub registered_override: Option<String>,
    /// The apps subscribed to the business account, as Meta reads them back.
    pub subscribed_apps: Vec<String>,
}

/// `BASE` + `/webhook/<secret path>`.
pub fn callback_url(public_base: &str, path: &str) -> String {
    format!("{}/webhook/{path}", public_base.trim().trim_end_matches('/'))
}

/// Sorts Meta's refusal of an override (error code and words) into what the owner can act on.
pub fn classify(code: &str, detail: &str) -> RegistrationFailure {
    let lower = detail.to_ascii_lowercase();
    let status = lower
        .split("http status code = ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u16>().ok());
    if code == "100" && lower.contains("https") {
        return RegistrationFailure::NotHttps;
    }
    if lower.contains("does not match challenge") {
        return RegistrationFailure::Other;
    }
    match status {
        Some(0 | 404 | 502 | 503 | 504 | 530) => RegistrationFailure::NothingAnswered,
        Some(400 | 401 | 403) => RegistrationFailure::WrongToken,
        _ if lower.contains("couldn't connect") || lower.contains("timed out") => {
            RegistrationFailure::NothingAnswered
        }
        _ => RegistrationFailure::Other,
    }
}

fn explain(failure: RegistrationFailure, callback: &str, port: u16, detail: &str) -> String {
    match failure {
        RegistrationFailure::NothingAnswered => format!(
            "WhatsApp could not verify {callback}: nothing answered at that address. Check that the tunnel is running and forwards to this computer's port {port}, and that Recupero is open. Nothing was changed."
        ),
        RegistrationFailure::WrongToken => format!(
            "Something answered at {callback} but refused WhatsApp's check: the verify token didn't match. Make sure the address reaches this Recupero (port {port}), not another program. Nothing was changed."
        ),
        RegistrationFailure::NotHttps => "WhatsApp only accepts an https:// address with a valid certificate. Use the https address your tunnel gives you. Nothing was changed.".into(),
        RegistrationFailure::Other => {
            format!("WhatsApp refused the address {callback}: {detail}. Nothing was changed.")
        }
    }
}

/// A refusal as the window shows it: the registration's own reasons; for the rest, what the
/// error itself says when that is more precise (an expired token), else "refused" with the address.
fn ui_error(failure: RegistrationFailure, error: &SendError, callback: &str, port: u16) -> UiError {
    let detail = error.to_string();
    match failure {
        RegistrationFailure::NothingAnswered => {
            UiError::new(UiErrorCode::WebhookNothingAnswered, detail).with("url", callback).with("port", port)
        }
        RegistrationFailure::WrongToken => {
            UiError::new(UiErrorCode::WebhookWrongToken, detail).with("url", callback).with("port", port)
        }
        RegistrationFailure::NotHttps => UiError::new(UiErrorCode::WebhookNotHttps, detail),
        RegistrationFailure::Other => match error.ui() {
            own if own.code != UiErrorCode::WhatsappRefused => own,
            own => UiError { code: UiErrorCode::WebhookRefused, ..own }.with("url", callback),
        },
    }
}

impl Engine {
    /// The Cloud API client for the saved settings and token.
    pub(super) fn registration_client(&self) -> EngineResult<CloudClient> {
        let settings = self.settings()?;
        if settings.whatsapp_phone_number_id.is_empty() || settings.whatsapp_waba_id.is_empty() {
            return Err(EngineError::Invalid(
                "set the WhatsApp phone number id and business account id first".into(),
            ));
        }
        let token = self
            .secrets
            .get(SecretName::WhatsappToken)?
            .ok_or_else(|| EngineError::refused("token_first", "save the WhatsApp access token first"))?;
        let base_url = url::Url::parse(&settings.whatsapp_base_url)
            .map_err(|e| EngineError::Invalid(format!("whatsapp_base_url: {e}")))?;
        CloudClient::new(CloudConfig {
            base_url,
            api_version: settings.whatsapp_api_version.clone(),
            phone_number_id: settings.whatsapp_phone_number_id.clone(),
            business_account_id: settings.whatsapp_waba_id.clone(),
            token,
            auth_header: settings.whatsapp_auth_header.clone(),
        })
        .map_err(|e| EngineError::Other(anyhow::anyhow!(e)))
    }

    fn log_registration(&self, url: &str, outcome: &str) -> EngineResult<()> {
        let at = storage::ts(self.clock.now());
        let event = LogEvent::WebhookRegistered { url, outcome };
        storage::event_log::append(&self.db.conn(), &at, None, None, &event)?;
        Ok(())
    }

    /// Registers `public_base` + the secret path as the number's webhook with Meta, subscribes
    /// the app to the business account, reads both back and, only when all went through,
    /// stores the address. A refusal by Meta is an `Ok` with `ok: false` and changes nothing.
    pub async fn register_webhook(&self, public_base: &str) -> EngineResult<WebhookRegistration> {
        let base = public_base.trim().trim_end_matches('/').to_string();
        match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(EngineError::Invalid(format!("not a web address: {public_base}"))),
        }
        let settings = self.settings()?;
        let callback = callback_url(&base, &settings.webhook_path);
        let client = self.registration_client()?;
        let refused = |e: SendError| {
            let error_ui = |failure| ui_error(failure, &e, &callback, settings.webhook_port);
            let detail = match &e {
                SendError::Retryable { detail, .. }
                | SendError::Terminal { detail, .. }
                | SendError::Template { detail, .. }
                | SendError::Account { detail, .. }
                | SendError::Unknown { detail } => detail.clone(),
                other => other.to_string(),
            };
            let failure = classify(e.code(), &detail);
            WebhookRegistration {
                ok: false,
                callback_url: callback.clone(),
                failure: Some(failure),
                message: explain(failure, &callback, settings.webhook_port, &detail),
                error: Some(error_ui(failure)),
                detail: Some(detail),
                registered_override: None,
                subscribed_apps: Vec::new(),
            }
        };
        if let Err(e) = client.set_callback_override(&callback, &settings.webhook_verify_token).await {
            let result = refused(e);
            let outcome = result.failure.map_or("other", RegistrationFailure::as_str);
            tracing::warn!(outcome, detail = ?result.detail, "webhook registration refused");
            self.log_registration(&callback, outcome)?;
            return Ok(result);
        }
        // Meta has the address now; what follows can still fail (a token without the right
        // permission): said as such, and nothing is stored locally until all went through.
        let rest = async {
            client.subscribe_app().await?;
            let read = client.webhook_configuration().await?;
            let apps = client.subscribed_apps().await?;
            Ok::<_, SendError>((read, apps))
        };
        let (read, apps) = match rest.await {
            Ok(done) => done,
            Err(e) => {
                let mut result = refused(e);
                result.failure = Some(RegistrationFailure::Other);
                result.error = result.error.map(|e| {
                    let meta = e.params.get("meta_code").cloned();
                    let ui = UiError {
                        code: UiErrorCode::WebhookSubscribeFailed,
                        params: Default::default(),
                        ..e
                    }
                    .with("url", &callback);
                    match meta {
                        Some(n) => ui.with("meta_code", n),
                        None => ui,
                    }
                });
                result.message = format!(
                    "WhatsApp accepted {callback}, but subscribing the app to the business account failed: {}. Press the button (or run the command) again.",
                    result.detail.as_deref().unwrap_or("no detail")
                );
                tracing::warn!(detail = ?result.detail, "webhook registered but the app subscription failed");
                self.log_registration(&callback, "other")?;
                return Ok(result);
            }
        };
        if read.phone_number.as_deref() != Some(callback.as_str()) {
            self.log_registration(&callback, "other")?;
            return Ok(WebhookRegistration {
                message: format!(
                    "WhatsApp accepted {callback} but reads back another address ({}). Nothing was changed.",
                    read.phone_number.as_deref().unwrap_or("none")
                ),
                failure: Some(RegistrationFailure::Other),
                error: Some(
                    UiError::new(
                        UiErrorCode::WebhookReadBackMismatch,
                        format!("read back: {}", read.phone_number.as_deref().unwrap_or("none")),
                    )
                    .with("url", &callback)
                    .with("read_back", read.phone_number.as_deref().unwrap_or("-")),
                ),
                ok: false,
                registered_override: read.phone_number,
                subscribed_apps: apps,
                callback_url: callback,
                detail: None,
            });
        }
        self.setting_set("webhook_public_url", &base)?;
        self.setting_set("webhook_registered_url", &callback)?;
        self.log_registration(&callback, "ok")?;
        tracing::info!(apps = apps.len(), "webhook registered with WhatsApp");
        Ok(WebhookRegistration {
            ok: true,
            message: format!("WhatsApp sends this number's messages, echoes and contact updates to {callback}. Template reviews and account updates can't follow this address: Recupero checks them itself."),
            callback_url: callback,
            failure: None,
            detail: None,
            error: None,
            registered_override: read.phone_number,
            subscribed_apps: apps,
        })
    }

    /// Re-registers when `webhook_public_url` no longer matches what Meta has (the tunnel's
    /// address changed). A failed attempt for the same address is not repeated within
    /// ten minutes. `None`: nothing to do.
    pub async fn follow_public_url(&self) -> EngineResult<Option<WebhookRegistration>> {
        let settings = self.settings()?;
        if settings.webhook_public_url.is_empty() || settings.whatsapp_phone_number_id.is_empty() {
            return Ok(None);
        }
        let wanted = callback_url(&settings.webhook_public_url, &settings.webhook_path);
        if wanted == settings.webhook_registered_url {
            return Ok(None);
        }
        let now: DateTime<Utc> = self.clock.now();
        {
            let last = self.registration_attempt.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((url, at)) = last.as_ref() {
                if *url == wanted && now - *at < chrono::Duration::minutes(10) {
                    return Ok(None);
                }
            }
        }
        let result = self.register_webhook(&settings.webhook_public_url).await;
        // A refusal or an error (no token yet) waits before the next try, like a refusal.
        let failed = !result.as_ref().is_ok_and(|r| r.ok);
        *self.registration_attempt.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            failed.then_some((wanted, now));
        result.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_refusals_are_sorted_into_what_the_owner_can_do() {
        let refused = "(#2200) Callback verification failed with the following errors: curl_errno = 7; curl_error = Couldn't connect to server; HTTP Status Code = 0; HTTP Message = Unknown Response";
        assert_eq!(classify("2200", refused), RegistrationFailure::NothingAnswered);
        let forbidden = "(#2200) Callback verification failed with the following errors: HTTP Status Code = 403; HTTP Message = Forbidden";
        assert_eq!(classify("2200", forbidden), RegistrationFailure::WrongToken);
        let tunnel = "(#2200) Callback verification failed with the following errors: HTTP Status Code = 530; HTTP Message = Unknown";
        assert_eq!(classify("2200", tunnel), RegistrationFailure::NothingAnswered);
        let echo = "(#2200) Callback verification failed with the following errors: Response does not match challenge, expected value=\"1\", received=\"x\"";
        assert_eq!(classify("2200", echo), RegistrationFailure::Other);
        let http = "(#100) Param override_callback_uri must be a valid https URL";
        assert_eq!(classify("100", http), RegistrationFailure::NotHttps);
        assert_eq!(classify("190", "Error validating access token"), RegistrationFailure::Other);
    }

    #[test]
    fn refusals_reach_the_window_as_codes_with_the_address() {
        let refused = SendError::Terminal {
            code: "2200".into(),
            detail: "Callback verification failed: HTTP Status Code = 0".into(),
        };
        let ui =
            ui_error(RegistrationFailure::NothingAnswered, &refused, "https://x.example/webhook/p", 8484);
        assert_eq!(ui.code, UiErrorCode::WebhookNothingAnswered);
        assert_eq!(ui.params.get("port").map(String::as_str), Some("8484"));
        assert_eq!(ui.params.get("url").map(String::as_str), Some("https://x.example/webhook/p"));
        assert!(ui.detail.contains("HTTP Status Code = 0"));
        let ui = ui_error(RegistrationFailure::WrongToken, &refused, "u", 1);
        assert_eq!(ui.code, UiErrorCode::WebhookWrongToken);
        assert_eq!(
            ui_error(RegistrationFailure::NotHttps, &refused, "u", 1).code,
            UiErrorCode::WebhookNotHttps
        );
        // "Other": an expired token says so; anything else is a refusal of the address.
        let expired = SendError::from_meta(190, "Error validating access token".into(), 0);
        assert_eq!(
            ui_error(RegistrationFailure::Other, &expired, "u", 1).code,
            UiErrorCode::WhatsappTokenInvalid
        );
        let other = SendError::from_meta(100, "Invalid parameter".into(), 0);
        let ui = ui_error(RegistrationFailure::Other, &other, "u", 1);
        assert_eq!(ui.code, UiErrorCode::WebhookRefused);
        assert_eq!(ui.params.get("meta_code").map(String::as_str), Some("100"));
    }

    #[test]
    fn the_callback_is_the_base_and_the_secret_path() {
        assert_eq!(callback_url(" https://x.example/ ", "s3cr3t"), "https://x.example/webhook/s3cr3t");
    }
}
