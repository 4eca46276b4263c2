//! The webhook receiver end to end: real HTTP on loopback into the engine's receiver, signed
//! like Meta signs, stored before the 200, processed idempotently. Payload shapes follow the
//! reference (§4.4, §5.4); the sandbox WhatsApp delivers its own signed webhooks too.

use chrono::{DateTime, Duration, Utc};
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::sandbox::whatsapp::DeliveryBehaviour;
use recupero::webhooks::sign;
use serde_json::{json, Value};

use crate::support::hooked::{envelope, hooked, metadata, one_reminder, text_from, unix, Hooked, APP_SECRET};
use crate::support::shop::{local, Shop, BA};

fn status(wamid: &str, status: &str, recipient: &str, at: DateTime<Utc>, error: Option<i64>) -> Value {
    let mut st = json!({"id": wamid, "status": status, "timestamp": unix(at), "recipient_id": recipient});
    if let Some(code) = error {
        st["errors"] = json!([{"code": code, "title": "x", "message": "x", "error_data": {"details": format!("detail {code}")}}]);
    }
    envelope("messages", json!({"messaging_product": "whatsapp", "metadata": metadata(), "statuses": [st]}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_handshake_answers_the_challenge_only_with_the_verify_token() {
    let h = hooked().await;
    let token = h.engine().settings().unwrap().webhook_verify_token;
    assert!(token.len() >= 16 && h.engine().settings().unwrap().webhook_path.len() >= 24);
    let get = |q: String| {
        let url = format!("{}?{q}", h.url);
        let http = h.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let ok = get(format!("hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")).await;
    assert_eq!(ok, (200, "1158201444".to_string()));
    assert_eq!(get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".into()).await.0, 403);
    let wrong_path = h.url.rsplit_once('/').unwrap().0.to_string() + "/guessed";
    let r = h
        .http
        .get(format!("{wrong_path}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "only the secret path answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_wrongly_signed_or_malformed_posts_are_refused_and_nothing_is_stored() {
    let h = hooked().await;
    let now = h.shop.now();
    let body = serde_json::to_vec(&text_from("5491150001111", "Ana", "wamid.IN1", "hola", now)).unwrap();
    assert_eq!(h.post(&body, None).await, 401, "no signature");
    assert_eq!(h.post(&body, Some(sign(b"another secret", &body))).await, 403, "signed with another secret");
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    assert_eq!(
        h.post(&tampered, Some(sign(APP_SECRET.as_bytes(), &body))).await,
        403,
        "body changed after signing"
    );
    let not_json = b"{\"object\": \"whatsapp_business_account\", \"entry\": [".to_vec();
    assert_eq!(h.post(&not_json, Some(sign(APP_SECRET.as_bytes(), &not_json))).await, 400, "bad JSON");
    let wrong_path = h.url.replace("/webhook/", "/webhook/x");
    let r = h
        .http
        .post(wrong_path)
        .body(body.clone())
        .header("x-hub-signature-256", sign(APP_SECRET.as_bytes(), &body))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Over the size limit: refused with 413, or the connection is cut while the body is still
    // being written (the server stops reading) — either way nothing is stored.
    let huge = vec![b' '; 5 * 1024 * 1024];
    let fresh = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = fresh
        .post(&h.url)
        .header("x-hub-signature-256", sign(APP_SECRET.as_bytes(), &huge))
        .body(huge)
        .send()
        .await;
    assert!(r.as_ref().map_or(true, |r| r.status().as_u16() == 413), "over the size limit: {r:?}");
    assert_eq!(h.webhook_events().0, 0, "nothing refused was stored");
    assert_eq!(h.post(&body, Some(sign(APP_SECRET.as_bytes(), &body))).await, 200);
    assert_eq!(h.webhook_events().0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_webhook_delivered_ten_times_is_stored_and_applied_once() {
    let h = hooked().await;
    let body =
        text_from("5491150002222", "Bruno 🚀", "wamid.IN2", "¿Hacen envíos al interior?", h.shop.now());
    for _ in 0..10 {
        assert_eq!(h.post_signed(&body).await, 200);
    }
    assert_eq!(h.webhook_events().0, 1);
    assert_eq!(h.webhook_events().2, 10);
    h.process();
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.IN2'"), 1);
    let (threads, unread, _) = h.conversations();
    assert_eq!((threads, unread), (1, 1), "one unread message, not ten");
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'customer_replied'"), 1);
    let name: String = h.one("SELECT name FROM contacts WHERE wa_id = ?1", "5491150002222");
    assert_eq!(name, "Bruno 🚀");
    // The same message inside another envelope (Meta's duplicates to every subscribed app).
    let mut other = body.clone();
    other["entry"][0]["time"] = json!(1);
    assert_eq!(h.post_signed(&other).await, 200);
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.IN2'"), 1, "deduped by wamid too");
    assert_eq!(h.webhook_events().1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_before_delivered_is_never_downgraded_and_a_failure_after_sent_is_kept() {
    let h = hooked().await;
    h.shop.wa.set_webhook(None); // this test delivers the statuses itself, in its own order
    let (_, wamid, to) = one_reminder(&h).await;
    let t = h.shop.now();
    for s in ["read", "sent", "delivered", "read", "delivered"] {
        assert_eq!(h.post_signed(&status(&wamid, s, &to, t, None)).await, 200);
        h.process();
    }
    let st: String = h.one("SELECT status FROM messages WHERE wamid = ?1", &wamid);
    assert_eq!(st, "read");
    assert_eq!(h.count("SELECT count(*) FROM message_statuses"), 3, "sent, delivered, read: once each");

    let (id2, wamid2, to2) = one_reminder(&h).await;
    h.post_signed(&status(&wamid2, "sent", &to2, t, None)).await;
    h.post_signed(&status(&wamid2, "failed", &to2, t, Some(131026))).await;
    h.post_signed(&status(&wamid2, "sent", &to2, t + Duration::seconds(1), None)).await;
    h.process();
    let (st, code): (String, String) = h
        .engine()
        .db()
        .conn()
        .query_row("SELECT status, error_code FROM messages WHERE wamid = ?1", [&wamid2], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((st.as_str(), code.as_str()), ("failed", "131026"));
    assert_eq!(h.shop.send(id2, 0), ("failed".into(), None), "the send records the failure, never to resend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_delivers_signed_statuses_duplicated_and_out_of_order_and_nothing_goes_backwards() {
    let h = hooked().await;
    h.shop.wa.set_delivery(DeliveryBehaviour {
        read: true,
        duplicate_rate: 1.0,
        out_of_order_rate: 1.0,
        fail_rate: 0.0,
        fail_code: 131026,
        seed: 3,
    });
    let (id, wamid, _) = one_reminder(&h).await;
    h.shop.wa.flush().await;
    h.process();
    let st: String = h.one("SELECT status FROM messages WHERE wamid = ?1", &wamid);
    assert_eq!(st, "read");
    let stored = h.webhook_events().0;
    let posts = h.webhook_events().2;
    assert!(posts > stored, "duplicates arrived ({posts} posts) and were stored once ({stored})");
    let cart = h.shop.cart_id(id);
    let kinds: Vec<String> =
        h.engine().cart_timeline(cart).unwrap().entries.into_iter().map(|e| e.kind).collect();
    assert!(kinds.iter().any(|k| k == "read") && kinds.iter().any(|k| k == "delivered"), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_from_the_phone_pauses_automation_for_that_customer() {
    let h = hooked().await;
    // Two customers leave checkouts at 09:50; the owner answers one of them from the phone app.
    let start = h.shop.now();
    let quiet = h.shop.checkout_with_phone(start - Duration::minutes(16), "+54 9 11 5555-0001");
    let other = h.shop.checkout_with_phone(start - Duration::minutes(16), "+54 9 11 5555-0002");
    h.shop.app.engine.poll_due_stores().await.unwrap();
    assert_eq!(h.shop.send(quiet, 0).0, "planned");
    // Argentina: WhatsApp's id drops the mobile 9.
    h.shop.wa.owner_writes_from_phone("541155550001", "Hola! Te escribo yo por tu pedido");
    h.shop.wa.flush().await;
    h.process();
    let origin: String = h.one("SELECT origin FROM messages WHERE body LIKE ?1", "Hola! Te escribo%");
    assert_eq!(origin, "phone");
    h.shop.run_until(start + Duration::minutes(60), Duration::minutes(1)).await;
    assert_eq!(h.shop.send(quiet, 0), ("skipped".into(), Some("takeover".into())));
    assert!(h.shop.messages_for(quiet).is_empty(), "automation stayed away");
    assert_eq!(h.shop.messages_for(other).len(), 1, "the other customer is not affected");
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'takeover'"), 1);
    let paused = h.count(
        "SELECT automation_paused FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE k.phone_e164 = '+5491155550001'",
    );
    assert_eq!(paused, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_reply_in_every_message_type_and_stop_opts_out() {
    let h = hooked().await;
    let (id, wamid, to) = one_reminder(&h).await;
    let t = h.shop.now();
    let msg = |n: u32, m: Value| {
        let mut m = m;
        m["from"] = json!(to);
        m["id"] = json!(format!("wamid.T{n}"));
        m["timestamp"] = json!(unix(t + Duration::seconds(i64::from(n))));
        m
    };
    let messages = vec![
        msg(
            1,
            json!({"type": "image", "image": {"id": "m1", "mime_type": "image/jpeg", "sha256": "x", "caption": "así llegó 📦"}}),
        ),
        msg(
            2,
            json!({"type": "location", "location": {"latitude": -34.6, "longitude": -58.4, "name": "Casa"}}),
        ),
        msg(3, json!({"type": "reaction", "reaction": {"message_id": wamid, "emoji": "❤️"}})),
        msg(
            4,
            json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Sí, quiero"}}}),
        ),
        msg(
            5,
            json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Pablo Morales"}, "phones": [{"phone": "+5491100000000"}]}]}),
        ),
        msg(
            6,
            json!({"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown", "error_data": {"details": "Message type is currently not supported."}}]}),
        ),
        msg(7, json!({"type": "text", "text": {"body": "مرحبا، هل لديكم مقاس M؟\nגם בכחול?"}})),
        msg(
            8,
            json!({"type": "button", "button": {"payload": "Stop promotions", "text": "Stop promotions"}, "context": {"from": "5491100000000", "id": wamid}}),
        ),
    ];
    let body = envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "metadata": metadata(), "contacts": [{"profile": {"name": "Ana"}, "wa_id": to}], "messages": messages}),
    );
    assert_eq!(h.post_signed(&body).await, 200);
    h.process();
    let kinds: Vec<(String, Option<String>)> = {
        let conn = h.engine().db().conn();
        let mut stmt = conn
            .prepare("SELECT kind, body FROM messages WHERE direction = 'in' ORDER BY created_at")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let names: Vec<&str> = kinds.iter().map(|k| k.0.as_str()).collect();
    assert_eq!(
        names,
        ["image", "location", "reaction", "interactive", "contacts", "unsupported", "text", "button"]
    );
    assert_eq!(kinds[0].1.as_deref(), Some("así llegó 📦"));
    assert!(kinds[1].1.as_deref().unwrap().starts_with("Casa"));
    assert_eq!(kinds[3].1.as_deref(), Some("Sí, quiero"));
    assert_eq!(kinds[4].1.as_deref(), Some("Pablo Morales"));
    assert!(kinds[6].1.as_deref().unwrap().contains("גם בכחול"), "RTL text kept as written");
    let code: String = h.one("SELECT error_code FROM messages WHERE kind = ?1", "unsupported");
    assert_eq!(code, "131051");
    let reply_to: String = h.one("SELECT reply_to FROM messages WHERE kind = ?1", "button");
    assert_eq!(reply_to, wamid, "the tap is linked to our reminder");
    let source: String = h.one("SELECT opt_out_source FROM contacts WHERE wa_id = ?1", &to);
    assert_eq!(source, "button", "the Stop promotions button opts out");
    // Follow-ups stop (replied, opted out); nothing more is sent.
    h.shop.run_until(h.shop.now() + Duration::days(2), Duration::hours(1)).await;
    assert_eq!(h.shop.messages_for(id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coexistence_history_contacts_preferences_and_disconnection() {
    let h = hooked().await;
    let mut events = h.engine().events().subscribe();
    let t = h.shop.now();
    let chunk = |order: i64, progress: i64, msgs: Value| {
        envelope(
            "history",
            json!({"messaging_product": "whatsapp", "metadata": metadata(), "history": [{
                "metadata": {"phase": 1, "chunk_order": order, "progress": progress},
                "threads": [{"id": "5511987654321", "messages": msgs}]}]}),
        )
    };
    let old = |n: i64, from: &str, body: &str| {
        json!({"from": from, "to": "5511987654321", "id": format!("wamid.H{n}"), "timestamp": unix(t - Duration::days(30 - n)),
               "type": "text", "text": {"body": body}, "history_context": {"status": "READ"}})
    };
    // The later chunk first.
    h.post_signed(&chunk(2, 100, json!([old(3, "5491100000000", "¡De nada!")]))).await;
    h.post_signed(&chunk(
        1,
        50,
        json!([old(1, "5511987654321", "Oi, tem tamanho G?"), old(2, "5491100000000", "Sim!")]),
    ))
    .await;
    h.post_signed(&envelope(
        "smb_app_state_sync",
        json!({"messaging_product": "whatsapp", "metadata": metadata(), "state_sync": [
            {"type": "contact", "contact": {"full_name": "Pablo Morales", "first_name": "Pablo", "phone_number": "5511987654321"},
             "action": "add", "metadata": {"timestamp": unix(t)}}]}),
    ))
    .await;
    h.process();
    let last: String = h.one(
        "SELECT v.last_message FROM conversations v JOIN contacts k ON k.id = v.contact_id WHERE k.wa_id = ?1",
        "5511987654321",
    );
    assert_eq!(
        last, "¡De nada!",
        "the newest history message is the thread's last, whatever the chunk order"
    );
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.H%'"), 3);
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.H%' AND origin = 'phone'"), 2);
    assert_eq!(h.conversations().1, 0, "history is not unread");
    assert_eq!(
        h.count("SELECT count(*) FROM conversations WHERE last_inbound_at IS NOT NULL"),
        0,
        "no window from history"
    );
    let name: String = h.one("SELECT name FROM contacts WHERE wa_id = ?1", "5511987654321");
    assert_eq!(name, "Pablo Morales");

    // Marketing stop from WhatsApp's own setting, then resume.
    let pref = |value: &str| {
        envelope(
            "user_preferences",
            json!({"messaging_product": "whatsapp", "metadata": metadata(), "contacts": [{"wa_id": "5511987654321"}],
                   "user_preferences": [{"wa_id": "5511987654321", "detail": "x", "category": "marketing_messages", "value": value, "timestamp": 1731705721}]}),
        )
    };
    h.post_signed(&pref("stop")).await;
    h.process();
    let source: String = h.one("SELECT opt_out_source FROM contacts WHERE wa_id = ?1", "5511987654321");
    assert_eq!(source, "meta_user_preferences");
    h.post_signed(&pref("resume")).await;
    h.process();
    let out: Option<String> = h.one("SELECT opted_out_at FROM contacts WHERE wa_id = ?1", "5511987654321");
    assert_eq!(out, None, "resume lifts WhatsApp's own stop");

    // The number is disconnected from the phone app: everything pauses and the owner is told.
    h.post_signed(&envelope(
        "account_update",
        json!({"phone_number": "5491100000000", "event": "PARTNER_REMOVED",
               "disconnection_info": {"reason": "PRIMARY_INACTIVITY", "initiated_by": "SYSTEM"}}),
    ))
    .await;
    h.process();
    assert!(h.engine().settings().unwrap().sending_paused);
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= e == EngineEvent::NeedsOwner { problem: OwnerProblem::NumberDisconnected };
    }
    assert!(told, "a NeedsOwner event for the notification");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_payloads_are_stored_and_never_break_processing() {
    let h = hooked().await;
    let odd = [
        json!({}),
        json!({"object": "page", "entry": []}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": "not an object"}]}]}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"type": "text"}], "statuses": [{"id": 5}]}}]}]}),
        json!({"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "calls", "value": {}}]}]}),
        json!([1, 2, 3]),
    ];
    for body in &odd {
        assert_eq!(h.post_signed(body).await, 200);
    }
    assert_eq!(h.process(), odd.len());
    assert_eq!(h.webhook_events().1, 0);
    assert_eq!(recupero::storage::messages::list(&h.engine().db().conn()).unwrap().len(), 0);
    // And a good one after them still works.
    h.post_signed(&text_from("5491150003333", "Caro", "wamid.OK", "gracias!", h.shop.now())).await;
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.OK'"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_free_text_only_inside_the_window() {
    let h = hooked().await;
    let (_, _, to) = one_reminder(&h).await;
    let thread = h.thread_of(&to);
    let refused = h.engine().send_text(thread, "¿Te ayudo con algo?").await.unwrap_err();
    assert_eq!(refused.code(), "window_closed", "no customer message yet: only a template");
    h.shop.wa.customer_says(&to, "Ana", "Hola, ¿tienen talle M?");
    h.shop.wa.flush().await;
    h.process();
    assert!(h.engine().window_closes_at(thread).unwrap().is_some());
    let sent = h.engine().send_text(thread, "¡Sí! Te lo reservo.\nAbrazo").await.unwrap();
    assert_eq!((sent.origin.as_str(), sent.status.as_deref()), ("app", Some("accepted")));
    assert_eq!(h.shop.wa.messages().last().unwrap().text.as_deref(), Some("¡Sí! Te lo reservo.\nAbrazo"));
    h.shop.app.clock.advance(Duration::hours(25));
    assert_eq!(h.engine().send_text(thread, "¿Seguís ahí?").await.unwrap_err().code(), "window_closed");
}

fn serve(dir: &std::path::Path, ack_delay_ms: Option<u64>) -> std::process::Child {
    let delay = ack_delay_ms.map(|ms| ms.to_string());
    let mut env = vec![("RECUPERO_WHATSAPP_APP_SECRET", APP_SECRET)];
    if let Some(ms) = &delay {
        env.push(("RECUPERO_TEST_WEBHOOK_ACK_DELAY_MS", ms));
    }
    crate::support::spawn_serve(dir, &env, std::process::Stdio::null())
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..200 {
        if ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_killed_between_storing_and_answering_loses_and_doubles_nothing() {
    let heavy = crate::support::watchdog::heavy(
        "webhooks::the_receiver_killed_between_storing_and_answering",
        std::time::Duration::from_secs(180),
    )
    .await;
    let app = crate::support::spawn_app();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    app.engine.setting_set("webhook_port", &port.to_string()).unwrap();
    let path = app.engine.settings().unwrap().webhook_path;
    let dir = app.dir.path().to_path_buf();
    heavy.watch_dir(&dir);
    drop(app.engine);
    let url = format!("http://127.0.0.1:{port}/webhook/{path}");
    let db_path = dir.join("recupero.sqlite3");
    let open = || {
        let conn = rusqlite::Connection::open(&db_path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        conn
    };
    let count = |sql: &str| -> i64 { open().query_row(sql, [], |r| r.get(0)).unwrap() };
    // (stored, unprocessed, POSTs counted) and (threads, unread, escalated), as the app counts them.
    let webhook_events = || recupero::storage::webhook_events::counts(&open()).unwrap();
    let conversations = || recupero::storage::conversations::counts(&open()).unwrap();
    let http =
        reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(30)).build().unwrap();
    let up = |http: reqwest::Client, url: String| async move {
        for _ in 0..300 {
            if http.get(&url).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the receiver did not come up");
    };

    let body = serde_json::to_vec(&text_from(
        "5491150009999",
        "Dana",
        "wamid.KILL",
        "¿sigue el descuento?",
        local(BA, 2026, 11, 20, 10, 0),
    ))
    .unwrap();
    let signature = sign(APP_SECRET.as_bytes(), &body);

    // 1. The receiver stores the delivery, then is killed before it answers.
    let mut child = serve(&dir, Some(10_000));
    up(http.clone(), url.clone()).await;
    let post = {
        let (http, url, body, signature) = (http.clone(), url.clone(), body.clone(), signature.clone());
        tokio::spawn(async move {
            http.post(url)
                .header("x-hub-signature-256", signature)
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    wait_for("the delivery to be stored", || webhook_events().0 == 1).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let answer = post.await.unwrap();
    assert!(answer.is_err(), "Meta got no answer, so it will retry: {answer:?}");

    // 2. After the restart, the stored delivery is processed, and Meta's retry changes nothing.
    let mut child = serve(&dir, None);
    up(http.clone(), url.clone()).await;
    let retry =
        http.post(&url).header("x-hub-signature-256", &signature).body(body.clone()).send().await.unwrap();
    assert_eq!(retry.status().as_u16(), 200);
    wait_for("processing", || webhook_events().1 == 0).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(webhook_events().0, 1);
    assert_eq!(webhook_events().2, 2, "two POSTs, one stored delivery");
    assert_eq!(
        count("SELECT count(*) FROM messages WHERE wamid = 'wamid.KILL'"),
        1,
        "nothing lost, nothing doubled"
    );
    assert_eq!(count("SELECT count(*) FROM events WHERE kind = 'customer_replied'"), 1);
    let (threads, unread, _) = conversations();
    assert_eq!((threads, unread), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_whatsapp_from_the_app_secrets_check_template_and_a_live_app_secret() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-sun 08:00-22:00", start, &[]).await;
    let engine = &shop.app.engine;
    // Only the app's own secrets, whole values on one line; never read back.
    assert_eq!(engine.set_app_secret("store_token", "x").unwrap_err().code(), "invalid");
    assert_eq!(engine.set_app_secret("whatsapp_token", "  ").unwrap_err().code(), "invalid");
    assert_eq!(engine.set_app_secret("nonsense", "x").unwrap_err().code(), "secret");
    let states = engine.set_app_secret("assistant_api_key", "sk-live-123").unwrap();
    let key = states.iter().find(|s| s.name == "assistant_api_key").unwrap();
    assert!(key.set);
    assert!(!serde_json::to_string(&states).unwrap().contains("sk-live-123"));

    // The receiver started without an app secret refuses unsigned posts until the owner allows
    // them; once the owner saves the secret in the app, the very next unsigned post is refused
    // (allowed or not) and a signed one accepted.
    let receiver = engine.start_webhooks(Some(0)).await.unwrap();
    let url = format!("http://{}/webhook/{}", receiver.addr(), engine.settings().unwrap().webhook_path);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = serde_json::to_vec(&text_from("5491150009999", "Lu", "wamid.LIVE1", "hola", start)).unwrap();
    let post = |sig: Option<String>| {
        let mut req = http.post(&url).header("content-type", "application/json").body(body.clone());
        if let Some(s) = sig {
            req = req.header("x-hub-signature-256", s);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None).await, 401);
    assert!(engine.webhook_info().unwrap().last_webhook_at.is_none(), "nothing refused was stored");
    engine.setting_set("allow_unsigned_webhooks", "true").unwrap();
    assert_eq!(post(None).await, 200);
    engine.set_app_secret("whatsapp_app_secret", APP_SECRET).unwrap();
    assert_eq!(post(None).await, 401);
    assert_eq!(post(Some(sign(APP_SECRET.as_bytes(), &body))).await, 200);
    let info = engine.webhook_info().unwrap();
    assert!(info.url.ends_with(&engine.settings().unwrap().webhook_path) && !info.verify_token.is_empty());
    assert!(info.last_webhook_at.is_some());

    // "Check connection" lists the account's templates and says the recovery one is approved;
    // creating it again for another name goes to review.
    let check = engine.whatsapp_check().await.unwrap();
    assert!(check.approved, "{check:?}");
    assert!(check.templates.iter().any(|t| t.name == check.template_name && t.status == "APPROVED"));
    engine.setting_set("template_name", "recupero_nuevo").unwrap();
    let check = engine.whatsapp_check().await.unwrap();
    assert!(!check.approved);
    assert_eq!(engine.whatsapp_create_template("not a url").await.unwrap_err().code(), "invalid");
    let created = engine.whatsapp_create_template("https://tienda.example/checkout/").await.unwrap();
    let mine: Vec<_> = created.iter().filter(|t| t.name == "recupero_nuevo").collect();
    assert_eq!(mine.len(), 3, "es, pt_BR and en: {created:?}");
    assert!(mine.iter().all(|t| t.status != "APPROVED"), "{mine:?}");
    // As WhatsApp stores them: each with the marketing opt-out quick reply, whose tap opts out.
    let stored: Vec<_> = shop.wa.templates().into_iter().filter(|t| t.name == "recupero_nuevo").collect();
    assert_eq!(stored.len(), 3);
    for t in &stored {
        let stop = t.stop_button().unwrap_or_else(|| panic!("{} has a Stop promotions button", t.language));
        assert!(recupero::domain::opt_out::is_stop_button(None, Some(stop)), "{stop}");
    }

    // The test message to the owner's own phone uses an approved language of the template.
    engine.setting_set("template_name", recupero::sandbox::whatsapp::TEMPLATE).unwrap();
    engine.whatsapp_check().await.unwrap();
    assert_eq!(engine.send_test_message("no es un número").await.unwrap_err().code(), "invalid");
    let wamid = engine.send_test_message("+54 9 11 5555-0199").await.unwrap();
    let got = shop.wa.messages().into_iter().find(|m| m.wamid == wamid).expect("the sandbox got it");
    assert_eq!(got.kind, "template");
    assert_eq!(got.template, recupero::sandbox::whatsapp::TEMPLATE);
    assert!(got.body.iter().any(|p| p == "Prueba"), "{:?}", got.body);
}

/// Opts a customer out by a signed STOP and another by WhatsApp's signed marketing "stop",
/// then removes the app secret: from here on every delivery is unsigned.
async fn opted_out_then_no_secret(h: &Hooked) {
    let t = h.shop.now();
    assert_eq!(h.post_signed(&text_from("5491150001111", "Ana", "wamid.STOP1", "STOP", t)).await, 200);
    assert_eq!(h.post_signed(&preference("5491150002222", "stop")).await, 200);
    h.process();
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL"), 2);
    h.engine().delete_secret(recupero::secrets::SecretName::WhatsappAppSecret).unwrap();
}

fn preference(wa_id: &str, value: &str) -> Value {
    envelope(
        "user_preferences",
        json!({"messaging_product": "whatsapp", "metadata": metadata(), "contacts": [{"wa_id": wa_id}],
               "user_preferences": [{"wa_id": wa_id, "detail": "x", "category": "marketing_messages", "value": value, "timestamp": 1731705721}]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_alta_with_no_app_secret_is_refused_and_the_opt_out_stays() {
    let h = hooked().await;
    opted_out_then_no_secret(&h).await;
    let stored = h.webhook_events().0;
    let alta =
        serde_json::to_vec(&text_from("5491150001111", "Ana", "wamid.ALTA1", "ALTA", h.shop.now())).unwrap();
    assert_eq!(h.post(&alta, None).await, 401, "no signature and none allowed");
    assert_eq!(
        h.post(&alta, Some(sign(APP_SECRET.as_bytes(), &alta))).await,
        401,
        "nothing to check it with"
    );
    let resume = serde_json::to_vec(&preference("5491150002222", "resume")).unwrap();
    assert_eq!(h.post(&resume, None).await, 401);
    h.process();
    assert_eq!(h.webhook_events().0, stored, "nothing refused was stored");
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL"), 2, "both stay out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_deliveries_when_allowed_are_stored_but_never_lift_resume_pause_or_take_over() {
    let h = hooked().await;
    opted_out_then_no_secret(&h).await;
    h.engine().setting_set("allow_unsigned_webhooks", "true").unwrap();
    let t = h.shop.now();
    let unsigned = |v: &Value| serde_json::to_vec(v).unwrap();
    // The opted-out customer's "ALTA", WhatsApp's "resume", a disconnection, a template paused,
    // an echo from "the phone" and a plain message from a new customer.
    let posts = [
        text_from("5491150001111", "Ana", "wamid.ALTA2", "ALTA", t),
        preference("5491150002222", "resume"),
        envelope(
            "account_update",
            json!({"phone_number": "5491100000000", "event": "PARTNER_REMOVED",
                   "disconnection_info": {"reason": "PRIMARY_INACTIVITY", "initiated_by": "SYSTEM"}}),
        ),
        envelope(
            "message_template_status_update",
            json!({"event": "PAUSED", "message_template_id": 1, "message_template_name": recupero::sandbox::whatsapp::TEMPLATE,
                   "message_template_language": "es", "reason": "x"}),
        ),
        envelope(
            "smb_message_echoes",
            json!({"messaging_product": "whatsapp", "metadata": metadata(), "message_echoes": [
                {"from": "5491100000000", "to": "5491150003333", "id": "wamid.ECHO1", "timestamp": unix(t), "type": "text", "text": {"body": "hola"}}]}),
        ),
        text_from("5491150004444", "Bea", "wamid.PLAIN1", "hola, ¿tienen talle M?", t),
    ];
    for body in &posts {
        assert_eq!(h.post(&unsigned(body), None).await, 200, "allowed by the owner");
    }
    h.process();
    let stored = h.count("SELECT count(*) FROM webhook_events WHERE signed = 0 AND processed_at IS NOT NULL");
    assert_eq!(stored, posts.len() as i64);
    assert_eq!(
        h.count("SELECT count(*) FROM messages WHERE wamid IN ('wamid.ALTA2', 'wamid.PLAIN1')"),
        2,
        "the words are kept"
    );
    assert_eq!(
        h.count("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL"),
        2,
        "no opt-out lifted"
    );
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'opted_in'"), 0);
    assert!(!h.engine().settings().unwrap().sending_paused, "no pause from a stranger");
    assert_eq!(h.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.ECHO1'"), 0, "no echo");
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'takeover'"), 0, "no takeover");
    assert_eq!(h.count("SELECT count(*) FROM conversations WHERE automation_paused = 1"), 0);
    // No automatic answer to an unsigned word: the shop's number writes to nobody a stranger names.
    assert_eq!(
        h.count("SELECT count(*) FROM messages WHERE assist = 'pending'"),
        0,
        "nothing for the assistant"
    );
    assert_eq!(
        h.count(
            "SELECT count(*) FROM messages WHERE client_key LIKE 'optin:%' OR client_key LIKE '%PLAIN1%'"
        ),
        0,
        "no confirmation or reply queued"
    );
    let notes = h.count("SELECT count(*) FROM webhook_events WHERE outcome LIKE '%unsigned%'");
    assert!(notes >= 4, "the outcomes say what was not applied: {notes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_alta_count_in_the_order_they_were_said_not_delivered() {
    let h = hooked().await;
    let t = h.shop.now();
    let out = "SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    // STOP said at t, delivered first; an ALTA said a minute earlier arrives after it (Meta
    // retried it): it must not lift the later STOP.
    assert_eq!(h.post_signed(&text_from("5491150003333", "Eva", "wamid.STOP9", "STOP", t)).await, 200);
    h.process();
    assert_eq!(h.count(out), 1);
    let early = t - Duration::minutes(1);
    assert_eq!(h.post_signed(&text_from("5491150003333", "Eva", "wamid.ALTA9", "ALTA", early)).await, 200);
    h.process();
    assert_eq!(h.count(out), 1, "an ALTA said before the STOP does not lift it");
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'opted_in'"), 0);
    // An ALTA said after the STOP does (a minute later, by the clock too: a time in the future
    // is read as now, and an ALTA in the STOP's own second lifts nothing).
    h.shop.app.clock.advance(Duration::minutes(2));
    let later = t + Duration::minutes(1);
    assert_eq!(h.post_signed(&text_from("5491150003333", "Eva", "wamid.ALTA10", "ALTA", later)).await, 200);
    h.process();
    assert_eq!(h.count(out), 0, "an ALTA said after the STOP lifts it");
}

/// A delivery whose application fails with a transient error (here a busy lock) stays pending and is applied on a later round, not dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_fails_to_apply_is_retried_on_a_later_round() {
    let app = crate::support::spawn_app();
    let engine = &app.engine;
    engine.setting_set("whatsapp_phone_number_id", "1055500000000").unwrap();
    let now = recupero::clock::Clock::now(&app.clock);
    let body = serde_json::to_vec(&text_from("5491155550000", "Ana", "wamid.retry", "Hola", now)).unwrap();
    recupero::storage::webhook_events::store(&engine.db().conn(), &body, true, &recupero::storage::ts(now))
        .unwrap();
    // A transient fault (a busy lock on the messages' writes); a rule's refusal would be a
    // permanent error, set aside at once (tests/integration/deliveries.rs).
    let fault = crate::deliveries::TransientFault::on(engine, app.dir.path());
    engine.process_webhooks().unwrap();
    let count = |sql: &str| -> i64 { engine.db().conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM messages"), 0);
    drop(fault);
    // Not before its backoff; then applied.
    engine.process_webhooks().unwrap();
    app.clock.advance(Duration::minutes(2));
    engine.process_webhooks().unwrap();
    assert_eq!(count("SELECT count(*) FROM messages WHERE direction = 'in'"), 1, "applied on a later round");
    assert_eq!(count("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL"), 0);
}

/// A delivery that keeps failing is quarantined after the last attempt (kept, not processed),
/// logged, and the owner is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_keeps_failing_is_quarantined_and_the_owner_told() {
    let app = crate::support::spawn_app();
    let engine = &app.engine;
    let mut events = engine.events().subscribe();
    engine.setting_set("whatsapp_phone_number_id", "1055500000000").unwrap();
    let now = recupero::clock::Clock::now(&app.clock);
    let body = serde_json::to_vec(&text_from("5491155550000", "Ana", "wamid.stuck", "Hola", now)).unwrap();
    recupero::storage::webhook_events::store(&engine.db().conn(), &body, true, &recupero::storage::ts(now))
        .unwrap();
    // A transient fault (a busy lock on the messages' writes); a rule's refusal would be a
    // permanent error, set aside at once (tests/integration/deliveries.rs).
    let fault = crate::deliveries::TransientFault::on(engine, app.dir.path());
    for _ in 0..recupero::engine::webhooks::MAX_ATTEMPTS {
        engine.process_webhooks().unwrap();
        app.clock.advance(Duration::days(1));
    }
    let count = |sql: &str| -> i64 { engine.db().conn().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT count(*) FROM webhook_events WHERE quarantined_at IS NOT NULL AND processed_at IS NULL"
        ),
        1
    );
    assert_eq!(count("SELECT count(*) FROM events WHERE kind = 'webhook_quarantined'"), 1);
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= matches!(e, EngineEvent::NeedsOwner { problem: OwnerProblem::DeliveryQuarantined });
    }
    assert!(told, "the owner is told");
    // The owner's retry puts it back in line; with the cause gone it is applied.
    drop(fault);
    recupero::storage::webhook_events::release_quarantined(&engine.db().conn()).unwrap();
    engine.process_webhooks().unwrap();
    assert_eq!(count("SELECT count(*) FROM messages WHERE direction = 'in'"), 1);
}

/// WhatsApp reports an Argentine mobile without its `9` (`5411…`) while a checkout's number is
/// written `+549 11…`: one customer, one contact. A customer who wrote first and said STOP, then
/// abandons a checkout, is never messaged; and a contact already split in two by an older
/// version (the STOP on the `+5411…` one) is joined when the checkout comes, the STOP kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_argentine_customer_who_said_stop_first_is_one_contact_with_their_checkout() {
    let h = hooked().await;
    let at = h.shop.now();
    // 1. Wrote first from WhatsApp (wa_id without the 9), then STOP.
    assert_eq!(h.post_signed(&text_from("541155550101", "Ana", "wamid.AR1", "Hola", at)).await, 200);
    assert_eq!(h.post_signed(&text_from("541155550101", "Ana", "wamid.AR2", "STOP", at)).await, 200);
    h.process();
    let cart = h.shop.checkout_with_phone(h.shop.now() - Duration::minutes(20), "+54 9 11 5555-0101");
    h.shop.run_until(h.shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(h.shop.messages_for(cart).is_empty(), "the STOP holds for the checkout's number");
    assert_eq!(not_sent_because(&h, cart), "opted_out");
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE phone_e164 LIKE '+54%1155550101'"), 1);

    // 2. A contact split by an older version: the STOP on `+5411…`, the cart's `+54911…` apart.
    {
        let conn = h.engine().db().conn();
        conn.execute(
            "INSERT INTO contacts (phone_e164, wa_id, opted_out_at, opt_out_source, created_at)
             VALUES ('+541155550202', '541155550202', ?1, 'keyword', ?1)",
            [recupero::storage::ts(at)],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO contacts (phone_e164, created_at) VALUES ('+5491155550202', ?1)",
            [recupero::storage::ts(at)],
        )
        .unwrap();
    }
    let split = h.shop.checkout_with_phone(h.shop.now() - Duration::minutes(20), "+54 11 5555-0202");
    h.shop.run_until(h.shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(h.shop.messages_for(split).is_empty(), "the older contact's STOP holds after the join");
    assert_eq!(not_sent_because(&h, split), "opted_out");
    assert_eq!(
        h.count(
            "SELECT count(*) FROM contacts WHERE phone_e164 LIKE '+54%1155550202' AND merged_into IS NULL"
        ),
        1,
        "one customer, one contact"
    );
}

/// Why the cart of checkout `external` was not sent, as its timeline says.
fn not_sent_because(h: &Hooked, external: u64) -> String {
    let timeline = h.engine().cart_timeline(h.shop.cart_id(external)).unwrap();
    assert_eq!(timeline.cart.status, "not_sent");
    let skipped = timeline.entries.iter().find(|e| e.kind == "skipped");
    skipped.and_then(|e| e.reason.clone()).unwrap_or_else(|| panic!("{:?}", timeline.entries))
}
