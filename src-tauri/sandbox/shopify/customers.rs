//! The sandbox Shopify's customers as far as marketing consent goes, by API version:
//! - `Customer.defaultPhoneNumber` / `defaultEmailAddress` exist from 2025-04;
//! - `CustomerPhoneNumber.whatsAppMarketingConsent { state updatedAt optInLevel collectedFrom
//!   sourceLocation }` and the `customerWhatsAppMarketingConsentUpdate(input:)` mutation from
//!   2026-07 (before it, "doesn't exist", as the real API answers);
//! - the mutation needs the `write_customers` scope: without it (the default here, as for an app
//!   that asked for `read_orders` only) the answer is Shopify's top-level `ACCESS_DENIED` with
//!   `data.customerWhatsAppMarketingConsentUpdate: null`;
//! - `userErrors { field message code }` for an unknown customer, a customer without a default
//!   phone number (Shopify identifies the WhatsApp account by it), and a state that can't be set
//!   (`NOT_SUBSCRIBED`, `REDACTED`) or is missing.
//!
//! Each customer's WhatsApp consent starts as its checkout's marketing consent says
//! (`SUBSCRIBED`, else `NOT_SUBSCRIBED`); tests set it apart with
//! [`Sandbox::set_shopify_whatsapp_consent`] and read what a write left with
//! [`Sandbox::shopify_whatsapp_consent`].

use std::collections::HashMap;

use serde_json::{json, Value};

use super::super::catalog::{PhoneField, SandboxCheckout};
use super::super::{Sandbox, Shared};
use crate::sandbox::graphql::{self, Field};
use crate::stores::Platform;

/// The first version with the customer's default phone and email.
const DEFAULT_CONTACT_SINCE: &str = "2025-04";
/// The first version with WhatsApp marketing consent.
pub(super) const WHATSAPP_SINCE: &str = "2026-07";

/// What the sandbox remembers of its customers beyond the checkouts.
#[derive(Debug, Default)]
pub(crate) struct Customers {
    /// WhatsApp consent set since the start, by customer gid: (state, updatedAt, optInLevel).
    whatsapp: HashMap<String, (String, Option<String>, Option<String>)>,
    /// Whether the app's token carries `write_customers`.
    write_customers: bool,
}

/// The checkout's customer's gid: each checkout has its own customer (they have their own
/// names, phones and consent).
pub(super) fn customer_gid(c: &SandboxCheckout) -> String {
    format!("gid://shopify/Customer/{}", c.id)
}

/// The customer's WhatsApp consent object as the checkout shows it.
fn whatsapp_consent(shared: &Shared, c: &SandboxCheckout) -> Value {
    let set = shared.lock().customers.whatsapp.get(&customer_gid(c)).cloned();
    let (state, updated, level) = set.unwrap_or_else(|| {
        let subscribed = c.consent == Some(true);
        let state = if subscribed { "SUBSCRIBED" } else { "NOT_SUBSCRIBED" };
        (state.to_string(), None, subscribed.then(|| "SINGLE_OPT_IN".to_string()))
    });
    let subscribed = state == "SUBSCRIBED";
    json!({
        "state": state, "updatedAt": updated, "optInLevel": level,
        "collectedFrom": if subscribed { json!("SHOPIFY") } else { Value::Null },
        "sourceLocation": null,
    })
}

/// The customer's default phone number, as `version` shows it.
pub(super) fn default_phone(shared: &Shared, c: &SandboxCheckout, version: &str) -> Option<Value> {
    let phone = c.phone.as_deref().filter(|_| c.phone_in == PhoneField::Customer)?;
    let mut number = json!({ "phoneNumber": phone, "marketingState": "NOT_SUBSCRIBED" });
    if version >= WHATSAPP_SINCE {
        number["whatsAppMarketingConsent"] = whatsapp_consent(shared, c);
    }
    Some(number)
}

/// Fields added after the oldest version, with their type and the version that added them.
const ADDED: [(&str, &str, &str); 3] = [
    ("defaultPhoneNumber", "Customer", DEFAULT_CONTACT_SINCE),
    ("defaultEmailAddress", "Customer", DEFAULT_CONTACT_SINCE),
    ("whatsAppMarketingConsent", "CustomerPhoneNumber", WHATSAPP_SINCE),
];

/// The error Shopify answers, before running anything, for a field `version` doesn't have yet
/// (validation is static: it doesn't depend on the data).
pub(super) fn not_yet(selection: &[graphql::Selection], version: &str) -> Option<String> {
    selection.iter().find_map(|s| match s {
        graphql::Selection::Inline { selection, .. } => not_yet(selection, version),
        graphql::Selection::Field(f) => ADDED
            .iter()
            .find(|(name, _, since)| f.name == *name && version < *since)
            .map(|(name, on, _)| format!("Field '{name}' doesn't exist on type '{on}'"))
            .or_else(|| not_yet(&f.selection, version)),
    })
}

/// Removes from a rendered customer what `version` doesn't have yet.
pub(super) fn as_of(customer: &mut Value, version: &str) {
    if version < DEFAULT_CONTACT_SINCE {
        if let Some(map) = customer.as_object_mut() {
            map.remove("defaultPhoneNumber");
            map.remove("defaultEmailAddress");
        }
    }
}

/// The answer to a mutation: `Ok(data)` for `data`, or `Err(errors)` for top-level errors.
pub(super) fn mutate(
    shared: &Shared,
    field: &Field,
    variables: &Value,
    version: &str,
) -> Result<Value, (Value, Option<Value>)> {
    let undefined = |name: &str| {
        let message = format!("Field '{name}' doesn't exist on type 'Mutation'");
        (json!([{ "message": message, "extensions": { "code": "undefinedField" } }]), None)
    };
    if field.name != "customerWhatsAppMarketingConsentUpdate" || version < WHATSAPP_SINCE {
        return Err(undefined(&field.name));
    }
    if !shared.lock().customers.write_customers {
        let message = "Access denied for customerWhatsAppMarketingConsentUpdate field. Required access: \
            `write_customers` access scope. Also: The user must have permission to create and edit customers.";
        let error = json!([{ "message": message, "path": [field.name],
            "extensions": { "code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": "`write_customers` access scope." } }]);
        return Err((error, Some(named(&field.name, Value::Null))));
    }
    let input = match field.arg("input") {
        Some(graphql::Arg::Var(name)) => variables.get(name).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let payload = update(shared, &input);
    let pruned = graphql::prune(&payload, &field.selection, "CustomerWhatsAppMarketingConsentUpdatePayload")
        .map_err(|e| (json!([{ "message": e, "extensions": { "code": "undefinedField" } }]), None))?;
    Ok(named(&field.name, pruned))
}

/// `{ name: value }`.
fn named(name: &str, value: Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(name.to_string(), value);
    Value::Object(map)
}

/// Applies one consent update, answering the full payload.
fn update(shared: &Shared, input: &Value) -> Value {
    let user_error = |field: &[&str], message: &str, code: &str| {
        json!({ "customerPhoneNumber": null,
            "userErrors": [{ "field": field, "message": message, "code": code }] })
    };
    let customer = input.get("customerId").and_then(Value::as_str).unwrap_or_default();
    let consent = input.get("whatsAppMarketingConsent").unwrap_or(&Value::Null);
    let Some(state) = consent.get("state").and_then(Value::as_str) else {
        return user_error(&["whatsAppMarketingConsent", "state"], "State is required", "MISSING_ARGUMENT");
    };
    if !["SUBSCRIBED", "UNSUBSCRIBED", "PENDING"].contains(&state) {
        return user_error(
            &["whatsAppMarketingConsent", "state"],
            "State is not included in the list",
            "INCLUSION",
        );
    }
    let checkouts = shared.select(Platform::Shopify, |c| customer_gid(c) == customer);
    if checkouts.is_empty() {
        return user_error(&["customerId"], "Customer not found", "INVALID");
    }
    let with_phone = checkouts.iter().find(|c| c.phone.is_some() && c.phone_in == PhoneField::Customer);
    let Some(with_phone) = with_phone else {
        return user_error(&["customerId"], "Customer must have a phone number", "INVALID");
    };
    let level = consent.get("optInLevel").and_then(Value::as_str).map(String::from);
    if level.as_deref().is_some_and(|l| !["SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN"].contains(&l)) {
        return user_error(
            &["whatsAppMarketingConsent", "optInLevel"],
            "Opt in level is not included in the list",
            "INCLUSION",
        );
    }
    let updated = consent.get("updatedAt").and_then(Value::as_str).map(String::from);
    shared.lock().customers.whatsapp.insert(customer.to_string(), (state.to_string(), updated, level));
    let number = default_phone(shared, with_phone, WHATSAPP_SINCE).unwrap_or(Value::Null);
    json!({ "customerPhoneNumber": number, "userErrors": [] })
}

impl Sandbox {
    /// The WhatsApp marketing consent state of Shopify checkout `id`'s customer.
    pub fn shopify_whatsapp_consent(&self, id: u64) -> Option<String> {
        let c = self.shared.find(Platform::Shopify, id)?;
        whatsapp_consent(&self.shared, &c)["state"].as_str().map(String::from)
    }

    /// The whole WhatsApp marketing consent object of Shopify checkout `id`'s customer
    /// (`state`, `updatedAt`, `optInLevel`, …).
    pub fn shopify_whatsapp_consent_object(&self, id: u64) -> Option<Value> {
        let c = self.shared.find(Platform::Shopify, id)?;
        Some(whatsapp_consent(&self.shared, &c))
    }

    /// Sets the WhatsApp marketing consent state of Shopify checkout `id`'s customer.
    pub fn set_shopify_whatsapp_consent(&self, id: u64, state: &str) {
        self.set_shopify_whatsapp_consent_at(id, state, None);
    }

    /// Sets the WhatsApp marketing consent state of Shopify checkout `id`'s customer, as changed
    /// at `updated_at` (RFC 3339), as another tool or the customer would.
    pub fn set_shopify_whatsapp_consent_at(&self, id: u64, state: &str, updated_at: Option<&str>) {
        if let Some(c) = self.shared.find(Platform::Shopify, id) {
            let level = (state == "SUBSCRIBED").then(|| "SINGLE_OPT_IN".to_string());
            let set = (state.to_string(), updated_at.map(String::from), level);
            self.shared.lock().customers.whatsapp.insert(customer_gid(&c), set);
        }
    }

    /// Whether the Shopify app's tokens carry `write_customers` (not at the start).
    pub fn grant_shopify_write_customers(&self, granted: bool) {
        self.shared.lock().customers.write_customers = granted;
    }
}

/// The scopes the app's tokens carry.
pub(super) fn scopes(customers: &Customers) -> &'static str {
    if customers.write_customers {
        "read_orders,write_customers"
    } else {
        "read_orders"
    }
}
