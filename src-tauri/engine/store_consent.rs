//! Customers' WhatsApp opt-outs written back to the store they bought from, when the owner
//! allows it (`store_write_opt_out`, off by default). Only Shopify records WhatsApp consent
//! (Admin API 2026-07 and later, and its app needs the `write_customers` scope); Tiendanube and
//! WooCommerce record none, so nothing is written there.
//!
//! How, and why it survives a crash: Recupero's own opt-out is recorded first, in the webhook's
//! transaction, and never depends on this. A round ([`Engine::write_store_opt_outs`]) takes the
//! opt-outs of the last [`WINDOW_DAYS`] days that have no final outcome yet for a Shopify store
//! the contact has a checkout in (`storage::store_opt_outs`), writes each through its latest
//! checkout's customer, and records the outcome, logged once (`store_opt_out`). Rounds run every
//! minute and right after a webhook recorded an opt-out. A write that failed for now (network,
//! 5xx, throttling) records nothing and is tried again the next round; a crash between Shopify's
//! answer and the record means one more identical write later, which changes nothing (the
//! consent is already UNSUBSCRIBED, and the round sees it and sends no mutation). Final outcomes
//! are never retried: Shopify refused (`refused`, `access_denied` — the missing scope), the
//! version has no WhatsApp consent (`unsupported_version`), or there was nothing to write
//! (`written`, `already_off`, `no_customer`, `other_phone`). When a refusal starts, the owner is
//! told once (a notice); the event log keeps every outcome.
//!
//! Only a verified opt-out is written (`storage::store_opt_outs::note_origin`): one from a signed
//! delivery, WhatsApp's 131050 answer to our own send, a signed history sync or the owner. An
//! unsigned delivery's STOP (accepted while the owner allows unsigned webhooks) stops Recupero's
//! messages only: a forgery must not unsubscribe the customer from the merchant's other tools.
//! It is recorded, with no request, as `unsigned` (`unknown_origin` when its origin wasn't
//! recorded), and logged so the owner sees why; a verified word confirming it later writes it.
//!
//! The opt-in, symmetric: once an opt-out was written (`written`) and the customer opts back in
//! — in their own words or WhatsApp's "resume", which only a signed delivery applies — the
//! round writes SUBSCRIBED (opt-in level SINGLE_OPT_IN) as of when they said it, once per
//! written opt-out, logged as `store_opt_in`. Without it the next sync would read Shopify's
//! UNSUBSCRIBED, and with `consent_only` on the customer who asked to hear from the shop again
//! would never get a message. Shopify's consent already SUBSCRIBED or changed there after the
//! opt-in (`already_on`, `changed_there`) is left alone.

use std::collections::HashMap;

use chrono::Duration;

use super::{Engine, EngineResult};
use crate::domain::ExternalId;
use crate::events::{EngineEvent, OwnerProblem};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::store_opt_outs::{self, PendingWrite, Written};
use crate::storage::ts;
use crate::stores::{AnyConnector, Platform, StoreError};

/// Opt-outs older than this are not written any more (the checkout they go through is old).
pub const WINDOW_DAYS: i64 = 30;
/// Writes of each kind (opt-outs, opt-ins) per round at most (two requests each); the rest wait
/// for the next round.
const PER_ROUND: usize = 20;

/// The outcomes the owner must hear about: the store refused, or can't take the write.
const PROBLEMS: [&str; 4] = ["access_denied", "refused", "unsupported_version", "failed"];

/// Why an opt-out from an unsigned delivery isn't written (the event log's detail).
const UNSIGNED: &str =
    "the opt-out came in an unsigned webhook delivery (anyone who knows the address could \
    send one): it stops Recupero's messages only; Shopify is told when a signed delivery confirms it";
/// Why an opt-out whose origin wasn't recorded isn't written.
const UNKNOWN_ORIGIN: &str =
    "where this opt-out came from was not recorded (before this version): it stops Recupero's messages only";

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OptOutWrites {
    /// (contact, store, outcome) of each write that ended this round.
    pub done: Vec<(i64, i64, String)>,
    /// Writes that failed for now, tried again next round.
    pub retry: usize,
}

impl Engine {
    /// One round of writing opt-outs, and the opt-ins that undo written ones, back to Shopify
    /// (see the module's doc). Nothing when the owner hasn't allowed it.
    pub async fn write_store_opt_outs(&self) -> EngineResult<OptOutWrites> {
        let mut round = OptOutWrites::default();
        if !self.settings()?.store_write_opt_out {
            return Ok(round);
        }
        let since = ts(self.clock.now() - Duration::days(WINDOW_DAYS));
        let pending = {
            let conn = self.db.conn();
            let mut all = store_opt_outs::pending(&conn, Platform::Shopify.as_str(), &since, PER_ROUND)?;
            all.extend(store_opt_outs::pending_opt_ins(&conn, Platform::Shopify.as_str(), PER_ROUND)?);
            all
        };
        // A store that refused access this round refuses the rest alike: not asked again.
        let mut denied: HashMap<i64, String> = HashMap::new();
        for write in pending {
            let outcome = match (denied.get(&write.store_id), write.verified) {
                (_, Some(false)) => Ok(("unsigned", Some(UNSIGNED.to_string()))),
                (_, None) => Ok(("unknown_origin", Some(UNKNOWN_ORIGIN.to_string()))),
                (Some(detail), _) => Ok(("access_denied", Some(detail.clone()))),
                (None, Some(true)) => self.write_one(&write).await,
            };
            match outcome {
                Ok((code, detail)) => {
                    if code == "access_denied" {
                        denied.insert(write.store_id, detail.clone().unwrap_or_default());
                    }
                    self.finish(&write, code, detail.as_deref())?;
                    round.done.push((write.contact_id, write.store_id, code.to_string()));
                }
                Err(e) => {
                    tracing::warn!(store = write.store_id, contact = write.contact_id, error = %e,
                        "an opt-out could not be written to the store now; tried again next round");
                    round.retry += 1;
                }
            }
        }
        Ok(round)
    }

    /// Writes one opt-out or opt-in: its final outcome and the store's words, or an error worth another try.
    async fn write_one(&self, write: &PendingWrite) -> Result<(&'static str, Option<String>), StoreError> {
        let connector = self.connector(write.store_id).map_err(|e| StoreError::Unreachable(e.to_string()))?;
        let AnyConnector::Shopify(shopify) = connector.as_ref() else {
            return Ok(("unsupported_platform", None));
        };
        let checkout = ExternalId::parse(&write.external_id).map_err(|e| StoreError::Invalid(e.to_string()));
        use crate::stores::shopify::consent::{OptOutWrite, Target};
        let (target, said) = match write.written {
            Written::OptOut => (Target::Unsubscribed, Some(write.opted_out_at.as_str())),
            Written::OptIn => (Target::Subscribed, write.opted_in_at.as_deref()),
        };
        let at = said.map(crate::domain::time::parse_time).transpose().map_err(StoreError::Invalid);
        let (checkout, at) = match (checkout, at) {
            (Ok(c), Ok(a)) => (c, a),
            (Err(e), _) | (_, Err(e)) => return Ok(("failed", Some(e.to_string()))),
        };
        match shopify.write_whatsapp_consent(&checkout, &write.phone_e164, target, at).await {
            Ok(OptOutWrite::Refused(words)) => Ok(("refused", Some(words))),
            Ok(OptOutWrite::UnsupportedVersion(version)) => Ok((
                "unsupported_version",
                Some(format!("API version {version}: WhatsApp consent needs 2026-07 or later")),
            )),
            Ok(done) => Ok((done.code(), None)),
            Err(e) if e.is_transient() => Err(e),
            Err(e @ StoreError::Auth { .. }) => Ok(("access_denied", Some(e.to_string()))),
            Err(e) => Ok(("failed", Some(e.to_string()))),
        }
    }

    /// Records a write's final outcome and logs it; tells the owner when a refusal starts.
    fn finish(&self, write: &PendingWrite, outcome: &str, detail: Option<&str>) -> EngineResult<()> {
        let at = ts(self.clock.now());
        let detail: Option<String> = detail.map(|d| d.chars().take(300).collect());
        let tell = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let before = store_opt_outs::last_outcome(&tx, write.store_id)?;
            store_opt_outs::record(&tx, write, outcome, detail.as_deref(), &at)?;
            let (store, opted_out_at, detail) =
                (write.store_id, write.opted_out_at.as_str(), detail.as_deref());
            let logged = match write.written {
                Written::OptOut => LogEvent::StoreOptOut { store, outcome, opted_out_at, detail },
                Written::OptIn => {
                    let opted_in_at = write.opted_in_at.as_deref();
                    LogEvent::StoreOptIn { store, outcome, opted_out_at, opted_in_at, detail }
                }
            };
            event_log::append(&tx, &at, None, Some(write.contact_id), &logged)?;
            tx.commit()?;
            PROBLEMS.contains(&outcome) && before.as_deref() != Some(outcome)
        };
        if PROBLEMS.contains(&outcome) {
            tracing::warn!(
                store = write.store_id,
                outcome,
                detail = detail.as_deref().unwrap_or(""),
                "the store did not take a WhatsApp opt-out (Recupero's own opt-out holds)"
            );
        }
        if tell {
            self.events.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::StoreOptOutRefused });
        }
        Ok(())
    }

    /// Wakes the opt-out writer (a webhook just recorded an opt-out).
    pub(super) fn opt_outs_recorded(&self) {
        self.opt_out_wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use crate::events::{EngineEvent, OwnerProblem, Route};
    use crate::i18n::Lang;
    use crate::notice::notice_for;

    #[test]
    fn a_refused_opt_out_notifies_the_owner_in_their_language_and_opens_the_store_settings() {
        let event = EngineEvent::NeedsOwner { problem: OwnerProblem::StoreOptOutRefused };
        for lang in [Lang::Es, Lang::Pt, Lang::En] {
            let notice = notice_for(&event, lang).expect("the owner is told");
            assert!(!notice.title.contains("native."), "{lang:?}: {}", notice.title);
            assert!(notice.body.contains("write_customers"), "{lang:?}: {}", notice.body);
            assert_eq!(notice.route, Some(Route::settings("store")));
        }
        let es = notice_for(&event, Lang::Es).unwrap();
        assert!(es.title.contains("Shopify no registró"), "{}", es.title);
    }
}
