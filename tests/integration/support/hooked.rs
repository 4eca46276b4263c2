//! `Hooked`: a [`Shop`] with WhatsApp connected, the app secret set and the engine's webhook
//! receiver on a free loopback port, where the sandbox WhatsApp delivers its signed webhooks; and
//! Meta's payload shapes (reference §4.4, §5.4) for the tests that post their own.

use chrono::{DateTime, Duration, Utc};
use recupero::sandbox::whatsapp::WebhookTarget;
use recupero::secrets::{SecretName, Sensitive};
use recupero::webhooks::{sign, Receiver};
use serde_json::{json, Value};

use super::shop::{local, Shop, BA};

/// The Meta app secret the receiver checks signatures with.
pub const APP_SECRET: &str = "meta-app-secret-for-tests";

/// A [`Shop`] whose WhatsApp delivers signed webhooks to the engine's receiver at `url`.
pub struct Hooked {
    pub shop: Shop,
    _receiver: Receiver,
    pub url: String,
    pub http: reqwest::Client,
}

/// A shop open every day 08–22 (Friday 10:00 now) with WhatsApp connected, the app secret set,
/// and the webhook receiver on a free port; the sandbox WhatsApp delivers its webhooks there.
pub async fn hooked() -> Hooked {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-sun 08:00-22:00", start, &[]).await;
    let engine = &shop.app.engine;
    engine.set_secret(SecretName::WhatsappAppSecret, Sensitive::new(APP_SECRET.to_string())).unwrap();
    engine.setting_set("whatsapp_phone_number_id", &shop.wa.config().phone_number_id).unwrap();
    let receiver = engine.start_webhooks(Some(0)).await.unwrap();
    let path = engine.settings().unwrap().webhook_path;
    let url = format!("http://{}/webhook/{path}", receiver.addr());
    shop.wa.set_webhook(Some(WebhookTarget { url: url.clone(), app_secret: Some(APP_SECRET.into()) }));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Hooked { shop, _receiver: receiver, url, http }
}

impl Hooked {
    pub fn engine(&self) -> &recupero::engine::Engine {
        &self.shop.app.engine
    }

    pub async fn post(&self, body: &[u8], signature: Option<String>) -> u16 {
        let mut req =
            self.http.post(&self.url).header("content-type", "application/json").body(body.to_vec());
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        req.send().await.unwrap().status().as_u16()
    }

    pub async fn post_signed(&self, body: &Value) -> u16 {
        let bytes = serde_json::to_vec(body).unwrap();
        self.post(&bytes, Some(sign(APP_SECRET.as_bytes(), &bytes))).await
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.engine().db().conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    pub fn one<T: rusqlite::types::FromSql>(&self, sql: &str, p: &str) -> T {
        self.engine().db().conn().query_row(sql, [p], |r| r.get(0)).unwrap()
    }

    /// (stored deliveries, still unprocessed, POSTs counted including repeats).
    pub fn webhook_events(&self) -> (i64, i64, i64) {
        recupero::storage::webhook_events::counts(&self.engine().db().conn()).unwrap()
    }

    /// (conversations, unread messages, escalated conversations).
    pub fn conversations(&self) -> (i64, i64, i64) {
        recupero::storage::conversations::counts(&self.engine().db().conn()).unwrap()
    }

    /// The conversation with the customer whose WhatsApp id is `wa_id`.
    pub fn thread_of(&self, wa_id: &str) -> i64 {
        self.one(
            "SELECT v.id FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE k.wa_id = ?1",
            wa_id,
        )
    }

    pub fn process(&self) -> usize {
        self.engine().process_webhooks().unwrap()
    }
}

pub fn unix(t: DateTime<Utc>) -> String {
    t.timestamp().to_string()
}

pub fn envelope(field: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "2055500000000", "changes": [{"field": field, "value": value}]}]})
}

pub fn metadata() -> Value {
    json!({"display_phone_number": "5491100000000", "phone_number_id": "1055500000000"})
}

pub fn text_from(wa_id: &str, name: &str, wamid: &str, body: &str, at: DateTime<Utc>) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": unix(at), "type": "text", "text": {"body": body}}]}),
    )
}

/// A real reminder from the dispatcher; returns (cart external id, wamid, recipient wa_id).
pub async fn one_reminder(h: &Hooked) -> (u64, String, String) {
    let id = h.shop.checkout(h.shop.now() - Duration::minutes(20));
    h.shop.run_until(h.shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    let sent = h.shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    (id, sent[0].wamid.clone(), recupero::sandbox::whatsapp::wa_id(&sent[0].to))
}
