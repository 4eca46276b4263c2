//! Tiendanube / Nuvemshop as documented: `Authentication: bearer` (sic), a required User-Agent,
//! bare JSON arrays with every documented checkout field, `since_id` / date filters, `page` +
//! `per_page` ≤ 200 with `Link` and `X-Total-Count`, the 40-request bucket leaking 2/s with
//! `X-Rate-Limit-*` headers and 429; 404 "Error finding result with the parameters entered" when
//! nothing matches, and 404 "Last page is N" past the last page.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout};
use super::{fault_response, json_response, param, query_pairs, truncate, Fault, Shared};
use crate::domain::time::parse_time;
use crate::stores::Platform;

const BUCKET: f64 = 40.0;
const LEAK_PER_S: f64 = 2.0;
/// The API's documented 404 description for a list nothing matches (stores.md §3.2).
const NOTHING_MATCHES: &str = "Error finding result with the parameters entered";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/{version}/{store}/checkouts", get(list))
        .route("/{version}/{store}/checkouts/{id}", get(one))
        .route("/{version}/{store}/orders", get(orders))
        .route("/{version}/{store}/orders/{id}", get(order))
}

fn headers_host(headers: &HeaderMap) -> String {
    headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string()
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

fn error(
    status: StatusCode,
    message: &str,
    description: &str,
    headers: Vec<(&'static str, String)>,
) -> Response {
    let body = json!({ "code": status.as_u16(), "message": message, "description": description });
    json_response(status, headers, body.to_string())
}

/// Checks the headers and the bucket; on success returns the rate-limit headers to send.
pub(super) fn admit(
    shared: &Shared,
    store: &str,
    headers: &HeaderMap,
) -> Result<Vec<(&'static str, String)>, Box<Response>> {
    if headers.get("user-agent").and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim().is_empty()) {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "A User-Agent header is required",
            vec![],
        )));
    }
    let auth = headers.get("authentication").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = &shared.config.token;
    let ok = auth
        .split_once(' ')
        .is_some_and(|(kind, token)| kind.eq_ignore_ascii_case("bearer") && token == expected);
    if !ok || store != shared.config.tiendanube_store_id {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Invalid access token",
            vec![],
        )));
    }
    let mut inner = shared.lock();
    let (level, last) = inner.tn_bucket;
    let now = Instant::now();
    let level = (level - now.duration_since(last).as_secs_f64() * LEAK_PER_S).max(0.0);
    let limited = shared.config.rate_limits;
    let headers_for = |level: f64| {
        vec![
            ("x-rate-limit-limit", format!("{BUCKET}")),
            ("x-rate-limit-remaining", format!("{}", (BUCKET - level).floor().max(0.0))),
            ("x-rate-limit-reset", format!("{}", (level / LEAK_PER_S * 1000.0).ceil())),
        ]
    };
    if limited && level + 1.0 > BUCKET {
        inner.tn_bucket = (level, now);
        return Err(Box::new(error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Rate limit exceeded",
            headers_for(level),
        )));
    }
    let level = if limited { level + 1.0 } else { 0.0 };
    inner.tn_bucket = (level, now);
    Ok(headers_for(level))
}

/// Every documented checkout field, as the API spells it.
pub(super) fn render(c: &SandboxCheckout, now: DateTime<Utc>, store: &str) -> Value {
    let phone = |field: PhoneField| if c.phone_in == field { c.phone.clone() } else { None };
    let contact_phone = phone(PhoneField::Customer);
    let shipping_phone = phone(PhoneField::Shipping);
    let billing_phone = phone(PhoneField::Billing);
    let products: Vec<Value> = c
        .items
        .iter()
        .map(|i| {
            let name = match &i.variant {
                Some(v) => format!("{} ({v})", i.name),
                None => i.name.clone(),
            };
            json!({
                "id": i.variant_id * 7, "product_id": i.product_id, "variant_id": i.variant_id,
                "name": name, "price": i.unit_price.to_string(), "quantity": i.quantity, "sku": i.sku,
                "barcode": null, "image": { "id": i.product_id * 3, "product_id": i.product_id, "src": i.image,
                    "position": 1, "alt": [], "created_at": time(c.created_at), "updated_at": time(c.created_at) },
                "variant_values": i.variant.iter().flat_map(|v| v.split(" / ")).collect::<Vec<_>>(),
                "properties": [], "weight": "0.300", "free_shipping": false,
            })
        })
        .collect();
    let total = c.total();
    json!({
        "id": c.id, "token": c.token, "store_id": store,
        "abandoned_checkout_url": format!("https://tienda-sandbox.mitiendanube.com/checkout/v3/order/proxy/{}/{}", c.id, c.token),
        "contact_email": Some(&c.email).filter(|e| !e.is_empty()), "contact_name": c.full_name(), "contact_phone": contact_phone,
        "contact_identification": null,
        "shipping_name": c.first_name, "shipping_phone": shipping_phone, "shipping_address": "Av. Corrientes",
        "shipping_number": "1234", "shipping_floor": null, "shipping_locality": null, "shipping_zipcode": "1043",
        "shipping_city": "Ciudad Autónoma de Buenos Aires", "shipping_province": "Capital Federal",
        "shipping_country": c.country,
        "billing_name": c.first_name, "billing_phone": billing_phone, "billing_address": "Av. Corrientes",
        "billing_number": "1234", "billing_floor": null, "billing_locality": null, "billing_zipcode": "1043",
        "billing_city": "Ciudad Autónoma de Buenos Aires", "billing_province": "Capital Federal",
        "billing_country": c.country,
        "subtotal": c.subtotal().to_string(), "discount": "0.00", "discount_coupon": "0.00",
        "discount_gateway": "0.00", "total": total.to_string(), "total_usd": null, "currency": c.currency,
        "language": c.language, "gateway": null, "shipping": c.shipping().to_string(),
        "shipping_option": "Correo Argentino - Envío a domicilio", "coupon": [], "promotional_discount": null,
        "extra": {}, "storefront": "store", "note": null,
        "created_at": time(c.created_at), "updated_at": time(c.updated_at(now)),
        "completed_at": c.completed_at(now).map(time), "next_action": "waiting_manual_confirmation",
        "payment_details": { "method": null, "credit_card_company": null, "installments": 1 },
        "attributes": [], "products": products,
    })
}

fn render_order(
    id: u64,
    phone: Option<&str>,
    email: Option<&str>,
    created: DateTime<Utc>,
    paid: Option<DateTime<Utc>>,
) -> Value {
    json!({
        "id": id, "number": id % 100_000, "token": format!("{id:x}"), "contact_email": email,
        "contact_phone": phone, "status": "open", "payment_status": if paid.is_some() { "paid" } else { "pending" },
        "created_at": time(created), "completed_at": { "date": created.format("%Y-%m-%d %H:%M:%S.000000").to_string(),
            "timezone_type": 3, "timezone": "UTC" },
        "paid_at": paid.map(time), "landing_url": "https://tienda-sandbox.mitiendanube.com/?utm_source=whatsapp",
    })
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Path((version, store)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = list_inner(&shared, &version, &store, &query, &headers);
    shared.record(
        Platform::Tiendanube,
        "GET",
        &format!("/{store}/checkouts"),
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

fn list_inner(shared: &Shared, version: &str, store: &str, query: &str, headers: &HeaderMap) -> Response {
    let limits = match admit(shared, store, headers) {
        Ok(h) => h,
        Err(response) => return *response,
    };
    let fault = shared.take_fault(Platform::Tiendanube);
    if let Some(response) = fault.as_ref().and_then(fault_response) {
        return response;
    }
    let pairs = query_pairs(query);
    let since_id: u64 = param(&pairs, "since_id").and_then(|v| v.parse().ok()).unwrap_or(0);
    let bound = |name: &str| match param(&pairs, name) {
        None => Ok(None),
        Some(v) => parse_time(v).map(Some),
    };
    let (Ok(created_min), Ok(updated_min), Ok(created_max), Ok(updated_max)) =
        (bound("created_at_min"), bound("updated_at_min"), bound("created_at_max"), bound("updated_at_max"))
    else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "Invalid date format",
            limits,
        );
    };
    let page: usize = param(&pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let per_page: usize = param(&pairs, "per_page").and_then(|v| v.parse().ok()).unwrap_or(30);
    if per_page == 0 || per_page > 200 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            "per_page must be between 1 and 200",
            limits,
        );
    }
    let now = shared.now();
    let keep = |c: &SandboxCheckout| {
        c.created_at <= now
            && created_min.is_none_or(|t| c.created_at >= t)
            && created_max.is_none_or(|t| c.created_at <= t)
            && updated_min.is_none_or(|t| c.updated_at(now) >= t)
            && updated_max.is_none_or(|t| c.updated_at(now) <= t)
    };
    let (total, matching) = shared.page(
        Platform::Tiendanube,
        since_id,
        keep,
        super::Window { skip: (page - 1) * per_page, take: per_page, reverse: false, count_all: true },
    );
    let last = total.div_ceil(per_page);
    if total == 0 {
        // The documented answer when nothing matches the filters (a caught-up `since_id`).
        return error(StatusCode::NOT_FOUND, "Not Found", NOTHING_MATCHES, limits);
    }
    if page > last {
        return error(StatusCode::NOT_FOUND, "Not Found", &format!("Last page is {last}"), limits);
    }
    let mut body: Vec<Value> = matching.iter().map(|c| render(c, now, store)).collect();
    if fault == Some(Fault::MalformedItem) {
        if let Some(first) = body.first_mut() {
            first["products"][0]["price"] = json!("12,5O");
        }
    }
    let mut text = Value::Array(body).to_string();
    if fault == Some(Fault::MalformedPage) {
        text = truncate(&text);
    }
    let link_to = |n: usize| {
        let mut url = url::Url::parse(&format!(
            "http://{}/",
            headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1")
        ))
        .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("static URL"));
        url.set_path(&format!("/{version}/{store}/checkouts"));
        url.query_pairs_mut()
            .extend_pairs(pairs.iter().filter(|(k, _)| k != "page"))
            .append_pair("page", &n.to_string());
        url.to_string()
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
    }
    links.push(format!("<{}>; rel=\"last\"", link_to(last)));
    links.push(format!("<{}>; rel=\"first\"", link_to(1)));
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
    }
    let mut out = limits;
    out.push(("x-total-count", total.to_string()));
    out.push(("link", links.join(", ")));
    json_response(StatusCode::OK, out, text)
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path((_version, store, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let response = match admit(&shared, &store, &headers) {
        Err(response) => *response,
        Ok(limits) => {
            let now = shared.now();
            match id
                .parse()
                .ok()
                .and_then(|id| shared.find(Platform::Tiendanube, id))
                .filter(|c| c.created_at <= now)
            {
                Some(c) => json_response(StatusCode::OK, limits, render(&c, now, &store).to_string()),
                None => error(StatusCode::NOT_FOUND, "Not Found", "Checkout not found", limits),
            }
        }
    };
    shared.record(
        Platform::Tiendanube,
        "GET",
        &format!("/{store}/checkouts/{id}"),
        "",
        &headers,
        response.status().as_u16(),
    );
    response
}

/// Orders: completed checkouts keep their id; fresh-checkout orders come from `Sandbox::add_order`.
fn all_orders(shared: &Shared, now: DateTime<Utc>) -> Vec<Value> {
    let mut orders: Vec<Value> = shared
        .select(Platform::Tiendanube, |c| c.completed_at(now).is_some())
        .iter()
        .map(|c| {
            let at = c.completed_at(now).unwrap_or(c.created_at);
            render_order(
                c.id,
                c.phone.as_deref(),
                Some(c.email.as_str()).filter(|e| !e.is_empty()),
                at,
                Some(at),
            )
        })
        .collect();
    orders.extend(shared.extra_orders(Platform::Tiendanube, now).iter().map(|o| {
        let new = &o.order;
        render_order(o.id, new.phone.as_deref(), new.email.as_deref(), new.created_at, Some(new.created_at))
    }));
    orders
}

async fn orders(
    State(shared): State<Arc<Shared>>,
    Path((version, store)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let request_headers = headers.clone();
    let response = match admit(&shared, &store, &headers) {
        Err(response) => *response,
        Ok(limits) => {
            let pairs = query_pairs(&query);
            let min = param(&pairs, "created_at_min").and_then(|v| parse_time(v).ok());
            let now = shared.now();
            let list: Vec<Value> = all_orders(&shared, now)
                .into_iter()
                .filter(|o| {
                    let created = o["created_at"].as_str().and_then(|t| parse_time(t).ok());
                    min.is_none_or(|m| created.is_some_and(|c| c >= m))
                })
                .collect();
            let per_page: usize =
                param(&pairs, "per_page").and_then(|v| v.parse().ok()).unwrap_or(30).clamp(1, 200);
            let page: usize = param(&pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
            let last = list.len().div_ceil(per_page);
            if list.is_empty() || page > last {
                error(StatusCode::NOT_FOUND, "Not Found", &format!("Last page is {last}"), limits)
            } else {
                let body: Vec<&Value> = list.iter().skip((page - 1) * per_page).take(per_page).collect();
                let mut headers = limits;
                headers.push(("x-total-count", list.len().to_string()));
                if page < last {
                    let host = headers_host(&request_headers);
                    let mut url = url::Url::parse(&format!("http://{host}/"))
                        .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("static URL"));
                    url.set_path(&format!("/{version}/{store}/orders"));
                    url.query_pairs_mut()
                        .extend_pairs(pairs.iter().filter(|(k, _)| k != "page"))
                        .append_pair("page", &(page + 1).to_string());
                    headers.push(("link", format!("<{url}>; rel=\"next\"")));
                }
                json_response(StatusCode::OK, headers, serde_json::to_string(&body).unwrap_or_default())
            }
        }
    };
    shared.record(
        Platform::Tiendanube,
        "GET",
        &format!("/{store}/orders"),
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

async fn order(
    State(shared): State<Arc<Shared>>,
    Path((_version, store, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let response = match admit(&shared, &store, &headers) {
        Err(response) => *response,
        Ok(limits) => {
            let now = shared.now();
            let found = all_orders(&shared, now)
                .into_iter()
                .find(|o| o["id"].as_u64().map(|n| n.to_string()) == Some(id.clone()));
            match found {
                Some(o) => json_response(StatusCode::OK, limits, o.to_string()),
                None => error(StatusCode::NOT_FOUND, "Not Found", "Order not found", limits),
            }
        }
    };
    shared.record(
        Platform::Tiendanube,
        "GET",
        &format!("/{store}/orders/{id}"),
        "",
        &headers,
        response.status().as_u16(),
    );
    response
}
