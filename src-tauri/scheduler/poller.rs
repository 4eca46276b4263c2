//! The store poller: one step reads one page of changed checkouts from one store and stores the
//! carts together with the cursor that follows them, in one transaction. So a crash between
//! pages loses nothing and re-reads at most one page, and re-seeing a checkout updates its row.
//!
//! Failures (429, 5xx, timeouts, refused connections, an unreadable page) leave the cursor where
//! it was and schedule the next try with exponential backoff and jitter, never sooner than the
//! store's own `Retry-After`. Each store has its own state, so one store down never stops the
//! others. Time comes from the clock; waiting is the caller's job (`PollOutcome` says how long).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::planner::{self, PlanRules};
use super::tracker;
use crate::clock::Clock;
use crate::events::{EngineEvent, EventBus, OwnerProblem};
use crate::storage::carts::{self, Intake, Stored};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, shops, Db, StorageError};
use crate::stores::{Cursor, Page, StoreConnector, StoreError};

/// Backoff after the first failure; doubles each time up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);
/// Credentials refused: only the owner can fix it, so don't hammer the store meanwhile.
pub const AUTH_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Pages one store reads in one polling round; the rest follows next round from the stored
/// cursor (the store stays due), so a store with a long backlog never holds up the round.
pub const MAX_PAGES_PER_ROUND: usize = 20;
/// Transient failures in a row before the owner is told.
pub const TELL_OWNER_AFTER: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, Clone)]
pub struct PollSettings {
    pub interval: Duration,
    pub intake: Intake,
    /// Each cart that becomes detected is planned in the same transaction.
    pub plan: PlanRules,
    /// The recovery tracker's window, for purchases the poll reveals.
    pub attribution: chrono::Duration,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// The store's next poll is later.
    NotDue { at: DateTime<Utc> },
    /// A page was stored. `more`: another page is waiting, after `pace`.
    Page { new: usize, updated: usize, completed: usize, skipped: usize, more: bool, pace: Duration },
    /// Nothing stored; the next try is at `retry_at`.
    Failed { error: StoreError, failures: u32, retry_at: DateTime<Utc> },
}

/// How long to wait after `failures` failures in a row; `jitter` in [0, 1) spreads it ±20 %.
pub fn backoff(failures: u32, error: &StoreError, jitter: f64) -> Duration {
    let base = if matches!(error, StoreError::Auth { .. } | StoreError::Invalid(_)) {
        AUTH_BACKOFF
    } else {
        let doublings = failures.saturating_sub(1).min(10);
        (FIRST_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
    };
    let spread = base.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    spread.max(error.retry_after().unwrap_or(Duration::ZERO))
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// One step for one store: read a page (unless the store isn't due and `force` is false) and
/// store it, or record the failure.
pub async fn poll_step<C: StoreConnector>(
    db: &Db,
    clock: &dyn Clock,
    events_out: &EventBus,
    store_id: i64,
    connector: &C,
    settings: &PollSettings,
    force: bool,
) -> Result<PollOutcome, StorageError> {
    let Some(state) = shops::poll_state(&db.conn(), store_id)? else {
        return Err(StorageError::Sql(rusqlite::Error::QueryReturnedNoRows));
    };
    let now = clock.now();
    if !force {
        if let Some(at) = state.next_poll_at.as_deref().and_then(|t| crate::domain::time::parse_time(t).ok())
        {
            if at > now {
                return Ok(PollOutcome::NotDue { at });
            }
        }
    }
    let cursor = Cursor::from_stored(state.cursor.clone());
    match connector.list_changed(&cursor).await {
        Ok(page) => {
            // The platform's floor on the abandonment delay (VTEX: its 30-minute session).
            let mut settings = settings.clone();
            settings.intake.abandonment_delay =
                connector.platform().abandonment_delay(settings.intake.abandonment_delay);
            store_page(db, clock, events_out, store_id, page, &settings)
        }
        Err(error) => record_failure(db, clock, events_out, store_id, state.failures, error),
    }
}

/// A poll (or building the store's connector) failed: the cursor stays; the store shows
/// `failing` with the error; the next try waits for the backoff; the owner hears of it when
/// only they can fix it, or once when the store has been unreachable for [`TELL_OWNER_AFTER`].
pub fn record_failure(
    db: &Db,
    clock: &dyn Clock,
    events_out: &EventBus,
    store_id: i64,
    previous_failures: u32,
    error: StoreError,
) -> Result<PollOutcome, StorageError> {
    let failures = previous_failures.saturating_add(1);
    let wait = backoff(failures, &error, fastrand::f64());
    let now = clock.now();
    let retry_at = now + chrono(wait);
    {
        let conn = db.conn();
        shops::record_failure(
            &conn,
            store_id,
            &storage::ts(now),
            &error.to_string(),
            failures,
            &storage::ts(retry_at),
        )?;
        event_log::append(
            &conn,
            &storage::ts(now),
            None,
            None,
            &LogEvent::StorePollFailed {
                store: store_id,
                error: &error.to_string(),
                code: error.code(),
                failures,
            },
        )?;
    }
    tracing::warn!(store = store_id, failures, retry_in_s = wait.as_secs(), error = %error, "store poll failed");
    let tell = match error {
        StoreError::Auth { .. } | StoreError::Invalid(_) => failures == 1,
        _ => unreachable_long_enough(&db.conn(), store_id, now)?,
    };
    if tell {
        event_log::append(
            &db.conn(),
            &storage::ts(now),
            None,
            None,
            &LogEvent::StoreUnreachableTold { store: store_id },
        )?;
        events_out.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::StoreUnreachable });
    }
    Ok(PollOutcome::Failed { error, failures, retry_at })
}

/// Whether this run of failures (since the store's last first failure) has lasted
/// [`TELL_OWNER_AFTER`] and the owner was not told of it yet.
fn unreachable_long_enough(
    conn: &rusqlite::Connection,
    store_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<bool> {
    let started = event_log::last_first_poll_failure(conn, store_id)?;
    let Some((first, at)) = started else { return Ok(false) };
    let Ok(at) = crate::domain::time::parse_time(&at) else { return Ok(false) };
    if now - at < TELL_OWNER_AFTER {
        return Ok(false);
    }
    let told = event_log::store_unreachable_told_after(conn, store_id, first)?;
    Ok(!told)
}

/// What the owner is told about a recovered cart: its id, the customer's first name and the
/// total with its currency.
pub(crate) fn recovered_row(
    conn: &rusqlite::Connection,
    cart_id: i64,
) -> rusqlite::Result<(i64, Option<String>, String)> {
    let (first_name, total, currency) = carts::name_and_total(conn, cart_id)?;
    Ok((cart_id, first_name, format!("{total} {currency}")))
}

fn store_page(
    db: &Db,
    clock: &dyn Clock,
    events_out: &EventBus,
    store_id: i64,
    page: Page,
    settings: &PollSettings,
) -> Result<PollOutcome, StorageError> {
    let now = clock.now();
    let next_poll = if page.more { now + chrono(page.pace) } else { now + chrono(settings.interval) };
    let (mut new, mut updated, mut completed) = (0, 0, 0);
    let mut detected = Vec::new();
    // Carts bought after their message: told to the owner once committed.
    let mut recovered: Vec<(i64, Option<String>, String)> = Vec::new();
    {
        let mut conn = db.conn();
        let tx = conn.transaction()?;
        let at = storage::ts(now);
        for cart in &page.carts {
            if cart.store_id().0 != store_id {
                tracing::error!(store = store_id, "a connector returned a cart for another store; ignored");
                continue;
            }
            match carts::upsert(&tx, cart, now, settings.intake)? {
                Stored::New { id, status } => {
                    new += 1;
                    if status == "detected" {
                        detected.push(id);
                    }
                }
                Stored::Updated { id, completed: now_completed, detected: now_detected } => {
                    updated += 1;
                    if now_detected {
                        detected.push(id);
                    }
                    if now_completed {
                        completed += 1;
                        let done = cart.completed_at().unwrap_or(now);
                        if tracker::record_purchase(
                            &tx,
                            id,
                            "checkout completed",
                            done,
                            settings.attribution,
                            now,
                        )? == Some("recovered")
                        {
                            recovered.push(recovered_row(&tx, id)?);
                        }
                    }
                }
            }
        }
        for done in &page.completed {
            if let Some(id) =
                carts::mark_completed(&tx, store_id, done.external_id.as_str(), done.completed_at)?
            {
                completed += 1;
                if tracker::record_purchase(
                    &tx,
                    id,
                    "order paid",
                    done.completed_at,
                    settings.attribution,
                    now,
                )? == Some("recovered")
                {
                    recovered.push(recovered_row(&tx, id)?);
                }
            }
        }
        for skip in &page.skipped {
            event_log::append(
                &tx,
                &at,
                None,
                None,
                &LogEvent::CheckoutSkipped {
                    store: store_id,
                    checkout_id: skip.checkout_id.as_deref(),
                    reason: &skip.reason,
                },
            )?;
        }
        detected.extend(carts::promote_ready(&tx, now)?);
        for id in &detected {
            event_log::append(&tx, &at, Some(*id), None, &LogEvent::CartDetected {})?;
            planner::plan_first(&tx, *id, now, &settings.plan)?;
        }
        shops::save_page(
            &tx,
            store_id,
            page.next.as_stored(),
            &at,
            &storage::ts(next_poll),
            page.carts.len() + page.skipped.len(),
            page.more,
        )?;
        tx.commit()?;
    }
    for skip in &page.skipped {
        tracing::warn!(store = store_id, checkout = ?skip.checkout_id, reason = %skip.reason, "checkout skipped");
    }
    if let Some(&last) = detected.iter().max() {
        // One event per batch: listeners re-read the list.
        events_out.emit(EngineEvent::CartDetected { cart_id: last });
    }
    for (cart_id, contact_name, total) in recovered {
        events_out.emit(EngineEvent::CartRecovered { cart_id, contact_name, total });
    }
    tracing::debug!(
        store = store_id,
        new,
        updated,
        completed,
        skipped = page.skipped.len(),
        more = page.more,
        "store page stored"
    );
    Ok(PollOutcome::Page {
        new,
        updated,
        completed,
        skipped: page.skipped.len(),
        more: page.more,
        pace: page.pace,
    })
}

/// Carts whose abandonment delay has passed since the last poll become `detected` (the poll
/// does this too; the engine's loop calls it between polls).
pub fn promote_waiting(
    db: &Db,
    clock: &dyn Clock,
    events_out: &EventBus,
    plan: &PlanRules,
) -> Result<usize, StorageError> {
    let now = clock.now();
    let ids = {
        let mut conn = db.conn();
        let tx = conn.transaction()?;
        let ids = carts::promote_ready(&tx, now)?;
        for id in &ids {
            event_log::append(&tx, &storage::ts(now), Some(*id), None, &LogEvent::CartDetected {})?;
            planner::plan_first(&tx, *id, now, plan)?;
        }
        tx.commit()?;
        ids
    };
    if let Some(&last) = ids.iter().max() {
        events_out.emit(EngineEvent::CartDetected { cart_id: last });
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let e = StoreError::Server { status: 503 };
        assert_eq!(backoff(1, &e, 0.5), FIRST_BACKOFF);
        assert_eq!(backoff(2, &e, 0.5), FIRST_BACKOFF * 2);
        assert_eq!(backoff(3, &e, 0.5), FIRST_BACKOFF * 4);
        assert_eq!(backoff(50, &e, 0.5), MAX_BACKOFF);
        assert_eq!(backoff(1, &e, 0.0), FIRST_BACKOFF.mul_f64(0.8));
        assert!(backoff(1, &e, 0.999) < FIRST_BACKOFF.mul_f64(1.2));
        let slow = StoreError::RateLimited { retry_after: Some(Duration::from_secs(120)) };
        assert_eq!(backoff(1, &slow, 0.0), Duration::from_secs(120), "never sooner than Retry-After");
        let auth = StoreError::Auth { status: 401, detail: String::new() };
        assert_eq!(backoff(1, &auth, 0.5), AUTH_BACKOFF);
    }
}
