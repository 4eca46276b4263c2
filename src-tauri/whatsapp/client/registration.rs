//! Webhook registration calls (reference §4.6–4.7): the phone number's callback override
//! (`POST /{phone_number_id}` with `webhook_configuration`, read back with
//! `GET /{phone_number_id}?fields=webhook_configuration`) and the app's subscription to the
//! business account (`POST`/`GET /{waba_id}/subscribed_apps`).

use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::CloudClient;
use crate::whatsapp::SendError;

/// Where Meta sends this number's webhooks, as `webhook_configuration` reads back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WebhookConfiguration {
    /// The phone number's override, when one is set.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The business account's override, when one is set.
    #[serde(default)]
    pub whatsapp_business_account: Option<String>,
    /// The Meta app's default callback.
    #[serde(default)]
    pub application: Option<String>,
}

#[derive(Deserialize)]
struct PhoneFields {
    #[serde(default)]
    webhook_configuration: Option<WebhookConfiguration>,
}

#[derive(Deserialize)]
struct AppList {
    #[serde(default)]
    data: Vec<SubscribedApp>,
}

#[derive(Deserialize)]
struct SubscribedApp {
    #[serde(default)]
    whatsapp_business_api_data: Option<AppData>,
}

#[derive(Deserialize)]
struct AppData {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    id: Option<Value>,
}

impl CloudClient {
    pub(super) fn config_url(&self, tail: &str) -> Result<Url, SendError> {
        self.url(tail).map_err(|detail| SendError::Account { code: "config".into(), detail })
    }

    /// POSTs `body` and wants Meta's `{"success": true}`.
    async fn post_success(&self, url: Url, body: Option<Value>) -> Result<(), SendError> {
        let body = self.post_json(url, body.as_ref()).await?;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if answer.get("success").and_then(Value::as_bool) == Some(true) {
            Ok(())
        } else {
            Err(SendError::Unknown { detail: "WhatsApp answered without success: true".into() })
        }
    }

    /// Sets the phone number's callback override (Meta first checks it with its GET challenge
    /// carrying `verify_token`); an empty `uri` clears it.
    pub async fn set_callback_override(&self, uri: &str, verify_token: &str) -> Result<(), SendError> {
        let url = self.config_url(self.config.phone_number_id.trim())?;
        let body =
            json!({"webhook_configuration": {"override_callback_uri": uri, "verify_token": verify_token}});
        self.post_success(url, Some(body)).await
    }

    /// Where Meta sends this number's webhooks now.
    pub async fn webhook_configuration(&self) -> Result<WebhookConfiguration, SendError> {
        let mut url = self.config_url(self.config.phone_number_id.trim())?;
        url.query_pairs_mut().append_pair("fields", "webhook_configuration");
        let body = self.get_json(url).await?;
        let fields: PhoneFields = serde_json::from_slice(&body)
            .map_err(|e| SendError::Unknown { detail: format!("unreadable webhook configuration: {e}") })?;
        Ok(fields.webhook_configuration.unwrap_or_default())
    }

    /// Subscribes the token's app to the business account (without it, no webhooks at all).
    pub async fn subscribe_app(&self) -> Result<(), SendError> {
        let url = self.config_url(&format!("{}/subscribed_apps", self.config.business_account_id.trim()))?;
        self.post_success(url, None).await
    }

    /// The apps subscribed to the business account, by name (or id when unnamed).
    pub async fn subscribed_apps(&self) -> Result<Vec<String>, SendError> {
        let url = self.config_url(&format!("{}/subscribed_apps", self.config.business_account_id.trim()))?;
        let body = self.get_json(url).await?;
        let list: AppList = serde_json::from_slice(&body)
            .map_err(|e| SendError::Unknown { detail: format!("unreadable subscribed apps: {e}") })?;
        Ok(list
            .data
            .into_iter()
            .filter_map(|a| a.whatsapp_business_api_data)
            .map(|d| {
                d.name.unwrap_or_else(|| {
                    d.id.map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string()))
                        .unwrap_or_default()
                })
            })
            .collect())
    }
}
