//! VTEX: there is no abandoned-cart list, so the connector polls the Master Data v1 customer
//! entity `CL` for customers whose last session left a cart (`rclastcart`), the fields VTEX's own
//! abandoned-cart trigger reads.
//!
//! Facts (../shared/reference/stores.md §5): `GET {base}/api/dataentities/CL/search` with
//! `_fields`, `_where`, `_sort` and the `REST-Range: resources=0-99` header (≤ 100 a page; the
//! answer's `REST-Content-Range: resources 0-99/{total}`), at most 10,000 documents reachable by
//! search, `/scroll` (`_size` ≤ 1000, the token in `X-VTEX-MD-TOKEN`, then `_token=`) beyond;
//! `X-VTEX-API-AppKey` / `X-VTEX-API-AppToken` headers; 429 on concurrent operations (requests
//! here are one at a time); a session expires 30 minutes after the last activity, which sets
//! the abandonment delay's floor ([`Platform::abandonment_floor`]).
//!
//! Sync, one pass per poll, resumable from the saved cursor: `_where=rclastsessiondate>{t} AND
//! rclastcart is not null` sorted by `rclastsessiondate ASC`, `t` moved to the last page's latest
//! session (minus a second) after every full page, so no pass ever pages past 10,000 and a
//! customer whose session moves while we page is read again, not skipped; a page that all shares
//! one second goes on by offset. When the search says more than 10,000 documents match, the pass
//! reads them with `/scroll` instead (unordered; the watermark is then the scroll's start). The
//! first sync looks back [`FIRST_SYNC`]; later passes [`OVERLAP`] before the watermark. Customers
//! whose `checkouttag` says "Finalizado" stay in the results: that is how a purchase is seen.
//! UNCONFIRMED against a live account: the `_where` syntax on dates and `is not null`, whether
//! `rclastsessiondate` must be marked filterable in the CL schema, whether a purchase moves
//! `rclastsessiondate`, the scroll token's expiry answer.
//!
//! The cart: the customer document's id is the cart's id (VTEX keeps one last cart per
//! customer); items from `rclastcart`'s `sku`/`qty` pairs, priced from `carttag` and named from
//! the catalog (`/api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku}`, cached; a SKU the
//! catalog won't name is "SKU {id}", never a stuck poll: [`catalog`]); the total
//! `rclastcartvalue` in the currency of the store's country ([`currency`]; a country without a
//! known currency is refused at setup, never given a guessed one); phone `phone`, then `homePhone`,
//! read in the store's country; the recovery link `rclastcart` on the store's own domain (the
//! storefront address given as the store id, else the base URL) under `/checkout/cart/`.
//!
//! Completion: the document re-read by id (`checkouttag` "Finalizado"); else an OMS order since
//! the cart by the same customer (`GET /api/oms/pvt/orders?q={email}&f_creationDate=…`, each
//! listed order read by id for `clientProfileData.email`/`phone`, [`super::orders`]); else open,
//! or gone when the document has no cart any more.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::completion::{self, OwnRecord};
use super::fields;
use super::http::{self, Reply, StoreHttp};
use super::{
    skipped, Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig, StoreConnector,
    StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

mod catalog;
mod currency;
pub(crate) mod json;
mod oms;

use json::Client;

pub const MAX_PER_PAGE: u32 = 100;
/// Documents search can reach; past this, `/scroll`.
pub const SEARCH_CAP: u64 = 10_000;
pub const SCROLL_SIZE: u32 = 1000;
/// How far back the first sync looks for carts.
pub const FIRST_SYNC: chrono::Duration = chrono::Duration::days(30);
const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);

pub struct Vtex {
    config: StoreConfig,
    key: Sensitive<String>,
    token: Sensitive<String>,
    storefront: Url,
    http: StoreHttp,
    clock: Arc<dyn Clock>,
    skus: Mutex<catalog::Skus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Scroll {
    token: Option<String>,
    started: DateTime<Utc>,
    max: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Sessions up to here have been read.
    after: Option<DateTime<Utc>>,
    /// The bound of the pass in progress.
    query_after: Option<DateTime<Utc>>,
    in_pass: bool,
    /// Documents already read at `query_after` (only when a whole page shares one second).
    offset: u64,
    scroll: Option<Scroll>,
}

/// `REST-Content-Range: resources 0-99/12345` → 12345.
pub fn content_total(value: &str) -> Option<u64> {
    value.rsplit_once('/').and_then(|(_, total)| total.trim().parse().ok())
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Vtex {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let Credentials::KeySecret { key, secret } = credentials else {
            return Err(StoreError::Invalid(
                "VTEX needs an AppKey and an AppToken (store_key, store_secret)".into(),
            ));
        };
        config.require_https("VTEX keys are only sent over HTTPS: use the account's https:// address")?;
        if currency::of_country(&config.country).is_none() {
            return Err(StoreError::Invalid(format!(
                "VTEX carts carry no currency, so Recupero uses the currency of the store's country, and it knows none for '{}': give the two-letter code of the country the store sells in",
                config.country
            )));
        }
        let storefront = match config.external_id.as_deref() {
            Some(domain) => super::parse_base_url(domain)?,
            None => config.base_url.clone(),
        };
        let http = http.masking(&[&key, &secret]);
        Ok(Vtex { config, key, token: secret, storefront, http, clock, skus: Mutex::default() })
    }

    async fn get(&self, url: Url, range: Option<String>) -> Result<Reply, StoreError> {
        let mut request = self
            .http
            .get(url)
            .header("X-VTEX-API-AppKey", self.key.expose())
            .header("X-VTEX-API-AppToken", self.token.expose())
            .header("Accept", "application/json");
        if let Some(range) = range {
            request = request.header("REST-Range", range);
        }
        self.http.send(request).await
    }

    fn per_page(&self) -> u64 {
        u64::from(self.config.page_size.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE))
    }

    fn where_after(after: DateTime<Utc>) -> String {
        format!("rclastsessiondate>{} AND rclastcart is not null", iso(after))
    }

    fn search_url(&self, after: DateTime<Utc>) -> Url {
        let mut url = self.config.url(&["api", "dataentities", "CL", "search"]);
        url.query_pairs_mut()
            .append_pair("_fields", json::FIELDS)
            .append_pair("_where", &Self::where_after(after))
            .append_pair("_sort", "rclastsessiondate ASC");
        url
    }

    fn scroll_url(&self, after: DateTime<Utc>, token: Option<&str>) -> Url {
        let mut url = self.config.url(&["api", "dataentities", "CL", "scroll"]);
        match token {
            Some(token) => url.query_pairs_mut().append_pair("_token", token),
            None => url
                .query_pairs_mut()
                .append_pair("_fields", json::FIELDS)
                .append_pair("_where", &Self::where_after(after))
                .append_pair("_size", &SCROLL_SIZE.to_string()),
        };
        url
    }

    /// Reads a page of documents into `page`; returns the latest sane session seen.
    async fn read_page(
        &self,
        values: Vec<serde_json::Value>,
        page: &mut Page,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = self.clock.now();
        let mut clients = Vec::with_capacity(values.len());
        for value in values {
            let id = fields::raw_id(&value, "id");
            match serde_json::from_value::<Client>(value) {
                Ok(client) => clients.push(client),
                Err(e) => {
                    page.skipped.push(skipped(id.as_deref(), format!("unexpected customer document: {e}")))
                }
            }
        }
        let skus = self.learn_skus(&clients).await?;
        let mut latest = None;
        for client in clients {
            // Only a sane session moves the watermark: one dated 2099 would hide every later one.
            if let Ok(session) = client.session() {
                if fields::sane_time(session, now) {
                    latest = latest.max(Some(session));
                }
            }
            let read = client.read(&self.config, &self.storefront, &skus);
            if let Err(reason) = &read {
                tracing::warn!(checkout = %client.id, %reason, "VTEX customer cart skipped");
            }
            page.add(Some(&client.id), read, now);
        }
        Ok(latest)
    }

    async fn search_step(&self, state: &mut State, page: &mut Page) -> Result<(), StoreError> {
        let now = self.clock.now();
        let after = state.query_after.unwrap_or(now - FIRST_SYNC);
        let size = self.per_page();
        let range = format!("resources={}-{}", state.offset, state.offset + size - 1);
        let reply = self.get(self.search_url(after), Some(range)).await?;
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let total = reply.header("rest-content-range").and_then(content_total);
        let count = values.len() as u64;
        let latest = self.read_page(values, page).await?;
        if total.is_some_and(|t| t > SEARCH_CAP) && state.offset == 0 {
            // Search can't reach them all: this pass scrolls.
            state.scroll = Some(Scroll { token: None, started: now, max: latest });
            page.more = true;
            return Ok(());
        }
        let full = count > 0 && (count >= size || total.is_some_and(|t| t > state.offset + count));
        if full {
            let next = latest.map(|t| t - chrono::Duration::seconds(1));
            match next.filter(|n| Some(*n) > state.query_after) {
                Some(next) => {
                    state.query_after = Some(next);
                    state.offset = 0;
                }
                None => state.offset += count,
            }
            if state.offset + size > SEARCH_CAP {
                state.scroll = Some(Scroll { token: None, started: now, max: latest });
            }
            page.more = true;
        } else {
            let reached = state.query_after.max(latest.map(|t| t - chrono::Duration::seconds(1)));
            state.after = state.after.max(reached).or(Some(now));
            state.in_pass = false;
            state.offset = 0;
            state.query_after = None;
        }
        Ok(())
    }

    async fn scroll_step(&self, state: &mut State, page: &mut Page) -> Result<(), StoreError> {
        let now = self.clock.now();
        let after = state.query_after.unwrap_or(now - FIRST_SYNC);
        let Some(mut scroll) = state.scroll.take() else { return Ok(()) };
        let reply = match self.get(self.scroll_url(after, scroll.token.as_deref()), None).await {
            // An expired token (UNCONFIRMED answer): the scroll starts again; re-read carts only update.
            Err(StoreError::Rejected { status: 400 | 404 | 410, .. }) if scroll.token.is_some() => {
                tracing::warn!("VTEX scroll token refused; scrolling again from the start");
                state.scroll = Some(Scroll { token: None, started: now, max: scroll.max });
                page.more = true;
                return Ok(());
            }
            other => other?,
        };
        let values: Vec<serde_json::Value> = http::json(&reply.body)?;
        let token =
            reply.header("x-vtex-md-token").map(str::trim).filter(|t| !t.is_empty()).map(String::from);
        let count = values.len();
        let latest = self.read_page(values, page).await?;
        scroll.max = scroll.max.max(latest);
        if count > 0 && token.is_some() {
            scroll.token = token.or(scroll.token);
            state.scroll = Some(scroll);
            page.more = true;
        } else {
            // Unordered: sessions that moved while we scrolled are after its start.
            let reached = scroll.max.map_or(scroll.started, |m| m.min(scroll.started));
            state.after = state.after.max(Some(reached));
            state.in_pass = false;
            state.offset = 0;
            state.query_after = None;
        }
        Ok(())
    }

    async fn client(&self, id: &ExternalId) -> Result<Option<Client>, StoreError> {
        let mut url = self.config.url(&["api", "dataentities", "CL", "documents", id.as_str()]);
        url.query_pairs_mut().append_pair("_fields", json::FIELDS);
        match http::found(self.get(url, None).await)? {
            // Master Data answers an unknown id with 404 or an empty body (UNCONFIRMED).
            Some(reply) if reply.body.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Some(reply) => Ok(Some(http::json(&reply.body)?)),
            None => Ok(None),
        }
    }

    async fn read_client(&self, client: &Client) -> Result<Cart, StoreError> {
        let skus = self.learn_skus(std::slice::from_ref(client)).await?;
        client.read(&self.config, &self.storefront, &skus).map_err(StoreError::Protocol)
    }
}

impl StoreConnector for Vtex {
    fn platform(&self) -> Platform {
        Platform::Vtex
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let now = self.clock.now();
        let mut state: State = cursor.decode();
        if state.after.is_some_and(|t| !fields::sane_time(t, now)) {
            tracing::warn!("VTEX watermark outside the sane range; reading the first-sync window again");
            state = State::default();
        }
        if !state.in_pass {
            state.query_after = Some(state.after.map_or(now - FIRST_SYNC, |t| t - OVERLAP));
            state.in_pass = true;
            state.offset = 0;
            state.scroll = None;
        }
        let mut page = Page::new(self.per_page() as usize, Duration::ZERO);
        if state.scroll.is_some() {
            self.scroll_step(&mut state, &mut page).await?;
        } else {
            self.search_step(&mut state, &mut page).await?;
        }
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        match self.client(id).await? {
            Some(client) if client.rclastcart.as_deref().is_some_and(|c| !c.trim().is_empty()) => {
                self.read_client(&client).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let client = self.client(&query.external_id).await?;
        let has_cart =
            client.as_ref().and_then(|c| c.rclastcart.as_deref()).is_some_and(|c| !c.trim().is_empty());
        let own = OwnRecord {
            bought: client.as_ref().and_then(Client::finished_at).map(|at| Completion::Completed {
                at: Some(at),
                how: "checkout finished (checkouttag)".into(),
            }),
            email: client.as_ref().and_then(|c| c.email.as_deref()),
            otherwise: if has_cart { Completion::Open } else { Completion::Gone },
        };
        let email = own.email.map(String::from);
        let since = query.since;
        completion::decide(own, query, &self.config.country, 1, |number| {
            self.orders_page(email.as_deref(), since, number)
        })
        .await
    }
}
