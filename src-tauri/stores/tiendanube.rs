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

use super::completion::{self, OwnRecord, ReadCheckout};
use super::fields;
use super::http::{self, Reply, StoreHttp};
use super::orders::OrderPage;
use super::{
    Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig, StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

mod coupons;
pub(crate) mod json;

use json::{Checkout, Order};

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
pub(crate) struct State {
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
        config.require_https("Tiendanube's API is HTTPS only")?;
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
        Checkout::read(value, &self.config).map(|read| read.cart)
    }

    /// The checkout re-read by id with its contact email; None when the store no longer has it.
    async fn checkout(&self, id: &ExternalId) -> Result<Option<ReadCheckout>, StoreError> {
        match http::found(self.get(self.url(&["checkouts", id.as_str()])).await)? {
            Some(reply) => {
                let value: serde_json::Value = http::json(&reply.body)?;
                Checkout::read(value, &self.config).map(Some).map_err(StoreError::Protocol)
            }
            None => Ok(None),
        }
    }

    /// One page of the orders since the checkout (the API answers 404 for an empty list).
    async fn order_page(&self, url: Url) -> Result<OrderPage<Url>, StoreError> {
        let (values, link): (Vec<serde_json::Value>, _) = match http::found(self.get(url).await)? {
            Some(reply) => (http::json(&reply.body)?, http::next_link(&reply.headers)),
            None => (Vec::new(), None),
        };
        let orders = values
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Order>(value).ok())
            .map(Order::seen)
            .collect();
        Ok(OrderPage { orders, next: link.and_then(|l| Url::parse(&l).ok()) })
    }

    async fn order(&self, id: &ExternalId) -> Result<Option<Order>, StoreError> {
        match http::found(self.get(self.url(&["orders", id.as_str()])).await)? {
            Some(reply) => Ok(Some(http::json(&reply.body)?)),
            None => Ok(None),
        }
    }
}

/// Whether a 404 on the list is the API saying nothing matches: the documented "Error finding
/// result with the parameters entered" (stores.md §3.2), or "Last page is N" past the end.
/// Any other 404 (a wrong store id or version) stays an error the owner sees.
pub(crate) fn nothing_matches(detail: &str) -> bool {
    const EMPTY: [&str; 2] = ["Error finding result with the parameters entered", "Last page is"];
    EMPTY.iter().any(|text| detail.contains(text))
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
            // "Nothing matches" is a 404 on this API: an empty page, the caught-up steady state.
            Err(StoreError::Rejected { status: 404, detail }) if nothing_matches(&detail) => {
                (Vec::new(), None, Duration::ZERO)
            }
            Err(e) => return Err(e),
        };
        let mut page = Page::new(values.len(), wait);
        let now = self.clock.now();
        for value in values {
            let id = fields::raw_id(&value, "id");
            if let Some(n) = id.as_deref().and_then(|i| i.parse::<u64>().ok()) {
                state.since_id = state.since_id.max(Some(n));
            }
            let updated = page.add(id.as_deref(), self.parse(value), now);
            state.pass_max_updated = state.pass_max_updated.max(updated);
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
        Ok(self.checkout(id).await?.map(|read| read.cart))
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let checkout = self.checkout(&query.external_id).await?;
        let mut own = OwnRecord::of_checkout(checkout.as_ref());
        if own.bought.is_none() {
            own.bought = self.order(&query.external_id).await?.filter(Order::is_live).map(|order| {
                Completion::Completed { at: order.time(), how: "order with the same id".into() }
            });
        }
        let mut url = self.url(&["orders"]);
        url.query_pairs_mut()
            .append_pair("created_at_min", &query.since.to_rfc3339())
            .append_pair("per_page", &MAX_PER_PAGE.to_string());
        completion::decide(own, query, &self.config.country, url, |url| self.order_page(url)).await
    }
}
