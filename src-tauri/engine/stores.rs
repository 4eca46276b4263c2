//! The shops the engine polls: their credentials (given, scoped in the keychain, or the
//! environment), "Test connection", connecting one, and each saved store's connector, built once
//! and kept.

use std::sync::{Arc, PoisonError};

use super::{Engine, EngineError, EngineResult};
use crate::secrets::{SecretError, SecretName, Sensitive};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, shops};
use crate::stores::{
    check_retry_wait, AnyConnector, Credentials, Cursor, Platform, StoreCheckReport, StoreConnector,
    StoreError, StoreInput, StoreOptions,
};

/// The keychain scope of one store's credentials.
fn store_scope(id: i64) -> String {
    format!("store-{id}")
}

/// Carts shown by one "Test connection" at most (the command line has no limit).
pub const CHECK_PREVIEW_LIMIT: usize = 50;

impl Engine {
    /// The credentials for a platform: those given (a "Test connection"), else the secret store
    /// (keychain, or `RECUPERO_STORE_*` in the environment).
    /// `store`: a saved store reads only its own credentials (scoped to it in the keychain, or
    /// the environment); without one (a check, a new connection) the general `store_*` secrets
    /// or the environment serve.
    fn store_credentials(
        &self,
        platform: Platform,
        input: Option<&StoreInput>,
        store: Option<i64>,
    ) -> EngineResult<Credentials> {
        let given = |f: fn(&StoreInput) -> Option<&Sensitive<String>>| {
            input.and_then(f).filter(|v| !v.expose().trim().is_empty()).cloned()
        };
        // Only the secrets the platform needs are read (a missing keychain must not fail a
        // check whose credentials came from the environment).
        let read =
            |name: SecretName, given: Option<Sensitive<String>>| -> EngineResult<Option<Sensitive<String>>> {
                match (given, store) {
                    (Some(v), _) => Ok(Some(v)),
                    (None, Some(id)) => Ok(self.secrets.get_scoped(name, &store_scope(id))?),
                    (None, None) => Ok(self.secrets.get(name)?),
                }
            };
        let gave_keys = input.is_some_and(|i| i.key.is_some() || i.secret.is_some());
        let token = || read(SecretName::StoreToken, given(|i| i.token.as_ref()));
        let key = || read(SecretName::StoreKey, given(|i| i.key.as_ref()));
        let secret = || read(SecretName::StoreSecret, given(|i| i.secret.as_ref()));
        let missing = |what: &str| {
            EngineError::Store(StoreError::Invalid(format!(
                "{platform} needs {what}: `recupero secret set …` or the RECUPERO_STORE_* environment variables"
            )))
        };
        Ok(match platform {
            Platform::Tiendanube => {
                Credentials::Token(token()?.ok_or_else(|| missing("an access token (store_token)"))?)
            }
            Platform::Shopify => {
                let token = if gave_keys { given(|i| i.token.as_ref()) } else { token()? };
                match token {
                    Some(token) => Credentials::Token(token),
                    None => match (key()?, secret()?) {
                        (Some(client_id), Some(client_secret)) => Credentials::ClientCredentials { client_id, client_secret },
                        _ => return Err(missing("an admin API token (store_token) or a client id and secret (store_key, store_secret)")),
                    },
                }
            }
            Platform::Woocommerce => match (key()?, secret()?) {
                (Some(key), Some(secret)) => Credentials::KeySecret { key, secret },
                _ => return Err(missing("a consumer key and secret (store_key, store_secret)")),
            },
            // The API login + auth token; an app's OAuth token otherwise.
            Platform::Jumpseller => match (key()?, secret()?) {
                (Some(key), Some(secret)) => Credentials::KeySecret { key, secret },
                _ => match token()? {
                    Some(token) => Credentials::Token(token),
                    None => return Err(missing("the API login and auth token (store_key, store_secret)")),
                },
            },
            Platform::Prestashop => {
                Credentials::Token(token()?.ok_or_else(|| missing("the webservice key (store_token)"))?)
            }
            Platform::Vtex => match (key()?, secret()?) {
                (Some(key), Some(secret)) => Credentials::KeySecret { key, secret },
                _ => return Err(missing("an AppKey and an AppToken (store_key, store_secret)")),
            },
        })
    }

    /// Polls a store described by `input` from the start, without saving anything, and returns
    /// up to `limit` carts (all of them with `usize::MAX`). What `recupero store check` prints
    /// and the Settings screen's "Test connection" lists.
    pub async fn store_check(&self, input: &StoreInput, limit: usize) -> EngineResult<StoreCheckReport> {
        let settings = self.settings()?;
        let mut config = input.config(&settings.default_country)?;
        config.timezone = Some(settings.timezone);
        let credentials = self.store_credentials(config.platform, Some(input), None)?;
        let connector = AnyConnector::new(config, credentials, self.clock.clone())?;
        let mut report = StoreCheckReport { consent: connector.consent_source(), ..Default::default() };
        let mut cursor = Cursor::start();
        // A busy store that asks for a short wait is waited for, up to CHECK_PATIENCE in all.
        let mut waited = std::time::Duration::ZERO;
        loop {
            let page = match connector.list_changed(&cursor).await {
                Ok(page) => page,
                Err(error) => match check_retry_wait(&error, waited) {
                    Some(wait) => {
                        tokio::time::sleep(wait).await;
                        waited += wait;
                        continue;
                    }
                    None => return Err(error.into()),
                },
            };
            report.carts.extend(page.carts.iter().map(Into::into));
            report.skipped.extend(page.skipped);
            cursor = page.next;
            if !page.more || report.carts.len() >= limit {
                break;
            }
            if !page.pace.is_zero() {
                tokio::time::sleep(page.pace).await;
            }
        }
        report.carts.truncate(limit);
        Ok(report)
    }

    /// Saves a store (credentials given go to the secret store) and returns its row.
    pub fn connect_store(&self, input: &StoreInput) -> EngineResult<shops::StoreRow> {
        let settings = self.settings()?;
        let config = input.config(&settings.default_country)?;
        // Check the credentials fit the platform before saving anything.
        let credentials = self.store_credentials(config.platform, Some(input), None)?;
        AnyConnector::new(config.clone(), credentials.clone(), self.clock.clone())?;
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .unwrap_or_else(|| config.base_url.host_str().unwrap_or("store").to_string());
        let options = serde_json::to_string(&input.options()).unwrap_or_else(|_| "{}".into());
        let now = storage::ts(self.clock.now());
        let id = {
            let conn = self.db.conn();
            let id = shops::upsert(
                &conn,
                &shops::NewStore {
                    platform: config.platform.as_str(),
                    name: &name,
                    base_url: config.base_url.as_str(),
                    external_id: config.external_id.as_deref(),
                    country: &config.country,
                    options: &options,
                },
                &now,
            )?;
            event_log::append(
                &conn,
                &now,
                None,
                None,
                &LogEvent::StoreConnected { store: id, platform: config.platform.as_str() },
            )?;
            id
        };
        // The store keeps its own copy of its credentials, so a second store never reuses them.
        let pairs: Vec<(SecretName, &Sensitive<String>)> = match &credentials {
            Credentials::Token(t) => vec![(SecretName::StoreToken, t)],
            Credentials::ClientCredentials { client_id, client_secret } => {
                vec![(SecretName::StoreKey, client_id), (SecretName::StoreSecret, client_secret)]
            }
            Credentials::KeySecret { key, secret } => {
                vec![(SecretName::StoreKey, key), (SecretName::StoreSecret, secret)]
            }
        };
        for (name, value) in pairs {
            match self.secrets.set_scoped(name, &store_scope(id), value.clone()) {
                // Headless with RECUPERO_STORE_*: the environment serves every store.
                Ok(()) | Err(SecretError::ReadOnlyFromEnv { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let now_at = self.clock.now();
        event_log::append(
            &self.db.conn(),
            &storage::ts(now_at),
            None,
            None,
            &LogEvent::SecretSet {
                name: None,
                scope: Some(&store_scope(id)),
                store: self.secrets.describe(),
            },
        )?;
        self.forget_connectors();
        tracing::info!(store = id, platform = %config.platform, "store connected");
        self.emit_status();
        shops::get(&self.db.conn(), id)?
            .map(with_problem)
            .ok_or_else(|| EngineError::Other(anyhow::anyhow!("store {id} vanished")))
    }

    /// The stores, each failing one with its last error as the window words it.
    pub fn list_stores(&self) -> EngineResult<Vec<shops::StoreRow>> {
        Ok(shops::list(&self.db.conn())?.into_iter().map(with_problem).collect())
    }

    /// The connector for a saved store, built once and kept.
    pub(super) fn connector(&self, store_id: i64) -> EngineResult<Arc<AnyConnector>> {
        if let Some(c) = self.connectors.lock().unwrap_or_else(PoisonError::into_inner).get(&store_id) {
            return Ok(c.clone());
        }
        let state = shops::poll_state(&self.db.conn(), store_id)?
            .ok_or_else(|| EngineError::Store(StoreError::Invalid(format!("no store {store_id}"))))?;
        let row = &state.row;
        let platform = Platform::parse(&row.platform)?;
        let options: StoreOptions = serde_json::from_str(&state.options).unwrap_or_default();
        let mut config = crate::stores::StoreConfig::new(platform, &row.base_url, &row.country)?;
        config.id = crate::domain::StoreId(store_id);
        config.external_id = row.external_id.clone();
        config.api_version = options.api_version;
        config.query_string_auth = options.query_string_auth;
        config.page_size = options.page_size;
        config.timezone = Some(self.settings()?.timezone);
        let credentials = self.store_credentials(platform, None, Some(store_id))?;
        let connector = Arc::new(AnyConnector::new(config, credentials, self.clock.clone())?);
        self.connectors.lock().unwrap_or_else(PoisonError::into_inner).insert(store_id, connector.clone());
        Ok(connector)
    }
}

/// The store's saved `last_error` (a [`StoreError`]'s text) with its code for the window.
fn with_problem(mut row: shops::StoreRow) -> shops::StoreRow {
    row.last_problem = row.last_error.as_deref().map(|text| StoreError::from_display(text).ui());
    row
}
