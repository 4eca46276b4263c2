//! Jumpseller: REST `{base}/v1/orders/status/abandoned.json`, abandoned carts being orders with
//! status `Abandoned` (../shared/reference/stores.md §6.1).
//!
//! Facts: auth by the store's API login + auth token (HTTP Basic `login:authtoken`, or
//! `?login=&authtoken=` for servers that drop `Authorization`), or an app's OAuth bearer token;
//! `page` + `limit` paging, newest first by id; 240 requests a minute and 8 a second per IP and
//! store, and **403 Forbidden "Rate Limit Exceeded"** past them (not 429). The order carries
//! `recovery_url` ("Recovery Order URL", Jumpseller's OpenAPI `OrderFields`), the link the
//! admin's "recover cart" shows, and `checkout_url` (used when `recovery_url` is blank).
//!
//! Sync: the API documents no "changed since" filter, so each poll reads the abandoned list
//! from the newest order down and stops at the first page that reaches an id already read (the
//! cursor keeps the highest id of the last finished scan). An order changed after it was read
//! (the customer came back) keeps its id, so every [`RESCAN_EVERY`] one scan reads the whole
//! list again; carts are upserted by id, so re-reading never duplicates. Pages are numbered over
//! a list that shrinks as orders are paid: an order moving up across a page boundary during a
//! scan is picked up by the next full scan at the latest.
//!
//! Completion (pre-send check and purchase sweep): the cart's own order moved on (`Paid` or
//! `Pending Payment`: the customer finished the checkout; `Canceled`: gone), else a placed order
//! by the same phone or email created since the checkout ([`super::orders`]): `Paid` or
//! `Pending Payment` (a bank transfer awaiting the money is a purchase), read from
//! `orders/status/paid.json` then `orders/status/pending_payment.json`, each newest first until
//! the orders are older than the checkout (one request more than paid alone, a few a minute at
//! most against 240). A listed order that can't be read is seen from its raw JSON; if none
//! matched and such an order was placed since the checkout, the check fails (logged with its id)
//! instead of answering open: an unreadable order is no proof the customer didn't buy.
//!
//! Unconfirmed against a live store: the page-size maximum (100 is used), whether completing
//! an abandoned cart changes the same order's status or creates a new order (both are caught),
//! the 403 body's exact text, and whether the API sends `Retry-After` (else a minute is waited).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::completion::{self, OwnRecord};
use super::http::{self, Reply, StoreHttp};
use super::orders::OrderPage;
use super::{
    fields, skipped, Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig,
    StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

pub(crate) mod json;

use json::{Order, Wrapped};

/// The API's address when the owner gives none.
pub const API_BASE: &str = "https://api.jumpseller.com";
pub const MAX_PER_PAGE: u32 = 100;
/// 240 requests a minute: one page every quarter second stays inside it (and inside 8 a second).
pub const PACE: Duration = Duration::from_millis(250);
/// A rate-limit 403 names no wait: the minute window has turned by then.
pub const RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// How often the whole abandoned list is read again, for orders changed after they were read.
pub const RESCAN_EVERY: chrono::Duration = chrono::Duration::hours(6);
/// The status lists of orders that were placed, read in turn by the purchase check.
const PLACED: [&str; 2] = ["paid", "pending_payment"];

enum Auth {
    Basic { login: Sensitive<String>, token: Sensitive<String> },
    Query { login: Sensitive<String>, token: Sensitive<String> },
    Bearer(Sensitive<String>),
}

pub struct Jumpseller {
    config: StoreConfig,
    auth: Auth,
    http: StoreHttp,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The highest order id read by a finished scan.
    known_max: Option<u64>,
    /// The highest id of the scan in progress.
    scan_top: Option<u64>,
    /// The page the scan in progress reads next (0: no scan in progress).
    page: u32,
    /// The scan in progress reads the whole list.
    full: bool,
    /// When the next full scan is due.
    rescan_at: Option<DateTime<Utc>>,
}

/// A 403 is Jumpseller's rate-limit answer when its body says so; any other 403 is a refusal
/// of the credentials.
pub(crate) fn rate_limit_or_auth(error: StoreError) -> StoreError {
    match error {
        StoreError::Auth { status: 403, detail } if detail.to_ascii_lowercase().contains("rate limit") => {
            StoreError::RateLimited { retry_after: Some(RATE_LIMIT_WAIT) }
        }
        other => other,
    }
}

impl Jumpseller {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        config.require_https(
            "Jumpseller credentials are only sent over HTTPS: use https://api.jumpseller.com",
        )?;
        let (auth, http) = match credentials {
            Credentials::KeySecret { key, secret } => {
                let http = http.masking(&[&key, &secret]);
                let auth = if config.query_string_auth {
                    Auth::Query { login: key, token: secret }
                } else {
                    Auth::Basic { login: key, token: secret }
                };
                (auth, http)
            }
            Credentials::Token(token) => {
                let http = http.masking(&[&token]);
                (Auth::Bearer(token), http)
            }
            Credentials::ClientCredentials { .. } => {
                return Err(StoreError::Invalid(
                    "Jumpseller needs the store's API login and auth token (store_key, store_secret) or an OAuth token (store_token)".into(),
                ))
            }
        };
        Ok(Jumpseller { config, auth, http, clock })
    }

    fn url(&self, rest: &[&str]) -> Url {
        let mut segments = vec!["v1"];
        segments.extend_from_slice(rest);
        self.config.url(&segments)
    }

    async fn get(&self, mut url: Url) -> Result<Reply, StoreError> {
        let request = match &self.auth {
            Auth::Query { login, token } => {
                url.query_pairs_mut()
                    .append_pair("login", login.expose())
                    .append_pair("authtoken", token.expose());
                self.http.get(url)
            }
            Auth::Basic { login, token } => {
                let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    login.expose(),
                    token.expose()
                ));
                self.http.get(url).header("Authorization", format!("Basic {basic}"))
            }
            Auth::Bearer(token) => {
                self.http.get(url).header("Authorization", format!("Bearer {}", token.expose()))
            }
        };
        self.http.send(request).await.map_err(rate_limit_or_auth)
    }

    fn per_page(&self) -> u32 {
        self.config.page_size.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE)
    }

    fn list_url(&self, status: &str, page: u32, limit: u32) -> Url {
        let mut url = self.url(&["orders", "status", &format!("{status}.json")]);
        url.query_pairs_mut().append_pair("page", &page.to_string()).append_pair("limit", &limit.to_string());
        url
    }

    async fn order(&self, id: &ExternalId) -> Result<Option<Order>, StoreError> {
        let url = self.url(&["orders", &format!("{}.json", id.as_str())]);
        match http::found(self.get(url).await)? {
            Some(reply) => Ok(Some(http::json::<Wrapped>(&reply.body)?.order)),
            None => Ok(None),
        }
    }

    /// Page `page` of the placed orders of list `PLACED[list]`, newest first; the next page
    /// only while this one still reaches back to `since`, then the next list. The ids of orders
    /// since `since` that can't be read go to `unreadable`.
    async fn placed_orders_page(
        &self,
        since: DateTime<Utc>,
        (list, page): (usize, u32),
        unreadable: &Mutex<Vec<String>>,
    ) -> Result<OrderPage<(usize, u32)>, StoreError> {
        let reply = self.get(self.list_url(PLACED[list], page, MAX_PER_PAGE)).await?;
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let full = values.len() as u32 >= MAX_PER_PAGE;
        let mut orders = Vec::with_capacity(values.len());
        let mut oldest: Option<DateTime<Utc>> = None;
        for value in &values {
            let (seen, created) = match Wrapped::deserialize(value) {
                Ok(Wrapped { order }) => {
                    let created = order.created();
                    // Listed as placed: a blank status doesn't make it anything else.
                    let blank = order.status.trim().is_empty();
                    let mut seen = order.seen();
                    seen.counts |= blank;
                    (seen, created)
                }
                Err(e) => {
                    let seen = json::seen_leniently(value);
                    let created = json::created_leniently(value);
                    let id = if seen.id.is_empty() { "(no id)".to_string() } else { seen.id.clone() };
                    tracing::warn!(order = %id, reason = %e, "Jumpseller placed order unreadable");
                    if created.is_none_or(|c| c >= since) {
                        unreadable.lock().unwrap_or_else(PoisonError::into_inner).push(id);
                    }
                    (seen, created)
                }
            };
            if let Some(c) = created {
                oldest = Some(oldest.map_or(c, |o| o.min(c)));
            }
            orders.push(seen);
        }
        let reaches_back = oldest.is_none_or(|oldest| oldest >= since);
        let next = if full && reaches_back {
            Some((list, page + 1))
        } else {
            (list + 1 < PLACED.len()).then_some((list + 1, 1))
        };
        Ok(OrderPage { orders, next })
    }
}

impl StoreConnector for Jumpseller {
    fn platform(&self) -> Platform {
        Platform::Jumpseller
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let mut state: State = cursor.decode();
        let now = self.clock.now();
        if state.page == 0 {
            state.page = 1;
            state.scan_top = None;
            state.full = state.known_max.is_none() || state.rescan_at.is_none_or(|t| now >= t);
        }
        let limit = self.per_page();
        let reply = self.get(self.list_url("abandoned", state.page, limit)).await?;
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let mut page = Page::new(values.len(), PACE);
        let mut lowest: Option<u64> = None;
        let count = values.len();
        for value in values {
            let id = value.get("order").and_then(|o| fields::raw_id(o, "id"));
            let number = id.as_deref().and_then(|i| i.parse::<u64>().ok());
            if let Some(n) = number {
                lowest = Some(lowest.map_or(n, |l| l.min(n)));
                state.scan_top = state.scan_top.max(Some(n));
            }
            let read = serde_json::from_value::<Wrapped>(value)
                .map_err(|e| format!("unexpected order: {e}"))
                .and_then(|w| w.order.read(&self.config))
                .map(|r| r.cart);
            if number.is_none() && read.is_ok() {
                page.skipped.push(skipped(id.as_deref(), "order id is not a number"));
                continue;
            }
            page.add(id.as_deref(), read, now);
        }
        let reached_known = !state.full && lowest.is_some_and(|l| Some(l) <= state.known_max);
        if count < limit as usize || reached_known {
            state.known_max = state.known_max.max(state.scan_top);
            if state.full {
                state.rescan_at = Some(now + RESCAN_EVERY);
            }
            state.page = 0;
            state.scan_top = None;
            state.full = false;
        } else {
            state.page += 1;
            page.more = true;
        }
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        match self.order(id).await? {
            None => Ok(None),
            Some(order) => order.read(&self.config).map(|r| Some(r.cart)).map_err(StoreError::Protocol),
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let order = self.order(&query.external_id).await?;
        let (bought, otherwise) = match &order {
            None => (None, Completion::Gone),
            Some(o) if json::is_canceled(&o.status) => (None, Completion::Gone),
            Some(o) if json::is_abandoned(&o.status) || o.status.trim().is_empty() => {
                (None, Completion::Open)
            }
            // Paid, or Pending Payment: the customer finished this checkout.
            Some(o) => {
                let at = json::time(o.completed_at_text()).ok().flatten();
                (
                    Some(Completion::Completed { at, how: format!("order is {}", o.status.trim()) }),
                    Completion::Open,
                )
            }
        };
        let own = OwnRecord { bought, email: order.as_ref().and_then(Order::email), otherwise };
        let since = query.since;
        let unreadable = Mutex::new(Vec::new());
        let answer = completion::decide(own, query, &self.config.country, (0, 1), |at| {
            self.placed_orders_page(since, at, &unreadable)
        })
        .await?;
        let unreadable = unreadable.into_inner().unwrap_or_else(PoisonError::into_inner);
        if answer == Completion::Open && !unreadable.is_empty() {
            // No message on a guess: the unreadable order may be this customer's.
            return Err(StoreError::Protocol(format!(
                "order {} placed since the checkout could not be read; could not rule out a purchase",
                unreadable.join(", ")
            )));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_403_is_told_from_a_credentials_403() {
        let limited =
            StoreError::Auth { status: 403, detail: "{\"message\":\"Rate Limit Exceeded\"}".into() };
        assert_eq!(
            rate_limit_or_auth(limited),
            StoreError::RateLimited { retry_after: Some(RATE_LIMIT_WAIT) }
        );
        let refused = StoreError::Auth { status: 403, detail: "{\"message\":\"Forbidden\"}".into() };
        assert_eq!(rate_limit_or_auth(refused.clone()), refused);
        let unauthorized = StoreError::Auth { status: 401, detail: "rate limit".into() };
        assert_eq!(rate_limit_or_auth(unauthorized.clone()), unauthorized, "only a 403 is the rate limit");
    }

    #[test]
    fn credentials_fit_the_platform() {
        let config = StoreConfig::new(Platform::Jumpseller, "http://127.0.0.1:9", "CL").unwrap();
        let http = StoreHttp::new(&config).unwrap();
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        let s = |v: &str| Sensitive::new(v.to_string());
        let cc = Credentials::ClientCredentials { client_id: s("a"), client_secret: s("b") };
        assert!(Jumpseller::new(config.clone(), cc, http.clone(), clock.clone()).is_err());
        assert!(Jumpseller::new(config.clone(), Credentials::Token(s("oauth")), http.clone(), clock.clone())
            .is_ok());
        let plain = StoreConfig::new(Platform::Jumpseller, "http://api.jumpseller.com", "CL").unwrap();
        let keys = Credentials::KeySecret { key: s("login"), secret: s("token") };
        assert!(Jumpseller::new(plain, keys, http, clock).is_err(), "HTTPS only away from loopback");
    }
}
