//! The desktop pieces that need no tauri (feature `desktop`): the tray's texts, notifications
//! with a click, the single-instance door, handing over between the app's processes, and the
//! tray-only app that the `recupero-tray` binary runs.
//!
//! Why a second binary: an app resident in the tray should cost a small fraction of an open
//! window. A process that links tauri also links WebKitGTK, JavaScriptCore and their speech
//! voices, and maps them even when it never creates a webview (~25 MiB of PSS measured). The
//! `recupero-tray` binary references nothing of tauri, so the linker leaves WebKit out; it
//! shows the same tray with `tray-icon` (the crate tauri's own tray is built on) over GTK.

pub mod handover;
pub mod texts;

#[cfg(target_os = "linux")]
pub mod notify;
#[cfg(target_os = "linux")]
pub mod single_instance;
#[cfg(target_os = "linux")]
pub mod tray_only;
