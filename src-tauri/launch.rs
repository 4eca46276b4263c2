//! How this process was launched among the app's processes: its launch options (so it can
//! hand over to a successor launched alike), waiting for the predecessor that handed over to
//! it, and the engine every app process builds. Shared by the CLI, the window's process and the
//! tray-only process, and free of any desktop crate (`serve` and the CLI build without the
//! `desktop` feature); the hand-over itself lives in `native::handover`. A start-up that fails
//! is sorted into what the owner can do about it in `failure`.

pub mod failure;

use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::SystemClock;
use crate::engine::{Engine, EngineOptions};
use crate::paths::AppPaths;
use crate::secrets::{EnvFirstSecretStore, KeyringSecretStore, SecretStore};

/// How this process was launched, so the app can hand over to a successor launched alike.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub data_dir: Option<PathBuf>,
    /// Where the first window opens (from a clicked notification).
    pub route: Option<String>,
}

/// The process's secret store: environment variables first, then the OS keychain.
pub fn default_secret_store() -> Arc<dyn SecretStore> {
    Arc::new(EnvFirstSecretStore::new(KeyringSecretStore::new("recupero"), std::env::vars()))
}

/// The owner's engine on the system clock and the process's secret store.
pub fn build_engine(paths: AppPaths) -> anyhow::Result<Arc<Engine>> {
    let engine = Engine::build(EngineOptions {
        paths,
        secrets: default_secret_store(),
        clock: Arc::new(SystemClock),
        demo: false,
    })?;
    Ok(Arc::new(engine))
}

/// Waits (at most 30 s) until process `pid` has ended: the app that handed over to this one
/// must release the single-instance lock and the webhook port first. (Reads Linux's /proc;
/// elsewhere it returns at once and the single-instance lock sorts out a late predecessor.)
pub fn wait_for_exit(pid: u32) {
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().next() != Some("Z")))
            .unwrap_or(false)
    };
    for _ in 0..300 {
        if !alive() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tracing::warn!(pid, "the previous app process is still running; starting anyway");
}
