//! Webhooks as the engine handles them: the loopback receiver started with the generated secret
//! path, verify token and app secret; each delivery stored durably before it is answered; the
//! stored deliveries processed in order, each in its own transaction with its "processed" mark.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use super::{Engine, EngineError, EngineResult};
use crate::events::EngineEvent;
use crate::secrets::SecretName;
use crate::storage::event_log::LogEvent;
use crate::storage::{self, webhook_events};

/// What Settings and `recupero deliveries list` show of the quarantined deliveries.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct QuarantinedDeliveries {
    pub count: i64,
    /// When the oldest quarantined delivery arrived.
    pub oldest_received_at: Option<String>,
    /// The error of the most recently quarantined one.
    pub last_error: Option<String>,
    /// The most recently quarantined (at most 50).
    pub recent: Vec<webhook_events::QuarantinedRow>,
}

/// Failed attempts after which a delivery is quarantined.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait before retry `attempts + 1`: one minute, doubling (about two hours in all).
fn retry_delay(attempts: u32) -> chrono::Duration {
    chrono::Duration::minutes(1_i64 << attempts.saturating_sub(1).min(16))
}

impl Engine {
    /// Processes the stored webhook deliveries, oldest first, each in its own transaction with
    /// its "processed" mark, then tells the outside world (new messages, takeovers, problems
    /// only the owner can fix). Returns how many deliveries were processed.
    pub fn process_webhooks(&self) -> EngineResult<usize> {
        use crate::inbox::delivery::{self, Effects, Routing};
        let settings = self.settings()?;
        let routing = Routing {
            phone_number_id: Some(settings.whatsapp_phone_number_id.clone()).filter(|s| !s.is_empty()),
            escalation_keywords: settings.escalation_keywords.clone(),
            shop_lang: crate::i18n::Lang::resolve(&settings.ui_language, None),
            signed: true,
        };
        let mut done = 0;
        let mut all = Effects::default();
        loop {
            let now = storage::ts(self.clock.now());
            let batch = webhook_events::pending(&self.db.conn(), 50, &now)?;
            if batch.is_empty() {
                break;
            }
            for event in batch {
                let now = self.clock.now();
                let mut conn = self.db.conn();
                let tx = conn.transaction()?;
                // What an unsigned delivery may change is decided in `inbox::delivery`.
                let routing = Routing { signed: event.signed, ..routing.clone() };
                // Applied, marked processed and committed, or not at all.
                let applied = delivery::apply(&tx, &event.body, &routing, now)
                    .and_then(|(outcome, fx)| {
                        webhook_events::mark_processed(&tx, event.id, &outcome, &storage::ts(now))?;
                        Ok((outcome, fx))
                    })
                    .and_then(|done| tx.commit().map(|()| done));
                match applied {
                    Ok((outcome, fx)) => {
                        if outcome != "ok" {
                            tracing::info!(event = event.id, %outcome, "webhook processed with notes");
                        }
                        all.absorb(fx);
                    }
                    Err(e) => {
                        self.failed(&conn, &event, &e, now, &mut all)?;
                        continue;
                    }
                }
                done += 1;
            }
        }
        let mut threads = all.inbound.clone();
        threads.dedup();
        for conversation_id in threads {
            self.events.emit(EngineEvent::InboundMessage { conversation_id });
        }
        if all.paused {
            self.events.emit(EngineEvent::PausedChanged { paused: true });
        }
        all.problems.dedup();
        // A delivery set aside changes what Settings shows, even when none was processed.
        let set_aside = !all.problems.is_empty();
        for problem in all.problems {
            self.events.emit(EngineEvent::NeedsOwner { problem });
        }
        for (conversation_id, reason) in all.escalations {
            self.emit_escalation(conversation_id, &reason);
        }
        for conversation_id in all.opted_out_threads {
            self.events.emit(EngineEvent::OptedOut { conversation_id });
        }
        if all.replies_queued || all.assist_queued {
            self.assist_wake.notify_one();
        }
        if all.opt_outs > 0 {
            self.opt_outs_recorded();
        }
        if done > 0 || set_aside {
            self.emit_status();
        }
        Ok(done)
    }

    /// A delivery failed to apply. A transient error (busy, I/O, a full disk) leaves it pending,
    /// retried with backoff, and sets it aside after [`MAX_ATTEMPTS`]; an error that would repeat
    /// identically on this payload (a constraint, a bug) sets it aside at once, with its reason.
    /// Either way it is never marked processed, and the owner is told when it is set aside.
    fn failed(
        &self,
        conn: &rusqlite::Connection,
        event: &webhook_events::Pending,
        e: &rusqlite::Error,
        now: chrono::DateTime<chrono::Utc>,
        all: &mut crate::inbox::delivery::Effects,
    ) -> EngineResult<()> {
        let transient = crate::inbox::delivery::is_transient(e);
        let error = if transient { e.to_string() } else { format!("permanent: {e}") };
        let attempts = event.attempts + 1;
        if transient && attempts < MAX_ATTEMPTS {
            tracing::warn!(event = event.id, attempts, error = %e, "a webhook could not be applied; retried later");
            let next = now + retry_delay(attempts);
            webhook_events::mark_retry(conn, event.id, &error, &storage::ts(next))?;
            return Ok(());
        }
        tracing::error!(event = event.id, attempts, transient, error = %e, "a webhook could not be applied; quarantined");
        let at = storage::ts(now);
        webhook_events::mark_quarantined(conn, event.id, &error, &at)?;
        let logged = LogEvent::WebhookQuarantined { delivery: event.id, attempts, error: &error };
        storage::event_log::append(conn, &at, None, None, &logged)?;
        all.problems.push(crate::events::OwnerProblem::DeliveryQuarantined);
        Ok(())
    }

    /// The quarantined deliveries for the owner: how many, the oldest's arrival, the latest
    /// error, and the most recent ones (id, arrival, attempts, error; never a body).
    pub fn quarantined_deliveries(&self) -> EngineResult<QuarantinedDeliveries> {
        let conn = self.db.conn();
        let count = webhook_events::quarantined_count(&conn)?;
        let recent = webhook_events::quarantined(&conn, 50)?;
        Ok(QuarantinedDeliveries {
            count,
            oldest_received_at: webhook_events::oldest_quarantined(&conn)?,
            last_error: recent.first().map(|r| r.last_error.clone()),
            recent,
        })
    }

    /// The owner's "Retry": every quarantined delivery goes back in line for another round of
    /// attempts (counted from zero), logged, and processing is woken. Returns how many.
    pub fn retry_quarantined_deliveries(&self) -> EngineResult<usize> {
        let released = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let released = webhook_events::release_quarantined(&tx)?;
            if released > 0 {
                let logged = LogEvent::WebhooksRetried { deliveries: released };
                storage::event_log::append(&tx, &storage::ts(self.clock.now()), None, None, &logged)?;
            }
            tx.commit()?;
            released
        };
        if released > 0 {
            tracing::info!(released, "quarantined webhook deliveries put back in line by the owner");
            self.webhook_wake.notify_one();
        }
        Ok(released)
    }

    /// Housekeeping: the raw bodies of deliveries processed more than
    /// `webhook_body_retention_days` ago are emptied (the rows and their facts stay; pending and
    /// quarantined deliveries keep their bodies). Returns how many were pruned.
    pub fn prune_webhook_bodies(&self) -> EngineResult<usize> {
        let days = self.settings()?.webhook_body_retention_days;
        let now = self.clock.now();
        let before = now - chrono::Duration::days(i64::from(days));
        let pruned = webhook_events::prune_bodies(&self.db.conn(), &storage::ts(before), &storage::ts(now))?;
        if pruned > 0 {
            tracing::info!(pruned, days, "raw webhook bodies past their retention pruned");
        }
        Ok(pruned)
    }

    /// Starts the webhook receiver on 127.0.0.1 (`webhook_port`, or `port` when given) with the
    /// generated secret path and verify token, and the app secret when one is set.
    pub async fn start_webhooks(
        self: &Arc<Self>,
        port: Option<u16>,
    ) -> EngineResult<crate::webhooks::Receiver> {
        let settings = self.settings()?;
        // The keychain may block (a D-Bus round trip, an unlock prompt): off the async workers.
        let secrets = self.secrets.clone();
        let app_secret = tokio::task::spawn_blocking(move || secrets.get(SecretName::WhatsappAppSecret))
            .await
            .map_err(|e| EngineError::Other(anyhow::anyhow!("reading the app secret: {e}")))??;
        let has_secret = app_secret.is_some();
        *self.receiver_secret.write().unwrap_or_else(PoisonError::into_inner) = app_secret;
        if !has_secret && settings.allow_unsigned_webhooks {
            tracing::warn!(
                "no WhatsApp app secret and allow_unsigned_webhooks on: unsigned webhooks are accepted, with limited effects (set it with `recupero secret set whatsapp_app_secret`)"
            );
        } else if !has_secret {
            tracing::warn!(
                "no WhatsApp app secret: every webhook is refused until it is set (`recupero secret set whatsapp_app_secret`)"
            );
        }
        // A test knob, in debug builds only: hold each answer after storing, so a test can kill
        // the process between "stored" and "answered".
        let ack_delay = if cfg!(debug_assertions) {
            std::env::var("RECUPERO_TEST_WEBHOOK_ACK_DELAY_MS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_millis)
        } else {
            None
        };
        let config = crate::webhooks::ReceiverConfig {
            port: port.unwrap_or(settings.webhook_port),
            path: settings.webhook_path.clone(),
            verify_token: settings.webhook_verify_token.clone(),
            app_secret: self.receiver_secret.clone(),
            ack_delay,
            limits: crate::webhooks::Limits::default(),
        };
        let sink: Arc<dyn crate::webhooks::Ingest> = self.clone();
        crate::webhooks::start(config, sink).await.map_err(|e| {
            EngineError::Other(anyhow::anyhow!(
                "could not listen for webhooks on port {}: {e}",
                settings.webhook_port
            ))
        })
    }
}

impl crate::webhooks::Ingest for Engine {
    fn ingest(&self, body: &[u8], signed: bool) -> Result<bool, String> {
        let now = storage::ts(self.clock.now());
        webhook_events::store(&self.db.conn(), body, signed, &now).map_err(|e| e.to_string())
    }

    fn stored(&self) {
        self.webhook_wake.notify_one();
    }

    fn allow_unsigned(&self) -> bool {
        // Unreadable settings allow nothing.
        self.settings().is_ok_and(|s| s.allow_unsigned_webhooks)
    }
}
