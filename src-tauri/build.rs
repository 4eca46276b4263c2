//! Build script: with the `desktop` feature, tauri-build reads tauri.conf.json, the icons and the
//! capabilities; the headless build (`--no-default-features`) needs nothing.
fn main() {
    #[cfg(feature = "desktop")]
    tauri_build::build();
}
