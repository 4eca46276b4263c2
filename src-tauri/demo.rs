//! `recupero demo`: the real engine (poller, planner, dispatcher, tracker, the same SQLite file)
//! against the sandbox store and the sandbox WhatsApp on loopback, with a simulated clock that
//! runs a day in seconds. Customers arrive through the day, some buy on their own (holdout or
//! not), some buy after the message, a few opt out or reply. The settings in the data directory
//! (time zone, business hours, holdout…) apply.
//!
//! The demo starts a fresh database in the data directory, keeping its settings, so that
//! `recupero export sends --data-dir DIR` shows exactly this run. It refuses a data directory
//! where a real store is connected.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Timelike, Utc};
use serde::Serialize;

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

/// The demo shop's facts, in the owner's words, for answers drafted without any model.
pub const DEMO_FACTS: &str =
    "Envíos a todo el país por correo: 3 a 5 días hábiles, $ 4.500; gratis desde $ 50.000.\n\
Pagos: tarjeta de crédito en 3 cuotas sin interés, débito, transferencia o Mercado Pago.\n\
Cambios y devoluciones dentro de los 30 días, con la etiqueta puesta.\n\
Retiro sin cargo en nuestro local de Palermo, de lunes a viernes de 10 a 18.";

/// The demo store's name: how a later run recognises its own data.

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub struct DemoReport {
    pub days: u32,
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub business_hours: String,
    /// Checkouts the store showed.
    pub checkouts: u64,
    /// Carts detected and given a plan.
    pub detected: i64,
    /// Sends planned (first messages and follow-ups).
    pub planned: i64,
    pub sent: i64,
    pub sent_outside_hours: i64,
    pub failed: i64,
    pub unknown: i64,
    pub pending: i64,
    pub skipped: BTreeMap<String, i64>,
    pub recovered: i64,
    /// Recovered revenue per currency (decimal strings; never summed across currencies).
    pub recovered_revenue: BTreeMap<String, String>,
    pub holdout: i64,
    pub holdout_converted: i64,
    pub outcomes: BTreeMap<String, i64>,
    /// Messages the sandbox WhatsApp received more than once for the same cart step.
    pub duplicates: i64,
    pub messages_received: usize,
    /// Simulated customers' answers by kind (shipping, payment, thanks, stop, complaint).
    pub customer_replies: BTreeMap<String, i64>,
    /// Status webhooks stored and processed, and messages by their last status.
    pub webhooks_received: i64,
    pub message_status: BTreeMap<String, i64>,
    pub opted_out: i64,
    /// Opt-out confirmations WhatsApp accepted (one per opt-out by keyword or button).
    pub opt_out_confirmations: i64,
    /// Answers drafted for the owner, by source (facts, assistant) and state.
    pub drafts: BTreeMap<String, i64>,
    /// Conversations handed to a person, by reason, and the notifications that went with them.
    pub escalations: BTreeMap<String, i64>,
    pub escalation_notifications: i64,
}

/// Refuses a data directory with a real store; otherwise replaces its database with a fresh one
/// holding the same settings.
fn fresh_database(paths: &AppPaths) -> anyhow::Result<()> {
    paths.create_dirs()?;
    let db_path = paths.db_path();
    if !db_path.exists() {
        return Ok(());
    }
    let settings = {
        let db = Db::open(&db_path)?;
        let conn = db.conn();
        let real = storage::shops::names_other_than(&conn, DEMO_STORE)?;
        if !real.is_empty() {
            anyhow::bail!(
                "the data directory {} has a real store connected ({}); run the demo with another --data-dir",
                paths.data_dir.display(),
                real.join(", ")
            );
        }
        storage::settings::all(&conn)?
    };
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db_path.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("while removing {}", file.display()))?;
        }
    }
    let db = Db::open(&db_path)?;
    let conn = db.conn();
    for (key, value) in settings {
        storage::settings::put(&conn, &key, &value, "1970-01-01T00:00:00.000Z")?;
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
    fresh_database(&paths)?;
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
        }
        clock.advance(Duration::minutes(1));
    }
    wa.flush().await;
    engine.process_webhooks()?;
    engine.converse().await?;
    wa.flush().await;
    engine.process_webhooks()?;
    drop(store_id.1);
    let mut out = report(&engine, &wa, &settings, start, end, days, checkouts, store_id.0)?;
    out.customer_replies = replies;
    out.escalation_notifications = escalation_notifications;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn report(
    engine: &Engine,
    wa: &WhatsAppSandbox,
    settings: &Settings,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    days: u32,
    checkouts: u64,
    store_id: i64,
) -> anyhow::Result<DemoReport> {
    let conn = engine.db().conn();
    let tally = storage::sends::tally_of_store(&conn, store_id)?;
    let skipped = storage::sends::skip_reasons_of_store(&conn, store_id)?;
    let outcomes = storage::carts::outcome_counts_of_store(&conn, store_id)?;
    let mut revenue: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
    for (currency, total) in storage::carts::recovered_totals_of_store(&conn, store_id)? {
        let amount: rust_decimal::Decimal = total.parse().unwrap_or_default();
        *revenue.entry(currency).or_default() += amount;
    }
    let mut outside = 0;
    for sent_at in storage::sends::sent_times_of_store(&conn, store_id)? {
        if let Some(at) = sent_at.and_then(|t| crate::domain::time::parse_time(&t).ok()) {
            if !settings.business_hours.is_open(at) {
                outside += 1;
            }
        }
    }
    let message_status = storage::messages::automation_status_counts(&conn)?;
    let (webhooks_received, _, _) = storage::webhook_events::counts(&conn)?;
    let opted_out = storage::contacts::opted_out_count(&conn)?;
    let drafts = storage::drafts::counts_by_source_and_state(&conn)?;
    let escalations = storage::event_log::escalations_by_reason(&conn)?;
    let opt_out_confirmations = storage::messages::accepted_opt_out_confirmations(&conn)?;
    let messages = wa.messages();
    let mut keys = HashSet::new();
    let duplicates = messages
        .iter()
        .filter(|m| !keys.insert(m.callback_data.clone().unwrap_or_else(|| m.wamid.clone())))
        .count();
    Ok(DemoReport {
        days,
        from: storage::ts(start),
        to: storage::ts(end),
        timezone: settings.timezone.name().to_string(),
        business_hours: settings.business_hours.to_string(),
        checkouts,
        detected: tally.first_steps,
        planned: tally.planned,
        sent: tally.sent,
        sent_outside_hours: outside,
        failed: tally.failed,
        unknown: tally.unknown,
        pending: tally.pending,
        skipped,
        recovered: outcomes.get("recovered").copied().unwrap_or(0),
        recovered_revenue: revenue.into_iter().map(|(c, a)| (c, a.to_string())).collect(),
        holdout: storage::carts::holdout_count_of_store(&conn, store_id)?,
        holdout_converted: outcomes.get("holdout_converted").copied().unwrap_or(0),
        outcomes,
        duplicates: i64::try_from(duplicates).unwrap_or(i64::MAX),
        messages_received: messages.len(),
        customer_replies: BTreeMap::new(),
        webhooks_received,
        message_status,
        opted_out,
        opt_out_confirmations,
        drafts,
        escalations,
        escalation_notifications: 0,
    })
}

impl DemoReport {
    /// The human-readable summary.
    pub fn text(&self) -> String {
        let skipped: Vec<String> = self.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let revenue: Vec<String> = self.recovered_revenue.iter().map(|(c, a)| format!("{a} {c}")).collect();
        format!(
            "Recupero demo: {days} simulated day(s), {from} → {to} ({tz}; hours {hours})\n\
             checkouts seen      {checkouts}\n\
             carts detected      {detected} (holdout: {holdout})\n\
             messages sent       {sent} (outside hours: {outside}; duplicates: {dups})\n\
             not sent            {skipped}\n\
             failed / unknown    {failed} / {unknown}; still planned: {pending}\n\
             recovered           {recovered} carts ({revenue}); holdout carts bought: {hconv}\n\
             WhatsApp said       {statuses} ({webhooks} webhooks); customers answered: {replies}; opted out: {optout} (confirmed: {confirmed})\n\
             conversations       drafts: {drafts}; handed to you: {escalations} ({notified} notifications)\n\
             See every send: recupero export sends --format json --data-dir <this data dir>",
            statuses = self.message_status.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
            webhooks = self.webhooks_received,
            replies = self.customer_replies.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
            optout = self.opted_out,
            confirmed = self.opt_out_confirmations,
            drafts = if self.drafts.is_empty() { "none".into() } else { self.drafts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") },
            escalations = if self.escalations.is_empty() { "none".into() } else { self.escalations.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") },
            notified = self.escalation_notifications,
            days = self.days,
            from = self.from,
            to = self.to,
            tz = self.timezone,
            hours = self.business_hours,
            checkouts = self.checkouts,
            detected = self.detected,
            holdout = self.holdout,
            sent = self.sent,
            outside = self.sent_outside_hours,
            dups = self.duplicates,
            skipped = if skipped.is_empty() { "none".into() } else { skipped.join(", ") },
            failed = self.failed,
            unknown = self.unknown,
            pending = self.pending,
            recovered = self.recovered,
            revenue = if revenue.is_empty() { "no revenue yet".into() } else { revenue.join(", ") },
            hconv = self.holdout_converted,
        )
    }
}
