//! A purchase through a fresh checkout, on every platform: the customer abandons one checkout,
//! then buys through a new checkout (a new order). The pre-send check finds that order by the
//! customer's phone, however it was typed, or by the checkout's email; it stops the next
//! message and the cart counts as recovered. An order by someone else, or one whose phone or
//! email can't be read, changes nothing and fails nothing.

use chrono::Duration;
use recupero::sandbox::NewOrder;
use recupero::stores::{Completion, Platform};
use rstest::rstest;

use crate::support::shop::{local, Shop, BA};

const HOURS: &str = "mon-fri 09:00-18:00";
const ALL: [Platform; 3] = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce];
const FOLLOW_UP: [(&str, &str); 3] =
    [("followups", "1"), ("followup_delay_hours", "24"), ("backlog_spread_minutes", "0")];

impl Shop {
    fn outcome(&self, external: u64) -> Option<String> {
        let cart = self.cart_id(external);
        let conn = self.app.engine.db().conn();
        conn.query_row("SELECT outcome FROM carts WHERE id = ?1", [cart], |r| r.get(0)).unwrap()
    }

    /// What showed the purchase, as the cart's `cart_completed` event recorded it.
    fn completed_how(&self, external: u64) -> Option<String> {
        let cart = self.cart_id(external);
        let conn = self.app.engine.db().conn();
        let data: Option<String> = conn
            .query_row(
                "SELECT data FROM events WHERE kind = 'cart_completed' AND cart_id = ?1",
                [cart],
                |r| r.get(0),
            )
            .ok();
        let data: serde_json::Value = serde_json::from_str(&data?).ok()?;
        data["how"].as_str().map(String::from)
    }

    async fn completion(&self, external: u64) -> Completion {
        self.app.engine.cart_completion(self.cart_id(external)).await.expect("the store check answers")
    }

    /// The checkout's email as the store holds it.
    fn email(&self, external: u64) -> String {
        self.store.checkout(self.platform, external).expect("checkout exists").email
    }
}

#[rstest]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_through_a_new_checkout_by_the_same_phone_stops_the_follow_up_and_counts_as_recovered(
    #[values(0, 1, 2)] p: usize,
) {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open_on(ALL[p], BA, HOURS, start, &FOLLOW_UP).await;
    let buyer = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0001");
    let other = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0002");
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(buyer).len(), 1, "{:?}: the first message went", ALL[p]);
    assert_eq!(shop.messages_for(other).len(), 1);
    // An hour later the first customer buys through a new checkout, typing the number the
    // national way and another email. Someone else buys too, and two orders carry nothing
    // readable.
    let at = shop.now() + Duration::hours(1);
    shop.store
        .add_order(shop.platform, NewOrder::by(Some("011 15-6000-0001"), Some("ana.nueva@example.com"), at));
    shop.store
        .add_order(shop.platform, NewOrder::by(Some("+54 9 11 6999-9999"), Some("otro@example.com"), at));
    shop.store.add_order(shop.platform, NewOrder::by(Some("no tengo"), Some("@@"), at));
    shop.store.add_order(shop.platform, NewOrder::by(None, None, at));
    // The follow-ups fall due the next morning.
    shop.run_until(start + Duration::hours(25), Duration::minutes(30)).await;

    assert_eq!(shop.messages_for(buyer).len(), 1, "{:?}: never message after a purchase", ALL[p]);
    assert_eq!(shop.send(buyer, 1), ("skipped".into(), Some("purchased".into())));
    assert_eq!(
        shop.outcome(buyer).as_deref(),
        Some("recovered"),
        "bought within the window after the message"
    );
    let how = shop.completed_how(buyer).unwrap_or_default();
    assert!(how.contains("from the same phone"), "what showed it: {how:?}");
    assert_eq!(shop.messages_for(other).len(), 2, "someone else's order stops nothing");
    assert_eq!(shop.send(other, 1).0, "sent");
    assert_eq!(shop.outcome(other), None, "another customer's order is not this cart's sale");
}

#[rstest]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_the_checkout_email_and_no_phone_is_a_purchase_even_after_a_busy_day(
    #[values(0, 1, 2)] p: usize,
) {
    let start = local(BA, 2026, 11, 16, 10, 0);
    let shop = Shop::open_on(ALL[p], BA, HOURS, start, &[]).await;
    let cart = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0003");
    shop.tick().await;
    assert_eq!(shop.completion(cart).await, Completion::Open);
    // 150 orders by others first: the match is past the first page of 100.
    for n in 0..150 {
        let email = format!("cliente{n}@example.com");
        shop.store.add_order(
            shop.platform,
            NewOrder::by(Some(&format!("+5491170{n:06}")), Some(&email), shop.now()),
        );
    }
    let email = format!("  {} ", shop.email(cart).to_uppercase());
    shop.store.add_order(shop.platform, NewOrder::by(None, Some(&email), shop.now()));
    let answer = shop.completion(cart).await;
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains("from the same email")),
        "{:?}: {answer:?}",
        ALL[p]
    );
}

#[rstest]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_by_someone_else_or_with_an_unreadable_phone_or_email_are_no_purchase_and_no_error(
    #[values(0, 1, 2)] p: usize,
) {
    let start = local(BA, 2026, 11, 16, 10, 0);
    let shop = Shop::open_on(ALL[p], BA, HOURS, start, &[]).await;
    let cart = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0004");
    let no_email = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0005");
    shop.store.set_email(shop.platform, no_email, None);
    shop.tick().await;
    let now = shop.now();
    let someone = NewOrder::by(Some("+54 9 11 6999-0000"), Some("alguien@example.com"), now);
    let unreadable = [
        (Some("no tengo"), Some("sin email")),
        (Some(""), Some("")),
        (None, None),
        (Some("+54 11 4312-0000"), Some("@example.com")), // a landline; half an address
        (Some("1234"), Some("ana@")),
        (Some("☎☎☎"), Some("ana@@example.com")),
    ];
    shop.store.add_order(shop.platform, someone);
    for (phone, email) in unreadable {
        shop.store.add_order(shop.platform, NewOrder::by(phone, email, now));
    }
    // Someone else's order from a country nobody has: read in the store's country, no error.
    let mut odd = NewOrder::by(Some("011 15-6999-0001"), None, now);
    odd.country = "ZZ";
    shop.store.add_order(shop.platform, odd);
    for id in [cart, no_email] {
        assert_eq!(shop.completion(id).await, Completion::Open, "{:?}: nothing here is a purchase", ALL[p]);
    }
    // The scan reads past them all: the real purchase is still found.
    shop.store.add_order(shop.platform, NewOrder::by(Some("11 6000-0005"), None, shop.now()));
    assert!(matches!(shop.completion(no_email).await, Completion::Completed { .. }), "{:?}", ALL[p]);
    assert_eq!(shop.completion(cart).await, Completion::Open);
}

/// With no follow-up (the default) nothing is left to send, so only the purchase sweep can see a
/// purchase made through a fresh checkout after the message: it asks the store about carts
/// inside the attribution window and credits the one whose customer bought.
#[rstest]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_sweep_credits_an_order_placed_after_the_only_message(#[values(0, 1, 2)] p: usize) {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open_on(ALL[p], BA, HOURS, start, &[("backlog_spread_minutes", "0")]).await;
    let buyer = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0001");
    let bystander = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0002");
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(buyer).len(), 1);
    assert_eq!(shop.messages_for(bystander).len(), 1);
    let mut events = shop.app.engine.events().subscribe();
    // Two days later the customer buys through a new checkout, typing the number another way.
    let bought_at = start + Duration::days(2);
    shop.store.add_order(shop.platform, NewOrder::by(Some("011 15-6000-0001"), None, bought_at));
    shop.app.clock.set(bought_at + Duration::hours(1));

    let report = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!(report.checked, 2, "{:?}: both messaged carts are asked about", ALL[p]);
    assert_eq!(report.unreachable, 0);
    assert_eq!(report.bought, vec![(shop.cart_id(buyer), "recovered".to_string())]);
    assert_eq!(shop.outcome(buyer).as_deref(), Some("recovered"));
    assert_eq!(shop.outcome(bystander), None);
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= matches!(e, recupero::events::EngineEvent::CartRecovered { cart_id, .. } if cart_id == shop.cart_id(buyer));
    }
    assert!(told, "the owner hears of the recovered cart");
    let m = shop.app.engine.metrics(None, None).unwrap();
    assert_eq!((m.recovery.count, m.recovery.denominator), (1, 2));

    // Each cart is asked about at most every few hours, and a bought one never again.
    assert_eq!(shop.app.engine.sweep_purchases().await.unwrap().checked, 0);
    shop.app.clock.advance(Duration::hours(7));
    let later = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!((later.checked, later.bought.len()), (1, 0), "only the bystander, still not bought");
}

/// The holdout group is swept the same way: its customers' purchases through a fresh checkout
/// count in the baseline, or the lift would look better than it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_sweep_counts_holdout_purchases_alike() {
    let start = local(BA, 2026, 11, 16, 10, 0);
    let shop = Shop::open_on(
        Platform::Tiendanube,
        BA,
        HOURS,
        start,
        &[("backlog_spread_minutes", "0"), ("holdout_percent", "50")],
    )
    .await;
    // The group is a fixed hash of the checkout: take the first checkout that lands in it.
    let buyer = (0..20)
        .map(|i| {
            shop.checkout_with_phone(start - Duration::minutes(20), &format!("+54 9 11 6000-{:04}", 100 + i))
        })
        .find(|id| recupero::scheduler::planner::is_holdout(shop.store_id, &id.to_string(), 50))
        .expect("one of twenty checkouts is in a 50 % holdout");
    let phone = shop.store.checkout(shop.platform, buyer).unwrap().phone.unwrap();
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert!(shop.messages_for(buyer).is_empty(), "a holdout cart is never messaged");
    assert_eq!(shop.send(buyer, 0), ("skipped".into(), Some("holdout".into())));
    let bought_at = start + Duration::days(1);
    shop.store.add_order(shop.platform, NewOrder::by(Some(&phone), None, bought_at));
    shop.app.clock.set(bought_at + Duration::hours(1));
    let report = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!(report.bought, vec![(shop.cart_id(buyer), "holdout_converted".to_string())]);
    let m = shop.app.engine.metrics(None, None).unwrap();
    assert_eq!(m.holdout_recovery.count, 1, "the holdout purchase is in the baseline");
}

/// A store that does not answer leaves its carts for an hour later, never at the head of every
/// round (where they would crowd the other carts out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_sweep_comes_back_to_an_unanswered_cart_an_hour_later() {
    let start = local(BA, 2026, 11, 16, 10, 0);
    let shop =
        Shop::open_on(Platform::Tiendanube, BA, HOURS, start, &[("backlog_spread_minutes", "0")]).await;
    let cart = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0009");
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(cart).len(), 1);
    shop.app.clock.advance(Duration::days(1));
    // The store is out of reach for a while (its address answers nothing).
    let set_url = |url: &str| {
        shop.app.engine.db().conn().execute("UPDATE stores SET base_url = ?1", [url]).unwrap();
        // The engine rebuilds its store connectors whenever a credential changes.
        shop.app.engine.delete_secret(recupero::secrets::SecretName::AssistantApiKey).unwrap();
    };
    let real_url = shop.store.base_url();
    set_url("http://127.0.0.1:9");
    let down = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!((down.checked, down.unreachable), (1, 1));
    assert_eq!(shop.app.engine.sweep_purchases().await.unwrap().checked, 0, "not asked again at once");
    set_url(&real_url);
    shop.app.clock.advance(Duration::minutes(61));
    let back = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!((back.checked, back.unreachable), (1, 0), "asked again an hour later, and answered");
}
