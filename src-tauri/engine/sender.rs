//! The WhatsApp sender the engine sends through: the one given (the demo's sandbox, a test
//! double), else the Cloud API client built from the settings and the token, always behind
//! the throttle (the number's rate, one message per customer every 6 s).

use std::sync::{Arc, PoisonError};

use super::{Engine, EngineError, EngineResult};
use crate::config::Settings;
use crate::secrets::SecretName;
use crate::whatsapp::client::{CloudClient, CloudConfig};
use crate::whatsapp::MessageSender;

#[derive(Default)]
pub(super) struct SenderSlot {
    given: Option<Arc<dyn MessageSender>>,
    pub(super) built: Option<(String, Arc<dyn MessageSender>)>,
    /// Kept across calls: it remembers whom we wrote to in the last seconds.
    throttle: Option<Arc<crate::whatsapp::throttle::Throttle>>,
}

impl Engine {
    /// Sends through `sender` from now on (the demo's sandbox WhatsApp, a test double).
    pub fn use_sender(&self, sender: Arc<dyn MessageSender>) {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).given = Some(sender);
    }

    /// The sender in use: the one given, else the Cloud API client when the phone-number id and
    /// the token are set. `None`: WhatsApp is not connected yet.
    /// Every sender is throttled (the number's rate, one message per customer every 6 s).
    pub(crate) fn sender(&self, settings: &Settings) -> EngineResult<Option<Arc<dyn MessageSender>>> {
        use crate::whatsapp::throttle::{Throttle, ThrottledSender};
        let raw = self.raw_sender(settings)?;
        let mut slot = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        let rate = settings.whatsapp_max_per_second.max(1);
        let throttle = match &slot.throttle {
            Some(t) if t.per_second() == rate => t.clone(),
            _ => {
                let t = Arc::new(Throttle::new(rate, self.clock.clone()));
                slot.throttle = Some(t.clone());
                t
            }
        };
        Ok(raw.map(|inner| Arc::new(ThrottledSender { inner, throttle }) as Arc<dyn MessageSender>))
    }

    fn raw_sender(&self, settings: &Settings) -> EngineResult<Option<Arc<dyn MessageSender>>> {
        let mut slot = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(given) = &slot.given {
            return Ok(Some(given.clone()));
        }
        if settings.whatsapp_phone_number_id.is_empty() {
            return Ok(None);
        }
        let key = format!(
            "{}|{}|{}|{}|{}",
            settings.whatsapp_base_url,
            settings.whatsapp_api_version,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_waba_id,
            settings.whatsapp_auth_header
        );
        if let Some((built_for, sender)) = &slot.built {
            if *built_for == key {
                return Ok(Some(sender.clone()));
            }
        }
        let Some(token) = self.secrets.get(SecretName::WhatsappToken)? else {
            return Ok(None);
        };
        let base_url = url::Url::parse(&settings.whatsapp_base_url)
            .map_err(|e| EngineError::Other(anyhow::anyhow!("whatsapp_base_url: {e}")))?;
        let client = CloudClient::new(CloudConfig {
            base_url,
            api_version: settings.whatsapp_api_version.clone(),
            phone_number_id: settings.whatsapp_phone_number_id.clone(),
            business_account_id: settings.whatsapp_waba_id.clone(),
            token,
            auth_header: settings.whatsapp_auth_header.clone(),
        })
        .map_err(|e| EngineError::Other(anyhow::anyhow!(e)))?;
        let sender: Arc<dyn MessageSender> = Arc::new(client);
        slot.built = Some((key, sender.clone()));
        Ok(Some(sender))
    }
}
