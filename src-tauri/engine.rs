//! The headless engine: the database, the settings, the secrets and the clock wired together,
//! with one method per thing the app, the command line or `serve` can ask. No tauri here: the
//! desktop shell and the CLI are thin callers of these methods.

use std::sync::Arc;

use serde::Serialize;

use crate::clock::Clock;
use crate::config::{self, ConfigError, SettingView, Settings};
use crate::events::{EngineEvent, EventBus};
use crate::paths::AppPaths;
use crate::secrets::{SecretError, SecretName, SecretStore, Sensitive};
use crate::storage::{
    self, carts, contacts, conversations, events, messages, sends, stores, Db, StorageError,
};

/// Errors a caller can branch on. `code()` is what the UI receives.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Storage(#[from] StorageError),
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
            EngineError::NotReady { .. } => "not_ready",
            EngineError::Other(_) => "internal",
        }
    }
}

pub type EngineResult<T> = Result<T, EngineError>;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub carts: i64,
    pub pending_sends: i64,
    pub conversations: i64,
    pub unread: i64,
    pub escalated: i64,
}

/// What the header, the tray tooltip and `recupero status` show.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    pub version: String,
    pub paused: bool,
    pub demo: bool,
    pub data_dir: String,
    pub database: String,
    pub secret_store: String,
    pub counts: Counts,
    pub last_poll_at: Option<String>,
}

/// Whether a secret is present, never its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretState {
    pub name: String,
    pub set: bool,
    pub env_var: String,
}

pub struct EngineOptions {
    pub paths: AppPaths,
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub demo: bool,
}

pub struct Engine {
    paths: AppPaths,
    db: Db,
    secrets: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    events: EventBus,
    demo: bool,
}

impl Engine {
    /// Opens (and migrates) the database in the data directory and wires the parts together.
    pub fn build(opts: EngineOptions) -> EngineResult<Engine> {
        opts.paths.create_dirs()?;
        let db = Db::open(&opts.paths.db_path())?;
        tracing::info!(db = %db.path().display(), secrets = opts.secrets.describe(), "engine ready");
        Ok(Engine {
            paths: opts.paths,
            db,
            secrets: opts.secrets,
            clock: opts.clock,
            events: EventBus::default(),
            demo: opts.demo,
        })
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn status(&self) -> EngineResult<AppStatus> {
        let conn = self.db.conn();
        let settings = Settings::load(&conn)?;
        let (conversations, unread, escalated) = conversations::counts(&conn)?;
        Ok(AppStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            paused: settings.sending_paused,
            demo: self.demo,
            data_dir: self.paths.data_dir.display().to_string(),
            database: self.db.path().display().to_string(),
            secret_store: self.secrets.describe().to_string(),
            counts: Counts {
                carts: carts::count(&conn)?,
                pending_sends: sends::count_pending(&conn)?,
                conversations,
                unread,
                escalated,
            },
            last_poll_at: stores::last_success(&conn)?,
        })
    }

    pub fn settings(&self) -> EngineResult<Settings> {
        Ok(Settings::load(&self.db.conn())?)
    }

    pub fn settings_show(&self) -> EngineResult<Vec<SettingView>> {
        Ok(config::show(&self.db.conn())?)
    }

    pub fn setting_get(&self, key: &str) -> EngineResult<String> {
        Ok(config::get(&self.db.conn(), key)?)
    }

    /// Validates and stores a setting, records it in the event log, and tells listeners.
    pub fn setting_set(&self, key: &str, value: &str) -> EngineResult<String> {
        let now = self.clock.now();
        let stored = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let stored = config::set(&tx, key, value, now)?;
            events::append(
                &tx,
                &storage::ts(now),
                "setting_changed",
                None,
                None,
                &serde_json::json!({ "key": key.trim(), "value": stored }),
            )?;
            tx.commit()?;
            stored
        };
        tracing::info!(key = key.trim(), value = %stored, "setting changed");
        if key.trim() == "sending_paused" {
            self.events.emit(EngineEvent::PausedChanged { paused: stored == "true" });
        }
        self.events.emit(EngineEvent::SettingsChanged);
        self.emit_status();
        Ok(stored)
    }

    /// The pause-all switch (tray and UI).
    pub fn set_paused(&self, paused: bool) -> EngineResult<AppStatus> {
        self.setting_set("sending_paused", if paused { "true" } else { "false" })?;
        self.status()
    }

    pub fn list_carts(&self, filter: &carts::CartFilter) -> EngineResult<Vec<carts::CartRow>> {
        Ok(carts::list(&self.db.conn(), filter)?)
    }

    pub fn inbox(&self, limit: u32) -> EngineResult<Vec<conversations::ConversationRow>> {
        Ok(conversations::inbox(&self.db.conn(), limit)?)
    }

    pub fn recent_events(&self, limit: u32) -> EngineResult<Vec<events::EventRow>> {
        Ok(events::recent(&self.db.conn(), limit)?)
    }

    pub fn export_rows(&self, kind: crate::export::ExportKind) -> EngineResult<crate::export::Rows> {
        use crate::export::{ExportKind, Rows};
        let conn = self.db.conn();
        Ok(match kind {
            ExportKind::Carts => Rows::Carts(carts::list(
                &conn,
                &carts::CartFilter { limit: Some(u32::MAX), ..Default::default() },
            )?),
            ExportKind::Sends => Rows::Sends(sends::list(&conn)?),
            ExportKind::Messages => Rows::Messages(messages::list(&conn)?),
            ExportKind::Contacts => Rows::Contacts(contacts::list(&conn)?),
        })
    }

    /// Stores a secret in the secret store (never in SQLite) and records that it changed.
    pub fn set_secret(&self, name: SecretName, value: Sensitive<String>) -> EngineResult<()> {
        self.secrets.set(name, value)?;
        let now = self.clock.now();
        events::append(
            &self.db.conn(),
            &storage::ts(now),
            "secret_set",
            None,
            None,
            &serde_json::json!({ "name": name.as_str(), "store": self.secrets.describe() }),
        )?;
        tracing::info!(secret = %name, store = self.secrets.describe(), "secret stored");
        Ok(())
    }

    pub fn delete_secret(&self, name: SecretName) -> EngineResult<()> {
        self.secrets.delete(name)?;
        tracing::info!(secret = %name, "secret deleted");
        Ok(())
    }

    /// Which secrets are set. A backend error on one name is reported, not hidden.
    pub fn secret_states(&self) -> EngineResult<Vec<SecretState>> {
        SecretName::ALL
            .into_iter()
            .map(|name| {
                Ok(SecretState {
                    name: name.as_str().into(),
                    set: self.secrets.get(name)?.is_some(),
                    env_var: name.env_var(),
                })
            })
            .collect()
    }

    /// The secret itself, for the code that sends it over HTTP. Never returned to the UI.
    pub fn secret(&self, name: SecretName) -> EngineResult<Option<Sensitive<String>>> {
        Ok(self.secrets.get(name)?)
    }

    fn emit_status(&self) {
        match self.status() {
            Ok(status) => self.events.emit(EngineEvent::StatusChanged { status }),
            Err(e) => tracing::warn!(error = %e, "could not read the status"),
        }
    }

    /// One round of upkeep for long-running hosts: fold the WAL into the database file and
    /// publish the current status. Returns the status it published.
    pub fn try_housekeeping(&self) -> EngineResult<AppStatus> {
        self.db.checkpoint()?;
        let status = self.status()?;
        self.events.emit(EngineEvent::StatusChanged { status: status.clone() });
        Ok(status)
    }

    /// Runs the engine's background work until `shutdown` resolves. The store poller, the
    /// dispatcher and the webhook receiver join this loop as they land; today it keeps the
    /// database tidy and the status fresh.
    pub async fn run_until_stopped(
        self: Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> EngineResult<()> {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => {
                    let engine = self.clone();
                    match tokio::task::spawn_blocking(move || engine.try_housekeeping()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                        Err(e) => tracing::error!(error = %e, "housekeeping task panicked"),
                    }
                }
            }
        }
        self.db.checkpoint()?;
        tracing::info!("engine stopped");
        Ok(())
    }
}
