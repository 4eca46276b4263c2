//! What the real-window tests share: the WebDriver session with the built app under Xvfb
//! (Debian's WebKitWebDriver), waiting for elements by test id, the UI's message catalogs and
//! screenshots under target/e2e-screenshots/.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

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
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
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
    for _ in 0..450 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

pub async fn testid(c: &Client, id: &str) -> fantoccini::elements::Element {
    // A liveness bound, not a speed check: the whole suite shares 2 cores with this window.
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&format!("[data-testid='{id}']")))
        .await
        .unwrap_or_else(|e| panic!("element {id} never appeared: {e}"))
}

/// Waits until `script` (JavaScript returning a boolean) is true in the window.
pub async fn wait_js(c: &Client, what: &str, script: &str) {
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
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub async fn switch_language(c: &Client, lang: &str) {
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
