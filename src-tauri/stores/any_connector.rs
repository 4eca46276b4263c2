//! One connector type for every platform, chosen at run time from the store's platform,
//! so callers hold one value whatever the store runs on.

use std::sync::Arc;

use super::coupons::{CouponSpec, StoreCoupon};
use super::{
    http, jumpseller, prestashop, shopify, tiendanube, vtex, woocommerce, Completion, CompletionQuery,
    Credentials, Cursor, Page, Platform, StoreConfig, StoreConnector, StoreError,
};
use crate::clock::Clock;
use crate::domain::{Cart, ExternalId};

/// Any of the connectors, chosen at run time from the store's platform.
pub enum AnyConnector {
    Tiendanube(tiendanube::Tiendanube),
    Shopify(shopify::Shopify),
    Woocommerce(woocommerce::WooCommerce),
    Jumpseller(jumpseller::Jumpseller),
    Prestashop(prestashop::Prestashop),
    Vtex(vtex::Vtex),
}

impl AnyConnector {
    /// Builds the connector for `config`, checking that the credentials fit the platform.
    pub fn new(
        config: StoreConfig,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
    ) -> Result<AnyConnector, StoreError> {
        let http = http::StoreHttp::new(&config)?;
        Ok(match config.platform {
            Platform::Tiendanube => {
                AnyConnector::Tiendanube(tiendanube::Tiendanube::new(config, credentials, http, clock)?)
            }
            Platform::Shopify => {
                AnyConnector::Shopify(shopify::Shopify::new(config, credentials, http, clock)?)
            }
            Platform::Woocommerce => {
                AnyConnector::Woocommerce(woocommerce::WooCommerce::new(config, credentials, http, clock)?)
            }
            Platform::Jumpseller => {
                AnyConnector::Jumpseller(jumpseller::Jumpseller::new(config, credentials, http, clock)?)
            }
            Platform::Prestashop => {
                AnyConnector::Prestashop(prestashop::Prestashop::new(config, credentials, http, clock)?)
            }
            Platform::Vtex => AnyConnector::Vtex(vtex::Vtex::new(config, credentials, http, clock)?),
        })
    }

    /// Where this store's marketing consent comes from: only Shopify records it, WhatsApp's
    /// from API 2026-07, SMS's standing in before.
    pub fn consent_source(&self) -> super::ConsentSource {
        match self {
            AnyConnector::Shopify(c) if shopify::has_whatsapp_consent(c.version()) => {
                super::ConsentSource::Whatsapp
            }
            AnyConnector::Shopify(_) => super::ConsentSource::SmsStandIn,
            AnyConnector::Tiendanube(_) | AnyConnector::Woocommerce(_) => super::ConsentSource::NotRecorded,
            AnyConnector::Jumpseller(_) | AnyConnector::Prestashop(_) | AnyConnector::Vtex(_) => {
                super::ConsentSource::NotRecorded
            }
        }
    }
}

impl StoreConnector for AnyConnector {
    fn platform(&self) -> Platform {
        match self {
            AnyConnector::Tiendanube(c) => c.platform(),
            AnyConnector::Shopify(c) => c.platform(),
            AnyConnector::Woocommerce(c) => c.platform(),
            AnyConnector::Jumpseller(c) => c.platform(),
            AnyConnector::Prestashop(c) => c.platform(),
            AnyConnector::Vtex(c) => c.platform(),
        }
    }

    async fn list_changed(&self, cursor: &Cursor) -> Result<Page, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.list_changed(cursor).await,
            AnyConnector::Shopify(c) => c.list_changed(cursor).await,
            AnyConnector::Woocommerce(c) => c.list_changed(cursor).await,
            AnyConnector::Jumpseller(c) => c.list_changed(cursor).await,
            AnyConnector::Prestashop(c) => c.list_changed(cursor).await,
            AnyConnector::Vtex(c) => c.list_changed(cursor).await,
        }
    }

    async fn fetch(&self, id: &ExternalId) -> Result<Option<Cart>, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.fetch(id).await,
            AnyConnector::Shopify(c) => c.fetch(id).await,
            AnyConnector::Woocommerce(c) => c.fetch(id).await,
            AnyConnector::Jumpseller(c) => c.fetch(id).await,
            AnyConnector::Prestashop(c) => c.fetch(id).await,
            AnyConnector::Vtex(c) => c.fetch(id).await,
        }
    }

    async fn completion(&self, query: &CompletionQuery) -> Result<Completion, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.completion(query).await,
            AnyConnector::Shopify(c) => c.completion(query).await,
            AnyConnector::Woocommerce(c) => c.completion(query).await,
            AnyConnector::Jumpseller(c) => c.completion(query).await,
            AnyConnector::Prestashop(c) => c.completion(query).await,
            AnyConnector::Vtex(c) => c.completion(query).await,
        }
    }
}

/// Coupons (see [`super::coupons`]): the platform's own endpoints.
impl AnyConnector {
    /// The coupon with this exact code, if the store has it.
    pub async fn find_coupon(&self, code: &str) -> Result<Option<StoreCoupon>, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.find_coupon(code).await,
            AnyConnector::Shopify(c) => c.find_coupon(code).await,
            AnyConnector::Woocommerce(c) => c.find_coupon(code).await,
            AnyConnector::Jumpseller(_) | AnyConnector::Prestashop(_) | AnyConnector::Vtex(_) => {
                Err(self.no_coupons())
            }
        }
    }

    /// Creates the coupon. A duplicate code is an error: call [`Self::find_coupon`] first.
    pub async fn create_coupon(&self, spec: &CouponSpec) -> Result<StoreCoupon, StoreError> {
        match self {
            AnyConnector::Tiendanube(c) => c.create_coupon(spec).await,
            AnyConnector::Shopify(c) => c.create_coupon(spec).await,
            AnyConnector::Woocommerce(c) => c.create_coupon(spec).await,
            AnyConnector::Jumpseller(_) | AnyConnector::Prestashop(_) | AnyConnector::Vtex(_) => {
                Err(self.no_coupons())
            }
        }
    }

    /// Deletes the coupon; one the store no longer has counts as deleted.
    pub async fn delete_coupon(&self, id: &str) -> Result<(), StoreError> {
        let result = match self {
            AnyConnector::Tiendanube(c) => c.delete_coupon(id).await,
            AnyConnector::Shopify(c) => c.delete_coupon(id).await,
            AnyConnector::Woocommerce(c) => c.delete_coupon(id).await,
            AnyConnector::Jumpseller(_) | AnyConnector::Prestashop(_) | AnyConnector::Vtex(_) => {
                Err(self.no_coupons())
            }
        };
        match result {
            Err(StoreError::Rejected { status: 404 | 410, .. }) => Ok(()),
            other => other,
        }
    }

    /// Recupero doesn't create coupons on this platform yet: the message goes without one and the
    /// owner is told (the coupon path's refusal), never a retry loop.
    fn no_coupons(&self) -> StoreError {
        StoreError::Invalid(format!(
            "Recupero does not create coupons on {} yet: the message goes without one",
            self.platform().as_str()
        ))
    }

    /// The coupon by code, else created now: a retry never makes a second one.
    pub async fn ensure_coupon(&self, spec: &CouponSpec) -> Result<StoreCoupon, StoreError> {
        if let Some(found) = self.find_coupon(&spec.code).await? {
            return Ok(found);
        }
        self.create_coupon(spec).await
    }
}
