//! The headless engine: the database, the settings, the secrets and the clock wired together,
//! with one method per thing the app, the command line or `serve` can ask. No tauri here: the
//! desktop shell and the CLI are thin callers of these methods.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;

use crate::clock::Clock;
use crate::config::{self, ConfigError, SettingView, Settings};
use crate::events::{EngineEvent, EventBus};
use crate::paths::AppPaths;
use crate::scheduler::outbox::{self, DispatchReport, DispatchRules, PreSendStore};
use crate::scheduler::planner::PlanRules;
use crate::scheduler::poller::{self, PollOutcome, PollSettings};
use crate::secrets::{SecretError, SecretName, SecretStore, Sensitive};
use crate::storage::{
    self, carts, contacts, conversations, events, messages, sends, stores, templates, webhook_events, Db,
    StorageError,
};
use crate::stores::{
    AnyConnector, Credentials, Cursor, Platform, StoreCheckReport, StoreConnector, StoreError, StoreInput,
    StoreOptions,
};
use crate::whatsapp::client::{CloudClient, CloudConfig};
use crate::whatsapp::{BoxFuture, MessageSender};

mod cart_actions;
mod connect;
mod converse;
mod inbox;
mod preview;
mod purchase_sweep;

pub use cart_actions::{CartAction, CartActionResult, STOPPED_BY_OWNER};
pub use connect::{WebhookInfo, WhatsAppCheck};
pub use inbox::ConversationDetail;
pub use preview::MessagePreview;

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

impl EngineError {
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
            EngineError::Invalid(_) => "invalid",
            EngineError::NoCart => "no_cart",
            EngineError::TemplateNotApproved => "template_not_approved",
            EngineError::WhatsApp(_) => "whatsapp",
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
    /// The local webhook address with its secret path (what the tunnel forwards to). Named
    /// `webhook_url` in JSON, as documented for `recupero status --json`.
    #[serde(rename = "webhook_url")]
    pub webhook_url: String,
    /// When the last webhook delivery arrived (onboarding's "last webhook received").
    pub last_webhook_at: Option<String>,
    /// Webhook deliveries stored but not processed yet.
    pub webhooks_pending: i64,
}

/// Whether a secret is present, never its value.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretState {
    pub name: String,
    pub set: bool,
    pub env_var: String,
    /// Where the value comes from when set: `env` (the variable, read-only) or `keychain`.
    pub source: Option<&'static str>,
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
    /// Connectors keep state (Shopify's renewed token), so each store's is built once; a
    /// changed secret or store drops them.
    connectors: Mutex<HashMap<i64, Arc<AnyConnector>>>,
    /// The WhatsApp sender: given by the demo and tests, else built from the settings and the
    /// token (and kept while those stay the same).
    sender: Mutex<SenderSlot>,
    /// This process's name on the leases it takes.
    lease_owner: String,
    /// Wakes the webhook processor when the receiver stored a delivery.
    webhook_wake: tokio::sync::Notify,
    /// Wakes the conversation step (assistant, reply queue) when there is something for it.
    assist_wake: tokio::sync::Notify,
    /// The app secret the webhook receiver checks signatures with (kept current by set_secret).
    receiver_secret: crate::webhooks::AppSecret,
}

#[derive(Default)]
struct SenderSlot {
    given: Option<Arc<dyn MessageSender>>,
    built: Option<(String, Arc<dyn MessageSender>)>,
    /// Kept across calls: it remembers whom we wrote to in the last seconds.
    throttle: Option<Arc<crate::whatsapp::throttle::Throttle>>,
}

/// One line of a cart's timeline ("why not sent" included).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub at: String,
    pub kind: String,
    pub step: Option<i64>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CartTimeline {
    pub cart: carts::CartRow,
    pub entries: Vec<TimelineEntry>,
    pub sends: Vec<sends::SendRow>,
    /// Why the first message did not (or will not yet) go, as a reason code.
    pub why_not_sent: Option<String>,
    /// What the owner can do with the cart now (the panel's buttons).
    pub actions: Vec<CartAction>,
}

/// The webhook address's secret path and Meta's verify token are generated once, from the
/// operating system's random source, and kept (they are part of what the owner registers).
fn ensure_webhook_secrets(db: &Db, now: chrono::DateTime<chrono::Utc>) -> EngineResult<()> {
    use base64::Engine as _;
    let conn = db.conn();
    for (key, bytes) in [("webhook_path", 24usize), ("webhook_verify_token", 18)] {
        if config::get(&conn, key)?.is_empty() {
            let mut buf = vec![0u8; bytes];
            getrandom::fill(&mut buf)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("no random source: {e}")))?;
            let word = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf);
            config::set(&conn, key, &word, now)?;
        }
    }
    Ok(())
}

/// The keychain scope of one store's credentials.
fn store_scope(id: i64) -> String {
    format!("store-{id}")
}

/// Carts shown by one "Test connection" at most (the command line has no limit).
pub const CHECK_PREVIEW_LIMIT: usize = 50;

impl Engine {
    /// Opens (and migrates) the database in the data directory and wires the parts together.
    pub fn build(opts: EngineOptions) -> EngineResult<Engine> {
        opts.paths.create_dirs()?;
        let db = Db::open(&opts.paths.db_path())?;
        ensure_webhook_secrets(&db, opts.clock.now())?;
        tracing::info!(db = %db.path().display(), secrets = opts.secrets.describe(), "engine ready");
        Ok(Engine {
            paths: opts.paths,
            db,
            secrets: opts.secrets,
            clock: opts.clock,
            events: EventBus::default(),
            demo: opts.demo,
            connectors: Mutex::new(HashMap::new()),
            sender: Mutex::new(SenderSlot::default()),
            lease_owner: format!("pid{}-{:08x}", std::process::id(), fastrand::u32(..)),
            webhook_wake: tokio::sync::Notify::new(),
            assist_wake: tokio::sync::Notify::new(),
            receiver_secret: Default::default(),
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
            webhook_url: crate::webhooks::local_url(settings.webhook_port, &settings.webhook_path),
            last_webhook_at: webhook_events::last_received(&conn)?,
            webhooks_pending: webhook_events::counts(&conn)?.1,
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
            if key.trim() == "shop_facts" {
                // Every change is a new version, so answers can say which facts they used.
                storage::shop_facts::record(&tx, &stored, &storage::ts(now))?;
            }
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

    /// The Carts list. Days in the filter are shop days, read in the shop's time zone unless
    /// the filter names one.
    pub fn list_carts(&self, filter: &carts::CartFilter) -> EngineResult<Vec<carts::CartRow>> {
        let mut filter = filter.clone();
        if filter.timezone.is_none() && (filter.from.is_some() || filter.to.is_some()) {
            filter.timezone = Some(self.settings()?.timezone);
        }
        Ok(carts::list(&self.db.conn(), &filter)?)
    }

    /// A shop day as the UI and the command line give it (`YYYY-MM-DD`); blank is no day.
    pub fn shop_date(text: Option<&str>) -> EngineResult<Option<chrono::NaiveDate>> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| EngineError::Invalid(format!("\"{text}\" is not a date (YYYY-MM-DD)")))
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
        if name == SecretName::WhatsappAppSecret {
            *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = Some(value.clone());
        }
        self.secrets.set(name, value)?;
        self.forget_connectors();
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
        if name == SecretName::WhatsappAppSecret {
            *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = None;
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

    fn forget_connectors(&self) {
        self.connectors.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).built = None;
    }

    /// Sends through `sender` from now on (the demo's sandbox WhatsApp, a test double).
    pub fn use_sender(&self, sender: Arc<dyn MessageSender>) {
        self.sender.lock().unwrap_or_else(PoisonError::into_inner).given = Some(sender);
    }

    /// The sender in use: the one given, else the Cloud API client when the phone-number id and
    /// the token are set. `None`: WhatsApp is not connected yet.
    /// Every sender is throttled (the number's rate, one message per customer every 6 s).
    fn sender(&self, settings: &Settings) -> EngineResult<Option<Arc<dyn MessageSender>>> {
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

    fn dispatch_rules(&self, s: &Settings) -> DispatchRules {
        DispatchRules {
            plan: PlanRules::from_settings(s),
            abandonment_delay: chrono::Duration::minutes(i64::from(s.abandonment_delay_minutes)),
            consent_only: s.consent_only,
            customer_cap: chrono::Duration::days(i64::from(s.per_customer_cap_days)),
            attribution: chrono::Duration::days(i64::from(s.attribution_days)),
            paused: s.sending_paused,
            template: s.template_name.clone(),
            lease: chrono::Duration::seconds(i64::from(s.send_lease_seconds.max(2))),
            batch: 20,
        }
    }

    /// One dispatcher step: reap, re-plan overdue, claim due sends, check, send, finish.
    pub async fn dispatch_due(&self) -> EngineResult<DispatchReport> {
        let settings = self.settings()?;
        let rules = self.dispatch_rules(&settings);
        let sender = self.sender(&settings)?;
        let report = outbox::dispatch_step(
            &self.db,
            self.clock.as_ref(),
            &self.events,
            sender.as_deref(),
            self,
            &rules,
            &self.lease_owner,
        )
        .await?;
        if report.sent > 0 || !report.skipped.is_empty() || report.failed > 0 || report.unknown > 0 {
            self.emit_status();
        }
        Ok(report)
    }

    /// WhatsApp's later word about a message (a status webhook): settles an `unknown` send.
    pub fn reconcile_status(
        &self,
        callback_data: Option<&str>,
        wamid: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> EngineResult<Option<i64>> {
        Ok(outbox::reconcile(&self.db, callback_data, wamid, at, self.clock.now())?)
    }

    /// Processes the stored webhook deliveries, oldest first, each in its own transaction with
    /// its "processed" mark, then tells the outside world (new messages, takeovers, problems
    /// only the owner can fix). Returns how many deliveries were processed.
    pub fn process_webhooks(&self) -> EngineResult<usize> {
        use crate::webhooks::process::{self, Effects, Routing};
        let settings = self.settings()?;
        let routing = Routing {
            phone_number_id: Some(settings.whatsapp_phone_number_id.clone()).filter(|s| !s.is_empty()),
            escalation_keywords: settings.escalation_keywords.clone(),
            shop_lang: crate::i18n::Lang::resolve(&settings.ui_language, None),
        };
        let mut done = 0;
        let mut all = Effects::default();
        loop {
            let batch = webhook_events::pending(&self.db.conn(), 50)?;
            if batch.is_empty() {
                break;
            }
            for event in batch {
                let now = self.clock.now();
                let mut conn = self.db.conn();
                let tx = conn.transaction()?;
                match process::apply(&tx, &event.body, &routing, now) {
                    Ok((outcome, fx)) => {
                        webhook_events::mark_processed(&tx, event.id, &outcome, &storage::ts(now))?;
                        tx.commit()?;
                        if outcome != "ok" {
                            tracing::info!(event = event.id, %outcome, "webhook processed with notes");
                        }
                        all.inbound.extend(fx.inbound);
                        all.takeovers.extend(fx.takeovers);
                        all.opt_outs += fx.opt_outs;
                        all.statuses += fx.statuses;
                        all.problems.extend(fx.problems);
                        all.paused |= fx.paused;
                        all.escalations.extend(fx.escalations);
                        all.opted_out_threads.extend(fx.opted_out_threads);
                        all.replies_queued |= fx.replies_queued;
                        all.assist_queued |= fx.assist_queued;
                    }
                    Err(e) => {
                        drop(tx);
                        tracing::error!(event = event.id, error = %e, "a webhook could not be applied; kept with the error");
                        webhook_events::mark_processed(
                            &conn,
                            event.id,
                            &format!("error: {e}"),
                            &storage::ts(now),
                        )?;
                    }
                }
                done += 1;
            }
        }
        let mut threads = all.inbound.clone();
        threads.dedup();
        for conversation_id in threads {
            self.events.emit(EngineEvent::InboundMessage { conversation_id });
        }
        if all.paused {
            self.events.emit(EngineEvent::PausedChanged { paused: true });
        }
        all.problems.dedup();
        for problem in all.problems {
            self.events.emit(EngineEvent::NeedsOwner { problem });
        }
        for (conversation_id, reason) in all.escalations {
            self.emit_escalation(conversation_id, &reason);
        }
        for conversation_id in all.opted_out_threads {
            self.events.emit(EngineEvent::OptedOut { conversation_id });
        }
        if all.replies_queued || all.assist_queued {
            self.assist_wake.notify_one();
        }
        if done > 0 {
            self.emit_status();
        }
        Ok(done)
    }

    /// Starts the webhook receiver on 127.0.0.1 (`webhook_port`, or `port` when given) with the
    /// generated secret path and verify token, and the app secret when one is set.
    pub async fn start_webhooks(
        self: &Arc<Self>,
        port: Option<u16>,
    ) -> EngineResult<crate::webhooks::Receiver> {
        let settings = self.settings()?;
        // The keychain may block (a D-Bus round trip, an unlock prompt): off the async workers.
        let secrets = self.secrets.clone();
        let app_secret = tokio::task::spawn_blocking(move || secrets.get(SecretName::WhatsappAppSecret))
            .await
            .map_err(|e| EngineError::Other(anyhow::anyhow!("reading the app secret: {e}")))??;
        let has_secret = app_secret.is_some();
        *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = app_secret;
        if !has_secret {
            tracing::warn!(
                "no WhatsApp app secret: webhook signatures are not checked (set it with `recupero secret set whatsapp_app_secret`)"
            );
        }
        // A test knob, in debug builds only: hold each answer after storing, so a test can kill
        // the process between "stored" and "answered".
        let ack_delay = if cfg!(debug_assertions) {
            std::env::var("RECUPERO_TEST_WEBHOOK_ACK_DELAY_MS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_millis)
        } else {
            None
        };
        let config = crate::webhooks::ReceiverConfig {
            port: port.unwrap_or(settings.webhook_port),
            path: settings.webhook_path.clone(),
            verify_token: settings.webhook_verify_token.clone(),
            app_secret: self.receiver_secret.clone(),
            ack_delay,
        };
        let sink: Arc<dyn crate::webhooks::Ingest> = self.clone();
        crate::webhooks::start(config, sink).await.map_err(|e| {
            EngineError::Other(anyhow::anyhow!(
                "could not listen for webhooks on port {}: {e}",
                settings.webhook_port
            ))
        })
    }

    /// Is the customer's 24-hour window open in this thread? Returns when it closes.
    pub fn window_closes_at(
        &self,
        conversation_id: i64,
    ) -> EngineResult<Option<chrono::DateTime<chrono::Utc>>> {
        let last = conversations::last_inbound_at(&self.db.conn(), conversation_id)?;
        let closes = last
            .as_deref()
            .and_then(|t| crate::stores::fields::parse_time(t).ok())
            .map(|t| t + chrono::Duration::hours(24));
        Ok(closes.filter(|c| *c > self.clock.now()))
    }

    /// A person takes over this customer (automation stays away) or hands back.
    pub fn set_takeover(&self, conversation_id: i64, taken: bool) -> EngineResult<()> {
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let contact = conversations::contact_of(&tx, conversation_id)?.ok_or(EngineError::NoConversation)?;
        contacts::take_over(&tx, contact, taken.then_some(now.as_str()))?;
        conversations::set_automation_paused(&tx, conversation_id, taken)?;
        if taken {
            storage::drafts::discard_pending(&tx, conversation_id, &now)?;
            messages::assist_done(&tx, conversation_id, "taken_over")?;
        } else {
            // Handing back ends the escalation too: automation answers this customer again.
            conversations::clear_escalation(&tx, conversation_id)?;
        }
        events::append(
            &tx,
            &now,
            if taken { "takeover" } else { "handed_back" },
            None,
            Some(contact),
            &serde_json::json!({ "source": "app", "conversation": conversation_id }),
        )?;
        tx.commit()?;
        drop(conn);
        self.emit_status();
        Ok(())
    }

    /// One conversation's messages, oldest first.
    pub fn thread(&self, conversation_id: i64) -> EngineResult<Vec<messages::MessageRow>> {
        Ok(messages::thread(&self.db.conn(), conversation_id)?)
    }

    /// The recovery template's languages as WhatsApp reports them now (and cached).
    pub async fn refresh_templates(&self) -> EngineResult<Vec<templates::TemplateRow>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        Ok(outbox::refresh_templates(&self.db, sender.as_ref(), &settings.template_name, self.clock.now())
            .await?)
    }

    /// What is known about the templates, without asking WhatsApp.
    pub fn known_templates(&self) -> EngineResult<Vec<templates::TemplateRow>> {
        Ok(templates::list(&self.db.conn())?)
    }

    /// Every template on the account (any name), straight from WhatsApp.
    pub async fn account_templates(&self) -> EngineResult<Vec<crate::whatsapp::TemplateState>> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        Ok(sender.templates(None).await?)
    }

    /// Submits the recovery template for review in es, pt_BR and en (the languages already on
    /// the account are left alone). `button_base`: the start every recovery link shares, e.g.
    /// `https://mitienda.com/`. Returns (language, status) per language.
    pub async fn create_recovery_template(&self, button_base: &str) -> EngineResult<Vec<(String, String)>> {
        let base = url::Url::parse(button_base.trim()).map_err(|e| {
            EngineError::Invalid(format!("the button address must be a full https:// address: {e}"))
        })?;
        if base.scheme() != "https" && !crate::stores::is_loopback(&base) {
            return Err(EngineError::Invalid("the button address must start with https://".into()));
        }
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let name = settings.template_name.clone();
        let existing = sender.templates(Some(&name)).await?;
        let mut out = Vec::new();
        for language in crate::whatsapp::template::LANGUAGES {
            if let Some(t) = existing.iter().find(|t| t.language == language) {
                out.push((language.to_string(), t.status.clone()));
                continue;
            }
            let template = crate::whatsapp::template::recovery_template(&name, language, base.as_str());
            let created = sender.create_template(&template).await?;
            out.push((language.to_string(), created.status.clone()));
            let now = storage::ts(self.clock.now());
            let conn = self.db.conn();
            events::append(
                &conn,
                &now,
                "template_created",
                None,
                None,
                &serde_json::json!({ "name": name, "language": language, "status": created.status }),
            )?;
        }
        templates::unblock(&self.db.conn(), &name)?;
        outbox::refresh_templates(&self.db, sender.as_ref(), &name, self.clock.now()).await?;
        Ok(out)
    }

    /// Housekeeping: polls the templates' review state — every few minutes while one is under
    /// review, hourly otherwise (template webhooks can't reach a desktop).
    pub async fn refresh_templates_if_due(&self) -> EngineResult<bool> {
        let settings = self.settings()?;
        if self.sender(&settings)?.is_none() {
            return Ok(false);
        }
        let (pending, oldest) = {
            let conn = self.db.conn();
            (templates::any_pending(&conn)?, templates::oldest_check(&conn)?)
        };
        let every = if pending { chrono::Duration::minutes(5) } else { chrono::Duration::minutes(60) };
        let due = oldest
            .as_deref()
            .and_then(|t| crate::stores::fields::parse_time(t).ok())
            .is_none_or(|t| self.clock.now() - t >= every);
        if !due {
            return Ok(false);
        }
        let before: Vec<(String, String, String)> =
            self.known_templates()?.into_iter().map(|t| (t.name, t.language, t.status)).collect();
        let after = self.refresh_templates().await?;
        for t in &after {
            let was = before.iter().find(|b| b.0 == t.name && b.1 == t.language).map(|b| b.2.as_str());
            if was.is_some_and(|w| w != t.status)
                && matches!(t.status.as_str(), "REJECTED" | "PAUSED" | "DISABLED")
            {
                self.events
                    .emit(EngineEvent::NeedsOwner { problem: crate::events::OwnerProblem::TemplateRejected });
            }
        }
        Ok(true)
    }

    /// A customer's text recorded directly, by E.164 (tests; the webhook receiver is the real path).
    /// Stops follow-ups for their carts.
    pub fn record_inbound(&self, phone_e164: &str, text: &str, wamid: &str) -> EngineResult<Option<i64>> {
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let Some(contact) = contacts::id_by_phone(&tx, phone_e164)? else {
            return Ok(None);
        };
        let thread = conversations::ensure(&tx, contact, &now)?;
        let id = messages::insert(
            &tx,
            &messages::NewMessage {
                conversation_id: thread,
                direction: "in",
                origin: "customer",
                wamid: Some(wamid),
                send_id: None,
                kind: "text",
                body: Some(text),
                status: None,
                at: &now,
            },
        )?;
        if id.is_some() {
            conversations::touch(&tx, thread, text, &now, true)?;
            events::append(&tx, &now, "customer_replied", None, Some(contact), &serde_json::json!({}))?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The customer opted out (a keyword, the template's button, Meta's 131050).
    pub fn opt_out(&self, phone_e164: &str, source: &str) -> EngineResult<bool> {
        let now = storage::ts(self.clock.now());
        let conn = self.db.conn();
        let Some(contact) = contacts::id_by_phone(&conn, phone_e164)? else {
            return Ok(false);
        };
        let news = contacts::opt_out(&conn, contact, source, &now)?;
        if news {
            events::append(
                &conn,
                &now,
                "opted_out",
                None,
                Some(contact),
                &serde_json::json!({ "source": source }),
            )?;
        }
        Ok(news)
    }

    /// A cart with its history and, when it was not messaged, why.
    pub fn cart_timeline(&self, cart_id: i64) -> EngineResult<CartTimeline> {
        let settings = self.settings()?;
        let sending = self.sending(&settings)?;
        let idle = if sending.paused {
            Some("paused")
        } else if !sending.connected {
            Some("no_whatsapp")
        } else {
            None
        };
        let conn = self.db.conn();
        let cart = carts::get(&conn, cart_id)?
            .ok_or_else(|| EngineError::Other(anyhow::anyhow!("there is no cart {cart_id}")))?;
        let sends = sends::for_cart(&conn, cart_id)?;
        let entries = events::for_cart(&conn, cart_id)?
            .into_iter()
            .filter_map(|e| {
                let data: serde_json::Value = serde_json::from_str(&e.data).unwrap_or_default();
                let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(String::from);
                let kind = match e.kind.as_str() {
                    "cart_detected" => "detected",
                    "send_planned" => "planned",
                    "send_replanned" => "replanned",
                    "send_held" | "send_retry" => "held",
                    "send_sent" => "sent",
                    "send_skipped" => "skipped",
                    "send_failed" => "failed",
                    "send_unknown" => "unknown",
                    "send_reconciled" => "sent",
                    "cart_completed" => "completed",
                    "cart_outcome" if text("outcome").as_deref() == Some("recovered") => "recovered",
                    "cart_outcome" => "note",
                    "opted_out" => "opted_out",
                    "message_delivered" => "delivered",
                    "message_read" => "read",
                    "message_failed" => "failed",
                    _ => return None,
                };
                Some(TimelineEntry {
                    at: e.at,
                    kind: kind.into(),
                    step: data.get("step").and_then(serde_json::Value::as_i64),
                    reason: text("reason").or_else(|| text("code")).or_else(|| text("outcome")),
                    detail: text("detail")
                        .or_else(|| text("how"))
                        .or_else(|| text("due").map(|d| format!("due {d}"))),
                })
            })
            .collect();
        let first = sends.iter().find(|s| s.step == 0);
        let why_not_sent = match first {
            Some(s) if s.state == "skipped" => s.skip_reason.clone(),
            Some(s) if s.state == "failed" => {
                Some(s.error_code.clone().unwrap_or_else(|| "send_failed".into()))
            }
            // Waiting to try again after WhatsApp refused it: a template refusal (132xxx) in the
            // owner's words, any other refusal by its WhatsApp code.
            Some(s)
                if s.state == "planned"
                    && s.held_reason.as_deref() == Some("retry")
                    && s.error_code.is_some() =>
            {
                idle.map(String::from).or_else(|| {
                    let code = s.error_code.clone().unwrap_or_default();
                    Some(if code.starts_with("132") {
                        "template_blocked".into()
                    } else if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
                        code // a WhatsApp code: the UI names it with its number
                    } else {
                        "whatsapp_unreachable".into() // network, HTTP 5xx, throttling on our side
                    })
                })
            }
            // Waiting: say why only when something other than the clock holds it.
            Some(s) if s.state == "planned" => idle.map(String::from).or_else(|| {
                s.held_reason.clone().filter(|r| {
                    [
                        "template_not_approved",
                        "template_blocked",
                        "store_unreachable",
                        "whatsapp_unreachable",
                        "account",
                    ]
                    .contains(&r.as_str())
                })
            }),
            Some(_) => None,
            None => match cart.status.as_str() {
                "no_phone" => Some("no_phone".into()),
                "expired" => Some("too_old".into()),
                "completed" => Some("purchased".into()),
                _ => None,
            },
        };
        let actions = cart_actions::available(&conn, cart_id, sending, settings.followups)?;
        Ok(CartTimeline { cart, entries, sends, why_not_sent, actions })
    }

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
        })
    }

    /// Polls a store described by `input` from the start, without saving anything, and returns
    /// up to `limit` carts (all of them with `usize::MAX`). What `recupero store check` prints
    /// and the Settings screen's "Test connection" lists.
    pub async fn store_check(&self, input: &StoreInput, limit: usize) -> EngineResult<StoreCheckReport> {
        let settings = self.settings()?;
        let config = input.config(&settings.default_country)?;
        let credentials = self.store_credentials(config.platform, Some(input), None)?;
        let connector = AnyConnector::new(config, credentials, self.clock.clone())?;
        let mut report = StoreCheckReport::default();
        let mut cursor = Cursor::start();
        loop {
            let page = connector.list_changed(&cursor).await?;
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
    pub fn connect_store(&self, input: &StoreInput) -> EngineResult<stores::StoreRow> {
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
            let id = stores::upsert(
                &conn,
                &stores::NewStore {
                    platform: config.platform.as_str(),
                    name: &name,
                    base_url: config.base_url.as_str(),
                    external_id: config.external_id.as_deref(),
                    country: &config.country,
                    options: &options,
                },
                &now,
            )?;
            events::append(
                &conn,
                &now,
                "store_connected",
                None,
                None,
                &serde_json::json!({ "store": id, "platform": config.platform }),
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
        events::append(
            &self.db.conn(),
            &storage::ts(now_at),
            "secret_set",
            None,
            None,
            &serde_json::json!({ "scope": store_scope(id), "store": self.secrets.describe() }),
        )?;
        self.forget_connectors();
        tracing::info!(store = id, platform = %config.platform, "store connected");
        self.emit_status();
        stores::get(&self.db.conn(), id)?
            .ok_or_else(|| EngineError::Other(anyhow::anyhow!("store {id} vanished")))
    }

    pub fn list_stores(&self) -> EngineResult<Vec<stores::StoreRow>> {
        Ok(stores::list(&self.db.conn())?)
    }

    /// The connector for a saved store, built once and kept.
    fn connector(&self, store_id: i64) -> EngineResult<Arc<AnyConnector>> {
        if let Some(c) = self.connectors.lock().unwrap_or_else(PoisonError::into_inner).get(&store_id) {
            return Ok(c.clone());
        }
        let state = stores::poll_state(&self.db.conn(), store_id)?
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
        let credentials = self.store_credentials(platform, None, Some(store_id))?;
        let connector = Arc::new(AnyConnector::new(config, credentials, self.clock.clone())?);
        self.connectors.lock().unwrap_or_else(PoisonError::into_inner).insert(store_id, connector.clone());
        Ok(connector)
    }

    fn poll_settings(&self) -> EngineResult<PollSettings> {
        let s = self.settings()?;
        Ok(PollSettings {
            interval: Duration::from_secs(u64::from(s.poll_interval_seconds.max(5))),
            intake: carts::Intake {
                abandonment_delay: chrono::Duration::minutes(i64::from(s.abandonment_delay_minutes)),
                max_age: chrono::Duration::hours(i64::from(s.max_cart_age_hours)),
            },
            plan: PlanRules::from_settings(&s),
            attribution: chrono::Duration::days(i64::from(s.attribution_days)),
        })
    }

    /// One poll step for one store (one page). `force` ignores the schedule and the backoff.
    pub async fn poll_store(&self, store_id: i64, force: bool) -> EngineResult<PollOutcome> {
        let settings = self.poll_settings()?;
        let connector = match self.connector(store_id) {
            Ok(c) => c,
            Err(EngineError::Store(error)) => {
                // Missing credentials or a bad address: shown on the store like any failure.
                let previous = stores::poll_state(&self.db.conn(), store_id)?.map_or(0, |s| s.failures);
                let outcome = poller::record_failure(
                    &self.db,
                    self.clock.as_ref(),
                    &self.events,
                    store_id,
                    previous,
                    error,
                )?;
                self.emit_status();
                return Ok(outcome);
            }
            Err(e) => return Err(e),
        };
        let outcome = poller::poll_step(
            &self.db,
            self.clock.as_ref(),
            &self.events,
            store_id,
            connector.as_ref(),
            &settings,
            force,
        )
        .await?;
        if matches!(outcome, PollOutcome::Page { more: false, .. } | PollOutcome::Failed { .. }) {
            self.emit_status();
        }
        Ok(outcome)
    }

    /// Polls a store until it is caught up (or fails), waiting between pages as the store asks.
    /// Returns the outcomes of every step.
    pub async fn poll_store_until_caught_up(
        &self,
        store_id: i64,
        force: bool,
    ) -> EngineResult<Vec<PollOutcome>> {
        let mut outcomes = Vec::new();
        let mut force = force;
        loop {
            let outcome = self.poll_store(store_id, force).await?;
            force = true;
            let next = match &outcome {
                PollOutcome::Page { more: true, pace, .. } => Some(*pace),
                _ => None,
            };
            outcomes.push(outcome);
            match next {
                Some(pace) if !pace.is_zero() => tokio::time::sleep(pace).await,
                Some(_) => {}
                None => return Ok(outcomes),
            }
        }
    }

    /// Did the customer buy? Asks the store about one cart (the pre-send re-check): checkout
    /// completed, an order with the same id, or an order placed since the checkout by the same
    /// customer, through a fresh checkout (same phone, or the checkout's email).
    pub async fn cart_completion(&self, cart_id: i64) -> EngineResult<crate::stores::Completion> {
        let (store_id, external, phone, created): (i64, String, Option<String>, String) =
            self.db.conn().query_row(
                "SELECT store_id, external_id, phone_e164, checkout_created_at FROM carts WHERE id = ?1",
                [cart_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
        let query = crate::stores::CompletionQuery {
            external_id: crate::domain::ExternalId::parse(&external)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("cart {cart_id}: {e}")))?,
            phone_e164: phone,
            since: crate::stores::fields::parse_time(&created)
                .map_err(|e| EngineError::Other(anyhow::anyhow!("cart {cart_id}: {e}")))?,
        };
        Ok(self.connector(store_id)?.completion(&query).await?)
    }

    /// Every store that is due, each in its own task so a slow or failing one never holds up
    /// the others. Returns each store's last outcome.
    pub async fn poll_due_stores(self: &Arc<Self>) -> EngineResult<Vec<(i64, Result<PollOutcome, String>)>> {
        let ids: Vec<i64> =
            self.list_stores()?.into_iter().filter(|s| s.state != "paused").map(|s| s.id).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let engine = self.clone();
            tasks.spawn(async move {
                let result = engine.poll_store_until_caught_up(id, false).await;
                (
                    id,
                    result
                        .map(|mut o| o.pop().unwrap_or(PollOutcome::NotDue { at: engine.clock.now() }))
                        .map_err(|e| e.to_string()),
                )
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(pair) => out.push(pair),
                Err(e) => tracing::error!(error = %e, "a store poll task panicked"),
            }
        }
        out.sort_by_key(|(id, _)| *id);
        self.promote_waiting()?;
        Ok(out)
    }

    /// Carts whose abandonment delay ran out since the last poll are detected and planned.
    pub fn promote_waiting(&self) -> EngineResult<usize> {
        let plan = PlanRules::from_settings(&self.settings()?);
        Ok(poller::promote_waiting(&self.db, self.clock.as_ref(), &self.events, &plan)?)
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

    /// Runs the engine's background work until `shutdown` resolves: the store poller (each
    /// store on its own schedule), the outbox dispatcher, the webhook receiver and its processor,
    /// and housekeeping.
    pub async fn run_until_stopped(
        self: Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> EngineResult<()> {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        // The webhook receiver. A port already in use is reported, and the rest still runs.
        let receiver = match self.start_webhooks(None).await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(error = %e, "webhook receiver not started");
                None
            }
        };
        // The webhook processor: woken by each stored delivery, and every few seconds anyway
        // (deliveries stored before a crash are processed after the restart).
        let processor = {
            let engine = self.clone();
            tokio::spawn(async move {
                loop {
                    let step = engine.clone();
                    match tokio::task::spawn_blocking(move || step.process_webhooks()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "webhook processing failed"),
                        Err(e) => tracing::error!(error = %e, "webhook processing task panicked"),
                    }
                    tokio::select! {
                        _ = engine.webhook_wake.notified() => {}
                        _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                    }
                }
            })
        };
        // Replies caught mid-send by a crash may have left: never resent, settled by webhook.
        match messages::settle_interrupted_replies(&self.db.conn(), &storage::ts(self.clock.now())) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(n, "replies interrupted while sending are now unknown (not resent)"),
            Err(e) => tracing::warn!(error = %e, "could not settle interrupted replies"),
        }
        // The conversation step (assistant, drafts, queued replies): woken by new customer
        // messages, and every half minute anyway. Slow providers never delay webhooks.
        let converser = {
            let engine = self.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = engine.converse().await {
                        tracing::warn!(error = %e, "the conversation step failed");
                    }
                    tokio::select! {
                        _ = engine.assist_wake.notified() => {}
                        _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                    }
                }
            })
        };
        // The poller runs in its own task so a long catch-up never delays shutdown or upkeep;
        // aborting it between pages is safe (each page is one transaction).
        let poller = {
            let engine = self.clone();
            tokio::spawn(async move {
                let mut poll_tick = tokio::time::interval(std::time::Duration::from_secs(5));
                poll_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    poll_tick.tick().await;
                    // Each store keeps its own schedule (interval, backoff); this only looks.
                    if let Err(e) = engine.poll_due_stores().await {
                        tracing::warn!(error = %e, "store polling failed");
                    }
                }
            })
        };
        // The dispatcher too: one step every couple of seconds (each send is fenced, so an abort
        // mid-step leaves at worst an `unknown` send, never a duplicate).
        let dispatcher = {
            let engine = self.clone();
            tokio::spawn(async move {
                let mut dispatch_tick = tokio::time::interval(std::time::Duration::from_secs(2));
                dispatch_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    dispatch_tick.tick().await;
                    if let Err(e) = engine.promote_waiting() {
                        tracing::warn!(error = %e, "promoting waiting carts failed");
                    }
                    if let Err(e) = engine.dispatch_due().await {
                        tracing::warn!(error = %e, "dispatch failed");
                    }
                }
            })
        };
        // The purchase sweep: a few carts inside the attribution window every few minutes.
        let sweeper = {
            let engine = self.clone();
            tokio::spawn(async move {
                let mut sweep_tick = tokio::time::interval(std::time::Duration::from_secs(5 * 60));
                sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    sweep_tick.tick().await;
                    if let Err(e) = engine.sweep_purchases().await {
                        tracing::warn!(error = %e, "purchase sweep failed");
                    }
                }
            })
        };
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => {
                    if let Err(e) = self.refresh_templates_if_due().await {
                        tracing::warn!(error = %e, "could not check the templates' review state");
                    }
                    let engine = self.clone();
                    match tokio::task::spawn_blocking(move || engine.try_housekeeping()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                        Err(e) => tracing::error!(error = %e, "housekeeping task panicked"),
                    }
                }
            }
        }
        poller.abort();
        dispatcher.abort();
        sweeper.abort();
        let _ = sweeper.await;
        processor.abort();
        converser.abort();
        let _ = converser.await;
        let _ = poller.await;
        let _ = dispatcher.await;
        let _ = processor.await;
        drop(receiver);
        self.db.checkpoint()?;
        tracing::info!("engine stopped");
        Ok(())
    }
}

impl crate::webhooks::Ingest for Engine {
    fn ingest(&self, body: &[u8], signed: bool) -> Result<bool, String> {
        let now = storage::ts(self.clock.now());
        webhook_events::store(&self.db.conn(), body, signed, &now).map_err(|e| e.to_string())
    }

    fn stored(&self) {
        self.webhook_wake.notify_one();
    }
}

impl PreSendStore for Engine {
    fn completion<'a>(
        &'a self,
        cart_id: i64,
    ) -> BoxFuture<'a, Result<crate::stores::Completion, StoreError>> {
        Box::pin(async move {
            self.cart_completion(cart_id).await.map_err(|e| match e {
                EngineError::Store(e) => e,
                other => StoreError::Invalid(other.to_string()),
            })
        })
    }
}

/// The Results screen (issue #6): figures, CSV and the WhatsApp rate table (`crate::metrics`).
impl Engine {
    /// Every Results figure for `[from, to)`; without bounds, the shop's last 30 days.
    pub fn metrics(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> EngineResult<crate::metrics::Metrics> {
        let settings = self.settings()?;
        Ok(crate::metrics::compute(&self.db.conn(), &settings, self.clock.now(), from, to)?)
    }

    /// The daily series of [`Engine::metrics`] as CSV (header row, one row per day).
    /// The figures for a period given as text (shop dates `YYYY-MM-DD`, `to` inclusive, or
    /// RFC 3339), as the UI and the CLI pass it.
    pub fn metrics_for_text(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> EngineResult<crate::metrics::Metrics> {
        let tz = self.settings()?.timezone;
        let from = crate::metrics::bound_from_text(from, tz, false)?;
        let to = crate::metrics::bound_from_text(to, tz, true)?;
        self.metrics(from, to)
    }

    pub fn metrics_csv_for_text(&self, from: Option<&str>, to: Option<&str>) -> EngineResult<String> {
        Ok(crate::metrics::daily_csv::write(&self.metrics_for_text(from, to)?)?)
    }

    pub fn metrics_csv(
        &self,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> EngineResult<String> {
        Ok(crate::metrics::daily_csv::write(&self.metrics(from, to)?)?)
    }

    /// The rate table the cost is computed with (the owner's, or the shipped one).
    pub fn rate_table(&self) -> EngineResult<crate::metrics::RateTable> {
        Ok(crate::metrics::rates::load(&self.db.conn())?.0)
    }

    /// Replaces the rate table after checking every row; dated today in the shop's zone.
    pub fn set_rate_table(
        &self,
        rows: Vec<crate::metrics::RateRow>,
    ) -> EngineResult<crate::metrics::RateTable> {
        let now = self.clock.now();
        let today = now.with_timezone(&self.settings()?.timezone).format("%Y-%m-%d").to_string();
        let table = crate::metrics::rates::save(&self.db.conn(), &rows, &today, &storage::ts(now))?;
        tracing::info!(rows = table.rates.len(), "rate table edited");
        Ok(table)
    }

    /// Goes back to the shipped rate table.
    pub fn reset_rate_table(&self) -> EngineResult<crate::metrics::RateTable> {
        Ok(crate::metrics::rates::reset(&self.db.conn())?)
    }
}
