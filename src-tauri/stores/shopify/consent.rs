//! Writing a WhatsApp opt-out back to Shopify (API 2026-07 and later): the customer of the
//! checkout the contact came from is looked up (`node(id:)` on the checkout, selecting
//! `customer { id defaultPhoneNumber { phoneNumber whatsAppMarketingConsent { state updatedAt } } }`),
//! and, when that customer's default phone number is the number that opted out and their
//! WhatsApp consent isn't already UNSUBSCRIBED, `customerWhatsAppMarketingConsentUpdate` sets it
//! to UNSUBSCRIBED as of the opt-out's time. The customer's later opt-in (in their own words, on
//! a signed delivery) undoes it the same way: SUBSCRIBED, opt-in level SINGLE_OPT_IN (they asked
//! once, with no confirmation step), as of when they said it — unless Shopify's consent is
//! already SUBSCRIBED or PENDING, or changed after they said it (their newer word elsewhere, or
//! REDACTED), which is left as it is.
//!
//! Facts (shopify.dev, 2026-07 reference; changelog 2026-06-17 "WhatsApp marketing consent now
//! available"): the mutation takes `input: CustomerWhatsAppMarketingConsentUpdateInput!` and
//! answers `customerPhoneNumber` and `userErrors { field message code }`; Shopify identifies the
//! WhatsApp account by the customer's default phone number; it needs the `write_customers`
//! scope, and without it answers the top-level error `ACCESS_DENIED` (a [`StoreError::Auth`]).
//! The input's fields (`customerId`, `whatsAppMarketingConsent { state updatedAt }`) are modelled
//! on `customerSmsMarketingConsentUpdate`'s (its input page wasn't available); the schema test
//! (`tools/shopify-schema/extensions/2026-07.graphql`) says so too.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::json::GID_PREFIX;
use super::{has_whatsapp_consent, Shopify};
use crate::domain::{ExternalId, Phone};
use crate::stores::StoreError;

/// The checkout's customer: id, default phone and its WhatsApp consent.
pub const CUSTOMER_QUERY: &str = "query RecuperoCheckoutCustomer($id: ID!) { node(id: $id) { \
    ... on AbandonedCheckout { customer { id \
    defaultPhoneNumber { phoneNumber whatsAppMarketingConsent { state updatedAt } } } } } }";

/// Sets one customer's WhatsApp marketing consent.
pub const OPT_OUT_MUTATION: &str =
    "mutation RecuperoWhatsAppOptOut($input: CustomerWhatsAppMarketingConsentUpdateInput!) { \
    customerWhatsAppMarketingConsentUpdate(input: $input) { \
    customerPhoneNumber { whatsAppMarketingConsent { state } } \
    userErrors { field message code } } }";

/// The consent a write sets: an opt-out, or the customer's later opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Unsubscribed,
    Subscribed,
}

/// What writing one consent change to Shopify came to (a request that failed is a [`StoreError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptOutWrite {
    /// The customer's WhatsApp marketing consent is now the target state.
    Written,
    /// An opt-out: it already was UNSUBSCRIBED (or REDACTED, which can't be changed): nothing sent.
    AlreadyOff,
    /// An opt-in: it already is SUBSCRIBED (or PENDING): nothing sent.
    AlreadyOn,
    /// An opt-in: Shopify's consent changed after the customer opted in (their newer word
    /// elsewhere), or is REDACTED: left as it is.
    ChangedThere,
    /// Shopify no longer has the checkout, or it has no customer (a guest checkout).
    NoCustomer,
    /// The customer's default phone number is another number (or none): Shopify keeps WhatsApp
    /// consent on the default number, so writing it would opt out someone else's number.
    OtherPhone,
    /// Shopify refused the change (its `userErrors`, or a GraphQL error), in its words.
    Refused(String),
    /// The store's API version (given) is older than 2026-07: no WhatsApp consent to write.
    UnsupportedVersion(String),
}

impl OptOutWrite {
    /// The code the outcome is stored and logged under.
    pub fn code(&self) -> &'static str {
        match self {
            OptOutWrite::Written => "written",
            OptOutWrite::AlreadyOff => "already_off",
            OptOutWrite::AlreadyOn => "already_on",
            OptOutWrite::ChangedThere => "changed_there",
            OptOutWrite::NoCustomer => "no_customer",
            OptOutWrite::OtherPhone => "other_phone",
            OptOutWrite::Refused(_) => "refused",
            OptOutWrite::UnsupportedVersion(_) => "unsupported_version",
        }
    }
}

#[derive(Deserialize)]
struct CustomerData {
    node: Option<CheckoutCustomer>,
}

#[derive(Deserialize)]
struct CheckoutCustomer {
    customer: Option<Customer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Customer {
    id: String,
    default_phone_number: Option<PhoneNumber>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneNumber {
    phone_number: Option<String>,
    whats_app_marketing_consent: Option<State>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    state: Option<String>,
    updated_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MutationData {
    customer_whats_app_marketing_consent_update: Option<Payload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
    code: Option<String>,
}

impl Shopify {
    /// Sets the WhatsApp marketing consent of checkout `checkout`'s customer to `target` as of
    /// `said_at` (when the customer said it; `None`: unknown, Shopify takes the request's time),
    /// when that customer's default phone is `phone_e164` (see the module). Safe to repeat.
    pub async fn write_whatsapp_consent(
        &self,
        checkout: &ExternalId,
        phone_e164: &str,
        target: Target,
        said_at: Option<DateTime<Utc>>,
    ) -> Result<OptOutWrite, StoreError> {
        if !has_whatsapp_consent(self.version()) {
            return Ok(OptOutWrite::UnsupportedVersion(self.version().to_string()));
        }
        let gid = if checkout.as_str().starts_with("gid://") {
            checkout.as_str().to_string()
        } else {
            format!("{GID_PREFIX}{}", checkout.as_str())
        };
        let data: CustomerData = match self.graphql(CUSTOMER_QUERY, json!({ "id": gid })).await {
            Ok((data, _)) => data,
            Err(e) => return refusal(&e).map(OptOutWrite::Refused).ok_or(e),
        };
        let Some(customer) = data.node.and_then(|n| n.customer) else {
            return Ok(OptOutWrite::NoCustomer);
        };
        let phone = customer.default_phone_number.as_ref();
        let same = phone
            .and_then(|p| p.phone_number.as_deref())
            .and_then(|raw| Phone::parse(raw, &self.config.country).ok())
            .is_some_and(|p| p.e164() == phone_e164);
        if !same {
            return Ok(OptOutWrite::OtherPhone);
        }
        let consent = phone.and_then(|p| p.whats_app_marketing_consent.as_ref());
        let state = consent.and_then(|c| c.state.as_deref());
        if let Some(skip) = unchanged(target, state, consent.and_then(|c| c.updated_at.as_deref()), said_at) {
            return Ok(skip);
        }
        let mut consent = json!({ "state": "UNSUBSCRIBED" });
        if target == Target::Subscribed {
            consent = json!({ "state": "SUBSCRIBED", "optInLevel": "SINGLE_OPT_IN" });
        }
        if let Some(at) = said_at {
            consent["updatedAt"] = json!(at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        let input = json!({ "customerId": customer.id, "whatsAppMarketingConsent": consent });
        let data: MutationData = match self.graphql(OPT_OUT_MUTATION, json!({ "input": input })).await {
            Ok((data, _)) => data,
            Err(e) => return refusal(&e).map(OptOutWrite::Refused).ok_or(e),
        };
        let payload = data
            .customer_whats_app_marketing_consent_update
            .ok_or_else(|| StoreError::Protocol("the consent update answered nothing".into()))?;
        if let Some(error) = payload.user_errors.first() {
            let code = error.code.as_deref().unwrap_or("ERROR");
            let message: String = error.message.chars().take(200).collect();
            return Ok(OptOutWrite::Refused(format!("{code}: {message}")));
        }
        tracing::info!(store = self.config.id.0, ?target, "WhatsApp consent written to Shopify");
        Ok(OptOutWrite::Written)
    }
}

/// Why Shopify's current consent (`state`, set at `updated_at`) is left as it is, if it is.
fn unchanged(
    target: Target,
    state: Option<&str>,
    updated_at: Option<&str>,
    said_at: Option<DateTime<Utc>>,
) -> Option<OptOutWrite> {
    match target {
        // UNSUBSCRIBED already says it; REDACTED (the customer's data erased) is read-only.
        // NOT_SUBSCRIBED (never subscribed) is written: Shopify's own advice is to record an
        // opt-out as UNSUBSCRIBED, so the store's other tools know the customer said no.
        Target::Unsubscribed => {
            matches!(state, Some("UNSUBSCRIBED" | "REDACTED")).then_some(OptOutWrite::AlreadyOff)
        }
        Target::Subscribed => {
            if matches!(state, Some("SUBSCRIBED" | "PENDING")) {
                return Some(OptOutWrite::AlreadyOn);
            }
            // A change in Shopify after the customer's opt-in is their newer word: it stands.
            let changed = updated_at
                .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
                .zip(said_at)
                .is_some_and(|(u, said)| u.with_timezone(&Utc) > said);
            (changed || state == Some("REDACTED")).then_some(OptOutWrite::ChangedThere)
        }
    }
}

/// A GraphQL error other than throttling or a refused access (which `Shopify::graphql` words
/// "GraphQL error: …") is the same on every try: Shopify's refusal, in its words, not an error to
/// try again.
fn refusal(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Protocol(text) => text.strip_prefix("GraphQL error: ").map(String::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_have_stable_codes() {
        let all = [
            OptOutWrite::Written,
            OptOutWrite::AlreadyOff,
            OptOutWrite::AlreadyOn,
            OptOutWrite::ChangedThere,
            OptOutWrite::NoCustomer,
            OptOutWrite::OtherPhone,
            OptOutWrite::Refused("INVALID: x".into()),
            OptOutWrite::UnsupportedVersion("2026-01".into()),
        ];
        let codes: Vec<_> = all.iter().map(OptOutWrite::code).collect();
        assert_eq!(
            codes,
            [
                "written",
                "already_off",
                "already_on",
                "changed_there",
                "no_customer",
                "other_phone",
                "refused",
                "unsupported_version"
            ]
        );
    }

    #[test]
    fn an_opt_in_is_written_unless_shopify_already_subscribes_or_heard_a_newer_word() {
        let said = "2026-11-20T12:00:00Z".parse::<DateTime<Utc>>().ok();
        let on = Target::Subscribed;
        assert_eq!(unchanged(on, Some("UNSUBSCRIBED"), Some("2026-11-19T09:00:00Z"), said), None);
        assert_eq!(unchanged(on, Some("NOT_SUBSCRIBED"), None, said), None);
        assert_eq!(unchanged(on, Some("UNSUBSCRIBED"), None, None), None);
        assert_eq!(unchanged(on, Some("SUBSCRIBED"), None, said), Some(OptOutWrite::AlreadyOn));
        assert_eq!(unchanged(on, Some("PENDING"), None, said), Some(OptOutWrite::AlreadyOn));
        assert_eq!(unchanged(on, Some("REDACTED"), None, said), Some(OptOutWrite::ChangedThere));
        let later = Some("2026-11-20T12:00:01-03:00");
        assert_eq!(unchanged(on, Some("UNSUBSCRIBED"), later, said), Some(OptOutWrite::ChangedThere));
        let off = Target::Unsubscribed;
        assert_eq!(unchanged(off, Some("SUBSCRIBED"), later, said), None, "an opt-out is the latest word");
        assert_eq!(unchanged(off, Some("REDACTED"), None, said), Some(OptOutWrite::AlreadyOff));
    }

    #[test]
    fn only_graphql_errors_are_refusals_the_rest_is_retried_or_the_owners() {
        let graphql = StoreError::Protocol("GraphQL error: Field 'x' doesn't exist".into());
        assert_eq!(refusal(&graphql).as_deref(), Some("Field 'x' doesn't exist"));
        assert_eq!(refusal(&StoreError::Protocol("unexpected end".into())), None);
        assert_eq!(refusal(&StoreError::Auth { status: 200, detail: "Access denied".into() }), None);
        assert_eq!(refusal(&StoreError::Server { status: 502 }), None);
    }
}
