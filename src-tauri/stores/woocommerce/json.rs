//! WooCommerce's REST shapes (an order, its addresses and lines) and their reading into domain
//! values: the cart's own order becomes a [`Cart`], another order an [`OrderSeen`].

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::time::{optional_time, parse_time};
use crate::domain::{Cart, Currency, Money};
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::orders::OrderSeen;
use crate::stores::StoreConfig;

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: Scalar,
    pub(crate) status: String,
    pub(super) currency: String,
    pub(super) total: Scalar,
    pub(super) date_created_gmt: Option<String>,
    pub(super) date_created: Option<String>,
    pub(crate) date_modified_gmt: Option<String>,
    pub(crate) date_paid_gmt: Option<String>,
    #[serde(default)]
    pub(super) billing: Address,
    #[serde(default)]
    pub(super) shipping: Address,
    #[serde(default)]
    pub(super) line_items: Vec<Item>,
    pub(super) payment_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Address {
    pub(super) first_name: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) country: Option<String>,
    /// Billing only.
    pub(super) email: Option<String>,
}

/// Another order of the store, read only for who placed it.
#[derive(Debug, Deserialize)]
pub(crate) struct OtherOrder {
    pub(super) id: Scalar,
    pub(super) status: Option<String>,
    pub(super) date_created_gmt: Option<String>,
    pub(super) date_paid_gmt: Option<String>,
    #[serde(default)]
    pub(super) billing: Address,
    #[serde(default)]
    pub(super) shipping: Address,
}

impl OtherOrder {
    pub(crate) fn seen(self) -> OrderSeen {
        let country = first_present([self.billing.country.as_deref(), self.shipping.country.as_deref()])
            .map(String::from);
        let at = self.date_paid_gmt.as_deref().or(self.date_created_gmt.as_deref());
        OrderSeen {
            id: self.id.text(),
            phones: [self.billing.phone, self.shipping.phone].into_iter().flatten().collect(),
            email: self.billing.email,
            country,
            counts: self.status.as_deref().is_some_and(is_paid),
            at: optional_time(at).ok().flatten(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Item {
    pub(super) name: Option<String>,
    pub(super) parent_name: Option<String>,
    pub(super) quantity: Scalar,
    pub(super) price: Option<Scalar>,
    pub(super) subtotal: Option<Scalar>,
    pub(super) image: Option<Image>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Image {
    pub(super) src: Option<String>,
}

pub(crate) fn is_paid(status: &str) -> bool {
    matches!(status, "processing" | "on-hold" | "completed")
}

/// The unit price: `price` when it is a clean amount, else the line subtotal over the quantity
/// (WooCommerce computes `price` as a float and can send `6.666666666666667`).
pub(super) fn unit_price(item: &Item, quantity: u32, currency: &str) -> Result<Money, String> {
    let code = Currency::parse(currency).map_err(|e| e.to_string())?;
    if let Some(Ok(money)) = item.price.as_ref().map(|p| fields::money(p, currency)) {
        if money.amount().scale() <= code.minor_units() {
            return Ok(money);
        }
    }
    let subtotal = item.subtotal.as_ref().ok_or("line without a price")?.text();
    let subtotal = Decimal::from_str(&subtotal).map_err(|_| format!("price {subtotal:?} is not a number"))?;
    let unit = (subtotal / Decimal::from(quantity.max(1))).round_dp(code.minor_units());
    Money::from_decimal(unit, code).map_err(|e| e.to_string())
}

impl Order {
    /// The cart this order stands for: WooCommerce's abandoned checkout is an unpaid order, and
    /// once paid the same order carries the cart's completion.
    pub(crate) fn read(self, config: &StoreConfig) -> Result<Cart, String> {
        let id = self.id.text();
        let currency = self.currency.trim();
        let items = self
            .line_items
            .iter()
            .map(|item| {
                let quantity = fields::quantity(&item.quantity)?;
                let price = unit_price(item, quantity, currency)?;
                let full = item.name.as_deref().unwrap_or_default();
                // A variation is named "Camiseta - M" with parent_name "Camiseta".
                let (name, variant) =
                    match item.parent_name.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                        Some(parent) => {
                            let rest = full
                                .strip_prefix(parent)
                                .map(|r| r.trim_start_matches([' ', '-', '–']).trim());
                            (parent, rest.filter(|r| !r.is_empty()))
                        }
                        None => (full, None),
                    };
                let image = item.image.as_ref().and_then(|i| i.src.as_deref());
                fields::line_item(name, variant, quantity, price, image)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let created =
            self.date_created_gmt.as_deref().or(self.date_created.as_deref()).ok_or("no creation date")?;
        let created_at = parse_time(created)?;
        let completed_at = if is_paid(&self.status) {
            optional_time(self.date_paid_gmt.as_deref())?
                .or(optional_time(self.date_modified_gmt.as_deref())?)
                .or(Some(created_at))
        } else {
            None
        };
        let named = first_present([self.billing.country.as_deref(), self.shipping.country.as_deref()]);
        fields::cart(Parts {
            store: config.id,
            id: &id,
            name: first_present([self.billing.first_name.as_deref(), self.shipping.first_name.as_deref()]),
            language: None,
            consent: None,
            phone: first_present([self.billing.phone.as_deref(), self.shipping.phone.as_deref()]),
            country: fields::country(named, &config.country),
            items,
            total: fields::money(&self.total, currency)?,
            link: self.payment_url.as_deref().unwrap_or_default(),
            created_at,
            updated_at: optional_time(self.date_modified_gmt.as_deref())?.unwrap_or(created_at),
            completed_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Item {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_float_price_falls_back_to_the_subtotal() {
        let clean =
            item(serde_json::json!({"name": "x", "quantity": 2, "price": 19.95, "subtotal": "39.90"}));
        assert_eq!(unit_price(&clean, 2, "EUR").unwrap().amount().to_string(), "19.95");
        let float = item(
            serde_json::json!({"name": "x", "quantity": 3, "price": 6.666666666666667, "subtotal": "20.00"}),
        );
        assert_eq!(unit_price(&float, 3, "EUR").unwrap().amount().to_string(), "6.67");
        let clp =
            item(serde_json::json!({"name": "x", "quantity": 3, "price": 3333.3333333, "subtotal": "10000"}));
        assert_eq!(unit_price(&clp, 3, "CLP").unwrap().amount().to_string(), "3333");
        let none = item(serde_json::json!({"name": "x", "quantity": 1}));
        assert!(unit_price(&none, 1, "EUR").is_err());
    }

    #[test]
    fn paid_statuses() {
        assert!(is_paid("processing") && is_paid("on-hold") && is_paid("completed"));
        assert!(!is_paid("pending") && !is_paid("checkout-draft") && !is_paid("failed"));
    }
}
