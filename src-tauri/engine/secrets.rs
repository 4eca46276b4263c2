//! The secrets as the engine handles them: stored in the secret store (never in SQLite), their
//! presence shown (never their values), and every change dropping the connectors and the
//! sender built with the old ones.

use std::sync::PoisonError;

use serde::Serialize;

use super::{Engine, EngineResult};
use crate::secrets::{SecretName, Sensitive};
use crate::storage;
use crate::storage::event_log::{self, LogEvent};

/// Whether a secret is present, never its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SecretState {
    pub name: String,
    pub set: bool,
    pub env_var: String,
    /// Where the value comes from when set: `env` (the variable, read-only) or `keychain`.
    pub source: Option<&'static str>,
}

impl Engine {
    /// Stores a secret in the secret store (never in SQLite) and records that it changed.
    pub fn set_secret(&self, name: SecretName, value: Sensitive<String>) -> EngineResult<()> {
        if name == SecretName::WhatsappAppSecret {
            *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = Some(value.clone());
            self.emit_status(); // the window's webhook-signature warning follows the secret
        }
        self.secrets.set(name, value)?;
        self.forget_connectors();
        let now = self.clock.now();
        event_log::append(
            &self.db.conn(),
            &storage::ts(now),
            None,
            None,
            &LogEvent::SecretSet { name: Some(name.as_str()), scope: None, store: self.secrets.describe() },
        )?;
        tracing::info!(secret = %name, store = self.secrets.describe(), "secret stored");
        Ok(())
    }

    pub fn delete_secret(&self, name: SecretName) -> EngineResult<()> {
        self.secrets.delete(name)?;
        if name == SecretName::WhatsappAppSecret {
            *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = None;
            self.emit_status(); // the window's webhook-signature warning follows the secret
        }
        self.forget_connectors();
        tracing::info!(secret = %name, "secret deleted");
        Ok(())
    }

    /// Which secrets are set. A backend error on one name is reported, not hidden.
    pub fn secret_states(&self) -> EngineResult<Vec<SecretState>> {
        SecretName::ALL
            .into_iter()
            .map(|name| {
                let set = self.secrets.get(name)?.is_some();
                let from_env = std::env::var(name.env_var()).is_ok_and(|v| !v.trim().is_empty());
                Ok(SecretState {
                    name: name.as_str().into(),
                    set,
                    env_var: name.env_var(),
                    source: set.then_some(if from_env { "env" } else { "keychain" }),
                })
            })
            .collect()
    }

    /// The secret itself, for the code that sends it over HTTP. Never returned to the UI.
    pub fn secret(&self, name: SecretName) -> EngineResult<Option<Sensitive<String>>> {
        Ok(self.secrets.get(name)?)
    }

    pub(super) fn forget_connectors(&self) {
        self.connectors.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).built = None;
    }
}
