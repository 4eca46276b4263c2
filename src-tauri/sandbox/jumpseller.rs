//! Jumpseller's REST API v1 as documented: the store's API login + auth token by HTTP Basic or
//! in the query string (`?login=&authtoken=`), or an OAuth bearer token; every object wrapped
//! (`{"order": {…}}`); `GET /v1/orders/status/{abandoned|paid|canceled|pending_payment}.json`
//! with `page` + `limit` (default 50; over 100 refused here), newest first by id; `GET
//! /v1/orders/{id}.json`. 8 requests a second and 240 a minute, then **403 "Rate Limit
//! Exceeded"**; wrong credentials are a 401. A sandbox checkout is an order `Abandoned` until the
//! customer completes it, then `Paid` with `completed_at`, keeping its id. Tests can have an
//! order placed but unpaid (`Pending Payment`, as a bank transfer leaves it), served with `null`
//! addresses and prices, or served in a shape no reader takes ([`Sandbox::jumpseller_pending_payment`]
//! and the two after it).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout};
use super::{fault_response, json_response, param, query_pairs, truncate, Fault, Sandbox, Shared};
use crate::stores::Platform;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/v1/orders/status/{status}", get(list)).route("/v1/orders/{id}", get(one))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Orders served otherwise than the catalog says, by id.
#[derive(Debug, Clone, Default)]
pub(super) struct Shapes {
    /// Placed and awaiting payment: `Pending Payment`, listed under `pending_payment`.
    pending: HashSet<u64>,
    /// `shipping_address` and `billing_address` null, products' `qty` and `price` null.
    nulls: HashSet<u64>,
    /// `products` a string and `customer.phone` a number: no reader takes the whole order.
    unreadable: HashSet<u64>,
}

impl Sandbox {
    /// Jumpseller: order `id` was placed and awaits payment (a bank transfer): `Pending Payment`.
    pub fn jumpseller_pending_payment(&self, id: u64) {
        self.shared.lock().jumpseller.pending.insert(id);
    }

    /// Jumpseller: order `id` comes with `null` addresses and `null` product quantities and prices.
    pub fn jumpseller_nulls(&self, id: u64) {
        self.shared.lock().jumpseller.nulls.insert(id);
    }

    /// Jumpseller: order `id` comes in a shape no reader takes (`products` a string, the
    /// customer's phone a number).
    pub fn jumpseller_unreadable(&self, id: u64) {
        self.shared.lock().jumpseller.unreadable.insert(id);
    }
}

fn pending(c: &SandboxCheckout, shapes: &Shapes) -> bool {
    shapes.pending.contains(&c.id)
}

fn status(c: &SandboxCheckout, now: DateTime<Utc>, shapes: &Shapes) -> (&'static str, &'static str) {
    if pending(c, shapes) {
        ("Pending Payment", "pending_payment")
    } else if c.completed_at(now).is_some() {
        ("Paid", "paid")
    } else {
        ("Abandoned", "abandoned")
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, vec![], json!({ "message": text }).to_string())
}

fn authorized(shared: &Shared, headers: &HeaderMap, pairs: &[(String, String)]) -> bool {
    let (login, token) = (&shared.config.jumpseller_login, &shared.config.jumpseller_token);
    let header = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let basic = header
        .strip_prefix("Basic ")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|pair| pair == format!("{login}:{token}"));
    let bearer = header.strip_prefix("Bearer ").is_some_and(|t| t.trim() == token);
    let query =
        param(pairs, "login") == Some(login.as_str()) && param(pairs, "authtoken") == Some(token.as_str());
    basic || bearer || query
}

/// 8 a second and 240 a minute, counted over every request to the platform.
fn over_limit(shared: &Shared) -> bool {
    if !shared.config.rate_limits {
        return false;
    }
    let now = Instant::now();
    let mut inner = shared.lock();
    let hits: &mut VecDeque<Instant> = &mut inner.jumpseller_hits;
    while hits.front().is_some_and(|t| now.duration_since(*t) > StdDuration::from_secs(60)) {
        hits.pop_front();
    }
    let last_second = hits.iter().filter(|t| now.duration_since(**t) <= StdDuration::from_secs(1)).count();
    if last_second >= 8 || hits.len() >= 240 {
        return true;
    }
    hits.push_back(now);
    false
}

fn address(c: &SandboxCheckout, phone: Option<&str>) -> Value {
    json!({
        "name": c.first_name, "surname": c.last_name, "address": "Av. Providencia 1234", "city": "Santiago",
        "postal": "7500000", "municipality": "Providencia", "region": "Región Metropolitana",
        "country": c.country, "country_code": c.country, "phone": phone.unwrap_or_default(),
    })
}

/// The order as the API sends it, wrapped.
fn render(c: &SandboxCheckout, now: DateTime<Utc>, shapes: &Shapes) -> Value {
    let phone = |field: PhoneField| if c.phone_in == field { c.phone.as_deref() } else { None };
    let (status, status_enum) = status(c, now, shapes);
    let paid = c.completed_at(now).filter(|_| status == "Paid");
    let products: Vec<Value> = c
        .items
        .iter()
        .map(|i| {
            let price = i.unit_price.to_string().parse::<f64>().unwrap_or(0.0);
            json!({
                "id": i.product_id, "variant_id": if i.variant.is_some() { json!(i.variant_id) } else { Value::Null },
                "sku": i.sku, "name": i.name, "variant": i.variant, "qty": i.quantity, "price": price,
                "tax": 0.0, "discount": 0.0, "weight": 0.3, "image": i.image,
            })
        })
        .collect();
    let number = |d: rust_decimal::Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
    let mut order = json!({
        "id": c.id, "status": status, "status_enum": status_enum,
        "created_at": stamp(c.created_at), "updated_at": stamp(c.updated_at(now)),
        "completed_at": paid.map(stamp), "currency": c.currency,
        "subtotal": number(c.subtotal()), "shipping": number(c.shipping()), "tax": 0.0, "discount": 0.0,
        "total": number(c.total()), "payment_method_name": if paid.is_some() { "Webpay" } else { "" },
        "shipping_method_name": "Despacho a domicilio", "coupons": "",
        "recovery_url": format!("https://sandbox-tienda.jumpseller.com/v2/checkout/recover/{}", c.token),
        "checkout_url": format!("https://sandbox-tienda.jumpseller.com/v2/checkout/{}", c.token),
        "customer": {
            "id": 900 + c.id % 1000, "email": c.email, "fullname": c.full_name(),
            "phone": phone(PhoneField::Customer).unwrap_or_default(),
        },
        "shipping_address": address(c, phone(PhoneField::Shipping)),
        "billing_address": address(c, phone(PhoneField::Billing)),
        "products": products, "additional_fields": [],
    });
    if shapes.nulls.contains(&c.id) {
        order["shipping_address"] = Value::Null;
        order["billing_address"] = Value::Null;
        for product in order["products"].as_array_mut().into_iter().flatten() {
            product["qty"] = Value::Null;
            product["price"] = Value::Null;
        }
    }
    if shapes.unreadable.contains(&c.id) {
        order["products"] = json!("unreadable");
        if let Some(number) =
            c.phone.as_deref().map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
        {
            order["customer"]["phone"] = json!(number.parse::<u64>().unwrap_or(0));
        }
    }
    json!({ "order": order })
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Path(which): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = list_inner(&shared, &which, &query, &headers);
    let path = format!("/v1/orders/status/{which}");
    shared.record(Platform::Jumpseller, "GET", &path, &masked(&query), &headers, response.status().as_u16());
    response
}

/// The query without the auth token (the log never holds it).
fn masked(query: &str) -> String {
    query
        .split('&')
        .map(|p| if p.starts_with("authtoken=") { "authtoken=***" } else { p })
        .collect::<Vec<_>>()
        .join("&")
}

fn list_inner(shared: &Shared, which: &str, query: &str, headers: &HeaderMap) -> Response {
    let pairs = query_pairs(query);
    if !authorized(shared, headers, &pairs) {
        return message(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    if over_limit(shared) {
        return message(StatusCode::FORBIDDEN, "Rate Limit Exceeded");
    }
    let fault = shared.take_fault(Platform::Jumpseller);
    match &fault {
        // Jumpseller's throttling answer is a 403, never a 429.
        Some(Fault::Status { status: 403, .. }) => {
            return message(StatusCode::FORBIDDEN, "Rate Limit Exceeded")
        }
        Some(f) => {
            if let Some(response) = fault_response(f) {
                return response;
            }
        }
        None => {}
    }
    let Some(wanted) = which.strip_suffix(".json") else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let limit: usize = param(&pairs, "limit").and_then(|v| v.parse().ok()).unwrap_or(50);
    if limit == 0 || limit > 100 {
        return message(StatusCode::BAD_REQUEST, "limit must be between 1 and 100");
    }
    let page: usize = param(&pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let now = shared.now();
    let shapes = shared.lock().jumpseller.clone();
    let keep = |c: &SandboxCheckout| {
        c.created_at <= now
            && match wanted {
                "abandoned" => c.completed_at(now).is_none() && !pending(c, &shapes),
                "paid" => c.completed_at(now).is_some() && !pending(c, &shapes),
                "pending_payment" => pending(c, &shapes),
                _ => false,
            }
    };
    let window = super::Window { skip: (page - 1) * limit, take: limit, reverse: true, count_all: false };
    let (_, matching) = shared.page(Platform::Jumpseller, 0, keep, window);
    let mut body: Vec<Value> = matching.iter().map(|c| render(c, now, &shapes)).collect();
    if fault == Some(Fault::MalformedItem) {
        if let Some(first) = body.first_mut() {
            first["order"]["products"][0]["qty"] = json!("dos");
        }
    }
    let mut text = Value::Array(body).to_string();
    if fault == Some(Fault::MalformedPage) {
        text = truncate(&text);
    }
    json_response(StatusCode::OK, vec![], text)
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = query_pairs(&query);
    let response = if !authorized(&shared, &headers, &pairs) {
        message(StatusCode::UNAUTHORIZED, "Unauthorized")
    } else if over_limit(&shared) {
        message(StatusCode::FORBIDDEN, "Rate Limit Exceeded")
    } else {
        let now = shared.now();
        let shapes = shared.lock().jumpseller.clone();
        let id = file.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok());
        match id.and_then(|n| shared.find(Platform::Jumpseller, n)).filter(|c| c.created_at <= now) {
            Some(c) => json_response(StatusCode::OK, vec![], render(&c, now, &shapes).to_string()),
            None => message(StatusCode::NOT_FOUND, "Order not found"),
        }
    };
    let path = format!("/v1/orders/{file}");
    shared.record(Platform::Jumpseller, "GET", &path, &masked(&query), &headers, response.status().as_u16());
    response
}
