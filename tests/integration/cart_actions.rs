//! The owner's actions on a cart (send now, stop, retry), end to end on the test clock: the
//! sandbox store on loopback, the engine's poller, planner and dispatcher, and the sandbox
//! WhatsApp counting exactly what each customer received. None of the actions may send outside
//! hours, around a customer-protection rule, or twice.

use chrono::{DateTime, Duration, Utc};
use recupero::engine::{CartAction, CartActionResult};
use recupero::sandbox::whatsapp::WaFault;
use recupero::storage::{carts, sends, ts};
use recupero::stores::Platform;

use crate::support::shop::{assert_no_duplicates, local, Shop, BA};

const HOURS: &str = "mon-fri 09:00-18:00";

fn refused(result: &CartActionResult, code: &str) {
    assert!(!result.done, "refused with {code}: {result:?}");
    assert_eq!(result.code, code, "{result:?}");
    assert!(!result.message.is_empty(), "a refusal says why in words");
}

fn done(result: &CartActionResult, code: &str) {
    assert!(result.done, "expected {code}: {result:?}");
    assert_eq!(result.code, code, "{result:?}");
}

impl Shop {
    fn send_id(&self, external: u64, step: i64) -> i64 {
        let cart = self.cart_id(external);
        self.app
            .engine
            .db()
            .conn()
            .query_row(
                "SELECT id FROM sends WHERE cart_id = ?1 AND step = ?2",
                rusqlite::params![cart, step],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn actions(&self, external: u64) -> Vec<CartAction> {
        self.app.engine.cart_timeline(self.cart_id(external)).unwrap().actions
    }

    fn send_now(&self, external: u64) -> CartActionResult {
        self.app.engine.cart_send_now(self.cart_id(external)).unwrap()
    }

    fn stop(&self, external: u64) -> CartActionResult {
        self.app.engine.cart_stop(self.cart_id(external)).unwrap()
    }

    fn retry(&self, external: u64) -> CartActionResult {
        self.app.engine.cart_retry(self.cart_id(external)).unwrap()
    }

    /// A checkout whose first message failed before WhatsApp accepted it (131026, inside hours).
    async fn failed_checkout(&self) -> u64 {
        let id = self.checkout(self.now() - Duration::minutes(20));
        self.wa.inject(WaFault::Error { code: 131026 });
        self.run_until(self.now() + Duration::minutes(3), Duration::minutes(1)).await;
        assert_eq!(self.send(id, 0).0, "failed", "the first attempt failed");
        assert!(self.messages_for(id).is_empty());
        id
    }

    /// Overwrites a send's row as a dispatcher mid-send would leave it (another process).
    fn lease_as_other(&self, external: u64, step: i64, sending: bool) {
        let until = ts(self.now() + Duration::minutes(5));
        let sending_at = sending.then(|| ts(self.now()));
        let cart = self.cart_id(external);
        self.app
            .engine
            .db()
            .conn()
            .execute(
                "UPDATE sends SET state = 'leased', lease_owner = 'other', lease_expires_at = ?3, sending_at = ?4
                 WHERE cart_id = ?1 AND step = ?2",
                rusqlite::params![cart, step, until, sending_at],
            )
            .unwrap();
    }
}

fn at(result: &CartActionResult) -> DateTime<Utc> {
    recupero::domain::time::parse_time(result.at.as_deref().expect("an instant")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_outside_hours_is_refused_with_the_next_opening() {
    let start = local(BA, 2026, 11, 19, 23, 40); // Thursday night
    let shop = Shop::open(BA, HOURS, start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;
    assert_eq!(shop.send(id, 0), ("planned".into(), None));
    assert_eq!(shop.actions(id), [CartAction::SendNow, CartAction::Stop]);

    let answer = shop.send_now(id);
    refused(&answer, "shop_closed");
    assert_eq!(at(&answer), local(BA, 2026, 11, 20, 9, 0), "says when the shop opens");
    assert!(answer.message.contains("09:00"), "{}", answer.message);
    shop.run_until(local(BA, 2026, 11, 20, 8, 59), Duration::minutes(10)).await;
    assert!(shop.wa.messages().is_empty(), "nothing at night");
    // The plan is untouched: it goes at the opening as planned, once.
    shop.run_until(local(BA, 2026, 11, 20, 10, 0), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_inside_hours_sends_a_waiting_message_at_once_and_exactly_once() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    // Two carts from the night, spread over the first hour of the opening.
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "60")]).await;
    let early = shop.checkout(start - Duration::minutes(21));
    let late = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;
    let opening = local(BA, 2026, 11, 20, 9, 0);
    shop.run_until(opening + Duration::minutes(5), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(early).len(), 1, "the first of the backlog left at the opening");
    assert_eq!(shop.send(late, 0).0, "planned", "the second waits for its slot");

    let answer = shop.send_now(late);
    done(&answer, "due_now");
    assert_eq!(at(&answer), shop.now());
    // A second click changes nothing.
    done(&shop.send_now(late), "due_now");
    shop.app.engine.dispatch_due().await.unwrap();
    let sent = shop.messages_for(late);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].at, opening + Duration::minutes(5), "sent at the click, not at its slot");
    refused(&shop.send_now(late), "already_sent");
    assert!(shop.actions(late).is_empty(), "nothing left to do");

    shop.run_until(opening + Duration::hours(3), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(late).len(), 1, "never a second message");
    assert_eq!(assert_no_duplicates(&shop.wa.messages()), 2);
    let timeline = shop.app.engine.cart_timeline(shop.cart_id(late)).unwrap();
    assert!(
        timeline
            .entries
            .iter()
            .any(|e| e.kind == "replanned" && e.reason.as_deref() == Some("owner_send_now")),
        "the owner's click is in the timeline: {:?}",
        timeline.entries
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_is_refused_for_a_holdout_cart() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, HOURS, start, &[("holdout_percent", "50")]).await;
    let ids: Vec<u64> = (0..12).map(|i| shop.checkout(start - Duration::minutes(20 + i))).collect();
    shop.tick().await;
    let holdout = *ids
        .iter()
        .find(|id| recupero::scheduler::planner::is_holdout(shop.store_id, &id.to_string(), 50))
        .expect("about half are in the holdout");
    shop.app.clock.set(local(BA, 2026, 11, 20, 9, 1));
    assert!(shop.actions(holdout).is_empty(), "no button would spoil the measurement");
    refused(&shop.send_now(holdout), "holdout");
    refused(&shop.stop(holdout), "holdout");
    shop.run_until(local(BA, 2026, 11, 20, 11, 0), Duration::minutes(5)).await;
    assert!(shop.messages_for(holdout).is_empty());
    assert_eq!(shop.send(holdout, 0), ("skipped".into(), Some("holdout".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_leaves_the_pre_send_checks_to_the_dispatcher() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "60")]).await;
    let first = shop.checkout(start - Duration::minutes(21));
    let bought = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;
    let opening = local(BA, 2026, 11, 20, 9, 0);
    shop.run_until(opening + Duration::minutes(2), Duration::minutes(2)).await;
    assert_eq!(shop.messages_for(first).len(), 1);
    // Bought in the store a minute ago, not yet seen by a poll: only the pre-send check knows.
    shop.store.complete(Platform::Tiendanube, bought, shop.now() - Duration::minutes(1));
    done(&shop.send_now(bought), "due_now");
    shop.app.engine.dispatch_due().await.unwrap();
    assert!(shop.messages_for(bought).is_empty(), "never a message after a purchase");
    assert_eq!(shop.send(bought, 0), ("skipped".into(), Some("purchased".into())));
    refused(&shop.send_now(bought), "not_planned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_skips_every_pending_send_with_its_reason_and_nothing_goes_out_later() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, HOURS, start, &[]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;

    let answer = shop.stop(id);
    done(&answer, "stopped");
    assert_eq!((answer.stopped, answer.in_flight), (1, false));
    assert_eq!(shop.send(id, 0), ("skipped".into(), Some("stopped_by_owner".into())));
    let timeline = shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap();
    assert_eq!(timeline.why_not_sent.as_deref(), Some("stopped_by_owner"));
    assert_eq!(timeline.cart.status, "not_sent");
    assert!(timeline.actions.is_empty(), "{:?}", timeline.actions);
    assert!(
        timeline
            .entries
            .iter()
            .any(|e| e.kind == "skipped" && e.reason.as_deref() == Some("stopped_by_owner")),
        "{:?}",
        timeline.entries
    );
    let logged = shop.app.engine.recent_events(50).unwrap();
    assert!(
        logged.iter().any(|e| e.kind == "send_skipped" && e.data.contains("stopped_by_owner")),
        "the stop is in the append-only log"
    );

    refused(&shop.stop(id), "nothing_to_stop");
    refused(&shop.retry(id), "nothing_to_retry");
    shop.app.clock.set(local(BA, 2026, 11, 20, 10, 0));
    refused(&shop.send_now(id), "not_planned");
    shop.run_until(local(BA, 2026, 11, 20, 18, 0), Duration::minutes(10)).await;
    assert!(shop.wa.messages().is_empty(), "a stopped cart is never messaged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_after_the_first_message_cancels_the_follow_up() {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let settings = [("followups", "1"), ("followup_delay_hours", "24"), ("backlog_spread_minutes", "0")];
    let shop = Shop::open(BA, HOURS, start, &settings).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
    assert_eq!(shop.send(id, 1).0, "planned");
    assert_eq!(shop.actions(id), [CartAction::Stop], "the follow-up can be stopped");

    done(&shop.stop(id), "stopped");
    assert_eq!(shop.send(id, 0).0, "sent", "what left stays sent");
    assert_eq!(shop.send(id, 1), ("skipped".into(), Some("stopped_by_owner".into())));
    assert_eq!(shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap().cart.status, "sent");
    shop.run_until(start + Duration::days(3), Duration::minutes(30)).await;
    assert_eq!(shop.messages_for(id).len(), 1, "no follow-up after a stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_leaves_a_message_in_flight_alone_says_so_and_blocks_its_follow_up() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, HOURS, start, &[("followups", "1")]).await;
    let in_flight = shop.checkout(start - Duration::minutes(20));
    let claimed = shop.checkout(start - Duration::minutes(21));
    shop.tick().await;

    // Another dispatcher is sending this one right now (past its fenced "sending" mark).
    shop.lease_as_other(in_flight, 0, true);
    let answer = shop.stop(in_flight);
    done(&answer, "stopped");
    assert!(answer.in_flight, "the answer says a message is on its way");
    assert!(answer.message.contains("can't be called back"), "{}", answer.message);
    assert_eq!(shop.send(in_flight, 0).0, "leased", "the message in flight is not touched");
    assert_eq!(shop.send(in_flight, 1), ("skipped".into(), Some("stopped_by_owner".into())));
    // When its send finishes, the follow-up it would plan finds its step taken (what the
    // dispatcher does after a send, done here by hand for the other dispatcher).
    let cart = shop.cart_id(in_flight);
    let send_id = shop.send_id(in_flight, 0);
    let rules = recupero::scheduler::planner::PlanRules::from_settings(&shop.app.engine.settings().unwrap());
    let now = shop.now();
    {
        let conn = shop.app.engine.db().conn();
        assert!(
            sends::finish(&conn, send_id, "other", "sent", Some("wamid.X"), None, None, &ts(now)).unwrap()
        );
        let planned = recupero::scheduler::planner::plan_followup(&conn, cart, 0, now, &rules, now).unwrap();
        assert_eq!(planned, None, "no follow-up after a stop");
    }

    // Claimed by another dispatcher but not yet handed to WhatsApp: the stop wins the fence.
    shop.lease_as_other(claimed, 0, false);
    done(&shop.stop(claimed), "stopped");
    assert_eq!(shop.send(claimed, 0), ("skipped".into(), Some("stopped_by_owner".into())));
    let claimed_send = shop.send_id(claimed, 0);
    assert!(
        !sends::mark_sending(&shop.app.engine.db().conn(), claimed_send, "other", "+549115", &ts(now))
            .unwrap(),
        "the other dispatcher loses the row and sends nothing"
    );

    // With nothing but a message in flight (no follow-ups), there is nothing to stop: said so.
    shop.app.engine.setting_set("followups", "0").unwrap();
    let lone = shop.checkout(shop.now() - Duration::minutes(20));
    shop.app.clock.advance(Duration::minutes(5));
    shop.tick().await;
    shop.lease_as_other(lone, 0, true);
    let answer = shop.stop(lone);
    refused(&answer, "in_flight");
    assert!(answer.in_flight);
    assert_eq!(shop.send(lone, 0).0, "leased");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_on_a_cart_still_waiting_keeps_it_from_ever_being_planned() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, HOURS, start, &[]).await;
    // Touched five minutes ago: not abandoned yet (15 minutes by default).
    let id = shop.checkout(start - Duration::minutes(5));
    shop.app.engine.poll_due_stores().await.unwrap();
    assert_eq!(shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap().cart.status, "waiting");
    assert_eq!(shop.actions(id), [CartAction::Stop]);
    done(&shop.stop(id), "stopped");
    shop.run_until(start + Duration::hours(2), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty());
    assert_eq!(shop.send(id, 0), ("skipped".into(), Some("stopped_by_owner".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_a_failure_sends_once_with_a_fresh_key() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "0")]).await;
    let id = shop.failed_checkout().await;
    assert_eq!(shop.actions(id), [CartAction::Retry]);
    refused(&shop.send_now(id), "not_planned");

    let answer = shop.retry(id);
    done(&answer, "retry_now");
    assert_eq!(at(&answer), shop.now());
    refused(&shop.retry(id), "already_planned");
    assert_eq!(shop.app.engine.cart_timeline(shop.cart_id(id)).unwrap().cart.status, "planned");
    shop.app.engine.dispatch_due().await.unwrap();
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "the new attempt left once");
    let cart = shop.cart_id(id);
    assert_eq!(
        sent[0].callback_data.as_deref(),
        Some(format!("recupero:{cart}:0:r1").as_str()),
        "a fresh key"
    );
    assert_eq!(shop.send(id, 0).0, "sent");

    refused(&shop.retry(id), "already_sent");
    shop.run_until(start + Duration::hours(3), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(id).len(), 1);
    let timeline = shop.app.engine.cart_timeline(cart).unwrap();
    assert_eq!(timeline.why_not_sent, None);
    assert_eq!(timeline.cart.status, "sent");
    assert!(timeline.entries.iter().any(|e| e.kind == "failed"), "the failed attempt stays in the history");
    assert!(timeline
        .entries
        .iter()
        .any(|e| e.kind == "planned" && e.reason.as_deref() == Some("owner_retry")));
    // WhatsApp's reports about the new attempt find the send by its new key.
    let found = sends::by_wamid_or_key(
        &shop.app.engine.db().conn(),
        "wamid.never-seen",
        sent[0].callback_data.as_deref(),
    )
    .unwrap()
    .map(|(id, ..)| id);
    assert_eq!(found, Some(shop.send_id(id, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_outside_hours_waits_for_the_opening_and_respects_the_maximum_age() {
    let start = local(BA, 2026, 11, 19, 17, 40); // Thursday, before closing
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "0")]).await;
    let id = shop.failed_checkout().await;
    shop.app.clock.set(local(BA, 2026, 11, 19, 21, 0));
    let answer = shop.retry(id);
    done(&answer, "retry_at_opening");
    let opening = local(BA, 2026, 11, 20, 9, 0);
    assert_eq!(at(&answer), opening);
    shop.run_until(opening - Duration::minutes(1), Duration::minutes(30)).await;
    assert!(shop.messages_for(id).is_empty(), "never at night");
    shop.run_until(opening + Duration::minutes(30), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at >= opening);

    // A failure on Friday evening can't be retried on Monday: the checkout is too old by then.
    let late = shop.failed_checkout_at(local(BA, 2026, 11, 20, 17, 40)).await;
    shop.app.clock.set(local(BA, 2026, 11, 20, 20, 0));
    refused(&shop.retry(late), "too_old");
    assert_eq!(shop.send(late, 0).0, "failed", "a refusal changes nothing");
}

impl Shop {
    async fn failed_checkout_at(&self, at: DateTime<Utc>) -> u64 {
        self.app.clock.set(at);
        self.failed_checkout().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_is_refused_after_an_unknown_outcome() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, HOURS, start, &[("send_lease_seconds", "30")]).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.wa.inject(WaFault::AcceptThenLoseAnswer);
    shop.run_until(start + Duration::minutes(30), Duration::minutes(1)).await;
    assert_eq!(shop.send(id, 0).0, "unknown");
    assert!(shop.actions(id).is_empty());
    refused(&shop.retry(id), "outcome_unknown");
    refused(&shop.send_now(id), "outcome_unknown");
    shop.run_until(start + Duration::hours(2), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(id).len(), 1, "the message that may have left is never repeated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_is_refused_once_the_customer_opted_out_or_bought() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "0")]).await;
    let opted = shop.failed_checkout().await;
    let opted_cart = shop.cart_id(opted);
    let phone: String = shop
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT phone_e164 FROM carts WHERE id = ?1", [opted_cart], |r| r.get(0))
        .unwrap();
    assert!(shop.app.engine.opt_out(&phone, "keyword").unwrap());
    assert!(shop.actions(opted).is_empty());
    refused(&shop.retry(opted), "opted_out");

    // Bought after the failure (as the poller or the tracker records it).
    let bought = shop.failed_checkout().await;
    let paid =
        carts::mark_completed(&shop.app.engine.db().conn(), shop.store_id, &bought.to_string(), shop.now());
    assert!(paid.unwrap().is_some());
    refused(&shop.retry(bought), "purchased");

    // WhatsApp's own "stopped marketing messages" failure opts the customer out: no retry.
    let stopped = shop.checkout(shop.now() - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 131050 });
    shop.run_until(shop.now() + Duration::minutes(3), Duration::minutes(1)).await;
    assert_eq!(shop.send(stopped, 0).0, "failed");
    refused(&shop.retry(stopped), "opted_out");

    shop.run_until(shop.now() + Duration::hours(2), Duration::minutes(5)).await;
    assert!(shop.wa.messages().is_empty(), "none of them got a message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_clicks_never_give_two_messages() {
    let start = local(BA, 2026, 11, 19, 23, 40);
    let shop = Shop::open(BA, HOURS, start, &[("backlog_spread_minutes", "60")]).await;
    let first = shop.checkout(start - Duration::minutes(21));
    let waiting = shop.checkout(start - Duration::minutes(20));
    shop.tick().await;
    shop.run_until(local(BA, 2026, 11, 20, 9, 5), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(first).len(), 1);

    // Two "send now" at the same moment, racing a dispatcher step.
    let engine = shop.app.engine.clone();
    let cart = shop.cart_id(waiting);
    let clicks: Vec<CartActionResult> = std::thread::scope(|s| {
        let a = s.spawn(|| engine.cart_send_now(cart).unwrap());
        let b = s.spawn(|| engine.cart_send_now(cart).unwrap());
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    assert!(clicks.iter().all(|c| c.done), "{clicks:?}");
    let (a, b) = tokio::join!(shop.app.engine.dispatch_due(), shop.app.engine.dispatch_due());
    a.unwrap();
    b.unwrap();
    shop.app.engine.dispatch_due().await.unwrap();
    assert_eq!(shop.messages_for(waiting).len(), 1);

    // Two "retry" at the same moment: one plans, the other is told it already is.
    let failed = shop.failed_checkout().await;
    let cart = shop.cart_id(failed);
    let clicks: Vec<CartActionResult> = std::thread::scope(|s| {
        let a = s.spawn(|| engine.cart_retry(cart).unwrap());
        let b = s.spawn(|| engine.cart_retry(cart).unwrap());
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    assert_eq!(clicks.iter().filter(|c| c.done).count(), 1, "{clicks:?}");
    assert!(clicks.iter().any(|c| c.code == "already_planned"), "{clicks:?}");
    shop.run_until(shop.now() + Duration::hours(1), Duration::minutes(1)).await;
    refused(&shop.retry(failed), "already_sent");
    assert_eq!(shop.messages_for(failed).len(), 1);
    assert_eq!(assert_no_duplicates(&shop.wa.messages()), 3);
}
