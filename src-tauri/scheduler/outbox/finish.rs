//! The end of one send: WhatsApp's answer recorded in one transaction, fenced by the lease
//! owner (a send another dispatcher took over is left alone), then the owner told of what needs
//! them (a template refused, the account unable to send).

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::super::planner;
use super::checks::time;
use super::{DispatchReport, DispatchRules};
use crate::events::{EngineEvent, EventBus, OwnerProblem};
use crate::storage::event_log::{self, LogEvent, PauseDetail};
use crate::storage::{
    carts, contacts, conversations, messages, sends, settings, templates, ts, Db, StorageError,
};
use crate::whatsapp::{self, Accepted, OutgoingTemplate, SendError};

/// How long until a send may be tried again after a retryable error.
fn retry_backoff(attempts: i64, hint: Option<StdDuration>) -> Duration {
    let doublings = u32::try_from(attempts.clamp(1, 6) - 1).unwrap_or(0);
    let base = Duration::seconds(30 * 2i64.pow(doublings)).min(Duration::minutes(10));
    let hint = hint.and_then(|h| Duration::from_std(h).ok()).unwrap_or(Duration::zero());
    base.max(hint)
}

/// What the owner must hear once the answer is recorded.
#[derive(Default)]
struct Tell {
    template_problem: bool,
}

/// One send's answer being recorded, inside its transaction.
struct Answer<'a> {
    tx: &'a Connection,
    ctx: &'a sends::SendContext,
    owner: &'a str,
    outgoing: &'a OutgoingTemplate,
    now: DateTime<Utc>,
    at: String,
}

/// Records WhatsApp's answer to one send, then tells the owner what needs them. `stop` is set
/// when the account can't send: the rest of the step gives its sends back.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    db: &Db,
    bus: &EventBus,
    ctx: &sends::SendContext,
    owner: &str,
    outgoing: &OutgoingTemplate,
    result: Result<Accepted, SendError>,
    now: DateTime<Utc>,
    rules: &DispatchRules,
    report: &mut DispatchReport,
    stop: &mut Option<String>,
) -> Result<(), StorageError> {
    let mut tell = Tell::default();
    let mut conn = db.conn();
    let tx = conn.transaction()?;
    let answer = Answer { tx: &tx, ctx, owner, outgoing, now, at: ts(now) };
    match result {
        Ok(accepted) => answer.sent(&accepted, rules, report)?,
        Err(SendError::Retryable { code, detail, retry_after }) => {
            answer.retryable(&code, &detail, retry_after, rules, report)?
        }
        Err(SendError::Template { code, detail }) => {
            answer.template_refused(&code, &detail, report)?;
            tell.template_problem = true;
        }
        // A template never meets a closed window (131047 is for free text); recorded as terminal.
        Err(e @ (SendError::Terminal { .. } | SendError::WindowClosed { .. })) => {
            let code = e.code().to_string();
            let detail = match e {
                SendError::Terminal { detail, .. } => detail,
                _ => "the customer-service window is closed".to_string(),
            };
            answer.failed(&code, &detail, report)?;
        }
        Err(SendError::OptedOut { code }) => answer.opted_out(&code, report)?,
        Err(SendError::Account { code, detail }) => {
            answer.account(&code, &detail, report)?;
            *stop = Some(code);
        }
        Err(SendError::Unknown { detail }) => answer.unknown(&detail, report)?,
    }
    tx.commit()?;
    drop(conn);
    tell_owner(bus, outgoing, &tell, stop.as_deref());
    Ok(())
}

impl Answer<'_> {
    fn event(&self, event: &LogEvent<'_>) -> rusqlite::Result<()> {
        event_log::append(self.tx, &self.at, Some(self.ctx.cart_id), self.ctx.contact_id, event).map(|_| ())
    }

    /// Accepted: the send is `sent`, the cart too (unless already bought), the message joins
    /// the customer's thread, and the next step is planned from when it left.
    fn sent(
        &self,
        accepted: &Accepted,
        rules: &DispatchRules,
        report: &mut DispatchReport,
    ) -> rusqlite::Result<()> {
        let (tx, ctx) = (self.tx, self.ctx);
        if !sends::finish(tx, ctx.id, self.owner, "sent", Some(&accepted.wamid), None, None, &self.at)? {
            return Ok(());
        }
        report.sent += 1;
        if ctx.step == 0
            && !matches!(carts::plan_info(tx, ctx.cart_id)?.map(|i| i.status), Some(s) if s == "recovered" || s == "completed")
        {
            carts::set_status(tx, ctx.cart_id, "sent")?;
        }
        if let Some(contact) = ctx.contact_id {
            self.join_thread(contact, accepted)?;
        }
        let sent_at = sends::sent_at(tx, ctx.id)?.map_or(self.now, |s| time(&s));
        planner::plan_followup(tx, ctx.cart_id, ctx.step, sent_at, &rules.plan, self.now)?;
        self.event(&LogEvent::SendSent { step: ctx.step, wamid: &accepted.wamid })
    }

    /// The sent message as the automation's line in the customer's conversation.
    fn join_thread(&self, contact: i64, accepted: &Accepted) -> rusqlite::Result<()> {
        let (tx, at) = (self.tx, self.at.as_str());
        if let Some(wa_id) = accepted.wa_id.as_deref() {
            contacts::remember_wa_id(tx, contact, wa_id)?;
        }
        let thread = conversations::ensure(tx, contact, at)?;
        let text = self.outgoing.body.join(" · ");
        messages::insert(
            tx,
            &messages::NewMessage {
                conversation_id: thread,
                direction: "out",
                origin: "automation",
                wamid: Some(&accepted.wamid),
                send_id: Some(self.ctx.id),
                kind: "template",
                body: Some(&text),
                status: Some("accepted"),
                at,
            },
        )?;
        // Status webhooks may have arrived before this answer.
        messages::apply_statuses(tx, &accepted.wamid)?;
        conversations::touch(tx, thread, &text, at, false)?;
        Ok(())
    }

    /// Nothing was sent: again after a back-off when that is still inside hours and before the
    /// deadline, else failed.
    fn retryable(
        &self,
        code: &str,
        detail: &str,
        retry_after: Option<StdDuration>,
        rules: &DispatchRules,
        report: &mut DispatchReport,
    ) -> rusqlite::Result<()> {
        let ctx = self.ctx;
        let attempts = sends::attempts(self.tx, ctx.id)?;
        let next = self.now + retry_backoff(attempts, retry_after);
        let deadline = time(&ctx.deadline_at);
        if next <= deadline && rules.plan.hours.is_open(next) {
            sends::retry_later(self.tx, ctx.id, self.owner, &ts(next), code, detail, &self.at)?;
            report.held.push((ctx.id, format!("retry:{code}")));
            self.event(&LogEvent::SendRetry { step: ctx.step, code, at: &ts(next) })
        } else {
            let why = format!("{detail} (no time left before the deadline to try again)");
            self.failed(code, &why, report)
        }
    }

    /// This message will not go: the send fails with WhatsApp's code.
    fn failed(&self, code: &str, detail: &str, report: &mut DispatchReport) -> rusqlite::Result<()> {
        let ctx = self.ctx;
        if sends::finish(self.tx, ctx.id, self.owner, "failed", None, Some(code), Some(detail), &self.at)? {
            report.failed += 1;
            mark_not_sent(self.tx, ctx)?;
            self.event(&LogEvent::SendFailed { step: ctx.step, code, detail })?;
        }
        Ok(())
    }

    /// That template (in that language) can't be used: stop using it, keep the message for when
    /// it is fixed. Other templates and languages go on.
    fn template_refused(
        &self,
        code: &str,
        detail: &str,
        report: &mut DispatchReport,
    ) -> rusqlite::Result<()> {
        let (tx, ctx, outgoing) = (self.tx, self.ctx, self.outgoing);
        templates::block(tx, &outgoing.template, &outgoing.language, code, detail, &self.at)?;
        let later = ts(self.now + Duration::minutes(15));
        sends::retry_later(tx, ctx.id, self.owner, &later, code, detail, &self.at)?;
        report.held.push((ctx.id, format!("template:{code}")));
        self.event(&LogEvent::TemplateBlocked {
            template: &outgoing.template,
            language: &outgoing.language,
            code,
            detail,
        })
    }

    /// The customer stopped marketing messages: the send fails and the contact is opted out.
    fn opted_out(&self, code: &str, report: &mut DispatchReport) -> rusqlite::Result<()> {
        let (tx, ctx) = (self.tx, self.ctx);
        let detail = "the customer stopped marketing messages";
        if sends::finish(tx, ctx.id, self.owner, "failed", None, Some(code), Some(detail), &self.at)? {
            report.failed += 1;
            mark_not_sent(tx, ctx)?;
            if let Some(contact) = ctx.contact_id {
                contacts::opt_out(tx, contact, "meta_131050", &self.at)?;
                // WhatsApp's answer to our own send: verified, written back to the store.
                crate::storage::store_opt_outs::note_origin(tx, contact, true, &self.at)?;
            }
            self.event(&LogEvent::OptedOut { source: "meta_131050", conversation: None })?;
        }
        Ok(())
    }

    /// Not this message's fault: give it back and pause all sending.
    fn account(&self, code: &str, detail: &str, report: &mut DispatchReport) -> rusqlite::Result<()> {
        let (tx, ctx) = (self.tx, self.ctx);
        let later = ts(self.now + Duration::minutes(15));
        sends::retry_later(tx, ctx.id, self.owner, &later, code, detail, &self.at)?;
        report.held.push((ctx.id, format!("account:{code}")));
        settings::put(tx, "sending_paused", "true", &self.at)?;
        if crate::whatsapp::client::is_disconnect_code(code) {
            // A Coexistence incident (checked again at once by the background run); the owner
            // hears of it from `tell_owner`, so it counts as told.
            crate::storage::coexistence::mark_disconnected(tx, code, &self.at)?;
            crate::storage::coexistence::mark_notified(tx, &self.at)?;
        }
        event_log::append(
            tx,
            &self.at,
            None,
            None,
            &LogEvent::SendingPaused { code, detail: PauseDetail::Refusal(detail) },
        )?;
        Ok(())
    }

    /// No answer: the message may have left. `unknown`, settled later from status webhooks.
    fn unknown(&self, detail: &str, report: &mut DispatchReport) -> rusqlite::Result<()> {
        let ctx = self.ctx;
        if sends::finish(self.tx, ctx.id, self.owner, "unknown", None, None, Some(detail), &self.at)? {
            report.unknown += 1;
            self.event(&LogEvent::SendUnknown { send: None, step: Some(ctx.step), detail })?;
        }
        Ok(())
    }
}

/// After the commit: the owner hears of a refused template and of an account that can't send.
fn tell_owner(bus: &EventBus, outgoing: &OutgoingTemplate, tell: &Tell, stop: Option<&str>) {
    if tell.template_problem {
        tracing::error!(template = %outgoing.template, language = %outgoing.language, "the template can't be used; its sends wait");
        bus.emit(EngineEvent::NeedsOwner { problem: OwnerProblem::TemplateRejected });
    }
    if let Some(code) = stop {
        tracing::error!(%code, "WhatsApp account cannot send; sending paused");
        let problem = if whatsapp::errors::is_token_expired(code) {
            OwnerProblem::TokenExpired
        } else {
            OwnerProblem::NumberDisconnected
        };
        bus.emit(EngineEvent::PausedChanged { paused: true });
        bus.emit(EngineEvent::NeedsOwner { problem });
    }
}

fn mark_not_sent(conn: &Connection, ctx: &sends::SendContext) -> rusqlite::Result<()> {
    if ctx.step == 0 {
        carts::set_status(conn, ctx.cart_id, "not_sent")?;
    }
    Ok(())
}
