//! The three platforms' coupon endpoints, as documented, with their limits and errors:
//!
//! - Tiendanube: `GET|POST /{version}/{store}/coupons` (`q` searches codes; nothing found is the
//!   API's 404), `DELETE /{version}/{store}/coupons/{id}`; a duplicate code is 422 `code: has
//!   already been taken`; a percentage outside 1–100 is 422; an app without `write_coupons` gets
//!   403 on every coupon request.
//! - WooCommerce: `GET|POST /wp-json/wc/v3/coupons` (`code` filters), `DELETE …/coupons/{id}`
//!   (`force=true`, else 501 `woocommerce_rest_trash_not_supported`); a duplicate is 400
//!   `woocommerce_rest_coupon_code_already_exists`; keys with read access only get 401
//!   `woocommerce_rest_cannot_create` / `…cannot_view` / `…cannot_delete`.
//! - Shopify: `discountCodeBasicCreate`, `codeDiscountNodeByCode`, `discountCodeDelete`; without
//!   the `write_discounts` scope the top-level error `ACCESS_DENIED`; a duplicate code the user
//!   error `TAKEN`; a deleted or unknown id the user error "Discount does not exist".
//!
//! A coupon is used with [`Sandbox::redeem_coupon`] (an order that applied it): past its uses or
//! its end it is refused, as a checkout would.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::graphql::{self, Field};
use super::{json_response, param, query_pairs, Sandbox, Shared};
use crate::stores::Platform;

/// One coupon a sandbox store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCoupon {
    pub platform: Platform,
    pub id: String,
    pub code: String,
    /// The percentage as the client sent it (`"10"`, or Shopify's fraction `"0.1"`).
    pub percent: String,
    pub max_uses: Option<u64>,
    pub uses: u64,
    /// As the client sent it (a day on Tiendanube, GMT on WooCommerce, RFC 3339 on Shopify).
    pub ends_at: Option<String>,
    pub min_total: Option<String>,
    pub deleted: bool,
}

/// The coupons of every platform, and the platforms whose app may not write them.
#[derive(Debug, Default)]
pub(crate) struct Coupons {
    items: Vec<SandboxCoupon>,
    denied: HashSet<Platform>,
    /// The next creation on these platforms is kept but its answer lost (a 502, or Shopify's
    /// `INTERNAL_SERVER_ERROR`): the crash between the store's work and the client's record.
    lose_answer: HashSet<Platform>,
    next_id: u64,
    /// The next creation on these platforms (Tiendanube) is kept but answered with a 422: a
    /// refusal after the store did the work.
    refuse_answer: HashSet<Platform>,
    /// Run as each creation request arrives (Tiendanube, WooCommerce), before it is answered:
    /// what happens meanwhile on the app's side (a STOP, the clock moving on).
    on_create: Option<CreateHook>,
}

/// See [`Sandbox::on_coupon_create`].
#[derive(Clone)]
struct CreateHook(Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for CreateHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CreateHook")
    }
}

/// Runs the creation hook, if any, with no lock held.
fn creating(shared: &Shared) {
    let hook = shared.lock().coupons.on_create.clone();
    if let Some(CreateHook(f)) = hook {
        f();
    }
}

impl Coupons {
    fn live(&self, platform: Platform, code: &str) -> Option<&SandboxCoupon> {
        self.items.iter().find(|c| c.platform == platform && !c.deleted && c.code.eq_ignore_ascii_case(code))
    }

    fn add(&mut self, mut coupon: SandboxCoupon) -> SandboxCoupon {
        self.next_id += 1;
        coupon.id = match coupon.platform {
            Platform::Shopify => format!("gid://shopify/DiscountCodeNode/{}", 1_000_000 + self.next_id),
            Platform::Tiendanube => (7_000_000 + self.next_id).to_string(),
            Platform::Woocommerce => (900 + self.next_id).to_string(),
            // No coupon endpoints are modelled for these (Recupero creates none there yet).
            Platform::Jumpseller | Platform::Prestashop | Platform::Vtex => self.next_id.to_string(),
        };
        self.items.push(coupon.clone());
        coupon
    }

    fn delete(&mut self, platform: Platform, id: &str) -> bool {
        match self.items.iter_mut().find(|c| c.platform == platform && c.id == id && !c.deleted) {
            Some(c) => {
                c.deleted = true;
                true
            }
            None => false,
        }
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/{version}/{store}/coupons", get(tn_list).post(tn_create))
        .route("/{version}/{store}/coupons/{id}", delete(tn_delete))
        .route("/wp-json/wc/v3/coupons", get(woo_list).post(woo_create))
        .route("/wp-json/wc/v3/coupons/{id}", delete(woo_delete))
}

fn tn_error(status: StatusCode, message: &str, description: Value) -> Response {
    let body = json!({ "code": status.as_u16(), "message": message, "description": description });
    json_response(status, vec![], body.to_string())
}

/// Tiendanube's checks (User-Agent, token, bucket) and then the `write_coupons` scope.
fn tn_admit(shared: &Shared, store: &str, headers: &HeaderMap) -> Result<(), Box<Response>> {
    super::tiendanube::admit(shared, store, headers)?;
    if shared.lock().coupons.denied.contains(&Platform::Tiendanube) {
        return Err(Box::new(tn_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            json!("The access token is missing the required scope: write_coupons"),
        )));
    }
    Ok(())
}

fn tn_render(c: &SandboxCoupon) -> Value {
    json!({ "id": c.id.parse::<u64>().unwrap_or(0), "code": c.code, "type": "percentage", "value": c.percent,
        "valid": true, "used": c.uses, "max_uses": c.max_uses, "end_date": c.ends_at, "min_price": c.min_total })
}

async fn tn_list(
    State(shared): State<Arc<Shared>>,
    Path((_version, store)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = match tn_admit(&shared, &store, &headers) {
        Err(r) => *r,
        Ok(()) => {
            let pairs = query_pairs(&query);
            let q = param(&pairs, "q").unwrap_or_default().to_ascii_uppercase();
            let found: Vec<Value> = shared
                .lock()
                .coupons
                .items
                .iter()
                .filter(|c| c.platform == Platform::Tiendanube && !c.deleted)
                .filter(|c| c.code.to_ascii_uppercase().contains(&q))
                .map(tn_render)
                .collect();
            if found.is_empty() {
                tn_error(
                    StatusCode::NOT_FOUND,
                    "Not Found",
                    json!("Error finding result with the parameters entered"),
                )
            } else {
                json_response(StatusCode::OK, vec![], Value::Array(found).to_string())
            }
        }
    };
    shared.record(
        Platform::Tiendanube,
        "GET",
        &format!("/{store}/coupons"),
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

async fn tn_create(
    State(shared): State<Arc<Shared>>,
    Path((_version, store)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = match tn_admit(&shared, &store, &headers) {
        Err(r) => *r,
        Ok(()) => tn_create_inner(&shared, &body),
    };
    shared.record(
        Platform::Tiendanube,
        "POST",
        &format!("/{store}/coupons"),
        "",
        &headers,
        response.status().as_u16(),
    );
    response
}

fn tn_create_inner(shared: &Shared, body: &[u8]) -> Response {
    creating(shared);
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return tn_error(StatusCode::BAD_REQUEST, "Bad Request", json!("Invalid JSON"));
    };
    let text = |k: &str| {
        input.get(k).and_then(|v| v.as_str().map(String::from).or_else(|| v.as_u64().map(|n| n.to_string())))
    };
    let Some(code) = text("code").filter(|c| !c.trim().is_empty()) else {
        return tn_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            json!({ "code": ["can't be blank"] }),
        );
    };
    let value = text("value").unwrap_or_default();
    let percent_ok = value.parse::<f64>().is_ok_and(|v| v > 0.0 && v <= 100.0);
    if text("type").as_deref() != Some("percentage") || !percent_ok {
        return tn_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            json!({ "value": ["is invalid"] }),
        );
    }
    let mut inner = shared.lock();
    if inner.coupons.live(Platform::Tiendanube, &code).is_some() {
        return tn_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            json!({ "code": ["has already been taken"] }),
        );
    }
    let coupon = inner.coupons.add(SandboxCoupon {
        platform: Platform::Tiendanube,
        id: String::new(),
        code,
        percent: value,
        max_uses: input.get("max_uses").and_then(Value::as_u64),
        uses: 0,
        ends_at: text("end_date"),
        min_total: text("min_price"),
        deleted: false,
    });
    if inner.coupons.lose_answer.remove(&Platform::Tiendanube) {
        return tn_error(StatusCode::BAD_GATEWAY, "Bad Gateway", json!("upstream closed the connection"));
    }
    if inner.coupons.refuse_answer.remove(&Platform::Tiendanube) {
        return tn_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Entity",
            json!({ "value": ["is invalid"] }),
        );
    }
    json_response(StatusCode::CREATED, vec![], tn_render(&coupon).to_string())
}

async fn tn_delete(
    State(shared): State<Arc<Shared>>,
    Path((_version, store, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let response = match tn_admit(&shared, &store, &headers) {
        Err(r) => *r,
        Ok(()) if shared.lock().coupons.delete(Platform::Tiendanube, &id) => {
            json_response(StatusCode::OK, vec![], "{}".into())
        }
        Ok(()) => tn_error(StatusCode::NOT_FOUND, "Not Found", json!("Coupon not found")),
    };
    shared.record(
        Platform::Tiendanube,
        "DELETE",
        &format!("/{store}/coupons/{id}"),
        "",
        &headers,
        response.status().as_u16(),
    );
    response
}

fn woo_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "code": code, "message": message, "data": { "status": status.as_u16() } });
    json_response(status, vec![], body.to_string())
}

fn woo_admit(shared: &Shared, headers: &HeaderMap, query: &str, action: &str) -> Result<(), Box<Response>> {
    if !super::woocommerce::authorized(shared, headers, &query_pairs(query)) {
        return Err(Box::new(woo_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        )));
    }
    if shared.lock().coupons.denied.contains(&Platform::Woocommerce) {
        let (code, message) = match action {
            "create" => ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
            "delete" => {
                ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
            }
            _ => ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
        };
        return Err(Box::new(woo_error(StatusCode::UNAUTHORIZED, code, message)));
    }
    Ok(())
}

fn woo_render(c: &SandboxCoupon) -> Value {
    json!({ "id": c.id.parse::<u64>().unwrap_or(0), "code": c.code.to_lowercase(), "amount": format!("{}.00", c.percent),
        "discount_type": "percent", "usage_count": c.uses, "usage_limit": c.max_uses,
        "date_expires_gmt": c.ends_at, "minimum_amount": c.min_total.clone().unwrap_or_else(|| "0.00".into()) })
}

async fn woo_list(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = match woo_admit(&shared, &headers, &query, "view") {
        Err(r) => *r,
        Ok(()) => {
            let pairs = query_pairs(&query);
            let code = param(&pairs, "code").map(str::to_string);
            let found: Vec<Value> = shared
                .lock()
                .coupons
                .items
                .iter()
                .filter(|c| c.platform == Platform::Woocommerce && !c.deleted)
                .filter(|c| code.as_deref().is_none_or(|k| c.code.eq_ignore_ascii_case(k)))
                .map(woo_render)
                .collect();
            json_response(StatusCode::OK, vec![], Value::Array(found).to_string())
        }
    };
    shared.record(
        Platform::Woocommerce,
        "GET",
        "/wp-json/wc/v3/coupons",
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

async fn woo_create(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = query.unwrap_or_default();
    let response = match woo_admit(&shared, &headers, &query, "create") {
        Err(r) => *r,
        Ok(()) => woo_create_inner(&shared, &body),
    };
    shared.record(
        Platform::Woocommerce,
        "POST",
        "/wp-json/wc/v3/coupons",
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

fn woo_create_inner(shared: &Shared, body: &[u8]) -> Response {
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        return woo_error(StatusCode::BAD_REQUEST, "rest_invalid_json", "Invalid JSON body passed.");
    };
    let text = |k: &str| input.get(k).and_then(Value::as_str).map(String::from);
    let Some(code) = text("code").filter(|c| !c.trim().is_empty()) else {
        return woo_error(
            StatusCode::BAD_REQUEST,
            "rest_missing_callback_param",
            "Missing parameter(s): code",
        );
    };
    // `amount` is a string: a number is refused, as the schema says.
    let Some(amount) = text("amount").filter(|a| a.parse::<f64>().is_ok()) else {
        return woo_error(StatusCode::BAD_REQUEST, "rest_invalid_param", "Invalid parameter(s): amount");
    };
    if text("discount_type").as_deref() != Some("percent") {
        return woo_error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_param",
            "Invalid parameter(s): discount_type",
        );
    }
    creating(shared);
    let mut inner = shared.lock();
    if inner.coupons.live(Platform::Woocommerce, &code).is_some() {
        return woo_error(
            StatusCode::BAD_REQUEST,
            "woocommerce_rest_coupon_code_already_exists",
            "The coupon code already exists",
        );
    }
    let coupon = inner.coupons.add(SandboxCoupon {
        platform: Platform::Woocommerce,
        id: String::new(),
        code,
        percent: amount,
        max_uses: input.get("usage_limit").and_then(Value::as_u64),
        uses: 0,
        ends_at: text("date_expires_gmt"),
        min_total: text("minimum_amount"),
        deleted: false,
    });
    if inner.coupons.lose_answer.remove(&Platform::Woocommerce) {
        return woo_error(StatusCode::BAD_GATEWAY, "bad_gateway", "Bad Gateway");
    }
    json_response(StatusCode::CREATED, vec![], woo_render(&coupon).to_string())
}

async fn woo_delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = match woo_admit(&shared, &headers, &query, "delete") {
        Err(r) => *r,
        Ok(()) if param(&query_pairs(&query), "force") != Some("true") => woo_error(
            StatusCode::NOT_IMPLEMENTED,
            "woocommerce_rest_trash_not_supported",
            "The coupon does not support trashing.",
        ),
        Ok(()) if shared.lock().coupons.delete(Platform::Woocommerce, &id) => {
            json_response(StatusCode::OK, vec![], json!({ "id": id }).to_string())
        }
        Ok(()) => woo_error(StatusCode::NOT_FOUND, "woocommerce_rest_shop_coupon_invalid_id", "Invalid ID."),
    };
    shared.record(
        Platform::Woocommerce,
        "DELETE",
        &format!("/wp-json/wc/v3/coupons/{id}"),
        &query,
        &headers,
        response.status().as_u16(),
    );
    response
}

/// Shopify's discount fields, `None` when `field` is none of them.
pub(super) fn shopify_field(
    shared: &Shared,
    field: &Field,
    variables: &Value,
) -> Option<Result<Value, Value>> {
    let var = |name: &str| match field.arg(name) {
        Some(graphql::Arg::Var(v)) => variables.get(v).cloned().unwrap_or(Value::Null),
        Some(graphql::Arg::Str(s)) => Value::String(s.clone()),
        _ => Value::Null,
    };
    let denied = || {
        let message = format!(
            "Access denied for {} field. Required access: `write_discounts` access scope.",
            field.name
        );
        json!([{ "message": message, "path": [field.name], "extensions": { "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes", "requiredAccess": "`write_discounts` access scope." } }])
    };
    let user_error = |path: &[&str], message: &str, code: Option<&str>| json!({ "field": path, "message": message, "code": code });
    let full = match field.name.as_str() {
        "codeDiscountNodeByCode" | "discountCodeBasicCreate" | "discountCodeDelete" => {
            if shared.lock().coupons.denied.contains(&Platform::Shopify) {
                return Some(Err(denied()));
            }
            let mut inner = shared.lock();
            match field.name.as_str() {
                "codeDiscountNodeByCode" => {
                    let code = var("code");
                    match inner.coupons.live(Platform::Shopify, code.as_str().unwrap_or_default()) {
                        Some(c) => {
                            json!({ "id": c.id, "codeDiscount": { "asyncUsageCount": c.uses, "title": format!("Recupero {}", c.code) } })
                        }
                        None => Value::Null,
                    }
                }
                "discountCodeBasicCreate" => {
                    let input = var("basicCodeDiscount");
                    let code = input.get("code").and_then(Value::as_str).unwrap_or_default().to_string();
                    let percentage = input.pointer("/customerGets/value/percentage").and_then(Value::as_f64);
                    if code.is_empty() || code.len() > 255 {
                        json!({ "codeDiscountNode": null, "userErrors": [user_error(&["basicCodeDiscount", "code"], "Code is too short (minimum is 1 character)", Some("TOO_SHORT"))] })
                    } else if !percentage.is_some_and(|p| p > 0.0 && p <= 1.0) {
                        json!({ "codeDiscountNode": null, "userErrors": [user_error(&["basicCodeDiscount", "customerGets", "value", "percentage"], "Value must be between 0.0 and 1.0", Some("VALUE_OUTSIDE_RANGE"))] })
                    } else if inner.coupons.live(Platform::Shopify, &code).is_some() {
                        json!({ "codeDiscountNode": null, "userErrors": [user_error(&["basicCodeDiscount", "code"], "Code must be unique. Please try a different code.", Some("TAKEN"))] })
                    } else {
                        let c = inner.coupons.add(SandboxCoupon {
                            platform: Platform::Shopify,
                            id: String::new(),
                            code,
                            percent: percentage.unwrap_or_default().to_string(),
                            max_uses: input.get("usageLimit").and_then(Value::as_u64),
                            uses: 0,
                            ends_at: input.get("endsAt").and_then(Value::as_str).map(String::from),
                            min_total: input
                                .pointer("/minimumRequirement/subtotal/greaterThanOrEqualToSubtotal")
                                .and_then(Value::as_str)
                                .map(String::from),
                            deleted: false,
                        });
                        if inner.coupons.lose_answer.remove(&Platform::Shopify) {
                            return Some(Err(
                                json!([{ "message": "Internal error. Looks like something went wrong on our end.",
                                "extensions": { "code": "INTERNAL_SERVER_ERROR" } }]),
                            ));
                        }
                        json!({ "codeDiscountNode": { "id": c.id, "codeDiscount": { "asyncUsageCount": 0, "title": format!("Recupero {}", c.code) } }, "userErrors": [] })
                    }
                }
                _ => {
                    let id = var("id");
                    if inner.coupons.delete(Platform::Shopify, id.as_str().unwrap_or_default()) {
                        json!({ "deletedCodeDiscountId": id, "userErrors": [] })
                    } else {
                        json!({ "deletedCodeDiscountId": null, "userErrors": [user_error(&["id"], "Discount does not exist", None)] })
                    }
                }
            }
        }
        _ => return None,
    };
    if full.is_null() {
        return Some(Ok(Value::Null));
    }
    Some(
        graphql::prune(&full, &field.selection, &field.name)
            .map_err(|e| json!([{ "message": e, "extensions": { "code": "undefinedField" } }])),
    )
}

/// An order's use of a coupon at `at`: refused (false) when the store would refuse it.
fn redeem(coupons: &mut Coupons, platform: Platform, code: &str, at: DateTime<Utc>) -> bool {
    let Some(c) = coupons
        .items
        .iter_mut()
        .find(|c| c.platform == platform && !c.deleted && c.code.eq_ignore_ascii_case(code))
    else {
        return false;
    };
    let ended = c.ends_at.as_deref().is_some_and(|end| {
        crate::domain::time::parse_time(end)
            .or_else(|_| crate::domain::time::parse_time(&format!("{end}Z")))
            .or_else(|_| crate::domain::time::parse_time(&format!("{end}T23:59:59Z")))
            .is_ok_and(|end| at > end)
    });
    if ended || c.max_uses.is_some_and(|m| c.uses >= m) {
        return false;
    }
    c.uses += 1;
    true
}

impl Sandbox {
    /// Takes the coupon permission away from (or gives it back to) a platform's app.
    pub fn deny_coupons(&self, platform: Platform, denied: bool) {
        let mut inner = self.shared.lock();
        if denied {
            inner.coupons.denied.insert(platform);
        } else {
            inner.coupons.denied.remove(&platform);
        }
    }

    /// The next coupon creation on `platform` is kept by the store but its answer is lost.
    pub fn lose_next_coupon_answer(&self, platform: Platform) {
        self.shared.lock().coupons.lose_answer.insert(platform);
    }

    /// Runs `hook` as each coupon creation request arrives on Tiendanube and WooCommerce, before
    /// the store answers it (the tests' "meanwhile"); `None` removes it.
    pub fn on_coupon_create(&self, hook: Option<Arc<dyn Fn() + Send + Sync>>) {
        self.shared.lock().coupons.on_create = hook.map(CreateHook);
    }

    /// The next coupon creation on `platform` (Tiendanube) is kept by the store but answered
    /// with a refusal (422).
    pub fn refuse_next_coupon_answer(&self, platform: Platform) {
        self.shared.lock().coupons.refuse_answer.insert(platform);
    }

    /// Every coupon a platform's store holds or held (deleted ones flagged).
    pub fn coupons(&self, platform: Platform) -> Vec<SandboxCoupon> {
        self.shared.lock().coupons.items.iter().filter(|c| c.platform == platform).cloned().collect()
    }

    /// An order applies `code` now (the sandbox's clock): `false` when the store refuses it
    /// (unknown, deleted, used up or ended).
    pub fn redeem_coupon(&self, platform: Platform, code: &str) -> bool {
        let now = self.shared.now();
        redeem(&mut self.shared.lock().coupons, platform, code, now)
    }
}
