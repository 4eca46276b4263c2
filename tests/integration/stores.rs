//! The store connectors and the poller against the sandbox stores on loopback: first sync,
//! incremental sync, paging, 429 / 5xx then success, a malformed checkout and a malformed page,
//! completion, Shopify's token renewal, one store down while another works, a crash between
//! pages, and `recupero store check` printing normalized carts.

use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::{Fault, Sandbox, SandboxConfig};
use recupero::scheduler::poller::PollOutcome;
use recupero::secrets::Sensitive;
use recupero::stores::{Completion, Platform, StoreError, StoreInput};
use rstest::rstest;

use crate::support::world::{world, world_with, World};
use crate::support::{spawn_app, store_input, text};

fn pages(outcomes: &[PollOutcome]) -> usize {
    outcomes.iter().filter(|o| matches!(o, PollOutcome::Page { .. })).count()
}

const ALL: [Platform; 3] = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce];

#[rstest]
#[tokio::test]
async fn first_sync_reads_every_checkout_over_several_pages(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 23, Some(5)).await;
    let outcomes = w.sync().await;
    assert!(pages(&outcomes) >= 5, "{:?}: 23 checkouts at 5 a page: {outcomes:?}", w.platform);
    assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { skipped: 0, .. })), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, w.expected(), "{:?}", w.platform);
    // Phones: E.164 or a reason; never both, never neither.
    assert_eq!(w.count("(phone_e164 IS NULL) = (phone_problem IS NULL)"), 0);
    assert!(w.count("phone_e164 LIKE '+%'") > 0);
    assert!(w.count("phone_problem IS NOT NULL") > 0, "the set has carts without a usable phone, kept");
    assert_eq!(w.count("phone_e164 IS NULL AND status IN ('waiting', 'detected')"), 0, "never to message");
    let (state, last_success) = w.state();
    assert_eq!(state, "ok");
    assert_eq!(last_success.as_deref(), Some(recupero::storage::ts(w.app.clock.now()).as_str()));
    // Every request carried our User-Agent.
    assert!(w
        .sandbox
        .requests()
        .iter()
        .all(|r| r.user_agent.as_deref().is_some_and(|ua| ua.starts_with("Recupero/"))));
}

#[rstest]
#[tokio::test]
async fn incremental_sync_reads_only_what_changed_and_never_duplicates(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 12, Some(5)).await;
    w.sync().await;
    let before = w.count("1");
    let seen = w.sandbox.requests().len();
    // Three new checkouts, and a customer comes back to an old one.
    w.app.clock.advance(Duration::minutes(5));
    let now = w.app.clock.now();
    let new_ids = w.sandbox.add(w.platform, 3, now - Duration::minutes(1));
    let old = w.sandbox.checkouts(w.platform).iter().find(|c| c.completes_at.is_none()).unwrap().id;
    w.sandbox.touch(w.platform, old, now);
    let outcomes = w.sync().await;
    let new: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { new, .. } = o { *new } else { 0 }).sum();
    assert_eq!(new, 3, "{outcomes:?}");
    assert_eq!(w.count("1"), before + 3, "re-seen checkouts update, never duplicate");
    for id in new_ids {
        assert_eq!(w.count(&format!("external_id = '{id}'")), 1);
    }
    let touched: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT checkout_updated_at FROM carts WHERE external_id = ?1", [old.to_string()], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(touched, recupero::storage::ts(now), "the update was read");
    let requests = &w.sandbox.requests()[seen..];
    assert!(
        requests.len() <= 6,
        "an incremental poll reads the changes, not everything again: {}",
        requests.len()
    );
    let filtered = |r: &&recupero::sandbox::Logged| {
        ["since_id=", "updated_at", "modified_after="].iter().any(|f| r.query.contains(f))
    };
    assert!(requests.iter().all(|r| filtered(&r)), "{requests:?}");
}

/// A caught-up store answers "nothing matches" in its own way (Tiendanube: its documented 404
/// "Error finding result with the parameters entered"): that is an empty page, not a failure.
#[rstest]
#[tokio::test]
async fn a_caught_up_poll_is_an_empty_page_not_a_failure(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 6, Some(5)).await;
    w.sync().await;
    let before = w.count("1");
    let seen = w.sandbox.requests().len();
    for round in 0..3 {
        w.app.clock.advance(Duration::minutes(10));
        let outcomes = w.sync().await;
        assert!(
            outcomes.iter().all(|o| matches!(o, PollOutcome::Page { new: 0, skipped: 0, .. })),
            "{:?} round {round}: {outcomes:?}",
            w.platform
        );
        assert!(outcomes.len() <= 3, "{:?}: a caught-up poll is short: {outcomes:?}", w.platform);
        let (state, last_success) = w.state();
        assert_eq!(state, "ok", "{:?}", w.platform);
        assert_eq!(last_success.as_deref(), Some(recupero::storage::ts(w.app.clock.now()).as_str()));
    }
    assert_eq!(w.count("1"), before);
    if w.platform == Platform::Tiendanube {
        let requests = &w.sandbox.requests()[seen..];
        assert!(
            requests.iter().any(|r| r.status == 404),
            "the sandbox answered as the API does: {requests:?}"
        );
    }
}

/// WooCommerce keeps `X-WP-TotalPages > page` on an empty page: the pass ends there, it never
/// pages on through nothing.
#[tokio::test]
async fn woocommerce_stops_on_an_empty_page_that_promises_more() {
    let w = world(Platform::Woocommerce, 6, Some(5)).await;
    w.sync().await;
    for _ in 0..40 {
        w.sandbox.inject(w.platform, Fault::EmptyPage);
    }
    w.app.clock.advance(Duration::minutes(10));
    let outcomes = w.sync().await;
    assert!(outcomes.len() <= 2, "one empty page per pass, then done: {} steps", outcomes.len());
    assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { new: 0, .. })), "{outcomes:?}");
    assert_eq!(w.state().0, "ok");
}

/// A polling round reads at most `MAX_PAGES_PER_ROUND` pages of one store; the rest follows
/// next round from the stored cursor, and nothing is lost or read twice.
#[tokio::test]
async fn a_round_reads_a_bounded_number_of_pages_and_the_next_round_continues() {
    use recupero::scheduler::poller::MAX_PAGES_PER_ROUND;
    let count = (MAX_PAGES_PER_ROUND as u64) * 2 + 3;
    let w = world(Platform::Tiendanube, count, Some(1)).await;
    w.app.engine.poll_due_stores().await.unwrap();
    let first = w.count("1") as usize;
    assert!(first > 0 && first <= MAX_PAGES_PER_ROUND, "one round, at most the cap: {first}");
    let mut rounds = 1;
    while (w.count("1") as usize) < w.expected() {
        rounds += 1;
        assert!(rounds <= 5, "the next rounds continue: {} of {}", w.count("1"), w.expected());
        w.app.engine.poll_due_stores().await.unwrap();
    }
    assert_eq!(w.count("1") as usize, w.expected(), "nothing read twice");
    assert_eq!(w.state().0, "ok");
}

#[rstest]
#[case::rate_limited(Fault::Status { status: 429, retry_after: Some(90.0) })]
#[case::server_error(Fault::Status { status: 502, retry_after: None })]
#[tokio::test]
async fn a_failed_poll_keeps_the_cursor_backs_off_then_succeeds(
    #[case] fault: Fault,
    #[values(0, 1, 2)] p: usize,
) {
    let w = world(ALL[p], 8, Some(5)).await;
    w.sync().await;
    let cursor = w.cursor();
    w.sandbox.add(w.platform, 2, w.app.clock.now());
    w.app.clock.advance(Duration::minutes(2));
    w.sandbox.inject(w.platform, fault.clone());
    let failed = w.step().await;
    let PollOutcome::Failed { error, failures, retry_at } = &failed else { panic!("{failed:?}") };
    assert_eq!(*failures, 1);
    assert!(error.is_transient(), "{error}");
    let wait = *retry_at - w.app.clock.now();
    if let Fault::Status { retry_after: Some(s), .. } = fault {
        assert!(matches!(error, StoreError::RateLimited { .. }), "{error}");
        assert!(wait >= Duration::seconds(s as i64), "Retry-After honoured: {wait}");
    } else {
        assert!(wait >= Duration::seconds(24) && wait <= Duration::seconds(36), "30 s ± 20 %: {wait}");
    }
    assert_eq!(w.cursor(), cursor, "the cursor did not move");
    assert_eq!(w.state().0, "failing");
    // The window reads the saved failure back with its code (the Spanish window words it).
    let stores = w.app.engine.list_stores().unwrap();
    let problem = stores.iter().find(|s| s.id == w.store).and_then(|s| s.last_problem.clone());
    let problem = problem.expect("a failing store shows its last problem");
    assert_eq!((problem.code, problem.detail), (error.ui().code, error.to_string()));
    assert!(matches!(w.step().await, PollOutcome::NotDue { .. }), "no retry before the backoff");
    w.app.clock.advance(wait + Duration::seconds(1));
    let outcomes = w.app.engine.poll_store_until_caught_up(w.store, false).await.unwrap();
    assert!(matches!(outcomes[0], PollOutcome::Page { .. }), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, w.expected());
    assert_eq!(w.state().0, "ok");
}

#[rstest]
#[tokio::test]
async fn a_malformed_checkout_is_skipped_with_its_id_and_the_rest_kept(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 9, Some(5)).await;
    w.sandbox.inject(w.platform, Fault::MalformedItem);
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
    let id = data["checkoutId"].as_str().expect("the skipped checkout's id is recorded");
    assert_eq!(w.count(&format!("external_id = '{id}'")), 0);
    assert!(!data["reason"].as_str().unwrap().is_empty());
}

#[rstest]
#[tokio::test]
async fn a_malformed_page_loses_nothing_and_is_read_again(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 14, Some(5)).await;
    assert!(matches!(w.step().await, PollOutcome::Page { more: true, .. }));
    let cursor = w.cursor();
    w.sandbox.inject(w.platform, Fault::MalformedPage);
    let failed = w.app.engine.poll_store(w.store, true).await.unwrap();
    assert!(matches!(&failed, PollOutcome::Failed { error: StoreError::Protocol(_), .. }), "{failed:?}");
    assert_eq!(w.cursor(), cursor);
    w.sync().await;
    assert_eq!(w.count("1") as usize, w.expected(), "nothing lost");
}

#[rstest]
#[tokio::test]
async fn a_completed_checkout_is_detected(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 10, None).await;
    w.sync().await;
    let open: Vec<u64> =
        w.sandbox.checkouts(w.platform).iter().filter(|c| c.completes_at.is_none()).map(|c| c.id).collect();
    let bought = open[0];
    w.app.clock.advance(Duration::minutes(3));
    w.sandbox.complete(w.platform, bought, w.app.clock.now() - Duration::minutes(1));
    w.app.clock.advance(Duration::minutes(2));
    w.sync().await;
    let status: (String, Option<String>) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT status, completed_at FROM carts WHERE external_id = ?1",
            [bought.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status.0, "completed", "{:?}", w.platform);
    assert!(status.1.is_some());
    // The pre-send check asks the store directly too.
    let cart_id: i64 = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT id FROM carts WHERE external_id = ?1", [bought.to_string()], |r| r.get(0))
        .unwrap();
    assert!(matches!(w.app.engine.cart_completion(cart_id).await.unwrap(), Completion::Completed { .. }));
    let still_open: i64 = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT id FROM carts WHERE external_id = ?1", [open[1].to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(w.app.engine.cart_completion(still_open).await.unwrap(), Completion::Open);
}

#[tokio::test]
async fn tiendanube_matches_an_order_from_a_fresh_checkout_by_phone() {
    let w = world(Platform::Tiendanube, 10, None).await;
    w.sync().await;
    let (cart_id, phone): (i64, String) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT id, phone_e164 FROM carts WHERE phone_e164 IS NOT NULL AND status != 'completed' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(w.app.engine.cart_completion(cart_id).await.unwrap(), Completion::Open);
    // The shop had a busy day: 230 other orders first (the match is on the second page)…
    for n in 0..230 {
        w.sandbox.add_tiendanube_order(&format!("+5491170{n:06}"), w.app.clock.now());
    }
    // …then the customer bought from a new checkout, typing the number another way.
    let local = phone.replacen("+549", "0", 1);
    w.sandbox.add_tiendanube_order(&local, w.app.clock.now());
    let answer = w.app.engine.cart_completion(cart_id).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains("same phone")),
        "{answer:?} for {local}"
    );
}

#[tokio::test]
async fn shopify_client_credentials_are_exchanged_and_renewed_before_they_expire() {
    let app = spawn_app();
    let sandbox =
        Sandbox::start(fast(SandboxConfig::new(app.clock.now(), 6)), Arc::new(app.clock.clone()), 0)
            .await
            .unwrap();
    let c = sandbox.config().clone();
    let mut store = store_input(&sandbox, Platform::Shopify);
    store.token = None;
    store.key = Some(Sensitive::new(c.shopify_client_id.clone()));
    store.secret = Some(Sensitive::new(c.shopify_client_secret.clone()));
    let id = app.engine.connect_store(&store).unwrap().id;
    let poll = || app.engine.poll_store_until_caught_up(id, true);
    let first = poll().await.unwrap();
    assert!(matches!(first[0], PollOutcome::Page { .. }), "{first:?}");
    assert_eq!(sandbox.tokens_issued(), 1);
    app.clock.advance(Duration::hours(12));
    poll().await.unwrap();
    assert_eq!(sandbox.tokens_issued(), 1, "a token is reused while it is valid");
    app.clock.advance(Duration::hours(11) + Duration::minutes(55));
    poll().await.unwrap();
    assert_eq!(sandbox.tokens_issued(), 2, "renewed shortly before its 24 hours");
    // Revoked early: one 401, one renewal, and the poll still succeeds.
    sandbox.expire_tokens();
    let again = poll().await.unwrap();
    assert!(matches!(again[0], PollOutcome::Page { .. }), "{again:?}");
    assert_eq!(sandbox.tokens_issued(), 3);
    // A wrong secret is an auth failure the owner sees.
    let mut bad = store.clone();
    bad.secret = Some(Sensitive::new("wrong".into()));
    let err = app.engine.store_check(&bad, 10).await.unwrap_err();
    assert_eq!(err.code(), "store_auth", "{err}");
}

#[tokio::test]
async fn the_platform_rate_limits_are_respected() {
    // Tiendanube's bucket: 40 requests, 2 a second. A tight loop of one-checkout pages runs into it.
    let w = world_with(Platform::Tiendanube, 60, Some(1), true).await;
    let mut paced = false;
    let mut limited = None;
    for _ in 0..60 {
        match w.app.engine.poll_store(w.store, true).await.unwrap() {
            PollOutcome::Page { pace, .. } if !pace.is_zero() => paced = true,
            PollOutcome::Failed { error: StoreError::RateLimited { retry_after }, retry_at, .. } => {
                limited = Some((retry_after, retry_at));
                break;
            }
            _ => {}
        }
    }
    assert!(paced, "the connector asks to slow down as the bucket fills");
    let (retry_after, retry_at) = limited.expect("the sandbox answers 429 when the bucket is full");
    assert!(retry_after.is_some(), "X-Rate-Limit-Reset is read");
    assert!(retry_at > w.app.clock.now());
    // Shopify's cost bucket: THROTTLED becomes a wait computed from the restore rate.
    let s = world_with(Platform::Shopify, 40, None, true).await;
    let mut throttled = false;
    for _ in 0..10 {
        if let PollOutcome::Failed { error: StoreError::RateLimited { retry_after: Some(wait) }, .. } =
            s.app.engine.poll_store(s.store, true).await.unwrap()
        {
            assert!(wait.as_secs_f64() > 0.0 && wait.as_secs_f64() <= 20.0, "{wait:?}");
            throttled = true;
            break;
        }
    }
    assert!(throttled, "a tight loop of Shopify queries is throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_store_down_never_stops_the_others() {
    let w = world(Platform::Tiendanube, 5, None).await;
    let mut dead = store_input(&w.sandbox, Platform::Woocommerce);
    dead.base_url = "http://127.0.0.1:9".into(); // nothing listens there
    let dead_id = w.app.engine.connect_store(&dead).unwrap().id;
    let results = w.app.engine.poll_due_stores().await.unwrap();
    let by_id = |id| results.iter().find(|(i, _)| *i == id).map(|(_, r)| r.clone()).unwrap();
    assert!(matches!(by_id(w.store), Ok(PollOutcome::Page { .. })), "{results:?}");
    assert!(
        matches!(by_id(dead_id), Ok(PollOutcome::Failed { error: StoreError::Unreachable(_), .. })),
        "{results:?}"
    );
    assert_eq!(w.count("1") as usize, w.expected());
    let states: Vec<(i64, String)> =
        w.app.engine.list_stores().unwrap().into_iter().map(|s| (s.id, s.state)).collect();
    assert!(
        states.contains(&(w.store, "ok".into())) && states.contains(&(dead_id, "failing".into())),
        "{states:?}"
    );
}

#[tokio::test]
async fn a_crash_between_pages_loses_nothing_and_duplicates_nothing() {
    let app = spawn_app();
    let sandbox =
        Sandbox::start(fast(SandboxConfig::new(app.clock.now(), 17)), Arc::new(app.clock.clone()), 0)
            .await
            .unwrap();
    let store = app
        .engine
        .connect_store(&StoreInput { page_size: Some(5), ..store_input(&sandbox, Platform::Tiendanube) })
        .unwrap()
        .id;
    app.engine.poll_store(store, true).await.unwrap();
    app.engine.poll_store(store, true).await.unwrap();
    // The process dies here; a new engine opens the same database.
    let dir = app.dir;
    drop(app.engine);
    let engine = crate::support::engine_on(dir.path(), Arc::new(app.clock.clone()));
    // Credentials live in the (new, empty) secret store: the owner connects the store again,
    // which keeps its cursor.
    let again = engine
        .connect_store(&StoreInput { page_size: Some(5), ..store_input(&sandbox, Platform::Tiendanube) })
        .unwrap();
    assert_eq!(again.id, store);
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

#[tokio::test]
async fn a_checkout_becomes_a_cart_only_after_the_abandonment_delay() {
    let w = world(Platform::Tiendanube, 3, None).await;
    w.sync().await;
    let now = w.app.clock.now();
    let id = w.sandbox.add(Platform::Tiendanube, 1, now - Duration::minutes(5))[0];
    w.sync().await;
    let status = |w: &World| -> (String, String) {
        w.app
            .engine
            .db()
            .conn()
            .query_row(
                "SELECT status, detected_at FROM carts WHERE external_id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let (s, detected_at) = status(&w);
    assert_eq!(s, "waiting");
    let updated = w.sandbox.checkout(Platform::Tiendanube, id).unwrap().updated_at;
    assert_eq!(detected_at, recupero::storage::ts(updated + Duration::minutes(15)));
    w.app.clock.advance(Duration::minutes(9));
    w.app.engine.poll_due_stores().await.unwrap();
    assert_eq!(status(&w).0, "waiting", "15 minutes have not passed since the last update");
    w.app.clock.advance(Duration::minutes(7));
    w.app.engine.poll_due_stores().await.unwrap();
    // Detected and planned in the same transaction: the plan owns the status from here.
    let s = status(&w).0;
    assert!(s == "planned" || s == "holdout", "{s}");
    let sends: i64 = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT count(*) FROM sends s JOIN carts c ON c.id = s.cart_id WHERE c.external_id = ?1 AND s.state = 'planned'",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sends, 1, "one planned first message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_check_prints_every_normalized_cart() {
    let app = spawn_app();
    let sandbox =
        Sandbox::start(fast(SandboxConfig::new(app.clock.now(), 12)), Arc::new(app.clock.clone()), 0)
            .await
            .unwrap();
    let c = sandbox.config().clone();
    let base = sandbox.base_url();
    for (platform, extra, env) in [
        (
            "tiendanube",
            vec!["--store-id", c.tiendanube_store_id.as_str()],
            vec![("RECUPERO_STORE_TOKEN", c.token.as_str())],
        ),
        ("shopify", vec![], vec![("RECUPERO_STORE_TOKEN", c.token.as_str())]),
        (
            "woocommerce",
            vec![],
            vec![
                ("RECUPERO_STORE_KEY", c.woo_key.as_str()),
                ("RECUPERO_STORE_SECRET", c.woo_secret.as_str()),
            ],
        ),
    ] {
        let mut args = vec![
            "store",
            "check",
            "--platform",
            platform,
            "--base-url",
            base.as_str(),
            "--json",
            "--country",
            "AR",
        ];
        args.extend(extra);
        let dir = app.dir.path().to_path_buf();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let args = args_owned(&args);
        let out = tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &env))
            .await
            .unwrap();
        assert!(out.status.success(), "{platform}: {}", text(&out.stderr));
        let lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert!(lines.len() >= 10, "{platform}: {} carts", lines.len());
        for cart in &lines {
            assert!(cart["checkoutId"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(
                cart["phone"].as_str().is_some_and(|p| p.starts_with('+'))
                    || cart["phoneProblem"].is_string(),
                "{cart}"
            );
            assert!(cart["currency"].as_str().is_some_and(|c| c.len() == 3));
            assert!(
                cart["total"].as_str().is_some_and(|t| t.parse::<f64>().is_ok()),
                "money is decimal text: {cart}"
            );
            assert!(cart["items"].as_array().is_some_and(|i| !i.is_empty()));
            assert!(cart["recoveryLink"].as_str().is_some_and(|l| l.starts_with("http")));
            assert!(cart["completed"].is_boolean());
        }
        for secret in [&c.token, &c.woo_key, &c.woo_secret, &c.shopify_client_secret] {
            let printed =
                text(&out.stdout).contains(secret.as_str()) || text(&out.stderr).contains(secret.as_str());
            assert!(!printed, "{platform}: a secret was printed");
        }
    }
    // Wrong credentials: a clear error, exit 1.
    let dir = app.dir.path().to_path_buf();
    let args = args_owned(&[
        "store",
        "check",
        "--platform",
        "tiendanube",
        "--base-url",
        &base,
        "--store-id",
        &c.tiendanube_store_id,
    ]);
    let out = tokio::task::spawn_blocking(move || {
        crate::support::recupero_env(&dir, &args, &[("RECUPERO_STORE_TOKEN".into(), "wrong".into())])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("refused the credentials"), "{}", text(&out.stderr));
}

/// No rate limits: tests that are not about them don't wait for buckets to drain.
fn fast(mut config: SandboxConfig) -> SandboxConfig {
    config.rate_limits = false;
    config
}

fn args_owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[rstest]
#[tokio::test]
async fn an_old_checkout_updated_before_a_newer_one_appears_is_still_read_again(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 8, Some(5)).await;
    w.sync().await;
    // The customer comes back to an old checkout; two hours later someone else abandons one;
    // the app polls only after both (the laptop was asleep).
    w.app.clock.advance(Duration::minutes(30));
    let old = w.sandbox.checkouts(w.platform).iter().find(|c| c.completes_at.is_none()).unwrap().id;
    let touched_at = w.app.clock.now();
    w.sandbox.touch(w.platform, old, touched_at);
    w.app.clock.advance(Duration::hours(2));
    w.sandbox.add(w.platform, 1, w.app.clock.now());
    w.app.clock.advance(Duration::minutes(1));
    w.sync().await;
    let seen: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT checkout_updated_at FROM carts WHERE external_id = ?1", [old.to_string()], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(seen, recupero::storage::ts(touched_at), "{:?}: the older update was not skipped", w.platform);
}

#[tokio::test]
async fn woocommerce_orders_leaving_the_list_while_we_page_shift_nothing_out_of_sight() {
    let w = world(Platform::Woocommerce, 40, Some(5)).await;
    let abandoned: Vec<u64> = {
        let now = w.app.clock.now();
        w.sandbox
            .checkouts(Platform::Woocommerce)
            .iter()
            .filter(|c| c.completed_at(now).is_none())
            .map(|c| c.id)
            .collect()
    };
    assert!(matches!(w.step().await, PollOutcome::Page { more: true, .. }));
    assert!(matches!(w.step().await, PollOutcome::Page { more: true, .. }));
    // Three orders already read get paid (they leave the abandoned statuses): with page numbers,
    // the orders behind them would move up a page and be skipped.
    let read: Vec<String> = {
        let conn = w.app.engine.db().conn();
        let mut stmt = conn.prepare("SELECT external_id FROM carts ORDER BY id LIMIT 3").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    for id in &read {
        w.sandbox.complete(Platform::Woocommerce, id.parse().unwrap(), w.app.clock.now());
    }
    w.sync().await;
    for id in abandoned {
        assert_eq!(w.count(&format!("external_id = '{id}'")), 1, "order {id} was read");
    }
}

#[tokio::test]
async fn two_stores_on_one_platform_keep_their_own_credentials() {
    let app = spawn_app();
    let mut stores = Vec::new();
    for token in ["token-of-shop-a", "token-of-shop-b"] {
        let mut config = fast(SandboxConfig::new(app.clock.now(), 4));
        config.token = token.into();
        let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
        let id = app.engine.connect_store(&store_input(&sandbox, Platform::Tiendanube)).unwrap().id;
        stores.push((id, sandbox));
    }
    for (id, sandbox) in &stores {
        let outcomes = app.engine.poll_store_until_caught_up(*id, true).await.unwrap();
        assert!(matches!(outcomes[0], PollOutcome::Page { new: 4, .. }), "store {id}: {outcomes:?}");
        assert!(sandbox.requests().iter().all(|r| r.status == 200), "each store got its own token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_unreachable_for_an_hour_tells_the_owner_once() {
    use recupero::events::{EngineEvent, OwnerProblem};
    let w = world(Platform::Tiendanube, 1, None).await;
    let mut dead = store_input(&w.sandbox, Platform::Woocommerce);
    dead.base_url = "http://127.0.0.1:9".into(); // nothing listens there
    let dead_id = w.app.engine.connect_store(&dead).unwrap().id;
    let mut events = w.app.engine.events().subscribe();
    let mut told_at = Vec::new();
    let start = w.app.clock.now();
    // Failing polls every few minutes for three hours.
    while w.app.clock.now() < start + Duration::hours(3) {
        let out = w.app.engine.poll_store(dead_id, true).await.unwrap();
        assert!(matches!(out, PollOutcome::Failed { .. }), "{out:?}");
        while let Ok(e) = events.try_recv() {
            if e == (EngineEvent::NeedsOwner { problem: OwnerProblem::StoreUnreachable }) {
                told_at.push(w.app.clock.now() - start);
            }
        }
        w.app.clock.advance(Duration::minutes(7));
    }
    assert_eq!(told_at.len(), 1, "told once: {told_at:?}");
    assert!(
        told_at[0] >= Duration::hours(1) && told_at[0] < Duration::minutes(70),
        "after an hour, not before: {:?}",
        told_at[0]
    );
}
