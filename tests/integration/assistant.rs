//! The conversation step end to end: customers write through signed webhooks into the engine,
//! the escalation and opt-out rules run, and the assistant — a fake OpenAI-compatible
//! chat-completions server on loopback, with recorded answers, slow answers, 500s and an answer
//! that invents a discount — drafts, answers or hands over. Replies go out through the sandbox
//! WhatsApp, and at most once.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use recupero::events::EngineEvent;
use recupero::secrets::{SecretName, Sensitive};
use serde_json::{json, Value};

use crate::support::hooked::{hooked, one_reminder, text_from, Hooked};

#[derive(Clone)]
enum Behaviour {
    /// Answers with this content.
    Says(String),
    /// Answers after this long.
    Slow(StdDuration, String),
    /// HTTP 500.
    Fails,
    /// HTTP 401 with this body.
    FailsWith(String),
}

/// A request body with its Authorization header.
type Seen = (Value, Option<String>);

#[derive(Clone)]
struct FakeChat {
    behaviour: Arc<Mutex<Behaviour>>,
    /// Every request body and its Authorization header.
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeChat {
    async fn start(behaviour: Behaviour) -> (FakeChat, String) {
        let fake =
            FakeChat { behaviour: Arc::new(Mutex::new(behaviour)), seen: Arc::new(Mutex::new(Vec::new())) };
        let app = Router::new().route("/v1/chat/completions", post(answer)).with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (fake, url)
    }

    fn set(&self, b: Behaviour) {
        *self.behaviour.lock().unwrap() = b;
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    State(fake): State<FakeChat>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(String::from);
    fake.seen.lock().unwrap().push((body, auth));
    let behaviour = fake.behaviour.lock().unwrap().clone();
    let content = match behaviour {
        Behaviour::Says(c) => c,
        Behaviour::Slow(wait, c) => {
            tokio::time::sleep(wait).await;
            c
        }
        Behaviour::Fails => {
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": {"message": "boom"}})))
        }
        Behaviour::FailsWith(body) => {
            return (StatusCode::UNAUTHORIZED, Json(serde_json::from_str(&body).unwrap_or(json!(body))))
        }
    };
    (
        StatusCode::OK,
        Json(
            json!({"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}),
        ),
    )
}

const FACTS: &str = "Envíos a todo el país por correo: 3 a 5 días hábiles, $ 4.500; gratis desde $ 50.000.\n\
                     Pagos: tarjeta en 3 cuotas sin interés, transferencia o Mercado Pago.\n\
                     Cambios dentro de los 30 días.";

/// A shop with one reminder sent, the facts written, and the assistant pointed at the fake.
async fn shop_with_assistant(mode: &str, behaviour: Behaviour) -> (Hooked, FakeChat, String, i64) {
    let h = hooked().await;
    let (fake, url) = FakeChat::start(behaviour).await;
    let e = h.engine();
    e.setting_set("shop_facts", FACTS).unwrap();
    e.setting_set("assistant_base_url", &url).unwrap();
    e.setting_set("assistant_model", "llama3.2").unwrap();
    e.setting_set("assistant_mode", mode).unwrap();
    e.setting_set("assistant_timeout_seconds", "2").unwrap();
    e.set_secret(SecretName::AssistantApiKey, Sensitive::new("sk-test-assistant-key".to_string())).unwrap();
    let (_, _, to) = one_reminder(&h).await;
    let thread = h.thread_of(&to);
    (h, fake, to, thread)
}

/// The customer writes; the webhook is delivered, processed, and the conversation step runs.
async fn customer_writes(h: &Hooked, to: &str, text: &str) {
    h.shop.wa.customer_says(to, "Ana", text);
    h.shop.wa.flush().await;
    h.process();
    h.engine().converse().await.unwrap();
    h.shop.wa.flush().await;
    h.process();
}

fn texts_to(h: &Hooked, to: &str) -> Vec<String> {
    h.shop
        .wa
        .messages()
        .iter()
        .filter(|m| recupero::sandbox::whatsapp::wa_id(&m.to) == to && m.kind == "text")
        .filter_map(|m| m.text.clone())
        .collect()
}

fn escalations(rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let EngineEvent::Escalation { reason, .. } = &ev {
            assert!(
                recupero::notice::notice_for(&ev, recupero::i18n::Lang::Es).is_some(),
                "an escalation becomes a desktop notification"
            );
            out.push(reason.clone());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_gets_a_grounded_draft_the_owner_approves_with_one_click() {
    let (h, fake, to, thread) = shop_with_assistant(
        "drafts",
        Behaviour::Says(r#"{"reply": "¡Hola Ana! El envío sale $ 4.500 y llega en 3 a 5 días hábiles 🚚", "handoff": false}"#.into()),
    )
    .await;
    let mut rx = h.engine().events().subscribe();
    customer_writes(&h, &to, "Hola! ¿Cuánto sale el envío a Rosario?").await;

    // What the assistant saw: the shop's facts, the cart, the conversation — and the key.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let (body, auth) = &requests[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test-assistant-key"));
    assert_eq!(body["model"], "llama3.2");
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("3 a 5 días hábiles") && system.contains("Total:"), "{system}");
    let last = body["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["role"].as_str(), last["content"].as_str()),
        (Some("user"), Some("Hola! ¿Cuánto sale el envío a Rosario?"))
    );

    // A draft waits for the owner; nothing went to the customer yet.
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(detail.drafts.len(), 1, "{detail:?}");
    let draft = &detail.drafts[0];
    assert_eq!((draft.source.as_str(), draft.facts_version), ("assistant", Some(1)));
    assert!(texts_to(&h, &to).is_empty());
    let mut ready = false;
    while let Ok(ev) = rx.try_recv() {
        ready |= matches!(ev, EngineEvent::DraftReady { conversation_id, .. } if conversation_id == thread);
    }
    assert!(ready, "the UI is told a draft is ready");

    // One click: it goes out once, as the assistant's, and the draft is done.
    let sent = h.engine().approve_draft(draft.id, None).await.unwrap();
    assert_eq!((sent.origin.as_str(), sent.status.as_deref()), ("assistant", Some("accepted")));
    assert_eq!(texts_to(&h, &to), vec![draft.text.clone()]);
    assert_eq!(h.engine().approve_draft(draft.id, None).await.unwrap_err().code(), "invalid", "never twice");
    assert!(h.engine().conversation_detail(thread).unwrap().drafts.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_answers_at_once_and_only_once() {
    let (h, fake, to, _) = shop_with_assistant(
        "auto",
        Behaviour::Says(r#"{"reply": "Sí, 3 cuotas sin interés con tarjeta.", "handoff": false}"#.into()),
    )
    .await;
    customer_writes(&h, &to, "¿Puedo pagar en cuotas?").await;
    assert_eq!(texts_to(&h, &to), ["Sí, 3 cuotas sin interés con tarjeta."]);
    // Running the step again (a restart, a second wake) sends nothing more.
    h.engine().converse().await.unwrap();
    h.engine().flush_replies().await.unwrap();
    assert_eq!(texts_to(&h, &to).len(), 1);
    assert_eq!(fake.requests().len(), 1);
    // A new question, a minute later, gets its own answer.
    h.shop.app.clock.advance(chrono::Duration::minutes(1));
    fake.set(Behaviour::Says(r#"{"reply": "Cambios dentro de los 30 días.", "handoff": false}"#.into()));
    customer_writes(&h, &to, "¿Y si no me queda bien, lo puedo cambiar?").await;
    assert_eq!(texts_to(&h, &to).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invented_discount_is_blocked_and_the_conversation_escalates() {
    let (h, _fake, to, thread) = shop_with_assistant(
        "auto",
        Behaviour::Says(r#"{"reply": "¡Te hago un 20% de descuento si comprás hoy! Usá el cupón ANA20", "handoff": false}"#.into()),
    )
    .await;
    let mut rx = h.engine().events().subscribe();
    customer_writes(&h, &to, "Hola, ¿me hacés precio?").await;
    // Not a word of the invention reached the customer; a person was told that they will answer.
    let sent = texts_to(&h, &to);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(!sent[0].contains("20%") && sent[0].contains("persona"), "{sent:?}");
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.conversation.escalated && detail.conversation.automation_paused);
    assert_eq!(detail.conversation.escalation_reason.as_deref(), Some("assistant_unsure"));
    let blocked: String =
        h.one("SELECT detail FROM drafts WHERE state = 'blocked' AND text LIKE ?1", "%20%%");
    assert!(blocked.contains("20%"), "the owner sees why: {blocked}");
    assert_eq!(escalations(&mut rx), ["assistant_unsure"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_failing_provider_escalates_never_silence() {
    let (h, fake, to, thread) = shop_with_assistant(
        "drafts",
        Behaviour::Slow(StdDuration::from_secs(6), r#"{"reply": "tarde", "handoff": false}"#.into()),
    )
    .await;
    let mut rx = h.engine().events().subscribe();
    customer_writes(&h, &to, "¿Tienen envío a Córdoba?").await;
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(detail.conversation.escalation_reason.as_deref(), Some("assistant_failed"));
    assert!(detail.drafts.is_empty());
    assert_eq!(escalations(&mut rx), ["assistant_failed"]);

    // A 500 on another customer's question: the same.
    fake.set(Behaviour::Fails);
    let (_, _, to2) = one_reminder(&h).await;
    customer_writes(&h, &to2, "¿Aceptan transferencia?").await;
    let thread2 = h.thread_of(&to2);
    let detail = h.engine().conversation_detail(thread2).unwrap();
    assert_eq!(detail.conversation.escalation_reason.as_deref(), Some("assistant_failed"));
    assert_eq!(escalations(&mut rx), ["assistant_failed"]);
    assert!(texts_to(&h, &to).is_empty() && texts_to(&h, &to2).is_empty(), "drafts mode: the owner answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provider_questions_matching_a_fact_get_a_draft_from_it() {
    let h = hooked().await;
    h.engine().setting_set("shop_facts", FACTS).unwrap();
    let (_, _, to) = one_reminder(&h).await;
    let thread = h.thread_of(&to);
    customer_writes(&h, &to, "¿Puedo pagar en cuotas?").await;
    let drafts = h.engine().conversation_detail(thread).unwrap().drafts;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].source, "facts");
    assert!(drafts[0].text.contains("Pagos: tarjeta en 3 cuotas sin interés"), "{}", drafts[0].text);
    // The owner edits it before sending: it goes out as the owner's words.
    let sent = h.engine().approve_draft(drafts[0].id, Some("Sí Ana, 3 cuotas sin interés 🙌")).await.unwrap();
    assert_eq!(sent.origin, "app");
    assert_eq!(texts_to(&h, &to), ["Sí Ana, 3 cuotas sin interés 🙌"]);
    // A message that asks nothing waits in the inbox: no draft, no alarm.
    let mut events = h.engine().events().subscribe();
    customer_writes(&h, &to, "Genial, gracias!").await;
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.drafts.is_empty() && !detail.conversation.escalated);
    assert!(detail.conversation.unread > 0);
    assert!(escalations(&mut events).is_empty());
    // A question the facts don't cover goes to the owner: nobody else can answer it.
    customer_writes(&h, &to, "¿Lo tienen en verde?").await;
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.drafts.is_empty(), "no made-up answer");
    assert!(detail.conversation.escalated, "the owner is called");
    assert_eq!(escalations(&mut events), ["unanswered_question"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_run_first_a_complaint_escalates_and_stop_opts_out_with_one_confirmation() {
    let (h, fake, to, thread) = shop_with_assistant(
        "auto",
        Behaviour::Says(r#"{"reply": "no debería verse", "handoff": false}"#.into()),
    )
    .await;
    h.engine().setting_set("escalation_keywords", "mayorista, factura A").unwrap();
    let mut rx = h.engine().events().subscribe();
    customer_writes(&h, &to, "El pedido anterior llegó roto 😡").await;
    assert_eq!(escalations(&mut rx), ["delivery_problem"]);
    assert!(fake.requests().is_empty(), "the assistant never sees an escalated conversation");
    assert!(texts_to(&h, &to).is_empty());
    // Writing again while escalated does not alert twice.
    customer_writes(&h, &to, "¿¿Hola??").await;
    assert!(escalations(&mut rx).is_empty());

    // The owner hands back; an owner keyword escalates again.
    h.engine().set_takeover(thread, false).unwrap();
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(!detail.conversation.escalated && !detail.conversation.automation_paused);
    customer_writes(&h, &to, "¿Venden por mayor? Soy MAYORISTA").await;
    assert_eq!(escalations(&mut rx), ["owner_keyword"]);
    h.engine().set_takeover(thread, false).unwrap();

    // STOP: opted out, one confirmation, even when WhatsApp delivers the webhook twice.
    let wamid = h.shop.wa.customer_says(&to, "Ana", "No me escriban más por favor");
    h.shop.wa.flush().await;
    h.process();
    h.engine().converse().await.unwrap();
    let again = text_from(&to, "Ana", &wamid, "No me escriban más por favor", h.shop.now());
    assert_eq!(h.post_signed(&again).await, 200);
    h.process();
    h.engine().converse().await.unwrap();
    let sent = texts_to(&h, &to);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Listo, no te enviaremos más mensajes"), "{sent:?}");
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.conversation.opted_out);
    assert!(sent[0].ends_with("responde ALTA."), "the confirmation says how to come back: {sent:?}");

    // The customer changes their mind later: ALTA lifts the opt-out, with one confirmation.
    h.shop.app.clock.advance(chrono::Duration::minutes(10));
    customer_writes(&h, &to, "ALTA").await;
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(!detail.conversation.opted_out, "opted back in");
    let sent = texts_to(&h, &to);
    assert_eq!(sent.len(), 2, "{sent:?}");
    use recupero::i18n::Lang;
    let confirmations =
        [Lang::Es, Lang::Pt, Lang::En].map(recupero::inbox::assistant::texts::opt_in_confirmation);
    assert!(confirmations.contains(&sent[1].as_str()), "{sent:?}");
    assert!(fake.requests().is_empty(), "opt-out, opt-in and rules never reach the assistant");
    // Said again by one who is not opted out: an ordinary message, no second confirmation.
    h.shop.app.clock.advance(chrono::Duration::minutes(10));
    customer_writes(&h, &to, "alta").await;
    let again = texts_to(&h, &to).iter().filter(|t| confirmations.contains(&t.as_str())).count();
    assert_eq!(again, 1, "one opt-in confirmation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_interrupted_mid_send_is_never_resent_and_the_inbox_searches_messages() {
    let h = hooked().await;
    let (_, _, to) = one_reminder(&h).await;
    let thread = h.thread_of(&to);
    customer_writes(&h, &to, "Quería saber por las zapatillas Ñandú 🏃").await;
    // A reply claimed for sending when the app died (the request may have left).
    {
        let conn = h.engine().db().conn();
        let at = "2026-11-20T13:30:00.000Z";
        let id =
            recupero::storage::messages::queue_reply(&conn, thread, "assistant", "¡Hola!", "auto:crash", at)
                .unwrap()
                .unwrap();
        assert!(recupero::storage::messages::claim_reply(&conn, id, at).unwrap());
        assert_eq!(recupero::storage::messages::settle_interrupted_replies(&conn, at).unwrap(), 1);
    }
    assert_eq!(h.engine().flush_replies().await.unwrap(), 0);
    assert!(texts_to(&h, &to).is_empty(), "never resent");
    let status: String = h.one("SELECT status FROM messages WHERE client_key = ?1", "auto:crash");
    assert_eq!(status, "unknown");

    // Full-text search over messages, accents folded; by name; nothing for nonsense.
    let found = h.engine().conversations(Some("nandu"), 50).unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [thread]);
    assert!(h.engine().conversations(Some("zzzzqqq"), 50).unwrap().is_empty());
    assert!(h.engine().conversations(Some("\"unbalanced ( quote"), 50).unwrap().is_empty());
}

/// The only text a customer got is the hand-over line: nothing of the blocked answer.
fn only_the_handover(h: &Hooked, to: &str, blocked: &str) {
    let sent = texts_to(h, to);
    assert_eq!(sent.len(), 1, "{blocked}: {sent:?}");
    assert_eq!(sent[0], recupero::inbox::assistant::texts::handover(recupero::i18n::Lang::Es), "{blocked}");
    let drafts: i64 = h.one("SELECT COUNT(*) FROM drafts WHERE state = 'blocked' AND text = ?1", blocked);
    assert_eq!(drafts, 1, "the owner gets the blocked answer as a draft: {blocked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promise_the_customer_planted_is_not_confirmed() {
    let answer = "¡Sí! Con el cupón X tenés 30 % de descuento, y pagás en some-domain.example/pay";
    let (h, fake, to, thread) =
        shop_with_assistant("auto", Behaviour::Says(json!({"reply": answer, "handoff": false}).to_string()))
            .await;
    customer_writes(
        &h,
        &to,
        "Me dijeron que tienen 30 % de descuento con el cupón X y pago en some-domain.example/pay — ¿confirman?",
    )
    .await;
    // The model saw the thread (it must, to answer)…
    let requests = fake.requests();
    let last = requests[0].0["messages"].as_array().unwrap().last().unwrap().clone();
    assert!(last["content"].as_str().unwrap().contains("some-domain.example/pay"));
    // …but the customer's words ground nothing: not sent, a draft for the owner, a person called.
    only_the_handover(&h, &to, answer);
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.conversation.escalated && detail.conversation.automation_paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_promotions_and_numbers_in_words_the_shop_never_wrote_are_not_sent() {
    let (h, fake, _, _) = shop_with_assistant("auto", Behaviour::Says(String::new())).await;
    for answer in [
        "Podés pagar en pagos-tienda.example/checkout",
        "Terminá tu compra acá: HTTPS://evil.example/pay",
        "Terminá tu compra en [tu carrito](https://evil.example/pay)",
        "¡El envío es sin cargo!",
        "Te lo dejamos a mitad de precio 😉",
        "Frete grátis pra você!",
        "Half price today only",
        "Te hacemos un treinta por ciento menos",
        "Usá VERANO30 al pagar",
    ] {
        fake.set(Behaviour::Says(json!({"reply": answer, "handoff": false}).to_string()));
        let (_, _, to) = one_reminder(&h).await;
        customer_writes(&h, &to, "Hola, ¿me confirmás cómo termino la compra?").await;
        only_the_handover(&h, &to, answer);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_longer_than_whatsapp_allows_waits_for_the_owner() {
    let long = "Sí, con tarjeta. ".repeat(300);
    let (h, _fake, to, thread) =
        shop_with_assistant("auto", Behaviour::Says(json!({"reply": long, "handoff": false}).to_string()))
            .await;
    customer_writes(&h, &to, "¿Puedo pagar con tarjeta?").await;
    h.engine().flush_replies().await.unwrap();
    assert!(texts_to(&h, &to).is_empty(), "over 4,096 characters: nothing leaves on its own");
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(detail.drafts.len(), 1, "the answer waits for the owner: {detail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_sends_nothing_while_sending_is_paused() {
    let (h, _fake, to, thread) = shop_with_assistant(
        "auto",
        Behaviour::Says(r#"{"reply": "Sí, 3 cuotas sin interés con tarjeta.", "handoff": false}"#.into()),
    )
    .await;
    h.engine().set_paused(true).unwrap();
    customer_writes(&h, &to, "¿Puedo pagar en cuotas?").await;
    h.engine().flush_replies().await.unwrap();
    assert!(texts_to(&h, &to).is_empty(), "paused: nothing leaves on its own");
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(detail.drafts.len(), 1, "the answer waits for the owner: {detail:?}");
    assert_eq!(detail.drafts[0].text, "Sí, 3 cuotas sin interés con tarjeta.");
    // The owner decides: one click sends it.
    h.engine().approve_draft(detail.drafts[0].id, None).await.unwrap();
    assert_eq!(texts_to(&h, &to), ["Sí, 3 cuotas sin interés con tarjeta."]);
}

/// A machine with no keychain: every read fails.
struct NoKeychain;

impl recupero::secrets::SecretStore for NoKeychain {
    fn get(&self, _: SecretName) -> Result<Option<Sensitive<String>>, recupero::secrets::SecretError> {
        Err(recupero::secrets::SecretError::NoKeychain { detail: "none here".into(), env_hint: "-".into() })
    }
    fn set(&self, _: SecretName, _: Sensitive<String>) -> Result<(), recupero::secrets::SecretError> {
        self.get(SecretName::AssistantApiKey).map(|_| ())
    }
    fn delete(&self, _: SecretName) -> Result<(), recupero::secrets::SecretError> {
        self.get(SecretName::AssistantApiKey).map(|_| ())
    }
    fn get_scoped(
        &self,
        n: SecretName,
        _: &str,
    ) -> Result<Option<Sensitive<String>>, recupero::secrets::SecretError> {
        self.get(n)
    }
    fn set_scoped(
        &self,
        n: SecretName,
        _: &str,
        _: Sensitive<String>,
    ) -> Result<(), recupero::secrets::SecretError> {
        self.delete(n)
    }
    fn describe(&self) -> &'static str {
        "none"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyless_local_provider_answers_when_no_keychain_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let clock = recupero::clock::TestClock::at(crate::support::shop_morning());
    let engine = recupero::engine::Engine::build(recupero::engine::EngineOptions {
        paths: recupero::paths::AppPaths::resolve(Some(dir.path())).unwrap(),
        secrets: Arc::new(NoKeychain),
        clock: Arc::new(clock.clone()),
        demo: false,
    })
    .unwrap();
    let (fake, url) = FakeChat::start(Behaviour::Says(
        r#"{"reply": "Sí, 3 cuotas sin interés con tarjeta.", "handoff": false}"#.into(),
    ))
    .await;
    engine.setting_set("shop_facts", FACTS).unwrap();
    engine.setting_set("assistant_base_url", &url).unwrap();
    engine.setting_set("assistant_mode", "drafts").unwrap();
    engine.setting_set("whatsapp_phone_number_id", "1055500000000").unwrap();
    let now = recupero::clock::Clock::now(&clock);
    let delivery = text_from("5491155550000", "Ana", "wamid.keyless", "¿Puedo pagar en cuotas?", now);
    let bytes = serde_json::to_vec(&delivery).unwrap();
    recupero::storage::webhook_events::store(&engine.db().conn(), &bytes, true, &recupero::storage::ts(now))
        .unwrap();
    engine.process_webhooks().unwrap();
    engine.converse().await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "the local provider was asked");
    assert_eq!(requests[0].1, None, "without a key");
    let threads = engine.conversations(None, 10).unwrap();
    let detail = engine.conversation_detail(threads[0].id).unwrap();
    assert_eq!(detail.drafts.len(), 1, "{detail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_error_body_is_masked_in_the_logs() {
    let body = json!({"error": {"message": format!(
        "Incorrect API key provided: sk-test-assistant-key. Request: {}",
        "blah ".repeat(100)
    )}})
    .to_string();
    let (h, _fake, to, _) = shop_with_assistant("drafts", Behaviour::FailsWith(body)).await;
    customer_writes(&h, &to, "¿Aceptan transferencia?").await;
    let data: String = h.one("SELECT data FROM events WHERE kind = ?1 ORDER BY id DESC LIMIT 1", "escalated");
    assert!(data.contains("Incorrect API key provided"), "{data}");
    assert!(!data.contains("sk-test-assistant-key"), "the key never reaches the log: {data}");
    assert!(data.len() < 400, "bounded like the other clients': {data}");
}
