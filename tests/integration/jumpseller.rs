//! The Jumpseller connector and the poller against the sandbox Jumpseller on loopback: first
//! sync over pages, incremental sync without duplicates (new orders at once, changed ones at the
//! periodic full scan), its 403 rate limit told apart from a refusal and backed off, a malformed
//! order skipped with its id, a malformed page read again, completion for the pre-send check (the
//! order paid, or a paid or Pending Payment order by the same phone or email, `null` fields
//! included; an unreadable order since the checkout is an error, never open), and a crash
//! between pages.

use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::{Fault, NewOrder, Sandbox, SandboxConfig};
use recupero::scheduler::poller::PollOutcome;
use recupero::secrets::Sensitive;
use recupero::stores::jumpseller::{RATE_LIMIT_WAIT, RESCAN_EVERY};
use recupero::stores::{Completion, Platform, StoreError, StoreInput};

use crate::support::world::{world, world_with, World};
use crate::support::{spawn_app, store_input};

const P: Platform = Platform::Jumpseller;

/// The abandoned orders the store lists now (paid ones leave the list).
fn listed(w: &World) -> usize {
    let now = w.app.clock.now();
    w.sandbox.checkouts(P).iter().filter(|c| c.created_at <= now && c.completed_at(now).is_none()).count()
}

fn pages(outcomes: &[PollOutcome]) -> usize {
    outcomes.iter().filter(|o| matches!(o, PollOutcome::Page { .. })).count()
}

fn cart_id(w: &World, external: u64) -> i64 {
    w.app
        .engine
        .db()
        .conn()
        .query_row("SELECT id FROM carts WHERE external_id = ?1", [external.to_string()], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn jumpseller_first_sync_reads_every_abandoned_order_over_several_pages() {
    let w = world(P, 23, Some(5)).await;
    let last = w.sandbox.checkouts(P).last().unwrap().id;
    w.sandbox.set_phone(P, last, Some("no tengo"));
    let outcomes = w.sync().await;
    assert!(pages(&outcomes) >= 4, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { skipped: 0, .. })), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, listed(&w));
    assert_eq!(w.count("(phone_e164 IS NULL) = (phone_problem IS NULL)"), 0);
    assert!(w.count("phone_e164 LIKE '+%'") > 0);
    assert!(w.count("phone_problem IS NOT NULL") > 0, "carts without a usable phone are kept");
    // The recovery link is the order's recovery_url.
    assert_eq!(
        w.count("recovery_url LIKE 'https://sandbox-tienda.jumpseller.com/v2/checkout/recover/%'"),
        w.count("1")
    );
    assert_eq!(w.state().0, "ok");
    let requests = w.sandbox.requests();
    assert!(requests
        .iter()
        .all(|r| r.path == "/v1/orders/status/abandoned.json" && r.query.contains("limit=5")));
    assert!(requests.iter().all(|r| r.user_agent.as_deref().is_some_and(|ua| ua.starts_with("Recupero/"))));
}

#[tokio::test]
async fn jumpseller_incremental_sync_reads_new_orders_at_once_and_changes_at_the_full_scan() {
    let w = world(P, 12, Some(5)).await;
    w.sync().await;
    let before = w.count("1");
    let seen = w.sandbox.requests().len();
    w.app.clock.advance(Duration::minutes(5));
    let now = w.app.clock.now();
    let new_ids = w.sandbox.add(P, 3, now - Duration::minutes(1));
    let old = w.sandbox.checkouts(P).iter().find(|c| c.completes_at.is_none()).unwrap().id;
    w.sandbox.touch(P, old, now);
    let outcomes = w.sync().await;
    let new: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { new, .. } = o { *new } else { 0 }).sum();
    assert_eq!(new, 3, "{outcomes:?}");
    assert_eq!(w.count("1"), before + 3, "re-seen orders update, never duplicate");
    for id in &new_ids {
        assert_eq!(w.count(&format!("external_id = '{id}'")), 1);
    }
    assert_eq!(
        w.sandbox.requests().len() - seen,
        1,
        "the first page reaches orders already read: one request"
    );
    // The full scan, every RESCAN_EVERY, reads the changed order again; still no duplicates.
    w.app.clock.advance(RESCAN_EVERY + Duration::minutes(1));
    w.sync().await;
    let updated: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT checkout_updated_at FROM carts WHERE external_id = ?1", [old.to_string()], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(updated, recupero::storage::ts(now), "the change was read at the full scan");
    assert_eq!(w.count("1"), before + 3);
    let (rows, distinct): (i64, i64) = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT count(*), count(DISTINCT external_id) FROM carts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(rows, distinct);
}

#[tokio::test]
async fn jumpseller_a_rate_limit_403_keeps_the_cursor_backs_off_then_succeeds() {
    let w = world(P, 8, Some(5)).await;
    w.sync().await;
    let cursor = w.cursor();
    w.sandbox.add(P, 2, w.app.clock.now());
    w.app.clock.advance(Duration::minutes(2));
    w.sandbox.inject(P, Fault::Status { status: 403, retry_after: None });
    let failed = w.step().await;
    let PollOutcome::Failed { error, failures, retry_at } = &failed else { panic!("{failed:?}") };
    assert_eq!(*failures, 1);
    assert!(
        matches!(error, StoreError::RateLimited { .. }),
        "a 403 'Rate Limit Exceeded' is throttling: {error}"
    );
    let wait = *retry_at - w.app.clock.now();
    assert!(wait >= Duration::from_std(RATE_LIMIT_WAIT).unwrap(), "{wait}");
    assert_eq!(w.cursor(), cursor, "the cursor did not move");
    assert_eq!(w.state().0, "failing");
    assert!(matches!(w.step().await, PollOutcome::NotDue { .. }), "no retry before the backoff");
    w.app.clock.advance(wait + Duration::seconds(1));
    let outcomes = w.app.engine.poll_store_until_caught_up(w.store, false).await.unwrap();
    assert!(matches!(outcomes[0], PollOutcome::Page { .. }), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, listed(&w));
    assert_eq!(w.state().0, "ok");
}

#[tokio::test]
async fn jumpseller_a_server_error_backs_off_then_succeeds() {
    let w = world(P, 6, Some(5)).await;
    w.sandbox.inject(P, Fault::Status { status: 502, retry_after: None });
    let failed = w.step().await;
    assert!(
        matches!(&failed, PollOutcome::Failed { error: StoreError::Server { status: 502 }, .. }),
        "{failed:?}"
    );
    assert!(w.cursor().is_none());
    w.app.clock.advance(Duration::minutes(1));
    w.app.engine.poll_store_until_caught_up(w.store, false).await.unwrap();
    assert_eq!(w.count("1") as usize, listed(&w));
}

#[tokio::test]
async fn jumpseller_the_live_limit_answers_403_and_wrong_credentials_are_an_auth_failure() {
    // 8 requests a second: a tight loop of one-order pages runs into the sandbox's limit.
    let w = world_with(P, 30, Some(1), true).await;
    let mut limited = false;
    for _ in 0..20 {
        if let PollOutcome::Failed { error, .. } = w.app.engine.poll_store(w.store, true).await.unwrap() {
            assert!(matches!(error, StoreError::RateLimited { retry_after: Some(_) }), "{error}");
            limited = true;
            break;
        }
    }
    assert!(limited, "the ninth request in a second is refused with 403");
    assert!(w.sandbox.requests().iter().any(|r| r.status == 403));
    // A wrong auth token is a refusal the owner sees, never a wait.
    let mut bad = store_input(&w.sandbox, P);
    bad.secret = Some(Sensitive::new("wrong-token".into()));
    let err = w.app.engine.store_check(&bad, 10).await.unwrap_err();
    assert_eq!(err.code(), "store_auth", "{err}");
}

#[tokio::test]
async fn jumpseller_query_string_and_oauth_credentials_work_too() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 4);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let query = StoreInput { query_string_auth: true, ..store_input(&sandbox, P) };
    let report = app.engine.store_check(&query, 10).await.unwrap();
    assert!(!report.carts.is_empty());
    assert!(
        sandbox.requests().iter().all(|r| !r.query.contains(&sandbox.config().jumpseller_token)),
        "masked in logs"
    );
    let mut oauth = store_input(&sandbox, P);
    oauth.key = None;
    oauth.secret = None;
    oauth.token = Some(Sensitive::new(sandbox.config().jumpseller_token.clone()));
    assert_eq!(app.engine.store_check(&oauth, 10).await.unwrap().carts.len(), report.carts.len());
}

#[tokio::test]
async fn jumpseller_a_malformed_order_is_skipped_with_its_id_and_the_rest_kept() {
    let w = world(P, 9, Some(5)).await;
    w.sandbox.inject(P, Fault::MalformedItem);
    let outcomes = w.sync().await;
    let skipped: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { skipped, .. } = o { *skipped } else { 0 }).sum();
    assert_eq!(skipped, 1, "{outcomes:?}");
    assert_eq!(w.count("1") as usize, listed(&w) - 1);
    let logged: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT data FROM events WHERE kind = 'checkout_skipped'", [], |r| r.get(0))
        .unwrap();
    let data: serde_json::Value = serde_json::from_str(&logged).unwrap();
    let id = data["checkoutId"].as_str().expect("the skipped order's id is recorded");
    assert_eq!(w.count(&format!("external_id = '{id}'")), 0);
    assert!(data["reason"].as_str().unwrap().contains("quantity"), "{data}");
}

#[tokio::test]
async fn jumpseller_a_malformed_page_loses_nothing_and_is_read_again() {
    let w = world(P, 14, Some(5)).await;
    assert!(matches!(w.step().await, PollOutcome::Page { more: true, .. }));
    let cursor = w.cursor();
    w.sandbox.inject(P, Fault::MalformedPage);
    let failed = w.app.engine.poll_store(w.store, true).await.unwrap();
    assert!(matches!(&failed, PollOutcome::Failed { error: StoreError::Protocol(_), .. }), "{failed:?}");
    assert_eq!(w.cursor(), cursor);
    w.sync().await;
    assert_eq!(w.count("1") as usize, listed(&w), "nothing lost");
}

#[tokio::test]
async fn jumpseller_completion_the_order_paid_or_a_paid_order_by_the_same_customer() {
    let w = world(P, 10, None).await;
    w.sync().await;
    let open: Vec<u64> =
        w.sandbox.checkouts(P).iter().filter(|c| c.completes_at.is_none()).map(|c| c.id).collect();
    // The customer pays the abandoned order itself: its status moves on.
    let bought = open[0];
    w.app.clock.advance(Duration::minutes(3));
    w.sandbox.complete(P, bought, w.app.clock.now() - Duration::minutes(1));
    let answer = w.app.engine.cart_completion(cart_id(&w, bought)).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, at: Some(_) } if how.contains("Paid")),
        "{answer:?}"
    );
    // Another customer buys through a fresh checkout, typing the number another way.
    let (other, phone): (String, String) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT external_id, phone_e164 FROM carts WHERE phone_e164 IS NOT NULL AND external_id != ?1 LIMIT 1",
            [bought.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let other: u64 = other.parse().unwrap();
    w.sandbox.never_completes(P, other);
    let other_cart = cart_id(&w, other);
    assert_eq!(w.app.engine.cart_completion(other_cart).await.unwrap(), Completion::Open);
    let typed = format!("{} {}-{}", &phone[..3], &phone[3..7], &phone[7..]);
    w.sandbox.add_order(P, NewOrder::by(Some(&typed), None, w.app.clock.now()));
    let answer = w.app.engine.cart_completion(other_cart).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains("same phone")),
        "{answer:?} {typed}"
    );
    // By email too.
    let third = *open.iter().find(|id| **id != bought && **id != other).unwrap();
    let email = w.sandbox.checkout(P, third).unwrap().email;
    let third_cart = cart_id(&w, third);
    assert_eq!(w.app.engine.cart_completion(third_cart).await.unwrap(), Completion::Open);
    w.sandbox.add_order(P, NewOrder::by(None, Some(&email.to_uppercase()), w.app.clock.now()));
    let answer = w.app.engine.cart_completion(third_cart).await.unwrap();
    assert!(matches!(&answer, Completion::Completed { how, .. } if how.contains("same email")), "{answer:?}");
}

/// A customer with a phone whose abandoned order stays open: the cart's row id and its phone.
fn open_cart_with_phone(w: &World) -> (i64, String) {
    let (external, phone): (String, String) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT external_id, phone_e164 FROM carts WHERE phone_e164 IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let external: u64 = external.parse().unwrap();
    w.sandbox.never_completes(P, external);
    (cart_id(w, external), phone)
}

/// Abandoned order 1042, then order 1050 placed by bank transfer (`Pending Payment`) with the
/// same phone: the customer bought, so the pre-send check answers Completed, never Open.
#[tokio::test]
async fn jumpseller_a_fresh_order_in_pending_payment_by_the_same_phone_is_a_purchase() {
    let w = world(P, 6, None).await;
    w.sync().await;
    let (cart, phone) = open_cart_with_phone(&w);
    assert_eq!(w.app.engine.cart_completion(cart).await.unwrap(), Completion::Open);
    w.app.clock.advance(Duration::minutes(3));
    let fresh = w.sandbox.add_order(P, NewOrder::by(Some(&phone), None, w.app.clock.now()));
    w.sandbox.jumpseller_pending_payment(fresh);
    let answer = w.app.engine.cart_completion(cart).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains(&format!("order {fresh}")) && how.contains("same phone")),
        "{answer:?}"
    );
    let asked: Vec<String> = w.sandbox.requests().iter().map(|r| r.path.clone()).collect();
    assert!(asked.iter().any(|p| p == "/v1/orders/status/pending_payment.json"), "{asked:?}");
    // The pending order is no abandoned cart of its own.
    w.sync().await;
    assert_eq!(w.count(&format!("external_id = '{fresh}'")), 0);
}

/// A paid order whose addresses, quantities and prices are `null` is still read for who placed
/// it; one that can't be read at all makes the check fail (no message), never answer Open.
#[tokio::test]
async fn jumpseller_an_order_with_nulls_still_counts_and_an_unreadable_one_is_never_open() {
    let w = world(P, 6, None).await;
    w.sync().await;
    let (cart, phone) = open_cart_with_phone(&w);
    w.app.clock.advance(Duration::minutes(3));
    let with_nulls = w.sandbox.add_order(P, NewOrder::by(Some(&phone), None, w.app.clock.now()));
    w.sandbox.jumpseller_nulls(with_nulls);
    let answer = w.app.engine.cart_completion(cart).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, .. } if how.contains(&format!("order {with_nulls}"))),
        "{answer:?}"
    );
    // Another open cart; an order since that no reader takes, by someone or other.
    let other: u64 = w
        .sandbox
        .checkouts(P)
        .iter()
        .find(|c| {
            c.completes_at.is_none()
                && c.id != with_nulls
                && w.count(&format!("external_id = '{}' AND phone_e164 IS NOT NULL", c.id)) == 1
                && c.phone.as_deref() != Some(phone.as_str())
        })
        .map(|c| c.id)
        .unwrap();
    w.sandbox.never_completes(P, other);
    let other_cart = cart_id(&w, other);
    assert_eq!(w.app.engine.cart_completion(other_cart).await.unwrap(), Completion::Open);
    w.app.clock.advance(Duration::minutes(3));
    let broken = w.sandbox.add_order(P, NewOrder::by(Some("+54 9 11 5555-0000"), None, w.app.clock.now()));
    w.sandbox.jumpseller_unreadable(broken);
    let answer = w.app.engine.cart_completion(other_cart).await;
    assert!(
        matches!(&answer, Err(e) if e.to_string().contains(&broken.to_string())),
        "an unreadable order since the checkout is no proof the customer didn't buy: {answer:?}"
    );
}

#[tokio::test]
async fn jumpseller_a_crash_between_pages_loses_nothing_and_duplicates_nothing() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 17);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let input = StoreInput { page_size: Some(5), ..store_input(&sandbox, P) };
    let store = app.engine.connect_store(&input).unwrap().id;
    app.engine.poll_store(store, true).await.unwrap();
    app.engine.poll_store(store, true).await.unwrap();
    let dir = app.dir;
    drop(app.engine);
    let engine = crate::support::engine_on(dir.path(), Arc::new(app.clock.clone()));
    assert_eq!(engine.connect_store(&input).unwrap().id, store);
    engine.poll_store_until_caught_up(store, true).await.unwrap();
    let now = app.clock.now();
    let listed =
        sandbox.checkouts(P).iter().filter(|c| c.created_at <= now && c.completed_at(now).is_none()).count();
    let (rows, distinct): (i64, i64) = engine
        .db()
        .conn()
        .query_row("SELECT count(*), count(DISTINCT external_id) FROM carts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((rows as usize, distinct as usize), (listed, listed));
}

/// `recupero store check --platform jumpseller|prestashop --json` with the credentials from the
/// environment prints normalized carts (never a secret); `store add` saves the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jumpseller_and_prestashop_on_the_command_line() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 12);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let c = sandbox.config().clone();
    let base = sandbox.base_url();
    let cases = [
        (
            "jumpseller",
            "CL",
            vec![
                ("RECUPERO_STORE_KEY".to_string(), c.jumpseller_login.clone()),
                ("RECUPERO_STORE_SECRET".to_string(), c.jumpseller_token.clone()),
            ],
        ),
        ("prestashop", "ES", vec![("RECUPERO_STORE_TOKEN".to_string(), c.prestashop_key.clone())]),
    ];
    for (platform, country, env) in cases {
        let dir = app.dir.path().to_path_buf();
        let args: Vec<String> =
            ["store", "check", "--platform", platform, "--base-url", &base, "--country", country, "--json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let run_env = env.clone();
        let out = tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &run_env))
            .await
            .unwrap();
        let stdout = crate::support::text(&out.stdout);
        assert!(out.status.success(), "{platform}: {}", crate::support::text(&out.stderr));
        let lines: Vec<serde_json::Value> =
            stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
        assert!(lines.len() >= 8, "{platform}: {} carts", lines.len());
        for cart in &lines {
            assert!(
                cart["phone"].as_str().is_some_and(|p| p.starts_with('+'))
                    || cart["phoneProblem"].is_string()
            );
            assert!(cart["total"].as_str().is_some_and(|t| t.parse::<f64>().is_ok()), "{cart}");
            assert!(cart["items"].as_array().is_some_and(|i| !i.is_empty()));
            assert!(cart["recoveryLink"].as_str().is_some_and(|l| l.starts_with("http")));
        }
        for (_, secret) in &env {
            assert!(!stdout.contains(secret.as_str()), "{platform}: a secret was printed");
        }
        // `store add` with the same flags saves it.
        let dir = app.dir.path().to_path_buf();
        let args: Vec<String> =
            ["store", "add", "--platform", platform, "--base-url", &base, "--country", country]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let out = tokio::task::spawn_blocking(move || crate::support::recupero_env(&dir, &args, &env))
            .await
            .unwrap();
        assert!(out.status.success(), "{platform}: {}", crate::support::text(&out.stderr));
    }
    let engine = crate::support::engine_on(app.dir.path(), Arc::new(app.clock.clone()));
    let platforms: Vec<String> = engine.list_stores().unwrap().into_iter().map(|s| s.platform).collect();
    assert!(
        platforms.contains(&"jumpseller".into()) && platforms.contains(&"prestashop".into()),
        "{platforms:?}"
    );
}
