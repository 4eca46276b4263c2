//! PrestaShop's webservice as documented: `/api/{resource}[/{id}]` with `output_format=JSON`,
//! the webservice key as the HTTP Basic user (empty password) or `ws_key=`; `display`,
//! `filter[field]=[a|b]` (any of) and `[a,b]` (interval; dates with `date=1`), `sort=[f_ASC]`,
//! `limit=offset,count`; an empty list answered `[]`. Resources served: `carts`, `addresses`,
//! `customers`, `countries`, `currencies`, `products`, `orders`, `configurations`
//! (`PS_TIMEZONE` = Europe/Madrid: every date is Madrid's local time, without an offset; or
//! `[]` after [`Sandbox::hide_prestashop_timezone`](super::Sandbox::hide_prestashop_timezone), or
//! 401 for a key not granted it after [`Sandbox::deny_prestashop_configurations`](super::Sandbox::deny_prestashop_configurations)).
//! A sandbox checkout is a cart of a registered customer whose delivery address holds the phone
//! (`phone_mobile`, or `phone`); once completed, an order with its `id_cart` exists. No
//! rate limit (none is documented); faults are served on the carts list.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::catalog::{PhoneField, SandboxCheckout};
use super::{fault_response, json_response, param, query_pairs, truncate, Fault, Shared};
use crate::stores::Platform;

const TZ: chrono_tz::Tz = chrono_tz::Europe::Madrid;
const COUNTRIES: [&str; 9] = ["AR", "BR", "MX", "CL", "CO", "ES", "UY", "PE", "US"];
const CURRENCIES: [&str; 9] = ["ARS", "BRL", "MXN", "CLP", "COP", "EUR", "UYU", "PEN", "USD"];
const ORDER_IDS: u64 = 500_000;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/api/{resource}", get(list)).route("/api/{resource}/{id}", get(one))
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&TZ).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn from_local(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    TZ.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

fn errors(status: StatusCode, code: u32, message: &str) -> Response {
    json_response(status, vec![], json!({ "errors": [{ "code": code, "message": message }] }).to_string())
}

fn authorized(shared: &Shared, headers: &HeaderMap, pairs: &[(String, String)]) -> bool {
    let key = &shared.config.prestashop_key;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|pair| pair == format!("{key}:"));
    basic || param(pairs, "ws_key") == Some(key.as_str())
}

fn index_of(all: &[&str], code: &str) -> usize {
    all.iter().position(|c| *c == code).map_or(0, |i| i + 1)
}

fn cart(c: &SandboxCheckout, now: DateTime<Utc>) -> Value {
    let rows: Vec<Value> = (0..c.items.len())
        .map(|n| {
            json!({ "id_product": (c.id * 100 + n as u64).to_string(), "id_product_attribute": "0",
            "id_address_delivery": c.id.to_string(), "id_customization": "0",
            "quantity": c.items[n].quantity.to_string() })
        })
        .collect();
    json!({
        "id": c.id, "id_address_delivery": c.id.to_string(), "id_address_invoice": c.id.to_string(),
        "id_currency": index_of(&CURRENCIES, c.currency).to_string(), "id_customer": c.id.to_string(),
        "id_guest": "0", "id_lang": "1", "id_shop_group": "1", "id_shop": "1", "id_carrier": "0",
        "recyclable": "0", "gift": "0", "gift_message": "", "mobile_theme": "0", "delivery_option": "",
        "secure_key": format!("{:x}", c.id * 7919), "allow_seperated_package": "0",
        "date_add": local(c.created_at), "date_upd": local(c.updated_at(now)),
        "associations": { "cart_rows": rows },
    })
}

fn address(c: &SandboxCheckout) -> Value {
    let (mobile, landline) = match c.phone_in {
        PhoneField::Shipping => (None, c.phone.as_deref()),
        PhoneField::Customer | PhoneField::Billing => (c.phone.as_deref(), None),
    };
    json!({
        "id": c.id, "id_customer": c.id.to_string(), "id_manufacturer": "0", "id_supplier": "0",
        "id_warehouse": "0", "id_country": index_of(&COUNTRIES, c.country).to_string(), "id_state": "0",
        "alias": "Mi dirección", "company": "", "lastname": c.last_name, "firstname": c.first_name,
        "vat_number": "", "address1": "Calle Mayor 12", "address2": "", "postcode": "28013", "city": "Madrid",
        "other": "", "phone": landline.unwrap_or_default(), "phone_mobile": mobile.unwrap_or_default(),
        "dni": "", "deleted": "0",
    })
}

fn customer(c: &SandboxCheckout) -> Value {
    json!({ "id": c.id, "email": c.email, "firstname": c.first_name, "lastname": c.last_name,
        "id_lang": "1", "is_guest": "0", "active": "1", "newsletter": "0", "optin": "0" })
}

fn order(c: &SandboxCheckout, at: DateTime<Utc>) -> Value {
    json!({ "id": ORDER_IDS + c.id, "id_cart": c.id.to_string(), "id_customer": c.id.to_string(),
        "id_address_delivery": c.id.to_string(), "id_address_invoice": c.id.to_string(),
        "id_currency": index_of(&CURRENCIES, c.currency).to_string(), "current_state": "2", "valid": "1",
        "payment": "Tarjeta", "total_paid": c.total().to_string(), "date_add": local(at), "date_upd": local(at) })
}

/// `[a|b|c]` → the values; `[a,b]` → the interval's ends.
fn any_of(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split('|')
        .map(|s| s.trim().to_string())
        .collect()
}

fn interval(text: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let (a, b) = inner.split_once(',')?;
    Some((from_local(a)?, from_local(b)?))
}

fn limit(pairs: &[(String, String)]) -> Option<(usize, usize)> {
    match param(pairs, "limit") {
        None => Some((0, usize::MAX)),
        Some(text) => match text.split_once(',') {
            Some((o, n)) => Some((o.trim().parse().ok()?, n.trim().parse().ok()?)),
            None => Some((0, text.trim().parse().ok()?)),
        },
    }
}

/// An empty list is `[]`; otherwise `{resource: [...]}`.
fn listing(resource: &str, items: Vec<Value>) -> String {
    if items.is_empty() {
        "[]".into()
    } else {
        json!({ resource: items }).to_string()
    }
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Path(resource): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let response = list_inner(&shared, &resource, &query, &headers);
    let masked: Vec<String> = query
        .split('&')
        .map(|p| if p.starts_with("ws_key=") { "ws_key=***".to_string() } else { p.to_string() })
        .collect();
    let path = format!("/api/{resource}");
    shared.record(
        Platform::Prestashop,
        "GET",
        &path,
        &masked.join("&"),
        &headers,
        response.status().as_u16(),
    );
    response
}

fn list_inner(shared: &Shared, resource: &str, query: &str, headers: &HeaderMap) -> Response {
    let pairs = query_pairs(query);
    if !authorized(shared, headers, &pairs) {
        return errors(StatusCode::UNAUTHORIZED, 18, "Invalid authentication key");
    }
    if param(&pairs, "output_format") != Some("JSON") {
        return json_response(StatusCode::OK, vec![], "<?xml version=\"1.0\"?><prestashop/>".into());
    }
    let Some((skip, take)) = limit(&pairs) else {
        return errors(StatusCode::BAD_REQUEST, 33, "The 'limit' parameter has a bad value");
    };
    let now = shared.now();
    let filter = |name: &str| param(&pairs, &format!("filter[{name}]")).map(any_of);
    let ids: Option<Vec<u64>> = filter("id").map(|v| v.iter().filter_map(|s| s.parse().ok()).collect());
    let ps = Platform::Prestashop;
    let by_ids = |render: &dyn Fn(&SandboxCheckout) -> Value| -> Vec<Value> {
        let wanted = ids.clone().unwrap_or_default();
        wanted
            .iter()
            .filter_map(|id| shared.find(ps, *id))
            .filter(|c| c.created_at <= now)
            .map(|c| render(&c))
            .collect()
    };
    let items = match resource {
        "carts" => {
            let fault = shared.take_fault(ps);
            if let Some(response) = fault.as_ref().and_then(fault_response) {
                return response;
            }
            if param(&pairs, "filter[date_upd]").is_some() && param(&pairs, "date") != Some("1") {
                return errors(StatusCode::BAD_REQUEST, 31, "Cannot filter dates without date=1");
            }
            let Some((from, to)) = param(&pairs, "filter[date_upd]")
                .map_or(Some((DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)), interval)
            else {
                return errors(StatusCode::BAD_REQUEST, 32, "Bad date interval");
            };
            // Whole seconds, as the shop stores them.
            let second = |t: DateTime<Utc>| from_local(&local(t)).unwrap_or(t);
            let (_, page) = shared.page_by_key(
                ps,
                |c| {
                    let upd = second(c.updated_at(now));
                    (c.created_at <= now && upd >= from && upd <= to).then_some(upd)
                },
                skip,
                take,
                false,
            );
            let mut body: Vec<Value> = page.iter().map(|c| cart(c, now)).collect();
            if fault == Some(Fault::MalformedItem) {
                if let Some(first) = body.first_mut() {
                    first["associations"]["cart_rows"][0]["quantity"] = json!("dos");
                }
            }
            let mut text = listing("carts", body);
            if fault == Some(Fault::MalformedPage) {
                text = truncate(&text);
            }
            return json_response(StatusCode::OK, vec![], text);
        }
        "addresses" => by_ids(&address),
        "customers" => by_ids(&customer),
        "countries" | "currencies" => {
            let codes: &[&str] = if resource == "countries" { &COUNTRIES } else { &CURRENCIES };
            let wanted = ids.clone().unwrap_or_default();
            wanted
                .iter()
                .filter_map(|id| {
                    codes
                        .get((*id as usize).checked_sub(1)?)
                        .map(|code| json!({ "id": id, "iso_code": code }))
                })
                .collect()
        }
        "products" => {
            let wanted = ids.clone().unwrap_or_default();
            wanted
                .iter()
                .filter_map(|pid| {
                    let c = shared.find(ps, pid / 100)?;
                    let item = c.items.get((pid % 100) as usize)?;
                    let name = match &item.variant {
                        Some(v) => format!("{} - {v}", item.name),
                        None => item.name.clone(),
                    };
                    Some(json!({ "id": pid, "price": format!("{:.6}", item.unit_price),
                        "name": [{ "id": "1", "value": name }, { "id": "2", "value": name }] }))
                })
                .collect()
        }
        "orders" => {
            let paid: Vec<(SandboxCheckout, DateTime<Utc>)> = shared
                .select(ps, |c| c.completed_at(now).is_some())
                .into_iter()
                .filter_map(|c| c.completed_at(now).map(|t| (c, t)))
                .collect();
            let carts = filter("id_cart");
            let dates = param(&pairs, "filter[date_add]").and_then(interval);
            let mut found: Vec<&(SandboxCheckout, DateTime<Utc>)> = paid
                .iter()
                .filter(|(c, _)| carts.as_ref().is_none_or(|ids| ids.contains(&c.id.to_string())))
                .filter(|(_, at)| dates.is_none_or(|(a, b)| *at >= a && *at <= b))
                .collect();
            found.sort_by_key(|(c, at)| (*at, c.id));
            found.into_iter().skip(skip).take(take).map(|(c, at)| order(c, *at)).collect()
        }
        "configurations" => {
            if shared.lock().prestashop_configurations_denied {
                let message =
                    "Resource of type \"configurations\" is not allowed with this authentication key";
                return errors(StatusCode::UNAUTHORIZED, 26, message);
            }
            let names = filter("name").unwrap_or_default();
            if names.iter().any(|n| n == "PS_TIMEZONE") && !shared.lock().prestashop_timezone_hidden {
                vec![json!({ "id": 211, "name": "PS_TIMEZONE", "value": TZ.name() })]
            } else {
                Vec::new()
            }
        }
        _ => return errors(StatusCode::NOT_FOUND, 22, "Resource of type does not exists"),
    };
    json_response(StatusCode::OK, vec![], listing(resource, items))
}

impl super::Sandbox {
    /// `configurations` answers `[]` for `PS_TIMEZONE` while `hidden` (a shop whose setting the
    /// webservice doesn't give); the dates stay Madrid's.
    pub fn hide_prestashop_timezone(&self, hidden: bool) {
        self.shared.lock().prestashop_timezone_hidden = hidden;
    }

    /// The webservice key is not granted `configurations`: PrestaShop answers 401 with error 26
    /// ("Resource of type … is not allowed with this authentication key"), carts still listed.
    pub fn deny_prestashop_configurations(&self, denied: bool) {
        self.shared.lock().prestashop_configurations_denied = denied;
    }
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path((resource, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = query_pairs(&query);
    let now = shared.now();
    let response = if !authorized(&shared, &headers, &pairs) {
        errors(StatusCode::UNAUTHORIZED, 18, "Invalid authentication key")
    } else {
        let found = id
            .parse()
            .ok()
            .and_then(|n| shared.find(Platform::Prestashop, n))
            .filter(|c| c.created_at <= now);
        match (resource.as_str(), found) {
            ("carts", Some(c)) => {
                json_response(StatusCode::OK, vec![], json!({ "cart": cart(&c, now) }).to_string())
            }
            _ => errors(StatusCode::NOT_FOUND, 87, &format!("Id(s) not exists: {id}")),
        }
    };
    let path = format!("/api/{resource}/{id}");
    shared.record(Platform::Prestashop, "GET", &path, "", &headers, response.status().as_u16());
    response
}
