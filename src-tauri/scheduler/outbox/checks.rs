//! The pre-send checks and their two answers short of sending: a *skip* (this send will never
//! go, with its reason) and a *hold* (not this round: back to `planned` at a later time). Both
//! are fenced updates, so a send another dispatcher owns is never touched.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::{DispatchReport, DispatchRules, PreSendStore};
use crate::domain::time::parse_time;
use crate::scheduler::tracker;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{carts, messages, sends, ts, Db, StorageError};
use crate::stores::Completion;

pub(super) enum Verdict {
    Go,
    Skip(&'static str),
    /// Not this round: back to `planned` at this time, with the reason.
    Hold(DateTime<Utc>, &'static str),
    /// Not before the next opening (re-planned there), or too old by then.
    Closed,
}

/// A stored timestamp; an unreadable one reads as the distant past.
pub(super) fn time(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// What a send's age is measured from, against `max_cart_age_hours`: a first message from the
/// checkout's last update (the cart's abandonment); a follow-up from its own time, the previous
/// message's departure plus `followup_delay_hours`, as the planner planned it. Never from
/// `due_at`, which holds (the spend cap, an unreachable store) move forward: a follow-up held
/// for weeks is too old, not sent late.
pub(super) fn age_reference(
    conn: &Connection,
    ctx: &sends::SendContext,
    rules: &DispatchRules,
) -> rusqlite::Result<DateTime<Utc>> {
    if ctx.step <= 0 {
        return Ok(time(&ctx.checkout_updated_at));
    }
    Ok(match sends::step_sent_at(conn, ctx.cart_id, ctx.step - 1)? {
        Some(previous) => time(&previous) + rules.plan.followup_delay,
        None => time(&ctx.due_at),
    })
}

/// The checks that need only the database.
pub(super) fn local_checks(
    conn: &Connection,
    ctx: &sends::SendContext,
    now: DateTime<Utc>,
    rules: &DispatchRules,
) -> rusqlite::Result<Verdict> {
    if ctx.completed_at.is_some() {
        return Ok(Verdict::Skip("purchased"));
    }
    let (Some(contact), Some(_)) = (ctx.contact_id, ctx.phone_e164.as_deref()) else {
        return Ok(Verdict::Skip("no_phone"));
    };
    if ctx.opted_out_at.is_some() {
        return Ok(Verdict::Skip("opted_out"));
    }
    if ctx.takeover_at.is_some() || ctx.automation_paused {
        return Ok(Verdict::Skip("takeover"));
    }
    // WhatsApp's per-user marketing cap (131049): back off that customer for a day.
    if sends::marketing_capped_since(conn, contact, &ts(now - Duration::hours(24)))? {
        return Ok(Verdict::Skip("marketing_cap"));
    }
    if ctx.step > 0 {
        let first = sends::first_sent_at(conn, ctx.cart_id)?;
        match first {
            Some(first) if messages::customer_wrote_since(conn, contact, &first)? => {
                return Ok(Verdict::Skip("replied"))
            }
            Some(_) => {}
            None => return Ok(Verdict::Skip("no_first_message")),
        }
        if now - age_reference(conn, ctx, rules)? > rules.plan.timing.max_age {
            return Ok(Verdict::Skip("too_old"));
        }
    }
    if rules.consent_only && ctx.marketing_consent != Some(true) {
        return Ok(Verdict::Skip("no_consent"));
    }
    let updated = time(&ctx.checkout_updated_at);
    if ctx.step == 0 {
        if sends::contact_messaged_since(conn, contact, ctx.cart_id, &ts(now - rules.customer_cap))? {
            return Ok(Verdict::Skip("customer_cap"));
        }
        if now - updated > rules.plan.timing.max_age {
            return Ok(Verdict::Skip("too_old"));
        }
        // The customer came back to the checkout: wait until they have left it again.
        let quiet = updated + rules.abandonment_delay;
        if quiet > now {
            return Ok(Verdict::Hold(quiet, "customer_active"));
        }
    }
    if !rules.plan.hours.is_open(now) {
        return Ok(Verdict::Closed);
    }
    // A holdout cart is not decided here: it goes through the template and store checks like a
    // messaged one and is held back only where the message would leave, so both groups lose
    // the same carts (bought meanwhile, checkout gone) and the lift compares like with like.
    Ok(Verdict::Go)
}

/// The last check: asks the store whether the cart was bought (no lock held while waiting).
/// `true`: still open, go on. Bought or gone: skipped; the store unreachable: held.
pub(super) async fn store_still_open(
    db: &Db,
    store: &dyn PreSendStore,
    ctx: &sends::SendContext,
    owner: &str,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    report: &mut DispatchReport,
) -> Result<bool, StorageError> {
    let id = ctx.id;
    match store.completion(ctx.cart_id).await {
        Ok(Completion::Open) => Ok(true),
        Ok(Completion::Completed { at, how }) => {
            let done = at.unwrap_or(now);
            {
                let mut conn = db.conn();
                let tx = conn.transaction()?;
                let news = carts::mark_completed(&tx, ctx.store_id, &ctx.external_id, done)?.is_some();
                skip(&tx, ctx, "purchased", Some(&how), now)?;
                if news {
                    tracker::record_purchase(&tx, ctx.cart_id, &how, done, rules.attribution, now)?;
                }
                tx.commit()?;
            }
            report.skipped.push((id, "purchased".into()));
            Ok(false)
        }
        Ok(Completion::Gone) => {
            if skip(&db.conn(), ctx, "checkout_gone", None, now)? {
                report.skipped.push((id, "checkout_gone".into()));
            }
            Ok(false)
        }
        Err(e) => {
            tracing::warn!(cart = ctx.cart_id, error = %e, "pre-send store check failed; not sending this round");
            hold(db, ctx, owner, now + Duration::minutes(5), "store_unreachable", now, report)?;
            Ok(false)
        }
    }
}

/// Records a skip with its reason (fenced: only a send not yet handed to WhatsApp). `false`
/// when the send was no longer skippable.
pub(super) fn skip(
    conn: &Connection,
    ctx: &sends::SendContext,
    reason: &str,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let at = ts(now);
    if !sends::skip(conn, ctx.id, reason, detail, &at)? {
        return Ok(false);
    }
    if ctx.step == 0 && reason != "holdout" {
        carts::set_status(conn, ctx.cart_id, "not_sent")?;
    }
    event_log::append(
        conn,
        &at,
        Some(ctx.cart_id),
        ctx.contact_id,
        &LogEvent::SendSkipped { step: Some(ctx.step), reason, detail: Some(detail), by: None },
    )?;
    Ok(true)
}

/// Gives a claimed send back until `until`, with the reason (fenced by the lease owner).
pub(super) fn hold(
    db: &Db,
    ctx: &sends::SendContext,
    owner: &str,
    until: DateTime<Utc>,
    reason: &'static str,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> Result<(), StorageError> {
    let conn = db.conn();
    if sends::release(&conn, ctx.id, owner, &ts(until), reason, &ts(now))? {
        event_log::append(
            &conn,
            &ts(now),
            Some(ctx.cart_id),
            ctx.contact_id,
            &LogEvent::SendHeld { step: ctx.step, reason, until: &ts(until) },
        )?;
        report.held.push((ctx.id, reason.to_string()));
    }
    Ok(())
}
