//! The one integration-test binary: drives the engine and the real `recupero` binary against
//! temporary data directories on this machine. The end-to-end test of the real window is here
//! too, gated by `RECUPERO_E2E=1` (it needs Xvfb, a D-Bus session and WebKitWebDriver).

mod support;

mod assistant;
mod backup;
mod cart_actions;
mod cart_pages;
mod cli;
mod coexistence;
mod coupons;
mod crash;
mod deliveries;
mod experiments;
// Xvfb, WebKitWebDriver and Xlib: Linux only.
#[cfg(all(feature = "desktop", target_os = "linux"))]
mod e2e_onboarding;
#[cfg(all(feature = "desktop", target_os = "linux"))]
mod e2e_window;
mod first_sync;
mod fresh_orders;
mod fuzz_corpora;
mod jumpseller;
mod jumpseller_and_prestashop_sweep;
mod live_demo;
mod message_preview;
mod prestashop;
mod reminder_image;
mod results;
mod secrets_at_rest;
mod send_plan;
mod spend_cap;
#[cfg(feature = "desktop")]
mod startup_failure;
mod storage_files;
mod store_check_busy;
mod store_consent;
mod store_times;
mod stores;
mod tunnel;
mod usernames;
mod vtex;
mod watchdog;
mod webhook_registration;
mod webhooks;
