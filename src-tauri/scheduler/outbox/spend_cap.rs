//! The monthly spend cap at the outbox: once the shop's month's estimated WhatsApp spend reached
//! `monthly_spend_cap_usd`, a recovery message that passed every other check waits with the
//! reason `spend_cap`. It is a hold, never a skip: the send is given back and checked again
//! every [`RECHECK`] (so raising the cap resumes sending within minutes), at the latest when the
//! month ends; each time it comes back it meets every rule again (purchase, opt-out, maximum
//! age, hours…), so a cart that grew too old meanwhile is skipped as `too_old`, not sent late.
//! The hold is written to the cart's timeline once, not at every re-check.
//!
//! The spend itself is measured above this module (the engine, from the Results' read model),
//! through [`super::PreSendStore::spend_cap_reached`].

use chrono::{DateTime, Duration, Utc};

use super::DispatchReport;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{sends, ts, Db, StorageError};

/// The reason a send waits for the cap.
pub const SPEND_CAP: &str = "spend_cap";

/// How long a send held by the cap waits before it is checked again.
pub const RECHECK: Duration = Duration::minutes(15);

/// The cap was reached: the month's spend and when the month ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReached {
    /// The start of the shop's next month, when sending resumes on its own.
    pub resumes_at: DateTime<Utc>,
}

/// When a send held by the cap at `now` is looked at again.
pub fn recheck_at(now: DateTime<Utc>, reached: &CapReached) -> DateTime<Utc> {
    (now + RECHECK).min(reached.resumes_at.max(now + Duration::seconds(1)))
}

/// Gives the claimed send back until the next re-check (fenced by the lease owner). Its
/// deadline moves past the re-check (by `max_delay`, as a fresh plan would have it), so the
/// overdue re-planning leaves it alone and it keeps saying `spend_cap` while it waits; the
/// maximum age is still checked every time it comes back. The timeline gets one `held` line
/// per stretch of waiting, not one per re-check.
pub(super) fn hold_for_cap(
    db: &Db,
    ctx: &sends::SendContext,
    owner: &str,
    reached: &CapReached,
    max_delay: Duration,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> Result<(), StorageError> {
    let until = recheck_at(now, reached);
    let deadline = super::checks::time(&ctx.deadline_at).max(until + max_delay);
    let mut conn = db.conn();
    let tx = conn.transaction()?;
    let already = sends::for_cart(&tx, ctx.cart_id)?
        .iter()
        .any(|s| s.id == ctx.id && s.held_reason.as_deref() == Some(SPEND_CAP));
    if sends::release(&tx, ctx.id, owner, &ts(until), SPEND_CAP, &ts(now))? {
        sends::replan(&tx, ctx.id, &ts(until), &ts(deadline), None, SPEND_CAP, &ts(now))?;
        if !already {
            event_log::append(
                &tx,
                &ts(now),
                Some(ctx.cart_id),
                ctx.contact_id,
                &LogEvent::SendHeld { step: ctx.step, reason: SPEND_CAP, until: &ts(reached.resumes_at) },
            )?;
        }
        report.held.push((ctx.id, SPEND_CAP.to_string()));
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_held_send_is_looked_at_again_soon_and_never_after_the_month_ends() {
        let reached = CapReached { resumes_at: at("2026-12-01T03:00:00Z") };
        assert_eq!(recheck_at(at("2026-11-20T12:00:00Z"), &reached), at("2026-11-20T12:15:00Z"));
        assert_eq!(
            recheck_at(at("2026-12-01T02:50:00Z"), &reached),
            at("2026-12-01T03:00:00Z"),
            "the new month's first minute"
        );
        let late = at("2026-12-01T03:00:00Z");
        assert!(recheck_at(late, &reached) > late, "always later than now");
    }
}
