//! Shared helpers: a fresh engine on a temporary data directory with the in-memory secret store
//! and a test clock; the real binary (`binary`); the shared fixtures: a shop on the sandboxes
//! (`shop`), the same with the webhook receiver (`hooked`), a store connector's world (`world`);
//! the real window driven over WebDriver (`e2e`).

// Xvfb and WebKitWebDriver: Linux only.
#[cfg(all(feature = "desktop", target_os = "linux"))]
pub mod e2e;
pub mod hooked;
pub mod shop;
pub mod watchdog;
pub mod world;

mod binary;
mod sandbox;

pub use binary::{recupero, recupero_env, spawn_serve};
pub use sandbox::store_input;

use std::path::Path;
use std::sync::Arc;

use chrono::TimeZone;
use recupero::clock::{Clock, TestClock};
use recupero::engine::{Engine, EngineOptions};
use recupero::paths::AppPaths;
use recupero::secrets::MemorySecretStore;

pub struct TestApp {
    pub engine: Arc<Engine>,
    pub clock: TestClock,
    pub dir: tempfile::TempDir,
}

/// A Friday 10:00 in Buenos Aires (13:00 UTC): inside default business hours.
pub fn shop_morning() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap()
}

pub fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = TestClock::at(shop_morning());
    let engine = engine_on(dir.path(), Arc::new(clock.clone()));
    TestApp { engine: Arc::new(engine), clock, dir }
}

/// An engine on the data directory `dir` (fresh or already used, as another process of the app
/// would open it), with the in-memory secret store and `clock`.
pub fn engine_on(dir: &Path, clock: Arc<dyn Clock>) -> Engine {
    Engine::build(EngineOptions {
        paths: AppPaths::resolve(Some(dir)).unwrap(),
        secrets: Arc::new(MemorySecretStore::default()),
        clock,
        demo: false,
    })
    .expect("the engine builds on the data dir")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Held by the tests that spawn CPU-heavy child processes (the crash test, the real window), so
/// they never run side by side on a 2-core machine and starve each other's timeouts. Taken
/// through [`watchdog::heavy`], which bounds how long each may hold it.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
