//! What `store check` and "Test connection" show of each cart read: plain text and decimal
//! strings, never floats, so the owner sees exactly what the store sent.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Skipped;
use crate::domain::Cart;

/// One cart as `store check` and "Test connection" show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CheckedCart {
    pub checkout_id: String,
    pub completed: bool,
    pub phone: Option<String>,
    pub phone_problem: Option<String>,
    pub first_name: Option<String>,
    pub language: Option<String>,
    pub marketing_consent: Option<bool>,
    pub currency: String,
    /// Decimal text, never a float.
    pub total: String,
    pub items: Vec<CheckedItem>,
    pub recovery_link: String,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CheckedItem {
    pub name: String,
    pub variant: Option<String>,
    pub quantity: u32,
    pub unit_price: String,
    pub image_url: Option<String>,
}

impl CheckedCart {
    /// How many items the cart holds in all: summed as `u64`, so no store's quantities
    /// (each a `u32`) can overflow the total.
    pub fn item_count(&self) -> u64 {
        self.items.iter().map(|i| u64::from(i.quantity)).sum()
    }
}

impl From<&Cart> for CheckedCart {
    fn from(cart: &Cart) -> Self {
        use crate::domain::Contact;
        let (phone, phone_problem) = match cart.contact() {
            Contact::Phone(p) => (Some(p.e164().to_string()), None),
            Contact::Missing => (None, Some("no phone number in the checkout".to_string())),
            Contact::Unusable { raw, reason } => (None, Some(format!("{reason} ({raw})"))),
        };
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        CheckedCart {
            checkout_id: cart.external_id().as_str().to_string(),
            completed: cart.completed_at().is_some(),
            phone,
            phone_problem,
            first_name: cart.customer().first_name().map(String::from),
            language: cart.customer().language().map(|l| l.code().to_string()),
            marketing_consent: cart.customer().marketing_consent(),
            currency: cart.total().currency().code().to_string(),
            total: cart.total().amount().to_string(),
            items: cart
                .items()
                .iter()
                .map(|i| CheckedItem {
                    name: i.name().to_string(),
                    variant: i.variant().map(String::from),
                    quantity: i.quantity(),
                    unit_price: i.unit_price().amount().to_string(),
                    image_url: i.image_url().map(String::from),
                })
                .collect(),
            recovery_link: cart.recovery_link().as_str().to_string(),
            created_at: time(cart.created_at()),
            updated_at: time(cart.updated_at()),
            completed_at: cart.completed_at().map(time),
        }
    }
}

/// What one check of a store found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StoreCheckReport {
    pub carts: Vec<CheckedCart>,
    pub skipped: Vec<Skipped>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_counts_beyond_u32_are_summed_without_overflow() {
        let item = CheckedItem {
            name: "Remera".into(),
            variant: None,
            quantity: u32::MAX,
            unit_price: "1.00".into(),
            image_url: None,
        };
        let cart = CheckedCart {
            checkout_id: "1".into(),
            completed: false,
            phone: None,
            phone_problem: None,
            first_name: None,
            language: None,
            marketing_consent: None,
            currency: "ARS".into(),
            total: "1.00".into(),
            items: vec![item.clone(), item],
            recovery_link: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            completed_at: None,
        };
        assert_eq!(cart.item_count(), 2 * u64::from(u32::MAX));
    }
}
