//! The template cache as the outbox reads it: which languages of the recovery template are
//! approved (refreshed from WhatsApp when stale, at most once per dispatch step), the one a
//! customer's message uses, and the message built from it. Meta's template webhooks can't reach
//! a desktop, so approval is polled.

use chrono::{DateTime, Duration, Utc};

use super::checks::time;
use crate::domain::LineItem;
use crate::storage::templates::{self, TemplateRow};
use crate::storage::{sends, ts, Db};
use crate::whatsapp::recovery::{self, RecoveryCart};
use crate::whatsapp::{MessageSender, OutgoingTemplate, SendError};

/// The languages a customer's message may use, best first: the customer's (with the store's
/// country, then plain), then the shop's own.
pub(crate) fn language_candidates(ctx: &sends::SendContext) -> Vec<String> {
    recovery::language_candidates(ctx.language.as_deref(), &ctx.store_country)
}

/// The template message for a send, shaped after the approved template `t` (see
/// [`recovery::message`]). `Err(reason)`: this cart can't be sent with this template.
pub(crate) fn message(ctx: &sends::SendContext, t: &TemplateRow) -> Result<OutgoingTemplate, &'static str> {
    let items: Vec<LineItem> = serde_json::from_str(&ctx.items_json).unwrap_or_default();
    let cart = RecoveryCart {
        to: ctx.phone_e164.as_deref().unwrap_or_default(),
        first_name: ctx.first_name.as_deref(),
        store_name: &ctx.store_name,
        store_country: &ctx.store_country,
        items: &items,
        total: &ctx.total,
        currency: &ctx.currency,
        recovery_url: ctx.recovery_url.as_deref(),
        callback_data: &ctx.idempotency_key,
    };
    recovery::message(&cart, &t.template)
}

/// The template this customer's message goes with: the first sendable one in the order of
/// [`language_candidates`]. `Err(reason)`: blocked after a send error, or not approved.
pub(super) fn pick<'a>(
    ctx: &sends::SendContext,
    rows: &'a [TemplateRow],
) -> Result<&'a TemplateRow, &'static str> {
    let candidates = language_candidates(ctx);
    let chosen = candidates.iter().find_map(|l| rows.iter().find(|r| &r.language == l && r.sendable()));
    chosen.ok_or_else(|| {
        if candidates.iter().any(|l| rows.iter().any(|r| &r.language == l && r.block_code.is_some())) {
            "template_blocked"
        } else {
            "template_not_approved"
        }
    })
}

/// A template's rows for one dispatch step: read (and refreshed when stale) on first use,
/// then the same answer for every send of the step — at most one WhatsApp call per step and
/// template name (an A/B experiment's two templates are two names).
#[derive(Default)]
pub(super) struct StepTemplates {
    once: std::collections::BTreeMap<String, Result<Vec<TemplateRow>, SendError>>,
}

impl StepTemplates {
    pub(super) async fn rows(
        &mut self,
        db: &Db,
        sender: &dyn MessageSender,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<TemplateRow>, SendError> {
        match self.once.get(name) {
            Some(rows) => rows.clone(),
            None => {
                let rows = template_rows(db, sender, name, now).await;
                self.once.insert(name.to_string(), rows.clone());
                rows
            }
        }
    }
}

/// How long a template's known state is trusted: an approved one for an hour (a send error
/// tells sooner), one under review for a few minutes.
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
        templates::upsert(&conn, &TemplateRow::reported(t.clone(), &at)).map_err(storage_error)?;
    }
    templates::mark_missing(&conn, name, &at).map_err(storage_error)?;
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
