//! Every cart reachable: the Carts screen's list command pages through the engine
//! (`Engine::cart_page`, what `list_carts` calls with the screen's offset and limit) and says how
//! many carts the filter matches, so nothing hides behind the first 500.

use std::sync::Arc;

use recupero::clock::TestClock;
use recupero::engine::{CART_PAGE, MAX_CART_PAGE};
use recupero::storage::carts::CartFilter;

use crate::support::{engine_on, shop_morning};

/// 1,200 carts of one store, every third one `sent`, detected a second apart (the newest last).
fn shop_with_1200_carts(dir: &std::path::Path) -> recupero::engine::Engine {
    let engine = engine_on(dir, Arc::new(TestClock::at(shop_morning())));
    {
        let mut conn = engine.db().conn();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO stores (id, platform, name, base_url, country, created_at)
             VALUES (1, 'sandbox', 'Tienda Sol', 'http://127.0.0.1/1', 'AR', '2026-11-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
        for i in 0..1200 {
            let at = recupero::storage::ts(shop_morning() - chrono::Duration::seconds(1200 - i));
            let status = if i % 3 == 0 { "sent" } else { "detected" };
            tx.execute(
                "INSERT INTO carts (store_id, external_id, first_name, phone_e164, currency, total, items_json,
                   checkout_created_at, checkout_updated_at, detected_at, status)
                 VALUES (1, ?1, 'Ana', '+5491155550000', 'ARS', '100', '[]', ?2, ?2, ?2, ?3)",
                rusqlite::params![format!("A-{i}"), at, status],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    engine
}

#[test]
fn all_1200_carts_are_reachable_page_by_page_with_the_right_total() {
    let dir = tempfile::tempdir().unwrap();
    let engine = shop_with_1200_carts(dir.path());

    // The screen's first call names no page: the first 500, and the total.
    let first = engine.cart_page(&CartFilter::default()).unwrap();
    assert_eq!(first.rows.len(), CART_PAGE as usize);
    assert_eq!(first.total, 1200, "the screen says \"500 of 1,200\"");
    assert_eq!(first.rows[0].external_id, "A-1199", "newest first");

    // "Load more" asks from the rows on screen until every cart is there, none twice.
    let mut seen: Vec<String> = first.rows.into_iter().map(|c| c.external_id).collect();
    while (seen.len() as i64) < 1200 {
        let offset = u32::try_from(seen.len()).unwrap();
        let page = engine.cart_page(&CartFilter { offset: Some(offset), ..Default::default() }).unwrap();
        assert_eq!(page.total, 1200);
        assert!(!page.rows.is_empty(), "a page before the end is never empty (at {offset})");
        seen.extend(page.rows.into_iter().map(|c| c.external_id));
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!((seen.len(), unique.len()), (1200, 1200), "every cart once");
    assert_eq!(seen.last().map(String::as_str), Some("A-0"), "down to the oldest");

    // Past the end: nothing, and still the total.
    let past = engine.cart_page(&CartFilter { offset: Some(1200), ..Default::default() }).unwrap();
    assert!(past.rows.is_empty());
    assert_eq!(past.total, 1200);
}

#[test]
fn the_total_follows_the_filter_and_a_page_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let engine = shop_with_1200_carts(dir.path());
    let sent = CartFilter { status: Some("sent".into()), ..Default::default() };
    let page = engine.cart_page(&sent).unwrap();
    assert_eq!((page.rows.len(), page.total), (400, 400));
    assert!(page.rows.iter().all(|c| c.status == "sent"));

    // A reload that keeps what "load more" showed asks for that many at once.
    let reload = engine.cart_page(&CartFilter { limit: Some(1000), ..Default::default() }).unwrap();
    assert_eq!((reload.rows.len(), reload.total), (1000, 1200));
    // No page is empty by asking for none, nor unbounded by asking for everything.
    let none = engine.cart_page(&CartFilter { limit: Some(0), ..Default::default() }).unwrap();
    assert_eq!(none.rows.len(), 1);
    let all = engine.cart_page(&CartFilter { limit: Some(u32::MAX), ..Default::default() }).unwrap();
    assert_eq!(all.rows.len(), 1200.min(MAX_CART_PAGE as usize));
}
