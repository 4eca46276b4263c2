//! Shopify's GraphQL shapes (the answer envelope with its cost extension, the checkout node,
//! the token grant) and the reading of a checkout node into a [`Cart`](crate::domain::Cart),
//! with the customer's email kept to match orders.

use serde::Deserialize;

use crate::domain::time::{optional_time, parse_time};
use crate::stores::completion::ReadCheckout;
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::StoreConfig;

#[derive(Debug, Deserialize)]
pub(crate) struct GqlResponse<T> {
    pub(crate) data: Option<T>,
    #[serde(default)]
    pub(crate) errors: Vec<GqlError>,
    pub(crate) extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlError {
    pub(crate) message: String,
    pub(crate) extensions: Option<GqlErrorExt>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GqlErrorExt {
    pub(crate) code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Extensions {
    pub(super) cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Cost {
    pub(super) requested_query_cost: Option<f64>,
    pub(super) throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ThrottleStatus {
    pub(super) currently_available: f64,
    pub(super) restore_rate: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListData {
    pub(crate) abandoned_checkouts: Connection,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection {
    pub(crate) page_info: PageInfo,
    pub(crate) nodes: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub(crate) has_next_page: bool,
    pub(crate) end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct NodeData {
    pub(super) node: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Node {
    pub(super) id: String,
    pub(super) created_at: String,
    pub(super) updated_at: Option<String>,
    pub(super) completed_at: Option<String>,
    pub(super) abandoned_checkout_url: Option<String>,
    pub(super) total_price_set: MoneyBag,
    pub(super) customer: Option<Customer>,
    pub(super) shipping_address: Option<Address>,
    pub(super) billing_address: Option<Address>,
    pub(super) line_items: Option<LineItems>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MoneyBag {
    pub(super) presentment_money: MoneyV2,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MoneyV2 {
    pub(super) amount: Scalar,
    pub(super) currency_code: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Customer {
    pub(super) first_name: Option<String>,
    pub(super) locale: Option<String>,
    pub(super) default_phone_number: Option<PhoneNumber>,
    pub(super) default_email_address: Option<EmailAddress>,
    pub(super) sms_marketing_consent: Option<Consent>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhoneNumber {
    pub(super) phone_number: Option<String>,
    /// From API 2026-07 (selected only there).
    pub(super) whats_app_marketing_consent: Option<ChannelConsent>,
}

/// A channel's consent in the 2026-07 model (`CustomerMarketingConsent`).
#[derive(Debug, Deserialize)]
pub(super) struct ChannelConsent {
    pub(super) state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EmailAddress {
    pub(super) email_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Consent {
    pub(super) marketing_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Address {
    pub(super) first_name: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) country_code_v2: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct LineItems {
    pub(super) nodes: Vec<LineItemNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LineItemNode {
    pub(super) title: Option<String>,
    pub(super) variant_title: Option<String>,
    pub(super) quantity: Scalar,
    pub(super) image: Option<ImageNode>,
    pub(super) original_unit_price_set: MoneyBag,
}

#[derive(Debug, Deserialize)]
pub(super) struct ImageNode {
    pub(super) url: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TokenReply {
    pub(super) access_token: String,
    pub(super) expires_in: Option<i64>,
}

pub(super) const GID_PREFIX: &str = "gid://shopify/AbandonedCheckout/";

/// `gid://shopify/AbandonedCheckout/123` is shown and stored as `123`.
pub(crate) fn short_id(gid: &str) -> &str {
    gid.strip_prefix(GID_PREFIX).unwrap_or(gid)
}

fn consent(state: Option<&str>) -> Option<bool> {
    match state? {
        "SUBSCRIBED" => Some(true),
        "NOT_SUBSCRIBED" | "UNSUBSCRIBED" | "REDACTED" | "INVALID" => Some(false),
        _ => None,
    }
}

impl Node {
    /// The cart, and the customer's email (kept only to match orders).
    pub(crate) fn read(value: serde_json::Value, config: &StoreConfig) -> Result<ReadCheckout, String> {
        let n: Node = serde_json::from_value(value).map_err(|e| format!("unexpected checkout: {e}"))?;
        let email = n.customer.as_ref().and_then(|c| c.default_email_address.as_ref()?.email_address.clone());
        let total = &n.total_price_set.presentment_money;
        let currency = total.currency_code.trim();
        let items = n
            .line_items
            .iter()
            .flat_map(|l| &l.nodes)
            .map(|l| {
                let quantity = fields::quantity(&l.quantity)?;
                let price = &l.original_unit_price_set.presentment_money;
                if price.currency_code.trim() != currency {
                    return Err(format!("line priced in {} in a {currency} checkout", price.currency_code));
                }
                let price = fields::money(&price.amount, currency)?;
                let image = l.image.as_ref().and_then(|i| i.url.as_deref());
                fields::line_item(
                    l.title.as_deref().unwrap_or_default(),
                    l.variant_title.as_deref(),
                    quantity,
                    price,
                    image,
                )
            })
            .collect::<Result<Vec<_>, String>>()?;
        let customer = n.customer.as_ref();
        let (shipping, billing) = (n.shipping_address.as_ref(), n.billing_address.as_ref());
        let named = first_present([
            shipping.and_then(|a| a.country_code_v2.as_deref()),
            billing.and_then(|a| a.country_code_v2.as_deref()),
        ]);
        let created_at = parse_time(&n.created_at)?;
        fields::cart(Parts {
            store: config.id,
            id: short_id(&n.id),
            name: first_present([
                customer.and_then(|c| c.first_name.as_deref()),
                shipping.and_then(|a| a.first_name.as_deref()),
                billing.and_then(|a| a.first_name.as_deref()),
            ]),
            language: customer.and_then(|c| c.locale.as_deref()),
            // The query selects one of the two: WhatsApp's from 2026-07, SMS's before it.
            consent: consent(customer.and_then(|c| {
                let whatsapp =
                    c.default_phone_number.as_ref().and_then(|p| p.whats_app_marketing_consent.as_ref());
                whatsapp.map(|w| w.state.as_deref()).unwrap_or_else(|| {
                    c.sms_marketing_consent.as_ref().and_then(|s| s.marketing_state.as_deref())
                })
            })),
            phone: first_present([
                customer.and_then(|c| c.default_phone_number.as_ref()?.phone_number.as_deref()),
                shipping.and_then(|a| a.phone.as_deref()),
                billing.and_then(|a| a.phone.as_deref()),
            ]),
            country: fields::country(named, &config.country),
            items,
            total: fields::money(&total.amount, currency)?,
            link: n.abandoned_checkout_url.as_deref().unwrap_or_default(),
            created_at,
            updated_at: optional_time(n.updated_at.as_deref())?.unwrap_or(created_at),
            completed_at: optional_time(n.completed_at.as_deref())?,
        })
        .map(|cart| ReadCheckout { cart, email })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_consent_states_are_read() {
        assert_eq!(short_id("gid://shopify/AbandonedCheckout/42"), "42");
        assert_eq!(short_id("odd"), "odd");
        assert_eq!(consent(Some("SUBSCRIBED")), Some(true));
        assert_eq!(consent(Some("UNSUBSCRIBED")), Some(false));
        assert_eq!(consent(Some("PENDING")), None);
        assert_eq!(consent(None), None);
    }

    fn checkout(customer: serde_json::Value) -> serde_json::Value {
        serde_json::json!({
            "id": "gid://shopify/AbandonedCheckout/7", "name": "#7", "createdAt": "2026-11-20T10:00:00Z",
            "updatedAt": "2026-11-20T10:05:00Z", "completedAt": null, "abandonedCheckoutUrl": "https://s.example/r",
            "totalPriceSet": {"presentmentMoney": {"amount": "10.00", "currencyCode": "ARS"}},
            "customer": customer, "shippingAddress": null, "billingAddress": null,
            "lineItems": {"nodes": []},
        })
    }

    #[test]
    fn the_whatsapp_consent_is_read_where_selected_and_the_sms_one_stands_in_before() {
        let config = StoreConfig::new(crate::stores::Platform::Shopify, "https://s.example", "AR").unwrap();
        let read =
            |customer| Node::read(checkout(customer), &config).unwrap().cart.customer().marketing_consent();
        let whatsapp = |state: &str| {
            serde_json::json!({"firstName": "Ana", "defaultPhoneNumber": {"phoneNumber": "+5491160000001",
                "whatsAppMarketingConsent": {"state": state}}})
        };
        assert_eq!(read(whatsapp("SUBSCRIBED")), Some(true));
        assert_eq!(read(whatsapp("UNSUBSCRIBED")), Some(false));
        assert_eq!(read(whatsapp("NOT_SUBSCRIBED")), Some(false));
        assert_eq!(read(whatsapp("PENDING")), None);
        let sms = serde_json::json!({"firstName": "Ana", "defaultPhoneNumber": {"phoneNumber": "+5491160000001"},
            "smsMarketingConsent": {"marketingState": "SUBSCRIBED"}});
        assert_eq!(read(sms), Some(true), "before 2026-07 the SMS consent stands in");
        let sms_without_phone = serde_json::json!({"firstName": "Ana", "defaultPhoneNumber": null,
            "smsMarketingConsent": {"marketingState": "UNSUBSCRIBED"}});
        assert_eq!(read(sms_without_phone), Some(false));
        let none = serde_json::json!({"firstName": "Ana", "defaultPhoneNumber": null});
        assert_eq!(read(none), None);
    }
}
