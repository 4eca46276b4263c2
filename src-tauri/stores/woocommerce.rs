//! WooCommerce: REST v3 `{base}/wp-json/wc/v3/orders`, the abandoned statuses asked for explicitly.
//!
//! Facts (../shared/reference/stores.md §4): `checkout-draft` (block checkout; not in the default
//! `any` list since 2026-03), `pending` (left at the gateway), `failed` (payment failed);
//! `modified_after` with `dates_are_gmt=true`; `per_page` ≤ 100 with `X-WP-TotalPages`; consumer
//! key + secret by HTTP Basic over HTTPS, or in the query string for servers that drop the
//! `Authorization` header; `payment_url` is the recovery link. A paid order keeps its id and moves
//! to `processing`/`on-hold`/`completed`, so each poll has two passes: the abandoned statuses
//! (new and changed carts) and the paid statuses changed since the last poll (completions).
//!
//! Paging is by modification time (`orderby=modified&order=asc`), moving `modified_after` to the
//! last page's latest change (minus a second) instead of counting pages: orders keep leaving the
//! abandoned statuses (paid, cancelled after the hold-stock time, drafts deleted daily), and page
//! numbers over a shrinking list would skip whatever moves up across a page boundary. An order
//! changed while we page moves to the end of the order and is read in this pass or the next.
//! Each pass keeps its own watermark.
//!
//! Completion: the cart's own order paid (`processing`/`on-hold`/`completed`); else another
//! order by the same customer created since ([`super::orders`]): the paid statuses with
//! `after=<checkout created>&dates_are_gmt=true`, oldest first, 100 a page, matched here on
//! `billing.phone`/`shipping.phone` (free text, read in the address's country) or on
//! `billing.email` against the cart order's. (`search=` can't find a number typed another way.)
//! A cancelled cart order whose customer bought through a new one is a purchase, not gone.
//!
//! Known limits: no core rate limit (hosts may add one: 429 and 5xx are handled like elsewhere);
//! a pending order is cancelled by WooCommerce after the "hold stock" minutes (default 60), and
//! its link stops working — `completion` reports it as gone.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::completion::{self, OwnRecord};
use super::fields;
use super::http::{self, Reply, StoreHttp};
use super::orders::OrderPage;
use super::{
    skipped, Completed, Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig,
    StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::time::optional_time;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

mod coupons;
pub(crate) mod json;

use json::{is_paid, Order, OtherOrder};

pub const MAX_PER_PAGE: u32 = 100;
pub const ABANDONED: &str = "checkout-draft,pending,failed";
pub const PAID: &str = "processing,on-hold,completed";
const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);
/// How far back a watermark that is not sane (saved before far-future orders were refused) is
/// set: orders are upserted by id, so reading a week again costs a few pages and loses nothing.
const REREAD_AFTER_INSANE: chrono::Duration = chrono::Duration::days(7);

pub struct WooCommerce {
    config: StoreConfig,
    key: Sensitive<String>,
    secret: Sensitive<String>,
    http: StoreHttp,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Pass {
    #[default]
    Abandoned,
    Paid,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Watermarks: orders changed up to here have been read, per pass.
    abandoned_after: Option<DateTime<Utc>>,
    paid_after: Option<DateTime<Utc>>,
    pass: Pass,
    /// The `modified_after` of the pass in progress (None: the pass hasn't started).
    query_after: Option<DateTime<Utc>>,
    in_pass: bool,
    /// Page number within one `query_after`, only past 1 when a whole page shares one second.
    page: Option<u32>,
}

impl State {
    /// A watermark past the sane range (an order "modified in 2099" moved it, before such orders
    /// were refused) would hide every later order for ever: it goes back to a week before now.
    fn repair_watermarks(&mut self, now: DateTime<Utc>) {
        for (pass, mark) in [("abandoned", &mut self.abandoned_after), ("paid", &mut self.paid_after)] {
            if let Some(t) = *mark {
                if !fields::sane_time(t, now) {
                    tracing::warn!(pass, watermark = %t, "WooCommerce watermark outside the sane range; reading the last week again");
                    *mark = Some(now - REREAD_AFTER_INSANE);
                }
            }
        }
        if self.query_after.is_some_and(|t| !fields::sane_time(t, now)) {
            self.in_pass = false;
            self.page = None;
            self.query_after = None;
        }
    }
}

impl WooCommerce {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let Credentials::KeySecret { key, secret } = credentials else {
            return Err(StoreError::Invalid(
                "WooCommerce needs a consumer key and secret (store_key, store_secret)".into(),
            ));
        };
        config.require_https("WooCommerce keys are only sent over HTTPS: use the site's https:// address")?;
        let http = http.masking(&[&key, &secret]);
        Ok(WooCommerce { config, key, secret, http, clock })
    }

    fn url(&self, rest: &[&str]) -> Url {
        let mut segments = vec!["wp-json", "wc", "v3"];
        segments.extend_from_slice(rest);
        self.config.url(&segments)
    }

    async fn get(&self, mut url: Url) -> Result<Reply, StoreError> {
        let request = if self.config.query_string_auth {
            url.query_pairs_mut()
                .append_pair("consumer_key", self.key.expose())
                .append_pair("consumer_secret", self.secret.expose());
            self.http.get(url)
        } else {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                self.key.expose(),
                self.secret.expose()
            ));
            self.http.get(url).header("Authorization", format!("Basic {basic}"))
        };
        self.http.send(request).await
    }

    fn list_url(&self, pass: Pass, after: Option<DateTime<Utc>>, page: u32) -> Url {
        let mut url = self.url(&["orders"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("status", if pass == Pass::Paid { PAID } else { ABANDONED })
                .append_pair("per_page", &self.per_page().to_string())
                .append_pair("page", &page.to_string())
                .append_pair("orderby", "modified")
                .append_pair("order", "asc");
            if let Some(t) = after {
                q.append_pair("modified_after", &t.format("%Y-%m-%dT%H:%M:%S").to_string())
                    .append_pair("dates_are_gmt", "true");
            }
        }
        url
    }

    fn per_page(&self) -> u32 {
        self.config.page_size.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE)
    }

    fn parse(&self, order: Order) -> Result<Cart, String> {
        order.read(&self.config)
    }

    /// Page `page` of the paid orders created since `since`, oldest first.
    async fn paid_orders_page(&self, since: DateTime<Utc>, page: u32) -> Result<OrderPage<u32>, StoreError> {
        let mut url = self.url(&["orders"]);
        url.query_pairs_mut()
            .append_pair("status", PAID)
            .append_pair("after", &since.format("%Y-%m-%dT%H:%M:%S").to_string())
            .append_pair("dates_are_gmt", "true")
            .append_pair("orderby", "date")
            .append_pair("order", "asc")
            .append_pair("per_page", &MAX_PER_PAGE.to_string())
            .append_pair("page", &page.to_string());
        let reply = self.get(url).await?;
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let total_pages = reply.header("x-wp-totalpages").and_then(|v| v.trim().parse::<u32>().ok());
        let more = match total_pages {
            Some(pages) => pages > page,
            None => values.len() as u32 >= MAX_PER_PAGE,
        };
        let orders = values
            .into_iter()
            .filter_map(|value| serde_json::from_value::<OtherOrder>(value).ok())
            .map(OtherOrder::seen)
            .collect();
        Ok(OrderPage { orders, next: more.then_some(page + 1) })
    }

    async fn order(&self, id: &ExternalId) -> Result<Option<Order>, StoreError> {
        match http::found(self.get(self.url(&["orders", id.as_str()])).await)? {
            Some(reply) => Ok(Some(http::json(&reply.body)?)),
            None => Ok(None),
        }
    }
}

impl StoreConnector for WooCommerce {
    fn platform(&self) -> Platform {
        Platform::Woocommerce
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let mut state: State = cursor.decode();
        state.repair_watermarks(self.clock.now());
        if !state.in_pass {
            let watermark = if state.pass == Pass::Paid { state.paid_after } else { state.abandoned_after };
            state.query_after = watermark.map(|t| t - OVERLAP);
            state.in_pass = true;
            state.page = None;
        }
        let number = state.page.unwrap_or(1).max(1);
        let reply = self.get(self.list_url(state.pass, state.query_after, number)).await?;
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let total_pages =
            reply.header("x-wp-totalpages").and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(1);
        // More is waiting when the API says so (X-WP-TotalPages) or the page came back full; an
        // empty page ends the pass whatever X-WP-TotalPages says (sites keep it above the page
        // number when a plugin filters a page's orders out), so a pass never pages through nothing.
        let full = !values.is_empty() && (total_pages > number || values.len() as u32 >= self.per_page());
        let mut page = Page::new(values.len(), Duration::ZERO);
        let mut page_max: Option<DateTime<Utc>> = None;
        let now = self.clock.now();
        for value in values {
            let id = fields::raw_id(&value, "id");
            let order = match serde_json::from_value::<Order>(value) {
                Ok(order) => order,
                Err(e) => {
                    page.skipped.push(skipped(id.as_deref(), format!("unexpected order: {e}")));
                    continue;
                }
            };
            // Only a sane time moves the watermark: an order dated 2099 would hide every later one.
            if let Ok(Some(modified)) = optional_time(order.date_modified_gmt.as_deref()) {
                if !fields::sane_time(modified, now) {
                    let reason = format!("modified time {modified} is outside the sane range");
                    tracing::warn!(checkout = id.as_deref().unwrap_or("?"), %reason, "order refused: its time is not sane");
                    page.skipped.push(skipped(id.as_deref(), reason));
                    continue;
                }
                page_max = page_max.max(Some(modified));
            }
            if state.pass == Pass::Paid {
                let paid = optional_time(order.date_paid_gmt.as_deref()).ok().flatten().or(optional_time(
                    order.date_modified_gmt.as_deref(),
                )
                .ok()
                .flatten());
                match (ExternalId::parse(&order.id.text()), paid.filter(|t| fields::sane_time(*t, now))) {
                    (Ok(external_id), Some(completed_at)) => {
                        page.completed.push(Completed { external_id, completed_at })
                    }
                    _ => page.skipped.push(skipped(id.as_deref(), "paid order without an id or a date")),
                }
                continue;
            }
            page.add(id.as_deref(), self.parse(order), now);
        }
        if full {
            // Continue after the latest change on this page (minus a second: the API compares
            // whole seconds, strictly). A page that all shares one second goes by page number.
            let next_after = page_max.map(|t| t - chrono::Duration::seconds(1));
            if next_after.is_some() && next_after > state.query_after {
                state.query_after = next_after;
                state.page = None;
            } else {
                state.page = Some(number + 1);
            }
            page.more = true;
        } else {
            // The pass is over: its watermark is the latest change read.
            let reached = state.query_after.max(page_max.map(|t| t - chrono::Duration::seconds(1)));
            state.in_pass = false;
            state.page = None;
            state.query_after = None;
            match state.pass {
                Pass::Abandoned => {
                    let first_sync = state.abandoned_after.is_none();
                    state.abandoned_after = state.abandoned_after.max(reached).or(Some(self.clock.now()));
                    if first_sync {
                        // Orders paid before we ever looked don't matter.
                        state.paid_after = Some(self.clock.now());
                    } else {
                        state.pass = Pass::Paid;
                        page.more = true;
                    }
                }
                Pass::Paid => {
                    state.paid_after = state.paid_after.max(reached);
                    state.pass = Pass::Abandoned;
                }
            }
        }
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        match self.order(id).await? {
            None => Ok(None),
            Some(order) => self.parse(order).map(Some).map_err(StoreError::Protocol),
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let order = self.order(&query.external_id).await?;
        let (bought, otherwise) = match &order {
            None => (None, Completion::Gone),
            Some(order) if is_paid(&order.status) => {
                let at = optional_time(order.date_paid_gmt.as_deref()).ok().flatten();
                (
                    Some(Completion::Completed { at, how: format!("order is {}", order.status) }),
                    Completion::Open,
                )
            }
            // Cancelled after the hold-stock time, refunded or trashed: the link no longer works.
            Some(order) if matches!(order.status.as_str(), "cancelled" | "refunded" | "trash") => {
                (None, Completion::Gone)
            }
            Some(_) => (None, Completion::Open),
        };
        let own =
            OwnRecord { bought, email: order.as_ref().and_then(|o| o.billing.email.as_deref()), otherwise };
        let since = query.since;
        completion::decide(own, query, &self.config.country, 1, |page| self.paid_orders_page(since, page))
            .await
    }
}
