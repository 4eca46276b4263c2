//! Coexistence calls (reference §5.1, §5.3): whether the number is still on the WhatsApp
//! Business app (`GET /{phone_number_id}?fields=is_on_biz_app,platform_type`) and the one-time
//! contact and history sync requests (`POST /{phone_number_id}/smb_app_data` with `sync_type`
//! `smb_app_state_sync` or `history` → `request_id`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::CloudClient;
use crate::whatsapp::SendError;

/// Send and read errors that mean the number is not connected (33 number deleted, 131045
/// certificate/registration, 133010 not registered; reference §6.5).
pub fn is_disconnect_code(code: &str) -> bool {
    matches!(code, "33" | "131045" | "133010")
}

/// The number as Meta reads it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BizAppLink {
    /// Absent is read as `false`: Meta leaves it out for a number that is not on the app.
    #[serde(default)]
    pub is_on_biz_app: bool,
    /// `CLOUD_API` while linked (`ON_PREMISE`, `NOT_APPLICABLE` otherwise).
    #[serde(default)]
    pub platform_type: Option<String>,
}

/// What to sync from the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncType {
    /// The address book (`smb_app_state_sync` webhooks follow).
    Contacts,
    /// Past chats (`history` webhooks follow).
    History,
}

impl SyncType {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncType::Contacts => "smb_app_state_sync",
            SyncType::History => "history",
        }
    }
}

impl CloudClient {
    /// `is_on_biz_app` and `platform_type` of the number.
    pub async fn biz_app_link(&self) -> Result<BizAppLink, SendError> {
        let mut url = self.config_url(self.config.phone_number_id.trim())?;
        url.query_pairs_mut().append_pair("fields", "is_on_biz_app,platform_type");
        let body = self.get_json(url).await?;
        serde_json::from_slice(&body)
            .map_err(|e| SendError::Unknown { detail: format!("unreadable number fields: {e}") })
    }

    /// Asks the phone to sync `what` (Meta allows it once per number, within 24 h of
    /// onboarding). Returns Meta's `request_id`.
    pub async fn request_sync(&self, what: SyncType) -> Result<String, SendError> {
        let url = self.config_url(&format!("{}/smb_app_data", self.config.phone_number_id.trim()))?;
        let body = json!({"messaging_product": "whatsapp", "sync_type": what.as_str()});
        let answer = self.post_json(url, Some(&body)).await?;
        let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        match answer.get("request_id") {
            Some(Value::String(id)) => Ok(id.clone()),
            Some(v) if !v.is_null() => Ok(v.to_string()),
            _ => Err(SendError::Unknown { detail: "WhatsApp answered without a request_id".into() }),
        }
    }
}
