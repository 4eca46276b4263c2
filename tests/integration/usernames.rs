//! Customers with WhatsApp usernames (business-scoped user ids, BSUID; reference §1.6, §10):
//! since 2026 a customer who adopted a username and had no recent exchange with the shop writes
//! with no number — Meta's webhook carries `from_user_id` and `contacts[].user_id` only. Such a
//! customer is stored, threaded, answered at their BSUID (Meta's `recipient`), opted out alone,
//! taken over from the phone; two of them stay two contacts; one who later shows their number
//! joins the contact of their cart; an id that names no one is refused, never made a contact.
//! Real SQLite, signed webhooks over loopback, replies through the sandbox WhatsApp.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use recupero::sandbox::whatsapp::Customer;
use recupero::secrets::{SecretName, Sensitive};
use serde_json::{json, Value};

use crate::support::hooked::{envelope, hooked, metadata, one_reminder, unix, Hooked};

const ANA: &str = "AR.1502576394655843";
const BRUNO: &str = "AR.8802576394655811";

/// Meta's incoming text from a username adopter whose number Meta may not share (its
/// *Business-scoped user IDs* page, "Incoming messages webhooks"): no `from`, no `wa_id`.
fn from_username(user_id: &str, username: &str, name: &str, wamid: &str, body: &str, h: &Hooked) -> Value {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"profile": {"name": name, "username": username}, "user_id": user_id}],
            "messages": [{"from_user_id": user_id, "id": wamid, "timestamp": unix(h.shop.now()),
                "type": "text", "text": {"body": body}}]}),
    )
}

/// The defect this file is about, with Meta's own envelopes: a message with only a BSUID was
/// dropped (nothing stored), and any sender id without digits became one shared contact "+".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_without_a_number_is_stored_and_ids_without_digits_never_collapse() {
    let h = hooked().await;
    for (user_id, username, name, wamid) in
        [(ANA, "@ana.luna", "Ana", "wamid.U1"), (BRUNO, "@bruno_m", "Bruno", "wamid.U2")]
    {
        let body = from_username(user_id, username, name, wamid, "¿Tienen talle M?", &h);
        assert_eq!(h.post_signed(&body).await, 200);
    }
    // Ids that name no one: empty, letters, nothing at all.
    for (i, from) in [json!(""), json!("abc"), json!("@someone"), Value::Null].into_iter().enumerate() {
        let mut m = json!({"id": format!("wamid.G{i}"), "timestamp": unix(h.shop.now()), "type": "text",
            "text": {"body": format!("garbage {i}")}});
        if !from.is_null() {
            m["from"] = from.clone();
        }
        let body = envelope(
            "messages",
            json!({"messaging_product": "whatsapp", "metadata": metadata(),
                "contacts": [{"profile": {"name": "X"}, "wa_id": from}], "messages": [m]}),
        );
        assert_eq!(h.post_signed(&body).await, 200);
    }
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 2, "one thread per username customer");
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE direction = 'in'"), 2);
    assert_eq!(h.count("SELECT count(*) FROM contacts"), 2);
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE phone_e164 = '+'"), 0, "no shared contact '+'");
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE body LIKE 'garbage%'"), 0);
    let refused = h.count(
        "SELECT count(*) FROM webhook_events WHERE outcome LIKE '%without a usable sender%' AND processed_at IS NOT NULL",
    );
    assert_eq!(refused, 4, "each refusal is noted on its delivery");
}

/// A chat-completions server on loopback that always answers `reply` (the assistant in auto
/// mode); counts the requests.
async fn assistant(reply: &str) -> (String, Arc<Mutex<usize>>) {
    let seen = Arc::new(Mutex::new(0usize));
    let content = json!({"reply": reply, "handoff": false}).to_string();
    let answer = move |State(seen): State<Arc<Mutex<usize>>>, Json(_): Json<Value>| {
        let content = content.clone();
        async move {
            *seen.lock().unwrap() += 1;
            Json(json!({"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0,
                "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}))
        }
    };
    let app = Router::new().route("/v1/chat/completions", post(answer)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A shop whose assistant answers on its own (auto mode) with `reply`.
async fn shop_answering(reply: &str) -> (Hooked, Arc<Mutex<usize>>) {
    let h = hooked().await;
    let (url, seen) = assistant(reply).await;
    let e = h.engine();
    e.setting_set("shop_facts", "Envíos a todo el país: 3 a 5 días hábiles.").unwrap();
    e.setting_set("assistant_base_url", &url).unwrap();
    e.setting_set("assistant_model", "llama3.2").unwrap();
    e.setting_set("assistant_mode", "auto").unwrap();
    e.set_secret(SecretName::AssistantApiKey, Sensitive::new("sk-test-assistant-key".to_string())).unwrap();
    (h, seen)
}

/// `who` writes; the webhook is delivered and processed, the conversation step runs and its
/// replies' statuses come back.
async fn writes(h: &Hooked, who: &Customer, text: &str) -> String {
    let wamid = h.shop.wa.customer_writes(who, text);
    settle(h).await;
    wamid
}

async fn settle(h: &Hooked) {
    h.shop.wa.flush().await;
    h.process();
    h.engine().converse().await.unwrap();
    h.engine().flush_replies().await.unwrap();
    h.shop.wa.flush().await;
    h.process();
}

/// The free texts the sandbox accepted for `to` (a number's wa_id or a BSUID).
fn texts_to(h: &Hooked, to: &str) -> Vec<String> {
    let key = |t: &str| {
        if t.contains('.') {
            t.to_string()
        } else {
            recupero::sandbox::whatsapp::wa_id(t)
        }
    };
    h.shop
        .wa
        .messages()
        .iter()
        .filter(|m| m.kind == "text" && key(&m.to) == to)
        .filter_map(|m| m.text.clone())
        .collect()
}

fn thread_of_bsuid(h: &Hooked, user_id: &str) -> i64 {
    h.one(
        "SELECT v.id FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE k.user_id = ?1",
        user_id,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_customer_is_stored_threaded_and_answered_at_their_bsuid() {
    let (h, seen) = shop_answering("¡Hola! Enviamos a todo el país en 3 a 5 días hábiles.").await;
    let ana = Customer::with_username(ANA, "@ana.luna", "Ana");
    writes(&h, &ana, "¿Hacen envíos al interior?").await;

    // Stored: a contact with the BSUID and username and no number, one thread, the message.
    let thread = thread_of_bsuid(&h, ANA);
    let row = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(row.conversation.phone, None);
    assert_eq!(row.conversation.username.as_deref(), Some("@ana.luna"));
    assert_eq!(row.conversation.user_id.as_deref(), Some(ANA));
    assert_eq!(row.conversation.display_name().as_deref(), Some("Ana"));
    let inbound: Vec<_> = row.messages.iter().filter(|m| m.direction == "in").collect();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].body.as_deref(), Some("¿Hacen envíos al interior?"));

    // Answered on its own, addressed to the BSUID: the sandbox refuses a BSUID in `to`, so
    // this went as Meta's `recipient`.
    assert_eq!(*seen.lock().unwrap(), 1);
    assert_eq!(texts_to(&h, ANA), ["¡Hola! Enviamos a todo el país en 3 a 5 días hábiles."]);
    let answer = h.engine().conversation_detail(thread).unwrap();
    let out: Vec<_> = answer.messages.iter().filter(|m| m.direction == "out").collect();
    assert_eq!((out.len(), out[0].origin.as_str()), (1, "assistant"));
    // Its statuses (recipient_user_id, no recipient_id) reached it, and made no new contact.
    assert_eq!(out[0].status.as_deref(), Some("read"), "{out:?}");
    assert_eq!(h.count("SELECT count(*) FROM contacts"), 1);

    // The owner's own reply from the inbox goes to the BSUID too (past Meta's pair rate).
    h.shop.app.clock.advance(chrono::Duration::seconds(30));
    let sent = h.engine().send_text(thread, "Cualquier duda, escribime 🙂").await.unwrap();
    assert_eq!(sent.origin, "app");
    assert_eq!(texts_to(&h, ANA).len(), 2);

    // The inbox lists the customer by name and username, and finds them by username.
    let found = h.engine().conversations(Some("ana.luna"), 10).unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [thread]);

    // The owner writes from the phone app: an echo with `to_user_id` only takes the thread over.
    h.shop.wa.owner_writes_from_phone(ANA, "Te llamo en un rato");
    settle(&h).await;
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.conversation.automation_paused, "taken over from the phone");
    assert!(detail
        .messages
        .iter()
        .any(|m| m.origin == "phone" && m.body.as_deref() == Some("Te llamo en un rato")));
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 1);
    // Results still add up with a reply to a customer without a number (priced by the
    // BSUID's country).
    h.engine().metrics(None, None).expect("the Results read a reply to a BSUID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_username_customers_stay_two_and_an_opt_out_touches_only_its_own() {
    let h = hooked().await;
    let ana = Customer::with_username(ANA, "@ana.luna", "Ana");
    let bruno = Customer::with_username(BRUNO, "@bruno_m", "Bruno");
    let mut events = h.engine().events().subscribe();
    writes(&h, &ana, "Hola, ¿tienen la remera en azul?").await;
    writes(&h, &bruno, "Buenas, ¿hacen factura A?").await;
    let (a, b) = (thread_of_bsuid(&h, ANA), thread_of_bsuid(&h, BRUNO));
    assert_ne!(a, b);
    // No assistant and no facts: each question goes to a person, each alert naming its customer.
    let alerts: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|e| match e {
            recupero::events::EngineEvent::Escalation { conversation_id, contact_name, .. } => {
                Some((conversation_id, contact_name))
            }
            _ => None,
        })
        .collect();
    assert_eq!(alerts, [(a, Some("Ana".to_string())), (b, Some("Bruno".to_string()))]);
    let bodies = |t: i64| -> Vec<String> {
        h.engine().conversation_detail(t).unwrap().messages.into_iter().filter_map(|m| m.body).collect()
    };
    assert_eq!(bodies(a), ["Hola, ¿tienen la remera en azul?"], "Ana's thread holds only Ana's words");
    assert_eq!(bodies(b), ["Buenas, ¿hacen factura A?"]);

    // Ana says STOP: she is opted out with one confirmation at her BSUID; Bruno is untouched.
    h.shop.app.clock.advance(chrono::Duration::minutes(2));
    writes(&h, &ana, "STOP").await;
    assert!(h.engine().conversation_detail(a).unwrap().conversation.opted_out);
    assert!(!h.engine().conversation_detail(b).unwrap().conversation.opted_out);
    let confirmations = texts_to(&h, ANA);
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");
    assert!(confirmations[0].starts_with("Listo, no te enviaremos más mensajes"), "{confirmations:?}");
    assert!(texts_to(&h, BRUNO).is_empty());
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL"), 1);

    // And ALTA brings her back, again only her.
    h.shop.app.clock.advance(chrono::Duration::minutes(10));
    writes(&h, &ana, "ALTA").await;
    assert!(!h.engine().conversation_detail(a).unwrap().conversation.opted_out);
    assert_eq!(texts_to(&h, ANA).len(), 2);
    assert_eq!(h.count("SELECT count(*) FROM contacts"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_customer_who_shows_their_number_joins_the_contact_of_their_cart() {
    let h = hooked().await;
    // A cart reminder went to this customer's number.
    let (_, _, wa_id) = one_reminder(&h).await;
    let cart_thread = h.thread_of(&wa_id);
    // They answer from a username, with no number, and ask to stop there.
    let by_username = Customer::with_username(ANA, "@ana.luna", "Ana");
    writes(&h, &by_username, "No me escriban más").await;
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 2, "two contacts so far");
    // A later message carries both the number and the BSUID: one customer, one thread.
    h.shop.app.clock.advance(chrono::Duration::minutes(5));
    let both = Customer::with_number(&wa_id, Some(ANA), "Ana");
    writes(&h, &both, "¿Me pasan el link de nuevo?").await;
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 1);
    let detail = h.engine().conversation_detail(cart_thread).unwrap();
    let inbound: Vec<_> =
        detail.messages.iter().filter(|m| m.direction == "in").filter_map(|m| m.body.clone()).collect();
    assert_eq!(inbound, ["No me escriban más", "¿Me pasan el link de nuevo?"]);
    assert!(detail.conversation.opted_out, "the STOP said under the username holds for the number");
    assert_eq!(detail.conversation.user_id.as_deref(), Some(ANA));
    assert!(detail.conversation.phone.is_some());
    assert_eq!(h.count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    // A reply now goes to the number.
    h.engine().send_text(cart_thread, "Perdón, no te escribimos más.").await.unwrap();
    assert!(texts_to(&h, &wa_id).contains(&"Perdón, no te escribimos más.".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_takes_a_send_to_a_bsuid_and_refuses_a_malformed_one_as_meta_does() {
    let h = hooked().await;
    let cfg = h.shop.wa.config().clone();
    let url = format!("{}/v21.0/{}/messages", h.shop.wa.base_url(), cfg.phone_number_id);
    let send = |body: Value| {
        let (http, url, token) = (h.http.clone(), url.clone(), cfg.token.clone());
        async move {
            let r = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    h.shop.wa.customer_writes(&Customer::with_username(ANA, "@ana.luna", "Ana"), "Hola");
    let text = |address: Value| {
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual",
            "type": "text", "text": {"body": "hola"}});
        for (k, v) in address.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let (status, ok) = send(text(json!({"recipient": ANA}))).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["contacts"], json!([{"input": ANA, "user_id": ANA}]));
    for bad in ["ar.1502576394655843", "AR-1502576394655843", "AR.15 02", ""] {
        let (status, err) = send(text(json!({"recipient": bad}))).await;
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(err["error"]["code"], 100, "{err}");
        assert_eq!(err["error"]["type"], "OAuthException");
        let details = err["error"]["error_data"]["details"].as_str().unwrap();
        assert!(details.contains("business-scoped user ID"), "{details}");
    }
    // A BSUID in `to` is no phone number.
    let (status, err) = send(text(json!({"to": ANA}))).await;
    assert_eq!((status, err["error"]["code"].as_i64()), (400, Some(100)));
    // Without `to` or `recipient`.
    let (status, err) = send(text(json!({}))).await;
    assert_eq!((status, err["error"]["code"].as_i64()), (400, Some(131008)));
    // A BSUID that never wrote has no open window.
    let (status, err) = send(text(json!({"recipient": BRUNO}))).await;
    assert_eq!((status, err["error"]["code"].as_i64()), (400, Some(131047)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_preferences_and_the_phones_history_work_by_bsuid_too() {
    let h = hooked().await;
    h.engine().setting_set("shop_facts", "Envíos a todo el país: 3 a 5 días hábiles, $ 4.500.").unwrap();
    let ana = Customer::with_username(ANA, "@ana.luna", "Ana");
    writes(&h, &ana, "¿Hacen envíos a todo el país?").await;
    let thread = thread_of_bsuid(&h, ANA);
    // A draft from the shop's facts, approved by the owner, goes to the BSUID.
    let drafts = h.engine().conversation_detail(thread).unwrap().drafts;
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(drafts[0].source, "facts");
    h.engine().approve_draft(drafts[0].id, None).await.unwrap();
    assert_eq!(texts_to(&h, ANA).len(), 1);

    // WhatsApp says Bruno (known only by BSUID) stopped marketing messages: only he is out.
    writes(&h, &Customer::with_username(BRUNO, "@bruno_m", "Bruno"), "Hola").await;
    let stop = json!({"messaging_product": "whatsapp", "metadata": metadata(),
        "contacts": [{"profile": {"name": "Bruno", "username": "@bruno_m"}, "user_id": BRUNO}],
        "user_preferences": [{"user_id": BRUNO, "detail": "User requested to stop marketing messages",
            "category": "marketing_messages", "value": "stop", "timestamp": h.shop.now().timestamp()}]});
    assert!(h.shop.wa.post_raw("user_preferences", stop));
    settle(&h).await;
    let source: String =
        h.one("SELECT opt_out_source FROM contacts WHERE user_id = ?1 AND opted_out_at IS NOT NULL", BRUNO);
    assert_eq!(source, "meta_user_preferences");
    assert!(!h.engine().conversation_detail(thread).unwrap().conversation.opted_out);

    // The phone's history shares a past chat with a third username customer: stored under them.
    const CARLA: &str = "AR.5551234567";
    let t = h.shop.now().timestamp() - 86_400;
    let history = json!({"messaging_product": "whatsapp", "metadata": metadata(),
        "history": [{"metadata": {"phase": 0, "chunk_order": 1, "progress": 100},
            "threads": [{"context": {"user_id": CARLA, "username": "@carla"}, "messages": [
                {"from_user_id": CARLA, "id": "wamid.H1", "timestamp": t.to_string(), "type": "text",
                 "text": {"body": "¿Siguen teniendo la campera?"}, "history_context": {"status": "READ"}},
                {"from": "5491155550000", "to_user_id": CARLA, "id": "wamid.H2", "timestamp": (t + 60).to_string(),
                 "type": "text", "text": {"body": "Sí, en negro"}, "history_context": {"status": "READ"}}]}]}]});
    assert!(h.shop.wa.post_raw("history", history));
    settle(&h).await;
    let carla = thread_of_bsuid(&h, CARLA);
    let past: Vec<(String, String)> = h
        .engine()
        .conversation_detail(carla)
        .unwrap()
        .messages
        .into_iter()
        .map(|m| (m.origin, m.body.unwrap_or_default()))
        .collect();
    assert_eq!(
        past,
        [("customer".into(), "¿Siguen teniendo la campera?".into()), ("phone".into(), "Sí, en negro".into())]
    );
    assert_eq!(h.count("SELECT count(*) FROM contacts"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_bsuid_from_whatsapp_keeps_the_customer_and_their_stop() {
    let h = hooked().await;
    let ana = Customer::with_username(ANA, "@ana.luna", "Ana");
    writes(&h, &ana, "STOP").await;
    let thread = thread_of_bsuid(&h, ANA);
    const NEW: &str = "AR.4402576394655899";
    let update = |previous: &str, current: &str| {
        envelope(
            "user_id_update",
            json!({"messaging_product": "whatsapp", "metadata": metadata(),
                "contacts": [{"profile": {"name": "Ana"}}],
                "user_id_update": [{"detail": "User id for Ana has been updated.",
                    "user_id": {"previous": previous, "current": current},
                    "timestamp": unix(h.shop.now())}]}),
        )
    };
    // Unsigned: refused at the door while an app secret is set (and never applied without one:
    // see `inbox::user_ids`), since a stranger could point her replies elsewhere.
    let body = serde_json::to_vec(&update(ANA, BRUNO)).unwrap();
    assert_ne!(h.post(&body, None).await, 200, "unsigned deliveries are refused while a secret is set");
    assert_eq!(h.post_signed(&update(ANA, NEW)).await, 200);
    h.process();
    assert_eq!(thread_of_bsuid(&h, NEW), thread, "the same thread under the new id");
    // She writes under the new id: the same customer, still opted out, nothing sent to her.
    h.shop.app.clock.advance(chrono::Duration::minutes(1));
    writes(&h, &Customer::with_username(NEW, "@ana.luna", "Ana"), "¿Sigue el descuento?").await;
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 1);
    assert!(h.engine().conversation_detail(thread).unwrap().conversation.opted_out);
}

/// A cart's customer (a number) who said STOP changes their number: WhatsApp sends a new BSUID
/// with the new number (`user_id_update`). The customer, their STOP and their thread carry over
/// to the new number; writing from it makes no second, not-opted-out customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_customer_who_changes_number_keeps_their_stop_and_thread() {
    let h = hooked().await;
    let (_, _, wa_id) = one_reminder(&h).await;
    let thread = h.thread_of(&wa_id);
    writes(&h, &Customer::with_number(&wa_id, Some(ANA), "Ana"), "STOP").await;
    assert!(h.engine().conversation_detail(thread).unwrap().conversation.opted_out);
    let sent_before = h.shop.wa.messages().len();

    const NEW: &str = "AR.4402576394655899";
    const NEW_NUMBER: &str = "5491177770003";
    h.shop.app.clock.advance(chrono::Duration::minutes(5));
    let update = envelope(
        "user_id_update",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "user_id_update": [{"wa_id": NEW_NUMBER, "detail": "User id for Ana has been updated.",
                "user_id": {"previous": ANA, "current": NEW}, "timestamp": unix(h.shop.now())}]}),
    );
    assert_eq!(h.post_signed(&update).await, 200);
    h.process();
    assert_eq!(thread_of_bsuid(&h, NEW), thread, "the same thread under the new id");

    h.shop.app.clock.advance(chrono::Duration::minutes(1));
    writes(&h, &Customer::with_number(NEW_NUMBER, Some(NEW), "Ana"), "¿Sigue el descuento?").await;
    assert_eq!(h.count("SELECT count(*) FROM conversations"), 1, "one thread");
    assert_eq!(
        h.count("SELECT count(*) FROM contacts WHERE merged_into IS NULL AND opt_out_source IS NOT 'number_changed'"),
        1,
        "one customer"
    );
    // The old number keeps the STOP on a contact of its own (no thread, no id of the new one).
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM contacts WHERE phone_e164 IS NOT NULL AND phone_e164 NOT LIKE '%{}'
               AND opted_out_at IS NOT NULL AND opt_out_source = 'number_changed' AND user_id IS NULL",
            &NEW_NUMBER[5..]
        )),
        1,
        "the old number is still opted out"
    );
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert!(detail.conversation.opted_out, "still opted out under the new number");
    assert_eq!(detail.conversation.user_id.as_deref(), Some(NEW));
    let inbound: Vec<_> =
        detail.messages.iter().filter(|m| m.direction == "in").filter_map(|m| m.body.clone()).collect();
    assert_eq!(inbound, ["STOP", "¿Sigue el descuento?"]);
    assert_eq!(h.shop.wa.messages().len(), sent_before, "nothing sent to an opted-out customer");
}

/// The same number change when Meta's `user_id_update` leaves the new number out: the customer
/// then writes from the new number under the new BSUID. Their STOP follows them there (and stays
/// on the old number): nothing is sent to them, whichever number a checkout carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_change_without_the_new_number_in_the_update_keeps_the_stop() {
    let h = hooked().await;
    let (_, _, wa_id) = one_reminder(&h).await;
    writes(&h, &Customer::with_number(&wa_id, Some(ANA), "Ana"), "STOP").await;
    let sent_before = h.shop.wa.messages().len();

    const NEW: &str = "AR.4402576394655899";
    const NEW_NUMBER: &str = "5491177770004";
    h.shop.app.clock.advance(chrono::Duration::minutes(5));
    let update = envelope(
        "user_id_update",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "user_id_update": [{"detail": "User id for Ana has been updated.",
                "user_id": {"previous": ANA, "current": NEW}, "timestamp": unix(h.shop.now())}]}),
    );
    assert_eq!(h.post_signed(&update).await, 200);
    h.process();
    h.shop.app.clock.advance(chrono::Duration::minutes(1));
    writes(&h, &Customer::with_number(NEW_NUMBER, Some(NEW), "Ana"), "Hola de nuevo").await;
    let opted_out = |digits: &str| {
        h.count(&format!(
            "SELECT count(*) FROM contacts WHERE phone_e164 LIKE '%{}' AND opted_out_at IS NOT NULL AND merged_into IS NULL",
            &digits[5..]
        ))
    };
    assert_eq!(opted_out(NEW_NUMBER), 1, "the STOP follows the customer to the new number");
    assert_eq!(opted_out(&wa_id), 1, "and stays on the old one");
    // A checkout typed with the new number is never messaged.
    let cart = h.shop.checkout_with_phone(h.shop.now() - chrono::Duration::minutes(20), "+54 9 11 7777-0004");
    h.shop.run_until(h.shop.now() + chrono::Duration::minutes(30), chrono::Duration::minutes(1)).await;
    assert!(h.shop.messages_for(cart).is_empty());
    assert_eq!(h.shop.wa.messages().len(), sent_before, "nothing sent to an opted-out customer");
}

/// A forged delivery (unsigned, accepted while the owner allows it without an app secret) that
/// pairs a stranger's number with a username customer's BSUID is filed under the customer it
/// names, but links nothing: the owner's reply still goes to the customer's BSUID, never to the
/// stranger's number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_message_cannot_point_a_customers_replies_at_another_number() {
    let h = hooked().await;
    writes(&h, &Customer::with_username(ANA, "@ana.luna", "Ana"), "¿Tienen talle M?").await;
    let thread = thread_of_bsuid(&h, ANA);
    h.engine().delete_secret(SecretName::WhatsappAppSecret).unwrap();
    h.engine().setting_set("allow_unsigned_webhooks", "true").unwrap();
    const STRANGER: &str = "5491166660002";
    let forged = envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(),
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": STRANGER, "user_id": ANA}],
            "messages": [{"from": STRANGER, "from_user_id": ANA, "id": "wamid.FORGED1",
                "timestamp": unix(h.shop.now()), "type": "text", "text": {"body": "hola"}}]}),
    );
    assert_eq!(h.post(&serde_json::to_vec(&forged).unwrap(), None).await, 200, "allowed by the owner");
    h.process();
    let detail = h.engine().conversation_detail(thread).unwrap();
    assert_eq!(detail.conversation.phone, None, "no number planted on the customer");
    assert_eq!(detail.conversation.user_id.as_deref(), Some(ANA));
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE merged_into IS NOT NULL"), 0, "nothing merged");

    h.shop.app.clock.advance(chrono::Duration::seconds(30));
    h.engine().send_text(thread, "Sí, tenemos talle M.").await.unwrap();
    assert_eq!(texts_to(&h, ANA), ["Sí, tenemos talle M."]);
    assert!(texts_to(&h, STRANGER).is_empty(), "nothing to the stranger's number");
}
