//! The sandbox's OMS: the VTEX checkouts bought in the sandbox and the orders placed through a
//! fresh checkout ([`super::super::NewOrder`]), listed (`f_creationDate`, `q` on the email, the id
//! or the name, `page`, `per_page` ≤ 100, a list that names no customer) and read by id
//! (`clientProfileData`, the shipping country in three letters).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{authorized, error, iso, logged, order_id};
use crate::domain::time::parse_time;
use crate::sandbox::{json_response, param, query_pairs, Shared};
use crate::stores::Platform;

/// An order as OMS shows it: the checkouts bought in the sandbox and the fresh-checkout orders.
struct SandboxOrder {
    id: String,
    created: DateTime<Utc>,
    email: String,
    name: String,
    phone: Option<String>,
    country: &'static str,
    value: i64,
}

fn alpha3(code: &str) -> &'static str {
    match code {
        "BR" => "BRA",
        "AR" => "ARG",
        "CO" => "COL",
        "PE" => "PER",
        "CL" => "CHL",
        "MX" => "MEX",
        "UY" => "URY",
        "ES" => "ESP",
        _ => "USA",
    }
}

fn all_orders(shared: &Shared, now: DateTime<Utc>) -> Vec<SandboxOrder> {
    let mut orders: Vec<SandboxOrder> = shared
        .select(Platform::Vtex, |c| c.completed_at(now).is_some())
        .into_iter()
        .map(|c| SandboxOrder {
            id: order_id(c.id),
            created: c.completed_at(now).unwrap_or(c.created_at),
            email: c.email.clone(),
            name: c.full_name(),
            phone: c.phone.clone(),
            country: alpha3(c.country),
            value: (c.total() * rust_decimal::Decimal::from(100)).trunc().to_string().parse().unwrap_or(0),
        })
        .collect();
    orders.extend(shared.extra_orders(Platform::Vtex, now).into_iter().map(|o| SandboxOrder {
        id: order_id(o.id),
        created: o.order.created_at,
        email: o.order.email.unwrap_or_default(),
        name: "Cliente".into(),
        phone: o.order.phone,
        country: alpha3(o.order.country),
        value: 15_990,
    }));
    orders.sort_by_key(|o| (o.created, o.id.clone()));
    orders
}

/// `creationDate:[A TO B]`.
fn creation_range(text: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let inner = text.trim().strip_prefix("creationDate:[")?.strip_suffix(']')?;
    let (a, b) = inner.split_once(" TO ")?;
    Some((parse_time(a.trim()).ok()?, parse_time(b.trim()).ok()?))
}

pub(super) async fn orders(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = query_pairs(&query);
    let response = if !authorized(&shared, &headers) {
        error(StatusCode::UNAUTHORIZED, "Unauthorized")
    } else {
        let per_page: usize = param(&pairs, "per_page").and_then(|v| v.parse().ok()).unwrap_or(15);
        let page: usize = param(&pairs, "page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
        let range = param(&pairs, "f_creationDate").map(creation_range);
        if per_page == 0 || per_page > 100 || range == Some(None) {
            error(StatusCode::BAD_REQUEST, "Invalid per_page or f_creationDate")
        } else {
            let q = param(&pairs, "q").map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
            let now = shared.now();
            let matching: Vec<SandboxOrder> = all_orders(&shared, now)
                .into_iter()
                .filter(|o| range.flatten().is_none_or(|(a, b)| o.created >= a && o.created <= b))
                .filter(|o| {
                    q.as_deref().is_none_or(|q| {
                        o.email.to_lowercase() == q || o.id == q || o.name.to_lowercase().contains(q)
                    })
                })
                .collect();
            let list: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|o| {
                    json!({
                        "orderId": o.id, "creationDate": iso(o.created), "clientName": o.name,
                        "totalValue": o.value, "status": "ready-for-handling", "statusDescription": "Pronto para o manuseio",
                        "sequence": o.id.trim_end_matches("-01"), "salesChannel": "1", "origin": "Marketplace",
                        "currencyCode": "BRL", "totalItems": 1,
                    })
                })
                .collect();
            let total = matching.len();
            let body = json!({
                "list": list,
                "paging": { "total": total, "pages": total.div_ceil(per_page), "currentPage": page, "perPage": per_page },
            });
            json_response(StatusCode::OK, vec![], body.to_string())
        }
    };
    logged(&shared, "/api/oms/pvt/orders", &query, &headers, response)
}

pub(super) async fn order(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let response = if !authorized(&shared, &headers) {
        error(StatusCode::UNAUTHORIZED, "Unauthorized")
    } else {
        match all_orders(&shared, shared.now()).into_iter().find(|o| o.id == id) {
            Some(o) => {
                let body = json!({
                    "orderId": o.id, "status": "ready-for-handling", "creationDate": iso(o.created), "value": o.value,
                    "clientProfileData": { "email": o.email, "firstName": o.name, "phone": o.phone, "documentType": "cpf" },
                    "shippingData": { "address": { "country": o.country, "receiverName": o.name } },
                });
                json_response(StatusCode::OK, vec![], body.to_string())
            }
            None => error(StatusCode::NOT_FOUND, "Order not found"),
        }
    };
    logged(&shared, &format!("/api/oms/pvt/orders/{id}"), "", &headers, response)
}
