//! Recupero: wins back abandoned online-shop carts over WhatsApp, from the shop owner's computer.
//!
//! Map of the crate (dependencies point down this list, never up):
//! - `desktop`  — the only module that imports tauri: window, tray, notifications, IPC commands
//!   (feature `desktop`, on by default).
//! - `native`   — the desktop pieces that need no tauri: notifications with a click, the
//!   single-instance door, handing over between processes, and the tray-only app the
//!   `recupero-tray` binary runs without WebKit (feature `desktop`).
//! - `cli`      — the command line on the same binary: `serve`, `config`, `secret`, `status`, `export`…
//! - `engine`   — the headless engine: wires storage, settings, secrets and the clock; one method
//!   per thing a caller can ask; the typed event stream (`events`).
//! - `demo`     — `recupero demo`: the real engine against the sandbox with a simulated clock.
//! - `export`   — carts, sends, messages, contacts as JSON or CSV.
//! - `metrics`  — the Results figures: recovery vs holdout with its lift, revenue per currency,
//!   replies, message statuses, WhatsApp cost from a rate table; daily/weekly series and CSV.
//! - `scheduler` — the store poller, the planner, the outbox dispatcher, the recovery tracker.
//! - `stores`   — store connectors (Tiendanube, Shopify, WooCommerce) behind one trait.
//! - `webhooks` — the loopback receiver: handshake, signature, durable before 200, processing.
//! - `whatsapp` — the Cloud API client and the `MessageSender` seam the outbox sends through.
//! - `sandbox`  — fake store APIs and a fake WhatsApp on loopback (demo and tests only).
//! - `config`   — typed non-secret settings with defaults, validated on the way in.
//! - `secrets`  — `Sensitive<T>` and the secret stores (OS keychain, environment, memory).
//! - `storage`  — SQLite: open, forward-only migrations, one file per table.
//! - `i18n`     — native texts (tray, notifications) from the UI's own translation catalog.
//! - `process`  — how this process was launched, its predecessor, the engine it builds.
//! - `logging`, `paths` — where files go and how logs are written.
//! - `clock`    — the only place that reads the wall clock; `TestClock` for tests.
//! - `domain`   — pure values and rules (Money, Phone, Cart, BusinessHours…), no I/O.
//! - `assistant` — the conversation step's decisions: chat client, grounding check, facts drafts.
//! - `notice`   — which engine events become a native notification, and their text.

#![recursion_limit = "256"]

pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod events;
pub mod export;
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
#[cfg(test)]
mod ui_types;
pub mod webhooks;
pub mod whatsapp;

#[cfg(feature = "desktop")]
pub mod desktop;
#[cfg(feature = "desktop")]
pub mod native;
