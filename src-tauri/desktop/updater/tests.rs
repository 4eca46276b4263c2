//! The real updater plugin on tauri's mock runtime against a real loopback HTTP server: a
//! manifest announcing a newer version with a signed artifact, signed inside the test by a key
//! pair made for it (no private key is kept anywhere). Proves what the owner relies on: the
//! check finds the newer version and its notes; the download verifies; a tampered artifact, a
//! signature by another key or for another version is refused; an equal or older version is
//! "up to date"; no key or no address means no request at all; nothing installs by itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State as AxState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use chrono::TimeZone as _;
use minisign::KeyPair;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};

use super::*;
use crate::update::State as UpdateState;

const ARTIFACT: &[u8] = b"!<arch>\ndebian-binary   Recupero 0.2.0, pretend package bytes";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A throwaway key pair and its public half in Tauri's format (base64 of the `.pub` text).
fn key_pair() -> (KeyPair, String) {
    let pair = KeyPair::generate_unencrypted_keypair().unwrap();
    let public = b64(pair.pk.to_box().unwrap().into_string());
    assert!(update::key_is_well_formed(&public), "the test key has the shape `tauri signer generate` writes");
    (pair, public)
}

/// What `tauri signer sign --app-version <version>` writes: base64 of the `.sig` text, whose
/// trusted comment names the file and the version.
fn sign(pair: &KeyPair, bytes: &[u8], version: &str) -> String {
    signed_as(
        pair,
        bytes,
        &format!("timestamp:1796596879\tfile:recupero_{version}_amd64.deb\tversion:{version}"),
    )
}

fn signed_as(pair: &KeyPair, bytes: &[u8], trusted: &str) -> String {
    let sig = minisign::sign(
        Some(&pair.pk),
        &pair.sk,
        bytes,
        Some(trusted),
        Some("signature from tauri secret key"),
    )
    .unwrap();
    b64(sig.into_string())
}

/// The platform key this computer's updater looks for (e.g. `linux-x86_64`).
fn platform() -> String {
    tauri_plugin_updater::target().expect("a platform the updater supports")
}

/// A loopback server answering `/latest.json` with a manifest and `/artifact` with bytes.
struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Served {
    manifest: String,
    artifact: Vec<u8>,
    hits: Arc<AtomicUsize>,
}

async fn manifest(AxState(s): AxState<Served>) -> impl IntoResponse {
    s.hits.fetch_add(1, Ordering::SeqCst);
    ([(header::CONTENT_TYPE, "application/json")], s.manifest)
}

async fn artifact(AxState(s): AxState<Served>) -> impl IntoResponse {
    s.hits.fetch_add(1, Ordering::SeqCst);
    s.artifact
}

/// Serves the manifest `make(base)` writes (it knows the server's address) and `artifact`.
async fn serve(make: impl FnOnce(&str) -> String, artifact_bytes: Vec<u8>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let served = Served { manifest: make(&base), artifact: artifact_bytes, hits: hits.clone() };
    let app = axum::Router::new()
        .route("/latest.json", get(manifest))
        .route("/artifact", get(artifact))
        .with_state(served);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { base, hits }
}

/// Tauri's static manifest announcing `version` for this computer's platform.
fn manifest_json(base: &str, version: &str, signature: &str) -> String {
    serde_json::json!({
        "version": version,
        "notes": "Faster first sync; the Results screen shows the cost per recovered cart.",
        "pub_date": "2026-12-01T09:00:00Z",
        "platforms": {
            platform(): { "url": format!("{base}/artifact"), "signature": signature },
            "darwin-aarch64": { "url": format!("{base}/other"), "signature": "bm9wZQ==" },
        }
    })
    .to_string()
}

/// The app as it is built for real (the plugin and its settings), on the mock runtime: this
/// version is 0.1.0.
fn app() -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    configure(&mut context);
    mock_builder().plugin(plugin()).build(context).expect("the updater plugin starts with the app's settings")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap()
}

#[tokio::test]
async fn a_newer_signed_build_is_found_with_its_notes_and_its_download_verifies() {
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let server = serve(|base| manifest_json(base, "0.2.0", &signature), ARTIFACT.to_vec()).await;
    let app = app();

    let url = format!("{}/latest.json", server.base);
    let (status, found) = check(app.handle(), Some(&public), &url, now()).await;
    assert_eq!(status.state, UpdateState::Available, "{status:?}");
    assert_eq!(status.current_version, "0.1.0");
    assert_eq!(status.version.as_deref(), Some("0.2.0"));
    assert!(status.notes.as_deref().is_some_and(|n| n.starts_with("Faster first sync")), "{status:?}");
    assert_eq!(status.published.as_deref(), Some("2026-12-01T09:00:00Z"));
    assert_eq!(status.checked_at.as_deref(), Some("2026-12-06T09:00:00+00:00"));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1, "a check fetches the manifest only");

    let bytes = download_verified(&found.expect("the update to install")).await.expect("a good signature");
    assert_eq!(bytes, ARTIFACT);
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}

/// Checks the manifest (announcing 0.2.0 with `signature`) serving `artifact`, and downloads.
async fn download_of(
    public: &str,
    signature: &str,
    artifact_bytes: Vec<u8>,
) -> Result<Vec<u8>, (Problem, String)> {
    let server = serve(|base| manifest_json(base, "0.2.0", signature), artifact_bytes).await;
    let app = app();
    let (status, found) =
        check(app.handle(), Some(public), &format!("{}/latest.json", server.base), now()).await;
    assert_eq!(status.state, UpdateState::Available, "{status:?}");
    download_verified(&found.unwrap()).await
}

#[tokio::test]
async fn a_tampered_artifact_is_refused() {
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let mut tampered = ARTIFACT.to_vec();
    tampered[20] ^= 0x01;
    let (problem, detail) = download_of(&public, &signature, tampered).await.expect_err("one byte changed");
    assert_eq!(problem, Problem::BadSignature, "{detail}");
}

#[tokio::test]
async fn a_signature_from_another_key_is_refused() {
    let (_, public) = key_pair();
    let (other, _) = key_pair();
    let signature = sign(&other, ARTIFACT, "0.2.0");
    let (problem, detail) =
        download_of(&public, &signature, ARTIFACT.to_vec()).await.expect_err("not our key");
    assert_eq!(problem, Problem::BadSignature, "{detail}");
}

#[tokio::test]
async fn an_old_signed_release_announced_as_a_new_version_is_refused() {
    // A genuine artifact signed for 0.1.5, served under a manifest that says 0.2.0.
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.1.5");
    let (problem, detail) =
        download_of(&public, &signature, ARTIFACT.to_vec()).await.expect_err("wrong version");
    assert_eq!(problem, Problem::BadSignature, "{detail}");
    assert!(detail.contains("0.1.5"), "{detail}");
    // A signature that names no version at all (as older signing tools wrote) can't vouch for
    // the announced one either.
    let signature = signed_as(&pair, ARTIFACT, "timestamp:1796596879\tfile:recupero.deb");
    let (problem, detail) =
        download_of(&public, &signature, ARTIFACT.to_vec()).await.expect_err("no version");
    assert_eq!(problem, Problem::BadSignature, "{detail}");
}

#[tokio::test]
async fn an_equal_or_older_version_is_up_to_date() {
    let (pair, public) = key_pair();
    let app = app();
    for version in ["0.1.0", "0.0.9"] {
        let signature = sign(&pair, ARTIFACT, version);
        let server = serve(|base| manifest_json(base, version, &signature), ARTIFACT.to_vec()).await;
        let (status, found) =
            check(app.handle(), Some(&public), &format!("{}/latest.json", server.base), now()).await;
        assert_eq!(status.state, UpdateState::UpToDate, "{version}: {status:?}");
        assert!(found.is_none() && status.version.is_none());
    }
}

#[tokio::test]
async fn without_a_key_or_an_address_nothing_is_asked() {
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let server = serve(|base| manifest_json(base, "0.2.0", &signature), ARTIFACT.to_vec()).await;
    let app = app();
    let url = format!("{}/latest.json", server.base);
    let (status, found) = check(app.handle(), None, &url, now()).await;
    assert_eq!((status.state, found.is_none()), (UpdateState::NoKey, true));
    let (status, _) = check(app.handle(), Some(&public), "", now()).await;
    assert_eq!(status.state, UpdateState::NoAddress);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "no request without a key or an address");
}

/// Writes a manifest for the server at the given address.
type MakeManifest = Box<dyn FnOnce(&str) -> String>;

#[tokio::test]
async fn failures_are_told_in_the_owners_words() {
    let (pair, public) = key_pair();
    let app = app();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let cases: [(Problem, MakeManifest); 3] = [
        (Problem::BadManifest, Box::new(|_| "<html>not a manifest</html>".to_string())),
        (
            Problem::NoBuildHere,
            Box::new(move |base| {
                serde_json::json!({ "version": "0.2.0", "platforms": {
                    "plan9-mips": { "url": format!("{base}/artifact"), "signature": signature } } })
                .to_string()
            }),
        ),
        (
            Problem::BadManifest,
            Box::new(|base| {
                // A download address that is neither https nor loopback.
                let m = manifest_json(base, "0.2.0", "c2ln");
                m.replace(&format!("{base}/artifact"), "http://updates.example.com/recupero.deb")
            }),
        ),
    ];
    for (want, make) in cases {
        let server = serve(make, ARTIFACT.to_vec()).await;
        let (status, found) =
            check(app.handle(), Some(&public), &format!("{}/latest.json", server.base), now()).await;
        assert_eq!((status.state, status.problem), (UpdateState::Failed, Some(want)), "{status:?}");
        assert!(found.is_none() && status.detail.is_some());
    }
    // Nobody listening there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (status, _) =
        check(app.handle(), Some(&public), &format!("http://127.0.0.1:{port}/latest.json"), now()).await;
    assert_eq!(status.problem, Some(Problem::Unreachable), "{status:?}");
    // Not https (the setting refuses it too; checked again here).
    let (status, _) =
        check(app.handle(), Some(&public), "http://updates.example.com/latest.json", now()).await;
    assert_eq!(status.problem, Some(Problem::Unreachable), "{status:?}");
}

#[tokio::test]
async fn install_takes_only_the_confirmed_version_and_never_overwrites_a_copy_not_from_a_package() {
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let server = serve(|base| manifest_json(base, "0.2.0", &signature), ARTIFACT.to_vec()).await;
    let app = app();
    let updates = Updates::default();

    let status = install(app.handle(), &updates, "0.2.0").await;
    assert_eq!(status.problem, Some(Problem::NothingToInstall), "nothing checked yet: {status:?}");

    let (status, found) =
        check(app.handle(), Some(&public), &format!("{}/latest.json", server.base), now()).await;
    updates.record(&status, found, Some(now()));
    let status = install(app.handle(), &updates, "0.3.0").await;
    assert_eq!(status.problem, Some(Problem::NothingToInstall), "only the version the owner saw: {status:?}");

    // This test binary was not installed from a package: on Linux the plugin would write the
    // download over it (its AppImage path); the app refuses before downloading anything.
    let exe = std::env::current_exe().unwrap();
    let before = std::fs::read(&exe).unwrap();
    let hits = server.hits.load(Ordering::SeqCst);
    if cfg!(target_os = "linux") {
        let status = install(app.handle(), &updates, "0.2.0").await;
        assert_eq!(
            (status.state, status.problem),
            (UpdateState::Failed, Some(Problem::NotInstallable)),
            "{status:?}"
        );
        assert_eq!(server.hits.load(Ordering::SeqCst), hits, "nothing downloaded");
        assert!(std::fs::read(&exe).unwrap() == before, "the running program is untouched");
    }
}

/// The release path for real: a key made and a file signed by the pinned `tauri signer` CLI
/// (what `scripts/package.sh` runs) verify here, and the same file changed is refused. Needs the
/// UI's node_modules (the test command installs them first).
#[tokio::test]
async fn what_the_tauri_signer_cli_writes_verifies_and_a_changed_file_does_not() {
    let cli = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/node_modules/.bin/tauri");
    if !cli.is_file() {
        eprintln!("SKIPPED: {} is missing (run `npm ci` in ui/)", cli.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&cli).args(args).current_dir(dir.path()).output().unwrap();
        assert!(out.status.success(), "tauri {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["signer", "generate", "--ci", "-p", "", "-w", "updater.key"]);
    std::fs::write(dir.path().join("recupero.deb"), ARTIFACT).unwrap();
    run(&["signer", "sign", "-f", "updater.key", "-p", "", "--app-version", "0.2.0", "recupero.deb"]);
    let public = std::fs::read_to_string(dir.path().join("updater.key.pub")).unwrap();
    let signature = std::fs::read_to_string(dir.path().join("recupero.deb.sig")).unwrap();
    assert_eq!(
        update::usable_key(Some(&public)),
        Some(public.trim()),
        "the .pub text is the key as embedded"
    );

    let bytes =
        download_of(public.trim(), signature.trim(), ARTIFACT.to_vec()).await.expect("signed by the CLI");
    assert_eq!(bytes, ARTIFACT);
    let mut tampered = ARTIFACT.to_vec();
    tampered[0] ^= 0x20;
    let (problem, _) = download_of(public.trim(), signature.trim(), tampered).await.expect_err("changed");
    assert_eq!(problem, Problem::BadSignature);
}

#[tokio::test]
async fn the_daily_check_tells_once_per_version_on_the_clock_it_is_given_and_downloads_nothing() {
    let (pair, public) = key_pair();
    let signature = sign(&pair, ARTIFACT, "0.2.0");
    let server = serve(|base| manifest_json(base, "0.2.0", &signature), ARTIFACT.to_vec()).await;
    let url = format!("{}/latest.json", server.base);
    let app = app();
    let updates = Updates::default();
    let day = chrono::Duration::hours(24);

    assert_eq!(daily_turn(app.handle(), &updates, &public, "", now()).await, None, "no address: no check");
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
    let told = daily_turn(app.handle(), &updates, &public, &url, now()).await;
    assert_eq!(told.as_deref(), Some("0.2.0"), "the first turn after start checks and tells");
    let later = now() + chrono::Duration::hours(23);
    assert_eq!(daily_turn(app.handle(), &updates, &public, &url, later).await, None, "not yet a day");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    assert_eq!(daily_turn(app.handle(), &updates, &public, &url, now() + day).await, None, "told once");
    assert_eq!(server.hits.load(Ordering::SeqCst), 2, "a day later it checked again; only the manifest");
    let shown = updates.lock().status.clone().unwrap();
    assert_eq!((shown.state, shown.version.as_deref()), (UpdateState::Available, Some("0.2.0")));
    assert!(updates.lock().pending.is_some(), "waiting for the owner, not installed");
}
