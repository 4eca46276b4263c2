//! Shopify: the GraphQL Admin API's `abandonedCheckouts` at `{base}/admin/api/{version}/graphql.json`
//! (the REST checkouts resource is legacy).
//!
//! Facts (../shared/reference/stores.md §2): header `X-Shopify-Access-Token`; scope `read_orders`;
//! filter `updated_at:>='…'`, cursor paging (`pageInfo.endCursor`); cost-based throttling read
//! from `extensions.cost.throttleStatus`, `THROTTLED` when the bucket can't pay for the query.
//! The list "includes both abandoned and recovered checkouts": `completedAt` tells them apart.
//!
//! Completion: `completedAt` on the checkout; else an order created since the checkout by the
//! same customer ([`super::orders`]): `orders(query: "created_at:>='…'", sortKey: CREATED_AT)`,
//! 100 a page (about 300 points), matched on the order's `phone` and its addresses' phones, or
//! its `email` against the checkout customer's `defaultEmailAddress`. Orders have no phone
//! filter in the search syntax, so the match is made here. Orders older than 60 days need
//! `read_all_orders`, far beyond any checkout we still message.
//!
//! Tokens: a static admin API token, or the client-credentials grant (client id + secret POSTed
//! to `{base}/admin/oauth/access_token`) whose token lasts 24 hours; it is renewed 10 minutes
//! before it expires, and once more if the API still answers 401.
//!
//! Marketing consent (what `consent_only` checks): from API version 2026-07 the customer's
//! WhatsApp marketing consent (`defaultPhoneNumber.whatsAppMarketingConsent.state`); before it,
//! which has no WhatsApp consent, the customer's SMS marketing consent stands in
//! (`smsMarketingConsent.marketingState`). The version is the store's `api_version`
//! ([`DEFAULT_VERSION`] when unset). An opt-out can be written back ([`consent`]).
//!
//! Every GraphQL document sent is listed by [`documents`], and a test validates them all against
//! Shopify's Admin schema (`tools/shopify-schema`: the 2025-01 introspection plus the documented
//! later additions), at each version they are sent with.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Mutex;

use super::completion::{self, OwnRecord, ReadCheckout};
use super::fields;
use super::http::{self, StoreHttp};
use super::{
    Completion, CompletionQuery, Credentials, Cursor, Page, Platform, StoreConfig, StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};
use crate::secrets::Sensitive;

pub mod consent;
mod coupons;
pub(crate) mod json;
mod order_search;
mod queries;
#[cfg(test)]
mod schema_check;

use json::{short_id, Extensions, GqlResponse, ListData, Node, NodeData, TokenReply, GID_PREFIX};
pub use queries::documents;
use queries::{list_query, node_query};

pub const DEFAULT_VERSION: &str = "2026-10";
/// The first API version with the customer's WhatsApp marketing consent (read and written).
pub const WHATSAPP_CONSENT_SINCE: &str = "2026-07";
/// Shopify refuses a query costing more than 1000 points; with the fields below a checkout
/// costs about 85, so 10 per page stays under it (the connection itself allows 250).
pub const MAX_PER_PAGE: u32 = 10;
const DEFAULT_PER_PAGE: u32 = 10;
const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);
const RENEW_BEFORE: chrono::Duration = chrono::Duration::minutes(10);
/// Line items read per checkout (query cost grows with it). A bigger cart keeps its exact total;
/// only its first 15 lines are listed.
pub(super) const LINE_ITEMS: u32 = 15;

/// Whether API `version` has the customer's WhatsApp marketing consent. Versions are `YYYY-MM`
/// (which compare as text) or `unstable`, which has everything.
pub fn has_whatsapp_consent(version: &str) -> bool {
    version.trim() >= WHATSAPP_CONSENT_SINCE
}

enum Auth {
    Static(Sensitive<String>),
    Client {
        client_id: Sensitive<String>,
        client_secret: Sensitive<String>,
        token: Mutex<Option<(Sensitive<String>, DateTime<Utc>)>>,
    },
}

pub struct Shopify {
    config: StoreConfig,
    auth: Auth,
    http: StoreHttp,
    clock: std::sync::Arc<dyn Clock>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Latest `updatedAt` ingested by a finished pass.
    updated_since: Option<DateTime<Utc>>,
    /// `endCursor` of the pass in progress, and the filter it was started with.
    after: Option<String>,
    pass_query: Option<String>,
    pass_max_updated: Option<DateTime<Utc>>,
    /// When the pass in progress started (our clock): the watermark never moves past it, so
    /// what changes while we page (10 checkouts a page, throttled) is read next time.
    pass_started: Option<DateTime<Utc>>,
}

impl Shopify {
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        http: StoreHttp,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        config.require_https("Shopify's Admin API is HTTPS only")?;
        let http = match &credentials {
            Credentials::Token(t) => http.masking(&[t]),
            Credentials::ClientCredentials { client_id, client_secret } => {
                http.masking(&[client_id, client_secret])
            }
            Credentials::KeySecret { key, secret } => http.masking(&[key, secret]),
        };
        let auth = match credentials {
            Credentials::Token(token) => Auth::Static(token),
            Credentials::ClientCredentials { client_id, client_secret } => {
                Auth::Client { client_id, client_secret, token: Mutex::new(None) }
            }
            Credentials::KeySecret { key, secret } => {
                Auth::Client { client_id: key, client_secret: secret, token: Mutex::new(None) }
            }
        };
        Ok(Shopify { config, auth, http, clock })
    }

    pub fn version(&self) -> &str {
        self.config.api_version.as_deref().unwrap_or(DEFAULT_VERSION)
    }

    /// The access token to send, renewing a client-credentials token that is about to expire.
    async fn token(&self, renew: bool) -> Result<Sensitive<String>, StoreError> {
        let (client_id, client_secret, cache) = match &self.auth {
            Auth::Static(token) => return Ok(token.clone()),
            Auth::Client { client_id, client_secret, token } => (client_id, client_secret, token),
        };
        let mut cache = cache.lock().await;
        let now = self.clock.now();
        if let Some((token, expires)) = cache.as_ref() {
            if !renew && *expires - now > RENEW_BEFORE {
                return Ok(token.clone());
            }
        }
        let url = self.config.url(&["admin", "oauth", "access_token"]);
        let body = json!({
            "client_id": client_id.expose(),
            "client_secret": client_secret.expose(),
            "grant_type": "client_credentials",
        });
        let reply = self.http.send(self.http.post(url).json(&body)).await.map_err(|e| match e {
            StoreError::Rejected { status: 400, detail } => StoreError::Auth { status: 400, detail },
            other => other,
        })?;
        let answer: TokenReply = http::json(&reply.body)?;
        let lifetime = chrono::Duration::seconds(answer.expires_in.unwrap_or(86_399).clamp(60, 86_400 * 7));
        let token = Sensitive::new(answer.access_token);
        *cache = Some((token.clone(), now + lifetime));
        tracing::info!(
            store = self.config.id.0,
            expires_in_s = lifetime.num_seconds(),
            "Shopify token renewed"
        );
        Ok(token)
    }

    /// One GraphQL call: renews the token once on 401, turns `THROTTLED` into a wait.
    async fn graphql<T: for<'de> Deserialize<'de>>(
        &self,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<(T, Duration), StoreError> {
        let url = self.config.url(&["admin", "api", self.version(), "graphql.json"]);
        let body = json!({ "query": query, "variables": variables });
        let mut renewed = false;
        let reply = loop {
            let token = self.token(renewed).await?;
            let request =
                self.http.post(url.clone()).header("X-Shopify-Access-Token", token.expose()).json(&body);
            match self.http.send(request).await {
                Err(StoreError::Auth { status: 401, .. })
                    if !renewed && matches!(self.auth, Auth::Client { .. }) =>
                {
                    renewed = true;
                }
                other => break other?,
            }
        };
        let response: GqlResponse<T> = http::json(&reply.body)?;
        let (wait, throttled_wait) = waits(response.extensions.as_ref());
        if let Some(error) = response.errors.first() {
            let code = error.extensions.as_ref().and_then(|e| e.code.as_deref()).unwrap_or_default();
            return Err(match code {
                "THROTTLED" => StoreError::RateLimited { retry_after: Some(throttled_wait) },
                "ACCESS_DENIED" | "UNAUTHORIZED" => {
                    StoreError::Auth { status: 200, detail: error.message.chars().take(200).collect() }
                }
                _ => StoreError::Protocol(format!(
                    "GraphQL error: {}",
                    error.message.chars().take(200).collect::<String>()
                )),
            });
        }
        let data = response.data.ok_or_else(|| StoreError::Protocol("GraphQL answer without data".into()))?;
        Ok((data, wait))
    }

    fn parse(&self, value: serde_json::Value) -> Result<Cart, String> {
        Node::read(value, &self.config).map(|read| read.cart)
    }

    /// The checkout re-read by id with its customer's email; None when Shopify no longer has it.
    async fn checkout(&self, id: &ExternalId) -> Result<Option<ReadCheckout>, StoreError> {
        let gid = if id.as_str().starts_with("gid://") {
            id.as_str().to_string()
        } else {
            format!("{GID_PREFIX}{}", id.as_str())
        };
        let (data, _): (NodeData, _) =
            self.graphql(&node_query(self.version()), json!({ "id": gid })).await?;
        match data.node {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => Node::read(value, &self.config).map(Some).map_err(StoreError::Protocol),
        }
    }
}

/// (wait before the next call, wait after a THROTTLED answer), from the cost extension: the
/// bucket refills at `restoreRate` points per second.
pub(crate) fn waits(extensions: Option<&Extensions>) -> (Duration, Duration) {
    let Some(cost) = extensions.and_then(|e| e.cost.as_ref()) else {
        return (Duration::ZERO, Duration::from_secs(1));
    };
    let requested = cost.requested_query_cost.unwrap_or(0.0).max(0.0);
    let Some(status) = cost.throttle_status.as_ref().filter(|s| s.restore_rate > 0.0) else {
        return (Duration::ZERO, Duration::from_secs(1));
    };
    let missing = (requested - status.currently_available).max(0.0);
    let wait = Duration::from_secs_f64((missing / status.restore_rate).min(60.0));
    (wait, wait.max(Duration::from_millis(100)))
}

impl StoreConnector for Shopify {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        let mut state: State = cursor.decode();
        let started = *state.pass_started.get_or_insert_with(|| self.clock.now());
        let filter = match (&state.pass_query, &state.after) {
            (Some(query), Some(_)) => query.clone(),
            _ => state
                .updated_since
                .map(|t| format!("updated_at:>='{}'", (t - OVERLAP).format("%Y-%m-%dT%H:%M:%SZ")))
                .unwrap_or_default(),
        };
        let first = self.config.page_size.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE);
        let variables = json!({
            "first": first,
            "after": state.after,
            "query": (!filter.is_empty()).then_some(&filter),
        });
        let (data, pace): (ListData, Duration) = self.graphql(&list_query(self.version()), variables).await?;
        let connection = data.abandoned_checkouts;
        let mut page = Page::new(connection.nodes.len(), pace);
        let now = self.clock.now();
        for value in connection.nodes {
            let id = fields::raw_id(&value, "id");
            let updated = page.add(id.as_deref().map(short_id), self.parse(value), now);
            state.pass_max_updated = state.pass_max_updated.max(updated);
        }
        if connection.page_info.has_next_page && connection.page_info.end_cursor.is_some() {
            state.after = connection.page_info.end_cursor;
            state.pass_query = Some(filter);
            page.more = true;
        } else {
            state.after = None;
            state.pass_query = None;
            state.pass_started = None;
            let reached = state.pass_max_updated.take().map(|t| t.min(started));
            state.updated_since = state.updated_since.max(reached);
        }
        page.next = Cursor::encode(&state);
        Ok(page)
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        Ok(self.checkout(id).await?.map(|read| read.cart))
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        let checkout = self.checkout(&query.external_id).await?;
        let own = OwnRecord::of_checkout(checkout.as_ref());
        let since = query.since;
        completion::decide(own, query, &self.config.country, None, |after| self.order_page(since, after))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_name_every_field_the_parser_reads() {
        let q = list_query(DEFAULT_VERSION);
        for field in [
            "abandonedCheckoutUrl",
            "defaultPhoneNumber",
            "countryCodeV2",
            "lineItems(first: 15)",
            "endCursor",
        ] {
            assert!(q.contains(field), "{field} missing from {q}");
        }
        assert!(node_query(DEFAULT_VERSION).contains("... on AbandonedCheckout"));
        assert!(node_query(DEFAULT_VERSION).contains("defaultEmailAddress { emailAddress }"));
    }

    #[test]
    fn throttle_waits_follow_the_restore_rate() {
        let ext: Extensions = serde_json::from_value(json!({"cost": {"requestedQueryCost": 302.0,
            "actualQueryCost": 50, "throttleStatus": {"maximumAvailable": 2000.0,
            "currentlyAvailable": 102.0, "restoreRate": 100.0}}}))
        .unwrap();
        let (wait, throttled) = waits(Some(&ext));
        assert_eq!(wait, Duration::from_secs(2));
        assert_eq!(throttled, Duration::from_secs(2));
        let plenty: Extensions = serde_json::from_value(json!({"cost": {"requestedQueryCost": 10.0,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990.0, "restoreRate": 100.0}}}))
        .unwrap();
        assert_eq!(waits(Some(&plenty)).0, Duration::ZERO);
        assert_eq!(waits(None), (Duration::ZERO, Duration::from_secs(1)));
    }
}
