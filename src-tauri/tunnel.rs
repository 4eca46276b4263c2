//! The owner's tunnel, run by Recupero: the `cloudflared` program (found at the configured path or
//! on `PATH`) as a child process that forwards a public https address to the webhook receiver on
//! loopback. A quick tunnel (`cloudflared tunnel --url …`, a new `*.trycloudflare.com` address at
//! every start: to try) or the owner's named tunnel (`cloudflared tunnel run --url … NAME`, the
//! owner's own hostname: for daily use). The address is read from `cloudflared`'s output;
//! a child that dies is started again with backoff; dropping the [`Supervisor`] kills it.
//!
//! Only the receiver's origin (`http://127.0.0.1:PORT`) is given to `cloudflared`, never the
//! webhook's secret path; `cloudflared`'s own lines are never logged as they are (a reason kept
//! for the window has its long token-like runs replaced by `***`).
//!
//! Why the external program and not the pure-Rust `cloudflare-quick-tunnel` crate: README,
//! "WhatsApp webhooks: exposing the receiver with a tunnel".

mod child;
pub mod output;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::clock::Clock;

/// What the owner asked for (`tunnel_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum TunnelMode {
    #[default]
    Off,
    /// A `*.trycloudflare.com` address that changes at every start: to try.
    Quick,
    /// The owner's named tunnel and hostname: for daily use.
    Named,
}

impl TunnelMode {
    pub fn parse(text: &str) -> Option<TunnelMode> {
        match text.trim() {
            "off" | "" => Some(TunnelMode::Off),
            "quick" => Some(TunnelMode::Quick),
            "named" => Some(TunnelMode::Named),
            _ => None,
        }
    }
}

/// Where the tunnel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum TunnelState {
    #[default]
    Off,
    /// `cloudflared` is starting (or starting again after it stopped).
    Starting,
    /// Connected: `address` reaches this computer's receiver.
    Up,
    /// It stopped or can't start; `reason` says why (it is started again with backoff when it
    /// can help).
    Failed,
    /// No `cloudflared` at the configured path or on `PATH`.
    NotInstalled,
}

/// The tunnel as the window, the tray and `recupero status --json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TunnelStatus {
    pub mode: TunnelMode,
    pub state: TunnelState,
    /// The public address (`https://…`, no path) while up.
    pub address: Option<String>,
    /// Why it failed or is not installed, in plain words.
    pub reason: Option<String>,
    /// When the current state began (RFC 3339).
    pub since: Option<String>,
    /// How many times `cloudflared` was started again since the mode was turned on.
    pub restarts: u32,
    /// The registration with WhatsApp of the last address: `ok`, a refusal
    /// (`nothing_answered`, `wrong_token`, `not_https`, `other`), `not_configured` (WhatsApp
    /// not set up yet: nothing registered) or `error`; `None` before an address is known.
    pub registration: Option<String>,
    /// The words that go with a refusal or an error.
    pub registration_detail: Option<String>,
}

/// How to install `cloudflared`, for the "not installed" state.
pub const INSTALL_HINT: &str = "cloudflared is not installed (or not at the configured cloudflared_path). Install it: Windows `winget install --id Cloudflare.cloudflared`; Debian/Ubuntu: the cloudflared .deb from Cloudflare's downloads page or their apt repository (pkg.cloudflare.com); macOS `brew install cloudflared`. Then turn the tunnel on again.";

/// Which tunnel to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Quick,
    /// The named tunnel and the public hostname its DNS route points at.
    Named {
        name: String,
        hostname: String,
    },
}

/// One `cloudflared` to run: the program, which tunnel, and the receiver's loopback port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub program: PathBuf,
    pub kind: Kind,
    pub port: u16,
}

impl Plan {
    /// `cloudflared`'s arguments: the origin is the receiver on loopback, without any path.
    pub fn args(&self) -> Vec<String> {
        let origin = format!("http://127.0.0.1:{}", self.port);
        match &self.kind {
            Kind::Quick => vec!["tunnel".into(), "--no-autoupdate".into(), "--url".into(), origin],
            Kind::Named { name, .. } => vec![
                "tunnel".into(),
                "--no-autoupdate".into(),
                "run".into(),
                "--url".into(),
                origin,
                name.clone(),
            ],
        }
    }
}

/// The program: `configured` when set (an existing file, else `None`), else the first
/// `cloudflared` (`cloudflared.exe` on Windows) in `path_var`'s folders, then in `extra` (where
/// installers put it, for a window started without the shell's `PATH`).
pub fn find_cloudflared(configured: &str, path_var: Option<OsString>, extra: &[PathBuf]) -> Option<PathBuf> {
    let configured = configured.trim();
    if !configured.is_empty() {
        let path = PathBuf::from(configured);
        return is_program(&path).then_some(path);
    }
    let file = if cfg!(windows) { "cloudflared.exe" } else { "cloudflared" };
    let dirs = path_var.map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    dirs.iter().chain(extra).map(|dir| dir.join(file)).find(|p| is_program(p))
}

/// Where the installers put `cloudflared`, looked at after `PATH`.
pub fn usual_places() -> Vec<PathBuf> {
    if cfg!(windows) {
        ["ProgramFiles(x86)", "ProgramFiles"]
            .iter()
            .filter_map(std::env::var_os)
            .map(|p| PathBuf::from(p).join("cloudflared"))
            .collect()
    } else {
        ["/usr/local/bin", "/opt/homebrew/bin", "/usr/bin"].iter().map(PathBuf::from).collect()
    }
}

fn is_program(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// What the supervisor tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `cloudflared` was started (`restarts` times before since the supervisor began).
    Starting { restarts: u32 },
    /// The tunnel is connected at this public address.
    Up { address: String },
    /// `cloudflared` stopped; it is started again after `retry_in`.
    Stopped { reason: String, retry_in: Duration },
    /// The program is not there (nothing more is tried).
    NotInstalled,
}

/// The waits between starts: `first`, doubling up to `max`; back to `first` after a run that
/// stayed up for `healthy`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub healthy: chrono::Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            healthy: chrono::Duration::minutes(2),
        }
    }
}

/// The running supervisor: dropping it stops the loop and kills `cloudflared`.
pub struct Supervisor {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Runs `plan` until dropped, starting it again with `backoff` when it stops; tells `events`.
pub fn supervise(
    plan: Plan,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
    events: mpsc::UnboundedSender<Event>,
) -> Supervisor {
    Supervisor { task: tokio::spawn(child::run(plan, clock, backoff, events)) }
}
