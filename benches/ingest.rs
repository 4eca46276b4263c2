//! Ingest benchmark: the real poller stores checkouts from the sandbox stores (served by a
//! separate `recupero sandbox` process, rate limits off) into a real SQLite file, page by page.
//! Reports carts per second and the process's memory as the total grows, to show that memory
//! is bounded by a page, not by the number of checkouts.
//!
//!   cargo bench --no-default-features --bench ingest            # 100,000 per platform
//!   INGEST_COUNT=20000 INGEST_PLATFORMS=tiendanube cargo bench --no-default-features --bench ingest
//!   INGEST_COUNT=20000 INGEST_PLATFORMS=jumpseller,prestashop,vtex cargo bench --no-default-features --bench ingest
//!
//! Shopify pages hold 10 checkouts (its query-cost limit), so it is measured on a tenth of the count.
//! VTEX's first sync reads the last 30 days of sessions: at the sandbox's 3 minutes apart, up to
//! 14,400 carts (past 10,000 the pass reads them with Master Data's `/scroll`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use recupero::clock::SystemClock;
use recupero::engine::{Engine, EngineOptions};
use recupero::paths::AppPaths;
use recupero::scheduler::poller::PollOutcome;
use recupero::secrets::{MemorySecretStore, Sensitive};
use recupero::stores::{Platform, StoreInput};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let count: u64 = std::env::var("INGEST_COUNT").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let platforms: Vec<Platform> = std::env::var("INGEST_PLATFORMS")
        .unwrap_or_else(|_| "tiendanube,woocommerce,shopify,jumpseller,prestashop,vtex".into())
        .split(',')
        .filter_map(|p| Platform::parse(p).ok())
        .collect();
    // The sandbox lives in its own process so its checkouts don't count in our memory.
    let sandbox_dir = tempfile::tempdir().unwrap();
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_recupero"))
        .arg("--data-dir")
        .arg(sandbox_dir.path())
        .args(["sandbox", "--port", "0", "--no-rate-limits", "--count", &count.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("recupero sandbox starts");
    let mut first_line = String::new();
    let mut out = BufReader::new(sandbox.stdout.take().unwrap());
    out.read_line(&mut first_line).unwrap();
    // Keep reading what the sandbox prints: a closed pipe would make its next line kill it.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let base =
        first_line.split_whitespace().find(|w| w.starts_with("http://")).expect("base URL").to_string();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!("ingest benchmark: {count} checkouts per platform from {base}");
    println!("platform     carts   seconds   carts/s   RSS at 10% / 50% / end (MiB)       peak RSS (MiB)");
    for platform in platforms {
        let dir = tempfile::tempdir().unwrap();
        let engine = Arc::new(
            Engine::build(EngineOptions {
                paths: AppPaths::resolve(Some(dir.path())).unwrap(),
                secrets: Arc::new(MemorySecretStore::default()),
                clock: Arc::new(SystemClock),
                demo: false,
            })
            .unwrap(),
        );
        let s = |v: &str| Some(Sensitive::new(v.to_string()));
        let mut input = StoreInput {
            platform: platform.as_str().into(),
            base_url: base.clone(),
            country: Some("AR".into()),
            ..Default::default()
        };
        match platform {
            Platform::Tiendanube => {
                input.store_id = Some("1234567".into());
                input.token = s("sandbox-token");
            }
            Platform::Shopify => input.token = s("sandbox-token"),
            Platform::Woocommerce => {
                input.key = s("ck_sandbox");
                input.secret = s("cs_sandbox");
            }
            Platform::Jumpseller => {
                input.key = s("js-sandbox-login");
                input.secret = s("js-sandbox-authtoken-0123456789ab");
            }
            Platform::Prestashop => input.token = s("PS-SANDBOX-WEBSERVICE-KEY-0123456"),
            Platform::Vtex => {
                input.key = s("vtexappkey-lojasandbox-ABCDEF");
                input.secret = s("sandbox-app-token");
                input.country = Some("BR".into());
            }
        }
        let store = engine.connect_store(&input).unwrap().id;
        let target = match platform {
            Platform::Shopify => count / 10,
            // Sessions in the first-sync window, 3 minutes apart (the newest one is now).
            Platform::Vtex => count.min((recupero::stores::vtex::FIRST_SYNC.num_minutes() / 3) as u64),
            _ => count,
        };
        // Reset the peak-RSS counter so each platform's peak is its own.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let mut stored = 0u64;
        let mut samples = Vec::new();
        let started = Instant::now();
        rt.block_on(async {
            while stored < target {
                match engine.poll_store(store, true).await.unwrap() {
                    PollOutcome::Page { new, updated, more, .. } => {
                        let before = stored;
                        stored += (new + updated) as u64;
                        if before / (target / 10).max(1) != stored / (target / 10).max(1) {
                            samples.push((stored, rss_kib("VmRSS:")));
                        }
                        if !more {
                            break;
                        }
                    }
                    other => panic!("{platform}: {other:?}"),
                }
            }
        });
        let secs = started.elapsed().as_secs_f64();
        let mib = |k: u64| k as f64 / 1024.0;
        // RSS after the first tenth, at the middle and at the end of the ingest.
        let picks = [samples.first(), samples.get(samples.len() / 2), samples.last()];
        let rss: Vec<String> = picks.iter().flatten().map(|(_, k)| format!("{:.1}", mib(*k))).collect();
        println!(
            "{:<12} {:>6} {:>9.1} {:>9.0}   {:<34} {:.1}",
            platform.as_str(),
            stored,
            secs,
            stored as f64 / secs,
            rss.join(" / "),
            mib(rss_kib("VmHWM:"))
        );
    }
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
