//! Shopify's GraphQL Admin API as documented for abandoned checkouts: `X-Shopify-Access-Token`,
//! `abandonedCheckouts(first, after, query, sortKey)` with `pageInfo`, `node(id:)`,
//! `orders(first, after, query, sortKey)` (completed checkouts' orders and fresh-checkout
//! orders, oldest first, filtered by `created_at`), only the selected fields in the answer, `extensions.cost` on every answer, `THROTTLED` when the bucket
//! (2000 points restoring 100/s) can't pay, `MAX_COST_EXCEEDED` above 1000 points, and the
//! client-credentials grant at `/admin/oauth/access_token` (tokens "expire" on demand in tests).
//! The `{version}` in the path matters where the API changed: the customer's default phone and
//! email from 2025-04, WhatsApp marketing consent and its mutation from 2026-07 ([`customers`]).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout};
use super::graphql::{self, Arg, OpKind, Selection};
use super::{fault_response, json_response, truncate, Fault, Shared};
use crate::domain::time::parse_time;
use crate::stores::Platform;

mod customers;
mod orders;

pub(super) use customers::Customers;

pub(super) const MAX_AVAILABLE: f64 = 2000.0;
const RESTORE_RATE: f64 = 100.0;
const MAX_QUERY_COST: f64 = 1000.0;
const GID: &str = "gid://shopify/AbandonedCheckout/";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql_endpoint))
        .route("/admin/oauth/access_token", post(token))
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn money(amount: String, currency: &str) -> Value {
    let bag = json!({ "amount": amount, "currencyCode": currency });
    json!({ "shopMoney": bag, "presentmentMoney": bag })
}

fn address(c: &SandboxCheckout, phone: Option<&str>) -> Value {
    json!({
        "firstName": c.first_name, "lastName": c.last_name, "name": c.full_name(), "phone": phone,
        "address1": "Rua Augusta 1500", "address2": null, "city": "São Paulo", "province": null, "zip": "01304-001",
        "country": c.country, "countryCodeV2": c.country, "company": null, "formatted": [],
    })
}

/// The full `AbandonedCheckout` object as API `version` has it; the request's selection picks
/// from it.
fn render(shared: &Shared, c: &SandboxCheckout, now: DateTime<Utc>, version: &str) -> Value {
    let phone = |field: PhoneField| if c.phone_in == field { c.phone.as_deref() } else { None };
    let consent = match c.consent {
        Some(true) => {
            json!({ "marketingState": "SUBSCRIBED", "marketingOptInLevel": "SINGLE_OPT_IN", "consentUpdatedAt": time(c.created_at) })
        }
        Some(false) => {
            json!({ "marketingState": "NOT_SUBSCRIBED", "marketingOptInLevel": null, "consentUpdatedAt": null })
        }
        None => Value::Null,
    };
    let line_items: Vec<Value> = c
        .items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            json!({
                "id": format!("gid://shopify/AbandonedCheckoutLineItem/{}{n}", c.id), "title": i.name,
                "variantTitle": i.variant, "quantity": i.quantity, "sku": i.sku,
                "image": { "url": i.image, "altText": null, "width": 800, "height": 800 },
                "originalUnitPriceSet": money(i.unit_price.to_string(), c.currency),
                "originalTotalPriceSet": money((i.unit_price * rust_decimal::Decimal::from(i.quantity)).to_string(), c.currency),
                "discountedUnitPriceSet": money(i.unit_price.to_string(), c.currency),
                "discountedTotalPriceSet": money((i.unit_price * rust_decimal::Decimal::from(i.quantity)).to_string(), c.currency),
                "customAttributes": [], "discountAllocations": [],
                "product": { "id": format!("gid://shopify/Product/{}", i.product_id), "title": i.name },
                "variant": { "id": format!("gid://shopify/ProductVariant/{}", i.variant_id), "title": i.variant },
            })
        })
        .collect();
    let mut customer = json!({
        "id": customers::customer_gid(c), "firstName": c.first_name, "lastName": c.last_name,
        "locale": c.language,
        "defaultEmailAddress": (!c.email.is_empty()).then(|| json!({ "emailAddress": c.email, "marketingState": "NOT_SUBSCRIBED" })),
        "defaultPhoneNumber": customers::default_phone(shared, c, version),
        "smsMarketingConsent": consent,
    });
    customers::as_of(&mut customer, version);
    json!({
        "id": format!("{GID}{}", c.id), "name": format!("#{}", c.id),
        "abandonedCheckoutUrl": format!("https://sandbox-shop.myshopify.com/75/checkouts/ac/{}/recover?key={}", c.token, &c.token[..16]),
        "createdAt": time(c.created_at), "updatedAt": time(c.updated_at(now)),
        "completedAt": c.completed_at(now).map(time),
        "customer": customer,
        "shippingAddress": address(c, phone(PhoneField::Shipping)),
        "billingAddress": address(c, phone(PhoneField::Billing)),
        "discountCodes": [], "customAttributes": [], "note": null, "taxesIncluded": true, "taxLines": [],
        "subtotalPriceSet": money(c.subtotal().to_string(), c.currency),
        "totalPriceSet": money(c.total().to_string(), c.currency),
        "totalDiscountSet": money("0.0".into(), c.currency),
        "totalTaxSet": money("0.0".into(), c.currency),
        "totalDutiesSet": null,
        "totalLineItemsPriceSet": money(c.subtotal().to_string(), c.currency),
        "lineItems": { "nodes": line_items, "pageInfo": { "hasNextPage": false, "endCursor": null } },
        "defaultCursor": base64::engine::general_purpose::STANDARD.encode(format!("id:{}", c.id)),
    })
}

fn gql_error(message: &str, code: &str, cost: Option<Value>) -> Response {
    let mut body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    if let Some(cost) = cost {
        body["extensions"] = json!({ "cost": cost });
    }
    json_response(StatusCode::OK, vec![], body.to_string())
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    token == shared.config.token || shared.lock().shopify_tokens.iter().any(|t| t == token)
}

/// A search term split into field, comparator and unquoted value.
fn split_term(term: &str) -> Result<(&str, &'static str, &str), String> {
    let (field, rest) = term.split_once(':').ok_or_else(|| format!("unsupported search term {term}"))?;
    let (op, value) = [">=", "<=", ">", "<"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v)))
        .unwrap_or(("=", rest));
    Ok((field, op, value.trim_matches(|c| c == '\'' || c == '"')))
}

fn compare<T: PartialOrd>(op: &str, a: T, b: T) -> bool {
    match op {
        ">=" => a >= b,
        "<=" => a <= b,
        ">" => a > b,
        "<" => a < b,
        _ => a == b,
    }
}

/// One `query` term: `updated_at:>='…'`, `created_at:>…`, `status:open`, `id:>=N`.
fn matches_term(c: &SandboxCheckout, now: DateTime<Utc>, term: &str) -> Result<bool, String> {
    let (field, op, value) = split_term(term)?;
    let cmp = |a: DateTime<Utc>, b: DateTime<Utc>| compare(op, a, b);
    Ok(match field {
        "updated_at" => cmp(c.updated_at(now), parse_time(value)?),
        "created_at" => cmp(c.created_at, parse_time(value)?),
        "status" => (value == "open") == c.completed_at(now).is_none(),
        "recovery_state" => (value == "recovered") == c.completed_at(now).is_some(),
        "id" => {
            let n: u64 = value.parse().map_err(|_| format!("bad id {value}"))?;
            compare(op, c.id, n)
        }
        other => return Err(format!("unsupported search field {other}")),
    })
}

fn resolve<'a>(arg: Option<&'a Arg>, variables: &'a Value) -> Option<Value> {
    match arg? {
        Arg::Var(name) => variables.get(name).cloned().filter(|v| !v.is_null()),
        Arg::Int(n) => Some(json!(n)),
        Arg::Str(s) | Arg::Enum(s) => Some(json!(s)),
        Arg::Other => None,
    }
}

async fn graphql_endpoint(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = answer(&shared, &version, &headers, &body);
    // The log shows the variables (where the filter and the cursor travel) as the "query".
    let variables = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("variables").map(Value::to_string))
        .unwrap_or_default();
    let status = response.status().as_u16();
    shared.record(Platform::Shopify, "POST", "/admin/api/graphql.json", &variables, &headers, status);
    response
}

fn answer(shared: &Shared, version: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    if !authorized(shared, headers) {
        let body = json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" });
        return json_response(StatusCode::UNAUTHORIZED, vec![], body.to_string());
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "errors": "Bad Request" }).to_string(),
        );
    };
    let variables = request.get("variables").cloned().unwrap_or(json!({}));
    let (kind, selection) = match request.get("query").and_then(Value::as_str).map(graphql::parse_operation) {
        Some(Ok(s)) => s,
        Some(Err(e)) => return gql_error(&format!("syntax error: {e}"), "PARSE_ERROR", None),
        None => return gql_error("no query", "PARSE_ERROR", None),
    };
    if let Some(error) = customers::not_yet(&selection, version) {
        return gql_error(&error, "undefinedField", None);
    }
    // A mutation costs 10 points, whatever it selects.
    let requested = if kind == OpKind::Mutation { 10.0 } else { graphql::cost(&selection, &variables) };
    if requested > MAX_QUERY_COST {
        return gql_error(
            &format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."),
            "MAX_COST_EXCEEDED",
            None,
        );
    }
    // The cost bucket, refilled in real time.
    let available = {
        let mut inner = shared.lock();
        let (points, last) = inner.shopify_bucket;
        let now = Instant::now();
        let points = (points + now.duration_since(last).as_secs_f64() * RESTORE_RATE).min(MAX_AVAILABLE);
        let limited = shared.config.rate_limits;
        let after = if !limited {
            MAX_AVAILABLE
        } else if points >= requested {
            points - requested
        } else {
            points
        };
        inner.shopify_bucket = (after, now);
        if limited && points < requested {
            Err(points)
        } else {
            Ok(after)
        }
    };
    let cost = |available: f64, actual: f64| {
        json!({ "requestedQueryCost": requested, "actualQueryCost": actual,
            "throttleStatus": { "maximumAvailable": MAX_AVAILABLE, "currentlyAvailable": available, "restoreRate": RESTORE_RATE } })
    };
    let available = match available {
        Ok(a) => a,
        Err(points) => return gql_error("Throttled", "THROTTLED", Some(cost(points, 0.0))),
    };
    let fault = shared.take_fault(Platform::Shopify);
    if let Some(response) = fault.as_ref().and_then(fault_response) {
        return response;
    }
    if let Some(Fault::Throttled { seconds }) = fault {
        // An empty bucket refilling the query's cost in `seconds`.
        let rate = requested.max(1.0) / seconds.max(0.001);
        let cost = json!({ "requestedQueryCost": requested, "actualQueryCost": 0.0,
            "throttleStatus": { "maximumAvailable": MAX_AVAILABLE, "currentlyAvailable": 0.0, "restoreRate": rate } });
        return gql_error("Throttled", "THROTTLED", Some(cost));
    }
    let now = shared.now();
    if kind == OpKind::Mutation {
        let Some(Selection::Field(field)) = selection.first() else {
            return gql_error("a mutation selects a field", "PARSE_ERROR", None);
        };
        let answer = super::coupons::shopify_field(shared, field, &variables)
            .map(|r| r.map(|v| json!({ field.name.clone(): v })).map_err(|e| (e, None)));
        let body = match answer.unwrap_or_else(|| customers::mutate(shared, field, &variables, version)) {
            Ok(data) => json!({ "data": data, "extensions": { "cost": cost(available, requested) } }),
            Err((errors, data)) => {
                json!({ "errors": errors, "data": data, "extensions": { "cost": cost(available, requested) } })
            }
        };
        return json_response(StatusCode::OK, vec![], body.to_string());
    }
    let mut data = serde_json::Map::new();
    for s in &selection {
        let Selection::Field(field) = s else { continue };
        let value = match field.name.as_str() {
            "abandonedCheckouts" => match list(shared, now, version, field, &variables, fault.as_ref()) {
                Ok(v) => v,
                Err(e) => return gql_error(&e, "BAD_REQUEST", Some(cost(available, requested))),
            },
            "orders" => match orders::list(shared, now, field, &variables) {
                Ok(v) => v,
                Err(e) => return gql_error(&e, "BAD_REQUEST", Some(cost(available, requested))),
            },
            "node" => {
                let id = resolve(field.arg("id"), &variables);
                let found = id
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|gid| gid.strip_prefix(GID))
                    .and_then(|n| n.parse().ok())
                    .and_then(|n| shared.find(Platform::Shopify, n))
                    .filter(|c| c.created_at <= now);
                match found {
                    None => Value::Null,
                    Some(c) => {
                        match graphql::prune(&render(shared, &c, now, version), &field.selection, "Node") {
                            Ok(v) => v,
                            Err(e) => return gql_error(&e, "undefinedField", None),
                        }
                    }
                }
            }
            other => match super::coupons::shopify_field(shared, field, &variables) {
                Some(Ok(v)) => v,
                Some(Err(errors)) => {
                    let body = json!({ "errors": errors, "data": { other: null } });
                    return json_response(StatusCode::OK, vec![], body.to_string());
                }
                None => {
                    return gql_error(
                        &format!("Field '{other}' doesn't exist on type 'QueryRoot'"),
                        "undefinedField",
                        None,
                    )
                }
            },
        };
        data.insert(field.name.clone(), value);
    }
    let body = json!({ "data": data, "extensions": { "cost": cost(available, requested * 0.6) } });
    let mut text = body.to_string();
    if fault == Some(Fault::MalformedPage) {
        text = truncate(&text);
    }
    json_response(StatusCode::OK, vec![], text)
}

fn list(
    shared: &Shared,
    now: DateTime<Utc>,
    version: &str,
    field: &graphql::Field,
    variables: &Value,
    fault: Option<&Fault>,
) -> Result<Value, String> {
    let first = resolve(field.arg("first"), variables).and_then(|v| v.as_u64()).ok_or("first is required")?;
    if first == 0 || first > 250 {
        return Err("first must be between 1 and 250".into());
    }
    let after = match resolve(field.arg("after"), variables).as_ref().and_then(Value::as_str) {
        None => 0,
        Some(cursor) => base64::engine::general_purpose::STANDARD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("id:").and_then(|n| n.parse::<u64>().ok()))
            .ok_or("invalid cursor")?,
    };
    let query =
        resolve(field.arg("query"), variables).and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    let terms: Vec<&str> = query.split_whitespace().collect();
    let error = std::cell::RefCell::new(None);
    let keep = |c: &SandboxCheckout| {
        c.created_at <= now
            && terms.iter().all(|t| {
                matches_term(c, now, t).unwrap_or_else(|e| {
                    *error.borrow_mut() = Some(e);
                    false
                })
            })
    };
    // Cursor paging needs no total: a page and one more tell whether there is a next page.
    let (_, mut matching) = shared.page(
        Platform::Shopify,
        after,
        keep,
        super::Window { skip: 0, take: first as usize + 1, reverse: false, count_all: false },
    );
    if let Some(e) = error.into_inner() {
        return Err(e);
    }
    let more = matching.len() > first as usize;
    matching.truncate(first as usize);
    let end =
        matching.last().map(|c| base64::engine::general_purpose::STANDARD.encode(format!("id:{}", c.id)));
    let mut nodes: Vec<Value> = matching.iter().map(|c| render(shared, c, now, version)).collect();
    if fault == Some(&Fault::MalformedItem) {
        if let Some(first) = nodes.first_mut() {
            first["totalPriceSet"]["presentmentMoney"]["amount"] = json!("1.234,50");
        }
    }
    let full = json!({
        "nodes": nodes,
        "edges": [],
        "pageInfo": { "hasNextPage": more, "hasPreviousPage": after > 0, "endCursor": end, "startCursor": null },
    });
    graphql::prune(&full, &field.selection, "AbandonedCheckoutConnection")
}

async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body)
        .or_else(|_| {
            // The grant also accepts a form body.
            let pairs = super::query_pairs(&String::from_utf8_lossy(&body));
            Ok::<Value, ()>(json!(pairs.into_iter().collect::<std::collections::HashMap<_, _>>()))
        })
        .unwrap_or(json!({}));
    let field = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let config = &shared.config;
    let response = if field("grant_type") != "client_credentials" {
        json_response(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "error": "unsupported_grant_type" }).to_string(),
        )
    } else if field("client_id") != config.shopify_client_id
        || field("client_secret") != config.shopify_client_secret
    {
        json_response(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({ "error": "invalid_client", "error_description": "Client authentication failed" })
                .to_string(),
        )
    } else {
        let mut inner = shared.lock();
        inner.tokens_issued += 1;
        let token = format!("shpat_sandbox_{:04}", inner.tokens_issued);
        inner.shopify_tokens.push(token.clone());
        let scope = customers::scopes(&inner.customers);
        let body = json!({ "access_token": token, "scope": scope, "expires_in": 86399 });
        json_response(StatusCode::OK, vec![], body.to_string())
    };
    shared.record(
        Platform::Shopify,
        "POST",
        "/admin/oauth/access_token",
        "",
        &headers,
        response.status().as_u16(),
    );
    response
}
