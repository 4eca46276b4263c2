//! Settings → Updates, through tauri-plugin-updater: "Check now", a check once a day that only
//! tells the owner (a notification), and "Install and restart", which runs only when the owner
//! clicks it. The manifest is Tauri's static JSON (version, notes, pub_date, platforms with each
//! artifact's url and signature); the artifact must carry a minisign signature by the key this
//! build embeds (`update::build_key`) for the version the manifest announces, or it is refused
//! and nothing is installed. A build without a key never checks.
//!
//! Everything is configured here at run time (tauri.conf.json holds nothing for the updater),
//! and the webview reaches the updater only through the app's own commands below: it holds no
//! permission for the plugin's own commands.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use tauri::plugin::TauriPlugin;
use tauri::utils::config::BundleType;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_updater::{Error, Update, UpdaterExt};

use super::commands::IpcError;
use super::engines::Engines;
use crate::update::{self, Problem, Status};

/// How long one request (the manifest, the artifact) may take.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The plugin; see [`configure`] for its settings.
pub(super) fn plugin<R: Runtime>() -> TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// Puts the plugin's settings into the app's context before the app is built (the plugin reads
/// them there and refuses to start without them): no key and no address in the configuration
/// (each check passes both), and an artifact's signature must name the version the manifest
/// announces, so an old signed release can't be passed off as a new one.
pub fn configure<R: Runtime>(context: &mut tauri::Context<R>) {
    let settings = serde_json::json!({ "pubkey": "", "endpoints": [], "requireSignedVersion": true });
    context.config_mut().plugins.0.insert("updater".into(), settings);
}

/// The last answer and the update it announced, kept until installed or checked again.
#[derive(Default)]
pub struct Updates {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    status: Option<Status>,
    pending: Option<Update>,
    last_check: Option<DateTime<Utc>>,
    /// The version the periodic check last told the owner about (told once per version).
    notified: Option<String>,
}

impl Updates {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, status: &Status, pending: Option<Update>, at: Option<DateTime<Utc>>) {
        let mut inner = self.lock();
        inner.status = Some(status.clone());
        inner.pending = pending;
        if at.is_some() {
            inner.last_check = at;
        }
    }
}

/// This app's version, the one an update must be newer than.
fn current_version<R: Runtime>(app: &AppHandle<R>) -> String {
    app.package_info().version.to_string()
}

/// What the plugin's error means for the owner.
fn problem_of(error: &Error, otherwise: Problem) -> Problem {
    match error {
        Error::Reqwest(e) if e.is_decode() => Problem::BadManifest,
        Error::Reqwest(_)
        | Error::Network(_)
        | Error::ReleaseNotFound
        | Error::InsecureTransportProtocol
        | Error::EmptyEndpoints
        | Error::UrlParse(_) => Problem::Unreachable,
        Error::Serialization(_) | Error::Semver(_) => Problem::BadManifest,
        Error::TargetNotFound(_)
        | Error::TargetsNotFound(_)
        | Error::UnsupportedArch
        | Error::UnsupportedOs => Problem::NoBuildHere,
        Error::Minisign(_)
        | Error::Base64(_)
        | Error::SignatureUtf8(_)
        | Error::SignedVersionMismatch { .. }
        | Error::MissingSignedVersion => Problem::BadSignature,
        Error::AuthenticationFailed
        | Error::DebInstallFailed
        | Error::PackageInstallFailed
        | Error::InvalidUpdaterFormat
        | Error::BinaryNotFoundInArchive => Problem::InstallFailed,
        _ => otherwise,
    }
}

/// An address the app may fetch from: https, or plain http on loopback (tests).
fn allowed_address(url: &str) -> Option<url::Url> {
    let checked = crate::config::spec("update_manifest_url").ok()?.normalize(url).ok()?;
    url::Url::parse(&checked).ok()
}

/// One check of `manifest_url` with `key` at `now` (the engine's clock): whether a newer
/// version is announced, with its notes; never downloads or installs anything.
pub async fn check<R: Runtime>(
    app: &AppHandle<R>,
    key: Option<&str>,
    manifest_url: &str,
    now: DateTime<Utc>,
) -> (Status, Option<Update>) {
    let current = current_version(app);
    if let Some(off) = update::off_reason(key, manifest_url) {
        return (Status::new(off, &current, None), None);
    }
    let Some(key) = key else { return (Status::new(update::State::NoKey, &current, None), None) };
    let failed = |problem, detail: String| (Status::failed(&current, Some(now), problem, detail), None);
    let Some(url) = allowed_address(manifest_url) else {
        return failed(Problem::Unreachable, "the update address is not an https address".into());
    };
    let updater = app
        .updater_builder()
        .pubkey(key)
        .timeout(REQUEST_TIMEOUT)
        .endpoints(vec![url])
        .and_then(|b| b.build());
    let found = match updater {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    match found {
        Ok(None) => (Status::new(update::State::UpToDate, &current, Some(now)), None),
        Ok(Some(found)) => {
            // The signature protects the artifact; its address must still be one we fetch from.
            if allowed_address(found.download_url.as_str()).is_none() {
                return failed(
                    Problem::BadManifest,
                    format!("the download address is not https: {}", found.download_url),
                );
            }
            let published = found.raw_json.get("pub_date").and_then(|d| d.as_str()).map(str::to_string);
            let status = Status {
                version: Some(found.version.clone()),
                notes: found.body.clone().filter(|n| !n.trim().is_empty()),
                published,
                ..Status::new(update::State::Available, &current, Some(now))
            };
            (status, Some(found))
        }
        Err(e) => failed(problem_of(&e, Problem::Unreachable), e.to_string()),
    }
}

/// Downloads the announced artifact and verifies its signature against the build's key and
/// the announced version: the bytes, or why they are refused. Installs nothing.
pub async fn download_verified(found: &Update) -> Result<Vec<u8>, (Problem, String)> {
    found.download(|_, _| {}, || {}).await.map_err(|e| (problem_of(&e, Problem::Unreachable), e.to_string()))
}

/// Whether this copy was installed from a package the updater can replace: a `.deb` or `.rpm`
/// on Linux (a copy built from source, or an AppImage, is never overwritten), the installer's
/// own copy on Windows and macOS.
pub fn installable() -> bool {
    if cfg!(target_os = "linux") {
        matches!(tauri::utils::platform::bundle_type(), Some(BundleType::Deb | BundleType::Rpm))
    } else {
        true
    }
}

/// Installs `version`, the update the last check announced, once the owner confirmed it: the
/// download is verified first, then the package manager (Linux: a password prompt) or the
/// installer (Windows: the app exits and the installer restarts it) takes over.
pub async fn install<R: Runtime>(app: &AppHandle<R>, updates: &Updates, version: &str) -> Status {
    let current = current_version(app);
    let checked_at = updates.lock().last_check;
    let failed = |problem, detail: String| Status::failed(&current, checked_at, problem, detail);
    let pending = updates.lock().pending.clone().filter(|u| u.version == version);
    let Some(found) = pending else {
        return failed(
            Problem::NothingToInstall,
            format!("no checked update to version {version} is waiting"),
        );
    };
    if !installable() {
        return failed(
            Problem::NotInstallable,
            "this copy was not installed from a Recupero package, so it can't replace itself".into(),
        );
    }
    let bytes = match download_verified(&found).await {
        Ok(bytes) => bytes,
        Err((problem, detail)) => {
            tracing::warn!(version, %detail, "update refused");
            let status = failed(problem, detail);
            updates.record(&status, None, None);
            return status;
        }
    };
    tracing::info!(version, "installing the update the owner confirmed");
    let installed = tauri::async_runtime::spawn_blocking(move || found.install(bytes)).await;
    let status = match installed {
        Ok(Ok(())) => Status {
            version: Some(version.to_string()),
            ..Status::new(update::State::Installed, &current, checked_at)
        },
        Ok(Err(e)) => failed(problem_of(&e, Problem::InstallFailed), e.to_string()),
        Err(e) => failed(Problem::InstallFailed, e.to_string()),
    };
    updates.record(&status, None, None);
    status
}

/// The status to show without checking: off (no key, no address) or the last answer.
fn shown<R: Runtime>(app: &AppHandle<R>, updates: &Updates, manifest_url: &str) -> Status {
    let current = current_version(app);
    if let Some(off) = update::off_reason(update::build_key(), manifest_url) {
        return Status::new(off, &current, None);
    }
    updates.lock().status.clone().unwrap_or_else(|| Status::new(update::State::NotChecked, &current, None))
}

fn manifest_url(engines: &Engines) -> String {
    engines.real().settings().map(|s| s.update_manifest_url).unwrap_or_default()
}

/// Settings → Updates as it opens: off, not checked yet, or the last answer.
#[tauri::command]
pub fn update_status<R: Runtime>(
    app: AppHandle<R>,
    engines: State<'_, Arc<Engines>>,
    updates: State<'_, Arc<Updates>>,
) -> Status {
    shown(&app, &updates, &manifest_url(&engines))
}

/// "Check now".
#[tauri::command]
pub async fn update_check<R: Runtime>(
    app: AppHandle<R>,
    engines: State<'_, Arc<Engines>>,
    updates: State<'_, Arc<Updates>>,
) -> Result<Status, IpcError> {
    let now = engines.real().clock().now();
    let (status, found) = check(&app, update::build_key(), &manifest_url(&engines), now).await;
    updates.record(&status, found, Some(now));
    Ok(status)
}

/// "Install and restart", after the owner confirmed `version`.
#[tauri::command]
pub async fn update_install<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, Arc<Updates>>,
    version: String,
) -> Result<Status, IpcError> {
    Ok(install(&app, &updates, &version).await)
}

/// Restarts into the installed version: true when this process hands over to a new one (and
/// exits), false when the owner has to quit from the tray and open Recupero again.
#[tauri::command]
pub fn update_restart<R: Runtime>(app: AppHandle<R>) -> bool {
    let can = cfg!(target_os = "linux") && crate::native::handover::window_binary().is_some();
    if can {
        tracing::info!("restarting into the installed update");
        super::hand_over(&app, super::Mode::Window);
    }
    can
}

/// One turn of the daily check at `now` (the engine's clock): checks when a day has passed since
/// the last check, and answers the version to tell the owner about — once per version. Never
/// downloads or installs anything.
pub async fn daily_turn<R: Runtime>(
    app: &AppHandle<R>,
    updates: &Updates,
    key: &str,
    manifest_url: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    if manifest_url.trim().is_empty() || !update::check_due(updates.lock().last_check, now) {
        return None;
    }
    let (status, found) = check(app, Some(key), manifest_url, now).await;
    updates.record(&status, found, Some(now));
    match (status.state, status.version) {
        (update::State::Available, Some(version)) => {
            let mut inner = updates.lock();
            let first_time = inner.notified.as_deref() != Some(version.as_str());
            inner.notified = Some(version.clone());
            first_time.then_some(version)
        }
        _ => {
            if let Some(detail) = &status.detail {
                tracing::info!(%detail, "update check failed");
            }
            None
        }
    }
}

/// The daily check: every hour a [`daily_turn`]; a newer version becomes a notification that
/// opens Settings → Updates.
pub(super) fn start_periodic(app: AppHandle, engines: Arc<Engines>, updates: Arc<Updates>) {
    let Some(key) = update::build_key() else {
        tracing::info!("this build has no update key; updates are off");
        return;
    };
    tauri::async_runtime::spawn(async move {
        // Not while the app is starting.
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
        loop {
            let now = engines.real().clock().now();
            if let Some(version) = daily_turn(&app, &updates, key, &manifest_url(&engines), now).await {
                notify(&app, &engines, &version);
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}

/// "Recupero X is available": clicking it opens Settings → Updates.
fn notify(app: &AppHandle, engines: &Engines, version: &str) {
    let lang = super::tray::lang_of(&engines.real());
    let notice = crate::notice::Notice {
        title: crate::i18n::t(lang, "native.notify.updateTitle", &[("version", version)]),
        body: crate::i18n::t(lang, "native.notify.updateBody", &[]),
        route: Some(crate::events::Route::settings("updates")),
    };
    super::bridge::show_notification(app, notice, lang);
}

#[cfg(all(test, feature = "mock-runtime"))]
mod tests;
