//! The monthly spend cap end to end, with the test clock: the sandbox store and the sandbox
//! WhatsApp on loopback, the engine's poller and dispatcher. Argentine numbers: a recovery
//! template is priced at the shipped table's AR marketing rate, USD 0.0618.

use chrono::Duration;
use recupero::events::{EngineEvent, OwnerProblem};
use tokio::sync::broadcast::Receiver;

use crate::support::shop::{local, Shop, BA};

/// The spend-cap notices received so far.
fn cap_notices(bus: &mut Receiver<EngineEvent>) -> usize {
    let mut n = 0;
    while let Ok(ev) = bus.try_recv() {
        if ev == (EngineEvent::NeedsOwner { problem: OwnerProblem::SpendCapReached }) {
            n += 1;
        }
    }
    n
}

/// (state, held reason) of a checkout's first send.
fn first_send(shop: &Shop, external: u64) -> (String, Option<String>) {
    let cart = shop.cart_id(external);
    let sends = shop.app.engine.cart_timeline(cart).unwrap().sends;
    let s = sends.iter().find(|s| s.step == 0).unwrap();
    (s.state.clone(), s.held_reason.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_recovery_messages_wait_and_go_once_the_cap_is_raised() {
    let start = local(BA, 2026, 11, 20, 10, 0); // Friday
                                                // Two messages (2 × 0.0618 = 0.1236) reach a cap of 0.10; the first alone does not.
    let shop = Shop::open(BA, "mon-sat 09:00-20:00", start, &[("monthly_spend_cap_usd", "0.10")]).await;
    let mut bus = shop.app.engine.events().subscribe();
    let a = shop.checkout(start - Duration::minutes(20));
    let b = shop.checkout(start - Duration::minutes(19));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    assert_eq!((shop.messages_for(a).len(), shop.messages_for(b).len()), (1, 1), "under the cap: both go");
    let c = shop.checkout(shop.now());
    shop.run_until(start + Duration::minutes(90), Duration::minutes(1)).await;
    assert!(shop.messages_for(c).is_empty(), "the cap is reached: nothing more goes out");
    assert_eq!(first_send(&shop, c), ("planned".into(), Some("spend_cap".into())), "held, never skipped");
    let timeline = shop.app.engine.cart_timeline(shop.cart_id(c)).unwrap();
    assert_eq!(timeline.why_not_sent.as_deref(), Some("spend_cap"), "why not sent says it");
    let held: Vec<_> = timeline
        .entries
        .iter()
        .filter(|e| e.kind == "held" && e.reason.as_deref() == Some("spend_cap"))
        .collect();
    assert!(!held.is_empty(), "the timeline shows the hold: {:?}", timeline.entries);
    assert!(held.len() <= 2, "not one line per re-check: {:?}", timeline.entries);
    let status = shop.app.engine.spend_cap_status().unwrap();
    assert!(status.reached && status.spent_usd == "0.1236", "{status:?}");
    // Send now says why it would only wait.
    let answer = shop.app.engine.cart_send_now(shop.cart_id(c)).unwrap();
    assert_eq!((answer.done, answer.code.as_str()), (false, "spend_cap"), "{answer:?}");
    // Another cart meanwhile: held too, and the owner was told only once.
    let d = shop.checkout(shop.now());
    shop.run_until(shop.now() + Duration::minutes(40), Duration::minutes(1)).await;
    assert!(shop.messages_for(d).is_empty());
    assert_eq!(cap_notices(&mut bus), 1, "told once a month, not at every hold");
    // Raising the cap resumes sending within the re-check interval, with every rule still met.
    shop.app.engine.setting_set("monthly_spend_cap_usd", "5").unwrap();
    shop.run_until(shop.now() + Duration::minutes(20), Duration::minutes(1)).await;
    assert_eq!((shop.messages_for(c).len(), shop.messages_for(d).len()), (1, 1), "both went, once each");
    assert_eq!(first_send(&shop, c).0, "sent");
    assert_eq!(shop.app.engine.cart_timeline(shop.cart_id(d)).unwrap().why_not_sent, None);
    assert_eq!(cap_notices(&mut bus), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_cart_still_grows_too_old_and_is_then_never_sent() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let settings = [("monthly_spend_cap_usd", "0.05"), ("max_cart_age_hours", "1")];
    let shop = Shop::open(BA, "mon-sat 09:00-20:00", start, &settings).await;
    let a = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(a).len(), 1, "0 spent: the first goes");
    let b = shop.checkout(shop.now());
    shop.run_until(start + Duration::minutes(40), Duration::minutes(1)).await;
    assert_eq!(first_send(&shop, b), ("planned".into(), Some("spend_cap".into())));
    // The cap is raised after the cart's maximum age: the age rule wins.
    shop.run_until(start + Duration::minutes(100), Duration::minutes(5)).await;
    shop.app.engine.setting_set("monthly_spend_cap_usd", "0").unwrap();
    shop.run_until(start + Duration::minutes(140), Duration::minutes(1)).await;
    assert!(shop.messages_for(b).is_empty(), "never sent past the maximum age");
    assert_eq!(shop.send(b, 0), ("skipped".into(), Some("too_old".into())));
}

/// A follow-up held by the cap obeys the maximum age too: held for hours past it, it is skipped
/// as `too_old` once the cap is raised, never sent late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_follow_up_still_grows_too_old_and_is_then_never_sent() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let settings = [
        ("monthly_spend_cap_usd", "0.05"),
        ("followups", "1"),
        ("followup_delay_hours", "1"),
        ("max_cart_age_hours", "2"),
    ];
    let shop = Shop::open(BA, "mon-sat 09:00-20:00", start, &settings).await;
    let a = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(a).len(), 1, "0 spent: the first goes, and reaches the cap");
    shop.run_until(start + Duration::minutes(90), Duration::minutes(5)).await;
    assert_eq!(shop.send(a, 1).0, "planned", "the follow-up waits for the cap");
    // The cap is raised hours after the follow-up's time plus the maximum age.
    shop.run_until(start + Duration::hours(6), Duration::minutes(15)).await;
    shop.app.engine.setting_set("monthly_spend_cap_usd", "0").unwrap();
    shop.run_until(start + Duration::hours(7), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(a).len(), 1, "the follow-up never went");
    assert_eq!(shop.send(a, 1), ("skipped".into(), Some("too_old".into())));
}

/// The month is the shop's: at 23:50 on 30 November in Buenos Aires (already December in UTC)
/// the November cap still holds; at 00:00 on 1 December there, sending resumes, and the new
/// month's cap is told again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_resumes_when_the_shops_month_turns() {
    let start = local(BA, 2026, 11, 30, 22, 0); // Monday
    let settings = [("monthly_spend_cap_usd", "0.05")];
    let shop = Shop::open(BA, "mon-sun 00:00-24:00", start, &settings).await;
    let mut bus = shop.app.engine.events().subscribe();
    let a = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(5), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(a).len(), 1);
    let b = shop.checkout(shop.now());
    let midnight = local(BA, 2026, 12, 1, 0, 0);
    shop.run_until(midnight - Duration::minutes(1), Duration::minutes(1)).await;
    assert!(shop.messages_for(b).is_empty(), "still November in the shop (December in UTC)");
    assert_eq!(cap_notices(&mut bus), 1);
    shop.run_until(midnight + Duration::minutes(20), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(b).len(), 1, "a new month: the cart's message goes");
    assert!(shop.messages_for(b)[0].at >= midnight, "not before the shop's midnight");
    // December's spend reached the cap with that message: the next cart waits, told again.
    let c = shop.checkout(shop.now());
    shop.run_until(shop.now() + Duration::minutes(30), Duration::minutes(1)).await;
    assert!(shop.messages_for(c).is_empty());
    assert_eq!(cap_notices(&mut bus), 1, "December's notice");
}

/// Without a cap nothing waits for money (the default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cap_nothing_is_held_for_spend() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-sat 09:00-20:00", start, &[]).await;
    let ids: Vec<u64> = (0..5).map(|i| shop.checkout(start - Duration::minutes(20 + i))).collect();
    shop.run_until(start + Duration::minutes(40), Duration::minutes(1)).await;
    assert!(ids.iter().all(|id| shop.messages_for(*id).len() == 1));
    assert!(!shop.app.engine.spend_cap_status().unwrap().reached);
}

/// `recupero demo --json` with a low `monthly_spend_cap_usd`: the demo's recovery messages stop
/// at the cap and the rest wait with `spend_cap`, told once.
#[test]
fn with_a_low_cap_the_demo_shows_sends_held_with_spend_cap() {
    use crate::support::{recupero, text};
    let dir = tempfile::tempdir().unwrap();
    for (k, v) in [
        ("timezone", "America/Bogota"),
        ("business_hours", "mon-fri 09:00-18:00; sat 10:00-13:00"),
        ("default_country", "CO"),
        // The demo's recovery templates cost about USD 0.06 each: a few go, then the cap holds.
        ("monthly_spend_cap_usd", "0.20"),
    ] {
        let out = recupero(dir.path(), &["config", "set", k, v], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = recupero(
        dir.path(),
        &["demo", "--json", "--days", "1", "--start", "2026-11-23T08:00:00-05:00"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let n = |k: &str| report[k].as_i64().unwrap_or_else(|| panic!("{k} in {report}"));
    assert!(report["held"]["spend_cap"].as_i64().unwrap_or(0) > 0, "sends held with spend_cap: {report}");
    assert_eq!(report["spend_cap_usd"], "0.2", "{report}");
    assert_eq!(report["spend_cap_reached"], true, "{report}");
    assert_eq!(n("spend_cap_notifications"), 1, "told once: {report}");
    // Nothing held was skipped or sent twice: the cap only makes messages wait.
    assert!(report["skipped"].get("spend_cap").is_none(), "never a skip: {report}");
    assert_eq!(n("duplicates"), 0);
    // During the run, the dispatcher held sends with that reason (the carts' timelines say so).
    let demo_db = rusqlite::Connection::open(dir.path().join("demo").join("recupero.sqlite3")).unwrap();
    let holds: i64 = demo_db
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'send_held' AND json_extract(data, '$.reason') = 'spend_cap'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(holds > 0, "sends were held with spend_cap during the run: {report}");
    let spent: rust_decimal::Decimal = report["month_spend_usd"].as_str().unwrap().parse().unwrap();
    let cap: rust_decimal::Decimal = "0.20".parse().unwrap();
    // Templates stop once the cap is reached; a reply or two (opt-out confirmations) may still
    // go out after it, as replies are never blocked.
    assert!(spent >= cap && spent < cap + "0.15".parse::<rust_decimal::Decimal>().unwrap(), "{report}");
    assert!((1..=6).contains(&n("sent")), "only the templates the cap allowed: {report}");
    // Without the cap the same demo sends far more.
    let out = recupero(dir.path(), &["config", "set", "monthly_spend_cap_usd", "0"], None);
    assert!(out.status.success());
    let out = recupero(
        dir.path(),
        &["demo", "--json", "--days", "1", "--start", "2026-11-23T08:00:00-05:00"],
        None,
    );
    let free: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(free["sent"].as_i64().unwrap() > n("sent"), "{free}");
    assert!(free["held"].get("spend_cap").is_none(), "{free}");
    assert_eq!(free["spend_cap_reached"], false);
}
