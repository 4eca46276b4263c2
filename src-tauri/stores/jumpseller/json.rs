//! Jumpseller's JSON shapes (an order wrapped as `{"order": {…}}`, its customer, addresses and
//! products) and their reading into domain values: an abandoned order becomes a [`Cart`] (with
//! the customer's email kept to match orders), any order an [`OrderSeen`].
//!
//! Field names as Jumpseller's OpenAPI description lists them (`OrderFields`: `status` one of
//! `Abandoned`, `Canceled`, `Pending Payment`, `Paid`; `recovery_url`, `checkout_url`,
//! `customer{email,fullname,phone}`, `shipping_address`/`billing_address{…,country_code}`,
//! `products[{name,variant_id,qty,price,image}]`). Timestamps come as `2026-03-02 14:00:00 UTC`.
//!
//! A field the API sends as `null` reads as absent (an order without a billing address, a
//! product without a price): an order is only refused for what its use needs (a cart needs its
//! quantities and prices; an order seen for its customer needs nothing but its id). An order
//! that still can't be read is seen leniently, from its raw JSON ([`seen_leniently`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::time::optional_time;
use crate::stores::completion::ReadCheckout;
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::orders::OrderSeen;
use crate::stores::StoreConfig;

/// `{"order": {…}}`, as every Jumpseller answer wraps its object.
#[derive(Debug, Deserialize)]
pub(crate) struct Wrapped {
    pub(crate) order: Order,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: Scalar,
    #[serde(default, deserialize_with = "null_is_default")]
    pub(crate) status: String,
    currency: Option<String>,
    total: Option<Scalar>,
    created_at: Option<String>,
    updated_at: Option<String>,
    completed_at: Option<String>,
    recovery_url: Option<String>,
    checkout_url: Option<String>,
    #[serde(default, deserialize_with = "null_is_default")]
    customer: Customer,
    #[serde(default, deserialize_with = "null_is_default")]
    shipping_address: Address,
    #[serde(default, deserialize_with = "null_is_default")]
    billing_address: Address,
    #[serde(default, deserialize_with = "null_is_default")]
    products: Vec<Product>,
}

#[derive(Debug, Default, Deserialize)]
struct Customer {
    email: Option<String>,
    fullname: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Address {
    name: Option<String>,
    phone: Option<String>,
    country_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Product {
    name: Option<String>,
    variant: Option<String>,
    qty: Option<Scalar>,
    price: Option<Scalar>,
    image: Option<String>,
}

/// `null` reads as the field's default (an empty address, no products).
fn null_is_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Jumpseller writes `2026-03-02 14:00:00 UTC`; the shared reader takes it without the zone name.
pub(crate) fn time(text: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    optional_time(text.map(|t| t.trim().trim_end_matches("UTC").trim()))
}

/// What the status says about the purchase.
pub(crate) fn is_paid(status: &str) -> bool {
    status.trim().eq_ignore_ascii_case("paid")
}

/// Placed and awaiting payment (a bank transfer, a cash payment): the customer bought.
pub(crate) fn is_pending_payment(status: &str) -> bool {
    let s = status.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    s == "pending payment"
}

/// The order was placed: paid, or placed and awaiting payment.
pub(crate) fn is_placed(status: &str) -> bool {
    is_paid(status) || is_pending_payment(status)
}

pub(crate) fn is_abandoned(status: &str) -> bool {
    status.trim().eq_ignore_ascii_case("abandoned")
}

pub(crate) fn is_canceled(status: &str) -> bool {
    matches!(status.trim().to_ascii_lowercase().as_str(), "canceled" | "cancelled")
}

impl Order {
    /// The customer's email, kept only to match orders.
    pub(crate) fn email(&self) -> Option<&str> {
        self.customer.email.as_deref()
    }

    pub(crate) fn completed_at_text(&self) -> Option<&str> {
        self.completed_at.as_deref()
    }

    pub(crate) fn created(&self) -> Option<DateTime<Utc>> {
        time(self.created_at.as_deref()).ok().flatten()
    }

    /// The cart this order stands for; once `Paid`, the same order carries its completion.
    pub(crate) fn read(self, config: &StoreConfig) -> Result<ReadCheckout, String> {
        let id = self.id.text();
        let currency = self.currency.as_deref().map(str::trim).unwrap_or_default().to_string();
        let items = self
            .products
            .iter()
            .map(|p| {
                let quantity = fields::quantity(p.qty.as_ref().ok_or("a product without a quantity")?)?;
                let price = fields::money(p.price.as_ref().ok_or("a product without a price")?, &currency)?;
                let variant = p.variant.as_deref().map(str::trim).filter(|v| !v.is_empty());
                fields::line_item(
                    p.name.as_deref().unwrap_or_default(),
                    variant,
                    quantity,
                    price,
                    p.image.as_deref(),
                )
            })
            .collect::<Result<Vec<_>, String>>()?;
        let created_at = time(self.created_at.as_deref())?.ok_or("no creation date")?;
        let updated_at = time(self.updated_at.as_deref())?.unwrap_or(created_at);
        let completed_at = if is_paid(&self.status) {
            time(self.completed_at.as_deref())?.or(Some(updated_at))
        } else {
            None
        };
        let total = self.total.as_ref().ok_or("no total")?;
        // The API's recovery link; an order without one (not abandoned any more) opens its checkout.
        let link =
            first_present([self.recovery_url.as_deref(), self.checkout_url.as_deref()]).unwrap_or_default();
        let named = first_present([
            self.shipping_address.country_code.as_deref(),
            self.billing_address.country_code.as_deref(),
        ]);
        let cart = fields::cart(Parts {
            store: config.id,
            id: &id,
            name: first_present([
                self.customer.fullname.as_deref(),
                self.shipping_address.name.as_deref(),
                self.billing_address.name.as_deref(),
            ]),
            language: None,
            consent: None,
            phone: first_present([
                self.customer.phone.as_deref(),
                self.shipping_address.phone.as_deref(),
                self.billing_address.phone.as_deref(),
            ]),
            country: fields::country(named, &config.country),
            items,
            total: fields::money(total, &currency)?,
            link,
            created_at,
            updated_at,
            completed_at,
        })?;
        Ok(ReadCheckout { cart, email: self.customer.email })
    }

    /// Another order of the store, read only for who placed it.
    pub(crate) fn seen(self) -> OrderSeen {
        let country = first_present([
            self.shipping_address.country_code.as_deref(),
            self.billing_address.country_code.as_deref(),
        ])
        .map(String::from);
        let at = time(self.completed_at.as_deref()).ok().flatten().or(self.created());
        OrderSeen {
            id: self.id.text(),
            phones: [self.customer.phone, self.shipping_address.phone, self.billing_address.phone]
                .into_iter()
                .flatten()
                .collect(),
            email: self.customer.email,
            country,
            counts: is_placed(&self.status),
            at,
        }
    }
}

/// An order of a list of placed orders that [`Order`] can't read, seen from its raw JSON: the
/// text phones, email and country it carries, when it was paid or placed. It counts as placed
/// (it was listed so).
pub(crate) fn seen_leniently(value: &serde_json::Value) -> OrderSeen {
    let order = value.get("order").unwrap_or(value);
    let text = |path: &[&str]| -> Option<String> {
        path.iter().try_fold(order, |v, key| v.get(key))?.as_str().map(String::from)
    };
    let phones = [["customer", "phone"], ["shipping_address", "phone"], ["billing_address", "phone"]];
    let country =
        text(&["shipping_address", "country_code"]).or_else(|| text(&["billing_address", "country_code"]));
    let at = |field: &str| time(text(&[field]).as_deref()).ok().flatten();
    OrderSeen {
        id: fields::raw_id(order, "id").unwrap_or_default(),
        phones: phones.iter().filter_map(|p| text(p)).collect(),
        email: text(&["customer", "email"]),
        country,
        counts: true,
        at: at("completed_at").or_else(|| at("created_at")),
    }
}

/// When a raw order was placed, if it says.
pub(crate) fn created_leniently(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let order = value.get("order").unwrap_or(value);
    time(order.get("created_at").and_then(|v| v.as_str())).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Contact;
    use crate::stores::Platform;

    fn order(phone: &str, country: &str) -> serde_json::Value {
        serde_json::json!({"order": {
            "id": 1042, "status": "Abandoned", "currency": "CLP", "total": 25980.0,
            "created_at": "2026-03-02 14:00:00 UTC", "updated_at": "2026-03-02 14:05:00 UTC",
            "recovery_url": "https://tienda.jumpseller.com/v2/checkout/recover/abc",
            "customer": {"id": 7, "email": "ana@example.com", "fullname": "Ana María Pérez", "phone": phone},
            "shipping_address": {"name": "Ana", "country_code": country, "phone": ""},
            "billing_address": {},
            "products": [{"id": 1, "variant_id": 2, "name": "Polera", "variant": "M", "qty": 2, "price": 12990}]
        }})
    }

    fn read(phone: &str, country: &str, store_country: &str) -> ReadCheckout {
        let config =
            StoreConfig::new(Platform::Jumpseller, "https://api.jumpseller.com", store_country).unwrap();
        let wrapped: Wrapped = serde_json::from_value(order(phone, country)).unwrap();
        wrapped.order.read(&config).unwrap()
    }

    #[test]
    fn an_abandoned_order_becomes_a_cart_with_its_recovery_url() {
        let r = read("+56 9 7612 3456", "CL", "CL");
        let cart = &r.cart;
        assert_eq!(cart.external_id().as_str(), "1042");
        assert_eq!(cart.total().amount().normalize().to_string(), "25980");
        assert_eq!(cart.recovery_link().as_str(), "https://tienda.jumpseller.com/v2/checkout/recover/abc");
        assert_eq!(cart.customer().first_name(), Some("Ana"));
        assert_eq!(cart.items()[0].variant(), Some("M"));
        assert_eq!(r.email.as_deref(), Some("ana@example.com"));
        assert!(cart.completed_at().is_none());
    }

    #[test]
    fn phones_of_the_regions_countries_are_read_in_the_orders_country() {
        for (raw, country, e164) in [
            ("9 7612 3456", "CL", "+56976123456"),
            ("+56 9 7612 3456", "CL", "+56976123456"),
            ("011 15-5123-4567", "AR", "+5491151234567"),
            ("+54 9 11 6123-4567", "AR", "+5491161234567"),
            ("55 5123 4567", "MX", "+525551234567"),
            ("+52 1 55 6123 4567", "MX", "+525561234567"),
            ("987 654 321", "PE", "+51987654321"),
            ("+51 999 123 456", "PE", "+51999123456"),
            ("300 123 4567", "CO", "+573001234567"),
            ("+57 312 345 6789", "CO", "+573123456789"),
        ] {
            // The store is Chilean; the order's address names its own country.
            let cart = read(raw, country, "CL").cart;
            match cart.contact() {
                Contact::Phone(p) => assert_eq!(p.e164(), e164, "{raw} in {country}"),
                other => panic!("{raw} in {country}: {other:?}"),
            }
        }
        // No country on the order: the store's applies.
        match read("9 7612 3456", "", "CL").cart.contact() {
            Contact::Phone(p) => assert_eq!(p.e164(), "+56976123456"),
            other => panic!("{other:?}"),
        }
        assert!(!matches!(read("no tengo", "CL", "CL").cart.contact(), Contact::Phone(_)));
    }

    #[test]
    fn statuses_and_times() {
        assert!(is_paid("Paid") && !is_paid("Pending Payment") && !is_paid("Abandoned"));
        assert!(is_placed("Paid") && is_placed("Pending Payment") && is_placed("pending_payment"));
        assert!(!is_placed("Abandoned") && !is_placed("Canceled") && !is_placed(""));
        assert!(is_abandoned("Abandoned") && is_canceled("Canceled"));
        assert!(time(Some("2026-03-02 14:00:00 UTC")).unwrap().is_some());
        assert!(time(Some("ayer")).is_err());
    }

    /// A paid order with `null` addresses, customer fields and product prices is still read for
    /// who placed it; one in Pending Payment counts as placed.
    #[test]
    fn nulls_never_hide_a_placed_order() {
        let mut value = order("+56 9 7612 3456", "CL");
        value["order"]["status"] = serde_json::json!("Paid");
        value["order"]["billing_address"] = serde_json::Value::Null;
        value["order"]["products"][0]["qty"] = serde_json::Value::Null;
        value["order"]["products"][0]["price"] = serde_json::Value::Null;
        let seen =
            serde_json::from_value::<Wrapped>(value.clone()).expect("nulls are absent fields").order.seen();
        assert!(seen.counts);
        assert_eq!(seen.phones[0], "+56 9 7612 3456");
        assert_eq!(seen.email.as_deref(), Some("ana@example.com"));
        value["order"]["shipping_address"] = serde_json::Value::Null;
        value["order"]["customer"] = serde_json::Value::Null;
        value["order"]["products"] = serde_json::Value::Null;
        value["order"]["status"] = serde_json::Value::Null;
        assert!(serde_json::from_value::<Wrapped>(value).is_ok());
        let mut pending = order("+56 9 7612 3456", "CL");
        pending["order"]["status"] = serde_json::json!("Pending Payment");
        assert!(serde_json::from_value::<Wrapped>(pending).unwrap().order.seen().counts);
    }

    #[test]
    fn an_unreadable_order_is_seen_leniently() {
        let mut value = order("+56 9 7612 3456", "CL");
        value["order"]["products"] = serde_json::json!("unreadable");
        value["order"]["shipping_address"]["phone"] = serde_json::json!(56976123456_u64);
        assert!(serde_json::from_value::<Wrapped>(value.clone()).is_err());
        let seen = seen_leniently(&value);
        assert_eq!(seen.id, "1042");
        assert_eq!(seen.phones, vec!["+56 9 7612 3456".to_string()], "only text phones are read");
        assert_eq!(seen.email.as_deref(), Some("ana@example.com"));
        assert_eq!(seen.country.as_deref(), Some("CL"));
        assert!(seen.counts && seen.at.is_some());
        assert_eq!(created_leniently(&value), seen.at);
        let nothing = seen_leniently(&serde_json::json!(["not", "an", "order"]));
        assert!(nothing.id.is_empty() && nothing.phones.is_empty() && nothing.email.is_none());
    }

    proptest::proptest! {
        /// Whatever a store sends in the fields read, reading answers a cart or a reason.
        #[test]
        fn any_field_value_is_read_or_refused_never_a_panic(
            phone in ".{0,30}", price in ".{0,20}", qty in ".{0,8}", created in ".{0,30}", country in ".{0,4}",
        ) {
            let mut value = order(&phone, &country);
            value["order"]["products"][0]["price"] = serde_json::json!(price);
            value["order"]["products"][0]["qty"] = serde_json::json!(qty);
            value["order"]["created_at"] = serde_json::json!(created);
            let config = StoreConfig::new(Platform::Jumpseller, "https://api.jumpseller.com", "CL").unwrap();
            if let Ok(wrapped) = serde_json::from_value::<Wrapped>(value) {
                let _ = wrapped.order.read(&config);
            }
        }
    }
}
