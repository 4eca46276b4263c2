//! "Test connection" and `recupero store check` against a busy store: a store that asks for a
//! second's wait (Tiendanube 429, Shopify `THROTTLED`, WooCommerce 429) passes the check after
//! that wait; one that asks for a minute fails at once with the wait it asked for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use recupero::clock::Clock;
use recupero::sandbox::{Fault, Sandbox, SandboxConfig};
use recupero::stores::{Platform, CHECK_PATIENCE};
use rstest::rstest;

use crate::support::{recupero_env, spawn_app, store_input, text, TestApp};

/// The fault that makes `platform` ask for `seconds` of patience on its next list request.
fn busy(platform: Platform, seconds: f64) -> Fault {
    match platform {
        Platform::Shopify => Fault::Throttled { seconds },
        _ => Fault::Status { status: 429, retry_after: Some(seconds) },
    }
}

async fn sandbox_for(app: &TestApp) -> Sandbox {
    let mut config = SandboxConfig::new(app.clock.now(), 4);
    config.rate_limits = false;
    Sandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap()
}

#[rstest]
#[case(Platform::Tiendanube)]
#[case(Platform::Shopify)]
#[case(Platform::Woocommerce)]
#[tokio::test]
async fn a_store_asking_for_a_second_passes_the_check(#[case] platform: Platform) {
    let app = spawn_app();
    let sandbox = sandbox_for(&app).await;
    sandbox.inject(platform, busy(platform, 1.0));
    let started = Instant::now();
    let report = app.engine.store_check(&store_input(&sandbox, platform), 10).await;
    let report = report.unwrap_or_else(|e| panic!("{platform:?}: {e}"));
    assert_eq!(report.carts.len(), 4, "{platform:?}: every checkout read after the wait");
    assert!(started.elapsed() >= Duration::from_millis(900), "{platform:?}: the asked second was waited");
}

#[tokio::test]
async fn shopify_answering_http_429_with_retry_after_passes_the_check() {
    let app = spawn_app();
    let sandbox = sandbox_for(&app).await;
    sandbox.inject(Platform::Shopify, Fault::Status { status: 429, retry_after: Some(0.5) });
    let report = app.engine.store_check(&store_input(&sandbox, Platform::Shopify), 10).await.unwrap();
    assert_eq!(report.carts.len(), 4);
}

#[rstest]
#[tokio::test]
async fn a_store_asking_for_a_minute_fails_the_check_at_once_saying_so(#[values(0, 1, 2)] p: usize) {
    let platform = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce][p];
    let app = spawn_app();
    let sandbox = sandbox_for(&app).await;
    sandbox.inject(platform, busy(platform, 60.0));
    let started = Instant::now();
    let err = app.engine.store_check(&store_input(&sandbox, platform), 10).await.unwrap_err();
    assert!(started.elapsed() < CHECK_PATIENCE, "{platform:?}: no point waiting for a minute");
    assert_eq!(err.code(), "store_unreachable", "{platform:?}: {err}");
    let message = err.to_string();
    assert!(message.contains("slow down") && message.contains("retry after 60"), "{platform:?}: {message}");
}

#[tokio::test]
async fn short_waits_add_up_to_the_patience_and_no_more() {
    // Three answers of 2 s each: two are waited for (4 s), the third would pass 5 s in all.
    let app = spawn_app();
    let sandbox = sandbox_for(&app).await;
    for _ in 0..3 {
        sandbox.inject(Platform::Woocommerce, busy(Platform::Woocommerce, 2.0));
    }
    let started = Instant::now();
    let err = app.engine.store_check(&store_input(&sandbox, Platform::Woocommerce), 10).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(4) && elapsed < Duration::from_secs(6), "{elapsed:?}");
    assert!(err.to_string().contains("retry after 2"), "{err}");
}

#[tokio::test]
async fn recupero_store_check_waits_for_a_second_and_reports_a_minute() {
    let app = spawn_app();
    let sandbox = sandbox_for(&app).await;
    let c = sandbox.config().clone();
    let check = |env: Vec<(String, String)>| {
        let dir = app.dir.path().to_path_buf();
        let args: Vec<String> =
            ["store", "check", "--platform", "tiendanube", "--base-url", &sandbox.base_url()]
                .into_iter()
                .chain(["--store-id", c.tiendanube_store_id.as_str(), "--country", "AR", "--json"])
                .map(String::from)
                .collect();
        tokio::task::spawn_blocking(move || recupero_env(&dir, &args, &env))
    };
    let env = vec![("RECUPERO_STORE_TOKEN".to_string(), c.token.clone())];
    sandbox.inject(Platform::Tiendanube, busy(Platform::Tiendanube, 1.0));
    let out = check(env.clone()).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 4, "every checkout printed");

    sandbox.inject(Platform::Tiendanube, busy(Platform::Tiendanube, 60.0));
    let out = check(env).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("slow down") && stderr.contains("retry after 60"), "{stderr}");
}
