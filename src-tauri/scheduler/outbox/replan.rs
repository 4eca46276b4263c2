//! Sends whose time went by without them: leases that ran out (reaped), overdue planned sends
//! (the computer slept, the app was closed, sending was paused) and sends claimed while the shop
//! is closed. Guarantee: they are moved inside business hours, spread like a backlog so a
//! wake-up never fires them all at once, and never at night; past the maximum age, skipped.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::checks::{age_reference, skip};
use super::{DispatchReport, DispatchRules};
use crate::domain::send_plan::{backlog_slot, first_send, Timing};
use crate::scheduler::planner;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{sends, ts, Db, StorageError};

/// Step 1: leases that ran out. A send whose request never started goes back to `planned`;
/// one whose request may have left becomes `unknown`, recorded in the event log.
pub(super) fn reap(
    conn: &mut Connection,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> Result<(), StorageError> {
    let (back, unknown) = sends::reap_expired(conn, &ts(now))?;
    report.reaped = back.len();
    report.unknown = unknown.len();
    for id in &unknown {
        tracing::warn!(send = id, "a send was interrupted after its request started; marked unknown");
        let cart = sends::cart_of(conn, *id).ok().flatten();
        event_log::append(
            conn,
            &ts(now),
            cart,
            None,
            &LogEvent::SendUnknown { send: Some(*id), step: None, detail: "interrupted while sending" },
        )?;
    }
    Ok(())
}

/// Step 2: overdue planned sends are re-planned inside hours (spread) or skipped as too old.
pub(super) fn replan_overdue(
    conn: &mut Connection,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    reason: &str,
) -> Result<usize, StorageError> {
    let ids = sends::overdue(conn, &ts(now), 5000)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let count = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    for (i, id) in ids.iter().enumerate() {
        let Some(ctx) = sends::context(&tx, *id)? else { continue };
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(why) = replan_one(&tx, &ctx, now, rules, (index, count), reason)? {
            skip(&tx, &ctx, why, Some(reason), now)?;
        } else {
            event_log::append(
                &tx,
                &ts(now),
                Some(ctx.cart_id),
                ctx.contact_id,
                &LogEvent::SendReplanned { step: ctx.step, reason, due: None, by: None },
            )?;
        }
    }
    tx.commit()?;
    Ok(ids.len())
}

/// The shop is closed at `now`: gives the claimed send's lease back (fenced) and re-plans it
/// inside the next opening, or skips it as too old.
pub(super) fn closed(
    db: &Db,
    ctx: &sends::SendContext,
    owner: &str,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    report: &mut DispatchReport,
) -> Result<(), StorageError> {
    let mut conn = db.conn();
    let tx = conn.transaction()?;
    if !sends::release(&tx, ctx.id, owner, &ctx.due_at, "closed", &ts(now))? {
        return Ok(());
    }
    match replan_one(&tx, ctx, now, rules, (0, 1), "closed")? {
        Some(why) => {
            skip(&tx, ctx, why, None, now)?;
            report.skipped.push((ctx.id, why.to_string()));
        }
        None => report.held.push((ctx.id, "closed".into())),
    }
    tx.commit()?;
    Ok(())
}

/// Re-plans one send for a shop that is closed now (or a send past its deadline): inside the
/// next opening, or skipped as too old. `spread`: (index, count) among a batch re-planned
/// together, so a wake-up never fires them all at once.
fn replan_one(
    conn: &Connection,
    ctx: &sends::SendContext,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    spread: (u32, u32),
    reason: &str,
) -> rusqlite::Result<Option<&'static str>> {
    let at = ts(now);
    // Follow-ups age from their own planned time, first messages from the checkout's update
    // (never from `due_at`, which holds move forward).
    let reference = age_reference(conn, ctx, rules)?;
    match first_send(&rules.plan.hours, now, reference, &rules.plan.timing) {
        Timing::Now { deadline } => {
            let slot = backlog_slot(now, spread.0, spread.1, rules.plan.timing.backlog_spread, deadline);
            sends::replan(conn, ctx.id, &ts(slot), &ts(deadline), None, reason, &at)?;
            Ok(None)
        }
        Timing::AtOpening { opens_at, deadline } => {
            if sends::replan(conn, ctx.id, &ts(opens_at), &ts(deadline), Some(&ts(opens_at)), reason, &at)? {
                planner::reslot(conn, opens_at, rules.plan.timing.backlog_spread, &at)?;
            }
            Ok(None)
        }
        Timing::TooOld { .. } => Ok(Some("too_old")),
        Timing::NeverOpen => Ok(Some("no_business_hours")),
    }
}
