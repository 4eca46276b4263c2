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
//!    hours, the customer still active, holdout, template approved, the store re-fetch). A
//!    "no" is a skip with its reason; a "not now" gives the send back with a later time.
//! 5. **Send** with no transaction open, after a fenced "sending" mark; **finish** with an
//!    update fenced by the lease owner.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::planner::{self, PlanRules};
use super::tracker;
use crate::clock::Clock;
use crate::domain::cart::summarize_items;
use crate::domain::send_plan::{backlog_slot, first_send, Timing};
use crate::domain::Money;
use crate::domain::{Language, LineItem};
use crate::events::{EngineEvent, EventBus, OwnerProblem};
use crate::storage::templates::{self, TemplateRow};
use crate::storage::{carts, contacts, conversations, events, messages, sends, ts, Db, StorageError};
use crate::stores::fields::parse_time;
use crate::stores::{Completion, StoreError};
use crate::whatsapp::{self, BoxFuture, MessageSender, OutgoingTemplate, SendError};

/// Asks the store about one cart right before its send (the engine's connectors).
pub trait PreSendStore: Send + Sync {
    fn completion<'a>(&'a self, cart_id: i64) -> BoxFuture<'a, Result<Completion, StoreError>>;
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

/// How long until a send may be tried again after a retryable error.
fn retry_backoff(attempts: i64, hint: Option<StdDuration>) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 6) - 1).unwrap_or(0);
    let base = Duration::seconds(30 * 2i64.pow(doublings)).min(Duration::minutes(10));
    let hint = hint.and_then(|h| Duration::from_std(h).ok()).unwrap_or(Duration::zero());
    base.max(hint)
}

enum Verdict {
    Go,
    Skip(&'static str),
    /// Not this round: back to `planned` at this time, with the reason.
    Hold(DateTime<Utc>, &'static str),
    /// Not before the next opening (re-planned there), or too old by then.
    Closed,
}

fn time(s: &str) -> DateTime<Utc> {
    parse_time(s).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The checks that need only the database.
fn local_checks(
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

/// The shop is closed at `now`: gives the claimed send's lease back (fenced) and re-plans it
/// inside the next opening, or skips it as too old.
fn closed(
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
    // Follow-ups age from their own planned time, first messages from the checkout's update.
    let reference = if ctx.step == 0 { time(&ctx.checkout_updated_at) } else { time(&ctx.due_at) };
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

fn skip(
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
    events::append(
        conn,
        &at,
        "send_skipped",
        Some(ctx.cart_id),
        ctx.contact_id,
        &serde_json::json!({ "step": ctx.step, "reason": reason, "detail": detail }),
    )?;
    Ok(true)
}

/// Step 2: overdue planned sends are re-planned inside hours (spread) or skipped as too old.
fn replan_overdue(
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
            events::append(
                &tx,
                &ts(now),
                "send_replanned",
                Some(ctx.cart_id),
                ctx.contact_id,
                &serde_json::json!({ "step": ctx.step, "reason": reason }),
            )?;
        }
    }
    tx.commit()?;
    Ok(ids.len())
}

/// The languages a customer's message may use, best first: the customer's (with the store's
/// country, then plain), then the shop's own.
pub(crate) fn language_candidates(ctx: &sends::SendContext) -> Vec<String> {
    let shop = match ctx.store_country.as_str() {
        "BR" | "PT" => Language::Pt,
        "US" | "GB" => Language::En,
        _ => Language::Es,
    };
    let customer = ctx.language.as_deref().and_then(Language::parse).unwrap_or(shop.clone());
    let mut out: Vec<String> = Vec::new();
    for lang in [customer, shop] {
        let exact = whatsapp::template_language(lang.code(), &ctx.store_country);
        let plain: &[&str] = match lang {
            Language::Pt => &["pt_BR", "pt_PT"],
            Language::En | Language::Other(_) => &["en", "en_US", "en_GB"],
            Language::Es => &["es", "es_AR", "es_MX", "es_ES"],
        };
        for l in std::iter::once(exact.as_str()).chain(plain.iter().copied()) {
            if !out.iter().any(|o| o == l) {
                out.push(l.to_string());
            }
        }
    }
    out
}

/// The template message for a send, shaped after the approved template `t`: {{1}} first name,
/// {{2}} store name, {{3}} products, {{4}} total, the URL button's suffix when the template has
/// one, the first product image when its header is an image. `Err(reason)`: this cart can't be
/// sent with this template.
pub(crate) fn message(ctx: &sends::SendContext, t: &TemplateRow) -> Result<OutgoingTemplate, &'static str> {
    let language = Language::parse(t.language.split('_').next().unwrap_or("es")).unwrap_or(Language::Es);
    let items: Vec<LineItem> = serde_json::from_str(&ctx.items_json).unwrap_or_default();
    let summary = summarize_items(&items, 2, &language);
    let fallback_name = match language {
        Language::Pt => "cliente",
        Language::En | Language::Other(_) => "there",
        Language::Es => "cliente",
    };
    let first_name = ctx.first_name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(fallback_name);
    let locale = format!("{}-{}", language.code(), ctx.store_country);
    let total = Money::parse(&ctx.total, &ctx.currency)
        .map(|m| m.format(&locale))
        .unwrap_or_else(|_| format!("{} {}", ctx.total, ctx.currency));
    let mut body = vec![
        whatsapp::clean_parameter(first_name, 60),
        whatsapp::clean_parameter(&ctx.store_name, 60),
        whatsapp::clean_parameter(if summary.is_empty() { "-" } else { &summary }, 200),
        whatsapp::clean_parameter(&total, 40),
    ];
    match t.body_params {
        Some(4) | None => {}
        // An older three-parameter template (store, name, products) still works.
        Some(3) => {
            body.truncate(3);
            body.swap(0, 1);
        }
        Some(_) => return Err("template_mismatch"),
    }
    let button_suffix = match t.button_url.as_deref() {
        Some(url) if url.ends_with("{{1}}") => {
            let link = ctx.recovery_url.as_deref().ok_or("no_recovery_link")?;
            Some(whatsapp::button_suffix_for(link, url).ok_or("recovery_url_mismatch")?)
        }
        _ => None,
    };
    let header_image = match t.header_format.as_deref() {
        Some("IMAGE") => {
            Some(items.iter().find_map(|i| i.image_url()).ok_or("no_product_image")?.to_string())
        }
        Some("TEXT") | None => None,
        Some(_) => return Err("template_mismatch"),
    };
    Ok(OutgoingTemplate {
        to: ctx.phone_e164.clone().unwrap_or_default(),
        template: t.name.clone(),
        language: t.language.clone(),
        body,
        header_image,
        button_suffix,
        callback_data: ctx.idempotency_key.clone(),
    })
}

/// How long a template's known state is trusted: an approved one for an hour (a send error
/// tells sooner), one under review for a few minutes (Meta's template webhooks can't reach a
/// desktop, so approval is polled).
fn template_ttl(row: &TemplateRow) -> Duration {
    if row.status == "APPROVED" {
        Duration::minutes(60)
    } else {
        Duration::minutes(5)
    }
}

/// A local storage failure while handling templates: not WhatsApp's fault, try again later.
fn storage_error(e: rusqlite::Error) -> SendError {
    SendError::Retryable { code: "storage".into(), detail: e.to_string(), retry_after: None }
}

/// Re-reads the templates called `name` from WhatsApp into the cache. Languages WhatsApp no
/// longer lists are marked MISSING.
pub async fn refresh_templates(
    db: &Db,
    sender: &dyn MessageSender,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TemplateRow>, SendError> {
    let listed = sender.templates(Some(name)).await?;
    let conn = db.conn();
    let at = ts(now);
    for t in &listed {
        templates::upsert(&conn, &t.to_row(&at)).map_err(storage_error)?;
    }
    conn.execute(
        "UPDATE wa_templates SET status = 'MISSING', checked_at = ?2 WHERE name = ?1 AND checked_at < ?2",
        rusqlite::params![name, at],
    )
    .map_err(storage_error)?;
    let rows = templates::list(&conn).map_err(storage_error)?;
    Ok(rows.into_iter().filter(|r| r.name == name).collect())
}

/// The template's languages as known, refreshed when stale. A failed refresh falls back to
/// what is known.
async fn template_rows(
    db: &Db,
    sender: &dyn MessageSender,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TemplateRow>, SendError> {
    let known: Vec<TemplateRow> =
        templates::list(&db.conn()).map_err(storage_error)?.into_iter().filter(|r| r.name == name).collect();
    let fresh = !known.is_empty() && known.iter().all(|r| now - time(&r.checked_at) < template_ttl(r));
    if fresh {
        return Ok(known);
    }
    match refresh_templates(db, sender, name, now).await {
        Ok(rows) => Ok(rows),
        Err(e) if !known.is_empty() => {
            tracing::warn!(error = %e, "could not refresh the templates; using what is known");
            Ok(known)
        }
        Err(e) => Err(e),
    }
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
        let (back, unknown) = sends::reap_expired(&mut conn, &ts(now))?;
        report.reaped = back.len();
        report.unknown = unknown.len();
        for id in &unknown {
            tracing::warn!(send = id, "a send was interrupted after its request started; marked unknown");
            let cart: Option<i64> =
                conn.query_row("SELECT cart_id FROM sends WHERE id = ?1", [id], |r| r.get(0)).ok();
            events::append(
                &conn,
                &ts(now),
                "send_unknown",
                cart,
                None,
                &serde_json::json!({ "send": id, "detail": "interrupted while sending" }),
            )?;
        }
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
    let mut template_rows_once: Option<Result<Vec<TemplateRow>, SendError>> = None;
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
        let verdict = {
            let conn = db.conn();
            local_checks(&conn, &ctx, now, rules)?
        };
        match verdict {
            Verdict::Go => {}
            Verdict::Skip(reason) => {
                if skip(&db.conn(), &ctx, reason, None, now)? {
                    report.skipped.push((id, reason.to_string()));
                }
                continue;
            }
            Verdict::Hold(at, reason) => {
                hold(db, &ctx, owner, at, reason, now, &mut report)?;
                continue;
            }
            Verdict::Closed => {
                closed(db, &ctx, owner, now, rules, &mut report)?;
                continue;
            }
        }
        // 2. The template must be approved in a language for this customer (the cache, refreshed
        //    when stale: at most one WhatsApp call per step), and fit this cart.
        let rows = match &template_rows_once {
            Some(rows) => rows.clone(),
            None => {
                let rows = template_rows(db, sender, &rules.template, now).await;
                template_rows_once = Some(rows.clone());
                rows
            }
        };
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the template's state");
                hold(db, &ctx, owner, now + Duration::minutes(5), "whatsapp_unreachable", now, &mut report)?;
                continue;
            }
        };
        let candidates = language_candidates(&ctx);
        let chosen = candidates.iter().find_map(|l| rows.iter().find(|r| &r.language == l && r.sendable()));
        let Some(template) = chosen else {
            let reason =
                if candidates.iter().any(|l| rows.iter().any(|r| &r.language == l && r.block_code.is_some()))
                {
                    "template_blocked"
                } else {
                    "template_not_approved"
                };
            hold(db, &ctx, owner, now + Duration::minutes(15), reason, now, &mut report)?;
            continue;
        };
        let outgoing = match message(&ctx, template) {
            Ok(m) => m,
            Err(reason) => {
                if skip(&db.conn(), &ctx, reason, None, now)? {
                    report.skipped.push((id, reason.to_string()));
                }
                continue;
            }
        };
        // 3. Ask the store: bought? (No lock held while waiting.) Unreachable: not this round.
        match store.completion(ctx.cart_id).await {
            Ok(Completion::Open) => {}
            Ok(Completion::Completed { at, how }) => {
                let done = at.unwrap_or(now);
                {
                    let mut conn = db.conn();
                    let tx = conn.transaction()?;
                    let news = carts::mark_completed(&tx, ctx.store_id, &ctx.external_id, done)?.is_some();
                    skip(&tx, &ctx, "purchased", Some(&how), now)?;
                    if news {
                        tracker::record_purchase(&tx, ctx.cart_id, &how, done, rules.attribution, now)?;
                    }
                    tx.commit()?;
                }
                report.skipped.push((id, "purchased".into()));
                continue;
            }
            Ok(Completion::Gone) => {
                if skip(&db.conn(), &ctx, "checkout_gone", None, now)? {
                    report.skipped.push((id, "checkout_gone".into()));
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(cart = ctx.cart_id, error = %e, "pre-send store check failed; not sending this round");
                hold(db, &ctx, owner, now + Duration::minutes(5), "store_unreachable", now, &mut report)?;
                continue;
            }
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
        // 5. The fenced "about to send". Losing it means another dispatcher owns the row now.
        if !sends::mark_sending(&db.conn(), id, owner, &outgoing.to, &ts(now))? {
            tracing::warn!(send = id, "lost the lease before sending; left to its new owner");
            continue;
        }
        // 6. Send, with no transaction open.
        let result = sender.send_template(&outgoing).await;
        let done = clock.now();
        finish(db, bus, &ctx, owner, &outgoing, result, done, rules, &mut report, &mut stop)?;
    }
    Ok(report)
}

fn hold(
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
        events::append(
            &conn,
            &ts(now),
            "send_held",
            Some(ctx.cart_id),
            ctx.contact_id,
            &serde_json::json!({ "step": ctx.step, "reason": reason, "until": ts(until) }),
        )?;
        report.held.push((ctx.id, reason.to_string()));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn finish(
    db: &Db,
    bus: &EventBus,
    ctx: &sends::SendContext,
    owner: &str,
    outgoing: &OutgoingTemplate,
    result: Result<whatsapp::Accepted, SendError>,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    report: &mut DispatchReport,
    stop: &mut Option<String>,
) -> Result<(), StorageError> {
    let at = ts(now);
    let mut template_problem = false;
    let mut conn = db.conn();
    let tx = conn.transaction()?;
    let event = |kind: &str, data: serde_json::Value| {
        events::append(&tx, &at, kind, Some(ctx.cart_id), ctx.contact_id, &data).map(|_| ())
    };
    match result {
        Ok(accepted) => {
            if sends::finish(&tx, ctx.id, owner, "sent", Some(&accepted.wamid), None, None, &at)? {
                report.sent += 1;
                if ctx.step == 0
                    && !matches!(carts::plan_info(&tx, ctx.cart_id)?.map(|i| i.status), Some(s) if s == "recovered" || s == "completed")
                {
                    carts::set_status(&tx, ctx.cart_id, "sent")?;
                }
                if let Some(contact) = ctx.contact_id {
                    if let Some(wa_id) = accepted.wa_id.as_deref() {
                        contacts::remember_wa_id(&tx, contact, wa_id)?;
                    }
                    let thread = conversations::ensure(&tx, contact, &at)?;
                    let text = outgoing.body.join(" · ");
                    messages::insert(
                        &tx,
                        &messages::NewMessage {
                            conversation_id: thread,
                            direction: "out",
                            origin: "automation",
                            wamid: Some(&accepted.wamid),
                            send_id: Some(ctx.id),
                            kind: "template",
                            body: Some(&text),
                            status: Some("accepted"),
                            at: &at,
                        },
                    )?;
                    // Status webhooks may have arrived before this answer.
                    messages::apply_statuses(&tx, &accepted.wamid)?;
                    conversations::touch(&tx, thread, &text, &at, false)?;
                }
                let sent_at = tx
                    .query_row("SELECT sent_at FROM sends WHERE id = ?1", [ctx.id], |r| {
                        r.get::<_, Option<String>>(0)
                    })?
                    .map_or(now, |s| time(&s));
                planner::plan_followup(&tx, ctx.cart_id, ctx.step, sent_at, &rules.plan, now)?;
                event("send_sent", serde_json::json!({ "step": ctx.step, "wamid": accepted.wamid }))?;
            }
        }
        Err(SendError::Retryable { code, detail, retry_after }) => {
            let attempts: i64 =
                tx.query_row("SELECT attempts FROM sends WHERE id = ?1", [ctx.id], |r| r.get(0))?;
            let next = now + retry_backoff(attempts, retry_after);
            let deadline = time(&ctx.deadline_at);
            if next <= deadline && rules.plan.hours.is_open(next) {
                sends::retry_later(&tx, ctx.id, owner, &ts(next), &code, &detail, &at)?;
                report.held.push((ctx.id, format!("retry:{code}")));
                event("send_retry", serde_json::json!({ "step": ctx.step, "code": code, "at": ts(next) }))?;
            } else {
                let why = format!("{detail} (no time left before the deadline to try again)");
                if sends::finish(&tx, ctx.id, owner, "failed", None, Some(&code), Some(&why), &at)? {
                    report.failed += 1;
                    mark_not_sent(&tx, ctx)?;
                    event(
                        "send_failed",
                        serde_json::json!({ "step": ctx.step, "code": code, "detail": why }),
                    )?;
                }
            }
        }
        Err(SendError::Template { code, detail }) => {
            // That template (in that language) can't be used: stop using it, keep the message
            // for when it is fixed, tell the owner. Other templates and languages go on.
            templates::block(&tx, &outgoing.template, &outgoing.language, &code, &detail, &at)?;
            sends::retry_later(&tx, ctx.id, owner, &ts(now + Duration::minutes(15)), &code, &detail, &at)?;
            report.held.push((ctx.id, format!("template:{code}")));
            event(
                "template_blocked",
                serde_json::json!({ "template": outgoing.template, "language": outgoing.language, "code": code, "detail": detail }),
            )?;
            template_problem = true;
        }
        // A template never meets a closed window (131047 is for free text); recorded as terminal.
        Err(e @ (SendError::Terminal { .. } | SendError::WindowClosed { .. })) => {
            let code = e.code().to_string();
            let detail = match e {
                SendError::Terminal { detail, .. } => detail,
                _ => "the customer-service window is closed".to_string(),
            };
            if sends::finish(&tx, ctx.id, owner, "failed", None, Some(&code), Some(&detail), &at)? {
                report.failed += 1;
                mark_not_sent(&tx, ctx)?;
                event(
                    "send_failed",
                    serde_json::json!({ "step": ctx.step, "code": code, "detail": detail }),
                )?;
            }
        }
        Err(SendError::OptedOut { code }) => {
            if sends::finish(
                &tx,
                ctx.id,
                owner,
                "failed",
                None,
                Some(&code),
                Some("the customer stopped marketing messages"),
                &at,
            )? {
                report.failed += 1;
                mark_not_sent(&tx, ctx)?;
                if let Some(contact) = ctx.contact_id {
                    contacts::opt_out(&tx, contact, "meta_131050", &at)?;
                }
                event("opted_out", serde_json::json!({ "source": "meta_131050" }))?;
            }
        }
        Err(SendError::Account { code, detail }) => {
            // Not this message's fault: give it back, pause everything, tell the owner.
            sends::retry_later(&tx, ctx.id, owner, &ts(now + Duration::minutes(15)), &code, &detail, &at)?;
            report.held.push((ctx.id, format!("account:{code}")));
            crate::storage::settings::put(&tx, "sending_paused", "true", &at)?;
            events::append(
                &tx,
                &at,
                "sending_paused",
                None,
                None,
                &serde_json::json!({ "code": code, "detail": detail }),
            )?;
            *stop = Some(code);
        }
        Err(SendError::Unknown { detail }) => {
            if sends::finish(&tx, ctx.id, owner, "unknown", None, None, Some(&detail), &at)? {
                report.unknown += 1;
                event("send_unknown", serde_json::json!({ "step": ctx.step, "detail": detail }))?;
            }
        }
    }
    tx.commit()?;
    drop(conn);
    if template_problem {
        tracing::error!(template = %outgoing.template, language = %outgoing.language, "the template can't be used; its sends wait");
        bus.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::TemplateRejected });
    }
    if let Some(code) = stop.as_deref() {
        tracing::error!(%code, "WhatsApp account cannot send; sending paused");
        let problem = match code {
            "0" | "190" => OwnerProblem::TokenExpired,
            _ => OwnerProblem::NumberDisconnected,
        };
        bus.emit(EngineEvent::PausedChanged { paused: true });
        bus.emit(EngineEvent::NeedsOwner { problem });
    }
    Ok(())
}

fn mark_not_sent(conn: &Connection, ctx: &sends::SendContext) -> rusqlite::Result<()> {
    if ctx.step == 0 {
        carts::set_status(conn, ctx.cart_id, "not_sent")?;
    }
    Ok(())
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
        events::append(
            &conn,
            &ts(now),
            "send_reconciled",
            None,
            None,
            &serde_json::json!({ "send": id, "wamid": wamid }),
        )?;
    }
    Ok(settled)
}
