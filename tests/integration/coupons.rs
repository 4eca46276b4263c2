//! Coupons end to end on each platform (`coupon_percent`): the real engine, a real SQLite file,
//! the sandbox store's coupon endpoints and the sandbox WhatsApp on loopback, the test clock.

use chrono::Duration;
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::stores::Platform;

use crate::support::shop::{local, Shop, BA};

const SETTINGS: [(&str, &str); 4] =
    [("coupon_percent", "10"), ("coupon_step", "0"), ("coupon_valid_hours", "24"), ("followups", "0")];

/// (code, platform id, refused why, deleted, redeemed, discount) of a checkout's coupon row.
type Row = (String, Option<String>, Option<String>, bool, bool, Option<String>);

fn coupon_row(shop: &Shop, external: u64) -> Option<Row> {
    let cart = shop.cart_id(external);
    let conn = shop.app.engine.db().conn();
    let row = recupero::storage::coupons::by_cart(&conn, cart).unwrap()?;
    Some((
        row.code,
        row.platform_id,
        row.refused_why,
        row.deleted_at.is_some(),
        row.redeemed_at.is_some(),
        row.discount,
    ))
}

fn cart_total(shop: &Shop, external: u64) -> (String, String) {
    let cart = shop.cart_id(external);
    let conn = shop.app.engine.db().conn();
    conn.query_row("SELECT total, currency FROM carts WHERE id = ?1", [cart], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
}

/// One platform: a coupon created once per cart even when the store's answer to the creation is
/// lost (the crash between the store's work and our record: the send waits, the retry finds the
/// code in the store), carried in the message, redeemed by the purchase and counted; the other
/// cart's unused coupon deleted from the store once it expired.
async fn created_once_carried_redeemed_and_expired(platform: Platform) {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open_on(platform, BA, "mon-sun 00:00-24:00", start, &SETTINGS).await;
    shop.store.lose_next_coupon_answer(platform);
    let bought = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(3), Duration::minutes(1)).await;
    // The store made the coupon, but we never heard: nothing left, the send waits.
    assert_eq!(shop.store.coupons(platform).len(), 1, "{platform:?}");
    assert!(shop.messages_for(bought).is_empty(), "{platform:?}: no message without its coupon settled");
    let (code, platform_id, ..) = coupon_row(&shop, bought).expect("the code was stored before the request");
    assert_eq!(platform_id, None);
    assert_eq!(shop.store.coupons(platform)[0].code.to_uppercase(), code, "the store holds our code");
    // The retry asks the store for the code before creating: still one coupon, the same code.
    shop.run_until(start + Duration::minutes(15), Duration::minutes(1)).await;
    let in_store = shop.store.coupons(platform);
    assert_eq!(in_store.len(), 1, "{platform:?}: never a second coupon: {in_store:?}");
    assert_eq!(in_store[0].max_uses, Some(1), "single use");
    assert!(in_store[0].ends_at.is_some(), "expiring");
    let messages = shop.messages_for(bought);
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].body.iter().any(|p| p.contains(&code)),
        "{platform:?}: the code is in {:?}",
        messages[0].body
    );
    let (_, platform_id, ..) = coupon_row(&shop, bought).unwrap();
    assert_eq!(platform_id.as_deref(), Some(in_store[0].id.as_str()));

    // A second cart, whose coupon is never used.
    let unused = shop.checkout(shop.now() - Duration::minutes(20));
    shop.run_until(shop.now() + Duration::minutes(10), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(unused).len(), 1);
    let (unused_code, ..) = coupon_row(&shop, unused).unwrap();
    assert_ne!(unused_code, code, "one code per cart");
    assert_eq!(shop.store.coupons(platform).len(), 2);

    // The first customer buys with the code.
    assert!(shop.store.redeem_coupon(platform, &code), "the store accepts the code once");
    assert!(!shop.store.redeem_coupon(platform, &code), "and never twice");
    shop.store.complete(platform, bought, shop.now());
    shop.run_until(shop.now() + Duration::minutes(10), Duration::minutes(1)).await;
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.redeemed, round.deleted), (1, 0), "{platform:?}: {round:?}");
    let (_, _, _, deleted, redeemed, discount) = coupon_row(&shop, bought).unwrap();
    assert!(redeemed && !deleted);
    let (total, currency) = cart_total(&shop, bought);
    let expected = (total.parse::<rust_decimal::Decimal>().unwrap() / rust_decimal::Decimal::from(10))
        .round_dp(2)
        .normalize();
    assert_eq!(discount.as_deref(), Some(expected.to_string().as_str()));

    // Results count the discount and net it out of the recovered revenue.
    let results = shop.app.engine.coupon_results().unwrap();
    assert_eq!((results.created, results.redeemed), (2, 1), "{results:?}");
    assert_eq!(results.discount.len(), 1);
    assert_eq!(results.discount[0].currency, currency);
    assert_eq!(results.discount[0].amount.parse::<rust_decimal::Decimal>().unwrap(), expected);

    // The unused coupon outlives its 24 hours, then leaves the store.
    shop.app.clock.advance(Duration::hours(25));
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.redeemed, round.deleted, round.failed), (0, 1, 0), "{platform:?}: {round:?}");
    let left: Vec<_> = shop.store.coupons(platform).into_iter().filter(|c| !c.deleted).collect();
    assert_eq!(left.len(), 1, "only the used coupon is left: {left:?}");
    assert!(left[0].code.eq_ignore_ascii_case(&code));
    assert!(coupon_row(&shop, unused).unwrap().3, "recorded as deleted");
    assert!(!shop.store.redeem_coupon(platform, &unused_code), "a deleted code no longer works");
    let again = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((again.redeemed, again.deleted), (0, 0), "each coupon ends once");
}

/// One platform whose app may not write coupons: the message goes without one, and the owner is
/// told once.
async fn a_store_without_the_permission_sends_without_a_coupon(platform: Platform) {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open_on(platform, BA, "mon-sun 00:00-24:00", start, &SETTINGS).await;
    shop.store.deny_coupons(platform, true);
    let mut events = shop.app.engine.events().subscribe();
    let a = shop.checkout(start - Duration::minutes(20));
    let b = shop.checkout(start - Duration::minutes(19));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    for id in [a, b] {
        let messages = shop.messages_for(id);
        assert_eq!(messages.len(), 1, "{platform:?}: the message still goes");
        let (code, platform_id, why, ..) = coupon_row(&shop, id).unwrap();
        assert!(
            !messages[0].body.iter().any(|p| p.contains(&code) || p.contains("OFF")),
            "{:?}",
            messages[0].body
        );
        assert_eq!(platform_id, None);
        assert!(why.as_deref().is_some_and(|w| w.starts_with("missing_permission")), "{why:?}");
    }
    assert!(shop.store.coupons(platform).is_empty());
    let mut told = 0;
    while let Ok(e) = events.try_recv() {
        if e == (EngineEvent::NeedsOwner { problem: OwnerProblem::CouponRefused }) {
            told += 1;
        }
    }
    assert_eq!(told, 1, "{platform:?}: told once, not per cart");
    // A refused coupon is never created later behind the owner's back.
    shop.store.deny_coupons(platform, false);
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!(round, Default::default());
    assert!(shop.store.coupons(platform).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiendanube_coupon_created_once_carried_redeemed_and_expired() {
    created_once_carried_redeemed_and_expired(Platform::Tiendanube).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_coupon_created_once_carried_redeemed_and_expired() {
    created_once_carried_redeemed_and_expired(Platform::Shopify).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_coupon_created_once_carried_redeemed_and_expired() {
    created_once_carried_redeemed_and_expired(Platform::Woocommerce).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiendanube_without_write_coupons_sends_without_a_coupon_and_tells_the_owner() {
    a_store_without_the_permission_sends_without_a_coupon(Platform::Tiendanube).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_without_write_discounts_sends_without_a_coupon_and_tells_the_owner() {
    a_store_without_the_permission_sends_without_a_coupon(Platform::Shopify).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_with_read_only_keys_sends_without_a_coupon_and_tells_the_owner() {
    a_store_without_the_permission_sends_without_a_coupon(Platform::Woocommerce).await;
}

/// Only the configured message carries the coupon, and a cart under the minimum gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_configured_follow_up_of_a_big_enough_cart_carries_a_coupon() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let settings = [
        ("coupon_percent", "15"),
        ("coupon_step", "1"),
        ("followups", "1"),
        ("followup_delay_hours", "2"),
        ("coupon_min_total", "1"),
    ];
    let shop = Shop::open(BA, "mon-sun 00:00-24:00", start, &settings).await;
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    let first = shop.messages_for(id);
    assert_eq!(first.len(), 1);
    assert!(!first[0].body.iter().any(|p| p.contains("OFF")), "the first message has no coupon");
    assert!(coupon_row(&shop, id).is_none(), "and none was made");
    shop.run_until(start + Duration::hours(3), Duration::minutes(5)).await;
    let both = shop.messages_for(id);
    assert_eq!(both.len(), 2, "the follow-up went");
    let (code, ..) = coupon_row(&shop, id).unwrap();
    // The offer in the template's language ("15% OFF con el cupón …", "15% OFF com o cupom …").
    assert!(both[1].body.iter().any(|p| p.contains("15% OFF") && p.ends_with(&code)), "{:?}", both[1].body);
    let in_store = shop.store.coupons(Platform::Tiendanube);
    assert_eq!(in_store.len(), 1);
    assert_eq!(in_store[0].min_total.as_deref(), Some("1"), "the minimum travels to the store");
    // A minimum above the cart's total: no coupon for the next cart.
    shop.app.engine.setting_set("coupon_min_total", "100000000").unwrap();
    let small = shop.checkout(shop.now() - Duration::minutes(20));
    shop.run_until(shop.now() + Duration::hours(3), Duration::minutes(5)).await;
    assert_eq!(shop.messages_for(small).len(), 2);
    assert!(coupon_row(&shop, small).is_none());
}

/// `recupero demo --json` with coupons on reports them: created, redeemed, the discount per
/// currency; with them off, no `coupons` at all.
#[test]
fn the_demo_reports_its_coupons_when_they_are_on() {
    use crate::support::{recupero, text};
    let dir = tempfile::tempdir().unwrap();
    for (k, v) in [
        ("timezone", "America/Bogota"),
        ("business_hours", "mon-fri 09:00-18:00; sat 10:00-13:00"),
        ("default_country", "CO"),
        ("coupon_percent", "10"),
        ("coupon_step", "0"),
        ("coupon_valid_hours", "6"),
    ] {
        let out = recupero(dir.path(), &["config", "set", k, v], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let args = ["demo", "--json", "--days", "1", "--start", "2026-11-23T08:00:00-05:00"];
    let out = recupero(dir.path(), &args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let coupons = &report["coupons"];
    let n = |k: &str| coupons[k].as_u64().unwrap_or_else(|| panic!("{k} in {report}"));
    let sent = report["sent"].as_u64().unwrap();
    assert!(n("created") > 0 && n("created") <= sent, "one per first message at most: {report}");
    assert!(n("redeemed") > 0 && n("redeemed") <= n("created"), "{report}");
    assert_eq!(n("refused"), 0);
    let discount = coupons["discount"].as_object().expect("per currency");
    assert!(!discount.is_empty(), "{report}");
    for amount in discount.values() {
        let d: rust_decimal::Decimal = amount.as_str().unwrap().parse().unwrap();
        assert!(d > rust_decimal::Decimal::ZERO, "{report}");
    }
    assert_eq!(report["duplicates"], 0);
    // The demo's database: one coupon per cart, each code in its message.
    let demo_db = rusqlite::Connection::open(dir.path().join("demo").join("recupero.sqlite3")).unwrap();
    let (rows, carts): (i64, i64) = demo_db
        .query_row("SELECT count(*), count(DISTINCT cart_id) FROM coupons", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(rows, carts);
    // Off: no coupons in the report.
    let out = recupero(dir.path(), &["config", "set", "coupon_percent", "0"], None);
    assert!(out.status.success());
    let out = recupero(dir.path(), &args, None);
    let off: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(off.get("coupons").is_none(), "{off}");
}

/// Each platform's coupon endpoints as the connector meets them: created with the single-use and
/// expiry limits, found by code, a duplicate code refused (so `ensure_coupon` is what callers
/// use), deleted (twice is fine), and a missing permission as `StoreError::Auth`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_platforms_coupon_endpoints_answer_as_documented() {
    use recupero::clock::Clock;
    use recupero::secrets::Sensitive;
    use recupero::stores::coupons::{is_missing_permission, new_code, CouponSpec};
    use recupero::stores::{AnyConnector, Credentials, StoreConfig, StoreError};
    let app = crate::support::spawn_app();
    let now = app.clock.now();
    let mut config = recupero::sandbox::SandboxConfig::new(now, 0);
    config.rate_limits = false;
    let clock: std::sync::Arc<dyn recupero::clock::Clock> = std::sync::Arc::new(app.clock.clone());
    let sandbox = recupero::sandbox::Sandbox::start(config, clock.clone(), 0).await.unwrap();
    let c = sandbox.config().clone();
    for platform in [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce] {
        let mut store = StoreConfig::new(platform, &sandbox.base_url(), "AR").unwrap();
        let secret = |v: &str| Sensitive::new(v.to_string());
        let credentials = match platform {
            Platform::Tiendanube => {
                store.external_id = Some(c.tiendanube_store_id.clone());
                Credentials::Token(secret(&c.token))
            }
            Platform::Shopify => Credentials::Token(secret(&c.token)),
            Platform::Woocommerce => {
                Credentials::KeySecret { key: secret(&c.woo_key), secret: secret(&c.woo_secret) }
            }
            other => unreachable!("{other:?} has no coupons"),
        };
        let connector = AnyConnector::new(store, credentials, clock.clone()).unwrap();
        let spec = CouponSpec {
            code: new_code(),
            percent: 10,
            min_total: Some("5000".parse().unwrap()),
            starts_at: now,
            ends_at: now + Duration::hours(24),
        };
        assert_eq!(connector.find_coupon(&spec.code).await.unwrap(), None, "{platform:?}");
        let made = connector.create_coupon(&spec).await.unwrap();
        let found = connector.find_coupon(&spec.code).await.unwrap().expect("found by code");
        assert_eq!((found.id.as_str(), found.uses), (made.id.as_str(), 0), "{platform:?}");
        let held = sandbox.coupons(platform);
        assert_eq!((held[0].max_uses, held[0].min_total.as_deref()), (Some(1), Some("5000")), "{platform:?}");
        let twice = connector.create_coupon(&spec).await.unwrap_err();
        assert!(matches!(twice, StoreError::Rejected { status: 400 | 422, .. }), "{platform:?}: {twice}");
        assert_eq!(connector.ensure_coupon(&spec).await.unwrap().id, made.id, "{platform:?}: the one coupon");
        assert_eq!(sandbox.coupons(platform).len(), 1);
        connector.delete_coupon(&made.id).await.unwrap();
        connector.delete_coupon(&made.id).await.unwrap();
        assert!(sandbox.coupons(platform)[0].deleted);
        assert_eq!(connector.find_coupon(&spec.code).await.unwrap(), None);
        sandbox.deny_coupons(platform, true);
        let denied = connector.create_coupon(&CouponSpec { code: new_code(), ..spec }).await.unwrap_err();
        assert!(is_missing_permission(&denied), "{platform:?}: {denied}");
    }
}

/// A `coupon:on,off` experiment: only the carts drawn to the "on" arm get a coupon, the "off"
/// arm's message goes without one, and every cart's arm is the one recorded for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_experiment_gives_coupons_only_to_the_on_arm() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let settings = [
        ("coupon_percent", "10"),
        ("coupon_step", "0"),
        ("coupon_valid_hours", "24"),
        ("followups", "0"),
        ("holdout_percent", "0"),
        ("experiment", "coupon:on,off"),
    ];
    let shop = Shop::open_on(Platform::Tiendanube, BA, "mon-sun 00:00-24:00", start, &settings).await;
    let carts: Vec<u64> = (0..8).map(|i| shop.checkout(start - Duration::minutes(20 + i))).collect();
    shop.run_until(start + Duration::minutes(20), Duration::minutes(1)).await;
    let (mut on, mut off) = (0, 0);
    for &external in &carts {
        let cart = shop.cart_id(external);
        let arm = recupero::storage::experiments::coupon_arm(&shop.app.engine.db().conn(), cart).unwrap();
        assert_eq!(shop.messages_for(external).len(), 1, "every cart is messaged");
        match arm {
            Some(true) => {
                on += 1;
                assert!(coupon_row(&shop, external).is_some(), "the on arm's cart {external} has its coupon");
            }
            Some(false) => {
                off += 1;
                assert!(coupon_row(&shop, external).is_none(), "the off arm's cart {external} has none");
            }
            None => panic!("cart {external} was drawn to no arm"),
        }
    }
    assert!(on > 0 && off > 0, "both arms drawn: on {on}, off {off}");
    assert_eq!(shop.store.coupons(Platform::Tiendanube).len(), on);
}

/// A STOP that arrives while the store is creating the coupon: the send is checked again after
/// the creation and skipped as `opted_out`; no message goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_arriving_during_the_coupon_creation_skips_the_send() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open_on(Platform::Tiendanube, BA, "mon-sun 00:00-24:00", start, &SETTINGS).await;
    let id = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0078");
    let engine = shop.app.engine.clone();
    shop.store.on_coupon_create(Some(std::sync::Arc::new(move || {
        engine.opt_out("+5491160000078", "keyword").unwrap();
    })));
    shop.run_until(start + Duration::hours(1), Duration::minutes(1)).await;
    assert_eq!(shop.store.coupons(Platform::Tiendanube).len(), 1, "the coupon was being created");
    assert_eq!(shop.messages_for(id), vec![], "no message after the STOP");
    assert_eq!(shop.send(id, 0), ("skipped".to_string(), Some("opted_out".to_string())));
    // The code made for a message that will never go leaves the store at the next round.
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.deleted, round.failed), (1, 0), "{round:?}");
    assert!(shop.store.coupons(Platform::Tiendanube)[0].deleted);
}

/// A shop open 09:00–18:00 whose store takes 90 s (less than the send's lease) over the first
/// coupon creation, asked at 17:59: the store answers at 18:00:30, after closing time. Returns
/// the shop, the checkout and the next opening, after the step that made the coupon.
async fn coupon_made_at_closing(valid_hours: &str) -> (Shop, u64, chrono::DateTime<chrono::Utc>) {
    let start = local(BA, 2026, 11, 20, 17, 59);
    let settings = [
        ("coupon_percent", "10"),
        ("coupon_step", "0"),
        ("coupon_valid_hours", valid_hours),
        ("followups", "0"),
    ];
    let shop = Shop::open_on(Platform::Tiendanube, BA, "mon-sun 09:00-18:00", start, &settings).await;
    let id = shop.checkout(start - Duration::minutes(20));
    let clock = shop.app.clock.clone();
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = fired.clone();
    shop.store.on_coupon_create(Some(std::sync::Arc::new(move || {
        if !flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
            clock.advance(Duration::seconds(90));
        }
    })));
    shop.tick().await;
    assert!(fired.load(std::sync::atomic::Ordering::SeqCst), "the coupon was created in that step");
    let (_, platform_id, ..) = coupon_row(&shop, id).expect("reserved");
    assert!(platform_id.is_some(), "and confirmed by the store");
    (shop, id, local(BA, 2026, 11, 21, 9, 0))
}

/// A coupon creation that runs past closing time: the send is given back for the next opening
/// (re-planned `closed`), never sent at night; it goes in the morning with the same code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_creation_that_runs_past_closing_waits_for_the_opening() {
    let (shop, id, next_open) = coupon_made_at_closing("24").await;
    assert_eq!(shop.messages_for(id), vec![], "not sent after closing time");
    assert_eq!(shop.send(id, 0).0, "planned", "given back for the opening");
    shop.run_until(next_open - Duration::minutes(1), Duration::minutes(10)).await;
    assert_eq!(shop.messages_for(id), vec![], "nothing at night");
    shop.run_until(next_open + Duration::minutes(45), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "sent at the opening");
    assert!(sent[0].at >= next_open, "sent at {}", sent[0].at);
    let (code, ..) = coupon_row(&shop, id).unwrap();
    assert!(sent[0].body.iter().any(|p| p.contains(&code)), "{:?}", sent[0].body);
    assert_eq!(shop.store.coupons(Platform::Tiendanube).len(), 1, "still one coupon");
}

/// A coupon that expired while its send waited (valid 1 hour, the night in between): the message
/// goes without it, no second coupon is made, and housekeeping deletes the dead code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_that_expired_while_its_send_waited_is_left_out() {
    let (shop, id, next_open) = coupon_made_at_closing("1").await;
    shop.run_until(next_open + Duration::minutes(45), Duration::minutes(10)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "the message still goes");
    let (code, ..) = coupon_row(&shop, id).unwrap();
    assert!(!sent[0].body.iter().any(|p| p.contains(&code) || p.contains("OFF")), "{:?}", sent[0].body);
    assert_eq!(shop.store.coupons(Platform::Tiendanube).len(), 1, "never a second coupon");
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.deleted, round.failed), (1, 0), "{round:?}");
    assert!(shop.store.coupons(Platform::Tiendanube)[0].deleted, "the dead code left the store");
}

/// Coupons turned off while a send whose code the store already holds waits: no new codes, but
/// that send keeps its own (as a send retried after any settings change does); the next cart
/// gets none, and the unused code leaves the store at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_whose_coupon_exists_keeps_it_when_coupons_are_turned_off() {
    let (shop, id, next_open) = coupon_made_at_closing("24").await;
    shop.app.engine.setting_set("coupon_percent", "0").unwrap();
    shop.run_until(next_open + Duration::minutes(45), Duration::minutes(10)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1);
    let (code, ..) = coupon_row(&shop, id).unwrap();
    assert!(sent[0].body.iter().any(|p| p.contains(&code)), "{:?}", sent[0].body);
    let other = shop.checkout(shop.now() - Duration::minutes(20));
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(other).len(), 1);
    assert!(coupon_row(&shop, other).is_none(), "no new coupon once they are off");
    assert_eq!(shop.store.coupons(Platform::Tiendanube).len(), 1);
    shop.app.clock.advance(Duration::hours(25));
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.deleted, round.failed), (1, 0), "{round:?}");
    assert!(shop.store.coupons(Platform::Tiendanube)[0].deleted);
}

/// The store refused the creation (a 422) after it had made the code: the message goes without
/// it, and housekeeping still looks the code up and deletes it from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_refused_after_the_store_made_it_is_deleted_by_housekeeping() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open_on(Platform::Tiendanube, BA, "mon-sun 00:00-24:00", start, &SETTINGS).await;
    shop.store.refuse_next_coupon_answer(Platform::Tiendanube);
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    let sent = shop.messages_for(id);
    assert_eq!(sent.len(), 1, "the message goes");
    let (code, platform_id, why, ..) = coupon_row(&shop, id).unwrap();
    assert!(!sent[0].body.iter().any(|p| p.contains(&code)), "{:?}", sent[0].body);
    assert_eq!(platform_id, None);
    assert!(why.as_deref().is_some_and(|w| w.starts_with("refused")), "{why:?}");
    assert!(!shop.store.coupons(Platform::Tiendanube)[0].deleted, "the store made it anyway");
    let round = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!((round.deleted, round.failed), (1, 0), "{round:?}");
    assert!(shop.store.coupons(Platform::Tiendanube)[0].deleted, "the code left the store");
    assert!(coupon_row(&shop, id).unwrap().3, "recorded as ended");
    let again = shop.app.engine.coupon_housekeeping().await.unwrap();
    assert_eq!(again, Default::default(), "asked once");
}
