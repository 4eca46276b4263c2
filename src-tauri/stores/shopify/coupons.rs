//! Shopify discount codes (see [`crate::stores::coupons`]): `discountCodeBasicCreate`,
//! `codeDiscountNodeByCode` and `discountCodeDelete` (Admin GraphQL, in the 2025-01 schema), with
//! the app's `write_discounts` scope (without it: the top-level error `ACCESS_DENIED`, a
//! [`StoreError::Auth`]).

use serde::Deserialize;
use serde_json::json;

use super::Shopify;
use crate::stores::coupons::{CouponSpec, StoreCoupon};
use crate::stores::StoreError;

/// Creates one basic code discount.
pub const CREATE_MUTATION: &str =
    "mutation RecuperoCouponCreate($basicCodeDiscount: DiscountCodeBasicInput!) { \
    discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { \
    codeDiscountNode { id codeDiscount { ... on DiscountCodeBasic { asyncUsageCount } } } \
    userErrors { field message code } } }";

/// A code discount by its code.
pub const FIND_QUERY: &str = "query RecuperoCouponByCode($code: String!) { \
    codeDiscountNodeByCode(code: $code) { id codeDiscount { ... on DiscountCodeBasic { asyncUsageCount } } } }";

/// Deletes a code discount.
pub const DELETE_MUTATION: &str = "mutation RecuperoCouponDelete($id: ID!) { \
    discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field message code } } }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    id: String,
    code_discount: Option<Basic>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Basic {
    async_usage_count: Option<u64>,
}

impl Node {
    fn read(self, code: &str) -> StoreCoupon {
        let uses = self.code_discount.and_then(|b| b.async_usage_count).unwrap_or(0);
        StoreCoupon { id: self.id, code: code.to_string(), uses: u32::try_from(uses).unwrap_or(u32::MAX) }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FindData {
    code_discount_node_by_code: Option<Node>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateData {
    discount_code_basic_create: Option<CreatePayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePayload {
    code_discount_node: Option<Node>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteData {
    discount_code_delete: Option<DeletePayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeletePayload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
    code: Option<String>,
}

fn refused(errors: &[UserError]) -> Option<StoreError> {
    errors.first().map(|e| StoreError::Rejected {
        status: 422,
        detail: format!(
            "{}: {}",
            e.code.as_deref().unwrap_or("ERROR"),
            e.message.chars().take(200).collect::<String>()
        ),
    })
}

impl Shopify {
    pub async fn find_coupon(&self, code: &str) -> Result<Option<StoreCoupon>, StoreError> {
        let (data, _): (FindData, _) = self.graphql(FIND_QUERY, json!({ "code": code })).await?;
        Ok(data.code_discount_node_by_code.map(|n| n.read(code)))
    }

    pub async fn create_coupon(&self, spec: &CouponSpec) -> Result<StoreCoupon, StoreError> {
        let percentage = rust_decimal::Decimal::from(spec.percent) / rust_decimal::Decimal::from(100);
        let mut input = json!({
            "title": format!("Recupero {}", spec.code),
            "code": spec.code,
            "startsAt": spec.starts_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "endsAt": spec.ends_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "customerSelection": { "all": true },
            "customerGets": { "value": { "percentage": percentage.to_string().parse::<f64>().unwrap_or(0.0) }, "items": { "all": true } },
            "appliesOncePerCustomer": true,
            "usageLimit": 1,
        });
        if let Some(min) = spec.min_total {
            input["minimumRequirement"] =
                json!({ "subtotal": { "greaterThanOrEqualToSubtotal": min.to_string() } });
        }
        let (data, _): (CreateData, _) =
            self.graphql(CREATE_MUTATION, json!({ "basicCodeDiscount": input })).await?;
        let payload = data
            .discount_code_basic_create
            .ok_or_else(|| StoreError::Protocol("the discount creation answered nothing".into()))?;
        if let Some(e) = refused(&payload.user_errors) {
            return Err(e);
        }
        payload
            .code_discount_node
            .map(|n| n.read(&spec.code))
            .ok_or_else(|| StoreError::Protocol("the discount creation answered no discount".into()))
    }

    pub async fn delete_coupon(&self, id: &str) -> Result<(), StoreError> {
        let (data, _): (DeleteData, _) = self.graphql(DELETE_MUTATION, json!({ "id": id })).await?;
        let payload = data
            .discount_code_delete
            .ok_or_else(|| StoreError::Protocol("the discount deletion answered nothing".into()))?;
        match payload.user_errors.first() {
            // Already gone.
            Some(e) if e.message.to_ascii_lowercase().contains("does not exist") => {
                Err(StoreError::Rejected { status: 404, detail: e.message.chars().take(200).collect() })
            }
            _ => refused(&payload.user_errors).map_or(Ok(()), Err),
        }
    }
}
