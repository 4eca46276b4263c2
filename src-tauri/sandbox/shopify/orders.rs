//! Shopify's `orders(first, after, query, sortKey)` in the sandbox: the orders of completed
//! checkouts and the fresh-checkout orders of `Sandbox::add_order`, oldest first, filtered by
//! `created_at` comparisons in `query`, cursor-paged, answering only the selected fields.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::{compare, money, resolve, split_term, time};
use crate::domain::time::parse_time;
use crate::sandbox::catalog::PhoneField;
use crate::sandbox::graphql;
use crate::sandbox::{NewOrder, Shared};
use crate::stores::Platform;

const ORDER_GID: &str = "gid://shopify/Order/";
/// Orders of completed checkouts get ids of their own, apart from the checkouts'.
const ORDER_IDS_FROM: u64 = 100_000_000_000;

/// An order as the sandbox knows it: a completed checkout's, or a fresh checkout's.
struct ShopOrder {
    id: u64,
    created_at: DateTime<Utc>,
    first_name: String,
    /// (contact, shipping, billing) phones.
    phones: [Option<String>; 3],
    email: Option<String>,
    country: &'static str,
    currency: &'static str,
    total: String,
}

/// Every order placed by `now`, oldest first (ties by id).
fn all_orders(shared: &Shared, now: DateTime<Utc>) -> Vec<ShopOrder> {
    let mut orders: Vec<ShopOrder> = shared
        .select(Platform::Shopify, |c| c.completed_at(now).is_some())
        .into_iter()
        .map(|c| {
            let phone = |field: PhoneField| if c.phone_in == field { c.phone.clone() } else { None };
            ShopOrder {
                id: ORDER_IDS_FROM + c.id,
                created_at: c.completed_at(now).unwrap_or(c.created_at),
                phones: [
                    phone(PhoneField::Customer),
                    phone(PhoneField::Shipping),
                    phone(PhoneField::Billing),
                ],
                email: Some(c.email.clone()).filter(|e| !e.is_empty()),
                country: c.country,
                currency: c.currency,
                total: c.total().to_string(),
                first_name: c.first_name,
            }
        })
        .collect();
    orders.extend(shared.extra_orders(Platform::Shopify, now).into_iter().map(|o| {
        let NewOrder { phone, email, country, created_at } = o.order;
        // Bought with the email as contact: the phone is the shipping address's.
        ShopOrder {
            id: o.id,
            created_at,
            first_name: "Cliente".into(),
            phones: [None, phone, None],
            email,
            country,
            currency: "ARS",
            total: "25990.00".into(),
        }
    }));
    orders.sort_by_key(|o| (o.created_at, o.id));
    orders
}

/// The full `Order` object (the fields the sandbox knows); the selection picks from it.
fn render_order(o: &ShopOrder) -> Value {
    let address = |phone: &Option<String>| {
        json!({
            "firstName": o.first_name, "phone": phone, "address1": "Av. Corrientes 1234", "city": "Buenos Aires",
            "country": o.country, "countryCodeV2": o.country, "zip": "1043",
        })
    };
    json!({
        "id": format!("{ORDER_GID}{}", o.id), "legacyResourceId": o.id.to_string(),
        "name": format!("#{}", 1000 + o.id % 100_000), "createdAt": time(o.created_at),
        "processedAt": time(o.created_at), "updatedAt": time(o.created_at), "cancelledAt": null,
        "closed": false, "test": false, "email": o.email, "phone": o.phones[0],
        "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "UNFULFILLED", "currencyCode": o.currency,
        "totalPriceSet": money(o.total.clone(), o.currency),
        "customer": { "id": format!("gid://shopify/Customer/{}", o.id / 3), "firstName": o.first_name,
            "defaultEmailAddress": o.email.as_ref().map(|e| json!({ "emailAddress": e })),
            "defaultPhoneNumber": o.phones[0].as_ref().map(|p| json!({ "phoneNumber": p })) },
        "shippingAddress": address(&o.phones[1]),
        "billingAddress": address(&o.phones[2]),
    })
}

/// `orders(first, after, query, sortKey)`: oldest first, `created_at` comparisons in `query`.
pub(super) fn list(
    shared: &Shared,
    now: DateTime<Utc>,
    field: &graphql::Field,
    variables: &Value,
) -> Result<Value, String> {
    let first = resolve(field.arg("first"), variables).and_then(|v| v.as_u64()).ok_or("first is required")?;
    if first == 0 || first > 250 {
        return Err("first must be between 1 and 250".into());
    }
    let after = match resolve(field.arg("after"), variables).as_ref().and_then(Value::as_str) {
        None => None,
        Some(cursor) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("order:").and_then(|n| n.parse::<u64>().ok()))
                .ok_or("invalid cursor")?,
        ),
    };
    let query =
        resolve(field.arg("query"), variables).and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    let mut bounds = Vec::new();
    for term in query.split_whitespace() {
        match split_term(term)? {
            ("created_at", op, value) => bounds.push((op, parse_time(value)?)),
            (other, _, _) => return Err(format!("unsupported search field {other}")),
        }
    }
    let orders: Vec<ShopOrder> = all_orders(shared, now)
        .into_iter()
        .filter(|o| bounds.iter().all(|(op, t)| compare(op, o.created_at, *t)))
        .collect();
    let start = match after {
        None => 0,
        Some(id) => orders.iter().position(|o| o.id == id).map_or(orders.len(), |i| i + 1),
    };
    let page: Vec<&ShopOrder> = orders[start..].iter().take(first as usize).collect();
    let more = orders.len() > start + page.len();
    let end =
        page.last().map(|o| base64::engine::general_purpose::STANDARD.encode(format!("order:{}", o.id)));
    let full = json!({
        "nodes": page.iter().map(|o| render_order(o)).collect::<Vec<_>>(),
        "edges": [],
        "pageInfo": { "hasNextPage": more, "hasPreviousPage": start > 0, "endCursor": end, "startCursor": null },
    });
    graphql::prune(&full, &field.selection, "OrderConnection")
}
