//! Connecting WhatsApp from the app: write-only secrets, checking the number and token by
//! listing the account's templates, creating the recovery template, and the webhook address.

use serde::Serialize;

use super::{Engine, EngineError, EngineResult, SecretState};
use crate::domain::Phone;
use crate::secrets::{SecretName, Sensitive};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, templates::TemplateRow};
use crate::whatsapp::recovery::{self, BodyValues};

/// What "Check connection" shows: every template of the account, and whether the recovery
/// template can be sent in at least one language.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WhatsAppCheck {
    pub templates: Vec<TemplateRow>,
    pub template_name: String,
    pub approved: bool,
}

/// The webhook address the owner's tunnel forwards to, and what Meta's settings ask for.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WebhookInfo {
    pub url: String,
    pub verify_token: String,
    pub last_webhook_at: Option<String>,
    pub pending: i64,
}

/// The secrets the app may replace (store credentials go with their store).
pub const APP_SECRETS: [SecretName; 3] =
    [SecretName::WhatsappToken, SecretName::WhatsappAppSecret, SecretName::AssistantApiKey];

impl Engine {
    /// Replaces one of the app's secrets (write-only: nothing ever reads it back to the UI).
    pub fn set_app_secret(&self, name: &str, value: &str) -> EngineResult<Vec<SecretState>> {
        let name = SecretName::parse(name)?;
        if !APP_SECRETS.contains(&name) {
            return Err(EngineError::Invalid(format!("{name} is saved with its store, not here")));
        }
        let value = value.trim();
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(EngineError::refused("one_line", "paste the whole value, on one line"));
        }
        self.set_secret(name, Sensitive::new(value.to_string()))?;
        self.secret_states()
    }

    /// Asks WhatsApp with the saved settings and token: lists the account's templates (which
    /// proves the number, the account and the token work) and refreshes the recovery template's
    /// cached state.
    pub async fn whatsapp_check(&self) -> EngineResult<WhatsAppCheck> {
        let settings = self.settings()?;
        let cached = self.refresh_templates().await?;
        let all = self.account_templates().await?;
        let now = storage::ts(self.clock.now());
        let mut rows = cached.clone();
        for t in all {
            if !rows.iter().any(|r| r.name == t.name && r.language == t.language) {
                rows.push(TemplateRow::reported(t, &now));
            }
        }
        rows.sort_by(|a, b| (&a.name, &a.language).cmp(&(&b.name, &b.language)));
        Ok(WhatsAppCheck {
            approved: cached.iter().any(TemplateRow::sendable),
            templates: rows,
            template_name: settings.template_name,
        })
    }

    /// Creates the recovery template (es, pt_BR, en) for review; returns the cached state.
    pub async fn whatsapp_create_template(&self, button_url: &str) -> EngineResult<Vec<TemplateRow>> {
        self.create_recovery_template(button_url).await?;
        self.known_templates()
    }

    /// Onboarding's last step: the recovery template, with example values, to the owner's own
    /// phone — proof that the number, the token and the template work end to end. Not a cart
    /// send and not a customer conversation; recorded in the event log.
    pub async fn send_test_message(&self, phone: &str) -> EngineResult<String> {
        let settings = self.settings()?;
        let phone = Phone::parse(phone, &settings.default_country)
            .map_err(|e| EngineError::Invalid(format!("the phone number: {e}")))?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let template = {
            let conn = self.db.conn();
            let approved: Vec<TemplateRow> = storage::templates::for_name(&conn, &settings.template_name)?
                .into_iter()
                .filter(TemplateRow::sendable)
                .collect();
            let lang = crate::i18n::Lang::resolve(&settings.ui_language, None);
            let wanted = match lang {
                crate::i18n::Lang::Pt => "pt",
                crate::i18n::Lang::En => "en",
                crate::i18n::Lang::Es => "es",
            };
            approved
                .iter()
                .find(|t| t.language.starts_with(wanted))
                .or(approved.first())
                .cloned()
                .ok_or(EngineError::TemplateNotApproved)?
        };
        let store = {
            let conn = self.db.conn();
            storage::shops::first_name(&conn).unwrap_or_else(|_| "Recupero".to_string())
        };
        let (name, products, total) = match template.language.get(..2) {
            Some("pt") => ("Teste", "Camiseta azul (M) x1", "R$ 99,90"),
            Some("en") => ("Test", "Blue T-shirt (M) x1", "$29.90"),
            _ => ("Prueba", "Remera azul (M) x1", "$ 12.500,00"),
        };
        // The recovery message's own builder: the same cleaning and shape as a cart's message.
        let values = BodyValues { first_name: Some(name), store_name: &store, products, total };
        let body = recovery::body_parameters(&values, &template.template).map_err(|_| {
            EngineError::Invalid(
                "the recovery template's body has neither 4 nor 3 parameters; create it again".into(),
            )
        })?;
        let key = format!("test:{}", self.clock.now().timestamp_millis());
        let outgoing = crate::whatsapp::OutgoingTemplate {
            to: phone.e164().to_string(),
            template: template.name.clone(),
            language: template.language.clone(),
            body,
            header_image: None,
            header_media_id: None,
            button_suffix: template
                .button_url
                .as_deref()
                .filter(|u| u.ends_with("{{1}}"))
                .map(|_| "test".to_string()),
            callback_data: key,
        };
        if template.header_format.as_deref().is_some_and(|h| h != "TEXT") {
            return Err(EngineError::Invalid(
                "the recovery template has a media header; send a real cart's message to test it".into(),
            ));
        }
        let accepted = sender.send_template(&outgoing).await?;
        event_log::append(
            &self.db.conn(),
            &storage::ts(self.clock.now()),
            None,
            None,
            &LogEvent::TestMessageSent {
                template: &template.name,
                language: &template.language,
                wamid: &accepted.wamid,
            },
        )?;
        Ok(accepted.wamid)
    }

    pub fn webhook_info(&self) -> EngineResult<WebhookInfo> {
        let status = self.status()?;
        Ok(WebhookInfo {
            url: status.webhook_url,
            verify_token: self.settings()?.webhook_verify_token,
            last_webhook_at: status.last_webhook_at,
            pending: status.webhooks_pending,
        })
    }
}
