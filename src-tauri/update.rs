//! Signed updates without tauri: what an update check found (the answer Settings → Updates
//! shows), when the next daily check is due, and the public key this build trusts. No I/O: the
//! desktop shell (`desktop::updater`) fetches the manifest and the artifact through
//! tauri-plugin-updater, which verifies the artifact's minisign signature against this key.
//!
//! The key is the text of the release key's `.pub` file as `tauri signer generate` writes it
//! (base64 of minisign's two-line public key), embedded at build time from the environment
//! variable `RECUPERO_UPDATE_PUBKEY` (`scripts/package.sh` sets it). A build without it never
//! checks nor installs anything.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The environment variable the build reads the update key from.
pub const KEY_VAR: &str = "RECUPERO_UPDATE_PUBKEY";

/// How often the app checks by itself (it only tells the owner; it never installs).
pub const CHECK_EVERY: Duration = Duration::hours(24);

/// The update key this build was made with, if it has a usable one.
pub fn build_key() -> Option<&'static str> {
    usable_key(option_env!("RECUPERO_UPDATE_PUBKEY"))
}

/// `raw` when it is a well-formed key; an unset, blank or mangled key is none (so updates are
/// off rather than failing at every download).
pub fn usable_key(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|k| !k.is_empty() && key_is_well_formed(k))
}

/// Whether `key` has the shape of a Tauri updater public key: base64 of the `.pub` text,
/// "untrusted comment: …" then the base64 of minisign's 42-byte Ed25519 key ("Ed", the key id,
/// the key). The signature itself is checked by the plugin; this catches a key mangled on its
/// way into the build (a path instead of the text, a missing line) with a clear answer.
pub fn key_is_well_formed(key: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Ok(text) = b64.decode(key.trim()).map(String::from_utf8) else { return false };
    let Ok(text) = text else { return false };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let comment_ok = lines.next().is_some_and(|l| l.starts_with("untrusted comment:"));
    let key_ok = lines
        .next()
        .and_then(|l| b64.decode(l).ok())
        .is_some_and(|raw| raw.len() == 42 && raw.starts_with(b"Ed"));
    comment_ok && key_ok && lines.next().is_none()
}

/// Whether the periodic check is due: at the first chance after the app starts, then once every
/// [`CHECK_EVERY`] on the engine's clock (a clock set back waits for the same interval again).
pub fn check_due(last_check: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match last_check {
        None => true,
        Some(last) => now < last || now - last >= CHECK_EVERY,
    }
}

/// Where an update check or install stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "UpdateState"))]
pub enum State {
    /// This build has no update key: updates are off (nothing is ever checked or installed).
    NoKey,
    /// No update address is set: the app never checks.
    NoAddress,
    /// Not checked yet since the app started.
    NotChecked,
    /// The announced version is not newer than this one.
    UpToDate,
    /// A newer version is announced; it installs only when the owner says so.
    Available,
    /// The check, the download or the install failed: `problem` says what.
    Failed,
    /// The owner's confirmed update is installed; it runs from the next start.
    Installed,
}

/// What went wrong, in words an owner can act on (the UI words each one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "UpdateProblem"))]
pub enum Problem {
    /// The update address did not answer (offline, wrong address, server error).
    Unreachable,
    /// The address answered with something that is not an update manifest.
    BadManifest,
    /// The manifest has no build for this computer (system, processor or package kind).
    NoBuildHere,
    /// The download is not signed by this build's key (tampered, or signed by another key):
    /// refused, nothing installed.
    BadSignature,
    /// This copy was not installed from a package (e.g. built from source): it can't update
    /// itself; install the new version by hand.
    NotInstallable,
    /// The package manager or installer failed, or the owner cancelled its password prompt.
    InstallFailed,
    /// "Install" was asked with no checked update waiting (check again first).
    NothingToInstall,
}

/// What the last update check (or install) found, for Settings → Updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "UpdateStatus"))]
pub struct Status {
    pub state: State,
    /// This build's version.
    pub current_version: String,
    /// The newer version announced (`available`).
    pub version: Option<String>,
    /// Its release notes, as the manifest gives them.
    pub notes: Option<String>,
    /// Its publication date (RFC 3339), when the manifest gives one.
    pub published: Option<String>,
    /// When the check ran (RFC 3339, the engine's clock).
    pub checked_at: Option<String>,
    /// Why it failed (`failed`).
    pub problem: Option<Problem>,
    /// The technical detail behind `problem` (for the owner's helper; no secret in it).
    pub detail: Option<String>,
}

impl Status {
    /// A status with nothing announced.
    pub fn new(state: State, current_version: &str, checked_at: Option<DateTime<Utc>>) -> Status {
        Status {
            state,
            current_version: current_version.to_string(),
            version: None,
            notes: None,
            published: None,
            checked_at: checked_at.map(|t| t.to_rfc3339()),
            problem: None,
            detail: None,
        }
    }

    /// A failed check or install.
    pub fn failed(
        current_version: &str,
        checked_at: Option<DateTime<Utc>>,
        problem: Problem,
        detail: String,
    ) -> Status {
        Status {
            problem: Some(problem),
            detail: Some(detail),
            ..Status::new(State::Failed, current_version, checked_at)
        }
    }
}

/// Why updates are off in this build or with these settings, if they are: no key first (a
/// build without a key never checks, whatever the settings say), then no address.
pub fn off_reason(key: Option<&str>, manifest_url: &str) -> Option<State> {
    match key {
        None => Some(State::NoKey),
        Some(_) if manifest_url.trim().is_empty() => Some(State::NoAddress),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests;
