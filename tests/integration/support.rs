//! Shared helpers: a fresh engine on a temporary data directory with the in-memory secret store
//! and a test clock, and a runner for the real binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use chrono::TimeZone;
use recupero::clock::TestClock;
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
    let engine = Engine::build(EngineOptions {
        paths: AppPaths::resolve(Some(dir.path())).unwrap(),
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(clock.clone()),
        demo: false,
    })
    .expect("engine builds on an empty data dir");
    TestApp { engine: Arc::new(engine), clock, dir }
}

/// Runs the real binary with `--data-dir dir`, optional stdin, and a clean RECUPERO_* env.
pub fn recupero(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run(dir, args, &[], stdin)
}

/// Like [`recupero`], with extra environment variables (e.g. `RECUPERO_STORE_TOKEN`).
pub fn recupero_env(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir, &args, env, None)
}

fn run(dir: &Path, args: &[&str], env: &[(String, String)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recupero"));
    cmd.arg("--data-dir").arg(dir).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("RECUPERO_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.env("RUST_LOG", "info").stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the recupero binary runs");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    // Never hang the suite (a keychain waiting for a password prompt, say). A liveness bound,
    // not a speed check: the debug-build demo simulates two days minute by minute while the
    // rest of the suite shares the 2 cores.
    for _ in 0..2400 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!("`recupero {}` did not finish within 240 s; stderr: {}", args.join(" "), text(&out.stderr));
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
/// they never run side by side on a 2-core machine and starve each other's timeouts.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
