//! PrestaShop (self-hosted) through its webservice, `{shop}/api/…` with `output_format=JSON`
//! (../shared/reference/stores.md §6.2).
//!
//! Facts: the webservice key is the HTTP Basic user with an empty password (or `ws_key=` in the
//! query string for servers that drop `Authorization`); lists take `display=full` or
//! `display=[a,b]`, `filter[field]=[a|b]` (any of) or `[a,b]` (interval, dates with `date=1`),
//! `sort=[field_ASC]` and `limit=offset,count`. An abandoned cart is a cart with products and no
//! order: `/api/orders?filter[id_cart]=[…]`. The cart names no prices, no phone and no email:
//! those come from `/api/products` (base price, tax excluded), the delivery address
//! (`/api/addresses`: `phone_mobile`, then `phone`, with `id_country` → `/api/countries`
//! `iso_code`) and `/api/customers`, each read in one batch per page. Dates are the shop's local
//! time without an offset: read in its `PS_TIMEZONE` (`/api/configurations`), once; while that
//! can't be read, in the time zone from Settings.
//!
//! Sync ([`watermark`]): carts by `date_upd` ascending, each pass from 10 minutes before the
//! watermark (the latest `date_upd` read), the first one from 30 days back. A cart that became
//! an order is reported completed. A cart without a customer (a visitor who never gave an
//! address or email) is not a checkout and is left out.
//!
//! Completion: an order with the cart's `id_cart`; else an order by the same phone or email
//! since the checkout (orders by `date_add`, their delivery addresses and customers); a cart the
//! webservice no longer has is gone.
//!
//! No recovery link: PrestaShop's own cart-recovery token derives from the shop's cookie key and
//! no API exposes it, so the link is the shop's cart page (`index.php?controller=cart&action=show`):
//! a registered customer sees the cart again once logged in. Unconfirmed against a live shop:
//! multiple `sort` keys, `date=1`, the `[]` empty answer, and the canceled state's id (`6`).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use super::completion::{self, OwnRecord};
use super::http::{self, StoreHttp};
use super::orders::OrderPage;
use super::{
    fields, skipped, Completed, Completion, CompletionQuery, Credentials, Cursor, Page, Platform,
    StoreConfig, StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

pub(crate) mod json;
pub(crate) mod watermark;

use json::{real_id, Address, Cart0, Coded, Customer, Order, Product, Related};
use watermark::State;

pub const MAX_PER_PAGE: u32 = 100;
/// The far end of every date interval.
const END: &str = "2100-01-01 00:00:00";

pub struct Prestashop {
    config: StoreConfig,
    key: Sensitive<String>,
    http: StoreHttp,
    clock: Arc<dyn Clock>,
    /// The shop's time zone, countries and currencies, read once.
    tz: Mutex<Option<Tz>>,
    /// The `PS_TIMEZONE` fallback was logged (once, not every page).
    tz_warned: AtomicBool,
    countries: Mutex<HashMap<String, String>>,
    currencies: Mutex<HashMap<String, String>>,
}

/// A cart id list for `filter[…]=[a|b|c]`.
fn any_of(ids: &BTreeSet<String>) -> String {
    format!("[{}]", ids.iter().cloned().collect::<Vec<_>>().join("|"))
}

impl Prestashop {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let Credentials::Token(key) = credentials else {
            return Err(StoreError::Invalid("PrestaShop needs the webservice key (store_token)".into()));
        };
        config.require_https(
            "The PrestaShop webservice key is only sent over HTTPS: use the shop's https:// address",
        )?;
        let http = http.masking(&[&key]);
        Ok(Prestashop {
            config,
            key,
            http,
            clock,
            tz: Mutex::new(None),
            tz_warned: AtomicBool::new(false),
            countries: Mutex::new(HashMap::new()),
            currencies: Mutex::new(HashMap::new()),
        })
    }

    /// `{base}/api/{resource}` with JSON output and `params`.
    fn url(&self, path: &[&str], params: &[(&str, String)]) -> Url {
        let mut segments = vec!["api"];
        segments.extend_from_slice(path);
        let mut url = self.config.url(&segments);
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            q.append_pair("output_format", "JSON");
        }
        url
    }

    async fn get(&self, mut url: Url) -> Result<serde_json::Value, StoreError> {
        let request = if self.config.query_string_auth {
            url.query_pairs_mut().append_pair("ws_key", self.key.expose());
            self.http.get(url)
        } else {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.key.expose()));
            self.http.get(url).header("Authorization", format!("Basic {basic}"))
        };
        let reply = self.http.send(request).await?;
        http::json(&reply.body)
    }

    /// Every `T` of `resource` whose `field` is one of `ids` (one request; nothing for no ids).
    async fn by_ids<T: DeserializeOwned>(
        &self,
        resource: &str,
        field: &str,
        ids: &BTreeSet<String>,
        display: &str,
    ) -> Result<Vec<T>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let params = [(format!("filter[{field}]").as_str(), any_of(ids)), ("display", display.to_string())]
            .map(|(k, v)| (k.to_string(), v));
        let params: Vec<(&str, String)> = params.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let body = self.get(self.url(&[resource], &params)).await?;
        let values = json::list(body, resource).map_err(StoreError::Protocol)?;
        Ok(values.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect())
    }

    /// The shop's `PS_TIMEZONE`, read once. While the webservice doesn't give it (or the key is
    /// not granted `configurations`), the owner's
    /// time zone from Settings (else UTC), asked again next time so a later answer is used.
    async fn timezone(&self) -> Result<Tz, StoreError> {
        if let Some(tz) = *self.tz.lock().unwrap_or_else(|e| e.into_inner()) {
            return Ok(tz);
        }
        #[derive(Deserialize)]
        struct Setting {
            value: Option<String>,
        }
        let names = BTreeSet::from(["PS_TIMEZONE".to_string()]);
        let found: Vec<Setting> = match self.by_ids("configurations", "name", &names, "[name,value]").await {
            Ok(found) => found,
            // A key not granted `configurations` (401, error 26) reads like a missing setting; a
            // key refused everywhere fails on the carts themselves.
            Err(StoreError::Auth { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        match found.iter().find_map(|s| s.value.as_deref()?.trim().parse::<Tz>().ok()) {
            Some(tz) => {
                *self.tz.lock().unwrap_or_else(|e| e.into_inner()) = Some(tz);
                Ok(tz)
            }
            None => {
                let fallback = self.config.timezone.unwrap_or(chrono_tz::UTC);
                if !self.tz_warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::warn!(%fallback, "PrestaShop PS_TIMEZONE unreadable; reading the shop's times in the time zone from Settings");
                }
                Ok(fallback)
            }
        }
    }

    /// Fills a cache of id → ISO code from `resource` for the ids it lacks.
    async fn codes(
        &self,
        resource: &str,
        cache: &Mutex<HashMap<String, String>>,
        ids: BTreeSet<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let missing: BTreeSet<String> = {
            let known = cache.lock().unwrap_or_else(|e| e.into_inner());
            ids.iter().filter(|id| !known.contains_key(*id)).cloned().collect()
        };
        let found: Vec<Coded> = self.by_ids(resource, "id", &missing, "[id,iso_code]").await?;
        let mut known = cache.lock().unwrap_or_else(|e| e.into_inner());
        for c in found {
            known.insert(c.id.text(), c.iso_code.trim().to_ascii_uppercase());
        }
        Ok(known.clone())
    }

    /// The addresses, customers, countries, currencies and products `carts` point at.
    async fn related(&self, carts: &[Cart0]) -> Result<Related, StoreError> {
        let collect =
            |f: &dyn Fn(&Cart0) -> Option<String>| carts.iter().filter_map(f).collect::<BTreeSet<_>>();
        let address_ids = collect(&|c| real_id(c.id_address_delivery.as_ref()));
        let customer_ids = collect(&|c| real_id(c.id_customer.as_ref()));
        let currency_ids = collect(&|c| real_id(c.id_currency.as_ref()));
        let product_ids: BTreeSet<String> =
            carts.iter().flat_map(|c| c.associations.cart_rows.iter().map(|r| r.id_product.text())).collect();
        let addresses: Vec<Address> = self.by_ids("addresses", "id", &address_ids, "full").await?;
        let customers: Vec<Customer> =
            self.by_ids("customers", "id", &customer_ids, "[id,email,firstname]").await?;
        let products: Vec<Product> = self.by_ids("products", "id", &product_ids, "[id,price,name]").await?;
        let country_ids: BTreeSet<String> =
            addresses.iter().filter_map(|a| real_id(a.id_country.as_ref())).collect();
        Ok(Related {
            countries: self.codes("countries", &self.countries, country_ids).await?,
            currencies: self.codes("currencies", &self.currencies, currency_ids).await?,
            addresses: addresses.into_iter().map(|a| (a.id.text(), a)).collect(),
            customers: customers.into_iter().map(|c| (c.id.text(), c)).collect(),
            products: products.into_iter().map(|p| (p.id.text(), p)).collect(),
        })
    }

    /// The shop's cart page: PrestaShop exposes no per-cart recovery link.
    fn cart_page(&self) -> String {
        let mut url = self.config.url(&["index.php"]);
        url.query_pairs_mut().append_pair("controller", "cart").append_pair("action", "show");
        url.to_string()
    }

    /// The orders placed for these carts: cart id → (order id, placed at).
    async fn orders_for(
        &self,
        cart_ids: &BTreeSet<String>,
        tz: Tz,
    ) -> Result<HashMap<String, (String, Option<DateTime<Utc>>)>, StoreError> {
        let orders: Vec<Order> = self.by_ids("orders", "id_cart", cart_ids, "[id,id_cart,date_add]").await?;
        Ok(orders
            .into_iter()
            .filter_map(|o| {
                let at = o.date_add.as_deref().and_then(|t| json::local_time(t, tz).ok());
                Some((real_id(o.id_cart.as_ref())?, (o.id.text(), at)))
            })
            .collect())
    }

    async fn cart(&self, id: &ExternalId) -> Result<Option<(Cart0, Related)>, StoreError> {
        let url = self.url(&["carts", id.as_str()], &[]);
        let Some(body) = http::found(self.get(url).await)? else { return Ok(None) };
        let value = json::list(body, "cart").map_err(StoreError::Protocol)?.into_iter().next();
        let Some(value) = value else { return Ok(None) };
        let cart: Cart0 = serde_json::from_value(value)
            .map_err(|e| StoreError::Protocol(format!("unexpected cart: {e}")))?;
        let related = self.related(std::slice::from_ref(&cart)).await?;
        Ok(Some((cart, related)))
    }

    /// Page `offset` of the orders placed since `since`, oldest first, with who placed them.
    async fn orders_since(
        &self,
        since: DateTime<Utc>,
        tz: Tz,
        offset: u32,
    ) -> Result<OrderPage<u32>, StoreError> {
        let params = [
            ("display", "[id,id_customer,id_address_delivery,current_state,date_add]".to_string()),
            ("filter[date_add]", format!("[{},{END}]", json::shop_time(since, tz))),
            ("date", "1".to_string()),
            ("sort", "[date_add_ASC]".to_string()),
            ("limit", format!("{offset},{MAX_PER_PAGE}")),
        ];
        let body = self.get(self.url(&["orders"], &params)).await?;
        let values = json::list(body, "orders").map_err(StoreError::Protocol)?;
        let full = values.len() as u32 >= MAX_PER_PAGE;
        let orders: Vec<Order> = values.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect();
        let address_ids: BTreeSet<String> =
            orders.iter().filter_map(|o| real_id(o.id_address_delivery.as_ref())).collect();
        let customer_ids: BTreeSet<String> =
            orders.iter().filter_map(|o| real_id(o.id_customer.as_ref())).collect();
        let addresses: Vec<Address> = self.by_ids("addresses", "id", &address_ids, "full").await?;
        let customers: Vec<Customer> =
            self.by_ids("customers", "id", &customer_ids, "[id,email,firstname]").await?;
        let country_ids: BTreeSet<String> =
            addresses.iter().filter_map(|a| real_id(a.id_country.as_ref())).collect();
        let countries = self.codes("countries", &self.countries, country_ids).await?;
        let seen = json::seen(orders, addresses, customers, &countries, tz);
        Ok(OrderPage { orders: seen, next: full.then_some(offset + MAX_PER_PAGE) })
    }
}

impl StoreConnector for Prestashop {
    fn platform(&self) -> Platform {
        Platform::Prestashop
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let mut state: State = cursor.decode();
        let tz = self.timezone().await?;
        let now = self.clock.now();
        let limit = self.config.page_size.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE);
        let (from, offset) = state.request(now, tz);
        let params = [
            ("display", "full".to_string()),
            ("filter[date_upd]", format!("[{from},{END}]")),
            ("date", "1".to_string()),
            ("sort", "[date_upd_ASC,id_ASC]".to_string()),
            ("limit", format!("{offset},{limit}")),
        ];
        let body = self.get(self.url(&["carts"], &params)).await?;
        let values = json::list(body, "carts").map_err(StoreError::Protocol)?;
        let count = values.len();
        let mut page = Page::new(count, Duration::ZERO);
        let mut latest: Option<String> = None;
        let mut carts = Vec::with_capacity(count);
        for value in values {
            let id = fields::raw_id(&value, "id");
            match serde_json::from_value::<Cart0>(value) {
                Ok(cart) => {
                    // Only a readable, sane update time moves the watermark.
                    if let Some(upd) = cart.date_upd.as_deref() {
                        if json::local_time(upd, tz).is_ok_and(|t| fields::sane_time(t, now)) {
                            latest = latest.max(Some(upd.trim().to_string()));
                        }
                    }
                    carts.push(cart)
                }
                Err(e) => page.skipped.push(skipped(id.as_deref(), format!("unexpected cart: {e}"))),
            }
        }
        // Carts with products and someone to reach; visitors' carts are not checkouts.
        carts.retain(|c| c.has_products() && real_id(c.id_customer.as_ref()).is_some());
        let ids: BTreeSet<String> = carts.iter().map(|c| c.id.text()).collect();
        let ordered = self.orders_for(&ids, tz).await?;
        let related = self.related(&carts).await?;
        let link = self.cart_page();
        for cart in carts {
            let id = cart.id.text();
            if let Some((_, at)) = ordered.get(&id) {
                match (ExternalId::parse(&id), at.filter(|t| fields::sane_time(*t, now))) {
                    (Ok(external_id), Some(completed_at)) => {
                        page.completed.push(Completed { external_id, completed_at })
                    }
                    _ => page.skipped.push(skipped(Some(&id), "ordered cart without a readable order date")),
                }
                continue;
            }
            page.add(Some(&id), cart.read(&related, tz, &self.config, &link).map(|r| r.cart), now);
        }
        page.more = count >= limit as usize;
        state.advance(latest, page.more, limit, now, tz);
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        let tz = self.timezone().await?;
        match self.cart(id).await? {
            None => Ok(None),
            Some((cart, related)) => cart
                .read(&related, tz, &self.config, &self.cart_page())
                .map(|r| Some(r.cart))
                .map_err(StoreError::Protocol),
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let tz = self.timezone().await?;
        let ids = BTreeSet::from([query.external_id.as_str().to_string()]);
        if let Some((order, at)) = self.orders_for(&ids, tz).await?.remove(query.external_id.as_str()) {
            return Ok(Completion::Completed { at, how: format!("order {order} for the cart") });
        }
        let cart = self.cart(&query.external_id).await?;
        let email = cart.as_ref().and_then(|(c, related)| {
            real_id(c.id_customer.as_ref())
                .and_then(|id| related.customers.get(&id))
                .and_then(|c| c.email.clone())
        });
        let own = OwnRecord {
            bought: None,
            email: email.as_deref(),
            otherwise: if cart.is_some() { Completion::Open } else { Completion::Gone },
        };
        let since = query.since;
        completion::decide(own, query, &self.config.country, 0, |offset| self.orders_since(since, tz, offset))
            .await
    }
}
