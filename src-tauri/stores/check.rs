//! What `store check` and "Test connection" show of each cart read: plain text and decimal
//! strings, never floats, so the owner sees exactly what the store sent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Skipped, StoreError};
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
    /// Where the carts' marketing consent comes from.
    pub consent: ConsentSource,
}

/// Where a store's marketing consent (what `consent_only` checks) comes from.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ConsentSource {
    /// Shopify from Admin API 2026-07: the customer's WhatsApp marketing consent.
    Whatsapp,
    /// Shopify before 2026-07, which has no WhatsApp consent: the SMS marketing consent stands in.
    SmsStandIn,
    /// Tiendanube/Nuvemshop and WooCommerce record no WhatsApp consent (nor SMS).
    #[default]
    NotRecorded,
}

impl ConsentSource {
    /// The command line's words.
    pub fn describe(self) -> &'static str {
        match self {
            ConsentSource::Whatsapp => "the customer's WhatsApp marketing consent (Shopify API 2026-07 or later)",
            ConsentSource::SmsStandIn => {
                "the customer's SMS marketing consent as a stand-in (this API version has no WhatsApp consent: 2026-07 or later does)"
            }
            ConsentSource::NotRecorded => {
                "none: this platform records no WhatsApp consent (with consent_only on, its carts get no message)"
            }
        }
    }
}

/// How long a check waits in all for a busy store before reporting it: a store that asks for a
/// second (Tiendanube's bucket, Shopify's cost bucket, a WooCommerce host's 429) is not a failed
/// test, but the owner is not kept waiting on a store that asks for a minute.
pub const CHECK_PATIENCE: Duration = Duration::from_secs(5);

/// The wait when a store answers 429 without saying how long (WooCommerce hosts often do).
const UNSAID_WAIT: Duration = Duration::from_secs(1);

/// How long to wait before asking again after `error`, having waited `waited` already in this
/// check: `None` when the error is not a rate limit or the wait would exceed [`CHECK_PATIENCE`].
pub fn check_retry_wait(error: &StoreError, waited: Duration) -> Option<Duration> {
    let StoreError::RateLimited { retry_after } = error else {
        return None;
    };
    let wait = retry_after.unwrap_or(UNSAID_WAIT);
    (waited.saturating_add(wait) <= CHECK_PATIENCE).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_waits_only_for_short_rate_limits_within_its_patience() {
        let limited = |s: f64| StoreError::RateLimited { retry_after: Some(Duration::from_secs_f64(s)) };
        assert_eq!(check_retry_wait(&limited(1.0), Duration::ZERO), Some(Duration::from_secs(1)));
        assert_eq!(check_retry_wait(&limited(0.25), Duration::ZERO), Some(Duration::from_millis(250)));
        assert_eq!(
            check_retry_wait(&StoreError::RateLimited { retry_after: None }, Duration::ZERO),
            Some(UNSAID_WAIT)
        );
        assert_eq!(check_retry_wait(&limited(5.0), Duration::ZERO), Some(Duration::from_secs(5)));
        assert_eq!(check_retry_wait(&limited(60.0), Duration::ZERO), None, "a minute is too long");
        assert_eq!(check_retry_wait(&limited(2.0), Duration::from_secs(4)), None, "5 s in all");
        assert_eq!(check_retry_wait(&StoreError::Server { status: 502 }, Duration::ZERO), None);
        assert_eq!(
            check_retry_wait(&StoreError::Auth { status: 401, detail: String::new() }, Duration::ZERO),
            None
        );
    }

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
