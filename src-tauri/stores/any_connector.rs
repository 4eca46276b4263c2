//! One connector type for every platform, chosen at run time from the store's platform,
//! so callers hold one value whatever the store runs on.

use std::sync::Arc;

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
