//! `Shop`: one shop on the engine with the test clock, the sandbox store on loopback and the
//! sandbox WhatsApp (real HTTP through the Cloud API client), driven round by round as the
//! engine's loops would; what each customer received is counted on the WhatsApp side.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use recupero::clock::Clock;
use recupero::sandbox::whatsapp::{ReceivedMessage, WhatsAppSandbox, WhatsAppSandboxConfig};
use recupero::sandbox::{Sandbox, SandboxConfig};
use recupero::secrets::Sensitive;
use recupero::stores::Platform;
use recupero::whatsapp::client::{CloudClient, CloudConfig};

use super::{spawn_app, store_input, TestApp};

/// The shops' usual time zone.
pub const BA: &str = "America/Argentina/Buenos_Aires";

/// A wall-clock time in `tz`, as UTC (the earlier one when it happens twice).
pub fn local(tz: &str, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let tz: Tz = tz.parse().unwrap();
    tz.from_local_datetime(&NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// One shop on the sandboxes; `store_id` is its row, `platform` the sandbox API it speaks.
pub struct Shop {
    pub app: TestApp,
    pub store: Sandbox,
    pub wa: WhatsAppSandbox,
    pub store_id: i64,
    pub platform: Platform,
    tz: Tz,
    phones: std::sync::atomic::AtomicU32,
}

/// The real Cloud API client, pointed at the sandbox WhatsApp.
pub fn cloud_client(wa: &WhatsAppSandbox) -> CloudClient {
    let c = wa.config();
    CloudClient::new(CloudConfig {
        base_url: wa.base_url().parse().unwrap(),
        api_version: "v25.0".into(),
        phone_number_id: c.phone_number_id.clone(),
        business_account_id: c.business_account_id.clone(),
        token: Sensitive::new(c.token.clone()),
        auth_header: "Authorization".into(),
    })
    .unwrap()
}

impl Shop {
    /// A Tiendanube shop in `tz` open `hours`, the clock at `start`, no checkouts yet, holdout
    /// off unless `settings` says otherwise.
    pub async fn open(tz: &str, hours: &str, start: DateTime<Utc>, settings: &[(&str, &str)]) -> Shop {
        Shop::open_on(Platform::Tiendanube, tz, hours, start, settings).await
    }

    /// The same shop on `platform`.
    pub async fn open_on(
        platform: Platform,
        tz: &str,
        hours: &str,
        start: DateTime<Utc>,
        settings: &[(&str, &str)],
    ) -> Shop {
        let app = spawn_app();
        app.clock.set(start);
        let engine = &app.engine;
        engine.setting_set("timezone", tz).unwrap();
        engine.setting_set("business_hours", hours).unwrap();
        engine.setting_set("holdout_percent", "0").unwrap();
        for (k, v) in settings {
            engine.setting_set(k, v).unwrap();
        }
        let mut config = SandboxConfig::new(start - Duration::days(3), 0);
        config.rate_limits = false;
        let store = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
        // The template's URL button opens the platform's recovery links.
        let mut wa_config = WhatsAppSandboxConfig::default();
        match platform {
            Platform::Tiendanube => {}
            Platform::Shopify => wa_config.button_url = "https://sandbox-shop.myshopify.com/{{1}}".into(),
            Platform::Woocommerce => wa_config.button_url = format!("{}/{{{{1}}}}", store.base_url()),
            Platform::Jumpseller => {
                wa_config.button_url = "https://sandbox-tienda.jumpseller.com/{{1}}".into()
            }
            Platform::Prestashop => wa_config.button_url = format!("{}/{{{{1}}}}", store.base_url()),
            Platform::Vtex => wa_config.button_url = format!("{}/{{{{1}}}}", store.base_url()),
        }
        let wa = WhatsAppSandbox::start(wa_config, Arc::new(app.clock.clone()), 0).await.unwrap();
        engine.use_sender(Arc::new(cloud_client(&wa)));
        let row = engine.connect_store(&store_input(&store, platform)).unwrap();
        Shop { app, store, wa, store_id: row.id, platform, tz: tz.parse().unwrap(), phones: 0.into() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    /// A checkout last touched at `updated`, with its own mobile number. Returns its id.
    pub fn checkout(&self, updated: DateTime<Utc>) -> u64 {
        let n = self.phones.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.checkout_with_phone(updated, &format!("+54 9 11 5{:03}-{:04}", n / 10_000, n % 10_000))
    }

    pub fn checkout_with_phone(&self, updated: DateTime<Utc>, phone: &str) -> u64 {
        let id = self.store.add(self.platform, 1, updated)[0];
        self.store.set_phone(self.platform, id, Some(phone));
        self.store.never_completes(self.platform, id);
        id
    }

    /// One round of what the engine's loops do.
    pub async fn tick(&self) {
        self.app.engine.poll_due_stores().await.unwrap();
        self.app.engine.dispatch_due().await.unwrap();
    }

    /// Runs the loops every `step` of test time up to `until` (never past it).
    pub async fn run_until(&self, until: DateTime<Utc>, step: Duration) {
        loop {
            self.tick().await;
            let left = until - self.now();
            if left <= Duration::zero() {
                break;
            }
            self.app.clock.advance(step.min(left));
        }
    }

    pub fn cart_id(&self, external: u64) -> i64 {
        self.app
            .engine
            .db()
            .conn()
            .query_row(
                "SELECT id FROM carts WHERE store_id = ?1 AND external_id = ?2",
                rusqlite::params![self.store_id, external.to_string()],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// (state, skip reason) of a cart's step.
    pub fn send(&self, external: u64, step: i64) -> (String, Option<String>) {
        self.app
            .engine
            .db()
            .conn()
            .query_row(
                "SELECT s.state, s.skip_reason FROM sends s JOIN carts c ON c.id = s.cart_id
                 WHERE c.store_id = ?1 AND c.external_id = ?2 AND s.step = ?3",
                rusqlite::params![self.store_id, external.to_string(), step],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    /// Whether the cart of checkout `external` is in the holdout group.
    pub fn in_holdout(&self, external: u64) -> bool {
        let cart = self.cart_id(external);
        self.app
            .engine
            .db()
            .conn()
            .query_row("SELECT holdout FROM carts WHERE id = ?1", [cart], |r| r.get(0))
            .unwrap()
    }

    /// The messages the sandbox WhatsApp accepted for one checkout (by its send key).
    pub fn messages_for(&self, external: u64) -> Vec<ReceivedMessage> {
        let cart = self.cart_id(external);
        let prefix = format!("recupero:{cart}:");
        self.wa
            .messages()
            .into_iter()
            .filter(|m| m.callback_data.as_deref().is_some_and(|c| c.starts_with(&prefix)))
            .collect()
    }

    pub fn local(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        at.with_timezone(&self.tz).naive_local()
    }
}

/// No (cart, step) got two messages; returns how many were sent.
pub fn assert_no_duplicates(messages: &[ReceivedMessage]) -> usize {
    let mut keys: Vec<&str> = messages.iter().filter_map(|m| m.callback_data.as_deref()).collect();
    let total = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), total, "a cart step was messaged twice");
    total
}
