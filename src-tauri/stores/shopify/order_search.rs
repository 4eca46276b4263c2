//! Shopify's side of [`crate::stores::orders`]: the orders created since a checkout, read with
//! `orders(first, after, query: "created_at:>='…'", sortKey: CREATED_AT)` and described by the
//! phones (the order's own, its shipping and billing addresses') and the email they carry.
//! `Order.email`, `Order.phone` and `cancelledAt` are UNCONFIRMED against a live schema.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::json::{Address, Connection};
use super::Shopify;
use crate::domain::time::optional_time;
use crate::stores::first_present;
use crate::stores::orders::{OrderPage, OrderSeen};
use crate::stores::StoreError;

/// Orders read per page when looking for a purchase through a fresh checkout: each costs 3
/// points (the order and its two addresses), so a page costs about 300 of the 1000 allowed.
const ORDERS_PER_PAGE: u32 = 100;

pub(super) fn orders_query() -> String {
    "query RecuperoOrders($first: Int!, $after: String, $query: String) { \
     orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) { \
     pageInfo { hasNextPage endCursor } \
     nodes { id name createdAt processedAt cancelledAt email phone \
       shippingAddress { phone countryCodeV2 } billingAddress { phone countryCodeV2 } } } }"
        .to_string()
}

#[derive(Debug, Deserialize)]
struct OrdersData {
    orders: Connection,
}

/// An order as the orders query selects it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderNode {
    id: String,
    name: Option<String>,
    created_at: Option<String>,
    processed_at: Option<String>,
    cancelled_at: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    shipping_address: Option<Address>,
    billing_address: Option<Address>,
}

impl OrderNode {
    fn seen(self) -> OrderSeen {
        let (shipping, billing) = (self.shipping_address.as_ref(), self.billing_address.as_ref());
        let country = first_present([
            shipping.and_then(|a| a.country_code_v2.as_deref()),
            billing.and_then(|a| a.country_code_v2.as_deref()),
        ])
        .map(String::from);
        let phones = [
            self.phone.as_deref(),
            shipping.and_then(|a| a.phone.as_deref()),
            billing.and_then(|a| a.phone.as_deref()),
        ]
        .into_iter()
        .flatten()
        .map(String::from)
        .collect();
        let at = self.processed_at.as_deref().or(self.created_at.as_deref());
        OrderSeen {
            id: self
                .name
                .clone()
                .unwrap_or_else(|| self.id.rsplit('/').next().unwrap_or_default().to_string()),
            phones,
            email: self.email,
            country,
            counts: self.cancelled_at.as_deref().is_none_or(|c| c.trim().is_empty()),
            at: optional_time(at).ok().flatten(),
        }
    }
}

impl Shopify {
    /// One page of the orders created since `since`, after the cursor `after`. An order that
    /// can't be read is left out (it can't be told apart from anyone else's).
    pub(super) async fn order_page(
        &self,
        since: DateTime<Utc>,
        after: Option<String>,
    ) -> Result<OrderPage<Option<String>>, StoreError> {
        let variables = json!({
            "first": ORDERS_PER_PAGE,
            "after": after,
            "query": format!("created_at:>='{}'", since.format("%Y-%m-%dT%H:%M:%SZ")),
        });
        let (data, _): (OrdersData, _) = self.graphql(&orders_query(), variables).await?;
        let connection = data.orders;
        let orders = connection
            .nodes
            .into_iter()
            .filter_map(|value| serde_json::from_value::<OrderNode>(value).ok())
            .map(OrderNode::seen)
            .collect();
        let next =
            connection.page_info.has_next_page.then_some(connection.page_info.end_cursor).flatten().map(Some);
        Ok(OrderPage { orders, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_orders_query_names_every_field_read() {
        let orders = orders_query();
        for field in
            ["orders(first: $first", "sortKey: CREATED_AT", "cancelledAt", "countryCodeV2", "email phone"]
        {
            assert!(orders.contains(field), "{field} missing from {orders}");
        }
    }

    #[test]
    fn an_order_is_described_by_every_phone_and_its_email() {
        let node: OrderNode = serde_json::from_value(json!({
            "id": "gid://shopify/Order/77", "name": null, "createdAt": "2026-11-16T13:00:00Z",
            "processedAt": null, "cancelledAt": "2026-11-16T14:00:00Z", "email": "ana@example.com",
            "phone": null, "shippingAddress": {"phone": "011 15-6000-0001", "countryCodeV2": "AR"},
            "billingAddress": null,
        }))
        .unwrap();
        let seen = node.seen();
        assert_eq!(seen.id, "77");
        assert_eq!(seen.phones, ["011 15-6000-0001"]);
        assert_eq!(seen.country.as_deref(), Some("AR"));
        assert!(!seen.counts, "a cancelled order is no purchase");
        assert!(seen.at.is_some());
    }
}
