//! Cart: an abandoned checkout rebuilt from a store platform, ready to plan and message.
//!
//! Guarantees: every line has a name and a quantity above zero, every price is in the cart
//! total's currency, the recovery link is an absolute http(s) URL, and the customer's phone is
//! either a parsed [`Phone`] or the recorded reason there is none. Timestamps are the
//! platform's, in UTC, taken as given. Platform JSON becomes a [`CartDraft`] in the client's
//! `json.rs`; [`Cart::new`] is the only way in, and deserializing goes through it too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cart_error::CartError;
use super::customer::{Customer, Language};
use super::line_item::LineItem;
use super::link::RecoveryLink;
use super::money::{Money, MoneyError};
use super::phone::{Phone, PhoneError};

/// Recupero's id for a connected store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoreId(pub i64);

/// The platform's own id for the checkout (a Shopify token, a Tiendanube id…): non-empty,
/// trimmed, at most 255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(id: &str) -> Result<ExternalId, CartError> {
        let id = id.trim();
        if id.is_empty() || id.chars().count() > 255 || id.chars().any(char::is_control) {
            return Err(CartError::InvalidExternalId(id.chars().take(32).collect()));
        }
        Ok(ExternalId(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = CartError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ExternalId::parse(&value)
    }
}

impl From<ExternalId> for String {
    fn from(value: ExternalId) -> Self {
        value.0
    }
}

/// How the customer can be reached, or why they cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Contact {
    /// A number WhatsApp can reach.
    Phone(Phone),
    /// The checkout had no phone number at all.
    Missing,
    /// The customer typed something that is not a usable mobile number.
    Unusable { raw: String, reason: PhoneError },
}

impl Contact {
    /// Parses the checkout's phone field with the store's country as the default region.
    pub fn from_raw(raw: Option<&str>, default_region: &str) -> Contact {
        match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => Contact::Missing,
            Some(raw) => match Phone::parse(raw, default_region) {
                Ok(phone) => Contact::Phone(phone),
                Err(PhoneError::Empty) => Contact::Missing,
                Err(reason) => Contact::Unusable { raw: raw.chars().take(64).collect(), reason },
            },
        }
    }

    pub fn phone(&self) -> Option<&Phone> {
        match self {
            Contact::Phone(phone) => Some(phone),
            Contact::Missing | Contact::Unusable { .. } => None,
        }
    }
}

/// Everything [`Cart::new`] needs, already parsed into domain values.
#[derive(Debug, Clone, Deserialize)]
pub struct CartDraft {
    pub store_id: StoreId,
    pub external_id: ExternalId,
    pub customer: Customer,
    pub contact: Contact,
    pub items: Vec<LineItem>,
    pub total: Money,
    pub recovery_link: RecoveryLink,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An abandoned (or since completed) checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CartDraft")]
pub struct Cart {
    store_id: StoreId,
    external_id: ExternalId,
    customer: Customer,
    contact: Contact,
    items: Vec<LineItem>,
    total: Money,
    recovery_link: RecoveryLink,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl TryFrom<CartDraft> for Cart {
    type Error = CartError;
    fn try_from(draft: CartDraft) -> Result<Self, Self::Error> {
        Cart::new(draft)
    }
}

impl Cart {
    /// Checks that every line is priced in the total's currency.
    pub fn new(draft: CartDraft) -> Result<Cart, CartError> {
        let total = draft.total.currency();
        if let Some(item) = draft.items.iter().find(|i| i.unit_price().currency() != total) {
            return Err(CartError::MixedCurrencies { total, item: item.unit_price().currency() });
        }
        Ok(Cart {
            store_id: draft.store_id,
            external_id: draft.external_id,
            customer: draft.customer,
            contact: draft.contact,
            items: draft.items,
            total: draft.total,
            recovery_link: draft.recovery_link,
            created_at: draft.created_at,
            updated_at: draft.updated_at,
            completed_at: draft.completed_at,
        })
    }

    pub fn store_id(&self) -> StoreId {
        self.store_id
    }
    pub fn external_id(&self) -> &ExternalId {
        &self.external_id
    }
    pub fn customer(&self) -> &Customer {
        &self.customer
    }
    pub fn contact(&self) -> &Contact {
        &self.contact
    }
    pub fn items(&self) -> &[LineItem] {
        &self.items
    }
    /// What the platform says the customer would pay (shipping, taxes and discounts included).
    pub fn total(&self) -> Money {
        self.total
    }
    pub fn recovery_link(&self) -> &RecoveryLink {
        &self.recovery_link
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }

    /// Sum of unit price × quantity over the lines, before shipping, taxes and discounts.
    pub fn items_subtotal(&self) -> Result<Money, MoneyError> {
        self.items.iter().try_fold(Money::zero(self.total.currency()), |sum, item| {
            sum.checked_add(&item.unit_price().checked_mul(item.quantity())?)
        })
    }

    /// A short product list for a message, e.g. `"Remera azul (M) x2, Zapatillas x1 y 2 más"`,
    /// showing at most `max_items` lines (at least one). The tail is in the customer's
    /// language, or `fallback` (normally the shop's) when the store did not record one;
    /// languages other than Spanish and Portuguese get English.
    pub fn item_summary(&self, max_items: usize, fallback: &Language) -> String {
        summarize_items(&self.items, max_items, self.customer.language().unwrap_or(fallback))
    }
}

/// [`Cart::item_summary`] over stored line items, in `language`.
pub fn summarize_items(items: &[LineItem], max_items: usize, language: &Language) -> String {
    let shown = max_items.max(1);
    let labels: Vec<String> = items.iter().take(shown).map(LineItem::label).collect();
    let mut summary = labels.join(", ");
    let hidden = items.len().saturating_sub(shown);
    if hidden > 0 {
        let tail = match language {
            Language::Es => format!(" y {hidden} más"),
            Language::Pt => format!(" e mais {hidden}"),
            Language::En | Language::Other(_) => format!(" and {hidden} more"),
        };
        summary.push_str(&tail);
    }
    summary
}

#[cfg(test)]
mod tests;
