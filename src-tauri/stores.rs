//! Store connectors: read abandoned checkouts from Tiendanube/Nuvemshop, Shopify and WooCommerce.
//!
//! Each platform module holds its HTTP client, its own JSON types and the conversion into domain
//! [`Cart`]s. They share one contract, [`StoreConnector`]:
//! - `list_changed(cursor)` returns ONE page of checkouts changed since an opaque [`Cursor`], and
//!   the cursor to save together with that page (so memory is bounded by a page, and a crash
//!   between pages loses nothing: the poller stores carts and cursor in one transaction);
//! - `fetch(id)` re-reads one checkout (the pre-send re-check);
//! - `completion(query)` says whether the checkout was completed or became an order, or
//!   whether the same customer (same phone, or the checkout's email) placed an order since the
//!   checkout through a fresh one ([`orders`], the same rules on every platform).
//!
//! A checkout that can't be read (a malformed item, a bad price) is skipped with its id and the
//! reason, and the rest of the page is kept. A page that can't be read at all is an error: the
//! cursor doesn't move and the poller tries again later. Connectors never sleep: they report how
//! long to wait (`Page::pace`, `StoreError::RateLimited`) and the caller decides.

pub mod fields;
pub mod http;
pub mod orders;
pub mod shopify;
pub mod tiendanube;
pub mod woocommerce;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::clock::Clock;
use crate::domain::cart::{Cart, ExternalId, StoreId};
use crate::secrets::Sensitive;

/// The store platforms Recupero can poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Tiendanube,
    Shopify,
    Woocommerce,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Tiendanube, Platform::Shopify, Platform::Woocommerce];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Tiendanube => "tiendanube",
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
        }
    }

    /// Accepts the platform's names as owners write them ("Nuvemshop", "WooCommerce"…).
    pub fn parse(name: &str) -> Result<Platform, StoreError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "tiendanube" | "nuvemshop" => Ok(Platform::Tiendanube),
            "shopify" => Ok(Platform::Shopify),
            "woocommerce" | "woo" => Ok(Platform::Woocommerce),
            other => Err(StoreError::Invalid(format!(
                "unknown platform '{other}'; valid: tiendanube (or nuvemshop), shopify, woocommerce"
            ))),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to authenticate against the store. Values stay wrapped in [`Sensitive`].
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Tiendanube's access token, or a Shopify admin API token.
    Token(Sensitive<String>),
    /// Shopify's client-credentials grant: client id + secret, exchanged for a 24-hour token.
    ClientCredentials { client_id: Sensitive<String>, client_secret: Sensitive<String> },
    /// WooCommerce consumer key + consumer secret.
    KeySecret { key: Sensitive<String>, secret: Sensitive<String> },
}

/// Where a store lives and how to read it. No secrets here (see [`Credentials`]).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Recupero's id for the store (`StoreId(0)` for a one-off check).
    pub id: StoreId,
    pub platform: Platform,
    /// The root the platform's documented paths hang from, e.g. `https://api.tiendanube.com`.
    pub base_url: Url,
    /// Tiendanube's store id (the `user_id` of its OAuth answer).
    pub external_id: Option<String>,
    /// Two-letter country: the default region for phone numbers typed without a prefix.
    pub country: String,
    /// API version: Tiendanube `v1` (default) or a dated one such as `2025-03`; Shopify `2026-01`.
    pub api_version: Option<String>,
    /// WooCommerce: send the keys in the query string (for servers that drop `Authorization`).
    pub query_string_auth: bool,
    /// Page size; each platform caps it at its documented maximum.
    pub page_size: Option<u32>,
}

impl StoreConfig {
    pub fn new(platform: Platform, base_url: &str, country: &str) -> Result<StoreConfig, StoreError> {
        Ok(StoreConfig {
            id: StoreId(0),
            platform,
            base_url: parse_base_url(base_url)?,
            external_id: None,
            country: country.trim().to_ascii_uppercase(),
            api_version: None,
            query_string_auth: false,
            page_size: None,
        })
    }

    /// `base_url` joined with `path` segments, each percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

/// A base URL the owner typed: absolute http(s), no query or fragment; a missing scheme means https.
pub fn parse_base_url(text: &str) -> Result<Url, StoreError> {
    let text = text.trim();
    let with_scheme = if text.contains("://") { text.to_string() } else { format!("https://{text}") };
    let url = Url::parse(&with_scheme)
        .map_err(|e| StoreError::Invalid(format!("'{text}' is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(StoreError::Invalid(format!("'{text}' must be an http(s) address with a host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(StoreError::Invalid("the store address must not carry a user or password".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(StoreError::Invalid(format!("'{text}' must not have a query or a fragment")));
    }
    Ok(url)
}

/// True for 127.0.0.0/8, ::1 and `localhost`: the sandbox and tests. Credentials over plain
/// HTTP are only sent there.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

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

/// Why a store request failed, and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the store could not be reached: {0}")]
    Unreachable(String),
    #[error("the store asked us to slow down (HTTP 429){}", retry_hint(*.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    #[error("the store had an internal problem (HTTP {status})")]
    Server { status: u16 },
    #[error("the store refused the credentials (HTTP {status}): {detail}")]
    Auth { status: u16, detail: String },
    #[error("the store answered HTTP {status}: {detail}")]
    Rejected { status: u16, detail: String },
    #[error("the store's answer could not be read: {0}")]
    Protocol(String),
    #[error("{0}")]
    Invalid(String),
}

fn retry_hint(after: Option<Duration>) -> String {
    after.map(|d| format!("; retry after {:.1} s", d.as_secs_f64())).unwrap_or_default()
}

impl StoreError {
    /// A stable code for the UI and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unreachable(_) | StoreError::Server { .. } | StoreError::RateLimited { .. } => {
                "store_unreachable"
            }
            StoreError::Auth { .. } => "store_auth",
            StoreError::Rejected { .. } | StoreError::Protocol(_) => "store_protocol",
            StoreError::Invalid(_) => "store_invalid",
        }
    }

    /// Trying again later can help (network, 5xx, throttling, an unreadable page).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable(_)
                | StoreError::Server { .. }
                | StoreError::RateLimited { .. }
                | StoreError::Protocol(_)
        )
    }

    /// The wait the store itself asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            StoreError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
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

/// Per-store options saved beside the store (JSON in `stores.options`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreOptions {
    pub api_version: Option<String>,
    pub query_string_auth: bool,
    pub page_size: Option<u32>,
}

/// A store as the owner describes it in Settings or on the command line. Credentials are
/// optional: missing ones come from the secret store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreInput {
    pub platform: String,
    pub base_url: String,
    pub store_id: Option<String>,
    pub country: Option<String>,
    pub name: Option<String>,
    pub token: Option<Sensitive<String>>,
    pub key: Option<Sensitive<String>>,
    pub secret: Option<Sensitive<String>>,
    pub api_version: Option<String>,
    pub query_string_auth: bool,
    pub page_size: Option<u32>,
}

impl StoreInput {
    /// The connection settings, validated; `default_country` when the owner gave none.
    pub fn config(&self, default_country: &str) -> Result<StoreConfig, StoreError> {
        let platform = Platform::parse(&self.platform)?;
        let country =
            self.country.as_deref().map(str::trim).filter(|c| !c.is_empty()).unwrap_or(default_country);
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(StoreError::Invalid(format!(
                "country '{country}' must be a two-letter code such as AR or BR"
            )));
        }
        let mut config = StoreConfig::new(platform, &self.base_url, country)?;
        config.external_id =
            self.store_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        config.api_version =
            self.api_version.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        config.query_string_auth = self.query_string_auth;
        config.page_size = self.page_size;
        Ok(config)
    }

    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            api_version: self.api_version.clone().filter(|v| !v.trim().is_empty()),
            query_string_auth: self.query_string_auth,
            page_size: self.page_size,
        }
    }
}

/// One cart as `store check` and "Test connection" show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckedCart {
    pub checkout_id: String,
    pub completed: bool,
    pub phone: Option<String>,
    pub phone_problem: Option<String>,
    pub first_name: Option<String>,
    pub language: Option<String>,
    pub marketing_consent: Option<bool>,
    pub currency: String,
    /// Decimal text, never a float.
    pub total: String,
    pub items: Vec<CheckedItem>,
    pub recovery_link: String,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckedItem {
    pub name: String,
    pub variant: Option<String>,
    pub quantity: u32,
    pub unit_price: String,
    pub image_url: Option<String>,
}

impl From<&Cart> for CheckedCart {
    fn from(cart: &Cart) -> Self {
        use crate::domain::Contact;
        let (phone, phone_problem) = match cart.contact() {
            Contact::Phone(p) => (Some(p.e164().to_string()), None),
            Contact::Missing => (None, Some("no phone number in the checkout".to_string())),
            Contact::Unusable { raw, reason } => (None, Some(format!("{reason} ({raw})"))),
        };
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        CheckedCart {
            checkout_id: cart.external_id().as_str().to_string(),
            completed: cart.completed_at().is_some(),
            phone,
            phone_problem,
            first_name: cart.customer().first_name().map(String::from),
            language: cart.customer().language().map(|l| l.code().to_string()),
            marketing_consent: cart.customer().marketing_consent(),
            currency: cart.total().currency().code().to_string(),
            total: cart.total().amount().to_string(),
            items: cart
                .items()
                .iter()
                .map(|i| CheckedItem {
                    name: i.name().to_string(),
                    variant: i.variant().map(String::from),
                    quantity: i.quantity(),
                    unit_price: i.unit_price().amount().to_string(),
                    image_url: i.image_url().map(String::from),
                })
                .collect(),
            recovery_link: cart.recovery_link().as_str().to_string(),
            created_at: time(cart.created_at()),
            updated_at: time(cart.updated_at()),
            completed_at: cart.completed_at().map(time),
        }
    }
}

/// What one check of a store found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreCheckReport {
    pub carts: Vec<CheckedCart>,
    pub skipped: Vec<Skipped>,
}

/// Any of the three connectors, chosen at run time from the store's platform.
pub enum AnyConnector {
    Tiendanube(tiendanube::Tiendanube),
    Shopify(shopify::Shopify),
    Woocommerce(woocommerce::WooCommerce),
}

impl AnyConnector {
    /// Builds the connector for `config`, checking that the credentials fit the platform.
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
    ) -> Result<AnyConnector, StoreError> {
        let http = http::StoreHttp::new(&config)?;
        Ok(match config.platform {
            Platform::Tiendanube => {
                AnyConnector::Tiendanube(tiendanube::Tiendanube::new(config, credentials, http, clock)?)
            }
            Platform::Shopify => {
                AnyConnector::Shopify(shopify::Shopify::new(config, credentials, http, clock)?)
            }
            Platform::Woocommerce => {
                AnyConnector::Woocommerce(woocommerce::WooCommerce::new(config, credentials, http, clock)?)
            }
        })
    }
}

impl StoreConnector for AnyConnector {
    fn platform(&self) -> Platform {
        match self {
            AnyConnector::Tiendanube(c) => c.platform(),
            AnyConnector::Shopify(c) => c.platform(),
            AnyConnector::Woocommerce(c) => c.platform(),
        }
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.list_changed(cursor).await,
            AnyConnector::Shopify(c) => c.list_changed(cursor).await,
            AnyConnector::Woocommerce(c) => c.list_changed(cursor).await,
        }
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.fetch(id).await,
            AnyConnector::Shopify(c) => c.fetch(id).await,
            AnyConnector::Woocommerce(c) => c.fetch(id).await,
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.completion(query).await,
            AnyConnector::Shopify(c) => c.completion(query).await,
            AnyConnector::Woocommerce(c) => c.completion(query).await,
        }
    }
}

/// Picks the first non-blank value in the order the caller lists them (customer, shipping,
/// billing), so a blank customer phone falls through to the address's.
pub(crate) fn first_present<'a>(candidates: impl IntoIterator<Item = Option<&'a str>>) -> Option<&'a str> {
    candidates.into_iter().flatten().map(str::trim).find(|p| !p.is_empty())
}

/// Turns a checkout's fields into a cart; the error text names what was wrong.
pub(crate) fn skipped(id: Option<&str>, reason: impl fmt::Display) -> Skipped {
    Skipped { checkout_id: id.map(|s| s.chars().take(64).collect()), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_names_owners_type_are_accepted() {
        assert_eq!(Platform::parse(" Nuvemshop ").unwrap(), Platform::Tiendanube);
        assert_eq!(Platform::parse("WooCommerce").unwrap(), Platform::Woocommerce);
        assert_eq!(Platform::parse("shopify").unwrap(), Platform::Shopify);
        let err = Platform::parse("magento").unwrap_err();
        assert!(err.to_string().contains("tiendanube"), "{err}");
        assert_eq!(err.code(), "store_invalid");
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            parse_base_url("myshop.myshopify.com/").unwrap().as_str(),
            "https://myshop.myshopify.com/"
        );
        assert_eq!(parse_base_url("http://127.0.0.1:8080").unwrap().as_str(), "http://127.0.0.1:8080/");
        for bad in ["", "ftp://x.com", "https://user:pw@x.com", "https://x.com/?a=1", "https://"] {
            assert!(parse_base_url(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn urls_keep_a_sub_path_and_encode_segments() {
        let mut config = StoreConfig::new(Platform::Woocommerce, "https://site.example/shop", "ES").unwrap();
        assert_eq!(
            config.url(&["wp-json", "wc", "v3", "orders"]).as_str(),
            "https://site.example/shop/wp-json/wc/v3/orders"
        );
        config.base_url = parse_base_url("https://api.example").unwrap();
        assert_eq!(
            config.url(&["v1", "12 3", "checkouts"]).as_str(),
            "https://api.example/v1/12%203/checkouts"
        );
    }

    #[test]
    fn loopback_is_recognised() {
        for (url, expected) in [
            ("http://127.0.0.1:1", true),
            ("http://[::1]:1", true),
            ("http://localhost:1", true),
            ("https://shop.example", false),
            ("http://10.0.0.1", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), expected, "{url}");
        }
    }

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
    fn transient_errors_are_told_apart_from_permanent_ones() {
        assert!(StoreError::Server { status: 503 }.is_transient());
        assert!(StoreError::RateLimited { retry_after: None }.is_transient());
        assert!(StoreError::Protocol("x".into()).is_transient());
        assert!(!StoreError::Auth { status: 401, detail: "x".into() }.is_transient());
        assert_eq!(
            StoreError::RateLimited { retry_after: Some(Duration::from_millis(1500)) }.retry_after(),
            Some(Duration::from_millis(1500))
        );
    }
}
