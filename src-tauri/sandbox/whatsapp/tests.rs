//! The sandbox over real loopback HTTP: Meta's validation errors and envelopes, signed webhooks
//! to a small receiver (order, duplicates, reordering, failures, retries), template review on a
//! test clock, simulated customers and the owner's phone.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use chrono::TimeZone;
use hmac::Mac;
use serde_json::{json, Value};

use super::*;
use crate::clock::TestClock;

const SECRET: &str = "sandbox-app-secret";

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap()
}

async fn sandbox(config: WhatsAppSandboxConfig) -> (WhatsAppSandbox, TestClock) {
    let clock = TestClock::at(start_time());
    let wa = WhatsAppSandbox::start(config, Arc::new(clock.clone()), 0).await.unwrap();
    (wa, clock)
}

thread_local! {
    /// One client per test thread (building one sets up TLS, which is slow). No idle
    /// connections are kept, so nothing outlives the test's runtime.
    static HTTP: reqwest::Client =
        reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
}

fn http() -> reqwest::Client {
    HTTP.with(Clone::clone)
}

/// POSTs or GETs with the sandbox's bearer token; the status and the body (Null if unreadable).
async fn call(wa: &WhatsAppSandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", wa.base_url());
    let request = if method == "GET" { http().get(url) } else { http().post(url) };
    let mut request = request.bearer_auth(&wa.config().token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn send(wa: &WhatsAppSandbox, body: Value) -> (u16, Value) {
    let path = format!("/v25.0/{}/messages", wa.config().phone_number_id);
    call(wa, "POST", &path, Some(body)).await
}

/// A send of `template` in `language` with these body parameters and button suffix.
fn template_message(to: &str, template: &str, language: &str, body: &[&str], suffix: Option<&str>) -> Value {
    let mut components = vec![json!({"type": "body",
        "parameters": body.iter().map(|t| json!({"type": "text", "text": t})).collect::<Vec<_>>()})];
    if let Some(suffix) = suffix {
        components.push(json!({"type": "button", "sub_type": "url", "index": "0",
            "parameters": [{"type": "text", "text": suffix}]}));
    }
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
        "biz_opaque_callback_data": "send:42:0",
        "template": {"name": template, "language": {"code": language}, "components": components}})
}

/// The recovery template to `to`, done right.
fn recovery(to: &str) -> Value {
    template_message(
        to,
        TEMPLATE,
        "es_AR",
        &["Ana", "Tienda Sandbox", "Zapatillas Runner", "$ 45.990"],
        Some("checkout/v3/next/123"),
    )
}

fn text_message(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}})
}

/// Asserts Meta's synchronous error envelope with `code`, and returns its details.
fn assert_error(answer: &(u16, Value), status: u16, code: i64) -> String {
    let (got, body) = answer;
    assert_eq!(*got, status, "HTTP status of {body}");
    let e = &body["error"];
    assert_eq!(e["code"], json!(code), "{body}");
    assert_eq!(e["type"], "OAuthException");
    assert!(e["message"].as_str().unwrap().starts_with(&format!("(#{code}) ")), "{body}");
    assert_eq!(e["error_data"]["messaging_product"], "whatsapp");
    assert!(e["fbtrace_id"].is_string());
    e["error_data"]["details"].as_str().unwrap().to_string()
}

/// A webhook receiver on loopback: checks each signature over the raw bytes, answers 500 to the
/// first `fail_first` POSTs, then 200.
struct Receiver {
    url: String,
    state: Arc<ReceiverState>,
    _stop: oneshot::Sender<()>,
}

struct ReceiverState {
    fail_first: usize,
    posts: AtomicUsize,
    /// Bodies answered with 200, and whether their signature was right.
    received: Mutex<Vec<(Vec<u8>, bool)>>,
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = state.posts.fetch_add(1, Ordering::SeqCst);
    if n < state.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let valid = signature.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).is_some_and(|expected| {
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&body);
        mac.verify_slice(&expected).is_ok()
    });
    state.received.lock().unwrap().push((body.to_vec(), valid));
    StatusCode::OK
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        Receiver::start_on(0, fail_first).await
    }

    async fn start_on(port: u16, fail_first: usize) -> Receiver {
        let state = Arc::new(ReceiverState {
            fail_first,
            posts: AtomicUsize::new(0),
            received: Mutex::new(Vec::new()),
        });
        let app = Router::new().route("/webhook", post(receive)).with_state(state.clone());
        let (addr, stop) = crate::sandbox::serve(app, port, "test webhook receiver").await.unwrap();
        Receiver { url: format!("http://{addr}/webhook"), state, _stop: stop }
    }

    fn target(&self) -> Option<WebhookTarget> {
        Some(WebhookTarget { url: self.url.clone(), app_secret: Some(SECRET.into()) })
    }

    /// The bodies received, parsed; every signature must have checked out.
    fn bodies(&self) -> Vec<Value> {
        let received = self.state.received.lock().unwrap();
        assert!(received.iter().all(|(_, valid)| *valid), "every signature verifies over the raw bytes");
        received.iter().map(|(b, _)| serde_json::from_slice(b).unwrap()).collect()
    }

    fn raw(&self) -> Vec<Vec<u8>> {
        self.state.received.lock().unwrap().iter().map(|(b, _)| b.clone()).collect()
    }

    /// The status of each status webhook received, in order.
    fn statuses(&self) -> Vec<String> {
        self.bodies()
            .iter()
            .filter_map(|b| b.pointer("/entry/0/changes/0/value/statuses/0/status").and_then(Value::as_str))
            .map(String::from)
            .collect()
    }
}

async fn with_receiver(
    config: WhatsAppSandboxConfig,
    fail_first: usize,
) -> (WhatsAppSandbox, TestClock, Receiver) {
    let (wa, clock) = sandbox(config).await;
    let receiver = Receiver::start(fail_first).await;
    wa.set_webhook(receiver.target());
    (wa, clock, receiver)
}

#[tokio::test]
async fn unknown_or_unapproved_templates_get_132001_in_meta_envelope() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let unknown = send(&wa, template_message("+5491122334455", "no_such", "es_AR", &[], None)).await;
    let details = assert_error(&unknown, 404, 132001);
    assert_eq!(details, "template name (no_such) does not exist in es_AR");
    assert_eq!(unknown.1["error"]["message"], "(#132001) Template name does not exist in the translation");

    let missing_language = recovery("+5491122334455");
    let mut missing_language = missing_language.clone();
    missing_language["template"]["language"]["code"] = json!("fr_FR");
    assert_error(&send(&wa, missing_language).await, 404, 132001);

    wa.set_template_status(TEMPLATE, "PENDING");
    assert_error(&send(&wa, recovery("+5491122334455")).await, 404, 132001);
    wa.set_template_status(TEMPLATE, "PAUSED");
    assert_error(&send(&wa, recovery("+5491122334455")).await, 400, 132015);
    wa.set_template_status(TEMPLATE, "APPROVED");
    assert_eq!(send(&wa, recovery("+5491122334455")).await.0, 200);
    assert_eq!(wa.messages().len(), 1, "only the accepted send is recorded");
}

#[tokio::test]
async fn parameters_are_checked_against_the_template() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let to = "+5491122334455";
    let three = template_message(to, TEMPLATE, "es_AR", &["Tienda", "Ana", "Zapatillas"], Some("c/1"));
    let details = assert_error(&send(&wa, three).await, 400, 132000);
    assert_eq!(
        details,
        "body: number of localizable_params (3) does not match the expected number of params (4)"
    );
    assert_eq!(
        send(&wa, template_message(to, TEMPLATE, "es_AR", &[], Some("c/1"))).await.1["error"]["message"],
        "(#132000) Number of parameters does not match the expected number of params"
    );

    let no_button = template_message(to, TEMPLATE, "es_AR", &["Ana", "T", "Z", "$ 1"], None);
    let details = assert_error(&send(&wa, no_button).await, 400, 131008);
    assert_eq!(details, "buttons: Button at index 0 of type Url requires a parameter");

    let newline =
        template_message(to, TEMPLATE, "es_AR", &["Ana", "T", "Zapatillas\nRunner", "$ 1"], Some("c/1"));
    assert_error(&send(&wa, newline).await, 400, 132000);
    let spaces = template_message(to, TEMPLATE, "es_AR", &["Ana", "T", "a     b", "$ 1"], Some("c/1"));
    assert_error(&send(&wa, spaces).await, 400, 132000);

    let mut header = recovery(to);
    header["template"]["components"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "header", "parameters": [{"type": "text", "text": "Ana"}]}));
    let details = assert_error(&send(&wa, header).await, 400, 132000);
    assert!(details.starts_with("header: number of localizable_params (1)"), "{details}");

    assert_eq!(send(&wa, recovery(to)).await.0, 200);
    let m = &wa.messages()[0];
    assert_eq!(m.kind, "template");
    assert_eq!(m.body, ["Ana", "Tienda Sandbox", "Zapatillas Runner", "$ 45.990"]);
    assert_eq!(m.button_suffix.as_deref(), Some("checkout/v3/next/123"));
    assert_eq!(m.callback_data.as_deref(), Some("send:42:0"));
    assert_eq!(m.text, None);
}

#[tokio::test]
async fn an_image_header_template_needs_the_image() {
    let mut promo = TemplateDefinition::recupero("es_AR", DEFAULT_BUTTON_URL);
    promo.name = "recupero_foto".into();
    promo.header = Some(TemplateHeader::Image);
    let config = WhatsAppSandboxConfig { templates: Some(vec![promo]), ..Default::default() };
    let (wa, _) = sandbox(config).await;
    let params = ["Ana", "T", "Z", "$ 1"];
    let bare = template_message("+5491122334455", "recupero_foto", "es_AR", &params, Some("c/1"));
    let details = assert_error(&send(&wa, bare.clone()).await, 400, 132012);
    assert_eq!(details, "header: Format mismatch, expected IMAGE, received UNKNOWN");
    let mut with_image = bare;
    with_image["template"]["components"].as_array_mut().unwrap().push(json!({"type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://tienda-sandbox.mitiendanube.com/z.jpg"}}]}));
    assert_eq!(send(&wa, with_image).await.0, 200);
    let listed = wa.templates();
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].id.is_empty(), "ids are filled in at start");
}

#[tokio::test]
async fn free_text_only_inside_the_customer_window() {
    let (wa, clock) = sandbox(WhatsAppSandboxConfig::default()).await;
    let to = "+5491122334455";
    let outside = send(&wa, text_message(to, "¡Hola Ana!")).await;
    let details = assert_error(&outside, 400, 131047);
    assert!(details.contains("more than 24 hours"), "{details}");
    assert_eq!(outside.1["error"]["message"], "(#131047) Re-engagement message");
    assert!(wa.messages().is_empty());

    // She writes (from the number WhatsApp knows, without the 9): the window opens for both forms.
    wa.customer_says("541122334455", "Ana", "¿Tienen talle M?");
    assert!(wa.window_open(to));
    let inside = send(&wa, text_message(to, "¡Sí, hay talle M!")).await;
    assert_eq!(inside.0, 200, "{}", inside.1);
    assert!(inside.1["messages"][0]["id"].as_str().unwrap().starts_with("wamid."));
    let m = wa.messages().pop().unwrap();
    assert_eq!(
        (m.kind.as_str(), m.text.as_deref(), m.template.as_str()),
        ("text", Some("¡Sí, hay talle M!"), "")
    );

    let too_long = "a".repeat(4097);
    assert_error(&send(&wa, text_message(to, &too_long)).await, 400, 100);
    assert_error(&send(&wa, text_message(to, "")).await, 400, 100);

    clock.advance(Duration::hours(24));
    assert_error(&send(&wa, text_message(to, "¿Seguís ahí?")).await, 400, 131047);
    assert_eq!(send(&wa, recovery(to)).await.0, 200, "templates go out regardless of the window");
}

#[tokio::test]
async fn numbers_are_checked_and_wa_ids_are_what_whatsapp_says() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    for bad in ["abc", "+54911", "+5491122334455667788", "54-11-abc-4455", ""] {
        let answer = send(&wa, recovery(bad)).await;
        assert_error(&answer, 400, 100);
        assert_eq!(answer.1["error"]["message"], "(#100) Invalid parameter", "{bad}");
    }
    let mut no_to = recovery("+5491122334455");
    no_to.as_object_mut().unwrap().remove("to");
    assert_error(&send(&wa, no_to).await, 400, 131008);

    let cases = [
        ("+5491122334455", "541122334455"),
        ("+5215512345678", "525512345678"),
        ("+55 11 98765-4321", "5511987654321"),
        ("+34612345678", "34612345678"),
    ];
    for (to, wa_id) in cases {
        let (status, body) = send(&wa, recovery(to)).await;
        assert_eq!(status, 200, "{to}: {body}");
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["contacts"][0]["input"], to);
        assert_eq!(body["contacts"][0]["wa_id"], wa_id, "{to}");
        assert_eq!(body["messages"][0]["message_status"], "accepted");
    }
}

#[tokio::test]
async fn auth_by_bearer_or_the_partner_header_and_the_right_number() {
    let config = WhatsAppSandboxConfig { auth_header: Some("D360-API-KEY".into()), ..Default::default() };
    let (wa, _) = sandbox(config).await;
    let url = format!("{}/v25.0/{}/messages", wa.base_url(), wa.config().phone_number_id);
    let bearer = http().post(&url).bearer_auth(&wa.config().token).json(&recovery("+5491122334455"));
    assert_eq!(bearer.send().await.unwrap().status().as_u16(), 401, "the partner wants its own header");
    let keyed =
        http().post(&url).header("D360-API-KEY", &wa.config().token).json(&recovery("+5491122334455"));
    assert_eq!(keyed.send().await.unwrap().status().as_u16(), 200);

    let (plain, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let wrong = http()
        .post(format!("{}/v25.0/{}/messages", plain.base_url(), plain.config().phone_number_id))
        .bearer_auth("nope")
        .json(&recovery("+5491122334455"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let other_number = call(&plain, "POST", "/v25.0/999/messages", Some(recovery("+5491122334455"))).await;
    assert_error(&other_number, 400, 100);
    let not_json = http()
        .post(format!("{}/v25.0/{}/messages", plain.base_url(), plain.config().phone_number_id))
        .bearer_auth(&plain.config().token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400, "bad input gets an error, not a crash");
}

#[tokio::test]
async fn injected_faults_come_before_acceptance() {
    let (wa, clock, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    wa.inject(WaFault::Error { code: 130429 });
    let throttled = send(&wa, recovery("+5491122334455")).await;
    let details = assert_error(&throttled, 400, 130429);
    assert_eq!(details, "Cloud API message throughput has been reached.");
    wa.inject(WaFault::Error { code: 190 });
    assert_error(&send(&wa, recovery("+5491122334455")).await, 401, 190);
    assert!(wa.messages().is_empty());

    wa.inject(WaFault::AcceptThenLoseAnswer);
    let lost = send(&wa, recovery("+5491122334455")).await;
    assert_eq!(lost, (200, Value::Null), "the answer is cut off mid-JSON");
    let m = &wa.messages()[0];
    assert_eq!(m.at, clock.now());
    // The message left: its statuses still come, carrying the send's key.
    assert!(wa.flush().await);
    let first = &receiver.bodies()[0];
    let status = &first["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(status["id"], json!(m.wamid));
    assert_eq!(status["biz_opaque_callback_data"], "send:42:0");
}

#[tokio::test]
async fn status_webhooks_are_signed_and_arrive_sent_delivered_read() {
    let (wa, clock, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    let (_, answer) = send(&wa, recovery("+5491122334455")).await;
    let wamid = answer["messages"][0]["id"].as_str().unwrap().to_string();
    assert!(wa.flush().await, "everything acknowledged");
    assert_eq!(receiver.statuses(), ["sent", "delivered", "read"]);

    let bodies = receiver.bodies();
    let config = wa.config();
    for body in &bodies {
        assert_eq!(body["object"], "whatsapp_business_account");
        let entry = &body["entry"][0];
        assert_eq!(entry["id"], json!(config.business_account_id));
        assert_eq!(entry["changes"][0]["field"], "messages");
        let value = &entry["changes"][0]["value"];
        assert_eq!(value["messaging_product"], "whatsapp");
        assert_eq!(value["metadata"]["phone_number_id"], json!(config.phone_number_id));
        assert_eq!(value["metadata"]["display_phone_number"], json!(config.display_phone_number));
        let s = &value["statuses"][0];
        assert_eq!(s["id"], json!(wamid));
        assert_eq!(s["recipient_id"], "541122334455", "WhatsApp's id, without the 9");
        assert_eq!(s["timestamp"], json!(clock.now().timestamp().to_string()));
        assert_eq!(s["biz_opaque_callback_data"], "send:42:0");
        assert!(s.get("errors").is_none());
    }
    let sent = &bodies[0]["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(
        sent["pricing"],
        json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"})
    );
    assert!(bodies[1]["entry"][0]["changes"][0]["value"]["statuses"][0].get("pricing").is_none());

    // What the sandbox recorded is what the receiver got, signature included.
    let deliveries = wa.deliveries();
    assert_eq!(deliveries.len(), 3);
    for (d, raw) in deliveries.iter().zip(receiver.raw()) {
        assert_eq!(d.body.as_bytes(), raw.as_slice());
        assert_eq!(d.signature, wa.signed_body(&raw));
        assert_eq!(d.attempts, [Some(200)]);
        assert!(d.delivered);
        assert_eq!(d.url, receiver.url);
    }

    // A free-text reply inside the window is a free service message.
    wa.customer_says("5491122334455", "Ana", "¿Tienen talle M?");
    send(&wa, text_message("+5491122334455", "Sí")).await;
    assert!(wa.flush().await);
    let sent = receiver.bodies().into_iter().rev().find_map(|b| {
        let s = b.pointer("/entry/0/changes/0/value/statuses/0")?.clone();
        (s["status"] == "sent").then_some(s)
    });
    assert_eq!(
        sent.unwrap()["pricing"],
        json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"})
    );
}

#[tokio::test]
async fn duplicates_are_byte_identical_and_out_of_order_puts_read_first() {
    let (wa, _, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    wa.set_delivery(DeliveryBehaviour { duplicate_rate: 1.0, ..Default::default() });
    send(&wa, recovery("+5491122334455")).await;
    assert!(wa.flush().await);
    assert_eq!(receiver.statuses(), ["sent", "sent", "delivered", "delivered", "read", "read"]);
    let raw = receiver.raw();
    for pair in raw.chunks(2) {
        assert_eq!(pair[0], pair[1], "a duplicate is the same body, byte for byte");
    }

    let (wa, _, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    wa.set_delivery(DeliveryBehaviour { out_of_order_rate: 1.0, ..Default::default() });
    send(&wa, recovery("+5491122334455")).await;
    assert!(wa.flush().await);
    assert_eq!(receiver.statuses(), ["sent", "read", "delivered"]);

    let (wa, _, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    wa.set_delivery(DeliveryBehaviour { read: false, ..Default::default() });
    send(&wa, recovery("+5491122334455")).await;
    assert!(wa.flush().await);
    assert_eq!(receiver.statuses(), ["sent", "delivered"], "never read");
}

#[tokio::test]
async fn failures_carry_meta_error_objects() {
    let config =
        WhatsAppSandboxConfig { not_on_whatsapp: vec!["5491100000000".into()], ..Default::default() };
    let (wa, _, receiver) = with_receiver(config, 0).await;
    let (status, answer) = send(&wa, recovery("+5491100000000")).await;
    assert_eq!(status, 200, "accepted: Meta only finds out later");
    assert!(answer["messages"][0]["id"].is_string());
    assert!(wa.flush().await);
    assert_eq!(receiver.statuses(), ["failed"]);
    let failed = &receiver.bodies()[0]["entry"][0]["changes"][0]["value"]["statuses"][0];
    let e = &failed["errors"][0];
    assert_eq!(e["code"], 131026);
    assert_eq!(e["title"], "Message undeliverable");
    assert_eq!(e["message"], "Message undeliverable");
    assert!(e["error_data"]["details"].is_string());
    assert!(e["href"].as_str().unwrap().contains("error-codes"));
    assert!(failed.get("pricing").is_none(), "nothing billed");

    wa.set_delivery(DeliveryBehaviour { fail_rate: 1.0, fail_code: 131049, ..Default::default() });
    send(&wa, recovery("+5491122334455")).await;
    assert!(wa.flush().await);
    assert_eq!(receiver.statuses(), ["failed", "sent", "failed"]);
    let last = receiver.bodies().pop().unwrap();
    assert_eq!(last["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0]["code"], 131049);
}

#[tokio::test]
async fn a_webhook_is_retried_until_the_receiver_answers_200() {
    let (wa, _, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 2).await;
    wa.set_delivery(DeliveryBehaviour { read: false, ..Default::default() });
    send(&wa, recovery("+5491122334455")).await;
    assert!(wa.flush().await);
    let deliveries = wa.deliveries();
    assert_eq!(deliveries[0].attempts, [Some(500), Some(500), Some(200)], "delivered on the third POST");
    assert_eq!(deliveries[1].attempts, [Some(200)]);
    assert_eq!(receiver.state.posts.load(Ordering::SeqCst), 4);
    assert_eq!(receiver.statuses(), ["sent", "delivered"], "in order, nothing lost");

    // Nobody listening: attempts fail to connect and are retried until a receiver comes up.
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/webhook");
    wa.set_webhook(Some(WebhookTarget { url, app_secret: None }));
    assert!(wa.post_raw("account_update", json!({"event": "ACCOUNT_UPDATE"})));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while wa.deliveries()[0].attempts.len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let d = wa.deliveries()[0].clone();
    assert!(!d.delivered && d.attempts.len() >= 2 && d.attempts.iter().all(Option::is_none), "{d:?}");
    assert_eq!(d.signature, None, "no app secret, no signature");
    let back = Receiver::start_on(port, 0).await;
    assert!(wa.flush().await, "delivered once someone listens");
    let d = wa.deliveries()[0].clone();
    assert!(d.delivered);
    assert_eq!(d.attempts.last(), Some(&Some(200)));
    assert_eq!(back.raw(), [d.body.into_bytes()]);
}

#[tokio::test]
async fn created_templates_are_pending_until_reviewed_on_the_sandbox_clock() {
    let (wa, clock, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    let path = format!("/v25.0/{}/message_templates", wa.config().business_account_id);
    let new = json!({
        "name": "recupero_carrito_v2",
        "language": "es_AR",
        "category": "MARKETING",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "¿Te olvidaste algo, {{1}}?", "example": {"header_text": ["Ana"]}},
            {"type": "BODY", "text": "Hola {{1}}, guardamos tu {{2}} en {{3}}. Terminá la compra cuando quieras.",
             "example": {"body_text": [["Ana", "carrito", "Tienda"]]}},
            {"type": "FOOTER", "text": "Respondé STOP para no recibir promociones"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Ver mi carrito", "url": "https://tienda-sandbox.mitiendanube.com/{{1}}",
                 "example": ["https://tienda-sandbox.mitiendanube.com/checkout/1"]},
                {"type": "QUICK_REPLY", "text": "Detener promociones"}]}
        ]
    });
    let (status, created) = call(&wa, "POST", &path, Some(new.clone())).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert_eq!(created["category"], "MARKETING");
    let id = created["id"].as_str().unwrap().to_string();

    let listed = call(&wa, "GET", &format!("{path}?name=recupero_carrito_v2"), None).await.1;
    assert_eq!(listed["data"][0]["status"], "PENDING");
    assert_eq!(listed["data"][0]["id"], json!(id));
    let params = ["Ana", "carrito", "Tienda"];
    let message = |header: bool| {
        let mut m = template_message("+5491122334455", "recupero_carrito_v2", "es_AR", &params, Some("c/1"));
        if header {
            m["template"]["components"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "header", "parameters": [{"type": "text", "text": "Ana"}]}));
        }
        m
    };
    assert_error(&send(&wa, message(true)).await, 404, 132001);

    clock.advance(Duration::minutes(9));
    assert_eq!(wa.templates().iter().find(|t| t.id == id).unwrap().status, "PENDING");
    clock.advance(Duration::minutes(1));
    let listed = call(&wa, "GET", &format!("{path}?name=recupero_carrito_v2"), None).await.1;
    let t = &listed["data"][0];
    assert_eq!(t["status"], "APPROVED", "approved once approve_after has passed on the sandbox clock");
    assert_eq!(
        t["components"][0],
        json!({"type": "HEADER", "format": "TEXT", "text": "¿Te olvidaste algo, {{1}}?",
        "example": {"header_text": ["Ana"]}})
    );
    assert_eq!(t["components"][3]["buttons"][0]["url"], "https://tienda-sandbox.mitiendanube.com/{{1}}");
    let details = assert_error(&send(&wa, message(false)).await, 400, 132000);
    assert!(details.starts_with("header: number of localizable_params (0)"), "{details}");
    assert_eq!(send(&wa, message(true)).await.0, 200);

    // The review's webhook reached the app.
    assert!(wa.flush().await);
    let review = receiver
        .bodies()
        .into_iter()
        .find(|b| b["entry"][0]["changes"][0]["field"] == "message_template_status_update")
        .expect("a message_template_status_update webhook");
    let value = &review["entry"][0]["changes"][0]["value"];
    assert_eq!(value["event"], "APPROVED");
    assert_eq!(value["message_template_name"], "recupero_carrito_v2");
    assert_eq!(value["message_template_language"], "es-AR");
    assert_eq!(value["message_template_id"], json!(id.parse::<u64>().unwrap()));

    // The same name and language again.
    let again = call(&wa, "POST", &path, Some(new.clone())).await;
    assert_eq!(again.0, 400);
    assert_eq!(again.1["error"]["code"], 100);
    assert_eq!(again.1["error"]["error_subcode"], 2388024);
    assert!(again.1["error"]["error_user_msg"].as_str().unwrap().contains("already exists"));
    // Another language is fine.
    let mut pt = new.clone();
    pt["language"] = json!("pt_BR");
    assert_eq!(call(&wa, "POST", &path, Some(pt)).await.0, 200);
}

#[tokio::test]
async fn template_creation_is_validated_like_meta() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let path = format!("/v25.0/{}/message_templates", wa.config().business_account_id);
    let valid = json!({"name": "aviso", "language": "es", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hola {{1}}, tu pedido está listo.", "example": {"body_text": [["Ana"]]}}]});
    let with = |key: &str, value: Value| {
        let mut t = valid.clone();
        t[key] = value;
        t
    };
    let cases: Vec<(Value, Option<i64>, &str)> = vec![
        (with("name", json!("Aviso Nuevo")), Some(2388023), "name"),
        (with("category", json!("PROMO")), None, "category"),
        (
            with("components", json!([{"type": "BODY", "text": "Hola {{1}}, tu pedido está listo."}])),
            Some(2388043),
            "example",
        ),
        (with("components", json!([{"type": "FOOTER", "text": "Gracias"}])), None, "body"),
        (
            with(
                "components",
                json!([{"type": "BODY", "text": "{{1}} tu pedido está listo", "example": {"body_text": [["Ana"]]}}]),
            ),
            Some(2388299),
            "variable at the start",
        ),
        (with("components", json!([{"type": "BODY", "text": "x".repeat(1025)}])), Some(2388040), "too long"),
        (
            with(
                "components",
                json!([{"type": "BODY", "text": "Hola"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Ver", "url": "https://x.example/{{1}}"}]}]),
            ),
            Some(2388043),
            "button example",
        ),
        (
            with(
                "components",
                json!([{"type": "BODY", "text": "Hola"}, {"type": "HEADER", "format": "IMAGE"}]),
            ),
            Some(2388043),
            "image sample",
        ),
    ];
    for (body, subcode, what) in cases {
        let (status, answer) = call(&wa, "POST", &path, Some(body)).await;
        assert_eq!(status, 400, "{what}: {answer}");
        let e = &answer["error"];
        assert_eq!(e["code"], 100, "{what}");
        assert_eq!(e["type"], "OAuthException");
        assert_eq!(e.get("error_subcode").and_then(Value::as_i64), subcode, "{what}: {answer}");
    }
    let mut no_language = valid.clone();
    no_language.as_object_mut().unwrap().remove("language");
    let (status, answer) = call(&wa, "POST", &path, Some(no_language)).await;
    assert_eq!(
        (status, answer["error"]["message"].as_str()),
        (400, Some("(#100) The parameter language is required"))
    );
    assert_eq!(call(&wa, "POST", &path, Some(valid)).await.0, 200);
}

#[tokio::test]
async fn the_template_list_has_meta_shape_filters_and_paging() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    let path = format!("/v25.0/{}/message_templates", wa.config().business_account_id);
    let (status, all) = call(&wa, "GET", &path, None).await;
    assert_eq!(status, 200);
    let data = all["data"].as_array().unwrap();
    assert_eq!(data.len(), 8, "recupero_carrito in eight languages");
    let ar = data.iter().find(|t| t["language"] == "es_AR").unwrap();
    assert_eq!(ar["name"], TEMPLATE);
    assert_eq!(ar["status"], "APPROVED");
    assert_eq!(ar["category"], "MARKETING");
    assert_eq!(ar["parameter_format"], "POSITIONAL");
    let components = ar["components"].as_array().unwrap();
    let body = components.iter().find(|c| c["type"] == "BODY").unwrap();
    for n in 1..=4 {
        assert!(body["text"].as_str().unwrap().contains(&format!("{{{{{n}}}}}")));
    }
    assert_eq!(body["example"]["body_text"][0].as_array().unwrap().len(), 4);
    assert!(components.iter().all(|c| c["type"] != "HEADER"), "no header");
    let buttons = &components.iter().find(|c| c["type"] == "BUTTONS").unwrap()["buttons"];
    assert_eq!(buttons[0]["type"], "URL");
    assert_eq!(buttons[0]["url"], DEFAULT_BUTTON_URL);
    assert_eq!(buttons[1], json!({"type": "QUICK_REPLY", "text": "Detener promociones"}));

    wa.set_template_status(TEMPLATE, "PAUSED");
    let approved = call(&wa, "GET", &format!("{path}?status=approved"), None).await.1;
    assert!(approved["data"].as_array().unwrap().is_empty());
    let paused = call(&wa, "GET", &format!("{path}?name={TEMPLATE}&status=PAUSED"), None).await.1;
    assert_eq!(paused["data"].as_array().unwrap().len(), 8);
    let none = call(&wa, "GET", &format!("{path}?name=otro"), None).await.1;
    assert_eq!(none["data"], json!([]));

    // Pages of three, following `next`, with only the fields asked for (and the id).
    let mut url = format!("{}{path}?fields=name,language,status&limit=3", wa.base_url());
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page: Value =
            http().get(&url).bearer_auth(&wa.config().token).send().await.unwrap().json().await.unwrap();
        for t in page["data"].as_array().unwrap() {
            let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["id", "language", "name", "status"]);
            seen.push(t["language"].as_str().unwrap().to_string());
        }
        assert!(page["paging"]["cursors"]["after"].is_string());
        match page["paging"]["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, super::templates::DEFAULT_LANGUAGES);

    let bad = call(&wa, "GET", &format!("{path}?limit=zero"), None).await;
    assert_eq!((bad.0, bad.1["error"]["code"].as_i64()), (400, Some(100)));
    let other = call(&wa, "GET", "/v25.0/123/message_templates", None).await;
    assert_eq!((other.0, other.1["error"]["code"].as_i64()), (400, Some(100)));
}

#[tokio::test]
async fn customers_the_owner_and_raw_payloads_arrive_signed_in_meta_shapes() {
    let (wa, clock, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    let ts = clock.now().timestamp().to_string();
    let said = wa.customer_says("+5491122334455", "Ana Pérez", "¿Hacen envíos al interior?");
    let tapped = wa.customer_taps_button(
        "5491122334455",
        "Ana Pérez",
        "Detener promociones",
        "Detener promociones",
        "wamid.T1",
    );
    let reacted = wa.customer_reacts("5491122334455", "Ana Pérez", "👍", "wamid.T1");
    let echoed = wa.owner_writes_from_phone("+5491122334455", "¡Hola Ana! Sí, enviamos.");
    assert!(wa.post_raw(
        "user_preferences",
        json!({"messaging_product": "whatsapp",
        "user_preferences": [{"wa_id": "541122334455", "category": "marketing_messages", "value": "stop"}]})
    ));
    assert!(wa.flush().await);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 5);
    let value = |i: usize| bodies[i]["entry"][0]["changes"][0]["value"].clone();

    let text = value(0);
    assert_eq!(text["contacts"], json!([{"profile": {"name": "Ana Pérez"}, "wa_id": "541122334455"}]));
    assert_eq!(
        text["messages"][0],
        json!({"from": "541122334455", "id": said, "timestamp": ts,
        "type": "text", "text": {"body": "¿Hacen envíos al interior?"}})
    );
    let button = value(1)["messages"][0].clone();
    assert_eq!(button["id"], json!(tapped));
    assert_eq!(button["type"], "button");
    assert_eq!(button["button"], json!({"payload": "Detener promociones", "text": "Detener promociones"}));
    assert_eq!(button["context"], json!({"from": wa.config().display_phone_number, "id": "wamid.T1"}));
    let reaction = value(2)["messages"][0].clone();
    assert_eq!(reaction["id"], json!(reacted));
    assert_eq!(reaction["reaction"], json!({"message_id": "wamid.T1", "emoji": "👍"}));
    assert_eq!(bodies[3]["entry"][0]["changes"][0]["field"], "smb_message_echoes");
    assert_eq!(
        value(3)["message_echoes"][0],
        json!({"from": wa.config().display_phone_number,
        "to": "541122334455", "id": echoed, "timestamp": ts, "type": "text",
        "text": {"body": "¡Hola Ana! Sí, enviamos."}})
    );
    assert_eq!(bodies[4]["entry"][0]["changes"][0]["field"], "user_preferences");
    assert_eq!(value(4)["user_preferences"][0]["value"], "stop");

    // Meta escapes non-ASCII as \uXXXX (lowercase hex, surrogate pairs for emoji); the signature
    // is over those bytes.
    let raw = receiver.raw();
    let first = String::from_utf8(raw[0].clone()).unwrap();
    assert!(first.is_ascii());
    assert!(first.contains(r"\u00bfHacen env\u00edos"), "{first}");
    assert!(String::from_utf8(raw[2].clone()).unwrap().contains(r"\ud83d\udc4d"));

    // Only a customer's own message opens the window; the owner's echo doesn't.
    let (other, _, _receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    other.owner_writes_from_phone("+5491199998888", "Hola");
    other.customer_reacts("5491199998888", "Leo", "❤️", "wamid.T2");
    assert!(!other.window_open("+5491199998888"));
    other.customer_taps_button("5491199998888", "Leo", "p", "t", "wamid.T2");
    assert!(other.window_open("+5491199998888"));
}

#[tokio::test]
async fn simulated_customers_answer_a_reminder_in_their_language() {
    let (wa, _, receiver) = with_receiver(WhatsAppSandboxConfig::default(), 0).await;
    assert_eq!(wa.simulate_reply("5491122334455", "es", 0), None, "nobody got a template yet");
    let (_, answer) = send(&wa, recovery("+5491122334455")).await;
    let template_wamid = answer["messages"][0]["id"].as_str().unwrap().to_string();

    let expected = [
        (0, ReplyKind::Shipping, "¿Hacen envíos al interior?", false),
        (35, ReplyKind::Payment, "¿Puedo pagar en cuotas?", false),
        (60, ReplyKind::Thanks, "¡Gracias! Ahora lo termino", false),
        (75, ReplyKind::Stop, "STOP", false),
        (85, ReplyKind::Stop, "Detener promociones", true),
        (95, ReplyKind::Complaint, "El producto llegó roto, quiero hablar con alguien", false),
        (130, ReplyKind::Payment, "¿Puedo pagar en cuotas?", false),
    ];
    for (roll, kind, text, button) in expected {
        let reply = wa.simulate_reply("541122334455", "es_AR", roll).unwrap();
        assert_eq!((reply.kind, reply.text.as_str(), reply.button), (kind, text, button), "roll {roll}");
        assert_eq!(reply.from, "541122334455");
    }
    assert!(wa.window_open("+5491122334455"), "answering opens the window");
    assert!(wa.flush().await);
    let inbound: Vec<Value> = receiver
        .bodies()
        .into_iter()
        .filter_map(|b| b.pointer("/entry/0/changes/0/value/messages/0").cloned())
        .collect();
    assert_eq!(inbound.len(), 7);
    let tap = inbound.iter().find(|m| m["type"] == "button").unwrap();
    assert_eq!(tap["context"]["id"], json!(template_wamid), "the tap points at our template");
    let contacts = receiver.bodies()[3]["entry"][0]["changes"][0]["value"]["contacts"].clone();
    assert_eq!(contacts[0]["profile"]["name"], "Ana", "named as the template greeted them");

    let pt = template_message(
        "+5511987654321",
        TEMPLATE,
        "pt_BR",
        &["João", "Loja", "Tênis", "R$ 1"],
        Some("c/2"),
    );
    assert_eq!(send(&wa, pt).await.0, 200);
    let portuguese: Vec<(ReplyKind, String)> = [0, 40, 55, 99, 86]
        .into_iter()
        .map(|roll| wa.simulate_reply("5511987654321", "pt_BR", roll).unwrap())
        .map(|r| (r.kind, r.text))
        .collect();
    assert_eq!(
        portuguese,
        [
            (ReplyKind::Shipping, "Vocês entregam no interior?".to_string()),
            (ReplyKind::Payment, "Posso parcelar?".into()),
            (ReplyKind::Thanks, "Obrigado! Já finalizo".into()),
            (ReplyKind::Complaint, "O produto chegou quebrado, quero falar com alguém".into()),
            (ReplyKind::Stop, "Parar promoções".into()),
        ]
    );
}

#[tokio::test]
async fn without_a_target_nothing_is_queued_and_flush_returns_at_once() {
    let (wa, _) = sandbox(WhatsAppSandboxConfig::default()).await;
    assert_eq!(send(&wa, recovery("+5491122334455")).await.0, 200);
    wa.customer_says("5491122334455", "Ana", "Hola");
    assert!(!wa.post_raw("history", json!({"history": []})));
    assert!(wa.deliveries().is_empty());
    assert!(wa.flush().await);
    assert!(wa.window_open("+5491122334455"), "the window opens even when no app listens");
    assert_eq!(wa.signed_body(b"{}"), None);
    wa.set_webhook(Some(WebhookTarget { url: "http://127.0.0.1:9/".into(), app_secret: Some("k".into()) }));
    // Checked against an independent HMAC-SHA256 (Python's hmac) of the same bytes and key.
    assert_eq!(
        wa.signed_body(b"{}").as_deref(),
        Some("sha256=add853b103fbcc936a194f9eb15e29c4ff08af6e47d5d1bca4f20218e31e4fff")
    );
}
