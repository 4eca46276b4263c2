//! "Try the demo" inside the app: the real engine, in real time, on a database of its own
//! (`<data dir>/demo/`), against the sandbox store and the sandbox WhatsApp on loopback. The
//! owner's own database, keychain and settings are never touched: the demo engine keeps its
//! secrets in memory, and the app shows it (marked as demo) until the owner ends it.
//!
//! A driver plays the shop's customers: checkouts are left every so often, and the customers
//! who get a message answer it (a question, thanks, a complaint, STOP) or buy — the first few
//! in a fixed order, so a short look shows the whole loop; then chance decides. The demo shop
//! is open all day every day, so messages go out within seconds instead of waiting for hours.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::config::Settings;
use crate::demo::DEMO_FACTS;
use crate::engine::{Engine, EngineOptions};
use crate::paths::AppPaths;
use crate::sandbox::whatsapp::{image_variant_templates, WhatsAppSandbox, WhatsAppSandboxConfig};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::secrets::MemorySecretStore;
use crate::stores::Platform;

/// How long after the previous one a new customer leaves a checkout.
const ARRIVAL_EVERY: i64 = 40;
/// The demo stops adding checkouts after this many (it can run for days in a tray).
const MAX_ARRIVALS: u64 = 500;
/// How long before "now" the demo's customers left their checkouts: just past the shortest
/// abandonment delay the settings allow, so each one is an abandoned cart at once.
const LEFT_MINUTES_AGO: i64 = 11;

/// What a simulated customer does with the message they got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Answers on WhatsApp; the roll picks the kind (see `WhatsAppSandbox::simulate_reply`).
    Reply(u32),
    /// Goes back and completes the checkout.
    Buy,
}

/// The first customers' acts, in order (shipping question, a purchase, thanks, a complaint,
/// STOP, a payment question), each `delay` seconds after the message.
const SCRIPT: [(Act, i64); 6] = [
    (Act::Reply(5), 4),
    (Act::Buy, 6),
    (Act::Reply(60), 8),
    (Act::Reply(95), 10),
    (Act::Reply(75), 12),
    (Act::Reply(35), 14),
];

struct Pending {
    at: DateTime<Utc>,
    act: Act,
    /// The sandbox checkout id and the number the message went to.
    checkout: u64,
    wa_id: String,
    language: String,
}

/// The demo's moving parts. Dropping it stops the sandbox servers and the receiver.
pub struct LiveDemo {
    engine: Arc<Engine>,
    store: Sandbox,
    wa: WhatsAppSandbox,
    store_id: i64,
    _receiver: crate::webhooks::Receiver,
    rng: fastrand::Rng,
    seen_messages: usize,
    next_arrival: DateTime<Utc>,
    arrivals: u64,
    pending: Vec<Pending>,
    acted: usize,
}

/// Where the demo keeps its database: beside the owner's, never in it.
pub fn demo_paths(real: &AppPaths) -> AppPaths {
    real.demo()
}

/// Removes the previous demo's database (each demo starts fresh) — never one that holds a real
/// store (see [`crate::demo::refuse_a_real_store`]).
fn fresh(paths: &AppPaths) -> anyhow::Result<()> {
    paths.create_dirs()?;
    crate::demo::refuse_a_real_store(paths)?;
    let db = paths.db_path();
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("while removing {}", file.display()))?;
        }
    }
    Ok(())
}

impl LiveDemo {
    /// Starts a fresh demo next to `real` (its data directory), in the owner's zone, country and
    /// language (`base`), on `clock`.
    pub async fn start(real: &AppPaths, base: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<LiveDemo> {
        let paths = demo_paths(real);
        fresh(&paths)?;
        let now = clock.now();
        let engine = Arc::new(Engine::build(EngineOptions {
            paths,
            secrets: Arc::new(MemorySecretStore::default()),
            clock: clock.clone(),
            demo: true,
        })?);
        for (key, value) in [
            ("timezone", base.timezone.name().to_string()),
            ("default_country", base.default_country.clone()),
            ("ui_language", base.ui_language.clone()),
            // The demo shop never closes, so nothing waits for an opening.
            ("business_hours", "mon-sun 00:00-24:00".to_string()),
            ("abandonment_delay_minutes", "10".to_string()),
            ("shop_facts", DEMO_FACTS.to_string()),
            // What Recupero can do beyond the reminder: a unique 10 % coupon in the first
            // message, measured as an experiment (coupon or not) on the Results screen.
            ("coupon_percent", "10".to_string()),
            ("experiment", "coupon:on,off".to_string()),
        ] {
            engine.setting_set(key, &value).with_context(|| format!("demo setting {key}"))?;
        }
        let mut config = SandboxConfig::new(now - Duration::minutes(LEFT_MINUTES_AGO), 6);
        config.rate_limits = false;
        let store = Sandbox::start(config, clock.clone(), 0).await?;
        // The demo's account also has the reminder with the product's picture, approved (the
        // Message card's switch turns it on; the sandbox store serves the pictures).
        let mut wa_config = WhatsAppSandboxConfig::default();
        let button = wa_config.button_url.clone();
        wa_config.templates = Some(
            [crate::sandbox::whatsapp::default_templates(&button), image_variant_templates(&button)].concat(),
        );
        let wa = WhatsAppSandbox::start(wa_config, clock.clone(), 0).await?;
        let (store_id, receiver) =
            crate::demo::connect_sandboxes(&engine, &store, &wa, &base.default_country).await?;
        // Known at once, so the Message card shows the picture variant as soon as it is switched on.
        engine.refresh_image_template().await?;
        tracing::info!(store = %store.base_url(), whatsapp = %wa.base_url(), "live demo started");
        Ok(LiveDemo {
            engine,
            store,
            wa,
            store_id,
            _receiver: receiver,
            rng: fastrand::Rng::with_seed(now.timestamp_millis() as u64),
            seen_messages: 0,
            next_arrival: now + Duration::seconds(ARRIVAL_EVERY),
            arrivals: 0,
            pending: Vec::new(),
            acted: 0,
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// One round at the clock's now: new customers, the store's checkouts, due messages, what
    /// customers do with the messages they got, WhatsApp's webhooks, the conversation step.
    pub async fn step(&mut self) -> anyhow::Result<()> {
        let now = self.engine.clock().now();
        if now >= self.next_arrival && self.arrivals < MAX_ARRIVALS {
            self.store.add(Platform::Tiendanube, 1, now - Duration::minutes(LEFT_MINUTES_AGO));
            self.arrivals += 1;
            self.next_arrival = now + Duration::seconds(ARRIVAL_EVERY + self.rng.i64(-10..=10));
        }
        self.engine.poll_store_until_caught_up(self.store_id, true).await?;
        self.engine.promote_waiting()?;
        self.engine.dispatch_due().await?;
        self.customers_read(now)?;
        self.customers_act(now);
        self.wa.flush().await;
        self.engine.process_webhooks()?;
        self.engine.converse().await?;
        Ok(())
    }

    /// Each recovery message that arrived gets its customer's act, due a little later.
    fn customers_read(&mut self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let received = self.wa.messages();
        for m in received.iter().skip(self.seen_messages).filter(|m| m.kind == "template") {
            let Some(checkout) = crate::demo::checkout_of(&self.engine, m) else { continue };
            let scripted = SCRIPT.get(self.acted).copied();
            self.acted += 1;
            let (act, delay) = match scripted {
                Some(s) => s,
                None => match self.rng.u32(..100) {
                    0..25 => (Act::Buy, self.rng.i64(20..180)),
                    25..45 => (Act::Reply(self.rng.u32(..100)), self.rng.i64(10..90)),
                    _ => continue,
                },
            };
            self.pending.push(Pending {
                at: now + Duration::seconds(delay),
                act,
                checkout,
                wa_id: crate::sandbox::whatsapp::wa_id(&m.to),
                language: m.language.split('_').next().unwrap_or("es").to_string(),
            });
        }
        self.seen_messages = received.len();
        Ok(())
    }

    fn customers_act(&mut self, now: DateTime<Utc>) {
        let (due, later): (Vec<Pending>, Vec<Pending>) = self.pending.drain(..).partition(|p| p.at <= now);
        self.pending = later;
        for p in due {
            match p.act {
                Act::Buy => self.store.complete(Platform::Tiendanube, p.checkout, now),
                Act::Reply(roll) => {
                    self.wa.simulate_reply(&p.wa_id, &p.language, roll);
                }
            }
        }
    }

    /// Runs a step every second until `stop` resolves.
    pub async fn run(mut self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {
                    if let Err(e) = self.step().await {
                        tracing::warn!(error = %e, "live demo step failed");
                    }
                }
            }
        }
        if let Err(e) = self.engine.db().checkpoint() {
            tracing::warn!(error = %e, "demo checkpoint failed");
        }
        tracing::info!("live demo stopped");
    }
}
