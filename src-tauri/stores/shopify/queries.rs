//! The GraphQL documents the connector sends, built in one place and listed by [`documents`]
//! (which the schema test validates against Shopify's Admin schema).

use super::{consent, has_whatsapp_consent, order_search, LINE_ITEMS};

/// The fields read from each checkout. Both queries use them, with no fragments. The customer's
/// marketing consent is the WhatsApp one where the version has it, else the SMS one.
fn node_fields(version: &str) -> String {
    let customer = if has_whatsapp_consent(version) {
        "customer { firstName locale \
           defaultPhoneNumber { phoneNumber whatsAppMarketingConsent { state } } \
           defaultEmailAddress { emailAddress } }"
    } else {
        "customer { firstName locale defaultPhoneNumber { phoneNumber } defaultEmailAddress { emailAddress } \
           smsMarketingConsent { marketingState } }"
    };
    format!(
        "id name createdAt updatedAt completedAt abandonedCheckoutUrl \
         totalPriceSet {{ presentmentMoney {{ amount currencyCode }} }} {customer} \
         shippingAddress {{ firstName phone countryCodeV2 }} \
         billingAddress {{ firstName phone countryCodeV2 }} \
         lineItems(first: {LINE_ITEMS}) {{ nodes {{ title variantTitle quantity image {{ url }} \
           originalUnitPriceSet {{ presentmentMoney {{ amount currencyCode }} }} }} }}"
    )
}

pub(super) fn list_query(version: &str) -> String {
    format!(
        "query RecuperoCheckouts($first: Int!, $after: String, $query: String) {{ \
         abandonedCheckouts(first: $first, after: $after, query: $query, sortKey: ID) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ {} }} }} }}",
        node_fields(version)
    )
}

pub(super) fn node_query(version: &str) -> String {
    format!(
        "query RecuperoCheckout($id: ID!) {{ node(id: $id) {{ ... on AbandonedCheckout {{ {} }} }} }}",
        node_fields(version)
    )
}

/// Every GraphQL document the connector sends with API `version`, by name: the ones the tests
/// validate against Shopify's schema (these are the texts sent, not copies).
pub fn documents(version: &str) -> Vec<(&'static str, String)> {
    let mut all = vec![
        ("RecuperoCheckouts", list_query(version)),
        ("RecuperoCheckout", node_query(version)),
        ("RecuperoOrders", order_search::orders_query()),
        ("RecuperoCouponCreate", super::coupons::CREATE_MUTATION.to_string()),
        ("RecuperoCouponByCode", super::coupons::FIND_QUERY.to_string()),
        ("RecuperoCouponDelete", super::coupons::DELETE_MUTATION.to_string()),
    ];
    if has_whatsapp_consent(version) {
        all.push(("RecuperoCheckoutCustomer", consent::CUSTOMER_QUERY.to_string()));
        all.push(("RecuperoWhatsAppOptOut", consent::OPT_OUT_MUTATION.to_string()));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stores::shopify::{DEFAULT_VERSION, WHATSAPP_CONSENT_SINCE};

    #[test]
    fn the_consent_read_follows_the_api_version() {
        assert!(*DEFAULT_VERSION >= *WHATSAPP_CONSENT_SINCE, "the default reads WhatsApp's own consent");
        for old in ["2025-04", "2026-01", "2026-04"] {
            assert!(!has_whatsapp_consent(old), "{old}");
            let q = list_query(old);
            assert!(q.contains("smsMarketingConsent { marketingState }") && !q.contains("whatsApp"), "{q}");
            assert_eq!(documents(old).len(), 6, "no consent write before 2026-07");
        }
        for new in ["2026-07", "2026-10", "2027-01", "unstable"] {
            assert!(has_whatsapp_consent(new), "{new}");
            let q = node_query(new);
            assert!(q.contains("whatsAppMarketingConsent { state }") && !q.contains("smsMarketing"), "{q}");
            assert_eq!(documents(new).len(), 8);
        }
    }
}
