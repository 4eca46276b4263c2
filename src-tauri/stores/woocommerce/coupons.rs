//! WooCommerce coupons (see [`crate::stores::coupons`]): `POST /wp-json/wc/v3/coupons`,
//! `GET /coupons?code=`, `DELETE /coupons/{id}?force=true`, with read/write REST keys.

use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::WooCommerce;
use crate::stores::coupons::{CouponSpec, StoreCoupon};
use crate::stores::http::{self, Reply};
use crate::stores::StoreError;

#[derive(Deserialize)]
struct Coupon {
    id: u64,
    code: String,
    #[serde(default)]
    usage_count: Option<u64>,
}

impl Coupon {
    fn read(self) -> StoreCoupon {
        let uses = u32::try_from(self.usage_count.unwrap_or(0)).unwrap_or(u32::MAX);
        StoreCoupon { id: self.id.to_string(), code: self.code, uses }
    }
}

impl WooCommerce {
    /// A write request with the same authentication as the reads.
    async fn write(
        &self,
        method: reqwest::Method,
        mut url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, StoreError> {
        let request = if self.config.query_string_auth {
            url.query_pairs_mut()
                .append_pair("consumer_key", self.key.expose())
                .append_pair("consumer_secret", self.secret.expose());
            if method == reqwest::Method::DELETE {
                self.http.delete(url)
            } else {
                self.http.post(url)
            }
        } else {
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                self.key.expose(),
                self.secret.expose()
            ));
            let r =
                if method == reqwest::Method::DELETE { self.http.delete(url) } else { self.http.post(url) };
            r.header("Authorization", format!("Basic {basic}"))
        };
        let request = match body {
            Some(b) => request.json(b),
            None => request,
        };
        self.http.send(request).await
    }

    pub async fn find_coupon(&self, code: &str) -> Result<Option<StoreCoupon>, StoreError> {
        let mut url = self.url(&["coupons"]);
        url.query_pairs_mut().append_pair("code", code);
        let reply = self.get(url).await?;
        let list: Vec<Coupon> = http::json(&reply.body)?;
        Ok(list.into_iter().find(|c| c.code.eq_ignore_ascii_case(code)).map(Coupon::read))
    }

    pub async fn create_coupon(&self, spec: &CouponSpec) -> Result<StoreCoupon, StoreError> {
        let mut body = json!({
            "code": spec.code,
            "discount_type": "percent",
            "amount": spec.percent.to_string(),
            "individual_use": true,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "date_expires_gmt": spec.ends_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            "description": "Recupero: one cart's recovery message",
        });
        if let Some(min) = spec.min_total {
            body["minimum_amount"] = json!(min.to_string());
        }
        let reply = self.write(reqwest::Method::POST, self.url(&["coupons"]), Some(&body)).await?;
        Ok(http::json::<Coupon>(&reply.body)?.read())
    }

    pub async fn delete_coupon(&self, id: &str) -> Result<(), StoreError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(StoreError::Invalid(format!("not a WooCommerce coupon id: {id:?}")));
        }
        let mut url = self.url(&["coupons", id]);
        url.query_pairs_mut().append_pair("force", "true");
        self.write(reqwest::Method::DELETE, url, None).await.map(|_| ())
    }
}
