//! Tiendanube / Nuvemshop: `GET {base}/{version}/{store_id}/checkouts`.
//!
//! Facts (../shared/reference/stores.md §3): header `Authentication: bearer <token>` (sic) and a
//! User-Agent naming the app and a contact, else 400; a bare JSON array; `per_page` ≤ 200 with
//! `Link` paging; a leaky bucket of 40 leaking 2/s with `X-Rate-Limit-*` headers and 429. A
//! checkout can be created up to 6 hours after the customer left, so new ids keep arriving for
//! old abandonments: that is normal.
//!
//! Sync, in two passes per poll, each paged and resumable from the saved cursor:
//! 1. new checkouts: `since_id=<highest id read>`, moved forward after every page (always page
//!    1), so a checkout leaving the list mid-pass can't shift another one out of sight;
//! 2. changed checkouts: `updated_at_min=<watermark − 10 min>` following the `Link` pages, so a
//!    checkout updated or completed after we first read it is read again. The watermark only
//!    moves when this pass ends, to the latest update read but never past the moment the poll
//!    started (an update made while we page is read next time). `updated_at_min` is used by
//!    third-party integrations but missing from the official parameter table (UNCONFIRMED);
//!    the pre-send check re-reads each checkout by id anyway, so nothing depends on it alone.
//!
//! Completion: `completed_at` on the checkout; else an order with the same id (checkouts and
//! orders appear to share ids: UNCONFIRMED, strong hint in the docs); else an order created
//! since the checkout (`/orders?created_at_min=`, `Link` pages) by the same customer: its
//! `contact_phone` is the same number or its `contact_email` the checkout's ([`super::orders`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::fields::{self, Parts, Scalar};
use super::http::{self, Reply, StoreHttp};
use super::orders::{self, Buyer, OrderPage, OrderSeen};
use super::{
    first_present, skipped, Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig,
    StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId, LineItem};
use crate::secrets::Sensitive;

pub const MAX_PER_PAGE: u32 = 200;
/// How far back the "changed" pass looks before the latest update it saw.
const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);

pub struct Tiendanube {
    config: StoreConfig,
    store_id: String,
    token: Sensitive<String>,
    http: StoreHttp,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Pass {
    #[default]
    New,
    Changed,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Highest checkout id read so far.
    since_id: Option<u64>,
    /// Watermark of the "changed" pass: updates up to here have been read.
    updated_min: Option<DateTime<Utc>>,
    pass: Pass,
    /// The `Link rel=next` of the "changed" pass in progress.
    next: Option<String>,
    /// Latest `updated_at` read since the watermark last moved.
    pass_max_updated: Option<DateTime<Utc>>,
    /// When the poll in progress started (our clock).
    poll_started: Option<DateTime<Utc>>,
}

/// A checkout as the API sends it. Every documented field is accepted; these are the ones read.
#[derive(Debug, Deserialize)]
struct Checkout {
    id: Scalar,
    abandoned_checkout_url: Option<String>,
    contact_email: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    shipping_name: Option<String>,
    shipping_phone: Option<String>,
    shipping_country: Option<String>,
    billing_name: Option<String>,
    billing_phone: Option<String>,
    billing_country: Option<String>,
    total: Scalar,
    currency: String,
    language: Option<String>,
    created_at: String,
    updated_at: Option<String>,
    completed_at: Option<String>,
    #[serde(default)]
    products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
struct Product {
    name: Option<String>,
    price: Scalar,
    quantity: Scalar,
    #[serde(default)]
    variant_values: Option<Vec<Scalar>>,
    image: Option<Image>,
}

#[derive(Debug, Deserialize)]
struct Image {
    src: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Order {
    id: Scalar,
    status: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    paid_at: Option<String>,
    created_at: Option<String>,
}

impl Tiendanube {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let store_id = config
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| {
                StoreError::Invalid("Tiendanube needs the store id (a number, --store-id)".into())
            })?
            .to_string();
        let Credentials::Token(token) = credentials else {
            return Err(StoreError::Invalid("Tiendanube needs an access token (store_token)".into()));
        };
        if !super::is_loopback(&config.base_url) && config.base_url.scheme() != "https" {
            return Err(StoreError::Invalid("Tiendanube's API is HTTPS only".into()));
        }
        let http = http.masking(&[&token]);
        Ok(Tiendanube { config, store_id, token, http, clock })
    }

    fn version(&self) -> &str {
        self.config.api_version.as_deref().unwrap_or("v1")
    }

    fn url(&self, rest: &[&str]) -> Url {
        let mut segments = vec![self.version(), self.store_id.as_str()];
        segments.extend_from_slice(rest);
        self.config.url(&segments)
    }

    fn per_page(&self) -> String {
        self.config.page_size.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE).to_string()
    }

    async fn get(&self, url: Url) -> Result<Reply, StoreError> {
        // The `Link` URLs are the API's own; still, never send the token off the store's host.
        let base = &self.config.base_url;
        if url.scheme() != base.scheme() || url.host_str() != base.host_str() || url.port() != base.port() {
            return Err(StoreError::Protocol("a paging link pointed to another host".into()));
        }
        let request = self.http.get(url).header("Authentication", format!("bearer {}", self.token.expose()));
        self.http.send(request).await
    }

    fn first_url(&self, state: &State) -> Url {
        let mut url = self.url(&["checkouts"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("per_page", &self.per_page());
            match state.pass {
                Pass::New => {
                    if let Some(id) = state.since_id {
                        q.append_pair("since_id", &id.to_string());
                    }
                }
                Pass::Changed => {
                    if let Some(t) = state.updated_min {
                        q.append_pair("updated_at_min", &(t - OVERLAP).to_rfc3339());
                    }
                }
            }
        }
        url
    }

    fn parse(&self, value: serde_json::Value) -> Result<Cart, String> {
        self.read(value).map(|(cart, _)| cart)
    }

    /// The cart, and the contact email the checkout carries (kept only to match orders).
    fn read(&self, value: serde_json::Value) -> Result<(Cart, Option<String>), String> {
        let c: Checkout = serde_json::from_value(value).map_err(|e| format!("unexpected checkout: {e}"))?;
        let id = c.id.text();
        let currency = c.currency.trim();
        let items = c
            .products
            .iter()
            .map(|p| {
                let quantity = p
                    .quantity
                    .count()
                    .ok_or_else(|| format!("quantity {:?} is not a count", p.quantity.text()))?;
                let price = fields::money(&p.price, currency)?;
                let variants: Vec<String> =
                    p.variant_values.iter().flatten().map(Scalar::text).filter(|v| !v.is_empty()).collect();
                let variant = (!variants.is_empty()).then(|| variants.join(" / "));
                // The API names a variant "Remera (Negro)": keep the plain name beside the variant.
                let name = p.name.as_deref().unwrap_or_default();
                let name = match &variant {
                    Some(v) => name.strip_suffix(&format!(" ({v})")).unwrap_or(name),
                    None => name,
                };
                let image = p.image.as_ref().and_then(|i| i.src.as_deref());
                LineItem::new(name, variant.as_deref(), quantity, price, image).map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, String>>()?;
        let country = c
            .shipping_country
            .as_deref()
            .or(c.billing_country.as_deref())
            .map(str::trim)
            .filter(|c| c.len() == 2)
            .unwrap_or(&self.config.country);
        let created_at = fields::parse_time(&c.created_at)?;
        fields::cart(Parts {
            store: self.config.id,
            id: &id,
            name: first_present([
                c.contact_name.as_deref(),
                c.shipping_name.as_deref(),
                c.billing_name.as_deref(),
            ]),
            language: c.language.as_deref(),
            consent: None,
            phone: first_present([
                c.contact_phone.as_deref(),
                c.shipping_phone.as_deref(),
                c.billing_phone.as_deref(),
            ]),
            country,
            items,
            total: fields::money(&c.total, currency)?,
            link: c.abandoned_checkout_url.as_deref().unwrap_or_default(),
            created_at,
            updated_at: fields::optional_time(c.updated_at.as_deref())?.unwrap_or(created_at),
            completed_at: fields::optional_time(c.completed_at.as_deref())?,
        })
        .map(|cart| (cart, c.contact_email))
    }

    /// The checkout re-read by id with its contact email; None when the store no longer has it.
    async fn checkout(&self, id: &ExternalId) -> Result<Option<(Cart, Option<String>)>, StoreError> {
        match self.get(self.url(&["checkouts", id.as_str()])).await {
            Ok(reply) => {
                let value: serde_json::Value = http::json(&reply.body)?;
                self.read(value).map(Some).map_err(StoreError::Protocol)
            }
            Err(StoreError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of the orders since the checkout (the API answers 404 for an empty list).
    async fn order_page(&self, url: Url) -> Result<OrderPage<Url>, StoreError> {
        let (values, link): (Vec<serde_json::Value>, _) = match self.get(url).await {
            Ok(reply) => (http::json(&reply.body)?, http::next_link(&reply.headers)),
            Err(StoreError::Rejected { status: 404, .. }) => (Vec::new(), None),
            Err(e) => return Err(e),
        };
        let orders = values
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Order>(value).ok())
            .map(|order| OrderSeen {
                id: order.id.text(),
                counts: order_is_live(&order),
                at: order_time(&order),
                phones: order.contact_phone.into_iter().collect(),
                email: order.contact_email,
                country: None,
            })
            .collect();
        Ok(OrderPage { orders, next: link.and_then(|l| Url::parse(&l).ok()) })
    }

    async fn order(&self, id: &ExternalId) -> Result<Option<Order>, StoreError> {
        match self.get(self.url(&["orders", id.as_str()])).await {
            Ok(reply) => Ok(Some(http::json(&reply.body)?)),
            Err(StoreError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// How long to wait before the next request, from the bucket headers: nothing while there is
/// room, half a second per request once it's nearly full, the reset time when it is full.
fn pace(reply: &Reply) -> Duration {
    let remaining = reply.header("x-rate-limit-remaining").and_then(|v| v.trim().parse::<u32>().ok());
    match remaining {
        Some(0) => {
            http::retry_after(&reply.headers).unwrap_or(Duration::from_secs(1)).min(Duration::from_secs(30))
        }
        Some(r) if r < 4 => Duration::from_millis(500),
        _ => Duration::ZERO,
    }
}

fn order_is_live(order: &Order) -> bool {
    !matches!(order.status.as_deref(), Some("cancelled"))
}

fn order_time(order: &Order) -> Option<DateTime<Utc>> {
    fields::optional_time(order.paid_at.as_deref().or(order.created_at.as_deref())).ok().flatten()
}

impl StoreConnector for Tiendanube {
    fn platform(&self) -> Platform {
        Platform::Tiendanube
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let mut state: State = cursor.decode();
        let started = *state.poll_started.get_or_insert_with(|| self.clock.now());
        let url = match (&state.pass, &state.next) {
            (Pass::Changed, Some(next)) => {
                Url::parse(next).map_err(|e| StoreError::Protocol(format!("bad paging link: {e}")))?
            }
            _ => self.first_url(&state),
        };
        let (values, next, wait): (Vec<serde_json::Value>, _, _) = match self.get(url).await {
            Ok(reply) => (http::json(&reply.body)?, http::next_link(&reply.headers), pace(&reply)),
            // The API answers 404 "Last page is 0" when nothing matches: an empty page.
            Err(StoreError::Rejected { status: 404, detail }) if detail.contains("Last page is") => {
                (Vec::new(), None, Duration::ZERO)
            }
            Err(e) => return Err(e),
        };
        let mut page = Page {
            carts: Vec::with_capacity(values.len()),
            completed: Vec::new(),
            skipped: Vec::new(),
            next: Cursor::start(),
            more: false,
            pace: wait,
        };
        for value in values {
            let id = fields::raw_id(&value, "id");
            if let Some(n) = id.as_deref().and_then(|i| i.parse::<u64>().ok()) {
                state.since_id = state.since_id.max(Some(n));
            }
            match self.parse(value) {
                Ok(cart) => {
                    state.pass_max_updated = state.pass_max_updated.max(Some(cart.updated_at()));
                    page.carts.push(cart);
                }
                Err(reason) => page.skipped.push(skipped(id.as_deref(), reason)),
            }
        }
        if next.is_some() {
            // New pass: the next request starts after the highest id read (page 1 again).
            state.next = if state.pass == Pass::Changed { next } else { None };
            page.more = true;
        } else {
            state.next = None;
            let first_sync = state.updated_min.is_none();
            // Never past the poll's start: what changed while we paged is read next time.
            let watermark = state.pass_max_updated.map(|t| t.min(started));
            match state.pass {
                Pass::New if first_sync => {
                    // The first "new" pass read everything there is.
                    state.updated_min = watermark.or(Some(started));
                    state.pass_max_updated = None;
                    state.poll_started = None;
                }
                Pass::New => {
                    state.pass = Pass::Changed;
                    page.more = true;
                }
                Pass::Changed => {
                    state.updated_min = state.updated_min.max(watermark);
                    state.pass_max_updated = None;
                    state.poll_started = None;
                    state.pass = Pass::New;
                }
            }
        }
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        Ok(self.checkout(id).await?.map(|(cart, _)| cart))
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let checkout = self.checkout(&query.external_id).await?;
        if let Some(at) = checkout.as_ref().and_then(|(cart, _)| cart.completed_at()) {
            return Ok(Completion::Completed { at: Some(at), how: "checkout completed".into() });
        }
        if let Some(order) = self.order(&query.external_id).await? {
            if order_is_live(&order) {
                return Ok(Completion::Completed {
                    at: order_time(&order),
                    how: "order with the same id".into(),
                });
            }
        }
        let email = checkout.as_ref().and_then(|(_, email)| email.as_deref());
        if let Some(buyer) = Buyer::new(query.phone_e164.as_deref(), email) {
            let mut url = self.url(&["orders"]);
            url.query_pairs_mut()
                .append_pair("created_at_min", &query.since.to_rfc3339())
                .append_pair("per_page", &MAX_PER_PAGE.to_string());
            let found =
                orders::find_purchase(&buyer, &self.config.country, url, |url| self.order_page(url)).await?;
            if let Some(done) = found {
                return Ok(done);
            }
        }
        Ok(if checkout.is_some() { Completion::Open } else { Completion::Gone })
    }
}
