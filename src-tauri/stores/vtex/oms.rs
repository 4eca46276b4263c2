//! OMS orders, for purchases made through a fresh checkout: `GET /api/oms/pvt/orders` with
//! `f_creationDate=creationDate:[A TO B]`, `q` (the customer's email), `page`, `per_page` ≤ 100;
//! the list names no customer, so each listed order is read by id
//! (`GET /api/oms/pvt/orders/{orderId}`) for `clientProfileData.email`/`phone` and the shipping
//! country (three letters). The key's role needs `ListOrders` + `OMSViewer` (stores.md §5).
//! UNCONFIRMED: whether `q` also matches phones (a purchase under another email with the same
//! phone is therefore not seen), and which endpoints mask emails (`…@ct.vtex.com.br`).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Vtex;
use crate::domain::time::optional_time;
use crate::stores::http;
use crate::stores::orders::{OrderPage, OrderSeen};
use crate::stores::StoreError;

impl Vtex {
    /// Page `number` of the orders created since `since` (by `email` when known), each read by id.
    pub(super) async fn orders_page(
        &self,
        email: Option<&str>,
        since: DateTime<Utc>,
        number: u32,
    ) -> Result<OrderPage<u32>, StoreError> {
        let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut url = self.config.url(&["api", "oms", "pvt", "orders"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair(
                "f_creationDate",
                &format!("creationDate:[{} TO {}]", stamp(since), stamp(self.clock.now())),
            )
            .append_pair("orderBy", "creationDate,asc")
            .append_pair("page", &number.to_string())
            .append_pair("per_page", "100");
            if let Some(email) = email {
                q.append_pair("q", email.trim());
            }
        }
        let list: OrderList = http::json(&self.get(url, None).await?.body)?;
        let mut orders = Vec::with_capacity(list.list.len());
        for listed in list.list {
            let Ok(listed) = serde_json::from_value::<Listed>(listed) else { continue };
            let url = self.config.url(&["api", "oms", "pvt", "orders", &listed.order_id]);
            if let Some(reply) = http::found(self.get(url, None).await)? {
                if let Ok(order) = serde_json::from_slice::<Order>(&reply.body) {
                    orders.push(order.seen());
                }
            }
        }
        let pages = list.paging.and_then(|p| p.pages).unwrap_or(number);
        Ok(OrderPage { orders, next: (pages > number).then_some(number + 1) })
    }
}

/// One order of the OMS list (`GET /api/oms/pvt/orders`): it names no customer.
#[derive(Debug, Deserialize)]
pub(super) struct Listed {
    #[serde(rename = "orderId")]
    pub(super) order_id: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct OrderList {
    #[serde(default)]
    pub(super) list: Vec<serde_json::Value>,
    pub(super) paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Paging {
    pub(super) pages: Option<u32>,
}

/// One order read by id (`GET /api/oms/pvt/orders/{orderId}`), only for who placed it.
#[derive(Debug, Deserialize)]
pub(super) struct Order {
    #[serde(rename = "orderId")]
    order_id: String,
    status: Option<String>,
    #[serde(rename = "creationDate")]
    creation_date: Option<String>,
    #[serde(rename = "clientProfileData")]
    client: Option<Profile>,
    #[serde(rename = "shippingData")]
    shipping: Option<Shipping>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Shipping {
    address: Option<Address>,
}

#[derive(Debug, Deserialize)]
struct Address {
    country: Option<String>,
}

/// VTEX addresses name the country in three letters (`BRA`).
fn alpha2(code: &str) -> Option<&'static str> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "BRA" | "BR" => "BR",
        "ARG" | "AR" => "AR",
        "COL" | "CO" => "CO",
        "PER" | "PE" => "PE",
        "CHL" | "CL" => "CL",
        "MEX" | "MX" => "MX",
        "URY" | "UY" => "UY",
        "ECU" | "EC" => "EC",
        "USA" | "US" => "US",
        "ESP" | "ES" => "ES",
        _ => return None,
    })
}

impl Order {
    pub(super) fn seen(self) -> OrderSeen {
        let status = self.status.unwrap_or_default();
        let (phones, email) = match self.client {
            Some(p) => (p.phone.into_iter().collect(), p.email),
            None => (Vec::new(), None),
        };
        OrderSeen {
            id: self.order_id,
            phones,
            email,
            country: self
                .shipping
                .and_then(|s| s.address)
                .and_then(|a| a.country)
                .as_deref()
                .and_then(alpha2)
                .map(String::from),
            // Cancelled orders and checkouts never placed are no purchase.
            counts: !(status.starts_with("cancel") || status == "incomplete"),
            at: optional_time(self.creation_date.as_deref()).ok().flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_countries_in_three_letters() {
        assert_eq!(alpha2("bra"), Some("BR"));
        assert_eq!(alpha2("PER"), Some("PE"));
        assert_eq!(alpha2("XYZ"), None);
    }
}
