//! "Try the demo" as the app runs it (`recupero::live_demo`), on a hand-advanced clock: carts
//! appear and are messaged within seconds, customers answer and buy, a complaint escalates, a
//! STOP opts out, Results counts the recovered cart — all in a database of its own, leaving the
//! owner's untouched.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use recupero::clock::{Clock, TestClock};
use recupero::config::Settings;
use recupero::live_demo::{demo_paths, LiveDemo};
use recupero::paths::AppPaths;
use recupero::storage;

fn count(demo: &LiveDemo, sql: &str) -> i64 {
    demo.engine().db().conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn cart_count(demo: &LiveDemo) -> i64 {
    storage::carts::count(&demo.engine().db().conn()).unwrap()
}

async fn run_for(demo: &mut LiveDemo, clock: &TestClock, seconds: i64) {
    for _ in 0..seconds / 2 {
        demo.step().await.unwrap();
        clock.advance(Duration::seconds(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_demo_shows_the_whole_loop_in_its_own_database() {
    let dir = tempfile::tempdir().unwrap();
    let real = AppPaths::resolve(Some(dir.path())).unwrap();
    let settings_db = tempfile::tempdir().unwrap();
    let mut base = {
        let db = recupero::storage::Db::open(&settings_db.path().join("s.db")).unwrap();
        let s = Settings::load(&db.conn()).unwrap();
        s
    };
    base.ui_language = "es".into();
    // A Sunday night in Buenos Aires: the owner's shop is closed, the demo's never is.
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 23, 2, 30, 0).unwrap());
    let mut demo = LiveDemo::start(&real, &base, Arc::new(clock.clone())).await.unwrap();
    assert!(demo.engine().status().unwrap().demo, "the status says demo");
    assert_eq!(demo.engine().paths().data_dir, demo_paths(&real).data_dir);

    run_for(&mut demo, &clock, 10).await;
    let carts = cart_count(&demo);
    let sent = count(&demo, "SELECT count(*) FROM sends WHERE state = 'sent'");
    assert!(carts >= 6, "the demo store's checkouts are carts at once: {carts}");
    assert!(sent >= 3, "messages leave within seconds, at night too: {sent}");

    run_for(&mut demo, &clock, 120).await;
    let inbound = count(&demo, "SELECT count(*) FROM messages WHERE direction = 'in'");
    assert!(inbound >= 4, "customers answered: {inbound}");
    assert!(
        count(&demo, "SELECT count(*) FROM carts WHERE outcome = 'recovered'") >= 1,
        "a customer bought after the message"
    );
    {
        let conn = demo.engine().db().conn();
        let (_, _, escalated) = storage::conversations::counts(&conn).unwrap();
        assert!(escalated >= 1, "a complaint");
        assert!(storage::contacts::opted_out_count(&conn).unwrap() >= 1, "a STOP");
        assert!(
            !storage::drafts::all(&conn).unwrap().is_empty(),
            "a question got a draft from the demo's facts"
        );
    }
    let results = demo.engine().metrics(None, None).unwrap();
    assert!(results.recovery.count >= 1, "Results counts the recovered cart: {:?}", results.recovery);
    assert!(
        count(&demo, "SELECT count(*) FROM carts WHERE first_seen_at > '2026-11-23T02:31:00.000Z'") >= 1,
        "new customers keep arriving"
    );
    let hours = demo.engine().settings().unwrap().business_hours;
    assert!(hours.is_open(clock.now()), "the demo shop is open all day");

    // Nothing sent twice, even with webhooks redelivered.
    assert_eq!(
        count(&demo, "SELECT count(*) FROM (SELECT cart_id, step FROM sends WHERE wamid IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1)"),
        0
    );
    drop(demo);

    // The owner's own database was never created or touched by the demo.
    assert!(!real.db_path().exists(), "the demo wrote only under {}", demo_paths(&real).data_dir.display());

    // A second demo starts fresh.
    let demo = LiveDemo::start(&real, &base, Arc::new(clock.clone())).await.unwrap();
    assert_eq!(cart_count(&demo), 0);
}

/// The live demo only ever deletes its own data, like `recupero demo`: a real shop's database in
/// `<data dir>/demo/` (someone ran the app with `--data-dir <dir>/demo`) is refused, left as it
/// was, and the error says why and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_demo_refuses_a_demo_folder_with_a_real_store() {
    let dir = tempfile::tempdir().unwrap();
    let real = AppPaths::resolve(Some(dir.path())).unwrap();
    let clock = Arc::new(TestClock::at(Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap()));
    let demo_dir = demo_paths(&real).data_dir;
    {
        let engine = crate::support::engine_on(&demo_dir, clock.clone());
        engine
            .connect_store(&recupero::stores::StoreInput {
                platform: "tiendanube".into(),
                base_url: "https://api.tiendanube.com".into(),
                name: Some("Mi tienda".into()),
                store_id: Some("123".into()),
                token: Some(recupero::secrets::Sensitive::new("t0ken".into())),
                ..Default::default()
            })
            .unwrap();
    }
    let db_path = demo_paths(&real).db_path();
    let before = std::fs::metadata(&db_path).unwrap().len();
    let settings_db = tempfile::tempdir().unwrap();
    let base = {
        let db = storage::Db::open(&settings_db.path().join("s.db")).unwrap();
        let s = Settings::load(&db.conn()).unwrap();
        s
    };
    let err = LiveDemo::start(&real, &base, clock).await.err().expect("refused");
    let why = format!("{err:#}");
    assert!(why.contains("real store connected (Mi tienda)"), "{why}");
    assert!(why.contains("move it aside"), "{why}");
    assert!(db_path.exists(), "the real shop's database survives");
    assert!(std::fs::metadata(&db_path).unwrap().len() >= before);
    let db = storage::Db::open(&db_path).unwrap();
    let names = storage::shops::names_other_than(&db.conn(), "").unwrap();
    assert!(names.iter().any(|n| n == "Mi tienda"), "{names:?}");
}
