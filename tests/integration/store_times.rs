//! Store timestamps outside a sane range (before 2000, more than a day after the clock's now)
//! are refused: the checkout is skipped with its id logged like any malformed entry, and the
//! sync's cursor never jumps to its far-future time (that would hide every later cart).

use chrono::{Duration, TimeZone, Utc};
use recupero::clock::Clock;
use recupero::scheduler::poller::PollOutcome;
use recupero::stores::Platform;
use rstest::rstest;

use crate::support::world::world;

const ALL: [Platform; 3] = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce];

#[rstest]
#[tokio::test]
async fn a_checkout_dated_2099_is_refused_and_never_moves_the_cursor_past_real_carts(
    #[values(0, 1, 2)] p: usize,
) {
    let w = world(ALL[p], 6, Some(5)).await;
    w.sync().await;
    let before = w.count("1");
    // A new checkout whose store says it was last changed in 2099.
    w.app.clock.advance(Duration::minutes(5));
    let now = w.app.clock.now();
    let future = w.sandbox.add(w.platform, 1, now - Duration::minutes(1))[0];
    w.sandbox.touch(w.platform, future, Utc.with_ymd_and_hms(2099, 6, 1, 12, 0, 0).unwrap());
    let outcomes = w.sync().await;
    let skipped: usize =
        outcomes.iter().map(|o| if let PollOutcome::Page { skipped, .. } = o { *skipped } else { 0 }).sum();
    assert!(skipped >= 1, "{:?}: {outcomes:?}", w.platform);
    assert_eq!(w.count(&format!("external_id = '{future}'")), 0, "{:?}: not stored", w.platform);
    assert_eq!(w.count("1"), before, "{:?}", w.platform);
    let logged: Vec<String> = {
        let conn = w.app.engine.db().conn();
        let mut stmt = conn.prepare("SELECT data FROM events WHERE kind = 'checkout_skipped'").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(
        logged.iter().any(|d| d.contains(&format!("\"{future}\"")) && d.contains("sane range")),
        "{:?}: the refused checkout's id and reason are logged: {logged:?}",
        w.platform
    );
    assert!(!w.cursor().unwrap_or_default().contains("2099"), "{:?}: {:?}", w.platform, w.cursor());
    // Real carts after it are still seen: the cursor stayed in the present.
    w.app.clock.advance(Duration::minutes(10));
    let later = w.sandbox.add(w.platform, 2, w.app.clock.now() - Duration::minutes(1));
    w.app.clock.advance(Duration::minutes(1));
    w.sync().await;
    for id in later {
        assert_eq!(
            w.count(&format!("external_id = '{id}'")),
            1,
            "{:?}: cart {id} after the 2099 one",
            w.platform
        );
    }
    assert_eq!(w.count(&format!("external_id = '{future}'")), 0);
}

/// A WooCommerce cursor saved before far-future orders were refused may hold a 2099 watermark:
/// it is repaired (a week is read again) instead of hiding every later order for ever.
#[tokio::test]
async fn a_woocommerce_watermark_already_in_2099_is_repaired() {
    let w = world(Platform::Woocommerce, 4, Some(5)).await;
    w.sync().await;
    let cursor = w.cursor().expect("a cursor after the first sync");
    let mut state: serde_json::Value = serde_json::from_str(&cursor).unwrap();
    state["abandoned_after"] = serde_json::json!("2099-06-01T12:00:00Z");
    state["paid_after"] = serde_json::json!("2099-06-01T12:00:00Z");
    {
        let conn = w.app.engine.db().conn();
        conn.execute(
            "UPDATE stores SET cursor = ?1 WHERE id = ?2",
            rusqlite::params![state.to_string(), w.store],
        )
        .unwrap();
    }
    w.app.clock.advance(Duration::minutes(10));
    let later = w.sandbox.add(w.platform, 2, w.app.clock.now() - Duration::minutes(1));
    w.app.clock.advance(Duration::minutes(1));
    w.sync().await;
    w.sync().await;
    for id in later {
        assert_eq!(w.count(&format!("external_id = '{id}'")), 1, "cart {id} after the repaired watermark");
    }
    assert!(!w.cursor().unwrap_or_default().contains("2099"), "{:?}", w.cursor());
}
