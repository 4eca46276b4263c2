//! What the real-window tests share: the WebDriver session with the built app under Xvfb
//! (Debian's WebKitWebDriver), waiting for elements by test id, the UI's message catalogs and
//! screenshots under target/e2e-screenshots/.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub use super::watchdog::step;

/// How long one walk through the real window may hold the heavy lock before the watchdog
/// reports and fails it: a liveness bound, not a speed check (alone it takes under a minute;
/// sharing CI's 2 cores with the rest of the suite, a few).
pub const WALK_LIMIT: Duration = Duration::from_secs(720);

pub const APP: &str = env!("CARGO_BIN_EXE_recupero");

/// The UI's message catalog for `lang` (ui/src/lib/i18n/<lang>.json).
pub fn catalog(lang: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/src/lib/i18n/{lang}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The text of `key` ("a.b.c") in `cat`.
pub fn tr(cat: &Value, key: &str) -> String {
    key.split('.').fold(cat, |v, k| &v[k]).as_str().unwrap_or_else(|| panic!("missing key {key}")).to_string()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Kills WebKitWebDriver (and with it nothing else) when the test ends, pass or fail.
pub struct Driver(pub Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// WebKitWebDriver on a free port, with `HOME` and `XDG_DATA_HOME` of the test's own (so the
/// webview's storage starts empty), and a session with the app on `data_dir`, its UI loaded.
pub async fn start_window(data_dir: &Path, home: &Path) -> (Driver, Client) {
    step("waiting for no other Recupero on the session bus");
    tokio::task::spawn_blocking(wait_for_no_other_instance).await.unwrap();
    step("starting WebKitWebDriver and the app");
    let port = free_port();
    let driver = Driver(
        Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            // WebKitWebDriver's screenshots never return when the app turns WebKit's
            // compositing off (its default, see cli::main).
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "0")
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("share"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("WebKitWebDriver is installed (apt: webkit2gtk-driver)"),
    );
    let caps = json!({
        "browserName": "wry",
        "webkitgtk:browserOptions": { "binary": APP, "args": ["--data-dir", data_dir.display().to_string()] }
    });
    let caps: serde_json::Map<String, Value> = caps.as_object().unwrap().clone();
    let mut client = None;
    for _ in 0..50 {
        // Bounded: WebKitWebDriver waits for the app's window without a limit of its own.
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps.clone());
        let url = format!("http://127.0.0.1:{port}");
        let connect = builder.connect(&url);
        match tokio::time::timeout(Duration::from_secs(60), connect).await {
            Ok(Ok(c)) => {
                client = Some(c);
                break;
            }
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(_) => panic!("WebKitWebDriver opened no session with the app within 60 s (the app exited?)"),
        }
    }
    let c = client.expect("a WebDriver session with the app");
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("body[data-ready='true']"))
        .await
        .expect("the UI loads and reads the engine's status");
    (driver, c)
}

/// A liveness bound, not a speed check: the whole suite shares 2 cores with this window, and a
/// fresh WebKit web process can take several seconds to appear on a loaded CI machine.
pub async fn wait_until<F: Fn() -> bool>(what: &str, f: F) {
    step(format!("waiting until: {what}"));
    for _ in 0..450 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

pub async fn testid(c: &Client, id: &str) -> fantoccini::elements::Element {
    step(format!("element {id}"));
    // A liveness bound, not a speed check: the whole suite shares 2 cores with this window.
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&format!("[data-testid='{id}']")))
        .await
        .unwrap_or_else(|e| panic!("element {id} never appeared: {e}"))
}

/// Waits until `script` (JavaScript returning a boolean) is true in the window.
pub async fn wait_js(c: &Client, what: &str, script: &str) {
    step(format!("waiting in the window for: {what}"));
    // A liveness bound, not a speed check: the whole suite shares 2 cores with this window.
    for _ in 0..180 {
        if c.execute(script, vec![]).await.map(|v| v == json!(true)).unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(screenshot_dir().join("failure.png"), png);
    }
    panic!("timed out waiting for: {what} (screenshot: target/e2e-screenshots/failure.png)");
}

pub async fn shot(c: &Client, name: &str) {
    step(format!("screenshot {name}"));
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub async fn switch_language(c: &Client, lang: &str) {
    step(format!("switching the UI to {lang}"));
    testid(c, "nav-settings").await.click().await.unwrap();
    testid(c, "lang-select").await.select_by_value(lang).await.unwrap();
    wait_js(c, "the UI to switch language", &format!("return document.documentElement.lang === '{lang}'"))
        .await;
}

/// The real app keeps its secrets in the session's keychain under the service `recupero`, shared
/// by every data folder: a test that saves WhatsApp's through the window must not hand them to
/// the next one. Forgets the WhatsApp token and app secret (only the window tests, which run one
/// at a time, set those; `secrets_at_rest` uses `assistant_api_key`) now and again when dropped.
pub struct ForgetAppSecrets;
impl ForgetAppSecrets {
    pub fn now() -> ForgetAppSecrets {
        forget_app_secrets();
        ForgetAppSecrets
    }
}
impl Drop for ForgetAppSecrets {
    fn drop(&mut self) {
        forget_app_secrets();
    }
}
fn forget_app_secrets() {
    use recupero::secrets::{KeyringSecretStore, SecretName, SecretStore};
    let store = KeyringSecretStore::new("recupero");
    for name in [SecretName::WhatsappToken, SecretName::WhatsappAppSecret] {
        let _ = store.delete(name);
    }
}

/// Pids of running `recupero` and `recupero-tray` processes started for `data_dir`.
pub fn app_pids(data_dir: &Path) -> Vec<u32> {
    let needle = data_dir.display().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        let is_app = args.first().is_some_and(|a| a.ends_with("/recupero") || a.ends_with("/recupero-tray"));
        let state = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = state.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()) == Some("Z");
        if is_app && !zombie && args.iter().any(|a| a == &needle) {
            pids.push(pid);
        }
    }
    pids
}

/// Ends every app process of `data_dir` (a window left in the tray, its tray-only successor,
/// which may appear a moment later): TERM until none has run for 3 s, KILL after 20 s.
fn end_apps_blocking(data_dir: &Path) -> bool {
    let mut quiet = 0;
    for round in 0..300 {
        let pids = app_pids(data_dir);
        if pids.is_empty() {
            quiet += 1;
            if quiet >= 30 {
                return true;
            }
        } else {
            quiet = 0;
            let signal = if round < 200 { "-TERM" } else { "-KILL" };
            for pid in pids {
                let _ = Command::new("kill").arg(signal).arg(pid.to_string()).status();
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    app_pids(data_dir).is_empty()
}

/// Ends every app process of `data_dir`; fails if one survives.
pub async fn end_apps(data_dir: &Path) {
    step("ending the app's processes");
    let dir = data_dir.to_path_buf();
    let ended = tokio::task::spawn_blocking(move || end_apps_blocking(&dir)).await.unwrap();
    assert!(ended, "the app's processes for {} ended", data_dir.display());
}

/// Ends the app's processes for a data directory when a window test ends, pass or fail: an app
/// left in the tray keeps the single-instance name, and the next window test's app would only
/// knock on it and exit.
pub struct AppsEnded(pub PathBuf);
impl Drop for AppsEnded {
    fn drop(&mut self) {
        end_apps_blocking(&self.0);
    }
}

/// Waits until no Recupero holds the single-instance name on this D-Bus session (one left by an
/// earlier test would take the new app's launch, and WebKitWebDriver would wait for a window
/// that never comes); fails naming the holder.
pub fn wait_for_no_other_instance() {
    wait_for_no_other_instance_within(Duration::from_secs(30));
}

pub fn wait_for_no_other_instance_within(limit: Duration) {
    use recupero::native::single_instance::bus_name;
    let Ok(conn) = zbus::blocking::Connection::session() else { return };
    let Ok(dbus) = zbus::blocking::fdo::DBusProxy::new(&conn) else { return };
    let name = zbus::names::BusName::try_from(bus_name()).unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if !dbus.name_has_owner(name.clone()).unwrap_or(false) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = dbus.get_connection_unix_process_id(name).map(|p| p.to_string()).unwrap_or_default();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    panic!(
        "another Recupero (pid {pid}: {}) still holds the single-instance name after {} s",
        String::from_utf8_lossy(&cmdline).replace('\0', " "),
        limit.as_secs()
    );
}
