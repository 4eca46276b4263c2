//! Build script: with the `desktop` feature, tauri-build reads tauri.conf.json, the icons and the
//! capabilities; the headless build (`--no-default-features`) needs nothing.
fn main() {
    // The signed-updates public key is embedded from the environment (`update::build_key`).
    println!("cargo:rerun-if-env-changed=RECUPERO_UPDATE_PUBKEY");
    #[cfg(feature = "desktop")]
    tauri_build::build();
}
