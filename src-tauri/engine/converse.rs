//! The conversation step: after the escalation rules ran (in webhook processing), customers'
//! new messages get an answer from the assistant or the shop's facts — a draft for the owner, or
//! sent at once in auto mode — or go to a person. Provider trouble escalates, never silence.
//!
//! The network call happens outside any transaction; its result is applied in one transaction
//! only if the messages are still waiting (a takeover or another process may have moved on).

use super::{Engine, EngineResult};
use crate::inbox::assistant::{self, client, prompt, texts, Mode, Outcome};
use crate::config::Settings;
use crate::domain::escalation::Reason;
use crate::domain::LineItem;
use crate::events::EngineEvent;
use crate::i18n::Lang;
use crate::secrets::SecretName;
use crate::storage::{self, carts, conversations, drafts, events, messages, shop_facts};

/// What one conversation's step produced, for the events sent after the commit.
enum Done {
    Nothing,
    Draft(i64),
    Answered,
    Escalated(String),
}

impl Engine {
    /// Answers (or drafts, or escalates) every conversation with customer messages waiting,
    /// then sends what was queued. Returns how many conversations were looked at.
    pub async fn converse(&self) -> EngineResult<usize> {
        let waiting = messages::awaiting_assist(&self.db.conn(), 500)?;
        if waiting.is_empty() {
            self.flush_replies().await?;
            return Ok(0);
        }
        let settings = self.settings()?;
        let mode = Mode::parse(&settings.assistant_mode);
        let mut threads: Vec<i64> = Vec::new();
        for m in &waiting {
            if !threads.contains(&m.conversation_id) {
                threads.push(m.conversation_id);
            }
        }
        for &thread in &threads {
            match self.converse_one(thread, &settings, mode).await {
                Ok(Done::Draft(draft_id)) => {
                    self.events.emit(EngineEvent::DraftReady { conversation_id: thread, draft_id });
                }
                Ok(Done::Escalated(reason)) => self.emit_escalation(thread, &reason),
                Ok(Done::Answered | Done::Nothing) => {}
                Err(e) => tracing::warn!(conversation = thread, error = %e, "the conversation step failed"),
            }
        }
        self.flush_replies().await?;
        if !threads.is_empty() {
            self.emit_status();
        }
        Ok(threads.len())
    }

    async fn converse_one(&self, thread: i64, settings: &Settings, mode: Mode) -> EngineResult<Done> {
        let shop_lang = Lang::resolve(&settings.ui_language, None);
        let window_open = self.window_closes_at(thread)?.is_some();
        // Everything the assistant may see, read under the lock; no await in here.
        let gathered = {
            let conn = self.db.conn();
            let Some(row) = conversations::get(&conn, thread)? else { return Ok(Done::Nothing) };
            let skip = if mode == Mode::Off {
                Some("assistant_off")
            } else if row.escalated || row.automation_paused {
                Some("taken_over")
            } else if row.opted_out {
                Some("opted_out")
            } else if !window_open {
                Some("window_closed")
            } else {
                None
            };
            if let Some(why) = skip {
                messages::assist_done(&conn, thread, why)?;
                return Ok(Done::Nothing);
            }
            let recent = messages::recent(&conn, thread, 20)?;
            let latest = recent.iter().rev().find(|m| m.direction == "in").cloned();
            let Some(latest) = latest else {
                messages::assist_done(&conn, thread, "no_message")?;
                return Ok(Done::Nothing);
            };
            let cart = carts::latest_for_contact(&conn, row.contact_id)?;
            let cart_text = match &cart {
                Some(c) => Some(describe_cart(c, carts::items_json(&conn, c.id)?.as_deref())),
                None => None,
            };
            let store_name = match &cart {
                Some(c) => c.store.clone(),
                None => conn
                    .query_row("SELECT name FROM stores ORDER BY id LIMIT 1", [], |r| r.get::<_, String>(0))
                    .unwrap_or_default(),
            };
            let facts = shop_facts::latest(&conn)?;
            let lang = texts::customer_lang(
                row.language.as_deref(),
                latest.body.as_deref().unwrap_or(""),
                shop_lang,
            );
            let first_name = cart
                .as_ref()
                .and_then(|c| c.first_name.clone())
                .or(row.contact_name.clone())
                .map(|n| n.split_whitespace().next().unwrap_or_default().to_string());
            let ctx = prompt::Context {
                store_name,
                customer_name: first_name,
                cart: cart_text,
                facts_version: facts.as_ref().map(|f| f.0),
                facts: facts.map(|f| f.1).unwrap_or_default(),
                thread: recent
                    .iter()
                    .filter_map(|m| m.body.clone().map(|b| (m.direction == "in", b)))
                    .collect(),
            };
            (ctx, latest, lang, row.contact_id)
        };
        let (ctx, latest, lang, contact) = gathered;
        let latest_text = latest.body.clone().unwrap_or_default();
        let outcome = if settings.assistant_base_url.is_empty() {
            assistant::from_facts(&ctx, &latest_text, lang)
        } else {
            let secrets = self.secrets.clone();
            let key = tokio::task::spawn_blocking(move || secrets.get(SecretName::AssistantApiKey))
                .await
                .map_err(|e| anyhow::anyhow!("reading the assistant key: {e}"))??;
            let config = client::ChatConfig {
                base_url: settings.assistant_base_url.clone(),
                model: settings.assistant_model.clone(),
                api_key: key,
                timeout: std::time::Duration::from_secs(u64::from(settings.assistant_timeout_seconds.max(2))),
            };
            match client::ChatClient::new(config) {
                Ok(c) => assistant::ask(&c, &ctx, lang).await,
                Err(e) => Outcome::Escalate {
                    reason: Reason::AssistantFailed,
                    detail: e.to_string(),
                    blocked: None,
                },
            }
        };

        let now = self.clock.now();
        let at = storage::ts(now);
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let still_waiting: i64 = tx.query_row(
            "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND assist = 'pending'",
            [thread],
            |r| r.get(0),
        )?;
        if still_waiting == 0 || conversations::automation_paused(&tx, thread)? {
            messages::assist_done(&tx, thread, "taken_over")?;
            tx.commit()?;
            return Ok(Done::Nothing);
        }
        let done = match outcome {
            Outcome::Nothing => {
                messages::assist_done(&tx, thread, "no_answer")?;
                Done::Nothing
            }
            Outcome::Answer { text, source } => {
                let new = |state: &'static str| drafts::NewDraft {
                    conversation_id: thread,
                    reply_to: Some(latest.id),
                    text: &text,
                    source,
                    facts_version: ctx.facts_version,
                    state,
                    detail: None,
                    at: &at,
                };
                if mode == Mode::Auto {
                    let draft = drafts::insert(&tx, &new("pending"))?;
                    let queued = messages::queue_reply(
                        &tx,
                        thread,
                        "assistant",
                        &text,
                        &format!("auto:{}", latest.id),
                        &at,
                    )?;
                    drafts::decide(&tx, draft, "sent", queued, &at)?;
                    messages::assist_done(&tx, thread, "answered")?;
                    Done::Answered
                } else {
                    let draft = drafts::insert(&tx, &new("pending"))?;
                    events::append(
                        &tx,
                        &at,
                        "draft_ready",
                        None,
                        Some(contact),
                        &serde_json::json!({ "conversation": thread, "draft": draft, "source": source, "facts_version": ctx.facts_version }),
                    )?;
                    messages::assist_done(&tx, thread, "drafted")?;
                    Done::Draft(draft)
                }
            }
            Outcome::Escalate { reason, detail, blocked } => {
                if let Some(text) = blocked.as_deref() {
                    drafts::insert(
                        &tx,
                        &drafts::NewDraft {
                            conversation_id: thread,
                            reply_to: Some(latest.id),
                            text,
                            source: "assistant",
                            facts_version: ctx.facts_version,
                            state: "blocked",
                            detail: Some(&detail),
                            at: &at,
                        },
                    )?;
                }
                let wamid = latest.wamid.clone().unwrap_or_default();
                let news = crate::inbox::escalation::escalate(
                    &tx,
                    thread,
                    contact,
                    reason.code(),
                    &detail,
                    &wamid,
                    now,
                )?;
                // In auto mode the customer hears that a person will answer (inside the window).
                if mode == Mode::Auto {
                    messages::queue_reply(
                        &tx,
                        thread,
                        "automation",
                        texts::handover(lang),
                        &format!("handover:{}", latest.id),
                        &at,
                    )?;
                }
                tracing::info!(conversation = thread, reason = reason.code(), %detail, "handed to a person");
                if news {
                    Done::Escalated(reason.code().to_string())
                } else {
                    Done::Nothing
                }
            }
        };
        tx.commit()?;
        Ok(done)
    }
}

/// The cart as the assistant sees it: items, total in the customer's format, the link.
fn describe_cart(cart: &carts::CartRow, items_json: Option<&str>) -> String {
    let items: Vec<LineItem> = items_json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    let mut lines: Vec<String> = items
        .iter()
        .take(20)
        .map(|i| {
            let variant = i.variant().map(|v| format!(" ({v})")).unwrap_or_default();
            format!(
                "- {}{variant} x{} — {} {}",
                i.name(),
                i.quantity(),
                i.unit_price().amount(),
                i.unit_price().currency().code()
            )
        })
        .collect();
    if items.len() > 20 {
        lines.push(format!("- … and {} more items", items.len() - 20));
    }
    lines.push(format!("Total: {} {}", cart.total, cart.currency));
    if let Some(url) = &cart.recovery_url {
        lines.push(format!("Link to finish the purchase: {url}"));
    }
    lines.join("\n")
}
