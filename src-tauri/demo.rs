//! `recupero demo`: the real engine (poller, planner, dispatcher, tracker, the same SQLite file)
//! against the sandbox store and the sandbox WhatsApp on loopback, with a simulated clock that
//! runs a day in seconds. Customers arrive through the day, some buy on their own (holdout or
//! not), some buy after the message, a few opt out or reply. The settings in the data directory
//! (time zone, business hours, holdout…) apply.
//!
//! Like the app's live demo, it runs in its own folder, `<data dir>/demo/`, started afresh each
//! time with the owner's settings copied in (read-only, less the owner's WhatsApp number,
//! template, webhook and pause), so that `recupero export sends --data-dir DIR/demo` shows
//! exactly this run. Guarantee: the owner's database, settings and keychain are never written
//! (the demo's secrets live in memory).
//!
//! With `monthly_spend_cap_usd` set, the cap applies as in the app: once the demo month's
//! estimated spend reaches it, recovery messages wait (`held.spend_cap` in the JSON).

mod coupons;
mod report;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Timelike, Utc};

use crate::clock::{Clock, SystemClock, TestClock};
use crate::config::Settings;
use crate::engine::DEMO_STORE;
use crate::engine::{Engine, EngineOptions};
use crate::paths::AppPaths;
use crate::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::secrets::{MemorySecretStore, Sensitive};
use crate::storage::{self, Db};
use crate::stores::{Platform, StoreInput};
use crate::whatsapp::client::{CloudClient, CloudConfig};

pub use report::DemoReport;

/// The demo shop's facts, in the owner's words, for answers drafted without any model.
pub const DEMO_FACTS: &str =
    "Envíos a todo el país por correo: 3 a 5 días hábiles, $ 4.500; gratis desde $ 50.000.\n\
Pagos: tarjeta de crédito en 3 cuotas sin interés, débito, transferencia o Mercado Pago.\n\
Cambios y devoluciones dentro de los 30 días, con la etiqueta puesta.\n\
Retiro sin cargo en nuestro local de Palermo, de lunes a viernes de 10 a 18.";

/// Settings about the owner's own WhatsApp number, template, webhook and the pause on their
/// account: the demo has its own (the sandbox's), so these are never copied into it.
fn owners_only(key: &str) -> bool {
    key.starts_with("whatsapp_")
        || key.starts_with("webhook_")
        || matches!(key, "template_name" | "sending_paused" | crate::metrics::spend::NOTIFIED_KEY)
}

/// Refuses a demo folder whose database holds a real store (someone pointed a real shop at it,
/// e.g. `--data-dir <dir>/demo`): every demo only ever deletes its own data. Shared by
/// `recupero demo` and the live demo in the app.
pub(crate) fn refuse_a_real_store(demo: &AppPaths) -> anyhow::Result<()> {
    let db_path = demo.db_path();
    if db_path.exists() {
        let db = Db::open(&db_path)?;
        let real = storage::shops::names_other_than(&db.conn(), DEMO_STORE)?;
        if !real.is_empty() {
            anyhow::bail!(
                "the demo folder {} has a real store connected ({}); move it aside to run the demo",
                demo.data_dir.display(),
                real.join(", ")
            );
        }
    }
    Ok(())
}

/// Starts the demo's database afresh in `demo` (`<data dir>/demo/`) with the owner's settings
/// read (read-only) from `owner_db`, less the ones that are the owner's alone. Refuses a demo
/// folder whose database holds a real store (someone pointed a real shop at it): the demo only
/// ever deletes its own data.
fn fresh_database(demo: &AppPaths, owner_db: &std::path::Path) -> anyhow::Result<()> {
    let settings = match storage::settings::read_only_all(owner_db) {
        Ok(settings) => settings,
        Err(e) => {
            tracing::warn!(db = %owner_db.display(), error = %e, "the demo runs with default settings");
            Vec::new()
        }
    };
    demo.create_dirs()?;
    let db_path = demo.db_path();
    refuse_a_real_store(demo)?;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db_path.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("while removing {}", file.display()))?;
        }
    }
    let db = Db::open(&db_path)?;
    let conn = db.conn();
    for (key, value) in settings.iter().filter(|(key, _)| !owners_only(key)) {
        storage::settings::put(&conn, key, value, "1970-01-01T00:00:00.000Z")?;
    }
    Ok(())
}

/// Wires a demo engine to the sandboxes: sends through the sandbox WhatsApp (and its template),
/// connects the sandbox store as [`DEMO_STORE`] in `country`, and has the sandbox WhatsApp deliver
/// signed webhooks to the engine's own receiver on a free loopback port, exactly as Meta would
/// through the owner's tunnel. Returns the store's id and the receiver (it listens while kept).
pub(crate) async fn connect_sandboxes(
    engine: &Arc<Engine>,
    store: &Sandbox,
    wa: &WhatsAppSandbox,
    country: &str,
) -> anyhow::Result<(i64, crate::webhooks::Receiver)> {
    let wa_config = wa.config().clone();
    engine.use_sender(Arc::new(
        CloudClient::new(CloudConfig {
            base_url: wa.base_url().parse()?,
            api_version: "v25.0".into(),
            phone_number_id: wa_config.phone_number_id.clone(),
            business_account_id: wa_config.business_account_id.clone(),
            token: Sensitive::new(wa_config.token.clone()),
            auth_header: "Authorization".into(),
        })
        .map_err(anyhow::Error::msg)?,
    ));
    let sc = store.config().clone();
    let row = engine.connect_store(&StoreInput {
        platform: "tiendanube".into(),
        base_url: store.base_url(),
        name: Some(DEMO_STORE.into()),
        country: Some(country.to_string()),
        store_id: Some(sc.tiendanube_store_id.clone()),
        token: Some(Sensitive::new(sc.token.clone())),
        ..Default::default()
    })?;
    // The demo's template uses the sandbox's name.
    engine.setting_set("template_name", crate::sandbox::whatsapp::TEMPLATE)?;
    engine.setting_set("whatsapp_phone_number_id", &wa_config.phone_number_id)?;
    let app_secret = format!("demo-secret-{}", fastrand::u64(..));
    engine.set_secret(crate::secrets::SecretName::WhatsappAppSecret, Sensitive::new(app_secret.clone()))?;
    let receiver = engine.start_webhooks(Some(0)).await?;
    let path = engine.settings()?.webhook_path;
    wa.set_webhook(Some(crate::sandbox::whatsapp::WebhookTarget {
        url: format!("http://{}/webhook/{path}", receiver.addr()),
        app_secret: Some(app_secret),
    }));
    Ok((row.id, receiver))
}

/// The sandbox checkout a recovery message the sandbox WhatsApp received was about (its
/// callback data carries the cart id).
pub(crate) fn checkout_of(engine: &Engine, m: &crate::sandbox::whatsapp::ReceivedMessage) -> Option<u64> {
    let cart = m.callback_data.as_deref()?.split(':').nth(1)?.parse::<i64>().ok()?;
    let external = storage::carts::external_id(&engine.db().conn(), cart).ok()?;
    external.parse().ok()
}

/// Customers per hour, by the shop's local hour: quiet at night, busy in the evening.
fn arrivals_per_hour(hour: u32) -> f64 {
    match hour {
        0..=6 => 0.6,
        7..=11 => 2.0,
        12..=17 => 2.5,
        18..=22 => 4.0,
        _ => 1.5,
    }
}

/// Runs the demo for `days` simulated days and reports what happened.
/// `start`: where the simulated clock begins (default: now).
pub async fn run(paths: AppPaths, days: u32, start: Option<DateTime<Utc>>) -> anyhow::Result<DemoReport> {
    let demo = paths.demo();
    fresh_database(&demo, &paths.db_path())?;
    let paths = demo;
    let now = SystemClock.now();
    let start = start.unwrap_or_else(|| now.with_nanosecond(0).unwrap_or(now));
    let clock = TestClock::at(start);
    let engine = Arc::new(Engine::build(EngineOptions {
        paths,
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(clock.clone()),
        demo: true,
    })?);
    let settings: Settings = engine.settings()?;
    let mut config = SandboxConfig::new(start - Duration::hours(2), 0);
    config.rate_limits = false;
    let store = Sandbox::start(config, Arc::new(clock.clone()), 0).await?;
    let wa = WhatsAppSandbox::start(WhatsAppSandboxConfig::default(), Arc::new(clock.clone()), 0).await?;
    let store_id = connect_sandboxes(&engine, &store, &wa, &settings.default_country).await?;
    // The owner's facts (unless this data directory has its own): questions get drafts from them.
    if settings.shop_facts.is_empty() {
        engine.setting_set("shop_facts", DEMO_FACTS)?;
    }
    let mut bus = engine.events().subscribe();
    let mut escalation_notifications = 0i64;
    let mut spend_cap_notifications = 0i64;
    let mut replies: BTreeMap<String, i64> = BTreeMap::new();

    let mut rng = fastrand::Rng::with_seed(20_261_121);
    let end = start + Duration::days(i64::from(days.max(1)));
    let mut seen_messages = 0usize;
    let mut checkouts = 0u64;
    let tz = settings.timezone;
    while clock.now() < end {
        let now = clock.now();
        // New customers leave checkouts this minute.
        let rate = arrivals_per_hour(now.with_timezone(&tz).hour()) / 60.0;
        if rng.f64() < rate {
            store.add(Platform::Tiendanube, 1, now - Duration::minutes(rng.i64(0..5)));
            checkouts += 1;
        }
        engine.poll_store_until_caught_up(store_id.0, false).await?;
        engine.promote_waiting()?;
        engine.dispatch_due().await?;
        // What customers do with the messages they got.
        let received = wa.messages();
        for m in &received[seen_messages..] {
            let Some(id) = checkout_of(&engine, m) else { continue };
            let roll = rng.u32(..100);
            if roll < 22 {
                store.complete(Platform::Tiendanube, id, m.at + Duration::minutes(rng.i64(5..600)));
                coupons::use_coupon(&engine, &store, m);
            } else if roll < 40 {
                // The customer answers on WhatsApp: a question, thanks, STOP, or a complaint.
                let language = m.language.split('_').next().unwrap_or("es").to_string();
                let wa_id = crate::sandbox::whatsapp::wa_id(&m.to);
                // The first answers go through every kind (question, payment, thanks, STOP,
                // complaint) so every run shows the whole conversation loop; then chance decides.
                let answered: i64 = replies.values().sum();
                let roll =
                    [5, 35, 60, 75, 95].get(answered as usize).copied().unwrap_or_else(|| rng.u32(..100));
                if let Some(reply) = wa.simulate_reply(&wa_id, &language, roll) {
                    *replies.entry(format!("{:?}", reply.kind).to_lowercase()).or_default() += 1;
                }
            }
        }
        seen_messages = received.len();
        // What WhatsApp reported back (statuses, replies) is stored, then processed.
        wa.flush().await;
        engine.process_webhooks()?;
        // Customers' messages: rules already ran; the assistant (here: the shop facts) drafts
        // answers, and queued replies (opt-out confirmations) go out.
        engine.converse().await?;
        while let Ok(ev) = bus.try_recv() {
            let is_escalation = matches!(ev, crate::events::EngineEvent::Escalation { .. });
            if is_escalation && crate::notice::notice_for(&ev, crate::i18n::Lang::Es).is_some() {
                escalation_notifications += 1;
            }
            let cap = crate::events::OwnerProblem::SpendCapReached;
            if ev == (crate::events::EngineEvent::NeedsOwner { problem: cap }) {
                spend_cap_notifications += 1;
            }
        }
        if now.minute() == 0 {
            engine.coupon_housekeeping().await?;
        }
        clock.advance(Duration::minutes(1));
    }
    engine.coupon_housekeeping().await?;
    wa.flush().await;
    engine.process_webhooks()?;
    engine.converse().await?;
    wa.flush().await;
    engine.process_webhooks()?;
    drop(store_id.1);
    let mut out = report::report(&engine, &wa, &settings, start, end, days, checkouts, store_id.0)?;
    out.data_dir = engine.paths().data_dir.display().to_string();
    out.customer_replies = replies;
    out.escalation_notifications = escalation_notifications;
    out.spend_cap_notifications = spend_cap_notifications;
    out.coupons = coupons::figures(&engine, settings.coupon_percent)?;
    Ok(out)
}
