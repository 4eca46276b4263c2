//! Which store to read and how: the platform, its address and API options, the owner's input
//! from Settings or the command line, and the credentials (always [`Sensitive`]).
//!
//! Guarantees: a [`StoreConfig`]'s base URL is absolute http(s) with a host and no user,
//! password, query or fragment; its country is two upper-case letters when it came through
//! [`StoreInput::config`].

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::StoreError;
use crate::domain::StoreId;
use crate::secrets::Sensitive;

/// The store platforms Recupero can poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Tiendanube,
    Shopify,
    Woocommerce,
    Jumpseller,
    Prestashop,
    Vtex,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::Tiendanube,
        Platform::Shopify,
        Platform::Woocommerce,
        Platform::Jumpseller,
        Platform::Prestashop,
        Platform::Vtex,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Tiendanube => "tiendanube",
            Platform::Shopify => "shopify",
            Platform::Woocommerce => "woocommerce",
            Platform::Jumpseller => "jumpseller",
            Platform::Prestashop => "prestashop",
            Platform::Vtex => "vtex",
        }
    }

    /// Accepts the platform's names as owners write them ("Nuvemshop", "WooCommerce"…).
    pub fn parse(name: &str) -> Result<Platform, StoreError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "tiendanube" | "nuvemshop" => Ok(Platform::Tiendanube),
            "shopify" => Ok(Platform::Shopify),
            "woocommerce" | "woo" => Ok(Platform::Woocommerce),
            "jumpseller" => Ok(Platform::Jumpseller),
            "prestashop" => Ok(Platform::Prestashop),
            "vtex" => Ok(Platform::Vtex),
            other => Err(StoreError::Invalid(format!(
                "unknown platform '{other}'; valid: tiendanube (or nuvemshop), shopify, woocommerce, jumpseller, prestashop, vtex"
            ))),
        }
    }
}

impl Platform {
    /// The shortest abandonment delay the platform allows: VTEX's session lasts 30 minutes
    /// after the last activity and its cart fields describe that session, so a cart is not
    /// abandoned before (stores.md §5). None: the owner's setting applies as it is.
    pub fn abandonment_floor(self) -> Option<chrono::Duration> {
        match self {
            Platform::Vtex => Some(chrono::Duration::minutes(30)),
            _ => None,
        }
    }

    /// The owner's abandonment delay, raised to the platform's floor.
    pub fn abandonment_delay(self, setting: chrono::Duration) -> chrono::Duration {
        self.abandonment_floor().map_or(setting, |floor| setting.max(floor))
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
    /// WooCommerce consumer key + consumer secret; Jumpseller login + auth token.
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
    /// The owner's time zone (Settings `timezone`): PrestaShop reads the shop's local times in
    /// it while the shop's own `PS_TIMEZONE` can't be read.
    pub timezone: Option<chrono_tz::Tz>,
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
            timezone: None,
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

    /// Refuses a plain-HTTP address away from loopback: credentials travel over HTTPS only.
    /// `why` is the owner-facing text of the refusal.
    pub(crate) fn require_https(&self, why: &str) -> Result<(), StoreError> {
        if !crate::http::is_loopback(&self.base_url) && self.base_url.scheme() != "https" {
            return Err(StoreError::Invalid(why.into()));
        }
        Ok(())
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
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(optional_fields = nullable))]
pub struct StoreInput {
    pub platform: String,
    pub base_url: String,
    pub store_id: Option<String>,
    pub country: Option<String>,
    pub name: Option<String>,
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub token: Option<Sensitive<String>>,
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub key: Option<Sensitive<String>>,
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub secret: Option<Sensitive<String>>,
    pub api_version: Option<String>,
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
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
    fn vtex_sets_a_thirty_minute_floor_on_the_abandonment_delay() {
        let minutes = chrono::Duration::minutes;
        assert_eq!(Platform::parse(" VTEX ").unwrap(), Platform::Vtex);
        assert_eq!(Platform::Vtex.abandonment_delay(minutes(15)), minutes(30));
        assert_eq!(Platform::Vtex.abandonment_delay(minutes(45)), minutes(45));
        assert_eq!(Platform::Woocommerce.abandonment_delay(minutes(15)), minutes(15));
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
    fn credentials_travel_over_https_or_to_loopback_only() {
        let why = "HTTPS only";
        for (base, ok) in [
            ("https://shop.example", true),
            ("http://127.0.0.1:8080", true),
            ("http://localhost:8080", true),
            ("http://shop.example", false),
        ] {
            let config = StoreConfig::new(Platform::Shopify, base, "AR").unwrap();
            let outcome = config.require_https(why);
            assert_eq!(outcome.is_ok(), ok, "{base}");
            if let Err(err) = outcome {
                assert_eq!(err, StoreError::Invalid(why.into()), "the owner reads the platform's reason");
            }
        }
    }
}
