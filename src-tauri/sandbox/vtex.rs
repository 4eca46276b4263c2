//! VTEX as documented (stores.md §5): Master Data v1 customer documents (`CL`) with the Request
//! Capture "last browsing data" fields, searched with `_fields`, `_where`, `_sort` and the
//! `REST-Range: resources=a-b` header (≤ 100 a page, answered with `REST-Content-Range:
//! resources a-b/total`; nothing past the 10,000th document), scrolled with `_size` ≤ 1000 and
//! the `X-VTEX-MD-TOKEN` token; a document by id; the catalog's SKU by id; OMS orders listed
//! (`f_creationDate`, `q`, `page`, `per_page` ≤ 100) and read by id. Every path needs the
//! `X-VTEX-API-AppKey` / `X-VTEX-API-AppToken` headers.
//!
//! A sandbox checkout is one customer whose last session left a cart: `rclastcart` is
//! `add?sku=…&qty=…&seller=1` per item then `sc=1`, `rclastsessiondate` its last change,
//! `carttag` the unit prices by SKU, `checkouttag` "Finalizado" once bought (the purchase is
//! then also an OMS order). The phone sits in `phone` or `homePhone`, as typed. Sandbox
//! assumptions where the docs say nothing: the unfinished `checkouttag` reads "Carrinho", the
//! default range is 15 documents, an expired scroll token answers 400, bad keys 401. A test can
//! have the catalog refuse every SKU read with a status ([`Sandbox::vtex_catalog_refuses`]), as a
//! key without catalog read (403) or a broken product (400, 500) answers.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout, SandboxItem};
use super::{json_response, param, query_pairs, truncate, Fault, Sandbox, Shared, Window};
use crate::domain::time::parse_time;
use crate::stores::Platform;

mod oms;
mod scroll;

/// The documents search reaches; `/scroll` beyond.
const SEARCH_CAP: usize = 10_000;
/// Scroll tokens live this long after their last use (10 minutes in the API reference).
pub(super) const TOKEN_LIFE: chrono::Duration = chrono::Duration::minutes(10);
const CL_PREFIX: &str = "5f0c2e4a-8d1b-11ee-b9d1-";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/dataentities/CL/search", get(search))
        .route("/api/dataentities/CL/scroll", get(scroll::scroll))
        .route("/api/dataentities/CL/documents/{id}", get(document))
        .route("/api/catalog_system/pvt/sku/stockkeepingunitbyid/{id}", get(sku))
        .route("/api/oms/pvt/orders", get(oms::orders))
        .route("/api/oms/pvt/orders/{id}", get(oms::order))
}

/// The CL document id of sandbox checkout `id` (a UUID, as Master Data's).
pub fn client_id(id: u64) -> String {
    format!("{CL_PREFIX}{id:012}")
}

fn checkout_of(client: &str) -> Option<u64> {
    client.strip_prefix(CL_PREFIX)?.parse().ok()
}

/// A catalog SKU id for an item: one per product name and variant, as a real catalog has.
pub fn sku_id(item: &SandboxItem) -> u64 {
    let text = format!("{}|{}", item.name, item.variant.as_deref().unwrap_or_default());
    let hash =
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    100_000 + hash % 900_000
}

pub(super) fn order_id(id: u64) -> String {
    format!("{}-01", 1_350_000_000_000 + id)
}

pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, vec![], json!({ "Message": message }).to_string())
}

pub(super) fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("x-vtex-api-appkey") == Some(shared.config.vtex_app_key.as_str())
        && header("x-vtex-api-apptoken") == Some(shared.config.vtex_app_token.as_str())
}

pub(super) fn fault_answer(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::Status { status, retry_after } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut headers = Vec::new();
            if let Some(seconds) = retry_after {
                headers.push(("retry-after", format!("{seconds}")));
            }
            let body = if status == StatusCode::TOO_MANY_REQUESTS {
                json!({ "Message": "Too many requests: concurrent operations on the data entity" })
                    .to_string()
            } else {
                "<html><body>502 Bad Gateway</body></html>".to_string()
            };
            Some(json_response(status, headers, body))
        }
        _ => None,
    }
}

/// The customer document of a checkout as seen at `now`, every RC field present.
fn render(c: &SandboxCheckout, now: DateTime<Utc>) -> Value {
    let phone = |fields: &[PhoneField]| if fields.contains(&c.phone_in) { c.phone.as_deref() } else { None };
    let session = c.updated_at(now);
    let mut cart = String::from("add?");
    let mut scores = serde_json::Map::new();
    for item in &c.items {
        let sku = sku_id(item);
        cart.push_str(&format!("sku={sku}&qty={}&seller=1&", item.quantity));
        let price: f64 = item.unit_price.to_string().parse().unwrap_or(0.0);
        scores.insert(sku.to_string(), json!([{ "Point": price, "Date": iso(session) }]));
    }
    cart.push_str("sc=1");
    let total: f64 = c.total().to_string().parse().unwrap_or(0.0);
    let checkout = match c.completed_at(now) {
        Some(at) => {
            json!({ "DisplayValue": "Finalizado", "Scores": { "Finalizado": [{ "Point": 1, "Date": iso(at) }] } })
        }
        None => {
            json!({ "DisplayValue": "Carrinho", "Scores": { "Carrinho": [{ "Point": 1, "Date": iso(session) }] } })
        }
    };
    json!({
        "id": client_id(c.id), "accountId": "b8d1c2e0-0000-4000-8000-000000000001", "accountName": "lojasandbox",
        "dataEntityId": "CL", "email": c.email, "firstName": c.first_name, "lastName": c.last_name,
        "document": format!("{:011}", c.id % 100_000_000_000), "documentType": "cpf",
        "phone": phone(&[PhoneField::Customer, PhoneField::Billing]),
        "homePhone": phone(&[PhoneField::Shipping]),
        "isNewsletterOptIn": c.consent.unwrap_or(false),
        "rclastcart": cart, "rclastcartvalue": total,
        "rclastsession": format!("{:x}", c.id.wrapping_mul(0x9E37_79B9) ^ session.timestamp() as u64),
        "rclastsessiondate": iso(session),
        "carttag": { "DisplayValue": "", "Scores": scores },
        "checkouttag": checkout,
        "createdIn": iso(c.created_at), "updatedIn": iso(session),
    })
}

/// Only the asked fields (`_fields`; `id` always), as Master Data answers.
fn pick(doc: Value, fields: Option<&str>) -> Value {
    let Some(fields) = fields else { return json!({ "id": doc["id"] }) };
    if fields.trim() == "_all" {
        return doc;
    }
    let mut out = serde_json::Map::new();
    out.insert("id".into(), doc["id"].clone());
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        out.insert(f.into(), doc.get(f).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// The `_where` clauses the sandbox knows: `rclastsessiondate>t`, `rclastsessiondate<t`,
/// `rclastcart is not null`, `email=x`, joined by ` AND `. Anything else is refused, as a field
/// that isn't filterable is.
pub(super) struct Filter {
    pub(super) after: Option<DateTime<Utc>>,
    pub(super) before: Option<DateTime<Utc>>,
    pub(super) has_cart: bool,
    pub(super) email: Option<String>,
}

pub(super) fn filter(text: Option<&str>) -> Result<Filter, String> {
    let mut f = Filter { after: None, before: None, has_cart: false, email: None };
    for clause in text.unwrap_or_default().split(" AND ").map(str::trim).filter(|c| !c.is_empty()) {
        let clause = clause.trim_start_matches('(').trim_end_matches(')');
        if clause.eq_ignore_ascii_case("rclastcart is not null") {
            f.has_cart = true;
        } else if let Some(t) = clause.strip_prefix("rclastsessiondate>") {
            f.after = Some(parse_time(t.trim())?);
        } else if let Some(t) = clause.strip_prefix("rclastsessiondate<") {
            f.before = Some(parse_time(t.trim())?);
        } else if let Some(e) = clause.strip_prefix("email=") {
            f.email = Some(e.trim().to_lowercase());
        } else {
            return Err(format!("The field in '{clause}' is not filterable"));
        }
    }
    Ok(f)
}

impl Filter {
    pub(super) fn keeps(&self, c: &SandboxCheckout, now: DateTime<Utc>) -> bool {
        let session = c.updated_at(now);
        c.created_at <= now
            && self.after.is_none_or(|t| session > t)
            && self.before.is_none_or(|t| session < t)
            && self.email.as_deref().is_none_or(|e| c.email.to_lowercase() == e)
    }
}

pub(super) fn logged(
    shared: &Shared,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    response: Response,
) -> Response {
    shared.record(Platform::Vtex, "GET", path, query, headers, response.status().as_u16());
    response
}

async fn search(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = search_inner(&shared, &query, &headers);
    logged(&shared, "/api/dataentities/CL/search", &query, &headers, response)
}

fn range(headers: &HeaderMap) -> Result<(usize, usize), String> {
    let Some(value) = headers.get("rest-range").and_then(|v| v.to_str().ok()) else { return Ok((0, 14)) };
    let bounds = value.trim().strip_prefix("resources=").and_then(|r| r.split_once('-'));
    let parsed = bounds.and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((from, to)) if to >= from => Ok((from, to)),
        _ => Err(format!("Invalid REST-Range '{value}'")),
    }
}

fn search_inner(shared: &Shared, query: &str, headers: &HeaderMap) -> Response {
    if !authorized(shared, headers) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let fault = shared.take_fault(Platform::Vtex);
    if let Some(response) = fault.as_ref().and_then(fault_answer) {
        return response;
    }
    let pairs = query_pairs(query);
    let (from, to) = match range(headers) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    if to - from + 1 > 100 {
        return error(StatusCode::BAD_REQUEST, "The maximum number of documents per page is 100");
    }
    if to >= SEARCH_CAP {
        return error(StatusCode::BAD_REQUEST, "Search reaches the first 10,000 documents only: use scroll");
    }
    let filter = match filter(param(&pairs, "_where")) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let now = shared.now();
    let sort = param(&pairs, "_sort").unwrap_or_default().trim().to_ascii_lowercase();
    let (total, docs) = match sort.as_str() {
        "rclastsessiondate asc" | "rclastsessiondate desc" => shared.page_by_key(
            Platform::Vtex,
            |c| filter.keeps(c, now).then(|| c.updated_at(now)),
            from,
            to - from + 1,
            sort.ends_with("desc"),
        ),
        "" => shared.page(
            Platform::Vtex,
            0,
            |c| filter.keeps(c, now),
            Window { skip: from, take: to - from + 1, reverse: false, count_all: true },
        ),
        other => {
            return error(StatusCode::BAD_REQUEST, &format!("The field in _sort '{other}' is not sortable"))
        }
    };
    let last = if docs.is_empty() { from } else { from + docs.len() - 1 };
    let headers = vec![("rest-content-range", format!("resources {from}-{last}/{total}"))];
    answer(fault, docs, now, param(&pairs, "_fields"), headers)
}

/// The documents as JSON, with the malformed-item and malformed-page faults applied.
pub(super) fn answer(
    fault: Option<Fault>,
    docs: Vec<SandboxCheckout>,
    now: DateTime<Utc>,
    fields: Option<&str>,
    headers: Vec<(&'static str, String)>,
) -> Response {
    let mut body: Vec<Value> = docs.iter().map(|c| pick(render(c, now), fields)).collect();
    if fault == Some(Fault::MalformedItem) {
        if let Some(first) = body.first_mut().and_then(|d| d.get_mut("rclastcart")) {
            *first = json!("add?sku=100001&qty=dos&seller=1&sc=1");
        }
    }
    let mut text = Value::Array(body).to_string();
    if fault == Some(Fault::MalformedPage) {
        text = truncate(&text);
    }
    json_response(StatusCode::OK, headers, text)
}

async fn document(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = query_pairs(&query);
    let now = shared.now();
    let response = if !authorized(&shared, &headers) {
        error(StatusCode::UNAUTHORIZED, "Unauthorized")
    } else {
        match checkout_of(&id).and_then(|n| shared.find(Platform::Vtex, n)).filter(|c| c.created_at <= now) {
            Some(c) => json_response(
                StatusCode::OK,
                vec![],
                pick(render(&c, now), param(&pairs, "_fields")).to_string(),
            ),
            None => error(StatusCode::NOT_FOUND, "Document not found"),
        }
    };
    logged(&shared, &format!("/api/dataentities/CL/documents/{id}"), &query, &headers, response)
}

impl Sandbox {
    /// VTEX: the catalog answers every SKU read with `status` (None: it answers again).
    pub fn vtex_catalog_refuses(&self, status: Option<u16>) {
        self.shared.lock().vtex_catalog_refusal = status;
    }
}

async fn sku(State(shared): State<Arc<Shared>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let refusal = shared.lock().vtex_catalog_refusal.and_then(|s| StatusCode::from_u16(s).ok());
    let response = if !authorized(&shared, &headers) {
        error(StatusCode::UNAUTHORIZED, "Unauthorized")
    } else if let Some(status) = refusal {
        error(status, "The catalog refused this request")
    } else {
        let wanted: Option<u64> = id.parse().ok();
        let first = Window { skip: 0, take: 1, reverse: false, count_all: false };
        let (_, holders) =
            shared.page(Platform::Vtex, 0, |c| c.items.iter().any(|i| Some(sku_id(i)) == wanted), first);
        let found =
            holders.into_iter().next().and_then(|c| c.items.into_iter().find(|i| Some(sku_id(i)) == wanted));
        match found {
            Some(i) => {
                let complete = match &i.variant {
                    Some(v) => format!("{} {v}", i.name),
                    None => i.name.clone(),
                };
                let body = json!({
                    "Id": wanted, "ProductId": i.product_id, "NameComplete": complete, "ProductName": i.name,
                    "SkuName": i.variant.clone().unwrap_or_else(|| i.name.clone()), "IsActive": true,
                    "ImageUrl": i.image, "DetailUrl": format!("/p{}/p", i.product_id), "AlternateIds": { "RefId": i.sku },
                });
                json_response(StatusCode::OK, vec![], body.to_string())
            }
            None => error(StatusCode::NOT_FOUND, "Sku not found"),
        }
    };
    logged(&shared, &format!("/api/catalog_system/pvt/sku/stockkeepingunitbyid/{id}"), "", &headers, response)
}
