//! The one integration-test binary: drives the engine and the real `recupero` binary against
//! temporary data directories on this machine. The end-to-end test of the real window is here
//! too, gated by `RECUPERO_E2E=1` (it needs Xvfb, a D-Bus session and WebKitWebDriver).

mod support;

mod assistant;
mod cart_actions;
mod cli;
mod crash;
#[cfg(feature = "desktop")]
mod e2e_window;
mod fresh_orders;
mod fuzz_corpora;
mod live_demo;
mod message_preview;
mod results;
mod secrets_at_rest;
mod send_plan;
mod storage_files;
mod stores;
mod webhooks;
