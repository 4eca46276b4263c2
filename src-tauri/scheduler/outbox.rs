//! The outbox dispatcher: at most one message per cart step, even across crashes, and never
//! lost. One [`dispatch_step`]:
//!
//! 1. **Reap** leases that ran out: a send whose request never started goes back to `planned`;
//!    one whose request may have left becomes `unknown` (settled later from WhatsApp's status
//!    webhooks by its idempotency key, never re-sent blindly).
//! 2. **Re-plan** overdue sends (the computer slept, the app was closed, sending was paused):
//!    inside hours, spread like a backlog, never at night; past the maximum age: skipped.
//! 3. **Claim** due sends in a short `BEGIN IMMEDIATE` (lease owner + expiry).
//! 4. For each: the **pre-send checks** (purchase, opt-out, takeover, reply, consent, cap, age,
//!    hours, the customer still active, the monthly spend cap, holdout, template approved, the
//!    store re-fetch). A
//!    "no" is a skip with its reason; a "not now" gives the send back with a later time.
//! 5. **Send** with no transaction open, after a fenced "sending" mark; **finish** with an
//!    update fenced by the lease owner.
//!
//! The parts: `checks` (the pre-send checks, skip and hold), `replan` (reaping and re-planning),
//! `templates` (the template cache and the message for a send), `media` (the reminder's product
//! picture, uploaded before the send), `spend_cap` (the monthly spend cap's hold) and `finish`
//! (recording the answer). The message itself is built by [`crate::whatsapp::recovery`].

mod checks;
pub mod coupon;
mod finish;
mod media;
mod replan;
pub mod spend_cap;
mod templates;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use self::checks::{hold, local_checks, skip, store_still_open, Verdict};
use self::finish::finish;
use self::replan::{closed, reap, replan_overdue};
use self::templates::{pick, StepTemplates};
use super::planner::PlanRules;
use crate::clock::Clock;
use crate::events::EventBus;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{sends, ts, Db, StorageError};
use crate::stores::{Completion, StoreError};
use crate::whatsapp::{BoxFuture, MessageSender};

pub use self::templates::refresh_templates;
pub(crate) use self::templates::{language_candidates, message};

/// Asks the store about one cart right before its send (the engine's connectors), and whether
/// the month's spend reached the owner's cap.
pub trait PreSendStore: Send + Sync {
    fn completion<'a>(&'a self, cart_id: i64) -> BoxFuture<'a, Result<Completion, StoreError>>;

    /// `Some` when the shop's month's estimated spend reached `monthly_spend_cap_usd` at `now`
    /// (then recovery messages wait). Without a cap: `None`.
    fn spend_cap_reached(&self, _now: DateTime<Utc>) -> Result<Option<spend_cap::CapReached>, StorageError> {
        Ok(None)
    }

    /// The stores' coupon requests (`None`: no coupons; see `coupon`).
    fn coupons(&self) -> Option<&dyn crate::stores::coupons::CouponStore> {
        None
    }
}

/// Everything a dispatch step obeys, from the settings.
#[derive(Debug, Clone)]
pub struct DispatchRules {
    pub plan: PlanRules,
    pub abandonment_delay: Duration,
    pub consent_only: bool,
    pub customer_cap: Duration,
    pub attribution: Duration,
    pub paused: bool,
    pub template: String,
    pub lease: Duration,
    pub batch: u32,
    /// The image variant of the recovery template (setting `reminder_image` on): its name.
    pub image_template: Option<String>,
    /// The coupon settings (`None`: `coupon_percent` is 0).
    pub coupon: Option<coupon::CouponRules>,
}

/// What one step did; `skipped` and `held` carry (send id, reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchReport {
    pub reaped: usize,
    pub unknown: usize,
    pub replanned: usize,
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    pub skipped: Vec<(i64, String)>,
    pub held: Vec<(i64, String)>,
    /// Nothing was claimed: sending is paused or no WhatsApp account is connected.
    pub idle_reason: Option<String>,
}

/// One dispatcher step. `sender` is `None` when no WhatsApp account is connected.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch_step(
    db: &Db,
    clock: &dyn Clock,
    bus: &EventBus,
    sender: Option<&dyn MessageSender>,
    store: &dyn PreSendStore,
    rules: &DispatchRules,
    owner: &str,
) -> Result<DispatchReport, StorageError> {
    let mut report = DispatchReport::default();
    let now = clock.now();
    {
        let mut conn = db.conn();
        reap(&mut conn, now, &mut report)?;
        let idle = if rules.paused {
            Some("paused")
        } else if sender.is_none() {
            Some("no_whatsapp")
        } else {
            None
        };
        report.replanned = replan_overdue(&mut conn, now, rules, idle.unwrap_or("deadline_passed"))?;
        if let Some(reason) = idle {
            report.idle_reason = Some(reason.to_string());
            return Ok(report);
        }
    }
    let Some(sender) = sender else { return Ok(report) };
    let lease_until = ts(now + rules.lease);
    let claimed = sends::claim_due(&mut db.conn(), owner, &ts(now), &lease_until, rules.batch)?;
    report.claimed = claimed.len();
    let mut step_templates = StepTemplates::default();
    let mut image_templates = StepTemplates::default();
    let mut stop: Option<String> = None;
    for id in claimed {
        let now = clock.now();
        let Some(ctx) = sends::context(&db.conn(), id)? else { continue };
        if stop.is_some() {
            sends::release(&db.conn(), id, owner, &ts(now + Duration::minutes(15)), "account", &ts(now))?;
            report.held.push((id, "account".to_string()));
            continue;
        }
        // 1. What the database knows.
        if !database_says_go(db, &ctx, owner, now, rules, &mut report)? {
            continue;
        }
        // The month's spend reached the owner's cap: wait (re-checked soon), never skipped.
        // Holdout carts wait too, so both groups keep meeting the same rules.
        if let Some(reached) = store.spend_cap_reached(now)? {
            let max_delay = rules.plan.timing.max_delay;
            spend_cap::hold_for_cap(db, &ctx, owner, &reached, max_delay, now, &mut report)?;
            continue;
        }
        // 2. The template must be approved in a language for this customer (the cache, refreshed
        //    when stale: at most one WhatsApp call per step), and fit this cart.
        //    A cart in a `template:` experiment's arm uses that arm's template.
        let arm_template = crate::storage::experiments::template_for_cart(&db.conn(), ctx.cart_id)?;
        let template_name = arm_template.as_deref().unwrap_or(&rules.template);
        let rows = match step_templates.rows(db, sender, template_name, now).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the template's state");
                hold(db, &ctx, owner, now + Duration::minutes(5), "whatsapp_unreachable", now, &mut report)?;
                continue;
            }
        };
        let template = match pick(&ctx, &rows) {
            Ok(template) => template,
            Err(reason) => {
                hold(db, &ctx, owner, now + Duration::minutes(15), reason, now, &mut report)?;
                continue;
            }
        };
        let mut outgoing = match message(&ctx, template) {
            Ok(m) => m,
            Err(reason) => {
                if skip(&db.conn(), &ctx, reason, None, now)? {
                    report.skipped.push((id, reason.to_string()));
                }
                continue;
            }
        };
        // 3. Ask the store: bought? (No lock held while waiting.) Unreachable: not this round.
        if !store_still_open(db, store, &ctx, owner, now, rules, &mut report).await? {
            continue;
        }
        // 4. Still inside hours after the checks' waiting (a slow store near closing time)?
        let now = clock.now();
        if !rules.plan.hours.is_open(now) {
            closed(db, &ctx, owner, now, rules, &mut report)?;
            continue;
        }
        // The holdout group stops here, having passed every check a message passes.
        if ctx.holdout {
            if skip(&db.conn(), &ctx, "holdout", None, now)? {
                report.skipped.push((id, "holdout".into()));
            }
            continue;
        }
        // Its twin passed the same point: from here the cart is messaged, whatever comes after.
        sends::mark_passed_holdout_point(&db.conn(), id, &ts(now))?;
        // 4b. The reminder with the product's picture, when it is on and can go so: uploaded now,
        //     before the send is marked as leaving (see `media`); the hours checked again after.
        //     The database's checks run again too: a STOP may have come during the upload.
        //     Not for a cart in a template experiment: its arm's copy is what is measured.
        let mut uploaded_now = false;
        if let (Some(name), None) = (&rules.image_template, &arm_template) {
            if let Ok(rows) = image_templates.rows(db, sender, name, now).await {
                let picked = media::with_image(db, sender, &ctx, &rows, outgoing, now).await?;
                (outgoing, uploaded_now) = (picked.outgoing, picked.uploaded_now);
                if !still_go_after_slow_step(db, clock, id, owner, rules, &mut report)? {
                    continue;
                }
            }
        }
        // 4c. The cart's coupon when this message carries one (see `coupon`). Creating it may
        //     wait on the store (a lookup and a create): every check runs again after it.
        let now = clock.now();
        let attached = coupon::attach(db, bus, store.coupons(), &ctx, rules.coupon.as_ref(), outgoing, now);
        outgoing = match attached.await? {
            coupon::Attached::Go(m) => m,
            coupon::Attached::Wait(at) => {
                hold(db, &ctx, owner, at, "store_unreachable", now, &mut report)?;
                continue;
            }
        };
        if !still_go_after_slow_step(db, clock, id, owner, rules, &mut report)? {
            continue;
        }
        // 5. The fenced "about to send", at the time now (the lease may have run out while the
        //    checks and the picture waited). Losing it means another dispatcher owns the row now.
        let now = clock.now();
        if !sends::mark_sending(&db.conn(), id, owner, &outgoing.to, &ts(now))? {
            tracing::warn!(send = id, "lost the lease before sending; left to its new owner");
            continue;
        }
        // 6. Send, with no transaction open.
        let answer = sender.send_template(&outgoing).await;
        let done = clock.now();
        let result = media::after_send(db, &outgoing, uploaded_now, answer, done)?;
        finish(db, bus, &ctx, owner, &outgoing, result, done, rules, &mut report, &mut stop)?;
    }
    Ok(report)
}

/// The pre-send checks on what the database knows: `true` to go on; otherwise the send was
/// skipped, held or given back for the hours, as the verdict says.
fn database_says_go(
    db: &Db,
    ctx: &sends::SendContext,
    owner: &str,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    report: &mut DispatchReport,
) -> Result<bool, StorageError> {
    let verdict = local_checks(&db.conn(), ctx, now, rules)?;
    match verdict {
        Verdict::Go => return Ok(true),
        Verdict::Skip(reason) => {
            if skip(&db.conn(), ctx, reason, None, now)? {
                report.skipped.push((ctx.id, reason.to_string()));
            }
        }
        Verdict::Hold(at, reason) => hold(db, ctx, owner, at, reason, now, report)?,
        Verdict::Closed => closed(db, ctx, owner, now, rules, report)?,
    }
    Ok(false)
}

/// After a step that waited on the network (the picture's upload, the coupon's creation): the
/// send's context read again and the database's checks (purchase, opt-out, takeover, reply…,
/// and the hours) run again at the time now, since a STOP, a purchase or closing time may have
/// come meanwhile. `true` to go on; otherwise the send was skipped, held or re-planned.
fn still_go_after_slow_step(
    db: &Db,
    clock: &dyn Clock,
    id: i64,
    owner: &str,
    rules: &DispatchRules,
    report: &mut DispatchReport,
) -> Result<bool, StorageError> {
    let now = clock.now();
    let Some(ctx) = sends::context(&db.conn(), id)? else { return Ok(false) };
    database_says_go(db, &ctx, owner, now, rules, report)
}

/// A status webhook (delivery, read, failed) that names a message: an `unknown` send is settled
/// by its idempotency key or wamid. Returns the send id when one was settled.
pub fn reconcile(
    db: &Db,
    callback_data: Option<&str>,
    wamid: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StorageError> {
    let conn = db.conn();
    let settled = sends::reconcile(&conn, callback_data, wamid, &ts(at), &ts(now))?;
    if let Some(id) = settled {
        event_log::append(&conn, &ts(now), None, None, &LogEvent::SendReconciled { send: id, wamid })?;
    }
    Ok(settled)
}
