//! Coexistence health against the sandbox WhatsApp over loopback, with signed webhooks into the
//! engine's real receiver and a real SQLite file: a disconnected number is found by the periodic
//! `is_on_biz_app` check (and at once after a send error that says so) and told once; twelve
//! days without a message from the phone bring one reminder; contacts and history are requested
//! once, imported into the right threads without acting on them (but an old STOP holds), and a refusal is shown with its
//! code and asked again only by the owner.

use chrono::Duration;
use recupero::engine::CoexistenceState;
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::sandbox::whatsapp::{PastThread, WaFault};
use recupero::secrets::{SecretName, Sensitive};
use recupero::storage::coexistence::HistoryState;
use serde_json::json;
use tokio::sync::broadcast::Receiver;

use crate::support::hooked::{hooked, Hooked};

/// A hooked shop whose engine can also call Meta itself (the check, the sync requests).
async fn linked_shop() -> Hooked {
    let h = hooked().await;
    let engine = h.engine();
    let wa = &h.shop.wa;
    engine.setting_set("whatsapp_base_url", &wa.base_url()).unwrap();
    engine.setting_set("whatsapp_waba_id", &wa.config().business_account_id).unwrap();
    engine.set_secret(SecretName::WhatsappToken, Sensitive::new(wa.config().token.clone())).unwrap();
    h
}

fn problems(rx: &mut Receiver<EngineEvent>) -> Vec<OwnerProblem> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let EngineEvent::NeedsOwner { problem } = event {
            out.push(problem);
        }
    }
    out
}

async fn step(h: &Hooked) {
    h.engine().coexistence_step().await.unwrap();
    h.shop.wa.flush().await;
    h.process();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_number_is_found_told_once_and_shown_until_it_is_back() {
    let h = linked_shop().await;
    let mut rx = h.engine().events().subscribe();
    // Never on the Business app: a plain Cloud API number is not an incident.
    step(&h).await;
    assert_eq!(h.engine().coexistence().unwrap().state, CoexistenceState::NotLinked);
    assert!(h.shop.wa.sync_requests().is_empty(), "nothing asked of a phone that isn't there");
    h.shop.app.clock.advance(Duration::hours(6));
    h.shop.wa.link_business_app(vec![], vec![], false);
    step(&h).await;
    let health = h.engine().status().unwrap().coexistence;
    assert_eq!((health.state, health.platform_type.as_deref()), (CoexistenceState::Ok, Some("CLOUD_API")));
    // Meta drops the link: seen at the next check, six hours on, not before.
    h.shop.wa.unlink_business_app();
    h.shop.app.clock.advance(Duration::hours(5));
    step(&h).await;
    assert_eq!(h.engine().coexistence().unwrap().state, CoexistenceState::Ok, "not checked again yet");
    h.shop.app.clock.advance(Duration::hours(1));
    step(&h).await;
    let health = h.engine().status().unwrap().coexistence;
    assert_eq!(health.state, CoexistenceState::Disconnected);
    assert_eq!(health.reason.as_deref(), Some("not_on_business_app"));
    h.shop.app.clock.advance(Duration::hours(12));
    step(&h).await;
    step(&h).await;
    assert_eq!(problems(&mut rx), [OwnerProblem::NumberDisconnected], "told once per incident");
    let notice = recupero::notice::notice_for(
        &EngineEvent::NeedsOwner { problem: OwnerProblem::NumberDisconnected },
        recupero::i18n::Lang::Es,
    )
    .unwrap();
    assert!(!notice.title.is_empty() && !notice.body.is_empty());
    // Reconnected: the next check ends the incident; a later one is a new incident, told again.
    h.shop.wa.link_business_app(vec![], vec![], false);
    h.shop.app.clock.advance(Duration::hours(6));
    step(&h).await;
    assert_eq!(h.engine().coexistence().unwrap().state, CoexistenceState::Ok);
    h.shop.wa.unlink_business_app();
    h.shop.app.clock.advance(Duration::hours(6));
    step(&h).await;
    assert_eq!(problems(&mut rx), [OwnerProblem::NumberDisconnected]);
    // The event log keeps each incident and its end.
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'number_disconnected'"), 2);
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'number_reconnected'"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_error_that_means_disconnected_is_an_incident_checked_at_once() {
    let h = linked_shop().await;
    h.shop.wa.link_business_app(vec![], vec![], false);
    step(&h).await;
    let checked = h.engine().coexistence().unwrap().checked_at;
    let mut rx = h.engine().events().subscribe();
    h.shop.wa.inject(WaFault::Error { code: 133010 });
    let id = h.shop.checkout(h.shop.now() - Duration::minutes(20));
    h.shop.run_until(h.shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(h.shop.messages_for(id).is_empty());
    assert!(h.engine().status().unwrap().paused, "the send path pauses everything (its own reason)");
    let health = h.engine().coexistence().unwrap();
    assert_eq!((health.state, health.reason.as_deref()), (CoexistenceState::Disconnected, Some("133010")));
    h.shop.wa.unlink_business_app();
    step(&h).await;
    let health = h.engine().coexistence().unwrap();
    assert_ne!(health.checked_at, checked, "checked at once, not six hours later");
    assert_eq!(health.reason.as_deref(), Some("not_on_business_app"), "the same incident, its reason now");
    let told = problems(&mut rx);
    assert_eq!(told.iter().filter(|p| **p == OwnerProblem::NumberDisconnected).count(), 1, "{told:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_days_without_the_phone_bring_one_reminder_and_an_echo_resets_it() {
    let h = linked_shop().await;
    h.shop.wa.link_business_app(vec![], vec![], false);
    step(&h).await;
    h.shop.wa.owner_writes_from_phone("541155550001", "Hola, te escribo desde el teléfono");
    h.shop.wa.flush().await;
    h.process();
    let mut rx = h.engine().events().subscribe();
    for _ in 0..(11 * 4) {
        h.shop.app.clock.advance(Duration::hours(6));
        step(&h).await;
    }
    assert!(!h.engine().coexistence().unwrap().phone_reminder, "11 days: not yet");
    assert!(problems(&mut rx).is_empty());
    for _ in 0..4 {
        h.shop.app.clock.advance(Duration::hours(6));
        step(&h).await;
    }
    let health = h.engine().status().unwrap().coexistence;
    assert!(health.phone_reminder, "{health:?}");
    assert_eq!(health.days_without_phone, Some(12));
    assert_eq!(problems(&mut rx), [OwnerProblem::PhoneInactive], "once per silence");
    let notice = recupero::notice::notice_for(
        &EngineEvent::NeedsOwner { problem: OwnerProblem::PhoneInactive },
        recupero::i18n::Lang::En,
    )
    .unwrap();
    assert!(notice.body.contains("14"), "{notice:?}");
    // The owner writes from the phone: the silence ends; the next one is reminded again.
    h.shop.wa.owner_writes_from_phone("541155550001", "Listo");
    h.shop.wa.flush().await;
    h.process();
    step(&h).await;
    assert!(!h.engine().coexistence().unwrap().phone_reminder);
    h.shop.app.clock.advance(Duration::days(12));
    step(&h).await;
    assert_eq!(problems(&mut rx), [OwnerProblem::PhoneInactive]);
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'phone_reminder'"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_contacts_come_once_into_the_right_threads_and_nothing_is_acted_on() {
    let h = linked_shop().await;
    let now = h.shop.now();
    let threads = vec![
        PastThread {
            customer: "5491155550101".into(),
            messages: vec![
                (true, "STOP".into(), now - Duration::days(3)),
                (false, "Te aviso cuando llegue".into(), now - Duration::days(3) + Duration::hours(1)),
            ],
        },
        PastThread {
            customer: "5491155550102".into(),
            messages: vec![(
                true,
                "Quiero hablar con una persona, es una estafa".into(),
                now - Duration::days(100),
            )],
        },
        // Said BAJA, then asked to hear again: the later word holds.
        PastThread {
            customer: "5491155550103".into(),
            messages: vec![
                (true, "ALTA".into(), now - Duration::days(10)),
                (true, "BAJA".into(), now - Duration::days(20)),
            ],
        },
    ];
    h.shop.wa.link_business_app(vec![("Pablo Morales".into(), "5491155550101".into())], threads, false);
    step(&h).await;
    let kinds: Vec<String> = h.shop.wa.sync_requests().into_iter().map(|r| r.0).collect();
    assert_eq!(kinds, ["smb_app_state_sync", "history"], "asked once each, automatically");
    let health = h.engine().coexistence().unwrap();
    assert_eq!((health.history, health.history_progress), (HistoryState::Done, Some(100)));
    assert_eq!(health.history_phase, Some(2));
    assert!(h.shop.wa.messages().is_empty(), "no confirmation of an old STOP either");
    assert!(health.history_request_id.as_deref().is_some_and(|id| id.starts_with("sandbox-sync-")));
    // Past messages in their threads, nothing sent, nothing acted on.
    let first = h.thread_of("541155550101");
    let in_first = h.count(&format!("SELECT count(*) FROM messages WHERE conversation_id = {first}"));
    assert_eq!(in_first, 2);
    assert_eq!(
        h.count(&format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {}",
            h.thread_of("541155550102")
        )),
        1
    );
    assert_eq!(h.conversations(), (3, 0, 0), "no unread, no escalation");
    // The customer's own STOP on the phone still holds (silently); the one who came back doesn't.
    let source: String = h.one("SELECT opt_out_source FROM contacts WHERE wa_id = ?1", "541155550101");
    assert_eq!(source, "history");
    assert_eq!(h.count("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL"), 1);
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'escalated'"), 0);
    assert_eq!(h.count("SELECT count(*) FROM drafts"), 0);
    assert!(h.shop.wa.messages().is_empty(), "nothing sent");
    let name: String = h.one("SELECT name FROM contacts WHERE wa_id = ?1", "541155550101");
    assert_eq!(name, "Pablo Morales", "the owner's address-book name");
    // Never again automatically; the owner can't ask again after a success either.
    h.shop.app.clock.advance(Duration::hours(6));
    step(&h).await;
    assert_eq!(h.shop.wa.sync_requests().len(), 2);
    assert!(h.engine().request_history(true).await.is_err());
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'history_requested'"), 1);
    // The contact leaves the address book: its name goes with it.
    let removal = json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491155550000", "phone_number_id": "1055500000000"},
        "state_sync": [{"type": "contact", "contact": {"phone_number": "541155550101"}, "action": "remove",
            "metadata": {"timestamp": "1738346006"}}]});
    assert!(h.shop.wa.post_raw("smb_app_state_sync", removal));
    h.shop.wa.flush().await;
    h.process();
    let name: Option<String> = h.one("SELECT name FROM contacts WHERE wa_id = ?1", "541155550101");
    assert_eq!(name, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_history_shows_its_code_and_only_the_owner_asks_again() {
    let h = linked_shop().await;
    h.shop.wa.link_business_app(vec![], vec![], true);
    step(&h).await;
    let health = h.engine().coexistence().unwrap();
    assert_eq!((health.history, health.history_code.as_deref()), (HistoryState::Failed, Some("2593109")));
    assert!(health.history_detail.as_deref().is_some_and(|d| d.contains("turned off")), "{health:?}");
    for _ in 0..3 {
        h.shop.app.clock.advance(Duration::hours(6));
        step(&h).await;
    }
    assert_eq!(h.shop.wa.sync_requests().len(), 2, "never asked again by itself");
    // The owner's click: Meta allows one request per number, and says so.
    let health = h.engine().request_history(true).await.unwrap();
    assert_eq!((health.history, health.history_code.as_deref()), (HistoryState::Failed, Some("2593107")));
    assert_eq!(health.contacts_code.as_deref(), Some("2593107"));
    assert_eq!(h.shop.wa.sync_requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_seen_after_the_24_hour_window_shows_2593108() {
    let h = linked_shop().await;
    h.shop.wa.link_business_app(vec![], vec![], false);
    h.shop.app.clock.advance(Duration::hours(25));
    step(&h).await;
    let health = h.engine().coexistence().unwrap();
    assert_eq!((health.history, health.history_code.as_deref()), (HistoryState::Failed, Some("2593108")));
    assert!(h.shop.wa.sync_requests().is_empty());
}
