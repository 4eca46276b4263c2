//! The send plan end to end, with the test clock: the sandbox store on loopback, the engine's
//! poller, planner and dispatcher, and the sandbox WhatsApp (real HTTP through the Cloud API
//! client) counting exactly what each customer received.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use recupero::clock::Clock;
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::sandbox::whatsapp::WaFault;
use recupero::stores::Platform;
use rstest::rstest;

use crate::support::shop::{assert_no_duplicates, cloud_client, local, Shop, BA};
use crate::support::{engine_on, store_input};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_detected_at_2340_goes_shortly_after_the_next_opening_and_not_before() {
    let start = local(BA, 2026, 11, 19, 23, 40); // Thursday
    let shop = Shop::open(BA, "mon-fri 09:00-18:00; sat 10:00-13:00", start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    let opening = local(BA, 2026, 11, 20, 9, 0);
    shop.run_until(opening - Duration::minutes(1), Duration::minutes(5)).await;
    assert!(shop.wa.messages().is_empty(), "nothing goes out at night: {:?}", shop.wa.messages());
    assert_eq!(shop.send(id, 0), ("planned".into(), None));
    shop.run_until(opening + Duration::hours(1), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "exactly one message");
    assert!(sent[0].at >= opening && sent[0].at <= opening + Duration::minutes(30), "at {}", sent[0].at);
    let m = &sent[0];
    assert_eq!(m.template, "recupero_carrito");
    assert_eq!(m.body.len(), 4, "first name, store, products, total: {:?}", m.body);
    assert!(m.body[3].chars().any(|c| c.is_ascii_digit()), "the total, formatted: {}", m.body[3]);
    assert!(m.button_suffix.as_deref().is_some_and(|s| !s.is_empty()), "the recovery link's path");
    assert_eq!(shop.send(id, 0).0, "sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_detected_at_1000_goes_within_the_deadline() {
    let start = local(BA, 2026, 11, 20, 10, 0); // Friday
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(16));
    shop.run_until(start + Duration::minutes(120), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= start + Duration::minutes(90), "within 90 minutes of detection: {}", sent[0].at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_carts_detected_overnight_are_spread_not_burst() {
    let start = local(BA, 2026, 11, 19, 19, 0); // Thursday, closed from 18:00
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let mut ids = Vec::new();
    // 300 checkouts abandoned between 19:00 and 07:00, polled as they come.
    for i in 0..300 {
        ids.push(shop.checkout(start + Duration::seconds(i * 144)));
        if i % 25 == 24 {
            shop.app.clock.set(start + Duration::seconds(i * 144) + Duration::minutes(16));
            shop.tick().await;
        }
    }
    let opening = local(BA, 2026, 11, 20, 9, 0);
    shop.run_until(opening - Duration::seconds(1), Duration::minutes(10)).await;
    assert!(shop.wa.messages().is_empty(), "nothing before the opening");
    shop.run_until(opening + Duration::minutes(45), Duration::seconds(20)).await;
    let messages = shop.wa.messages();
    assert_eq!(assert_no_duplicates(&messages), 300, "every cart messaged once");
    let first = messages.iter().map(|m| m.at).min().unwrap();
    let last = messages.iter().map(|m| m.at).max().unwrap();
    assert!(first >= opening, "first at {first}");
    assert!(last <= opening + Duration::minutes(31), "spread over the first 30 minutes: last at {last}");
    assert!(last - first >= Duration::minutes(25), "not a burst: {first} .. {last}");
    // No minute carries much more than its share (300 over 30 minutes = 10 a minute).
    let mut per_minute = std::collections::BTreeMap::new();
    for m in &messages {
        *per_minute.entry((m.at - opening).num_minutes()).or_insert(0) += 1;
    }
    assert!(per_minute.values().all(|&n| n <= 15), "{per_minute:?}");
    // In detection order.
    let order: Vec<u64> =
        ids.iter().map(|id| shop.messages_for(*id)[0].at.timestamp_millis() as u64).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "sent in detection order");
}

/// The computer was off all night: 100 carts abandoned between 19:00 and 07:00 are found when
/// the app starts at 09:20, inside hours. They go out spread over the backlog spread, in the
/// order they were abandoned — never a burst.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carts_found_when_the_app_starts_late_are_spread_not_burst() {
    let start = local(BA, 2026, 11, 20, 9, 20); // Friday, open since 09:00
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let night = local(BA, 2026, 11, 19, 19, 0);
    let ids: Vec<u64> = (0..100).map(|i| shop.checkout(night + Duration::minutes(i * 7))).collect();
    shop.run_until(start + Duration::minutes(50), Duration::seconds(20)).await;
    let messages = shop.wa.messages();
    assert_eq!(assert_no_duplicates(&messages), 100, "every cart messaged once");
    let first = messages.iter().map(|m| m.at).min().unwrap();
    let last = messages.iter().map(|m| m.at).max().unwrap();
    assert!(last - first >= Duration::minutes(25), "not a burst: {first} .. {last}");
    assert!(last <= start + Duration::minutes(35), "spread over about the backlog spread: last at {last}");
    let mut per_minute = std::collections::BTreeMap::new();
    for m in &messages {
        *per_minute.entry((m.at - start).num_minutes()).or_insert(0) += 1;
    }
    // 100 over 30 minutes is about 3 a minute.
    assert!(per_minute.values().all(|&n| n <= 6), "{per_minute:?}");
    let order: Vec<i64> = ids.iter().map(|id| shop.messages_for(*id)[0].at.timestamp_millis()).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "sent in the order they were abandoned");
}

/// A cart abandoned while the app watches still goes soon after detection, not into a backlog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_abandoned_while_the_app_watches_goes_at_once() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    let id = shop.checkout(shop.now());
    shop.run_until(start + Duration::minutes(40), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    // Abandoned after 15 quiet minutes, found by the next poll, sent in that round.
    assert!(sent[0].at <= start + Duration::minutes(5 + 15 + 6), "sent at {}", sent[0].at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_closed_on_saturday_waits_until_monday() {
    let start = local(BA, 2026, 11, 21, 11, 0); // Saturday
                                                // A weekend is longer than the default 24-hour maximum age: this shop allows 72 hours.
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("max_cart_age_hours", "72")]).await;
    let kept = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(2), Duration::minutes(1)).await;
    let monday = local(BA, 2026, 11, 23, 9, 0);
    shop.run_until(monday - Duration::minutes(1), Duration::minutes(30)).await;
    assert!(shop.wa.messages().is_empty(), "nothing on Saturday or Sunday");
    shop.run_until(monday + Duration::minutes(40), Duration::minutes(1)).await;
    let sent = shop.messages_for(kept);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at >= monday && sent[0].at <= monday + Duration::minutes(30), "{}", sent[0].at);

    // With the default 24 hours the same cart is too old by Monday: skipped, with the reason.
    let start = local(BA, 2026, 11, 21, 11, 0);
    let strict = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let old = strict.checkout(start - Duration::minutes(20));
    strict.run_until(monday + Duration::minutes(40), Duration::minutes(30)).await;
    assert!(strict.wa.messages().is_empty());
    assert_eq!(strict.send(old, 0), ("skipped".into(), Some("too_old".into())));
}

#[rstest]
#[case::santiago_spring_forward("America/Santiago", (2026, 9, 5))]
#[case::santiago_fall_back("America/Santiago", (2026, 4, 4))]
#[case::madrid_spring_forward("Europe/Madrid", (2026, 3, 28))]
#[case::madrid_fall_back("Europe/Madrid", (2026, 10, 24))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dst_changes_neither_skip_nor_duplicate_a_send(#[case] tz: &str, #[case] saturday: (i32, u32, u32)) {
    let (y, m, d) = saturday;
    let start = local(tz, y, m, d, 22, 0);
    let shop = Shop::open(tz, "mon-sun 09:00-18:00", start, &[]).await;
    // Carts abandoned through the night of the change, one every 20 minutes until 08:00.
    let mut ids = Vec::new();
    let end = local(tz, y, m, d + 1, 8, 0);
    while shop.now() < end {
        ids.push(shop.checkout(shop.now() - Duration::minutes(16)));
        shop.tick().await;
        shop.app.clock.advance(Duration::minutes(20));
    }
    let opening = local(tz, y, m, d + 1, 9, 0);
    shop.run_until(opening + Duration::hours(2), Duration::minutes(1)).await;
    let messages = shop.wa.messages();
    assert_eq!(assert_no_duplicates(&messages), ids.len(), "every cart exactly once");
    for msg in &messages {
        let wall = shop.local(msg.at);
        assert!(
            wall >= NaiveDate::from_ymd_opt(y, m, d + 1).unwrap().and_hms_opt(9, 0, 0).unwrap()
                && wall <= NaiveDate::from_ymd_opt(y, m, d + 1).unwrap().and_hms_opt(9, 30, 0).unwrap(),
            "sent at local {wall}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_completed_one_minute_before_its_send_is_skipped_with_its_reason() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;
    let opening = local(BA, 2026, 11, 20, 9, 0);
    // Bought at 08:59; no poll in between: the pre-send re-check must catch it.
    shop.store.complete(Platform::Tiendanube, id, opening - Duration::minutes(1));
    shop.app.clock.set(opening);
    shop.app.engine.dispatch_due().await.unwrap();
    assert!(shop.wa.messages().is_empty(), "never message after a purchase");
    assert_eq!(shop.send(id, 0), ("skipped".into(), Some("purchased".into())));
    let timeline = shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap();
    assert_eq!(timeline.why_not_sent.as_deref(), Some("purchased"));
    assert!(timeline.entries.iter().any(|e| e.kind == "skipped" && e.reason.as_deref() == Some("purchased")));
    assert_eq!(timeline.cart.outcome.as_deref(), Some("bought_before_message"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opted_out_customer_never_gets_a_message() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let phone = "+54 9 11 6000-0001";
    let first = shop.checkout_with_phone(start - Duration::minutes(20), phone);
    // Polled (the contact exists), not yet dispatched.
    shop.app.engine.poll_due_stores().await.unwrap();
    assert!(shop.app.engine.opt_out("+5491160000001", "keyword").unwrap());
    shop.run_until(start + Duration::hours(3), Duration::minutes(5)).await;
    // Another cart of theirs, days later, too.
    let later = start + Duration::days(4);
    shop.app.clock.set(later);
    let second = shop.checkout_with_phone(later - Duration::minutes(20), phone);
    shop.run_until(later + Duration::hours(3), Duration::minutes(5)).await;
    assert!(shop.wa.messages().is_empty());
    assert_eq!(shop.send(first, 0), ("skipped".into(), Some("opted_out".into())));
    assert_eq!(shop.send(second, 0), ("skipped".into(), Some("opted_out".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holdout_cart_is_never_messaged_but_is_tracked() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("holdout_percent", "50")]).await;
    let ids: Vec<u64> = (0..24).map(|i| shop.checkout(start - Duration::minutes(20 + i))).collect();
    shop.run_until(start + Duration::hours(2), Duration::minutes(1)).await;
    let (mut held_out, mut messaged) = (Vec::new(), 0);
    for id in &ids {
        let holdout = shop.in_holdout(*id);
        assert_eq!(
            holdout,
            recupero::scheduler::planner::is_holdout(shop.store_id, &id.to_string(), 50),
            "the group is a pure function of the checkout"
        );
        if holdout {
            assert!(shop.messages_for(*id).is_empty(), "a holdout cart is never messaged");
            assert_eq!(shop.send(*id, 0), ("skipped".into(), Some("holdout".into())));
            held_out.push(*id);
        } else {
            assert_eq!(shop.messages_for(*id).len(), 1);
            messaged += 1;
        }
    }
    assert!(!held_out.is_empty() && messaged > 0, "both groups exist ({} held out)", held_out.len());
    // A holdout customer buys a day later: tracked as the baseline.
    shop.app.clock.advance(Duration::days(1));
    shop.store.complete(Platform::Tiendanube, held_out[0], shop.now());
    shop.run_until(shop.now() + Duration::minutes(3), Duration::minutes(1)).await;
    let timeline = shop.app.engine.cart_timeline(shop.cart_id(held_out[0])).unwrap();
    assert_eq!(timeline.cart.outcome.as_deref(), Some("holdout_converted"));
    assert_eq!(timeline.why_not_sent.as_deref(), Some("holdout"));
}

/// A sender whose first template listing answers slowly: the clock moves on while the
/// dispatcher waits, as when WhatsApp or the store is slow just before closing time.
struct SlowTemplateList {
    inner: Arc<dyn recupero::whatsapp::MessageSender>,
    clock: recupero::clock::TestClock,
    delay: Duration,
    slowed: std::sync::atomic::AtomicBool,
}

impl recupero::whatsapp::MessageSender for SlowTemplateList {
    fn send_template<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingTemplate,
    ) -> recupero::whatsapp::BoxFuture<'a, Result<recupero::whatsapp::Accepted, recupero::whatsapp::SendError>>
    {
        self.inner.send_template(message)
    }

    fn send_text<'a>(
        &'a self,
        message: &'a recupero::whatsapp::OutgoingText,
    ) -> recupero::whatsapp::BoxFuture<'a, Result<recupero::whatsapp::Accepted, recupero::whatsapp::SendError>>
    {
        self.inner.send_text(message)
    }

    fn templates<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> recupero::whatsapp::BoxFuture<
        'a,
        Result<Vec<recupero::domain::TemplateState>, recupero::whatsapp::SendError>,
    > {
        if !self.slowed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.clock.advance(self.delay);
        }
        self.inner.templates(name)
    }

    fn create_template<'a>(
        &'a self,
        template: &'a recupero::whatsapp::NewTemplate,
    ) -> recupero::whatsapp::BoxFuture<
        'a,
        Result<recupero::whatsapp::CreatedTemplate, recupero::whatsapp::SendError>,
    > {
        self.inner.create_template(template)
    }
}

/// The hours are checked again right before the message leaves: a send that started at 17:59
/// and waited past 18:00 for WhatsApp goes at the next opening, not after closing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_delayed_past_closing_time_waits_for_the_next_opening() {
    let start = local(BA, 2026, 11, 19, 17, 59); // Thursday, a minute before closing
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    shop.app.engine.use_sender(Arc::new(SlowTemplateList {
        inner: Arc::new(cloud_client(&shop.wa)),
        clock: shop.app.clock.clone(),
        delay: Duration::minutes(2),
        slowed: false.into(),
    }));
    let id = shop.checkout(start - Duration::minutes(30));
    shop.tick().await;
    assert!(
        shop.app.clock.now() > local(BA, 2026, 11, 19, 18, 0),
        "the template listing took us past closing"
    );
    assert!(shop.wa.messages().is_empty(), "nothing leaves after closing time");
    assert_eq!(shop.send(id, 0).0, "planned", "waits for the next opening");
    shop.run_until(local(BA, 2026, 11, 20, 10, 0), Duration::minutes(10)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    let opening = local(BA, 2026, 11, 20, 9, 0);
    assert!(sent[0].at >= opening && sent[0].at < opening + Duration::minutes(30), "sent at {}", sent[0].at);
}

/// The holdout group passes the same pre-send checks as the messaged one: customers who bought
/// before their message's time drop out of both groups alike ("purchased"), instead of staying
/// in the holdout only, which would make the lift look better than it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holdout_carts_bought_before_their_time_drop_out_like_messaged_ones() {
    let evening = local(BA, 2026, 11, 19, 20, 0); // Thursday, after closing
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", evening, &[("holdout_percent", "50")]).await;
    let ids: Vec<u64> = (0..20).map(|i| shop.checkout(evening - Duration::minutes(30 + i))).collect();
    shop.run_until(evening + Duration::minutes(30), Duration::minutes(5)).await;
    // Everyone buys just before the shop opens, after the app's last look at the store: the
    // app learns it only from the pre-send check, for messaged and holdout carts alike.
    let before_opening = local(BA, 2026, 11, 20, 8, 59);
    shop.run_until(before_opening - Duration::minutes(1), Duration::minutes(30)).await;
    shop.app.clock.set(before_opening);
    for id in &ids {
        shop.store.complete(Platform::Tiendanube, *id, before_opening);
    }
    shop.app.clock.set(local(BA, 2026, 11, 20, 9, 0));
    for _ in 0..120 {
        shop.app.engine.dispatch_due().await.unwrap();
        shop.app.clock.advance(Duration::minutes(1));
    }
    assert!(shop.wa.messages().is_empty(), "nobody who bought is messaged");
    let mut holdout = 0;
    for id in &ids {
        let in_holdout = shop.in_holdout(*id);
        holdout += usize::from(in_holdout);
        assert_eq!(shop.send(*id, 0), ("skipped".into(), Some("purchased".into())), "holdout: {in_holdout}");
    }
    assert!(holdout > 0, "some carts were in the holdout group");
    let m = shop.app.engine.metrics(None, None).unwrap();
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["carts"]["holdout"], 0, "no holdout cart left to compare against: {}", json["carts"]);
    assert_eq!(json["holdoutRecovery"]["denominator"], 0);
    assert_eq!(json["carts"]["notSent"], 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_stop_when_the_customer_replies() {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open(
        BA,
        "mon-fri 09:00-18:00",
        start,
        &[("followups", "2"), ("followup_delay_hours", "24"), ("backlog_spread_minutes", "0")],
    )
    .await;
    let quiet = shop.checkout(start - Duration::minutes(20));
    let chatty = shop.checkout(start - Duration::minutes(21));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(quiet).len(), 1);
    assert_eq!(shop.messages_for(chatty).len(), 1);
    // The chatty customer answers in the afternoon.
    shop.app.clock.set(start + Duration::hours(5));
    let phone = shop.messages_for(chatty)[0].to.clone();
    shop.app.engine.record_inbound(&phone, "¿Tienen talle M?", "wamid.IN1").unwrap().expect("stored");
    shop.run_until(start + Duration::days(2) + Duration::hours(1), Duration::minutes(10)).await;
    assert_eq!(shop.messages_for(quiet).len(), 3, "first message and two follow-ups");
    assert_eq!(shop.messages_for(chatty).len(), 1, "a reply stops the follow-ups");
    assert_eq!(shop.send(chatty, 1), ("skipped".into(), Some("replied".into())));
    let steps: Vec<String> =
        shop.messages_for(quiet).iter().map(|m| m.callback_data.clone().unwrap()).collect();
    assert!(steps[1].ends_with(":1") && steps[2].ends_with(":2"), "{steps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sleep_overdue_sends_are_replanned_inside_hours_never_at_night() {
    let start = local(BA, 2026, 11, 20, 17, 50); // Friday, 10 minutes before closing
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("max_cart_age_hours", "96")]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.app.engine.poll_due_stores().await.unwrap(); // planned, deadline 18:00
                                                      // The laptop sleeps until 23:00.
    shop.app.clock.set(local(BA, 2026, 11, 20, 23, 0));
    shop.app.engine.dispatch_due().await.unwrap();
    assert!(shop.wa.messages().is_empty(), "never fired at night");
    let monday = local(BA, 2026, 11, 23, 9, 0);
    shop.run_until(monday + Duration::minutes(40), Duration::minutes(30)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at >= monday && sent[0].at <= monday + Duration::minutes(30), "{}", sent[0].at);

    // Asleep past the maximum age: skipped with that reason.
    let start = local(BA, 2026, 11, 20, 17, 50);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.app.engine.poll_due_stores().await.unwrap();
    shop.app.clock.set(local(BA, 2026, 11, 23, 10, 0));
    shop.tick().await;
    assert!(shop.wa.messages().is_empty());
    assert_eq!(shop.send(id, 0), ("skipped".into(), Some("too_old".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_send_is_unknown_never_resent_and_settled_by_the_status_webhook() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("send_lease_seconds", "30")]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.wa.inject(WaFault::AcceptThenLoseAnswer);
    shop.run_until(start + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1, "the message left once");
    assert_eq!(shop.send(id, 0).0, "unknown", "we don't know it left, so we don't resend");
    // Meta's status webhook echoes the send's key.
    let msg = &shop.messages_for(id)[0];
    let settled = shop.app.engine.reconcile_status(msg.callback_data.as_deref(), &msg.wamid, msg.at).unwrap();
    assert!(settled.is_some());
    assert_eq!(shop.send(id, 0).0, "sent");
    shop.run_until(start + Duration::hours(2), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_errors_retry_terminal_ones_are_recorded_with_the_code() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let retried = shop.checkout(start - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 130429 });
    shop.run_until(start + Duration::minutes(20), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(retried).len(), 1, "sent once after the back-off");
    let failed = shop.checkout(shop.now() - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 131026 });
    shop.run_until(shop.now() + Duration::minutes(20), Duration::minutes(1)).await;
    assert!(shop.messages_for(failed).is_empty());
    let row = shop.app.engine.cart_timeline(shop.cart_id(failed)).unwrap();
    assert_eq!(row.sends[0].state, "failed");
    assert_eq!(row.sends[0].error_code.as_deref(), Some("131026"));
    assert_eq!(row.why_not_sent.as_deref(), Some("131026"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_pauses_sending_and_tells_the_owner() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let mut events = shop.app.engine.events().subscribe();
    let id = shop.checkout(start - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 190 });
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty());
    assert!(shop.app.engine.settings().unwrap().sending_paused, "everything paused");
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= e == EngineEvent::NeedsOwner { problem: OwnerProblem::TokenExpired };
    }
    assert!(told, "the owner is told");
    assert_eq!(
        shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap().why_not_sent.as_deref(),
        Some("paused")
    );
    // The owner fixes the token and resumes.
    shop.app.engine.set_paused(false).unwrap();
    shop.run_until(start + Duration::minutes(60), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
}

/// Meta pauses the template after the app last listed it: WhatsApp refuses the send (132015)
/// in each of the customer's languages in turn; the cart then says why it waits, and goes once
/// Meta reports the template approved again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_held_by_a_refused_template_says_why_until_it_goes() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    shop.app.engine.whatsapp_check().await.unwrap();
    shop.wa.set_template_status("recupero_carrito", "PAUSED");
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(50), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty(), "a refused template sends nothing");
    let t = shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap();
    assert_eq!(t.why_not_sent.as_deref(), Some("template_blocked"), "the cart says why it waits");
    assert_eq!(shop.send(id, 0).0, "planned", "kept for when the template is fixed");
    shop.wa.set_template_status("recupero_carrito", "APPROVED");
    shop.run_until(start + Duration::hours(6), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(id).len(), 1, "sent once the template is approved again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unapproved_template_or_an_unreachable_store_holds_the_send() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.wa.set_template_status("recupero_carrito", "PENDING");
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty());
    let t = shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap();
    assert_eq!(t.why_not_sent.as_deref(), Some("template_not_approved"));
    shop.wa.set_template_status("recupero_carrito", "APPROVED");
    shop.run_until(start + Duration::minutes(30), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1);

    // The store is down at send time: not this round.
    let other = shop.checkout(shop.now() - Duration::minutes(20));
    shop.app.clock.advance(Duration::minutes(2));
    shop.app.engine.poll_due_stores().await.unwrap();
    let cart = shop.cart_id(other);
    let Shop { app, store, wa, .. } = shop;
    drop(store);
    app.engine.dispatch_due().await.unwrap();
    let t = app.engine.cart_timeline(cart).unwrap();
    assert_eq!(t.sends[0].state, "planned");
    assert_eq!(t.why_not_sent.as_deref(), Some("store_unreachable"));
    assert_eq!(wa.messages().len(), 1, "nothing sent without the re-check");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_on_one_database_never_send_twice() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    for i in 0..60 {
        shop.checkout(start - Duration::minutes(20 + i));
    }
    shop.app.engine.poll_due_stores().await.unwrap();
    // A second engine (another process, say) on the same data directory.
    let second = Arc::new(engine_on(shop.app.dir.path(), Arc::new(shop.app.clock.clone())));
    second.use_sender(Arc::new(cloud_client(&shop.wa)));
    second.connect_store(&store_input(&shop.store, Platform::Tiendanube)).unwrap();
    for _ in 0..5 {
        let (a, b) = tokio::join!(shop.app.engine.dispatch_due(), second.dispatch_due());
        a.unwrap();
        b.unwrap();
        shop.app.clock.advance(Duration::seconds(30));
    }
    assert_eq!(assert_no_duplicates(&shop.wa.messages()), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_recovery_conversation_per_customer_per_week_and_consent_only() {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let phone = "+54 9 11 7000-0001";
    let first = shop.checkout_with_phone(start - Duration::minutes(20), phone);
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(first).len(), 1);
    // Two days later, another cart of the same customer: capped.
    shop.app.clock.set(start + Duration::days(2));
    let second = shop.checkout_with_phone(shop.now() - Duration::minutes(20), phone);
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(shop.messages_for(second).is_empty());
    assert_eq!(shop.send(second, 0), ("skipped".into(), Some("customer_cap".into())));
    // Eight days after the first message the cap is over.
    shop.app.clock.set(start + Duration::days(8));
    let third = shop.checkout_with_phone(shop.now() - Duration::minutes(20), phone);
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(third).len(), 1);

    // Consent-only: the sandbox's Tiendanube checkouts record no marketing consent.
    shop.app.engine.setting_set("consent_only", "true").unwrap();
    shop.app.clock.advance(Duration::hours(1));
    let unknown_consent = shop.checkout(shop.now() - Duration::minutes(20));
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(shop.messages_for(unknown_consent).is_empty());
    assert_eq!(shop.send(unknown_consent, 0), ("skipped".into(), Some("no_consent".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_user_marketing_cap_backs_that_customer_off_for_a_day() {
    use recupero::webhooks::Ingest;
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    let phone = "+54 9 11 7000-0002";
    let first = shop.checkout_with_phone(start - Duration::minutes(20), phone);
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    let sent = shop.messages_for(first);
    assert_eq!(sent.len(), 1);
    // WhatsApp accepted it, then did not deliver it: the customer's marketing cap (131049).
    let failed = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491100000000", "phone_number_id": "1055500000000"},
        "statuses": [{"id": sent[0].wamid, "status": "failed", "timestamp": shop.now().timestamp().to_string(),
            "recipient_id": recupero::sandbox::whatsapp::wa_id(&sent[0].to),
            "errors": [{"code": 131049, "title": "This message was not delivered to maintain healthy ecosystem engagement."}]}]}}]}]});
    assert!(shop.app.engine.ingest(failed.to_string().as_bytes(), true).unwrap());
    shop.app.engine.process_webhooks().unwrap();
    assert_eq!(shop.send(first, 0), ("failed".into(), None));
    // Two hours later the same customer leaves another cart: backed off, with the reason.
    shop.app.clock.set(start + Duration::hours(2));
    let second = shop.checkout_with_phone(shop.now() - Duration::minutes(20), phone);
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(shop.messages_for(second).is_empty(), "no new marketing message inside 24 h");
    assert_eq!(shop.send(second, 0), ("skipped".into(), Some("marketing_cap".into())));
    // A day and more later, a new cart may be messaged again.
    shop.app.clock.set(start + Duration::hours(25));
    let third = shop.checkout_with_phone(shop.now() - Duration::minutes(20), phone);
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(third).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_after_the_message_tells_the_owner_once() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("holdout_percent", "0")]).await;
    let mut events = shop.app.engine.events().subscribe();
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
    shop.store.complete(Platform::Tiendanube, id, shop.now());
    shop.run_until(shop.now() + Duration::minutes(10), Duration::minutes(1)).await;
    let mut told = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::CartRecovered { cart_id, total, .. } = e {
            told.push((cart_id, total));
        }
    }
    assert_eq!(told.len(), 1, "one notice per recovered cart: {told:?}");
    assert_eq!(told[0].0, shop.cart_id(id));
    let (total, currency): (String, String) = shop
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT total, currency FROM carts WHERE id = ?1", [told[0].0], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(told[0].1, format!("{total} {currency}"));
}
