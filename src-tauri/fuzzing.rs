//! The fuzz targets' bodies (issue #17): one `pub fn <target>(data: &[u8])` per parser that takes
//! outside input. `fuzz/fuzz_targets/<target>.rs` hands libFuzzer's input to it (cargo-fuzz, on
//! nightly: `scripts/fuzz.sh`), and `tests/integration/fuzz_corpora.rs` replays every file of
//! `fuzz/corpus/<target>/` through the same function on stable, in the ordinary test command.
//!
//! Each target must never panic on any input; where it is cheap it also asserts a property of
//! the result (a round-trip, an invariant of the cleaned text, a match that survives Unicode
//! normalisation). A failed assertion is a panic, which libFuzzer reports as a crash.
//!
//! Inputs that carry several fields split them on the first newlines ([`fields`]), so a corpus
//! file stays readable: `AR\n011 15-2345-6789` is a region and a phone number.

#![doc(hidden)]

mod db;
mod domain;
mod stores;
mod texts;

pub use db::{inbox_search, webhook_delivery, webhook_router};
pub use domain::{business_hours, escalation, money, opt_out, parse_time, phone};
pub use stores::{shopify_page, store_cursors, tiendanube_page, woocommerce_page};
pub use texts::{grounding, template_params};

/// A target's body: any bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// Every target by name, in the order `scripts/fuzz.sh` runs them; the names are the corpus
/// folders and the `fuzz/Cargo.toml` binaries.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse_time", parse_time),
    ("phone", phone),
    ("money", money),
    ("business_hours", business_hours),
    ("opt_out", opt_out),
    ("escalation", escalation),
    ("grounding", grounding),
    ("template_params", template_params),
    ("store_cursors", store_cursors),
    ("tiendanube_page", tiendanube_page),
    ("shopify_page", shopify_page),
    ("woocommerce_page", woocommerce_page),
    ("webhook_router", webhook_router),
    ("webhook_delivery", webhook_delivery),
    ("inbox_search", inbox_search),
];

/// The input as text (invalid UTF-8 replaced: every parser here takes `&str`).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The first `n - 1` lines of the text and the rest (missing fields are empty).
pub(crate) fn fields(text: &str, n: usize) -> Vec<&str> {
    let mut out: Vec<&str> = text.splitn(n, '\n').collect();
    out.resize(n, "");
    out
}

/// libFuzzer aborts on every panic, even one caught on purpose. The only panics this crate
/// catches on purpose come from the `phonenumber` crate (see `domain::phone`); the fuzz targets
/// install this hook so those stay "not a number" while any other panic still aborts.
pub fn panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("phonenumber")) {
            return;
        }
        default(info);
        std::process::abort();
    }));
}
