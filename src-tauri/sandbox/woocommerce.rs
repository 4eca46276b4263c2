//! WooCommerce REST v3 orders as documented: consumer key + secret by HTTP Basic or in the query
//! string, `status` lists, `modified_after` with `dates_are_gmt`, `after`, `page` + `per_page`
//! ≤ 100 with `X-WP-Total`, `X-WP-TotalPages` and `Link`, orders ordered by `id` or `date`.
//! A sandbox checkout is an order in `pending`, `checkout-draft` or `failed`; once completed it
//! is `processing` with `date_paid_gmt`, keeping its id.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout};
use super::{fault_response, json_response, param, query_pairs, truncate, Fault, Shared};
use crate::domain::time::parse_time;
use crate::stores::Platform;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/wp-json/wc/v3/orders", get(list)).route("/wp-json/wc/v3/orders/{id}", get(one))
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn status(c: &SandboxCheckout, now: DateTime<Utc>) -> &'static str {
    if c.completed_at(now).is_some() {
        return "processing";
    }
    ["pending", "checkout-draft", "failed"][(c.id % 3) as usize]
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "code": code, "message": message, "data": { "status": status.as_u16() } });
    json_response(status, vec![], body.to_string())
}

pub(super) fn authorized(shared: &Shared, headers: &HeaderMap, pairs: &[(String, String)]) -> bool {
    let (key, secret) = (&shared.config.woo_key, &shared.config.woo_secret);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|pair| pair == format!("{key}:{secret}"));
    let query = param(pairs, "consumer_key") == Some(key.as_str())
        && param(pairs, "consumer_secret") == Some(secret.as_str());
    basic || query
}

fn address(c: &SandboxCheckout, phone: Option<&str>, with_email: bool) -> Value {
    let mut a = json!({
        "first_name": c.first_name, "last_name": c.last_name, "company": "", "address_1": "Calle Mayor 12",
        "address_2": "", "city": "Madrid", "state": "M", "postcode": "28013", "country": c.country,
        "phone": phone.unwrap_or_default(),
    });
    if with_email {
        a["email"] = json!(c.email);
    }
    a
}

/// The full order object, every documented field present.
fn render(c: &SandboxCheckout, now: DateTime<Utc>, site: &str) -> Value {
    let phone = |field: PhoneField| if c.phone_in == field { c.phone.as_deref() } else { None };
    // WooCommerce keeps one phone per address: the customer's own goes in billing.
    let billing_phone = phone(PhoneField::Customer).or(phone(PhoneField::Billing));
    let paid = c.completed_at(now);
    let items: Vec<Value> = c
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let name = match &i.variant {
                Some(v) => format!("{} - {v}", i.name),
                None => i.name.clone(),
            };
            let line = (i.unit_price * rust_decimal::Decimal::from(i.quantity)).to_string();
            json!({
                "id": c.id * 100 + n as u64, "name": name, "product_id": i.product_id,
                "variation_id": if i.variant.is_some() { i.variant_id } else { 0 }, "quantity": i.quantity,
                "tax_class": "", "subtotal": line, "subtotal_tax": "0.00", "total": line, "total_tax": "0.00",
                "taxes": [], "meta_data": [], "sku": i.sku,
                "price": i.unit_price.to_string().parse::<f64>().unwrap_or(0.0),
                "image": { "id": i.product_id, "src": i.image },
                "parent_name": if i.variant.is_some() { json!(i.name) } else { Value::Null },
            })
        })
        .collect();
    let key = format!("wc_order_{}", &c.token[..13]);
    json!({
        "id": c.id, "parent_id": 0, "status": status(c, now), "currency": c.currency, "version": "10.3.0",
        "prices_include_tax": false, "date_created": gmt(c.created_at), "date_modified": gmt(c.updated_at(now)),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": c.shipping().to_string(),
        "shipping_tax": "0.00", "cart_tax": "0.00", "total": c.total().to_string(), "total_tax": "0.00",
        "customer_id": 0, "order_key": key,
        "billing": address(c, billing_phone, true),
        "shipping": address(c, phone(PhoneField::Shipping), false),
        "payment_method": "", "payment_method_title": "", "transaction_id": "",
        "customer_ip_address": "203.0.113.7", "customer_user_agent": "Mozilla/5.0", "created_via": "store-api",
        "customer_note": "", "date_completed": null, "date_paid": paid.map(gmt), "cart_hash": c.token,
        "number": c.id.to_string(), "meta_data": [], "line_items": items, "tax_lines": [], "shipping_lines": [],
        "fee_lines": [], "coupon_lines": [], "refunds": [],
        "payment_url": format!("{site}/checkout/order-pay/{}/?pay_for_order=true&key={key}", c.id),
        "is_editable": paid.is_none(), "needs_payment": paid.is_none(), "needs_processing": true,
        "date_created_gmt": gmt(c.created_at), "date_modified_gmt": gmt(c.updated_at(now)),
        "date_completed_gmt": null, "date_paid_gmt": paid.map(gmt), "currency_symbol": "$",
    })
}

fn site(headers: &HeaderMap) -> String {
    format!("http://{}", headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"))
}

async fn list(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let query = query.unwrap_or_default();
    let response = list_inner(&shared, &query, &headers);
    shared.record(
        Platform::Woocommerce,
        "GET",
        "/wp-json/wc/v3/orders",
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

fn list_inner(shared: &Shared, query: &str, headers: &HeaderMap) -> Response {
    let pairs = query_pairs(query);
    if !authorized(shared, headers, &pairs) {
        return error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        );
    }
    let fault = shared.take_fault(Platform::Woocommerce);
    if let Some(response) = fault.as_ref().and_then(fault_response) {
        return response;
    }
    let per_page: usize = param(&pairs, "per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    if per_page == 0 || per_page > 100 {
        return error(StatusCode::BAD_REQUEST, "rest_invalid_param", "Invalid parameter(s): per_page");
    }
    let page: usize = param(&pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let statuses: Vec<String> = param(&pairs, "status")
        .map(|s| s.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_else(|| vec!["any".into()]);
    let gmt_dates = param(&pairs, "dates_are_gmt") == Some("true");
    let bound = |name: &str| param(&pairs, name).map(parse_time).transpose();
    let (Ok(modified_after), Ok(after)) = (bound("modified_after"), bound("after")) else {
        return error(StatusCode::BAD_REQUEST, "rest_invalid_param", "Invalid parameter(s): modified_after");
    };
    if !gmt_dates && (modified_after.is_some() || after.is_some()) {
        // The sandbox's site runs in UTC, so local and GMT agree; real sites differ.
        tracing::debug!("WooCommerce sandbox: dates without dates_are_gmt read as UTC");
    }
    let now = shared.now();
    let keep = |c: &SandboxCheckout| {
        let s = status(c, now);
        // `any` excludes checkout-draft since WooCommerce 10.x (PR #63743).
        let wanted = statuses.iter().any(|w| w == s || (w == "any" && s != "checkout-draft"));
        wanted
            && c.created_at <= now
            && modified_after.is_none_or(|t| c.updated_at(now) > t)
            && after.is_none_or(|t| c.created_at > t)
    };
    let descending = param(&pairs, "order") != Some("asc");
    let window =
        super::Window { skip: (page - 1) * per_page, take: per_page, reverse: descending, count_all: true };
    let (total, matching) = match param(&pairs, "orderby").unwrap_or("date") {
        "modified" => shared.page_by_key(
            Platform::Woocommerce,
            |c| keep(c).then(|| c.updated_at(now)),
            window.skip,
            window.take,
            descending,
        ),
        // `date` and `id` agree in the sandbox: ids grow with creation time.
        "date" | "id" => shared.page(Platform::Woocommerce, 0, keep, window),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                "rest_invalid_param",
                &format!("Invalid parameter(s): orderby ({other})"),
            )
        }
    };
    let empty = fault == Some(Fault::EmptyPage);
    let pages = if empty { page + 3 } else { total.div_ceil(per_page) };
    let site = site(headers);
    let mut body: Vec<Value> =
        if empty { Vec::new() } else { matching.iter().map(|c| render(c, now, &site)).collect() };
    if fault == Some(Fault::MalformedItem) {
        if let Some(first) = body.first_mut() {
            first["line_items"][0]["quantity"] = json!("dos");
        }
    }
    let mut text = Value::Array(body).to_string();
    if fault == Some(Fault::MalformedPage) {
        text = truncate(&text);
    }
    let link_to = |n: usize| {
        let mut url = url::Url::parse(&format!("{site}/wp-json/wc/v3/orders")).unwrap_or_else(|_| {
            url::Url::parse("http://127.0.0.1/wp-json/wc/v3/orders").expect("static URL")
        });
        url.query_pairs_mut()
            .extend_pairs(
                pairs.iter().filter(|(k, _)| k != "page" && k != "consumer_key" && k != "consumer_secret"),
            )
            .append_pair("page", &n.to_string());
        url.to_string()
    };
    let mut links = Vec::new();
    if page < pages {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
    }
    let mut headers = vec![("x-wp-total", total.to_string()), ("x-wp-totalpages", pages.to_string())];
    if !links.is_empty() {
        headers.push(("link", links.join(", ")));
    }
    json_response(StatusCode::OK, headers, text)
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = query_pairs(&query);
    let response = if !authorized(&shared, &headers, &pairs) {
        error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        )
    } else {
        let now = shared.now();
        match id
            .parse()
            .ok()
            .and_then(|n| shared.find(Platform::Woocommerce, n))
            .filter(|c| c.created_at <= now)
        {
            Some(c) => json_response(StatusCode::OK, vec![], render(&c, now, &site(&headers)).to_string()),
            None => error(StatusCode::NOT_FOUND, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
        }
    };
    shared.record(
        Platform::Woocommerce,
        "GET",
        &format!("/wp-json/wc/v3/orders/{id}"),
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}
