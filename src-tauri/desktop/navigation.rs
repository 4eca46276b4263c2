//! Where the main window may go: only the app's own pages (the UI served by tauri's protocol,
//! and the dev server when one is configured). A link, a redirect or a script that tries to load
//! any other page is refused, so nothing but the app's own code ever runs next to its IPC. The
//! UI opens no outside page, so a refused navigation is simply dropped (and logged).

use url::Url;

/// The origin the embedded UI is served from on this platform: `tauri://localhost` where
/// WebKit serves custom protocols (Linux, macOS), `http://tauri.localhost` where WebView2 and
/// Android need wry's http workaround. Only that one: on Linux `http://tauri.localhost` would
/// reach whatever server listens on port 80 of this computer.
#[cfg(any(windows, target_os = "android"))]
pub const APP_ORIGIN: &str = "http://tauri.localhost";
#[cfg(not(any(windows, target_os = "android")))]
pub const APP_ORIGIN: &str = "tauri://localhost";

/// The origins the window may show: the app's own, and the dev server's in a dev build.
pub fn own_origins(dev_url: Option<&Url>) -> Vec<Url> {
    let mut origins = vec![Url::parse(APP_ORIGIN).expect("the app origin is a URL")];
    if tauri::is_dev() {
        origins.extend(dev_url.cloned());
    }
    origins
}

/// Whether the window may load `url`: a page of one of `own` origins (same scheme, host and
/// port, no credentials), a `blob:` URL the app's page made (the Results CSV download), or an
/// empty page. Everything else — other sites, `data:`, `file:`, `javascript:` — is refused.
pub fn may_navigate(url: &Url, own: &[Url]) -> bool {
    match url.scheme() {
        "about" => url.path() == "blank",
        // `blob:<origin>/<uuid>`: allowed only when the page that made it is the app's.
        "blob" => Url::parse(url.path()).is_ok_and(|inner| same_origin_as_any(&inner, own)),
        _ => same_origin_as_any(url, own),
    }
}

fn same_origin_as_any(url: &Url, own: &[Url]) -> bool {
    url.username().is_empty() && url.password().is_none() && own.iter().any(|o| same_origin(url, o))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    // Hosts of non-special schemes (`tauri:`) are not lower-cased by the parser.
    let host = |u: &Url| u.host_str().map(str::to_ascii_lowercase);
    a.scheme() == b.scheme()
        && host(a).is_some()
        && host(a) == host(b)
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn linux_and_mac() -> Vec<Url> {
        vec![url("tauri://localhost")]
    }

    fn windows() -> Vec<Url> {
        vec![url("http://tauri.localhost")]
    }

    #[test]
    fn the_apps_own_pages_are_allowed() {
        for (u, own) in [
            ("tauri://localhost", linux_and_mac()),
            ("tauri://localhost/", linux_and_mac()),
            ("tauri://localhost/index.html#/inbox?c=3", linux_and_mac()),
            ("tauri://LOCALHOST/index.html", linux_and_mac()),
            ("http://tauri.localhost/", windows()),
            ("http://tauri.localhost:80/assets/index.js", windows()),
            ("blob:tauri://localhost/6c0e1f6a-6b1d-4d55-9e55-3b0d1c0f3a11", linux_and_mac()),
            ("blob:http://tauri.localhost/6c0e1f6a-6b1d-4d55-9e55-3b0d1c0f3a11", windows()),
            ("about:blank", linux_and_mac()),
        ] {
            assert!(may_navigate(&url(u), &own), "{u} is the app's own page");
        }
    }

    #[test]
    fn every_other_page_is_refused() {
        for u in [
            "https://evil.example/",
            "http://evil.example/login",
            "https://tauri.localhost/",
            "http://tauri.localhost/",
            "http://localhost/",
            "http://127.0.0.1:8080/",
            "tauri://localhost.evil.example/",
            "tauri://evil@localhost/",
            "tauri://localhost:8443/",
            "asset://localhost/etc/passwd",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "javascript:alert(1)",
            "about:srcdoc",
            "blob:https://evil.example/6c0e1f6a",
            "blob:null/6c0e1f6a",
            "blob:blob:tauri://localhost/6c0e1f6a",
            "mailto:owner@example.com",
            "ws://tauri.localhost/",
        ] {
            assert!(!may_navigate(&url(u), &linux_and_mac()), "{u} is not the app's page (Linux, macOS)");
        }
        for u in ["tauri://localhost/", "http://tauri.localhost:8080/", "https://tauri.localhost/"] {
            assert!(!may_navigate(&url(u), &windows()), "{u} is not the app's page (Windows)");
        }
    }

    #[test]
    fn the_dev_server_is_allowed_only_as_configured() {
        let own = vec![url("tauri://localhost"), url("http://localhost:5173")];
        assert!(may_navigate(&url("http://localhost:5173/src/main.ts"), &own));
        assert!(!may_navigate(&url("http://localhost:5174/"), &own), "another port is another server");
        assert!(!may_navigate(&url("https://localhost:5173/"), &own), "another scheme is another origin");
    }

    #[test]
    fn the_platforms_app_origin_is_always_allowed() {
        let own = own_origins(None);
        assert!(may_navigate(&url(&format!("{APP_ORIGIN}/index.html")), &own));
        assert!(!may_navigate(&url("https://example.com/"), &own));
    }
}
