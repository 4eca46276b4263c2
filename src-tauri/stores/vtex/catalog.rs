//! The catalog's names for a cart's SKUs (`GET /api/catalog_system/pvt/sku/stockkeepingunitbyid/{sku}`),
//! cached per connector.
//!
//! Names are cosmetic (an item the catalog doesn't name reads "SKU {id}"), so the catalog never
//! stops a poll for long: a SKU it refuses (404 gone, 400, any other 4xx) is named by its id; a
//! key without catalog read (401/403) names every SKU by its id, with no catalog request for
//! [`REFUSED_FOR`], and is logged once; a throttled or failing catalog (429, 5xx, network) fails
//! the page so it is read again after the backoff, [`TRIES`] times per SKU at most (each failed
//! page counts against every SKU it still had to name), then the SKU is named by its id: a SKU
//! the catalog always fails on, or a catalog that is down, holds the cursor one backoff at most.

use std::collections::HashMap;
use std::sync::PoisonError;

use chrono::{DateTime, Utc};

use super::json::{self, Client, Sku};
use super::Vtex;
use crate::stores::StoreError;

/// SKUs remembered before the cache starts again.
const SKU_CACHE: usize = 5000;
/// Reads of one SKU that fail for a passing reason before it is named by its id.
pub(super) const TRIES: u32 = 2;
/// How long a catalog that refused the key is left alone before it is asked again.
pub(super) const REFUSED_FOR: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, Default)]
pub(super) struct Skus {
    known: HashMap<String, Sku>,
    /// Failed reads by SKU (throttled, server error, unreachable).
    failures: HashMap<String, u32>,
    /// When the catalog refused the key (401/403).
    refused_at: Option<DateTime<Utc>>,
}

/// What a failed catalog read means for a SKU's name.
#[derive(Debug, PartialEq)]
pub(super) enum Failed {
    /// Name it by its id.
    ById,
    /// The key can't read the catalog: name every SKU by its id for a while.
    KeyRefused,
    /// Fail the page; it is read again after the backoff.
    Retry(StoreError),
}

impl Skus {
    fn remember(&mut self, sku: String, read: Sku) {
        if self.known.len() >= SKU_CACHE {
            self.known.clear();
            self.failures.clear();
        }
        self.failures.remove(&sku);
        self.known.insert(sku, read);
    }

    /// Whether the catalog is left alone at `now` (it refused the key less than [`REFUSED_FOR`] ago).
    fn refused(&self, now: DateTime<Utc>) -> bool {
        self.refused_at.is_some_and(|at| now < at + REFUSED_FOR)
    }

    /// What `error`, from reading `sku`, means for its name.
    pub(super) fn failed(&mut self, sku: &str, error: StoreError) -> Failed {
        match error {
            StoreError::Auth { status: 401 | 403, .. } => Failed::KeyRefused,
            e if e.is_transient() => {
                let failures = self.failures.entry(sku.to_string()).or_insert(0);
                *failures += 1;
                if *failures >= TRIES {
                    tracing::warn!(sku, error = %e, "VTEX catalog keeps failing on this SKU; named by its id");
                    Failed::ById
                } else {
                    Failed::Retry(e)
                }
            }
            e => {
                tracing::warn!(sku, error = %e, "VTEX catalog refused this SKU; named by its id");
                Failed::ById
            }
        }
    }
}

impl Vtex {
    /// Names the SKUs of these documents' carts not yet known, one catalog read each.
    pub(super) async fn learn_skus(&self, clients: &[Client]) -> Result<HashMap<String, Sku>, StoreError> {
        let wanted: Vec<String> = clients
            .iter()
            .filter_map(|c| c.rclastcart.as_deref())
            .filter_map(|cart| json::lines(cart).ok())
            .flatten()
            .map(|line| line.sku)
            .collect();
        let missing: Vec<String> = {
            let skus = self.skus.lock().unwrap_or_else(PoisonError::into_inner);
            let mut missing: Vec<String> =
                wanted.iter().filter(|s| !skus.known.contains_key(*s)).cloned().collect();
            missing.sort();
            missing.dedup();
            missing
        };
        for (i, sku) in missing.iter().enumerate() {
            let now = self.clock.now();
            if self.skus.lock().unwrap_or_else(PoisonError::into_inner).refused(now) {
                // Not remembered: named from the catalog once it answers again.
                continue;
            }
            let url = self.config.url(&["api", "catalog_system", "pvt", "sku", "stockkeepingunitbyid", sku]);
            let answer = self.get(url, None).await;
            let mut skus = self.skus.lock().unwrap_or_else(PoisonError::into_inner);
            let read = match answer {
                Ok(reply) => serde_json::from_slice::<Sku>(&reply.body).unwrap_or_default(),
                Err(e) => match skus.failed(sku, e) {
                    Failed::ById => Sku::default(),
                    Failed::KeyRefused => {
                        if skus.refused_at.is_none() {
                            tracing::warn!(
                                "VTEX catalog refused the key: items are named by their SKU id; give the key's role catalog read (Catalog > Read only) to see product names"
                            );
                        }
                        skus.refused_at = Some(now);
                        continue;
                    }
                    Failed::Retry(e) => {
                        // The SKUs this page did not reach count the failure too.
                        for rest in &missing[i + 1..] {
                            *skus.failures.entry(rest.clone()).or_insert(0) += 1;
                        }
                        return Err(e);
                    }
                },
            };
            skus.remember(sku.clone(), read);
        }
        let skus = self.skus.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(wanted.into_iter().filter_map(|s| skus.known.get(&s).cloned().map(|k| (s, k))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_sku_is_named_by_its_id_and_a_failing_one_after_a_retry() {
        let mut skus = Skus::default();
        let rejected = |status| StoreError::Rejected { status, detail: String::new() };
        for status in [400, 404, 409, 422] {
            assert_eq!(skus.failed("7", rejected(status)), Failed::ById, "{status}");
        }
        for status in [401, 403] {
            let refused = StoreError::Auth { status, detail: String::new() };
            assert_eq!(skus.failed("7", refused), Failed::KeyRefused, "{status}");
        }
        for error in [
            StoreError::Server { status: 500 },
            StoreError::RateLimited { retry_after: None },
            StoreError::Unreachable("reset".into()),
        ] {
            let sku = format!("{error}");
            assert!(matches!(skus.failed(&sku, error.clone()), Failed::Retry(_)), "{error}");
            assert_eq!(skus.failed(&sku, error.clone()), Failed::ById, "{error}: after {TRIES} tries");
        }
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 2, 14, 0, 0).unwrap();
        skus.refused_at = Some(now);
        assert!(skus.refused(now + REFUSED_FOR - chrono::Duration::seconds(1)));
        assert!(!skus.refused(now + REFUSED_FOR), "the catalog is asked again after a while");
    }
}
