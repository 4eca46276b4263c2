//! VTEX against its sandbox on loopback, the guarantees the other platforms have: the first sync
//! over pages, incremental without duplicates, 429 / 5xx then success, a malformed customer cart
//! skipped with its id, a malformed page read again, a purchase seen by the sweep and the
//! pre-send check (`checkouttag`, an OMS order by the same email), a crash between pages,
//! `/scroll` past 10,000 documents, the 30-minute session floor on the abandonment delay, and
//! `recupero store check --platform vtex`.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::vtex::client_id;
use recupero::sandbox::{Fault, NewOrder, Sandbox, SandboxConfig};
use recupero::scheduler::poller::PollOutcome;
use recupero::stores::{
    AnyConnector, Completion, Credentials, Cursor, Platform, StoreConnector, StoreError, StoreInput,
};

use crate::support::world::{world, World};
use crate::support::{spawn_app, store_input, text};

const VTEX: Platform = Platform::Vtex;

fn pages(outcomes: &[PollOutcome]) -> usize {
    outcomes.iter().filter(|o| matches!(o, PollOutcome::Page { .. })).count()
}

fn searches(w: &World, from: usize) -> Vec<recupero::sandbox::Logged> {
    w.sandbox.requests()[from..].iter().filter(|r| r.path == "/api/dataentities/CL/search").cloned().collect()
}

fn cart_row(w: &World, id: u64) -> i64 {
    w.app
        .engine
        .db()
        .conn()
        .query_row("SELECT id FROM carts WHERE external_id = ?1", [client_id(id)], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn vtex_first_sync_reads_every_customer_cart_over_several_pages() {
    let w = world(VTEX, 23, Some(5)).await;
    let outcomes = w.sync().await;
    assert!(pages(&outcomes) >= 5, "23 carts at 5 a page: {outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { skipped: 0, .. })), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, w.expected());
    assert_eq!(
        w.count("external_id LIKE '5f0c2e4a-%'") as usize,
        w.expected(),
        "the CL document id is the cart's"
    );
    assert_eq!(w.count("(phone_e164 IS NULL) = (phone_problem IS NULL)"), 0);
    assert!(w.count("phone_e164 LIKE '+55%'") > 0, "Brazilian numbers read in the store's country");
    assert_eq!(w.count("phone_e164 IS NULL AND status IN ('waiting', 'detected')"), 0);
    assert_eq!(w.state().0, "ok");
    // Every cart: the link on the store's domain, items named from the catalog, BRL.
    let conn = w.app.engine.db().conn();
    let mut rows = conn.prepare("SELECT recovery_url, items_json, currency FROM carts").unwrap();
    let rows: Vec<(String, String, String)> =
        rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    for (link, items, currency) in rows {
        assert!(link.starts_with(&format!("{}/checkout/cart/add?sku=", w.sandbox.base_url())), "{link}");
        assert!(!items.contains("\"SKU "), "every SKU named from the catalog: {items}");
        assert_eq!(currency, "BRL");
    }
    // The documented request: _where on the last session, sorted, REST-Range paging, keys in headers.
    let search = searches(&w, 0);
    assert!(search.iter().all(|r| r.status == 200), "{search:?}");
    assert!(search[0].query.contains("_where=rclastsessiondate%3E"), "{}", search[0].query);
    assert!(search[0].query.contains("_sort=rclastsessiondate+ASC"), "{}", search[0].query);
    assert!(w.sandbox.requests().iter().all(|r| !r.query.contains("sandbox-app-token")));
    assert!(w
        .sandbox
        .requests()
        .iter()
        .all(|r| r.user_agent.as_deref().is_some_and(|ua| ua.starts_with("Recupero/"))));
}

#[tokio::test]
async fn vtex_incremental_sync_reads_only_what_changed_and_never_duplicates() {
    let w = world(VTEX, 12, Some(5)).await;
    w.sync().await;
    let before = w.count("1");
    let seen = w.sandbox.requests().len();
    w.app.clock.advance(Duration::minutes(5));
    let now = w.app.clock.now();
    let new_ids = w.sandbox.add(VTEX, 3, now - Duration::minutes(1));
    let old = w.sandbox.checkouts(VTEX).iter().find(|c| c.completes_at.is_none()).unwrap().id;
    w.sandbox.touch(VTEX, old, now);
    let outcomes = w.sync().await;
    let new: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { new, .. } = o { *new } else { 0 }).sum();
    assert_eq!(new, 3, "{outcomes:?}");
    assert_eq!(w.count("1"), before + 3, "re-seen customers update, never duplicate");
    for id in new_ids {
        assert_eq!(w.count(&format!("external_id = '{}'", client_id(id))), 1);
    }
    let touched: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT checkout_updated_at FROM carts WHERE external_id = ?1", [client_id(old)], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(touched, recupero::storage::ts(now), "the new session was read");
    let search = searches(&w, seen);
    assert!(search.len() <= 3, "an incremental poll reads the changes, not everything again: {search:?}");
    assert!(search.iter().all(|r| r.query.contains("rclastsessiondate%3E")), "{search:?}");
    // Caught up: the next polls are one short empty page each.
    for _ in 0..2 {
        w.app.clock.advance(Duration::minutes(10));
        let outcomes = w.sync().await;
        assert!(
            outcomes.iter().all(|o| matches!(o, PollOutcome::Page { new: 0, skipped: 0, .. })),
            "{outcomes:?}"
        );
        assert!(outcomes.len() <= 2, "{outcomes:?}");
    }
    assert_eq!(w.count("1"), before + 3);
}

#[tokio::test]
async fn vtex_a_failed_poll_keeps_the_cursor_backs_off_then_succeeds() {
    for fault in [
        Fault::Status { status: 429, retry_after: Some(90.0) },
        Fault::Status { status: 502, retry_after: None },
    ] {
        let w = world(VTEX, 8, Some(5)).await;
        w.sync().await;
        let cursor = w.cursor();
        w.sandbox.add(VTEX, 2, w.app.clock.now());
        w.app.clock.advance(Duration::minutes(2));
        w.sandbox.inject(VTEX, fault.clone());
        let failed = w.step().await;
        let PollOutcome::Failed { error, failures, retry_at } = &failed else { panic!("{failed:?}") };
        assert_eq!(*failures, 1);
        assert!(error.is_transient(), "{error}");
        let wait = *retry_at - w.app.clock.now();
        if let Fault::Status { retry_after: Some(s), .. } = fault {
            assert!(matches!(error, StoreError::RateLimited { .. }), "{error}");
            assert!(wait >= Duration::seconds(s as i64), "Retry-After honoured: {wait}");
        } else {
            assert!(matches!(error, StoreError::Server { status: 502 }), "{error}");
            assert!(wait >= Duration::seconds(24) && wait <= Duration::seconds(36), "30 s ± 20 %: {wait}");
        }
        assert_eq!(w.cursor(), cursor, "the cursor did not move");
        assert_eq!(w.state().0, "failing");
        assert!(matches!(w.step().await, PollOutcome::NotDue { .. }), "no retry before the backoff");
        w.app.clock.advance(wait + Duration::seconds(1));
        let outcomes = w.app.engine.poll_store_until_caught_up(w.store, false).await.unwrap();
        assert!(matches!(outcomes[0], PollOutcome::Page { .. }), "{outcomes:?}");
        assert_eq!(w.count("1") as usize, w.expected());
        assert_eq!(w.state().0, "ok");
    }
}

#[tokio::test]
async fn vtex_a_malformed_customer_cart_is_skipped_with_its_id_and_the_rest_kept() {
    let w = world(VTEX, 9, Some(5)).await;
    w.sandbox.inject(VTEX, Fault::MalformedItem);
    let outcomes = w.sync().await;
    let skipped: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { skipped, .. } = o { *skipped } else { 0 }).sum();
    assert_eq!(skipped, 1, "{outcomes:?}");
    assert_eq!(w.count("1") as usize, w.expected() - 1);
    let logged: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT data FROM events WHERE kind = 'checkout_skipped'", [], |r| r.get(0))
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(&logged).unwrap();
    let id = data["checkoutId"].as_str().expect("the skipped customer's id is recorded");
    assert!(id.starts_with("5f0c2e4a-"), "{id}");
    assert_eq!(w.count(&format!("external_id = '{id}'")), 0);
    assert!(data["reason"].as_str().unwrap().contains("dos"), "{data}");
}

#[tokio::test]
async fn vtex_a_malformed_page_loses_nothing_and_is_read_again() {
    let w = world(VTEX, 14, Some(5)).await;
    assert!(matches!(w.step().await, PollOutcome::Page { more: true, .. }));
    let cursor = w.cursor();
    w.sandbox.inject(VTEX, Fault::MalformedPage);
    let failed = w.app.engine.poll_store(w.store, true).await.unwrap();
    assert!(matches!(&failed, PollOutcome::Failed { error: StoreError::Protocol(_), .. }), "{failed:?}");
    assert_eq!(w.cursor(), cursor);
    w.sync().await;
    assert_eq!(w.count("1") as usize, w.expected(), "nothing lost");
}

/// Item names are cosmetic: a catalog that refuses the SKU read (a key without catalog read,
/// a product the catalog can't serve) names the items "SKU n" and the carts still arrive.
#[tokio::test]
async fn vtex_a_catalog_refusal_names_items_by_sku_and_keeps_polling() {
    for status in [403_u16, 400, 401] {
        let w = world(VTEX, 8, Some(5)).await;
        w.sandbox.vtex_catalog_refuses(Some(status));
        let outcomes = w.sync().await;
        assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { .. })), "{status}: {outcomes:?}");
        assert_eq!(w.count("1") as usize, w.expected(), "{status}");
        assert_eq!(w.count("items_json LIKE '%\"SKU %'"), w.count("1"), "{status}: named by SKU id");
        assert_eq!(w.state().0, "ok", "{status}");
    }
}

/// A catalog failing again and again for a SKU can't hold the cursor forever: the page is read
/// again after the backoff once, then the items are named "SKU n".
#[tokio::test]
async fn vtex_a_catalog_failing_twice_names_items_by_sku_after_one_backoff() {
    let w = world(VTEX, 4, None).await;
    w.sandbox.vtex_catalog_refuses(Some(500));
    let failed = w.step().await;
    let PollOutcome::Failed { error, retry_at, .. } = &failed else { panic!("{failed:?}") };
    assert!(matches!(error, StoreError::Server { status: 500 }), "{error}");
    assert_eq!(w.count("1"), 0);
    w.app.clock.advance(*retry_at - w.app.clock.now() + Duration::seconds(1));
    let outcomes = w.sync().await;
    assert!(matches!(outcomes[0], PollOutcome::Page { .. }), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, w.expected());
    assert_eq!(w.count("items_json LIKE '%\"SKU %'"), w.count("1"));
    assert_eq!(w.state().0, "ok");
}

#[tokio::test]
async fn vtex_a_finished_checkout_is_detected_by_the_sweep_and_the_pre_send_check() {
    let w = world(VTEX, 10, None).await;
    w.sync().await;
    let open: Vec<u64> =
        w.sandbox.checkouts(VTEX).iter().filter(|c| c.completes_at.is_none()).map(|c| c.id).collect();
    let bought = open[0];
    w.app.clock.advance(Duration::minutes(3));
    w.sandbox.complete(VTEX, bought, w.app.clock.now() - Duration::minutes(1));
    w.app.clock.advance(Duration::minutes(2));
    w.sync().await;
    let (status, completed): (String, Option<String>) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT status, completed_at FROM carts WHERE external_id = ?1",
            [client_id(bought)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "completed", "checkouttag Finalizado, read by the poll");
    assert!(completed.is_some());
    let answer = w.app.engine.cart_completion(cart_row(&w, bought)).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains("checkouttag")),
        "{answer:?}"
    );
    assert_eq!(w.app.engine.cart_completion(cart_row(&w, open[1])).await.unwrap(), Completion::Open);
}

#[tokio::test]
async fn vtex_an_oms_order_by_the_same_customer_is_a_purchase() {
    let w = world(VTEX, 6, None).await;
    w.sync().await;
    let open: Vec<_> = w.sandbox.checkouts(VTEX).into_iter().filter(|c| c.completes_at.is_none()).collect();
    let (buyer, other) = (&open[0], &open[1]);
    let row = cart_row(&w, buyer.id);
    let seen = w.sandbox.requests().len();
    // An order under another customer's email is not this one's purchase.
    let at = w.app.clock.now();
    w.sandbox
        .add_order(VTEX, NewOrder { country: "BR", ..NewOrder::by(None, Some("alguem@example.com"), at) });
    assert_eq!(w.app.engine.cart_completion(row).await.unwrap(), Completion::Open);
    // The customer buys through a fresh checkout, the email typed in capitals.
    w.app.clock.advance(Duration::minutes(1));
    let email = buyer.email.to_uppercase();
    let order = w
        .sandbox
        .add_order(VTEX, NewOrder { country: "BR", ..NewOrder::by(None, Some(&email), w.app.clock.now()) });
    let answer = w.app.engine.cart_completion(row).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains("same email")),
        "order {order}: {answer:?}"
    );
    assert_eq!(w.app.engine.cart_completion(cart_row(&w, other.id)).await.unwrap(), Completion::Open);
    let oms: Vec<_> =
        w.sandbox.requests()[seen..].iter().filter(|r| r.path == "/api/oms/pvt/orders").cloned().collect();
    assert!(!oms.is_empty());
    assert!(
        oms.iter().all(|r| r.query.contains("f_creationDate=creationDate") && r.query.contains("q=")),
        "{oms:?}"
    );
}

#[tokio::test]
async fn vtex_a_crash_between_pages_loses_nothing_and_duplicates_nothing() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 17);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let input = || StoreInput { page_size: Some(5), ..store_input(&sandbox, VTEX) };
    let store = app.engine.connect_store(&input()).unwrap().id;
    app.engine.poll_store(store, true).await.unwrap();
    app.engine.poll_store(store, true).await.unwrap();
    let dir = app.dir;
    drop(app.engine);
    let engine = crate::support::engine_on(dir.path(), Arc::new(app.clock.clone()));
    assert_eq!(engine.connect_store(&input()).unwrap().id, store, "the store keeps its cursor");
    engine.poll_store_until_caught_up(store, true).await.unwrap();
    let (rows, distinct): (i64, i64) = engine
        .db()
        .conn()
        .query_row("SELECT count(*), count(DISTINCT external_id) FROM carts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((rows, distinct), (17, 17));
}

/// More than 10,000 matching documents: search can't page through them, the pass scrolls.
#[tokio::test]
async fn vtex_past_ten_thousand_documents_the_pass_scrolls() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now() - Duration::minutes(30), 10_050);
    config.rate_limits = false;
    config.spacing = Duration::minutes(1);
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let input = store_input(&sandbox, VTEX);
    let store = input.config("BR").unwrap();
    let credentials =
        Credentials::KeySecret { key: input.key.clone().unwrap(), secret: input.secret.clone().unwrap() };
    let connector = AnyConnector::new(store, credentials, Arc::new(app.clock.clone())).unwrap();
    let mut cursor = Cursor::start();
    let mut ids = HashSet::new();
    let mut steps = 0;
    loop {
        let page = connector.list_changed(&cursor).await.unwrap();
        steps += 1;
        assert!(page.skipped.is_empty(), "{:?}", page.skipped);
        ids.extend(page.carts.iter().map(|c| c.external_id().as_str().to_string()));
        cursor = page.next;
        if !page.more {
            break;
        }
        assert!(steps < 30, "the scroll ends");
    }
    assert_eq!(ids.len(), 10_050, "every customer read once the scroll is over");
    let requests = sandbox.requests();
    let scrolls: Vec<_> = requests.iter().filter(|r| r.path == "/api/dataentities/CL/scroll").collect();
    assert!(scrolls.len() >= 11, "1,000 a page: {}", scrolls.len());
    assert!(scrolls[0].query.contains("_size=1000"), "{}", scrolls[0].query);
    assert!(scrolls[1..].iter().all(|r| r.query.starts_with("_token=")), "{scrolls:?}");
    assert!(requests.iter().all(|r| r.status == 200), "no search past 10,000");
    // The next poll is an ordinary incremental search.
    app.clock.advance(Duration::minutes(5));
    let page = connector.list_changed(&cursor).await.unwrap();
    assert!(!page.more, "one short page");
    assert!(page.carts.len() <= 11, "only the overlap before the watermark: {}", page.carts.len());
    assert!(page.carts.iter().all(|c| ids.contains(c.external_id().as_str())), "nothing new, nothing lost");
    assert_eq!(sandbox.requests().last().unwrap().path, "/api/dataentities/CL/search");
}

/// VTEX's session lasts 30 minutes: its carts wait that long even when the setting says 15.
#[tokio::test]
async fn vtex_a_cart_waits_for_the_thirty_minute_session_whatever_the_setting() {
    let w = world(VTEX, 3, None).await;
    w.sync().await;
    let now = w.app.clock.now();
    let id = w.sandbox.add(VTEX, 1, now - Duration::minutes(5))[0];
    w.sandbox.set_phone(VTEX, id, Some("(11) 98765-4321"));
    w.sandbox.never_completes(VTEX, id);
    w.sync().await;
    let status = |w: &World| -> (String, String) {
        w.app
            .engine
            .db()
            .conn()
            .query_row("SELECT status, detected_at FROM carts WHERE external_id = ?1", [client_id(id)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
    };
    let (s, detected_at) = status(&w);
    assert_eq!(s, "waiting");
    let updated = w.sandbox.checkout(VTEX, id).unwrap().updated_at;
    assert_eq!(
        detected_at,
        recupero::storage::ts(updated + Duration::minutes(30)),
        "max(15 min setting, 30 min)"
    );
    w.app.clock.advance(Duration::minutes(15));
    w.app.engine.poll_due_stores().await.unwrap();
    assert_eq!(status(&w).0, "waiting", "20 minutes: the session may still be going");
    w.app.clock.advance(Duration::minutes(11));
    w.app.engine.poll_due_stores().await.unwrap();
    let s = status(&w).0;
    assert!(s == "planned" || s == "holdout", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vtex_store_check_prints_every_normalized_cart_and_keeps_the_keys_secret() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 12);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let c = sandbox.config().clone();
    let base = sandbox.base_url();
    let run = |token: &str| {
        let dir = app.dir.path().to_path_buf();
        let args: Vec<String> =
            ["store", "check", "--platform", "vtex", "--base-url", &base, "--country", "BR", "--json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let env = vec![
            ("RECUPERO_STORE_KEY".to_string(), c.vtex_app_key.clone()),
            ("RECUPERO_STORE_SECRET".to_string(), token.to_string()),
        ];
        tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &env))
    };
    let out = run(&c.vtex_app_token).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 12);
    for cart in &lines {
        assert!(cart["checkoutId"].as_str().is_some_and(|s| s.starts_with("5f0c2e4a-")), "{cart}");
        assert!(
            cart["phone"].as_str().is_some_and(|p| p.starts_with('+')) || cart["phoneProblem"].is_string()
        );
        assert_eq!(cart["currency"], "BRL");
        assert!(cart["items"].as_array().is_some_and(|i| !i.is_empty()));
        assert!(cart["recoveryLink"].as_str().is_some_and(|l| l.contains("/checkout/cart/add?sku=")));
    }
    for secret in [&c.vtex_app_key, &c.vtex_app_token] {
        assert!(!text(&out.stdout).contains(secret.as_str()) && !text(&out.stderr).contains(secret.as_str()));
    }
    let out = run("wrong-token").await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("refused the credentials"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("wrong-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vtex_store_add_then_poll_headless_with_the_keys_in_the_environment() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 7);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let c = sandbox.config().clone();
    let base = sandbox.base_url();
    let env = vec![
        ("RECUPERO_STORE_KEY".to_string(), c.vtex_app_key.clone()),
        ("RECUPERO_STORE_SECRET".to_string(), c.vtex_app_token.clone()),
    ];
    let run = |args: Vec<&str>| {
        let dir = app.dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env = env.clone();
        tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &env))
    };
    let storefront = base.replace("127.0.0.1", "localhost");
    let args = vec![
        "store",
        "add",
        "--platform",
        "vtex",
        "--base-url",
        &base,
        "--country",
        "BR",
        "--store-id",
        &storefront,
    ];
    let out = run(args).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("vtex"), "{}", text(&out.stdout));
    let out = run(vec!["store", "poll", "--json"]).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(vec!["store", "list", "--json"]).await.unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["platform"], "vtex");
    assert_eq!(rows[0]["state"], "ok", "{rows}");
    for secret in [&c.vtex_app_key, &c.vtex_app_token] {
        assert!(!text(&out.stdout).contains(secret.as_str()));
    }
    // The recovery links open on the storefront given as the store id.
    let engine = crate::support::engine_on(app.dir.path(), Arc::new(app.clock.clone()));
    let links: Vec<String> = engine
        .db()
        .conn()
        .prepare("SELECT recovery_url FROM carts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(links.len(), 7);
    assert!(
        links.iter().all(|l| l.starts_with(&format!("{storefront}/checkout/cart/add?sku="))),
        "{links:?}"
    );
}
