//! The engine's background work for long-running hosts (the app, `serve`): the webhook receiver
//! and its processor, the owner's tunnel, the conversation step, the store poller, the
//! dispatcher, the purchase sweep and housekeeping, until shutdown. Every loop is one
//! [`Engine::spawn_every`] task, so they all pace, log and stop the same way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{Engine, EngineResult};
use crate::events::{AppStatus, EngineEvent};
use crate::storage::{self, messages};

/// When a background loop takes its next step.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// On a fixed beat, the first at once; a slow step delays the beat rather than being
    /// followed by a burst of missed ones.
    Every(Duration),
    /// At once, then as soon as it is woken, or this long after the last step ended.
    WokenOr(Wake, Duration),
}

/// What can wake a loop early.
#[derive(Debug, Clone, Copy)]
enum Wake {
    /// The receiver stored a webhook delivery.
    Webhooks,
    /// A customer message or a queued reply waits for the conversation step.
    Conversations,
    /// A customer opted out: the store may be told (`store_write_opt_out`).
    OptOuts,
}

impl Engine {
    /// One round of upkeep for long-running hosts: fold the WAL into the database file, prune
    /// raw webhook bodies past their retention and publish the current status. Returns the status it published.
    pub fn try_housekeeping(&self) -> EngineResult<AppStatus> {
        self.db.checkpoint()?;
        self.prune_webhook_bodies()?;
        let status = self.status()?;
        self.events.emit(EngineEvent::StatusChanged { status: status.clone() });
        Ok(status)
    }

    fn wake(&self, wake: Wake) -> &Notify {
        match wake {
            Wake::Webhooks => &self.webhook_wake,
            Wake::Conversations => &self.assist_wake,
            Wake::OptOuts => &self.opt_out_wake,
        }
    }

    /// Runs `step` in its own task, forever, at `pace`, until the task is aborted. A step logs
    /// its own failures: one failed step never stops the loop.
    fn spawn_every<S, F>(self: &Arc<Self>, pace: Pace, step: S) -> JoinHandle<()>
    where
        S: Fn(Arc<Engine>) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let engine = self.clone();
        tokio::spawn(async move {
            match pace {
                Pace::Every(period) => {
                    let mut tick = tokio::time::interval(period);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        step(engine.clone()).await;
                    }
                }
                Pace::WokenOr(wake, period) => loop {
                    step(engine.clone()).await;
                    tokio::select! {
                        _ = engine.wake(wake).notified() => {}
                        _ = tokio::time::sleep(period) => {}
                    }
                },
            }
        })
    }

    /// Runs the engine's background work until `shutdown` resolves: the store poller (each
    /// store on its own schedule), the outbox dispatcher, the webhook receiver and its processor,
    /// and housekeeping.
    pub async fn run_until_stopped(
        self: Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> EngineResult<()> {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        // The webhook receiver. A port already in use is reported, and the rest still runs.
        let receiver = match self.start_webhooks(None).await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(error = %e, "webhook receiver not started");
                None
            }
        };
        // The owner's tunnel (tunnel_mode), forwarding to the receiver; stopped with the rest.
        let port = receiver.as_ref().map(|r| r.addr().port());
        let port = port.or_else(|| self.settings().ok().map(|s| s.webhook_port)).unwrap_or(8790);
        let tunnel = self.start_tunnel(port, None);
        // The webhook processor: woken by each stored delivery, and every few seconds anyway
        // (deliveries stored before a crash are processed after the restart).
        let processor =
            self.spawn_every(Pace::WokenOr(Wake::Webhooks, Duration::from_secs(5)), |engine| async move {
                match tokio::task::spawn_blocking(move || engine.process_webhooks()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "webhook processing failed"),
                    Err(e) => tracing::error!(error = %e, "webhook processing task panicked"),
                }
            });
        // Replies caught mid-send by a crash may have left: never resent, settled by webhook.
        match messages::settle_interrupted_replies(&self.db.conn(), &storage::ts(self.clock.now())) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(n, "replies interrupted while sending are now unknown (not resent)"),
            Err(e) => tracing::warn!(error = %e, "could not settle interrupted replies"),
        }
        // The conversation step (assistant, drafts, queued replies): woken by new customer
        // messages, and every half minute anyway. Slow providers never delay webhooks.
        let converser = self.spawn_every(
            Pace::WokenOr(Wake::Conversations, Duration::from_secs(30)),
            |engine| async move {
                if let Err(e) = engine.converse().await {
                    tracing::warn!(error = %e, "the conversation step failed");
                }
            },
        );
        // The poller runs in its own task so a long catch-up never delays shutdown or upkeep;
        // aborting it between pages is safe (each page is one transaction).
        let poller = self.spawn_every(Pace::Every(Duration::from_secs(5)), |engine| async move {
            // Each store keeps its own schedule (interval, backoff); this only looks.
            if let Err(e) = engine.poll_due_stores().await {
                tracing::warn!(error = %e, "store polling failed");
            }
        });
        // The dispatcher too: one step every couple of seconds (each send is fenced, so an abort
        // mid-step leaves at worst an `unknown` send, never a duplicate).
        let dispatcher = self.spawn_every(Pace::Every(Duration::from_secs(2)), |engine| async move {
            if let Err(e) = engine.promote_waiting() {
                tracing::warn!(error = %e, "promoting waiting carts failed");
            }
            if let Err(e) = engine.dispatch_due().await {
                tracing::warn!(error = %e, "dispatch failed");
            }
        });
        // The webhook's public address: registered again with Meta whenever it changes.
        let registrar = self.spawn_every(Pace::Every(Duration::from_secs(15)), |engine| async move {
            if let Err(e) = engine.follow_public_url().await {
                tracing::warn!(error = %e, "could not register the webhook's new address");
            }
        });
        // The purchase sweep: a few carts inside the attribution window every few minutes.
        let sweeper = self.spawn_every(Pace::Every(Duration::from_secs(5 * 60)), |engine| async move {
            if let Err(e) = engine.sweep_purchases().await {
                tracing::warn!(error = %e, "purchase sweep failed");
            }
            if let Err(e) = engine.coupon_housekeeping().await {
                tracing::warn!(error = %e, "coupon housekeeping failed");
            }
        });
        // Opt-outs written back to the store when the owner allows it: woken by each opt-out,
        // and every minute anyway (a write that failed for now is tried again).
        let opt_outs =
            self.spawn_every(Pace::WokenOr(Wake::OptOuts, Duration::from_secs(60)), |engine| async move {
                if let Err(e) = engine.write_store_opt_outs().await {
                    tracing::warn!(error = %e, "could not write opt-outs to the store");
                }
            });
        // Today's copy of the database in backups/ (the last 7 dailies kept), looked for hourly.
        let _backups = super::backup::AbortOnDrop(
            self.spawn_every(Pace::Every(super::backup::DAILY_CHECK), Engine::daily_backup_step),
        );
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tick.tick() => {
                    if let Err(e) = self.refresh_templates_if_due().await {
                        tracing::warn!(error = %e, "could not check the templates' review state");
                    }
                    if let Err(e) = self.coexistence_step().await {
                        tracing::warn!(error = %e, "could not look after the Coexistence link");
                    }
                    let engine = self.clone();
                    match tokio::task::spawn_blocking(move || engine.try_housekeeping()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "housekeeping failed"),
                        Err(e) => tracing::error!(error = %e, "housekeeping task panicked"),
                    }
                }
            }
        }
        poller.abort();
        dispatcher.abort();
        registrar.abort();
        let _ = registrar.await;
        sweeper.abort();
        let _ = sweeper.await;
        opt_outs.abort();
        let _ = opt_outs.await;
        processor.abort();
        converser.abort();
        let _ = converser.await;
        let _ = poller.await;
        let _ = dispatcher.await;
        let _ = processor.await;
        drop(tunnel);
        drop(receiver);
        self.db.checkpoint()?;
        tracing::info!("engine stopped");
        Ok(())
    }
}
