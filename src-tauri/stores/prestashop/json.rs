//! PrestaShop webservice JSON shapes (`output_format=JSON`): a cart with its `cart_rows`, the
//! delivery address, the customer, the country, the currency, the product and the order, and
//! their reading into domain values. The webservice sends most numbers as strings (`"2"`,
//! `"19.900000"`), a multi-language field as `[{"id":"1","value":"…"}]` (or plain text with
//! `language=`), dates as the shop's local time without an offset (`2026-03-02 15:00:00`, read
//! in the shop's `PS_TIMEZONE`), and an empty list as `[]` instead of `{"carts": []}`.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::{Cart, Currency, LineItem, Money};
use crate::stores::completion::ReadCheckout;
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::orders::OrderSeen;
use crate::stores::StoreConfig;

/// The list under `key` of a webservice answer; `[]` (PrestaShop's empty answer) is empty.
pub(crate) fn list(body: serde_json::Value, key: &str) -> Result<Vec<serde_json::Value>, String> {
    match body {
        serde_json::Value::Array(items) if items.is_empty() => Ok(Vec::new()),
        serde_json::Value::Object(mut map) => match map.remove(key) {
            Some(serde_json::Value::Array(items)) => Ok(items),
            Some(serde_json::Value::Object(one)) => Ok(vec![serde_json::Value::Object(one)]),
            None => Ok(Vec::new()),
            Some(other) => Err(format!("'{key}' is not a list: {}", short(&other))),
        },
        other => Err(format!("unexpected answer: {}", short(&other))),
    }
}

fn short(value: &serde_json::Value) -> String {
    value.to_string().chars().take(60).collect()
}

/// The shop's local time, as the webservice writes it, in UTC.
pub(crate) fn local_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").map_err(|_| {
        format!("time {:?} is not 'YYYY-MM-DD HH:MM:SS'", text.chars().take(40).collect::<String>())
    })?;
    let at = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("time {text:?} does not exist in {tz}"))?
        .with_timezone(&Utc);
    crate::domain::time::parse_time(&at.to_rfc3339())
}

/// A UTC instant as the shop's local time, for a `filter[date_…]`.
pub(crate) fn shop_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[derive(Debug, Deserialize)]
pub(crate) struct Cart0 {
    pub(crate) id: Scalar,
    pub(crate) id_address_delivery: Option<Scalar>,
    pub(crate) id_customer: Option<Scalar>,
    pub(crate) id_currency: Option<Scalar>,
    pub(crate) id_lang: Option<Scalar>,
    pub(crate) date_add: Option<String>,
    pub(crate) date_upd: Option<String>,
    #[serde(default)]
    pub(crate) associations: Associations,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Associations {
    #[serde(default)]
    pub(crate) cart_rows: Vec<CartRow>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CartRow {
    pub(crate) id_product: Scalar,
    pub(crate) quantity: Scalar,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Address {
    pub(crate) id: Scalar,
    pub(crate) id_country: Option<Scalar>,
    pub(crate) firstname: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) phone_mobile: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    pub(crate) id: Scalar,
    pub(crate) email: Option<String>,
    pub(crate) firstname: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Coded {
    pub(crate) id: Scalar,
    pub(crate) iso_code: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub(crate) id: Scalar,
    pub(crate) price: Scalar,
    pub(crate) name: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: Scalar,
    pub(crate) id_cart: Option<Scalar>,
    pub(crate) id_customer: Option<Scalar>,
    pub(crate) id_address_delivery: Option<Scalar>,
    pub(crate) current_state: Option<Scalar>,
    pub(crate) date_add: Option<String>,
}

/// PrestaShop's default id of the "Canceled" order state.
pub(crate) const CANCELED_STATE: &str = "6";

impl Product {
    /// The name in the cart's language (the first one otherwise).
    pub(crate) fn name(&self, lang: Option<&str>) -> String {
        match &self.name {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(names)) => {
                let text = |v: &serde_json::Value| v.get("value").and_then(|x| x.as_str()).map(String::from);
                let wanted = names
                    .iter()
                    .find(|n| lang.is_some_and(|l| fields::raw_id(n, "id").as_deref() == Some(l)));
                wanted.and_then(text).or_else(|| names.first().and_then(text)).unwrap_or_default()
            }
            _ => String::new(),
        }
    }
}

/// Whatever the page's carts point at, read in batches.
#[derive(Debug, Default)]
pub(crate) struct Related {
    pub(crate) addresses: HashMap<String, Address>,
    pub(crate) customers: HashMap<String, Customer>,
    /// Country id → ISO code; currency id → ISO code.
    pub(crate) countries: HashMap<String, String>,
    pub(crate) currencies: HashMap<String, String>,
    pub(crate) products: HashMap<String, Product>,
}

/// An id worth asking about: present and not PrestaShop's `0` for "none".
pub(crate) fn real_id(id: Option<&Scalar>) -> Option<String> {
    id.map(Scalar::text).filter(|t| !t.is_empty() && t != "0")
}

/// A unit price rounded to the currency's minor units (the webservice sends six decimals).
fn price(amount: &Scalar, currency: &str) -> Result<Money, String> {
    let code = Currency::parse(currency).map_err(|e| e.to_string())?;
    let text = amount.text();
    let value = Decimal::from_str(&text).map_err(|_| format!("price {text:?} is not a number"))?;
    Money::from_decimal(value.round_dp(code.minor_units()), code).map_err(|e| format!("price {text:?}: {e}"))
}

impl Cart0 {
    pub(crate) fn has_products(&self) -> bool {
        !self.associations.cart_rows.is_empty()
    }

    /// The cart as a [`Cart`]: items at the products' prices (tax excluded, no discounts), the
    /// delivery address's mobile (else landline) read in its country, the customer's email.
    pub(crate) fn read(
        &self,
        related: &Related,
        tz: Tz,
        config: &StoreConfig,
        link: &str,
    ) -> Result<ReadCheckout, String> {
        let id = self.id.text();
        let currency = real_id(self.id_currency.as_ref())
            .and_then(|c| related.currencies.get(&c).cloned())
            .ok_or("the cart's currency is unknown")?;
        let lang = self.id_lang.as_ref().map(Scalar::text);
        let items = self
            .associations
            .cart_rows
            .iter()
            .map(|row| {
                let quantity = fields::quantity(&row.quantity)?;
                let product = related
                    .products
                    .get(&row.id_product.text())
                    .ok_or_else(|| format!("product {} not found", row.id_product.text()))?;
                let unit = price(&product.price, &currency)?;
                fields::line_item(&product.name(lang.as_deref()), None, quantity, unit, None)
            })
            .collect::<Result<Vec<LineItem>, String>>()?;
        // Checked: rows at the largest price and quantity sum past what a decimal holds.
        let code = Currency::parse(&currency).map_err(|e| e.to_string())?;
        let mut total = Money::zero(code);
        for item in &items {
            total = item
                .unit_price()
                .checked_mul(item.quantity())
                .and_then(|line| total.checked_add(&line))
                .map_err(|e| format!("the cart's total: {e}"))?;
        }
        let created_at = local_time(self.date_add.as_deref().ok_or("no date_add")?, tz)?;
        let updated_at = match self.date_upd.as_deref() {
            Some(t) => local_time(t, tz)?,
            None => created_at,
        };
        let address = real_id(self.id_address_delivery.as_ref()).and_then(|a| related.addresses.get(&a));
        let customer = real_id(self.id_customer.as_ref()).and_then(|c| related.customers.get(&c));
        let named =
            address.and_then(|a| real_id(a.id_country.as_ref())).and_then(|c| related.countries.get(&c));
        let cart: Cart = fields::cart(Parts {
            store: config.id,
            id: &id,
            name: first_present([
                customer.and_then(|c| c.firstname.as_deref()),
                address.and_then(|a| a.firstname.as_deref()),
            ]),
            language: None,
            consent: None,
            phone: first_present([
                address.and_then(|a| a.phone_mobile.as_deref()),
                address.and_then(|a| a.phone.as_deref()),
            ]),
            country: fields::country(named.map(String::as_str), &config.country),
            items,
            total,
            link,
            created_at,
            updated_at,
            completed_at: None,
        })?;
        Ok(ReadCheckout { cart, email: customer.and_then(|c| c.email.clone()) })
    }
}

/// Orders as who placed them: the delivery address's phones and country, the customer's email;
/// a canceled order does not count.
pub(crate) fn seen(
    orders: Vec<Order>,
    addresses: Vec<Address>,
    customers: Vec<Customer>,
    countries: &HashMap<String, String>,
    tz: Tz,
) -> Vec<OrderSeen> {
    let addresses: HashMap<String, Address> = addresses.into_iter().map(|a| (a.id.text(), a)).collect();
    let customers: HashMap<String, Customer> = customers.into_iter().map(|c| (c.id.text(), c)).collect();
    orders
        .into_iter()
        .map(|o| {
            let address = real_id(o.id_address_delivery.as_ref()).and_then(|a| addresses.get(&a));
            let customer = real_id(o.id_customer.as_ref()).and_then(|c| customers.get(&c));
            OrderSeen {
                id: o.id.text(),
                phones: address
                    .map(|a| [a.phone_mobile.clone(), a.phone.clone()].into_iter().flatten().collect())
                    .unwrap_or_default(),
                email: customer.and_then(|c| c.email.clone()),
                country: address
                    .and_then(|a| real_id(a.id_country.as_ref()))
                    .and_then(|c| countries.get(&c).cloned()),
                counts: o.current_state.as_ref().map(Scalar::text).as_deref() != Some(CANCELED_STATE),
                at: o.date_add.as_deref().and_then(|t| local_time(t, tz).ok()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
