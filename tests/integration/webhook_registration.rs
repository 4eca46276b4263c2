//! Registering the webhook with Meta from the app, against the sandbox WhatsApp: the sandbox's
//! verification GET reaches the engine's real receiver (which answers only with the verify
//! token), the app is subscribed to the business account, and both are read back. A refusal
//! (nothing answers, not https, wrong token) registers nothing and changes no setting.

use std::sync::Arc;

use recupero::engine::{Engine, RegistrationFailure};
use recupero::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig, SANDBOX_APP_NAME};
use recupero::secrets::{SecretName, Sensitive};
use recupero::ui_error::UiErrorCode;
use recupero::webhooks::Receiver;

use crate::support::{recupero_env, spawn_app, text, TestApp};

struct Registered {
    app: TestApp,
    wa: WhatsAppSandbox,
    receiver: Receiver,
}

impl Registered {
    fn engine(&self) -> &Arc<Engine> {
        &self.app.engine
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.receiver.addr().port())
    }

    fn setting(&self, key: &str) -> String {
        self.engine().setting_get(key).unwrap()
    }
}

/// An engine with WhatsApp configured against the sandbox (whose callbacks may be `http` when
/// `allow_http`) and its webhook receiver on a free loopback port.
async fn registered(allow_http: bool) -> Registered {
    let app = spawn_app();
    let config = WhatsAppSandboxConfig { allow_http_callbacks: allow_http, ..Default::default() };
    let wa = WhatsAppSandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let engine = &app.engine;
    engine.setting_set("whatsapp_base_url", &wa.base_url()).unwrap();
    engine.setting_set("whatsapp_phone_number_id", &wa.config().phone_number_id).unwrap();
    engine.setting_set("whatsapp_waba_id", &wa.config().business_account_id).unwrap();
    engine.set_secret(SecretName::WhatsappToken, Sensitive::new(wa.config().token.clone())).unwrap();
    let receiver = engine.start_webhooks(Some(0)).await.unwrap();
    Registered { app, wa, receiver }
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_answers_metas_challenge_and_the_address_is_registered_and_read_back() {
    let r = registered(true).await;
    assert_eq!(r.wa.phone_override(), None);
    assert!(!r.wa.app_subscribed());
    let path = r.engine().settings().unwrap().webhook_path;
    let result = r.engine().register_webhook(&format!("{}/", r.base())).await.unwrap();
    let expected = format!("{}/webhook/{path}", r.base());
    assert!(result.ok, "{result:?}");
    assert_eq!(result.callback_url, expected);
    assert_eq!(result.registered_override.as_deref(), Some(expected.as_str()));
    assert_eq!(result.subscribed_apps, [SANDBOX_APP_NAME]);
    assert_eq!(r.wa.phone_override().as_deref(), Some(expected.as_str()), "Meta has the override");
    assert!(r.wa.app_subscribed(), "the app is subscribed to the business account");
    assert_eq!(r.wa.challenges(), [(expected.clone(), true)], "one challenge, answered by the receiver");
    assert_eq!(r.setting("webhook_public_url"), r.base());
    assert_eq!(r.setting("webhook_registered_url"), expected);
    let events = r.engine().recent_events(50).unwrap();
    let logged = events.iter().find(|e| e.kind == "webhook_registered").expect("logged");
    assert!(logged.data.contains("\"outcome\":\"ok\""), "{}", logged.data);
    // The status shows the registered address.
    assert_eq!(r.engine().status().unwrap().webhook_registered_url.as_deref(), Some(expected.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_say_why_in_plain_words_and_change_nothing() {
    let r = registered(true).await;
    // Nothing answers at that address.
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let result = r.engine().register_webhook(&dead).await.unwrap();
    assert!(!result.ok);
    assert_eq!(result.failure, Some(RegistrationFailure::NothingAnswered));
    assert!(result.message.contains("nothing answered at that address"), "{}", result.message);
    // The window words it from a code, with the address and the port for the sentence; the
    // detail is Meta's words and never the access token.
    let error = result.error.clone().expect("a worded error");
    assert_eq!(error.code, UiErrorCode::WebhookNothingAnswered);
    assert_eq!(error.params.get("url"), Some(&result.callback_url));
    assert_eq!(error.params.get("port"), Some(&r.setting("webhook_port")));
    assert!(!error.detail.is_empty());
    let shown = serde_json::to_string(&result).unwrap();
    assert!(!shown.contains(&r.wa.config().token), "the access token never reaches the window");
    // Something answers but with another verify token: the receiver refuses the challenge.
    r.engine().setting_set("webhook_verify_token", "another-token-0123456789").unwrap();
    let wrong = r.engine().register_webhook(&r.base()).await.unwrap();
    assert_eq!(wrong.failure, Some(RegistrationFailure::WrongToken), "{wrong:?}");
    assert!(wrong.message.contains("verify token didn't match"), "{}", wrong.message);
    assert_eq!(wrong.error.as_ref().map(|e| e.code), Some(UiErrorCode::WebhookWrongToken));
    assert_eq!(r.wa.phone_override(), None, "nothing registered at Meta");
    assert!(!r.wa.app_subscribed());
    assert_eq!(r.setting("webhook_public_url"), "", "nothing changed locally");
    assert_eq!(r.setting("webhook_registered_url"), "");
    assert_eq!(r.wa.challenges().iter().filter(|(_, ok)| *ok).count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_meta_the_sandbox_refuses_a_plain_http_address() {
    let r = registered(false).await;
    let result = r.engine().register_webhook(&r.base()).await.unwrap();
    assert_eq!(result.failure, Some(RegistrationFailure::NotHttps), "{result:?}");
    assert!(result.message.contains("https://"), "{}", result.message);
    assert_eq!(result.error.as_ref().map(|e| e.code), Some(UiErrorCode::WebhookNotHttps));
    assert!(result.error.as_ref().unwrap().detail.contains("(#100)"), "Meta's words on request");
    assert!(result.detail.unwrap().contains("(#100)"), "Meta's error envelope");
    assert!(r.wa.challenges().is_empty(), "refused before any verification request");
    assert_eq!(r.wa.phone_override(), None);
    assert_eq!(r.setting("webhook_registered_url"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_public_address_is_registered_again_by_itself() {
    let r = registered(true).await;
    assert!(r.engine().follow_public_url().await.unwrap().is_none(), "no public address yet");
    assert!(r.engine().register_webhook(&r.base()).await.unwrap().ok);
    assert!(r.engine().follow_public_url().await.unwrap().is_none(), "already registered");
    // The tunnel comes back with another address (here: the same receiver by another name).
    let moved = format!("http://localhost:{}", r.receiver.addr().port());
    r.engine().setting_set("webhook_public_url", &moved).unwrap();
    let again = r.engine().follow_public_url().await.unwrap().expect("registered again");
    assert!(again.ok, "{again:?}");
    let path = r.engine().settings().unwrap().webhook_path;
    assert_eq!(r.wa.phone_override(), Some(format!("{moved}/webhook/{path}")));
    assert_eq!(r.setting("webhook_registered_url"), format!("{moved}/webhook/{path}"));
    // A failing address is not hammered: one attempt, then a pause.
    r.engine().setting_set("webhook_public_url", &format!("http://127.0.0.1:{}", dead_port())).unwrap();
    let failed = r.engine().follow_public_url().await.unwrap().expect("tried");
    assert!(!failed.ok);
    assert!(r.engine().follow_public_url().await.unwrap().is_none(), "not retried at once");
    r.app.clock.advance(chrono::Duration::minutes(11));
    assert!(r.engine().follow_public_url().await.unwrap().is_some(), "retried later");
    assert_eq!(r.wa.phone_override(), Some(format!("{moved}/webhook/{path}")), "the old one stays");
}

/// `recupero whatsapp register-webhook` through the real binary, with the receiver running in
/// this process on the same data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_registers_and_refuses_a_dead_address_through_the_real_binary() {
    let r = registered(true).await;
    let dir = r.app.dir.path().to_path_buf();
    let env = vec![("RECUPERO_WHATSAPP_TOKEN".to_string(), r.wa.config().token.clone())];
    let dead = format!("http://127.0.0.1:{}", dead_port());
    let args = |base: &str, json: bool| {
        let mut a: Vec<String> =
            ["whatsapp", "register-webhook", "--public-url", base].iter().map(|s| s.to_string()).collect();
        if json {
            a.push("--json".into());
        }
        a
    };
    let (d, e) = (dir.clone(), env.clone());
    let a = args(&dead, false);
    let out = tokio::task::spawn_blocking(move || recupero_env(&d, &a, &e)).await.unwrap();
    assert!(!out.status.success(), "a dead address fails the command");
    assert!(text(&out.stderr).contains("nothing answered at that address"), "{}", text(&out.stderr));
    assert_eq!(r.wa.phone_override(), None);
    assert_eq!(r.setting("webhook_registered_url"), "");

    let a = args(&r.base(), true);
    let out = tokio::task::spawn_blocking(move || recupero_env(&dir, &a, &env)).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = r.engine().settings().unwrap().webhook_path;
    let expected = format!("{}/webhook/{path}", r.base());
    assert_eq!(json["ok"], true);
    assert_eq!(json["callbackUrl"], expected.as_str());
    assert_eq!(json["subscribedApps"][0], SANDBOX_APP_NAME);
    assert_eq!(r.wa.phone_override(), Some(expected.clone()));
    assert!(r.wa.app_subscribed());
    assert_eq!(r.setting("webhook_registered_url"), expected);
}

/// Webhook health on the test clock: the last delivery and whether it was signed, and the
/// "messages leave but nothing comes back" warning once sends went unanswered for 3 hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_and_no_delivery_for_three_hours_raise_the_tunnel_warning() {
    use crate::support::hooked::{hooked, one_reminder, text_from};
    use chrono::Duration;
    let h = hooked().await;
    // The tunnel is down: WhatsApp's statuses never reach the receiver.
    h.shop.wa.set_webhook(None);
    let t0 = h.shop.now();
    assert_eq!(h.post_signed(&text_from("5491150001111", "Ana", "wamid.IN1", "hola", t0)).await, 200);
    let status = h.engine().status().unwrap();
    assert_eq!(status.last_webhook_signed, Some(true));
    assert!(!status.webhook_silent, "nothing sent yet");
    h.shop.app.clock.advance(Duration::hours(2));
    one_reminder(&h).await;
    assert!(!h.engine().status().unwrap().webhook_silent, "the last delivery is under 3 h old");
    h.shop.app.clock.advance(Duration::hours(1));
    let status = h.engine().status().unwrap();
    assert!(status.webhook_silent, "sent 2.5 h ago and no delivery for 3.5 h");
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["webhookSilent"], true, "in `recupero status --json`");
    assert_eq!(json["lastWebhookSigned"], true);
    assert_eq!(json["webhookRegisteredUrl"], serde_json::Value::Null);
    // A delivery arrives again: the warning goes.
    let now = h.shop.now();
    assert_eq!(h.post_signed(&text_from("5491150001111", "Ana", "wamid.IN2", "sigo", now)).await, 200);
    assert!(!h.engine().status().unwrap().webhook_silent);
    // Hours later with nothing sent since, silence is no warning.
    h.shop.app.clock.advance(Duration::hours(6));
    assert!(!h.engine().status().unwrap().webhook_silent);
}

/// Without the token the automatic registration fails once and waits, instead of failing (and
/// logging) every 15 seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_automatic_registration_that_cannot_start_waits_before_trying_again() {
    let r = registered(true).await;
    r.engine().delete_secret(SecretName::WhatsappToken).unwrap();
    r.engine().setting_set("webhook_public_url", &r.base()).unwrap();
    let err = r.engine().follow_public_url().await.unwrap_err();
    assert!(err.to_string().contains("access token"), "{err}");
    assert!(r.engine().follow_public_url().await.unwrap().is_none(), "not again at once");
    r.engine().set_secret(SecretName::WhatsappToken, Sensitive::new(r.wa.config().token.clone())).unwrap();
    r.app.clock.advance(chrono::Duration::minutes(11));
    assert!(r.engine().follow_public_url().await.unwrap().expect("tried again").ok);
    assert!(r.wa.phone_override().is_some());
}

/// Meta takes the address but the app can't be subscribed (here: a business account id the
/// token can't reach): said as such, and nothing is stored locally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_subscription_after_the_override_is_reported_and_stores_nothing() {
    let r = registered(true).await;
    r.engine().setting_set("whatsapp_waba_id", "999").unwrap();
    let result = r.engine().register_webhook(&r.base()).await.unwrap();
    assert!(!result.ok);
    assert_eq!(result.failure, Some(RegistrationFailure::Other));
    assert!(
        result.message.contains("subscribing the app to the business account failed"),
        "{}",
        result.message
    );
    assert!(result.detail.unwrap().contains("Unsupported post request"));
    let error = result.error.expect("a worded error");
    assert_eq!(error.code, UiErrorCode::WebhookSubscribeFailed);
    assert_eq!(error.params.get("url"), Some(&result.callback_url));
    assert!(!r.wa.app_subscribed());
    assert_eq!(r.setting("webhook_registered_url"), "");
    assert_eq!(r.setting("webhook_public_url"), "");
}
