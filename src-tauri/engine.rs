//! The headless engine: the database, the settings, the secrets and the clock wired together,
//! with one method per thing the app, the command line or `serve` can ask. No tauri here: the
//! desktop shell and the CLI are thin callers of these methods.
//!
//! This file holds the `Engine` itself, `build` and the accessors; the methods live in one file
//! per concern below (errors, status, settings, secrets, sender, templates, stores, polling,
//! dispatch, webhooks and their registration with Meta, the Coexistence link's health, the tunnel, timeline, results, the
//! background run).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::events::EventBus;
use crate::paths::AppPaths;
use crate::secrets::SecretStore;
use crate::storage::Db;
use crate::stores::AnyConnector;
use sender::SenderSlot;
use settings::ensure_webhook_secrets;

pub mod backup;
mod cart_actions;
pub mod coexistence;
mod connect;
mod conversations;
mod converse;
mod coupons;
mod dispatch;
mod error;
mod inbox;
mod polling;
mod preview;
mod purchase_sweep;
mod results;
mod run;
mod secrets;
mod sender;
mod settings;
mod status;
mod store_consent;
mod stores;
mod templates;
mod timeline;
mod tunnel;
pub mod webhook_registration;
pub mod webhooks;

pub use crate::inbox::detail::ConversationDetail;
pub use cart_actions::{CartAction, CartActionResult, STOPPED_BY_OWNER};
pub use coexistence::{CoexistenceHealth, CoexistenceState};
pub use connect::{WebhookInfo, WhatsAppCheck};
pub use error::{EngineError, EngineResult};
pub use preview::{MessagePreview, DEMO_STORE};
pub use secrets::SecretState;
pub use store_consent::OptOutWrites;
pub use stores::CHECK_PREVIEW_LIMIT;
pub use timeline::{CartPage, CartTimeline, TimelineEntry, CART_PAGE, MAX_CART_PAGE};
pub use tunnel::{TunnelChoice, TunnelRunner};
pub use webhook_registration::{RegistrationFailure, WebhookRegistration};
/// What an engine is built from: where its files go, the secret store, the clock, and whether
/// it runs the demo.
pub struct EngineOptions {
    pub paths: AppPaths,
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub demo: bool,
}

/// The engine, shared (`Arc`) by its callers and its own background loops.
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
    /// The last failed automatic webhook registration (address, when), not repeated soon.
    registration_attempt: Mutex<Option<(String, chrono::DateTime<chrono::Utc>)>>,
    /// The tunnel this process runs (`None`: none here; another process's is read from disk).
    tunnel: Mutex<Option<crate::tunnel::TunnelStatus>>,
    /// Wakes the tunnel's follower when a tunnel setting changed.
    tunnel_wake: tokio::sync::Notify,
    /// Wakes the writer of opt-outs back to the store when a webhook recorded one.
    opt_out_wake: tokio::sync::Notify,
}

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
            registration_attempt: Mutex::new(None),
            tunnel: Mutex::new(None),
            tunnel_wake: tokio::sync::Notify::new(),
            opt_out_wake: tokio::sync::Notify::new(),
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
}
