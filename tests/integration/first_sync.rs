//! First-sync progress: while a newly connected store reads its backlog, its row and the status
//! say how many checkouts were read and how many carts have a phone (counted in the database,
//! page by page), a status goes out after every page, and the first sync ends with the page
//! that leaves nothing more to read, for good.

use recupero::clock::Clock;
use recupero::events::EngineEvent;
use recupero::scheduler::poller::PollOutcome;
use recupero::storage::shops::FirstSync;
use recupero::stores::Platform;
use rstest::rstest;

use crate::support::world::{world, World};
use crate::support::{recupero, store_input, text};

const ALL: [Platform; 3] = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce];

fn row(w: &World) -> recupero::storage::shops::StoreRow {
    w.app.engine.list_stores().unwrap().into_iter().find(|s| s.id == w.store).unwrap()
}

/// The statuses published since the last call, each one's progress for this store.
fn published(rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>, store: i64) -> Vec<Option<FirstSync>> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let EngineEvent::StatusChanged { status } = event {
            out.push(status.first_syncs.into_iter().find(|s| s.store_id == store));
        }
    }
    out
}

#[rstest]
#[tokio::test]
async fn the_counts_grow_page_by_page_and_the_first_sync_ends_for_good(#[values(0, 1, 2)] p: usize) {
    let w = world(ALL[p], 23, Some(5)).await;
    let platform = w.platform;
    let mut rx = w.app.engine.events().subscribe();

    // Connected, nothing read yet: in its first sync, at zero.
    let start = row(&w).first_sync.expect("a new store is in its first sync");
    assert_eq!((start.checkouts_read, start.carts_with_phone), (0, 0));
    assert_eq!(w.app.engine.status().unwrap().first_syncs, vec![start.clone()]);
    let _ = published(&mut rx, w.store);

    let mut read = 0i64;
    let mut pages = 0;
    loop {
        let outcome = w.app.engine.poll_store(w.store, true).await.unwrap();
        let PollOutcome::Page { new, updated, skipped, more, .. } = outcome else {
            panic!("{platform:?}: {outcome:?}");
        };
        pages += 1;
        read += i64::try_from(new + updated + skipped).unwrap();
        let statuses = published(&mut rx, w.store);
        assert_eq!(statuses.len(), 1, "{platform:?} page {pages}: one status per page, {statuses:?}");
        let with_phone = w.count("phone_e164 IS NOT NULL");
        if more {
            let sync = row(&w).first_sync.expect("still in its first sync");
            assert_eq!(sync.checkouts_read, read, "{platform:?} page {pages}");
            assert_eq!(sync.carts_with_phone, with_phone, "{platform:?} page {pages}: from the database");
            assert!(sync.checkouts_read > start.checkouts_read);
            assert_eq!(statuses[0].as_ref(), Some(&sync), "the published status carries it");
            assert!(row(&w).first_sync_done_at.is_none());

            // `recupero store list --json` shows the same progress mid-sync.
            if pages == 2 {
                let out = recupero(w.app.dir.path(), &["store", "list", "--json"], None);
                assert!(out.status.success(), "{}", text(&out.stderr));
                let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(rows[0]["firstSync"]["checkoutsRead"], read);
                assert_eq!(rows[0]["firstSync"]["cartsWithPhone"], with_phone);
                assert!(rows[0]["firstSyncDoneAt"].is_null());
                let plain = recupero(w.app.dir.path(), &["store", "list"], None);
                assert!(
                    text(&plain.stdout).contains(&format!(
                        "first sync: {read} checkouts read, {with_phone} carts with a phone"
                    )),
                    "{}",
                    text(&plain.stdout)
                );
            }
        } else {
            assert_eq!(statuses[0], None, "{platform:?}: the last page's status has it caught up");
            break;
        }
    }
    assert!(pages >= 5, "{platform:?}: 23 checkouts at 5 a page took {pages} pages");
    assert!(w.count("phone_e164 IS NOT NULL") > 0);
    let done = row(&w);
    assert_eq!(done.first_sync, None);
    let done_at = done.first_sync_done_at.clone().expect("the end of the first sync is recorded");
    assert_eq!(done_at, recupero::storage::ts(w.app.clock.now()));
    assert!(w.app.engine.status().unwrap().first_syncs.is_empty());
    let out = recupero(w.app.dir.path(), &["store", "list", "--json"], None);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows[0]["firstSync"].is_null());
    assert_eq!(rows[0]["firstSyncDoneAt"], done_at.as_str());

    // Later rounds, and reconnecting the store, never reopen it.
    w.app.clock.advance(chrono::Duration::minutes(10));
    w.sync().await;
    w.app.engine.connect_store(&store_input(&w.sandbox, platform)).unwrap();
    w.sync().await;
    let later = row(&w);
    assert_eq!(later.first_sync, None);
    assert_eq!(later.first_sync_done_at.as_deref(), Some(done_at.as_str()));
    assert!(published(&mut rx, w.store).iter().all(Option::is_none));
}
