//! The sandbox: each store platform's API served on loopback with the documented paths, auth
//! headers, field names, paging, rate-limit headers and 429s, over a reproducible set of
//! realistic checkouts ([`catalog`]). Tests drive it (inject faults, complete or update a
//! checkout, read the request log); the demo and `recupero sandbox` serve it for people.
//!
//! One server answers all three platforms, whose paths don't overlap:
//! - Tiendanube: `GET /{version}/{store_id}/checkouts[/{id}]`, `GET /{version}/{store_id}/orders[/{id}]`
//! - Shopify: `POST /admin/api/{version}/graphql.json` (`abandonedCheckouts`, `node`, `orders`,
//!   the WhatsApp consent mutation), `POST /admin/oauth/access_token`
//! - WooCommerce: `GET /wp-json/wc/v3/orders[/{id}]`
//! - Jumpseller: `GET /v1/orders/status/{status}.json`, `GET /v1/orders/{id}.json`
//! - PrestaShop: `GET /api/{carts|addresses|customers|countries|currencies|products|orders|configurations}[/{id}]`
//! - VTEX: `GET /api/dataentities/CL/{search,scroll,documents/{id}}`,
//!   `GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{id}`, `GET /api/oms/pvt/orders[/{id}]`
//!
//! Production code never reaches in here: only the command line, the desktop shell (demo) and
//! tests start it.

pub mod catalog;
pub mod coupons;
pub mod graphql;
pub mod images;
mod jumpseller;
mod prestashop;
mod shopify;
mod tiendanube;
pub mod vtex;
pub mod whatsapp;
mod woocommerce;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::stores::Platform;
use catalog::{CatalogSpec, SandboxCheckout};

/// What the sandbox serves and which credentials it accepts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub seed: u64,
    /// Checkouts per platform at start.
    pub count: u64,
    /// Creation time of the newest one; the others are `spacing` apart before it.
    pub newest_at: DateTime<Utc>,
    pub spacing: Duration,
    /// Emulate each platform's limits (Tiendanube's bucket, Shopify's query cost). Off for the
    /// ingest benchmark.
    pub rate_limits: bool,
    pub tiendanube_store_id: String,
    /// Tiendanube's access token and Shopify's static admin token.
    pub token: String,
    pub shopify_client_id: String,
    pub shopify_client_secret: String,
    pub woo_key: String,
    pub woo_secret: String,
    /// Jumpseller's API login and auth token (also accepted: the token as an OAuth bearer).
    pub jumpseller_login: String,
    pub jumpseller_token: String,
    /// PrestaShop's webservice key (the HTTP Basic user, empty password).
    pub prestashop_key: String,
    /// VTEX's `X-VTEX-API-AppKey` and `X-VTEX-API-AppToken`.
    pub vtex_app_key: String,
    pub vtex_app_token: String,
}

impl SandboxConfig {
    pub fn new(newest_at: DateTime<Utc>, count: u64) -> SandboxConfig {
        SandboxConfig {
            seed: 2026,
            count,
            newest_at,
            spacing: Duration::minutes(3),
            rate_limits: true,
            tiendanube_store_id: "1234567".into(),
            token: "sandbox-token".into(),
            shopify_client_id: "sandbox-client-id".into(),
            shopify_client_secret: "sandbox-client-secret".into(),
            woo_key: "ck_sandbox".into(),
            woo_secret: "cs_sandbox".into(),
            jumpseller_login: "js-sandbox-login".into(),
            jumpseller_token: "js-sandbox-authtoken-0123456789ab".into(),
            prestashop_key: "PS-SANDBOX-WEBSERVICE-KEY-0123456".into(),
            vtex_app_key: "vtexappkey-lojasandbox-ABCDEF".into(),
            vtex_app_token: "sandbox-app-token".into(),
        }
    }
}

/// A failure to serve on the next list request of a platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status (429 carries `Retry-After` in seconds when given).
    Status { status: u16, retry_after: Option<f64> },
    /// One checkout of the page has an unreadable price or quantity.
    MalformedItem,
    /// The page is cut off mid-JSON.
    MalformedPage,
    /// WooCommerce only: an empty page whose `X-WP-TotalPages` still promises more, as a site
    /// answers when a plugin filters a page's orders out.
    EmptyPage,
    /// Shopify only: a GraphQL `THROTTLED` answer whose cost extension says the bucket refills
    /// enough for the query in this many seconds.
    Throttled { seconds: f64 },
}

/// A request as the sandbox saw it (secrets in the query string are masked).
#[derive(Debug, Clone)]
pub struct Logged {
    pub platform: Platform,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub user_agent: Option<String>,
}

/// An order placed through a fresh checkout: none of the sandbox's checkouts became it, so
/// only its customer's phone or email ties it to an abandoned one.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// As the customer typed it; None leaves the field empty.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The order's address country.
    pub country: &'static str,
    pub created_at: DateTime<Utc>,
}

impl NewOrder {
    /// An order from an Argentinian address placed at `created_at`.
    pub fn by(phone: Option<&str>, email: Option<&str>, created_at: DateTime<Utc>) -> NewOrder {
        NewOrder { phone: phone.map(String::from), email: email.map(String::from), country: "AR", created_at }
    }
}

/// A [`NewOrder`] as Tiendanube and Shopify serve it (WooCommerce's are ordinary orders).
#[derive(Debug, Clone)]
pub(crate) struct ExtraOrder {
    pub platform: Platform,
    pub id: u64,
    pub order: NewOrder,
}

struct Inner {
    checkouts: HashMap<Platform, Vec<SandboxCheckout>>,
    faults: HashMap<Platform, VecDeque<Fault>>,
    log: Vec<Logged>,
    shopify_tokens: Vec<String>,
    tokens_issued: u32,
    extra_orders: Vec<ExtraOrder>,
    next_id: HashMap<Platform, u64>,
    /// Tiendanube's leaky bucket: (level, last update).
    tn_bucket: (f64, Instant),
    /// Shopify's cost bucket: (available points, last update).
    shopify_bucket: (f64, Instant),
    /// Shopify's customers' WhatsApp consent and the app's `write_customers` scope.
    customers: shopify::Customers,
    /// Jumpseller's recent requests, for its 8-a-second and 240-a-minute limits.
    jumpseller_hits: VecDeque<Instant>,
    /// Every platform's coupons (`coupons`).
    coupons: coupons::Coupons,
    /// Jumpseller orders served in another status or shape (`jumpseller`).
    jumpseller: jumpseller::Shapes,
    /// VTEX's catalog answers every SKU read with this status instead (`vtex`).
    vtex_catalog_refusal: Option<u16>,
    /// PrestaShop's `configurations` answers `[]` for `PS_TIMEZONE` (see `prestashop.rs`).
    prestashop_timezone_hidden: bool,
    /// PrestaShop's key is not granted `configurations` (401, code 26; see `prestashop.rs`).
    prestashop_configurations_denied: bool,
}

pub(crate) struct Shared {
    config: SandboxConfig,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Takes the next injected fault for a platform's list endpoint, if any.
    fn take_fault(&self, platform: Platform) -> Option<Fault> {
        self.lock().faults.get_mut(&platform).and_then(VecDeque::pop_front)
    }

    fn record(
        &self,
        platform: Platform,
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        status: u16,
    ) {
        let masked: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k == "consumer_secret" || k == "consumer_key" => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        let user_agent = headers.get("user-agent").and_then(|v| v.to_str().ok()).map(String::from);
        self.lock().log.push(Logged {
            platform,
            method: method.into(),
            path: path.into(),
            query: masked.join("&"),
            status,
            user_agent,
        });
    }

    /// The checkouts of a platform whose ids satisfy `keep`, cloned out of the lock.
    fn select(&self, platform: Platform, keep: impl Fn(&SandboxCheckout) -> bool) -> Vec<SandboxCheckout> {
        let inner = self.lock();
        inner
            .checkouts
            .get(&platform)
            .map(|all| all.iter().filter(|c| keep(c)).cloned().collect())
            .unwrap_or_default()
    }

    /// One page of the checkouts with id above `after_id` that satisfy `keep`, in id order (or
    /// reversed), and how many match in all (`count_all`; else the scan stops once the page is
    /// full). Only the page is cloned, so a sandbox of 100,000
    /// checkouts answers each page quickly.
    fn page(
        &self,
        platform: Platform,
        after_id: u64,
        keep: impl Fn(&SandboxCheckout) -> bool,
        window: Window,
    ) -> (usize, Vec<SandboxCheckout>) {
        let Window { skip, take, reverse, count_all } = window;
        let inner = self.lock();
        let Some(all) = inner.checkouts.get(&platform) else { return (0, Vec::new()) };
        let start = all.partition_point(|c| c.id <= after_id);
        let tail = &all[start..];
        let mut total = 0;
        let mut page = Vec::with_capacity(take.min(256));
        let mut visit = |c: &SandboxCheckout| {
            if keep(c) {
                if total >= skip && page.len() < take {
                    page.push(c.clone());
                }
                total += 1;
            }
            // Keep going only to count, when the caller wants the total.
            count_all || page.len() < take
        };
        if reverse {
            tail.iter().rev().all(&mut visit);
        } else {
            tail.iter().all(&mut visit);
        }
        (total, page)
    }

    /// One page of the checkouts that `key` keeps, ordered by the key (then id): for APIs that
    /// sort by modification time. Sorts keys and indexes only; clones just the page.
    fn page_by_key<K: Ord>(
        &self,
        platform: Platform,
        key: impl Fn(&SandboxCheckout) -> Option<K>,
        skip: usize,
        take: usize,
        reverse: bool,
    ) -> (usize, Vec<SandboxCheckout>) {
        let inner = self.lock();
        let Some(all) = inner.checkouts.get(&platform) else { return (0, Vec::new()) };
        let mut keys: Vec<(K, u64, usize)> =
            all.iter().enumerate().filter_map(|(i, c)| key(c).map(|k| (k, c.id, i))).collect();
        keys.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        if reverse {
            keys.reverse();
        }
        let page = keys.iter().skip(skip).take(take).map(|(_, _, i)| all[*i].clone()).collect();
        (keys.len(), page)
    }

    /// The fresh-checkout orders of a platform placed by `now`.
    fn extra_orders(&self, platform: Platform, now: DateTime<Utc>) -> Vec<ExtraOrder> {
        let inner = self.lock();
        inner
            .extra_orders
            .iter()
            .filter(|o| o.platform == platform && o.order.created_at <= now)
            .cloned()
            .collect()
    }

    fn find(&self, platform: Platform, id: u64) -> Option<SandboxCheckout> {
        let inner = self.lock();
        let all = inner.checkouts.get(&platform)?;
        all.binary_search_by_key(&id, |c| c.id).ok().map(|i| all[i].clone())
    }
}

/// Which part of a list to answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub skip: usize,
    pub take: usize,
    pub reverse: bool,
    /// Count every match (for total headers) instead of stopping once the page is full.
    pub count_all: bool,
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A VTEX account sells in one country: the sandbox's is a Brazilian store.
fn vtex_country(platform: Platform) -> Option<&'static str> {
    (platform == Platform::Vtex).then_some("BR")
}

/// First ids per platform, so ids never collide across platforms in one database.
fn first_id(platform: Platform) -> u64 {
    match platform {
        Platform::Tiendanube => 411_300_000,
        Platform::Shopify => 35_000_000_000,
        Platform::Woocommerce => 5_000,
        Platform::Jumpseller => 21_000_000,
        Platform::Prestashop => 70_000,
        Platform::Vtex => 7_000_000,
    }
}

impl Sandbox {
    /// Generates the checkouts and serves them on `127.0.0.1:port` (0 picks a free port).
    pub async fn start(config: SandboxConfig, clock: Arc<dyn Clock>, port: u16) -> std::io::Result<Sandbox> {
        let mut checkouts = HashMap::new();
        let mut next_id = HashMap::new();
        for (i, platform) in Platform::ALL.into_iter().enumerate() {
            let spec = CatalogSpec {
                seed: config.seed.wrapping_add(i as u64),
                first_id: first_id(platform),
                count: config.count,
                newest_at: config.newest_at,
                spacing: config.spacing,
                country: (platform == Platform::Tiendanube)
                    .then_some("AR")
                    .filter(|_| config.seed % 2 == 1)
                    .or(vtex_country(platform)),
            };
            let all: Vec<SandboxCheckout> = (0..config.count).map(|n| catalog::checkout(&spec, n)).collect();
            next_id.insert(platform, first_id(platform) + config.count);
            checkouts.insert(platform, all);
        }
        let now = Instant::now();
        let shared = Arc::new(Shared {
            config,
            clock,
            inner: Mutex::new(Inner {
                checkouts,
                faults: HashMap::new(),
                log: Vec::new(),
                shopify_tokens: Vec::new(),
                tokens_issued: 0,
                extra_orders: Vec::new(),
                next_id,
                tn_bucket: (0.0, now),
                shopify_bucket: (shopify::MAX_AVAILABLE, now),
                customers: Default::default(),
                jumpseller_hits: VecDeque::new(),
                coupons: Default::default(),
                jumpseller: Default::default(),
                vtex_catalog_refusal: None,
                prestashop_timezone_hidden: false,
                prestashop_configurations_denied: false,
            }),
        });
        let app = Router::new()
            .merge(tiendanube::routes())
            .merge(shopify::routes())
            .merge(woocommerce::routes())
            .merge(jumpseller::routes())
            .merge(prestashop::routes())
            .merge(vtex::routes())
            .merge(coupons::routes())
            .merge(images::routes())
            .with_state(shared.clone());
        let (addr, stop) = serve(app, port, "sandbox stores").await?;
        let sandbox = Sandbox { addr, shared, stop: Some(stop) };
        // The catalog's product pictures are served here (`images`), on loopback.
        for all in sandbox.shared.lock().checkouts.values_mut() {
            sandbox.local_pictures(all);
        }
        Ok(sandbox)
    }

    /// The root every platform's documented paths hang from, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Queues a fault for the next list request of `platform`.
    pub fn inject(&self, platform: Platform, fault: Fault) {
        self.shared.lock().faults.entry(platform).or_default().push_back(fault);
    }

    /// The customer completes the checkout at `at`.
    pub fn complete(&self, platform: Platform, id: u64, at: DateTime<Utc>) {
        self.edit(platform, id, |c| c.completes_at = Some(at));
    }

    /// The customer comes back and changes the checkout at `at` (a second item, another quantity).
    pub fn touch(&self, platform: Platform, id: u64, at: DateTime<Utc>) {
        self.edit(platform, id, |c| {
            c.updated_at = at;
            if let Some(first) = c.items.first_mut() {
                first.quantity += 1;
            }
        });
    }

    /// The customer never buys this one (undoes the catalog's planned purchase, if any).
    pub fn never_completes(&self, platform: Platform, id: u64) {
        self.edit(platform, id, |c| c.completes_at = None);
    }

    /// Replaces the customer's phone (None removes it).
    pub fn set_phone(&self, platform: Platform, id: u64, phone: Option<&str>) {
        self.edit(platform, id, |c| c.phone = phone.map(String::from));
    }

    /// Replaces the customer's email (None leaves it blank, as a checkout without one).
    pub fn set_email(&self, platform: Platform, id: u64, email: Option<&str>) {
        self.edit(platform, id, |c| c.email = email.unwrap_or_default().to_string());
    }

    fn edit(&self, platform: Platform, id: u64, change: impl FnOnce(&mut SandboxCheckout)) {
        let mut inner = self.shared.lock();
        if let Some(all) = inner.checkouts.get_mut(&platform) {
            if let Ok(i) = all.binary_search_by_key(&id, |c| c.id) {
                change(&mut all[i]);
            }
        }
    }

    /// `n` new checkouts appear, the newest created at `newest_at`. Returns their ids.
    pub fn add(&self, platform: Platform, n: u64, newest_at: DateTime<Utc>) -> Vec<u64> {
        let mut inner = self.shared.lock();
        let first = inner.next_id.get(&platform).copied().unwrap_or_else(|| first_id(platform));
        let spec = CatalogSpec {
            seed: self.shared.config.seed ^ first,
            first_id: first,
            count: n,
            newest_at,
            spacing: self.shared.config.spacing,
            country: vtex_country(platform),
        };
        let mut new: Vec<SandboxCheckout> = (0..n).map(|i| catalog::checkout(&spec, i)).collect();
        self.local_pictures(&mut new);
        let ids = new.iter().map(|c| c.id).collect();
        inner.next_id.insert(platform, first + n);
        inner.checkouts.entry(platform).or_default().extend(new);
        ids
    }

    /// A Tiendanube order placed from a fresh checkout by the same phone.
    pub fn add_tiendanube_order(&self, phone: &str, created_at: DateTime<Utc>) -> u64 {
        self.add_order(Platform::Tiendanube, NewOrder::by(Some(phone), None, created_at))
    }

    /// A paid order placed through a fresh checkout, as each platform shows it: Tiendanube and
    /// Shopify list it among their orders; on WooCommerce it is a new order already
    /// `processing` (paid at `created_at`), on Jumpseller a new order already `Paid`. Returns its id.
    pub fn add_order(&self, platform: Platform, order: NewOrder) -> u64 {
        if matches!(platform, Platform::Woocommerce | Platform::Jumpseller | Platform::Prestashop) {
            let at = order.created_at;
            let id = self.add(platform, 1, at)[0];
            self.edit(platform, id, |c| {
                c.phone = order.phone;
                c.phone_in = catalog::PhoneField::Customer;
                c.email = order.email.unwrap_or_default();
                c.country = order.country;
                c.updated_at = at;
                c.completes_at = Some(at);
            });
            return id;
        }
        let mut inner = self.shared.lock();
        let id = 900_000_000 + inner.extra_orders.len() as u64;
        inner.extra_orders.push(ExtraOrder { platform, id, order });
        id
    }

    pub fn checkout(&self, platform: Platform, id: u64) -> Option<SandboxCheckout> {
        self.shared.find(platform, id)
    }

    /// Every checkout of a platform, in id order.
    pub fn checkouts(&self, platform: Platform) -> Vec<SandboxCheckout> {
        self.shared.select(platform, |_| true)
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.shared.lock().log.clone()
    }

    /// Shopify client-credentials tokens issued so far.
    pub fn tokens_issued(&self) -> u32 {
        self.shared.lock().tokens_issued
    }

    /// Points the items' pictures at this server's `/images/products/` (see [`images`]).
    fn local_pictures(&self, checkouts: &mut [SandboxCheckout]) {
        let local = format!("{}/images/products/", self.base_url());
        for item in checkouts.iter_mut().flat_map(|c| c.items.iter_mut()) {
            item.image = item.image.replace(catalog::PICTURES, &local).replace(".jpg", ".png");
        }
    }

    /// Replaces every item's picture of a checkout: `Some(file)` is one of this server's
    /// `/images/products/` files ([`images`]), `Some(url)` with a scheme any address, `None` none.
    pub fn set_picture(&self, platform: Platform, id: u64, picture: Option<&str>) {
        let url = match picture {
            Some(p) if p.contains("://") => p.to_string(),
            Some(file) => format!("{}/images/products/{file}", self.base_url()),
            None => String::new(),
        };
        self.edit(platform, id, |c| c.items.iter_mut().for_each(|i| i.image = url.clone()));
    }

    /// Every Shopify token issued so far stops working (as after its 24 hours).
    pub fn expire_tokens(&self) {
        self.shared.lock().shopify_tokens.clear();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `app` on `127.0.0.1:port` (0 picks a free port) until the returned sender is used
/// or dropped.
pub(crate) async fn serve(
    app: Router,
    port: u16,
    what: &'static str,
) -> std::io::Result<(SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, what, "sandbox server stopped");
        }
    });
    tracing::info!(%addr, what, "sandbox listening");
    Ok((addr, stop))
}

/// A JSON answer with extra headers.
pub(crate) fn json_response(
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: String,
) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert("content-type", "application/json; charset=utf-8".parse().expect("static header"));
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            h.insert(name, value);
        }
    }
    response
}

/// Cuts a JSON body short, as a proxy dropping the connection would.
pub(crate) fn truncate(body: &str) -> String {
    let cut = body.len() / 2;
    let mut end = cut.max(1).min(body.len());
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_string()
}

/// The fault as a response, for the cases that replace the whole answer.
pub(crate) fn fault_response(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::Status { status, retry_after } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut headers = Vec::new();
            if let Some(seconds) = retry_after {
                headers.push(("retry-after", format!("{seconds}")));
            }
            let body = if status.is_server_error() {
                "<html><body>502 Bad Gateway</body></html>".to_string()
            } else {
                r#"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#.to_string()
            };
            Some(json_response(status, headers, body))
        }
        Fault::MalformedItem | Fault::MalformedPage | Fault::EmptyPage | Fault::Throttled { .. } => None,
    }
}

/// Query parameters as pairs, decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
