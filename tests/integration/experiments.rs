//! Measuring honestly, end to end: the messaged group is intention-to-treat (a first message
//! WhatsApp refuses for good keeps its cart there), and an A/B experiment's arms — assigned,
//! timed, and reported by `results --json` and `demo --json` with their intervals.

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::whatsapp::WaFault;

use crate::support::shop::{local, Shop, BA};
use crate::support::{recupero, text};

/// The real dispatcher against the sandbox WhatsApp: one first message accepted, one refused
/// with 131026 (not on WhatsApp). Both carts are in the messaged group; the refused one is
/// counted as not reached, never as "not sent" (which only pre-send reasons fill).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminally_refused_first_message_keeps_its_cart_in_the_messaged_group() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let accepted = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    assert_eq!(shop.messages_for(accepted).len(), 1);
    let refused = shop.checkout(shop.now() - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 131026 });
    shop.run_until(shop.now() + Duration::minutes(20), Duration::minutes(1)).await;
    assert!(shop.messages_for(refused).is_empty());
    assert_eq!(shop.send(refused, 0).0, "failed");
    let m =
        shop.app.engine.metrics(Some(start - Duration::hours(2)), Some(start + Duration::hours(2))).unwrap();
    assert_eq!(
        (m.carts.messaged, m.carts.unreached, m.carts.not_sent, m.carts.pending),
        (2, 1, 0, 0),
        "intention to treat: {:?}",
        m.carts
    );
    assert_eq!(m.recovery.denominator, 2, "the refused cart is in the rate's denominator");

    // Told "not now" (130429), then bought before the retry: skipped as purchased, but it had
    // reached its instant, so it stays in the messaged group too.
    let retried = shop.checkout(shop.now() - Duration::minutes(20));
    shop.wa.inject(WaFault::Error { code: 130429 });
    let held = || -> Option<String> {
        shop.app
            .engine
            .db()
            .conn()
            .query_row(
                "SELECT s.held_reason FROM sends s JOIN carts c ON c.id = s.cart_id
                 WHERE c.external_id = ?1 AND s.step = 0 AND s.state = 'planned'",
                [retried.to_string()],
                |r| r.get(0),
            )
            .ok()
            .flatten()
    };
    for _ in 0..30 {
        shop.tick().await;
        if held().as_deref() == Some("retry") {
            break;
        }
        shop.app.clock.advance(Duration::seconds(10));
    }
    assert_eq!(held().as_deref(), Some("retry"), "told to wait, it waits for its retry");
    shop.store.complete(recupero::stores::Platform::Tiendanube, retried, shop.now());
    shop.run_until(shop.now() + Duration::minutes(10), Duration::minutes(1)).await;
    assert!(shop.messages_for(retried).is_empty());
    assert_eq!(shop.send(retried, 0), ("skipped".into(), Some("purchased".into())));
    let m =
        shop.app.engine.metrics(Some(start - Duration::hours(2)), Some(start + Duration::hours(2))).unwrap();
    assert_eq!((m.carts.messaged, m.carts.unreached, m.carts.not_sent), (3, 2, 0), "{:?}", m.carts);
}

/// `recupero demo --json` with `experiment = delay:0,60`: both arms have carts, each its rate
/// with a Wilson interval, and the difference its Newcombe interval — the same figures the
/// demo's own `results --json` shows under `experiments`.
#[test]
fn the_demo_runs_a_two_arm_experiment_and_reports_each_arm_and_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    for (k, v) in [
        ("timezone", "America/Bogota"),
        ("business_hours", "mon-sat 08:00-20:00"),
        ("default_country", "CO"),
        ("experiment", "delay:0,60"),
    ] {
        let out = recupero(dir.path(), &["config", "set", k, v], None);
        assert!(out.status.success(), "{k}: {}", text(&out.stderr));
    }
    let bad = recupero(dir.path(), &["config", "set", "experiment", "delay:15,15"], None);
    assert!(!bad.status.success(), "two equal arms are refused");
    assert!(text(&bad.stderr).contains("delay:A,B"), "with what is valid: {}", text(&bad.stderr));
    let out = recupero(
        dir.path(),
        &["demo", "--json", "--days", "3", "--start", "2026-11-23T08:00:00-05:00"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let e = &report["experiment"];
    assert_eq!(e["spec"], "delay:0,60", "{report}");
    let arms = e["arms"].as_array().unwrap_or_else(|| panic!("arms in {e}"));
    assert_eq!(arms.len(), 2);
    for (arm, value) in arms.iter().zip(["0", "60"]) {
        assert_eq!(arm["value"], value);
        let carts = arm["carts"].as_u64().unwrap();
        assert!(carts >= 5 && arm["messaged"].as_u64().unwrap() <= carts, "each arm has its carts: {arm}");
        let (rate, low, high) =
            (arm["rate"].as_f64().unwrap(), arm["low"].as_f64().unwrap(), arm["high"].as_f64().unwrap());
        assert!(low <= rate && rate <= high && low >= 0.0 && high <= 1.0, "{arm}");
        assert!(high - low > 0.05, "an honest interval for a few dozen carts: {arm}");
    }
    let d = &e["difference"];
    let (diff, low, high) =
        (d["difference"].as_f64().unwrap(), d["low"].as_f64().unwrap(), d["high"].as_f64().unwrap());
    assert!(low <= diff && diff <= high, "{d}");
    assert_eq!(d["method"], "newcombe_wilson");
    let rate = |i: usize| arms[i]["rate"].as_f64().unwrap();
    assert!((diff - (rate(0) - rate(1))).abs() < 0.0002, "A − B: {e}");
    assert!(["more_than_chance", "not_yet", "too_early"].contains(&e["verdict"].as_str().unwrap()));
    // The holdout stays outside both arms.
    let drawn: u64 = arms.iter().map(|a| a["carts"].as_u64().unwrap()).sum();
    assert!(drawn as i64 <= report["detected"].as_i64().unwrap() - report["holdout"].as_i64().unwrap());
    // The demo's own results carry the same experiment.
    let demo = dir.path().join("demo");
    let results = recupero(&demo, &["results", "--json"], None);
    assert!(results.status.success(), "{}", text(&results.stderr));
    let results: serde_json::Value = serde_json::from_slice(&results.stdout).unwrap();
    assert_eq!(&results["experiments"][0], e, "results --json shows the same experiment");
    // The text summary says it too.
    let summary =
        recupero(dir.path(), &["demo", "--days", "1", "--start", "2026-11-23T08:00:00-05:00"], None);
    assert!(text(&summary.stdout).contains("experiment          delay:0,60"), "{}", text(&summary.stdout));
}

/// `template:recupero_carrito,recupero_corto` with both approved: each cart's first message
/// goes with its recorded arm's template, both arms are used, and the image variant never
/// replaces an arm's copy. Emptying the setting ends the experiment at once, its carts kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_experiment_sends_each_arm_its_own_copy() {
    use recupero::sandbox::whatsapp::{default_templates, TemplateDefinition, DEFAULT_BUTTON_URL, TEMPLATE};
    use recupero::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig};
    use recupero::sandbox::{Sandbox, SandboxConfig};
    use recupero::stores::Platform;
    use std::sync::Arc;

    let start = local(BA, 2026, 11, 20, 10, 0);
    let app = crate::support::spawn_app();
    app.clock.set(start);
    let engine = &app.engine;
    for (k, v) in [
        ("timezone", BA),
        ("business_hours", "mon-fri 09:00-18:00"),
        ("holdout_percent", "0"),
        ("reminder_image", "true"),
        ("experiment", "template:recupero_carrito,recupero_corto"),
    ] {
        engine.setting_set(k, v).unwrap();
    }
    let mut config = SandboxConfig::new(start - Duration::days(3), 0);
    config.rate_limits = false;
    let store = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let mut templates = default_templates(DEFAULT_BUTTON_URL);
    let short: Vec<TemplateDefinition> = templates
        .iter()
        .map(|t| TemplateDefinition { id: String::new(), name: "recupero_corto".into(), ..t.clone() })
        .collect();
    templates.extend(short);
    let wa_config = WhatsAppSandboxConfig { templates: Some(templates), ..Default::default() };
    let wa = WhatsAppSandbox::start(wa_config, Arc::new(app.clock.clone()), 0).await.unwrap();
    engine.use_sender(Arc::new(crate::support::shop::cloud_client(&wa)));
    let row = engine.connect_store(&crate::support::store_input(&store, Platform::Tiendanube)).unwrap();
    let mut ids = Vec::new();
    for i in 0..24u32 {
        let id = store.add(Platform::Tiendanube, 1, start - Duration::minutes(20))[0];
        store.set_phone(Platform::Tiendanube, id, Some(&format!("+54 9 11 5000-{i:04}")));
        store.never_completes(Platform::Tiendanube, id);
        ids.push(id);
    }
    let until = start + Duration::minutes(60);
    while app.clock.now() < until {
        engine.poll_due_stores().await.unwrap();
        engine.dispatch_due().await.unwrap();
        app.clock.advance(Duration::minutes(1));
    }
    let _ = row;
    let messages = wa.messages();
    assert_eq!(messages.len(), ids.len(), "one message per cart");
    let mut used = std::collections::BTreeSet::new();
    for m in &messages {
        let cart: i64 = m.callback_data.as_deref().unwrap().split(':').nth(1).unwrap().parse().unwrap();
        let arm: i64 = engine
            .db()
            .conn()
            .query_row("SELECT arm FROM experiment_arms WHERE cart_id = ?1", [cart], |r| r.get(0))
            .unwrap();
        let expected = if arm == 0 { TEMPLATE } else { "recupero_corto" };
        assert_eq!(m.template, expected, "cart {cart} in arm {arm}");
        used.insert(m.template.clone());
    }
    assert_eq!(used.len(), 2, "both arms' copies went out: {used:?}");
    // Emptying the setting ends the experiment now; its carts and results stay.
    engine.setting_set("experiment", "").unwrap();
    let m = engine.metrics(None, None).unwrap();
    assert_eq!(m.experiments.len(), 1);
    let e = &m.experiments[0];
    assert!(e.ended_at.is_some(), "ended with the setting: {e:?}");
    assert_eq!(e.arms.iter().map(|a| a.messaged).sum::<u64>(), ids.len() as u64);
    assert_eq!(e.arms.iter().map(|a| a.carts).sum::<u64>(), ids.len() as u64);
}

/// `coupon:on,off` without coupons would send both arms the same message: the engine (and with
/// it the window and `config set`) refuses it until `coupon_percent` is set, and refuses turning
/// coupons off while the experiment runs; a refusal changes nothing, and says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coupon_experiment_needs_coupons_and_keeps_them_while_it_runs() {
    let start = local(BA, 2026, 11, 20, 10, 0);
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[]).await;
    let engine = &shop.app.engine;
    let refused = engine.setting_set("experiment", "coupon:on,off").unwrap_err();
    assert_eq!(refused.code(), "invalid_setting");
    let ui = refused.ui();
    assert_eq!(ui.params.get("expected").map(String::as_str), Some("experiment_needs_coupon"), "{ui:?}");
    assert!(ui.detail.contains("set coupon_percent"), "{}", ui.detail);
    assert_eq!(engine.settings().unwrap().experiment, None, "nothing stored");
    assert!(
        recupero::storage::experiments::list(&engine.db().conn()).unwrap().is_empty(),
        "no experiment began"
    );

    engine.setting_set("coupon_percent", "10").unwrap();
    engine.setting_set("experiment", "coupon:on,off").unwrap();
    let refused = engine.setting_set("coupon_percent", "0").unwrap_err();
    assert_eq!(refused.ui().params.get("expected").map(String::as_str), Some("coupon_in_experiment"));
    assert_eq!(engine.settings().unwrap().coupon_percent, 10, "the coupon stays");
    // Other experiments don't need coupons; ending this one lets coupons go.
    engine.setting_set("experiment", "").unwrap();
    engine.setting_set("coupon_percent", "0").unwrap();
    engine.setting_set("experiment", "delay:15,60").unwrap();

    // The command line says the same, in English.
    let dir = shop.app.dir.path();
    let out = recupero(dir, &["config", "set", "experiment", "coupon:on,off"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("set coupon_percent (1 to 50) first"), "{}", text(&out.stderr));
}

/// `delay:0,60` and 40 checkouts abandoned two hours before the app's first poll (it was off):
/// each arm's late-found carts go out spread over the backlog spread like any catch-up backlog —
/// arm B's from its own delay on, never before it, and never all at one instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_found_carts_of_a_delay_arm_are_spread_from_their_arms_delay() {
    let start = local(BA, 2026, 11, 20, 10, 0); // Friday, open since 09:00
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("experiment", "delay:0,60")]).await;
    let ids: Vec<u64> = (0..40).map(|_| shop.checkout(start - Duration::hours(2))).collect();
    shop.run_until(start + Duration::minutes(120), Duration::seconds(20)).await;
    let spread = Duration::minutes(30); // backlog_spread_minutes' default
    let mut arms: [Vec<chrono::DateTime<chrono::Utc>>; 2] = [Vec::new(), Vec::new()];
    for id in &ids {
        let sent = shop.messages_for(*id);
        assert_eq!(sent.len(), 1, "one message per cart");
        let cart = shop.cart_id(*id);
        let arm: i64 = shop
            .app
            .engine
            .db()
            .conn()
            .query_row("SELECT arm FROM experiment_arms WHERE cart_id = ?1", [cart], |r| r.get(0))
            .unwrap();
        arms[usize::from(arm == 1)].push(sent[0].at);
    }
    assert!(
        arms.iter().all(|a| a.len() >= 8),
        "both arms have carts: {} and {}",
        arms[0].len(),
        arms[1].len()
    );
    for (arm, delay) in [(0, Duration::zero()), (1, Duration::minutes(60))] {
        let times = &arms[arm];
        let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
        assert!(first >= start + delay, "arm {arm}: none before its delay; first at {first}");
        assert!(last <= start + delay + spread + Duration::minutes(1), "arm {arm}: last at {last}");
        let expected = spread * (times.len() as i32 - 1) / times.len() as i32;
        assert!(
            last - first >= expected - Duration::minutes(1),
            "arm {arm}: spread over the backlog spread, not a burst: {first} .. {last}"
        );
        let mut per_minute = std::collections::BTreeMap::new();
        for at in times {
            *per_minute.entry((*at - start).num_minutes()).or_insert(0) += 1;
        }
        assert!(per_minute.values().all(|&n| n <= 3), "arm {arm}: {per_minute:?}");
    }
}

/// The purchase sweep asks about the messaged group as it does about the holdout: a cart whose
/// first message WhatsApp refused before accepting it (131026) is in the messaged denominator,
/// so a purchase through a fresh order by the same phone is looked for and counts in the rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_sweep_also_asks_about_carts_the_first_message_never_reached() {
    let start = local(BA, 2026, 11, 16, 10, 0); // Monday
    let shop = Shop::open(BA, "mon-fri 09:00-18:00", start, &[("backlog_spread_minutes", "0")]).await;
    shop.wa.inject(WaFault::Error { code: 131026 });
    let refused = shop.checkout_with_phone(start - Duration::minutes(20), "+54 9 11 6000-0003");
    shop.run_until(start + Duration::minutes(10), Duration::minutes(1)).await;
    assert!(shop.messages_for(refused).is_empty());
    assert_eq!(shop.send(refused, 0).0, "failed");
    let bought_at = start + Duration::days(1);
    shop.store
        .add_order(shop.platform, recupero::sandbox::NewOrder::by(Some("011 15-6000-0003"), None, bought_at));
    shop.app.clock.set(bought_at + Duration::hours(1));
    let report = shop.app.engine.sweep_purchases().await.unwrap();
    assert_eq!(report.checked, 1, "the refused cart is asked about: {report:?}");
    assert_eq!(report.bought.len(), 1, "{report:?}");
    let m = shop.app.engine.metrics(None, None).unwrap();
    assert_eq!((m.carts.messaged, m.carts.unreached), (1, 1), "{:?}", m.carts);
    assert_eq!((m.recovery.count, m.recovery.denominator), (1, 1), "bought in the window after the attempt");
    assert!(m.revenue.is_empty(), "never revenue Recupero earned");
}

/// Intention to treat from the holdout point: a messaged cart that passed it (every check a
/// holdout cart passes) and was then held back by a coupon store that did not answer stays in
/// the messaged group when the customer buys meanwhile — as its holdout twin, counted at that
/// point, would — and the purchase converts in the messaged rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_held_after_the_holdout_point_and_bought_meanwhile_stays_messaged() {
    use recupero::stores::Platform;
    let start = local(BA, 2026, 11, 20, 10, 0);
    let settings =
        [("coupon_percent", "10"), ("coupon_step", "0"), ("coupon_valid_hours", "24"), ("followups", "0")];
    let shop = Shop::open_on(Platform::Tiendanube, BA, "mon-sun 00:00-24:00", start, &settings).await;
    shop.store.lose_next_coupon_answer(Platform::Tiendanube);
    let id = shop.checkout(start - Duration::minutes(20));
    shop.run_until(start + Duration::minutes(3), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty(), "held for the coupon store");
    shop.store.complete(Platform::Tiendanube, id, shop.now());
    shop.run_until(shop.now() + Duration::minutes(20), Duration::minutes(1)).await;
    assert!(shop.messages_for(id).is_empty());
    assert_eq!(shop.send(id, 0), ("skipped".into(), Some("purchased".into())));
    let m =
        shop.app.engine.metrics(Some(start - Duration::hours(2)), Some(start + Duration::hours(2))).unwrap();
    assert_eq!((m.carts.messaged, m.carts.unreached, m.carts.not_sent), (1, 1, 0), "{:?}", m.carts);
    assert_eq!((m.recovery.count, m.recovery.denominator), (1, 1), "bought after the holdout point");
    assert!(m.revenue.is_empty(), "no message went: no revenue is claimed");
}
