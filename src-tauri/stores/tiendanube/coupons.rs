//! Tiendanube / Nuvemshop coupons (see [`crate::stores::coupons`]): `POST /coupons`,
//! `GET /coupons?q=`, `DELETE /coupons/{id}`, with the app's `write_coupons` scope.

use serde::Deserialize;
use serde_json::json;

use super::Tiendanube;
use crate::stores::coupons::{CouponSpec, StoreCoupon};
use crate::stores::http;
use crate::stores::StoreError;

#[derive(Deserialize)]
struct Coupon {
    id: serde_json::Value,
    code: String,
    #[serde(default)]
    used: Option<serde_json::Value>,
}

impl Coupon {
    fn read(self) -> StoreCoupon {
        let id = match self.id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        let uses = match self.used {
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        StoreCoupon { id, code: self.code, uses: u32::try_from(uses).unwrap_or(u32::MAX) }
    }
}

impl Tiendanube {
    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header("Authentication", format!("bearer {}", self.token.expose()))
    }

    pub async fn find_coupon(&self, code: &str) -> Result<Option<StoreCoupon>, StoreError> {
        let mut url = self.url(&["coupons"]);
        url.query_pairs_mut().append_pair("q", code);
        let reply = match self.get(url).await {
            // Tiendanube answers 404 to a search that found nothing.
            Err(StoreError::Rejected { status: 404, .. }) => return Ok(None),
            other => other?,
        };
        let list: Vec<Coupon> = http::json(&reply.body)?;
        Ok(list.into_iter().find(|c| c.code.eq_ignore_ascii_case(code)).map(Coupon::read))
    }

    pub async fn create_coupon(&self, spec: &CouponSpec) -> Result<StoreCoupon, StoreError> {
        let mut body = json!({
            "code": spec.code,
            "type": "percentage",
            "value": spec.percent.to_string(),
            "valid": true,
            "max_uses": 1,
            "max_uses_per_client": 1,
            "start_date": spec.starts_at.format("%Y-%m-%d").to_string(),
            "end_date": spec.ends_at.format("%Y-%m-%d").to_string(),
        });
        if let Some(min) = spec.min_total {
            body["min_price"] = json!(min.to_string());
        }
        let request = self.authed(self.http.post(self.url(&["coupons"]))).json(&body);
        let reply = self.http.send(request).await?;
        Ok(http::json::<Coupon>(&reply.body)?.read())
    }

    pub async fn delete_coupon(&self, id: &str) -> Result<(), StoreError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(StoreError::Invalid(format!("not a Tiendanube coupon id: {id:?}")));
        }
        let request = self.authed(self.http.delete(self.url(&["coupons", id])));
        self.http.send(request).await.map(|_| ())
    }
}
