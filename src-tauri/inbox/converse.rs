//! The conversation step's rules: after the escalation rules ran (in webhook processing),
//! customers' new messages get an answer from the assistant or the shop's facts — a draft for the
//! owner, or sent at once in auto mode — or go to a person. Provider trouble escalates, never
//! silence.
//!
//! [`gather`] reads what the assistant may see; the caller asks the assistant outside any
//! transaction; [`settle`] applies the outcome in one transaction, only if the messages are still
//! waiting (a takeover or another process may have moved on).

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::assistant::{prompt, texts, Mode, Outcome};
use super::escalation::escalate;
use crate::domain::LineItem;
use crate::i18n::Lang;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{self, carts, conversations, drafts, messages, shop_facts, shops};

/// What one conversation's step produced, for the events sent after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Nothing,
    Draft(i64),
    Answered,
    Escalated(String),
}

/// What the assistant sees for one conversation, and whom it answers.
#[derive(Debug, Clone)]
pub struct Gathered {
    pub ctx: prompt::Context,
    /// The customer's latest message (the one answered).
    pub latest: messages::MessageRow,
    /// The language to answer in.
    pub lang: Lang,
    pub contact: i64,
}

/// Reads everything the assistant may see for `thread`. `None` when automation stays away
/// (assistant off, taken over, opted out, window closed, nothing from the customer): the
/// waiting messages are then marked with the reason.
pub fn gather(
    conn: &Connection,
    thread: i64,
    mode: Mode,
    window_open: bool,
    shop_lang: Lang,
) -> rusqlite::Result<Option<Gathered>> {
    let Some(row) = conversations::get(conn, thread)? else { return Ok(None) };
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
        messages::assist_done(conn, thread, why)?;
        return Ok(None);
    }
    let recent = messages::recent(conn, thread, 20)?;
    let latest = recent.iter().rev().find(|m| m.direction == "in").cloned();
    let Some(latest) = latest else {
        messages::assist_done(conn, thread, "no_message")?;
        return Ok(None);
    };
    let cart = carts::latest_for_contact(conn, row.contact_id)?;
    let cart_text = match &cart {
        Some(c) => {
            let mut text = describe_cart(c, carts::items_json(conn, c.id)?.as_deref());
            // The cart's live coupon, the only code an answer may give (as of the customer's message).
            let coupon = storage::coupons::by_cart(conn, c.id)?;
            if let Some(line) =
                coupon.and_then(|k| super::assistant::coupon::coupon_line(&k, &latest.created_at))
            {
                text.push('\n');
                text.push_str(&line);
            }
            Some(text)
        }
        None => None,
    };
    let store_name = match &cart {
        Some(c) => c.store.clone(),
        None => shops::first_name(conn).unwrap_or_default(),
    };
    let facts = shop_facts::latest(conn)?;
    let lang = texts::customer_lang(row.language.as_deref(), latest.body.as_deref().unwrap_or(""), shop_lang);
    let first_name = cart
        .as_ref()
        .and_then(|c| c.first_name.clone())
        .or(row.contact_name.clone())
        // The same rule as the template's greeting: a name that could be a link is not used.
        .and_then(|n| crate::domain::customer::first_name(&n));
    let ctx = prompt::Context {
        store_name,
        customer_name: first_name,
        cart: cart_text,
        facts_version: facts.as_ref().map(|f| f.0),
        facts: facts.map(|f| f.1).unwrap_or_default(),
        store_urls: shops::list(conn)?.into_iter().map(|s| s.base_url).collect(),
        thread: recent.iter().filter_map(|m| m.body.clone().map(|b| (m.direction == "in", b))).collect(),
    };
    Ok(Some(Gathered { ctx, latest, lang, contact: row.contact_id }))
}

/// Applies the assistant's `outcome` for `thread` inside the caller's transaction `tx`: a draft,
/// an answer queued (auto), or the thread handed to a person. Nothing when the messages no
/// longer wait or a person took over meanwhile.
pub fn settle(
    tx: &Connection,
    thread: i64,
    mode: Mode,
    gathered: &Gathered,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> rusqlite::Result<Done> {
    let Gathered { ctx, latest, lang, contact } = gathered;
    let (lang, contact) = (*lang, *contact);
    let at = storage::ts(now);
    let still_waiting = messages::pending_assist_count(tx, thread)?;
    if still_waiting == 0 || conversations::automation_paused(tx, thread)? {
        messages::assist_done(tx, thread, "taken_over")?;
        return Ok(Done::Nothing);
    }
    // The global pause (the owner's, or the account's after error 190 or a disconnection) holds
    // automatic sends too: in auto mode the answer waits as a draft for the owner, and no
    // hand-over line leaves. Read here, in the transaction, so a pause meanwhile counts.
    let paused = storage::settings::get(tx, "sending_paused")?.as_deref() == Some("true");
    let mode = if mode == Mode::Auto && paused { Mode::Drafts } else { mode };
    let done = match outcome {
        Outcome::Nothing => {
            messages::assist_done(tx, thread, "no_answer")?;
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
            // WhatsApp refuses a text over 4,096 characters: such an answer never leaves on its
            // own, it waits as a draft the owner can shorten.
            if mode == Mode::Auto && !super::replies::too_long(&text) {
                let draft = drafts::insert(tx, &new("pending"))?;
                let queued = messages::queue_reply(
                    tx,
                    thread,
                    "assistant",
                    &text,
                    &format!("auto:{}", latest.id),
                    &at,
                )?;
                drafts::decide(tx, draft, "sent", queued, &at)?;
                messages::assist_done(tx, thread, "answered")?;
                Done::Answered
            } else {
                let draft = drafts::insert(tx, &new("pending"))?;
                event_log::append(
                    tx,
                    &at,
                    None,
                    Some(contact),
                    &LogEvent::DraftReady {
                        conversation: thread,
                        draft,
                        source,
                        facts_version: ctx.facts_version,
                    },
                )?;
                messages::assist_done(tx, thread, "drafted")?;
                Done::Draft(draft)
            }
        }
        Outcome::Escalate { reason, detail, blocked } => {
            if let Some(text) = blocked.as_deref() {
                drafts::insert(
                    tx,
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
            let news = escalate(tx, thread, contact, reason.code(), &detail, &wamid, now)?;
            // In auto mode the customer hears that a person will answer (inside the window).
            if mode == Mode::Auto {
                messages::queue_reply(
                    tx,
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
    Ok(done)
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
