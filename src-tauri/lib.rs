//! Recupero: wins back abandoned online-shop carts over WhatsApp, from the shop owner's computer.
//!
//! Map of the crate, top to bottom: a part uses only parts below it (parts on one line are
//! peers that don't use each other). `scripts/check_layout.py` reads this list and fails the
//! tests when an import runs up it, when two files import each other, or when a part is missing.
//! ARCHITECTURE.md says what each part owns.
//!
//! - `fuzzing` — the fuzz targets' bodies, one function per parser of outside input, shared by
//!   `fuzz/` (cargo-fuzz) and the corpus replay test (doc-hidden).
//! - `ui_types` — tests only: the UI's TypeScript types generated from the Rust types that cross
//!   IPC; the test fails while `ui/src/lib/generated.ts` is stale.
//! - `cli` — the command line on the same binary: no subcommand opens the app; `serve`, `demo`,
//!   `store`, `whatsapp`, `tunnel`, `config`, `secret`, `status`, `export`, `results`, `backup`,
//!   `deliveries`, one file each.
//! - `desktop` — the only part that imports tauri: window, tray, notifications, IPC commands
//!   (feature `desktop`, on by default).
//! - `native` — the desktop pieces without tauri: notifications with a click, the single-instance
//!   door, hand-over between processes, the tray-only app of `recupero-tray` (feature `desktop`).
//! - `live_demo` — "Try the demo" in the app: the real engine in real time against the sandbox.
//! - `demo` — `recupero demo`: the real engine against the sandbox with a simulated clock.
//! - `sandbox` — fake store APIs and a fake WhatsApp Cloud API on loopback (demos and tests).
//! - `launch` — how this process was launched, its predecessor, the engine it builds.
//! - `engine` — the headless engine: one method per thing a caller can ask; runs the loops.
//! - `export`, `metrics` — carts, sends, messages as JSON/CSV; the Results figures (the metrics
//!   read model keeps its own queries).
//! - `scheduler`, `inbox` — the send plan (poller, planner, outbox, tracker); the conversation
//!   rules (deliveries, opt-out, escalation, takeover, the window, replies, the assistant).
//! - `webhooks` — the loopback receiver: handshake, signature, each delivery durable before 200.
//! - `stores`, `whatsapp` — store connectors behind one trait; the Cloud API client, its error
//!   classes, the recovery message, the webhook payload types.
//! - `notice` — which engine events become a native notification, and their text.
//! - `events` — the typed stream of what the engine tells the outside world; the app's status.
//! - `storage` — SQLite: open, forward-only migrations, one file per table with its queries.
//! - `secrets` — `Sensitive<T>` and the secret stores (OS keychain, environment, memory).
//! - `update` — signed updates without tauri: what a check found, when the next daily check is
//!   due, the update key the build embeds (`desktop::updater` runs them through the plugin).
//! - `config` — typed non-secret settings with defaults and typed validation; no I/O.
//! - `i18n` — native texts (tray, notifications) from the UI's own translation catalog.
//! - `ui_error` — the one shape of an error the window shows: a code worded in the owner's
//!   language, its parameters, the technical detail (English, never a credential).
//! - `tunnel` — the owner's tunnel: `cloudflared` found and run as a child (quick or named),
//!   started again with backoff, its public address read from its output.
//! - `http`, `logging`, `paths` — what every HTTP client shares; log files; where files go.
//! - `clock` — the only place that reads the wall clock; `TestClock` for tests.
//! - `domain` — pure values and rules (Money, Phone, Cart, BusinessHours, SendPlan…), no I/O.

#![recursion_limit = "256"]

pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod events;
pub mod export;
pub mod fuzzing;
pub mod http;
pub mod i18n;
pub mod inbox;
pub mod launch;
pub mod live_demo;
pub mod logging;
pub mod metrics;
pub mod notice;
pub mod paths;
pub mod sandbox;
pub mod scheduler;
pub mod secrets;
pub mod storage;
pub mod stores;
pub mod tunnel;
pub mod ui_error;
#[cfg(test)]
pub mod ui_types;
pub mod update;
pub mod webhooks;
pub mod whatsapp;

#[cfg(feature = "desktop")]
pub mod desktop;
#[cfg(feature = "desktop")]
pub mod native;
