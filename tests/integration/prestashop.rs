//! The PrestaShop connector and the poller against the sandbox webservice on loopback: first
//! sync over pages (carts, then their addresses, customers and products in batches),
//! incremental sync by `date_upd` without duplicates, 429 / 5xx backed off, a malformed cart
//! skipped with its id, a malformed page read again, completion (an order with the cart's
//! `id_cart`, or an order by the same phone or email) in the poll and the pre-send check, and a
//! crash between pages.

use std::sync::Arc;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::sandbox::{Fault, NewOrder, Sandbox, SandboxConfig};
use recupero::scheduler::poller::PollOutcome;
use recupero::secrets::Sensitive;
use recupero::stores::{Completion, Platform, StoreError, StoreInput};

use crate::support::world::{world, World};
use crate::support::{spawn_app, store_input};

const P: Platform = Platform::Prestashop;

/// The carts without an order (ordered ones are completions, never new carts).
/// The stored update time of the cart of checkout `external` (as text, as stored).
fn updated_at(w: &World, external: impl ToString) -> String {
    w.app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT checkout_updated_at FROM carts WHERE external_id = ?1",
            [external.to_string()],
            |r| r.get(0),
        )
        .unwrap()
}

fn listed(w: &World) -> usize {
    let now = w.app.clock.now();
    w.sandbox.checkouts(P).iter().filter(|c| c.created_at <= now && c.completed_at(now).is_none()).count()
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
async fn prestashop_first_sync_reads_every_cart_over_several_pages() {
    let w = world(P, 23, Some(5)).await;
    let last = w.sandbox.checkouts(P).last().unwrap().id;
    w.sandbox.set_phone(P, last, Some("no tengo"));
    let outcomes = w.sync().await;
    let pages = outcomes.iter().filter(|o| matches!(o, PollOutcome::Page { .. })).count();
    assert!(pages >= 4, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, PollOutcome::Page { skipped: 0, .. })), "{outcomes:?}");
    assert_eq!(w.count("1") as usize, listed(&w));
    assert_eq!(w.count("(phone_e164 IS NULL) = (phone_problem IS NULL)"), 0);
    assert!(w.count("phone_e164 LIKE '+%'") > 0);
    assert!(w.count("phone_problem IS NOT NULL") > 0);
    // No recovery link in PrestaShop: the shop's cart page.
    let link = format!("{}/index.php?controller=cart&action=show", w.sandbox.base_url());
    assert_eq!(w.count(&format!("recovery_url = '{link}'")), w.count("1"));
    assert_eq!(w.state().0, "ok");
    let requests = w.sandbox.requests();
    let carts: Vec<_> = requests.iter().filter(|r| r.path == "/api/carts").collect();
    assert!(
        carts.iter().all(|r| r.query.contains("date=1") && r.query.contains("output_format=JSON")),
        "{carts:?}"
    );
    assert!(requests.iter().all(|r| r.status == 200), "{requests:?}");
    assert_eq!(
        requests.iter().filter(|r| r.path == "/api/configurations").count(),
        1,
        "PS_TIMEZONE read once"
    );
}

#[tokio::test]
async fn prestashop_incremental_sync_reads_only_what_changed_and_never_duplicates() {
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
    assert_eq!(w.count("1"), before + 3);
    for id in &new_ids {
        assert_eq!(w.count(&format!("external_id = '{id}'")), 1);
    }
    let updated = updated_at(&w, old);
    assert_eq!(updated, recupero::storage::ts(now), "the change was read");
    let carts: Vec<_> =
        w.sandbox.requests()[seen..].iter().filter(|r| r.path == "/api/carts").cloned().collect();
    assert!(carts.len() <= 2, "an incremental poll reads from the watermark: {carts:?}");
    assert!(carts.iter().all(|r| !r.query.contains("2000-01-01")), "{carts:?}");
}

#[tokio::test]
async fn prestashop_a_failed_poll_keeps_the_cursor_backs_off_then_succeeds() {
    for fault in [
        Fault::Status { status: 429, retry_after: Some(90.0) },
        Fault::Status { status: 503, retry_after: None },
    ] {
        let w = world(P, 8, Some(5)).await;
        w.sync().await;
        let cursor = w.cursor();
        w.sandbox.add(P, 2, w.app.clock.now());
        w.app.clock.advance(Duration::minutes(2));
        w.sandbox.inject(P, fault.clone());
        let failed = w.step().await;
        let PollOutcome::Failed { error, retry_at, .. } = &failed else { panic!("{failed:?}") };
        assert!(error.is_transient(), "{error}");
        if let Fault::Status { retry_after: Some(s), .. } = fault {
            assert!(matches!(error, StoreError::RateLimited { .. }), "{error}");
            assert!(*retry_at - w.app.clock.now() >= Duration::seconds(s as i64));
        }
        assert_eq!(w.cursor(), cursor, "the cursor did not move");
        assert_eq!(w.state().0, "failing");
        w.app.clock.advance(*retry_at - w.app.clock.now() + Duration::seconds(1));
        w.app.engine.poll_store_until_caught_up(w.store, false).await.unwrap();
        assert_eq!(w.count("1") as usize, listed(&w));
        assert_eq!(w.state().0, "ok");
    }
}

#[tokio::test]
async fn prestashop_a_wrong_key_is_an_auth_failure_and_ws_key_works() {
    let app = spawn_app();
    let mut config = SandboxConfig::new(app.clock.now(), 4);
    config.rate_limits = false;
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let mut bad = store_input(&sandbox, P);
    bad.token = Some(Sensitive::new("WRONG".into()));
    let err = app.engine.store_check(&bad, 10).await.unwrap_err();
    assert_eq!(err.code(), "store_auth", "{err}");
    let query = StoreInput { query_string_auth: true, ..store_input(&sandbox, P) };
    let report = app.engine.store_check(&query, 10).await.unwrap();
    assert!(!report.carts.is_empty());
    let key = &sandbox.config().prestashop_key;
    assert!(sandbox.requests().iter().all(|r| !r.query.contains(key.as_str())), "the key is masked in logs");
}

#[tokio::test]
async fn prestashop_a_malformed_cart_is_skipped_with_its_id_and_the_rest_kept() {
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
    let id = data["checkoutId"].as_str().expect("the skipped cart's id is recorded");
    assert_eq!(w.count(&format!("external_id = '{id}'")), 0);
    assert!(data["reason"].as_str().unwrap().contains("quantity"), "{data}");
}

#[tokio::test]
async fn prestashop_a_malformed_page_loses_nothing_and_is_read_again() {
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
async fn prestashop_completion_an_order_for_the_cart_or_by_the_same_customer() {
    let w = world(P, 10, None).await;
    w.sync().await;
    let open: Vec<u64> =
        w.sandbox.checkouts(P).iter().filter(|c| c.completes_at.is_none()).map(|c| c.id).collect();
    let bought = open[0];
    w.app.clock.advance(Duration::minutes(3));
    w.sandbox.complete(P, bought, w.app.clock.now() - Duration::minutes(1));
    let answer = w.app.engine.cart_completion(cart_id(&w, bought)).await.unwrap();
    assert!(
        matches!(&answer, Completion::Completed { how, at: Some(_) } if how.contains("for the cart")),
        "{answer:?}"
    );
    // The poll sees the order too.
    w.app.clock.advance(Duration::minutes(2));
    w.sync().await;
    let status: String = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT status FROM carts WHERE external_id = ?1", [bought.to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "completed");
    // A fresh checkout by the same phone, typed another way.
    let (other, phone): (String, String) = w
        .app
        .engine
        .db()
        .conn()
        .query_row(
            "SELECT external_id, phone_e164 FROM carts WHERE phone_e164 IS NOT NULL AND status != 'completed' LIMIT 1",
            [],
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
    // By email.
    let third = *open.iter().find(|id| **id != bought && **id != other).unwrap();
    let email = w.sandbox.checkout(P, third).unwrap().email;
    let third_cart = cart_id(&w, third);
    assert_eq!(w.app.engine.cart_completion(third_cart).await.unwrap(), Completion::Open);
    w.sandbox.add_order(P, NewOrder::by(None, Some(&email), w.app.clock.now()));
    let answer = w.app.engine.cart_completion(third_cart).await.unwrap();
    assert!(matches!(&answer, Completion::Completed { how, .. } if how.contains("same email")), "{answer:?}");
}

#[tokio::test]
async fn prestashop_a_crash_between_pages_loses_nothing_and_duplicates_nothing() {
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

/// The `filter[date_upd]` interval's start of a logged carts request, as the shop's local time.
fn date_upd_from(query: &str) -> chrono::NaiveDateTime {
    let (_, interval) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "filter[date_upd]")
        .unwrap_or_else(|| panic!("no filter[date_upd] in {query}"));
    let start = interval.trim_start_matches('[').split(',').next().unwrap().to_string();
    chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn madrid(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&chrono_tz::Europe::Madrid).naive_local()
}

#[tokio::test]
async fn prestashop_a_cart_committed_late_below_the_watermark_is_read_by_the_next_poll() {
    let w = world(P, 12, Some(5)).await;
    w.sync().await;
    let now = w.app.clock.now();
    // The watermark: the latest update read.
    let watermark = w
        .sandbox
        .checkouts(P)
        .iter()
        .filter(|c| c.created_at <= now)
        .map(|c| c.updated_at(now))
        .max()
        .unwrap();
    w.app.clock.advance(Duration::minutes(1));
    // PHP stamped date_upd before its UPDATE landed: the cart shows up after the poll, dated
    // before the watermark (within the overlap).
    let late = w.sandbox.add(P, 1, watermark - Duration::minutes(4))[0];
    w.sandbox.never_completes(P, late);
    let seen = w.sandbox.requests().len();
    w.sync().await;
    assert_eq!(w.count(&format!("external_id = '{late}'")), 1, "the late cart was read");
    assert_eq!(w.count("1") as usize, listed(&w));
    let (rows, distinct): (i64, i64) = w
        .app
        .engine
        .db()
        .conn()
        .query_row("SELECT count(*), count(DISTINCT external_id) FROM carts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(rows, distinct, "nothing duplicated");
    // The poll read again from ten minutes before the watermark.
    let carts: Vec<_> =
        w.sandbox.requests()[seen..].iter().filter(|r| r.path == "/api/carts").cloned().collect();
    let from = date_upd_from(&carts[0].query);
    let expected = madrid(watermark) - Duration::minutes(10);
    assert!((from - expected).num_seconds().abs() <= 1, "{from} vs {expected}");
}

#[tokio::test]
async fn prestashop_the_first_sync_reads_the_last_thirty_days_not_every_cart_ever() {
    let app = spawn_app();
    let now = app.clock.now();
    // Thirty carts, one every 100 days: the oldest is eight years old.
    let mut config = SandboxConfig::new(now - Duration::minutes(30), 30);
    config.rate_limits = false;
    config.spacing = Duration::days(100);
    let sandbox = Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    let input = StoreInput { page_size: Some(5), ..store_input(&sandbox, P) };
    let store = app.engine.connect_store(&input).unwrap().id;
    app.engine.poll_store_until_caught_up(store, true).await.unwrap();
    let window = now - Duration::days(30);
    let carts: Vec<_> = sandbox.requests().into_iter().filter(|r| r.path == "/api/carts").collect();
    let from = date_upd_from(&carts[0].query);
    assert!((from - madrid(window)).num_minutes().abs() <= 1, "first request from {from}");
    assert_eq!(carts.len(), 1, "one page: the old carts are not read {carts:?}");
    let recent = sandbox
        .checkouts(P)
        .iter()
        .filter(|c| c.updated_at(now) >= window && c.completed_at(now).is_none())
        .count();
    let conn = app.engine.db().conn();
    let stored: i64 = conn.query_row("SELECT count(*) FROM carts", [], |r| r.get(0)).unwrap();
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM carts WHERE checkout_updated_at < ?1",
            [recupero::storage::ts(window)],
            |r| r.get(0),
        )
        .unwrap();
    assert!(recent >= 1);
    assert_eq!((stored as usize, old), (recent, 0), "only the last 30 days are stored");
}

#[tokio::test]
async fn prestashop_an_unreadable_ps_timezone_reads_the_settings_zone_until_the_shop_answers() {
    let w = world(P, 6, None).await;
    w.app.engine.setting_set("timezone", "Europe/Madrid").unwrap();
    w.sandbox.hide_prestashop_timezone(true);
    w.sync().await;
    let configurations = || w.sandbox.requests().iter().filter(|r| r.path == "/api/configurations").count();
    // The sandbox writes Madrid's local time: read in Madrid (Settings), not as UTC, where every
    // cart would look an hour older than it is.
    let now = w.app.clock.now();
    let open = w.sandbox.checkouts(P).into_iter().find(|c| c.completed_at(now).is_none()).unwrap();
    let updated = updated_at(&w, open.id);
    assert_eq!(updated, recupero::storage::ts(open.updated_at), "read in the Settings time zone");
    // A change of the Settings zone is used from the next poll (here UTC: Madrid's local time
    // read as UTC is an hour later).
    w.app.engine.setting_set("timezone", "UTC").unwrap();
    w.app.clock.advance(Duration::minutes(1));
    let at = w.app.clock.now();
    w.sandbox.touch(P, open.id, at);
    w.sync().await;
    let updated = updated_at(&w, open.id);
    assert_eq!(updated, recupero::storage::ts(at + Duration::hours(1)), "read in the new Settings zone");
    let asked = configurations();
    assert!(asked >= 2);
    // The fallback is not kept: once the shop answers, its zone is read, then kept.
    w.sandbox.hide_prestashop_timezone(false);
    w.app.clock.advance(Duration::minutes(1));
    w.sync().await;
    assert_eq!(configurations(), asked + 1, "asked again after the fallback");
    w.app.clock.advance(Duration::minutes(1));
    w.sync().await;
    assert_eq!(configurations(), asked + 1, "kept once read");
}

/// A webservice key granted the carts but not `configurations` (PrestaShop answers 401, error
/// 26) still polls: the shop's times are read in the Settings time zone, as when the setting is
/// missing, instead of every poll failing as if the key were refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prestashop_a_key_without_configurations_still_polls_in_the_settings_zone() {
    let w = world(P, 6, None).await;
    w.app.engine.setting_set("timezone", "Europe/Madrid").unwrap();
    w.sandbox.deny_prestashop_configurations(true);
    w.sync().await;
    let refused =
        w.sandbox.requests().iter().filter(|r| r.path == "/api/configurations" && r.status == 401).count();
    assert!(refused >= 1, "the key was refused configurations");
    let now = w.app.clock.now();
    let open = w.sandbox.checkouts(P).into_iter().find(|c| c.completed_at(now).is_none()).unwrap();
    let updated = updated_at(&w, open.id);
    assert_eq!(updated, recupero::storage::ts(open.updated_at), "read in the Settings time zone");
}
