//! The crash test: the real `recupero serve` in a child process, killed with SIGKILL at random
//! points again and again while it polls the sandbox store and sends through the sandbox
//! WhatsApp (both here, in the test process, so they outlive every child). Afterwards: no cart
//! step messaged twice, no checkout lost, no send left hanging, and every `unknown` send either
//! settled by its status webhook or truly never received.
//!
//! `RECUPERO_CRASH_CYCLES` sets the number of kills (CI: 40; the full run documented in the
//! README and BENCHMARKS: 1,000). `RECUPERO_CRASH_SEED` replays a run.

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use recupero::clock::{Clock, SystemClock};
use recupero::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig};
use recupero::sandbox::{Sandbox, SandboxConfig};
use recupero::stores::Platform;

use crate::support::{engine_on, spawn_app, spawn_serve, store_input};

fn child(dir: &std::path::Path, store_token: &str, wa_token: &str) -> Child {
    spawn_serve(
        dir,
        &[("RECUPERO_STORE_TOKEN", store_token), ("RECUPERO_WHATSAPP_TOKEN", wa_token)],
        Stdio::null(),
    )
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_never_duplicates_or_loses_a_send() {
    let cycles: u32 = std::env::var("RECUPERO_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let seed: u64 = std::env::var("RECUPERO_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    // A liveness bound for the watchdog, not a speed check: each cycle takes up to 1.5 s plus a
    // start, and the last run as long as it keeps making progress.
    let limit = StdDuration::from_secs(300 + 4 * u64::from(cycles));
    let heavy = crate::support::watchdog::heavy("crash::sigkill_at_random_points", limit).await;
    println!("crash test: {cycles} cycles, seed {seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let mut config = SandboxConfig::new(now - Duration::minutes(20), 60);
    config.spacing = Duration::minutes(1);
    config.rate_limits = false;
    let store = Sandbox::start(config, clock.clone(), 0).await.unwrap();
    let wa_config = WhatsAppSandboxConfig { max_latency: StdDuration::from_millis(60), ..Default::default() };
    let wa = WhatsAppSandbox::start(wa_config, clock.clone(), 0).await.unwrap();

    // The data directory, set up once: a 24/7 shop, the sandbox store, the sandbox WhatsApp.
    let app = spawn_app();
    let dir = app.dir.path().to_path_buf();
    heavy.watch_dir(&dir);
    let e = &app.engine;
    for (k, v) in [
        ("timezone", "UTC".to_string()),
        ("business_hours", "mon-sun 00:00-24:00".into()),
        ("backlog_spread_minutes", "0".into()),
        ("poll_interval_seconds", "15".into()),
        ("send_lease_seconds", "2".into()),
        ("whatsapp_base_url", wa.base_url()),
        ("whatsapp_phone_number_id", wa.config().phone_number_id.clone()),
        ("whatsapp_waba_id", wa.config().business_account_id.clone()),
    ] {
        e.setting_set(k, &v).unwrap();
    }
    let sc = store.config().clone();
    e.connect_store(&store_input(&store, Platform::Tiendanube)).unwrap();
    drop(app.engine);
    let wa_token = wa.config().token.clone();

    let mut checkouts = 60u64;
    for cycle in 0..cycles {
        // A few customers leave checkouts while the app is down or starting.
        let fresh = rng.u64(0..=4);
        if fresh > 0 {
            store.add(Platform::Tiendanube, fresh, clock.now() - Duration::minutes(16));
            checkouts += fresh;
        }
        crate::support::watchdog::step(format!("cycle {} of {cycles}", cycle + 1));
        let mut c = child(&dir, &sc.token, &wa_token);
        let wait = StdDuration::from_millis(rng.u64(20..1500));
        tokio::time::sleep(wait).await;
        c.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
        c.wait().unwrap();
        if cycle % 20 == 19 {
            println!("cycle {}: {} messages so far", cycle + 1, wa.messages().len());
        }
    }

    // Let one child run to the end of the work: leases expire, nothing stays planned.
    crate::support::watchdog::step("the last run, to the end of the work");
    let mut c = child(&dir, &sc.token, &wa_token);
    let db_path = dir.join("recupero.sqlite3");
    let started = Instant::now();
    // After a long run the backlog is large (a thousand kills leave ~2,000 carts): the last run
    // may take as long as it needs while it makes progress, and fails after 90 s without any.
    let mut last = (0, 0, 0);
    let mut progressed = Instant::now();
    loop {
        tokio::time::sleep(StdDuration::from_millis(500)).await;
        let conn = rusqlite::Connection::open(&db_path).unwrap();
        conn.busy_timeout(StdDuration::from_secs(5)).unwrap();
        let stored = recupero::storage::carts::count(&conn).unwrap();
        let open = recupero::storage::sends::count_pending(&conn).unwrap();
        let waiting = count(&conn, "SELECT count(*) FROM carts WHERE status IN ('waiting', 'detected')");
        if stored as u64 == checkouts && open == 0 && waiting == 0 {
            break;
        }
        if (stored, open, waiting) != last {
            last = (stored, open, waiting);
            progressed = Instant::now();
        }
        assert!(
            progressed.elapsed() < StdDuration::from_secs(90),
            "the last run did not finish: {stored}/{checkouts} carts, {open} open sends, {waiting} waiting"
        );
    }
    c.kill().unwrap();
    c.wait().unwrap();
    println!("crash test: the last run finished the work in {:.1} s", started.elapsed().as_secs_f64());

    let messages = wa.messages();
    // 1. At most one message per cart step, ever.
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for m in &messages {
        *per_key.entry(m.callback_data.clone().expect("every send carries its key")).or_default() += 1;
    }
    let duplicates: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicate messages: {duplicates:?}");

    // 2. Status webhooks settle the `unknown` sends whose message left.
    let engine = engine_on(&dir, clock.clone());
    let unknown_before = count(&engine.db().conn(), "SELECT count(*) FROM sends WHERE state = 'unknown'");
    for m in &messages {
        engine.reconcile_status(m.callback_data.as_deref(), &m.wamid, m.at).unwrap();
    }
    let conn = engine.db().conn();
    // 3. Nothing lost: every checkout is a cart; every detected cart has its first send.
    assert_eq!(recupero::storage::carts::count(&conn).unwrap() as u64, checkouts, "every checkout stored");
    let unplanned = count(
        &conn,
        "SELECT count(*) FROM carts c WHERE c.status NOT IN ('no_phone', 'expired', 'completed', 'waiting')
           AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.cart_id = c.id AND s.step = 0)",
    );
    assert_eq!(unplanned, 0, "every detected cart has a plan");
    // 4. Every message received is a `sent` send; every send still `unknown` was never received.
    let sent_keys: Vec<String> = conn
        .prepare("SELECT idempotency_key FROM sends WHERE state = 'sent'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sent_keys.len(), messages.len(), "sent sends = messages received");
    for key in &sent_keys {
        assert_eq!(per_key.get(key), Some(&1), "{key} was received exactly once");
    }
    let unknown_after = count(&conn, "SELECT count(*) FROM sends WHERE state = 'unknown'");
    println!(
        "crash test: {cycles} kills, {checkouts} checkouts, {} messages, 0 duplicates, {unknown_before} unknown before the webhooks, {unknown_after} after",
        messages.len()
    );
    assert!(messages.len() > 20, "the children did send ({} messages)", messages.len());
}
