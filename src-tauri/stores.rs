//! Store connectors: read abandoned checkouts from Tiendanube/Nuvemshop, Shopify, WooCommerce,
//! Jumpseller, PrestaShop and VTEX (its customers' last carts in Master Data).
//!
//! Each platform module holds its HTTP client; its JSON shapes and their reading into domain
//! [`Cart`]s live in a `json.rs` beside it, built from the shared readers in [`fields`]. They
//! share one contract, [`StoreConnector`]:
//! - `list_changed(cursor)` returns ONE page of checkouts changed since an opaque [`Cursor`], and
//!   the cursor to save together with that page (so memory is bounded by a page, and a crash
//!   between pages loses nothing: the poller stores carts and cursor in one transaction);
//! - `fetch(id)` re-reads one checkout (the pre-send re-check);
//! - `completion(query)` says whether the checkout was completed or became an order, or
//!   whether the same customer (same phone, or the checkout's email) placed an order since the
//!   checkout through a fresh one, asked in the same order on every platform ([`completion`],
//!   [`orders`]).
//!
//! A checkout that can't be read (a malformed item, a bad price) is skipped with its id and the
//! reason, and the rest of the page is kept. A page that can't be read at all is an error: the
//! cursor doesn't move and the poller tries again later. Connectors never sleep: they report how
//! long to wait (`Page::pace`, `StoreError::RateLimited`) and the caller decides.

pub mod any_connector;
pub mod check;
pub mod completion;
pub mod coupons;
pub mod error;
pub mod fields;
pub mod http;
pub mod jumpseller;
pub mod orders;
pub mod prestashop;
pub mod shopify;
pub mod store_config;
pub mod tiendanube;
pub mod vtex;
pub mod woocommerce;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::cart::{Cart, ExternalId};

pub use any_connector::AnyConnector;
pub use check::{
    check_retry_wait, CheckedCart, CheckedItem, ConsentSource, StoreCheckReport, CHECK_PATIENCE,
};
pub use error::StoreError;
pub use store_config::{parse_base_url, Credentials, Platform, StoreConfig, StoreInput, StoreOptions};

/// An opaque position in a store's stream of changed checkouts, saved as text beside the store.
/// `Cursor::start()` means "from the beginning".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(Option<String>);

impl Cursor {
    pub fn start() -> Cursor {
        Cursor(None)
    }
    pub fn from_stored(text: Option<String>) -> Cursor {
        Cursor(text.filter(|t| !t.trim().is_empty()))
    }
    pub fn as_stored(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// Reads a platform's cursor state; an unreadable one (an older format) restarts the sync,
    /// which is safe because re-seeing a checkout only updates it.
    pub(crate) fn decode<T: for<'de> Deserialize<'de> + Default>(&self) -> T {
        match self.0.as_deref() {
            None => T::default(),
            Some(text) => serde_json::from_str(text).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "store cursor unreadable; starting the sync again");
                T::default()
            }),
        }
    }

    pub(crate) fn encode<T: Serialize>(state: &T) -> Cursor {
        Cursor(serde_json::to_string(state).ok())
    }
}

/// A checkout the connector could not turn into a cart, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "SkippedCheckout"))]
pub struct Skipped {
    pub checkout_id: Option<String>,
    pub reason: String,
}

/// A checkout known to have become a paid order (WooCommerce reports these apart, because the
/// order leaves the abandoned statuses when it is paid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub external_id: ExternalId,
    pub completed_at: DateTime<Utc>,
}

/// One page of changes.
#[derive(Debug, Clone)]
pub struct Page {
    pub carts: Vec<Cart>,
    pub completed: Vec<Completed>,
    pub skipped: Vec<Skipped>,
    /// The cursor to save together with this page.
    pub next: Cursor,
    /// More pages are waiting right now (false: caught up until the next poll).
    pub more: bool,
    /// How long to wait before the next request to respect the platform's limits.
    pub pace: Duration,
}

impl Page {
    /// A page with room for `capacity` checkouts, nothing read yet, ending the sync.
    pub(crate) fn new(capacity: usize, pace: Duration) -> Page {
        Page {
            carts: Vec::with_capacity(capacity),
            completed: Vec::new(),
            skipped: Vec::new(),
            next: Cursor::start(),
            more: false,
            pace,
        }
    }

    /// Keeps one checkout of the page: its cart, or why it was skipped (so one bad checkout
    /// never costs the rest). A cart dated outside the sane range (before 2000, more than a day
    /// after `now`) is skipped too, its id logged. Returns the kept cart's last update, for the
    /// sync's watermark (a skipped one never moves it).
    pub(crate) fn add(
        &mut self,
        id: Option<&str>,
        read: Result<Cart, String>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let read = read.and_then(|cart| match fields::check_times(&cart, now) {
            Ok(()) => Ok(cart),
            Err(reason) => {
                tracing::warn!(checkout = id.unwrap_or("?"), %reason, "checkout refused: its time is not sane");
                Err(reason)
            }
        });
        match read {
            Ok(cart) => {
                let updated = cart.updated_at();
                self.carts.push(cart);
                Some(updated)
            }
            Err(reason) => {
                self.skipped.push(skipped(id, reason));
                None
            }
        }
    }
}

/// What the pre-send check needs to find out whether a checkout ended in a purchase.
#[derive(Debug, Clone)]
pub struct CompletionQuery {
    pub external_id: ExternalId,
    /// The customer's number in E.164, to match an order placed from a fresh checkout (the
    /// connector adds the email it reads from the checkout itself).
    pub phone_e164: Option<String>,
    /// When the checkout was created: orders before it don't count.
    pub since: DateTime<Utc>,
}

/// The answer to a [`CompletionQuery`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Completion {
    /// Still abandoned.
    Open,
    /// Bought: `how` says what showed it (checkout completed, order with the same id, …).
    Completed { at: Option<DateTime<Utc>>, how: String },
    /// The store no longer knows the checkout (expired or deleted) and no order was found.
    Gone,
}

/// The contract every platform implements. See the module docs.
pub trait StoreConnector: Send + Sync {
    fn platform(&self) -> Platform;
    fn list_changed(&self, cursor: &Cursor) -> impl Future<Output = Result<Page, StoreError>> + Send;
    fn fetch(&self, id: &ExternalId) -> impl Future<Output = Result<Option<Cart>, StoreError>> + Send;
    fn completion(
        &self,
        query: &CompletionQuery,
    ) -> impl Future<Output = Result<Completion, StoreError>> + Send;
}

/// Picks the first non-blank value in the order the caller lists them (customer, shipping,
/// billing), so a blank customer phone falls through to the address's.
pub(crate) fn first_present<'a>(candidates: impl IntoIterator<Item = Option<&'a str>>) -> Option<&'a str> {
    candidates.into_iter().flatten().map(str::trim).find(|p| !p.is_empty())
}

/// A checkout left out of a page: its id (cut to 64 characters) and why it couldn't be read.
pub(crate) fn skipped(id: Option<&str>, reason: impl fmt::Display) -> Skipped {
    Skipped { checkout_id: id.map(|s| s.chars().take(64).collect()), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_cursor_restarts_instead_of_failing() {
        #[derive(Default, Deserialize, Serialize, PartialEq, Debug)]
        struct State {
            since_id: i64,
        }
        let good = Cursor::encode(&State { since_id: 7 });
        assert_eq!(good.decode::<State>(), State { since_id: 7 });
        assert_eq!(Cursor::from_stored(Some("{not json".into())).decode::<State>(), State::default());
        assert_eq!(Cursor::from_stored(Some("  ".into())), Cursor::start());
    }

    #[test]
    fn the_first_present_value_wins() {
        assert_eq!(
            first_present([None, Some("  "), Some(" 11 2345 6789 "), Some("x")]),
            Some("11 2345 6789")
        );
        assert_eq!(first_present([None, None]), None);
    }

    #[test]
    fn a_bad_checkout_is_skipped_and_the_rest_of_the_page_kept() {
        use crate::domain::{CartDraft, Contact, Customer, Money, RecoveryLink, StoreId};
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 14, 0, 0).unwrap();
        let cart = Cart::new(CartDraft {
            store_id: StoreId(1),
            external_id: ExternalId::parse("7").unwrap(),
            customer: Customer::new(None, None, None),
            contact: Contact::Missing,
            items: Vec::new(),
            total: Money::parse("10", "ARS").unwrap(),
            recovery_link: RecoveryLink::parse("https://shop.example/r/7").unwrap(),
            created_at: at,
            updated_at: at,
            completed_at: None,
        })
        .unwrap();
        let mut page = Page::new(2, Duration::ZERO);
        let long_id = "9".repeat(100);
        assert_eq!(page.add(Some(&long_id), Err("price \"abc\"".into()), at), None);
        let yesterday = at - chrono::Duration::days(2);
        assert_eq!(page.add(Some("7"), Ok(cart.clone()), yesterday), None, "dated over a day ahead of now");
        assert!(page.skipped[1].reason.contains("outside the sane range"), "{:?}", page.skipped);
        page.skipped.pop();
        assert_eq!(page.add(Some("7"), Ok(cart), at), Some(at), "the kept cart's update feeds the watermark");
        assert_eq!(page.carts.len(), 1);
        assert_eq!(page.skipped[0].checkout_id.as_deref().map(str::len), Some(64), "ids are cut");
        assert_eq!(page.skipped[0].reason, "price \"abc\"");
        assert!(!page.more && page.next == Cursor::start(), "a new page ends the sync until told otherwise");
    }
}
