//! Tiendanube's JSON shapes and their reading into domain values: a checkout becomes a
//! [`Cart`] (with the contact email kept to match orders), an order an [`OrderSeen`].
//! Every documented field is accepted; these are the ones read.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::time::{optional_time, parse_time};
use crate::stores::completion::ReadCheckout;
use crate::stores::fields::{self, Parts, Scalar};
use crate::stores::first_present;
use crate::stores::orders::OrderSeen;
use crate::stores::StoreConfig;

/// A checkout as the API sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct Checkout {
    id: Scalar,
    abandoned_checkout_url: Option<String>,
    contact_email: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    shipping_name: Option<String>,
    shipping_phone: Option<String>,
    shipping_country: Option<String>,
    billing_name: Option<String>,
    billing_phone: Option<String>,
    billing_country: Option<String>,
    total: Scalar,
    currency: String,
    language: Option<String>,
    created_at: String,
    updated_at: Option<String>,
    completed_at: Option<String>,
    #[serde(default)]
    products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
struct Product {
    name: Option<String>,
    price: Scalar,
    quantity: Scalar,
    #[serde(default)]
    variant_values: Option<Vec<Scalar>>,
    image: Option<Image>,
}

#[derive(Debug, Deserialize)]
struct Image {
    src: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    id: Scalar,
    status: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    paid_at: Option<String>,
    created_at: Option<String>,
}

impl Checkout {
    /// The cart, and the contact email the checkout carries (kept only to match orders).
    pub(crate) fn read(value: serde_json::Value, config: &StoreConfig) -> Result<ReadCheckout, String> {
        let c: Checkout = serde_json::from_value(value).map_err(|e| format!("unexpected checkout: {e}"))?;
        let id = c.id.text();
        let currency = c.currency.trim();
        let items = c
            .products
            .iter()
            .map(|p| {
                let quantity = fields::quantity(&p.quantity)?;
                let price = fields::money(&p.price, currency)?;
                let variants: Vec<String> =
                    p.variant_values.iter().flatten().map(Scalar::text).filter(|v| !v.is_empty()).collect();
                let variant = (!variants.is_empty()).then(|| variants.join(" / "));
                // The API names a variant "Remera (Negro)": keep the plain name beside the variant.
                let name = p.name.as_deref().unwrap_or_default();
                let name = match &variant {
                    Some(v) => name.strip_suffix(&format!(" ({v})")).unwrap_or(name),
                    None => name,
                };
                let image = p.image.as_ref().and_then(|i| i.src.as_deref());
                fields::line_item(name, variant.as_deref(), quantity, price, image)
            })
            .collect::<Result<Vec<_>, String>>()?;
        // The shipping country when there is one, even an unreadable one (then the store's).
        let named = c.shipping_country.as_deref().or(c.billing_country.as_deref()).map(str::trim);
        let created_at = parse_time(&c.created_at)?;
        fields::cart(Parts {
            store: config.id,
            id: &id,
            name: first_present([
                c.contact_name.as_deref(),
                c.shipping_name.as_deref(),
                c.billing_name.as_deref(),
            ]),
            language: c.language.as_deref(),
            consent: None,
            phone: first_present([
                c.contact_phone.as_deref(),
                c.shipping_phone.as_deref(),
                c.billing_phone.as_deref(),
            ]),
            country: fields::country(named, &config.country),
            items,
            total: fields::money(&c.total, currency)?,
            link: c.abandoned_checkout_url.as_deref().unwrap_or_default(),
            created_at,
            updated_at: optional_time(c.updated_at.as_deref())?.unwrap_or(created_at),
            completed_at: optional_time(c.completed_at.as_deref())?,
        })
        .map(|cart| ReadCheckout { cart, email: c.contact_email })
    }
}

impl Order {
    /// A cancelled order is no purchase.
    pub(super) fn is_live(&self) -> bool {
        !matches!(self.status.as_deref(), Some("cancelled"))
    }

    /// When it was paid, else placed.
    pub(super) fn time(&self) -> Option<DateTime<Utc>> {
        optional_time(self.paid_at.as_deref().or(self.created_at.as_deref())).ok().flatten()
    }

    pub(crate) fn seen(self) -> OrderSeen {
        OrderSeen {
            id: self.id.text(),
            counts: self.is_live(),
            at: self.time(),
            phones: self.contact_phone.into_iter().collect(),
            email: self.contact_email,
            country: None,
        }
    }
}
