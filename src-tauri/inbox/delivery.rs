//! Turning one stored webhook delivery into state, in one transaction with its "processed" mark.
//! Every step is idempotent — messages by wamid, statuses by (wamid, status), opt-outs and
//! takeovers as facts — so a delivery processed twice (a crash before the commit, Meta's
//! duplicates under another envelope) changes nothing the second time.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::{account, inbound, opt_out, phone, statuses};
use crate::events::OwnerProblem;
use crate::i18n::Lang;
use crate::storage::{contacts, conversations, events, messages, ts};
use crate::webhooks::payload::{
    unix_seconds, AccountUpdate, Envelope, Message, MessagesValue, TemplateUpdate,
};

/// What the engine must tell the outside world after the commit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    /// Threads with a new customer message.
    pub inbound: Vec<i64>,
    /// Threads a person took over from the phone.
    pub takeovers: Vec<i64>,
    pub opt_outs: usize,
    pub statuses: usize,
    pub problems: Vec<OwnerProblem>,
    pub paused: bool,
    /// Threads handed to a person by the escalation rules, with the reason code.
    pub escalations: Vec<(i64, String)>,
    /// Threads whose customer just opted out.
    pub opted_out_threads: Vec<i64>,
    /// A reply was queued (an opt-out confirmation): the reply queue should run.
    pub replies_queued: bool,
    /// Messages now wait for the conversation step (assistant or shop facts).
    pub assist_queued: bool,
}

impl Effects {
    /// Adds one delivery's effects to those of the deliveries before it.
    pub fn absorb(&mut self, fx: Effects) {
        self.inbound.extend(fx.inbound);
        self.takeovers.extend(fx.takeovers);
        self.opt_outs += fx.opt_outs;
        self.statuses += fx.statuses;
        self.problems.extend(fx.problems);
        self.paused |= fx.paused;
        self.escalations.extend(fx.escalations);
        self.opted_out_threads.extend(fx.opted_out_threads);
        self.replies_queued |= fx.replies_queued;
        self.assist_queued |= fx.assist_queued;
    }
}

/// Who we are, to ignore what belongs to another number on the same account, and the owner's
/// rules for inbound messages.
#[derive(Debug, Clone)]
pub struct Routing {
    pub phone_number_id: Option<String>,
    pub escalation_keywords: Vec<String>,
    /// The shop's language, for customers whose language is unknown.
    pub shop_lang: Lang,
}

impl Default for Routing {
    fn default() -> Self {
        Routing { phone_number_id: None, escalation_keywords: Vec::new(), shop_lang: Lang::Es }
    }
}

pub(super) fn at_of(v: Option<&Value>, now: DateTime<Utc>) -> String {
    ts(unix_seconds(v).and_then(|s| Utc.timestamp_opt(s, 0).single()).unwrap_or(now))
}

/// Applies one delivery. Returns a short outcome for the log table ("ok", "ignored: …",
/// "invalid: …") and the effects. Only storage errors are errors.
pub fn apply(
    conn: &Connection,
    body: &[u8],
    routing: &Routing,
    now: DateTime<Utc>,
) -> rusqlite::Result<(String, Effects)> {
    let mut fx = Effects::default();
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => return Ok((format!("invalid: {e}"), fx)),
    };
    if envelope.object.as_deref().is_some_and(|o| o != "whatsapp_business_account") {
        return Ok((format!("ignored: object {}", envelope.object.unwrap_or_default()), fx));
    }
    let mut notes: Vec<String> = Vec::new();
    for change in envelope.entry.iter().flat_map(|e| &e.changes) {
        let field = change.field.as_str();
        match field {
            "messages" | "smb_message_echoes" | "history" | "smb_app_state_sync" | "user_preferences" => {
                let value: MessagesValue = match serde_json::from_value(change.value.clone()) {
                    Ok(v) => v,
                    Err(e) => {
                        notes.push(format!("invalid {field}: {e}"));
                        continue;
                    }
                };
                if let (Some(ours), Some(theirs)) =
                    (routing.phone_number_id.as_deref(), value.metadata.phone_number_id.as_deref())
                {
                    if !ours.is_empty() && ours != theirs {
                        notes.push(format!("ignored {field} for phone number {theirs}"));
                        continue;
                    }
                }
                match field {
                    "messages" => {
                        inbound::record(conn, &value, routing, now, &mut fx, &mut notes)?;
                        statuses::record(conn, &value, now, &mut fx, &mut notes)?;
                        for e in &value.errors {
                            events::append(
                                conn,
                                &ts(now),
                                "whatsapp_error",
                                None,
                                None,
                                &json!({ "code": e.code, "detail": e.detail() }),
                            )?;
                        }
                    }
                    "smb_message_echoes" => phone::echoes(conn, &value, now, &mut fx, &mut notes)?,
                    "history" => phone::history(conn, &value, now, &mut notes)?,
                    "smb_app_state_sync" => phone::state_sync(conn, &value, now)?,
                    _ => opt_out::preferences(conn, &value, now, &mut fx)?,
                }
            }
            "account_update" => {
                let update: AccountUpdate = serde_json::from_value(change.value.clone()).unwrap_or_default();
                account::update(conn, &update, now, &mut fx)?;
            }
            "message_template_status_update" => {
                let update: TemplateUpdate = serde_json::from_value(change.value.clone()).unwrap_or_default();
                account::template(conn, &update, now, &mut fx)?;
            }
            other => notes.push(format!("ignored field {other}")),
        }
    }
    let outcome = if notes.is_empty() { "ok".to_string() } else { notes.join("; ") };
    Ok((outcome, fx))
}

pub(super) fn parse_each<'a>(raw: &'a [Value], notes: &mut Vec<String>) -> Vec<(Message, &'a Value)> {
    raw.iter()
        .filter_map(|v| match serde_json::from_value::<Message>(v.clone()) {
            Ok(m) if m.id.is_some() => Some((m, v)),
            Ok(_) => {
                notes.push("a message without an id".into());
                None
            }
            Err(e) => {
                notes.push(format!("unreadable message: {e}"));
                None
            }
        })
        .collect()
}

/// The raw object is kept for every type but plain text (media ids, locations, contact cards…).
pub(super) fn payload_of(m: &Message, raw: &Value) -> Option<String> {
    (m.kind.as_deref() != Some("text")).then(|| raw.to_string())
}

/// Who wrote a message that arrives live (history has its own rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The customer wrote to us.
    Customer,
    /// The owner wrote from the WhatsApp Business app on the phone (an echo).
    Phone,
}

/// A live message as stored: its contact, thread and row.
pub(super) struct Stored {
    pub contact: i64,
    pub thread: i64,
    pub id: i64,
    pub kind: String,
    pub summary: Option<String>,
}

/// Stores one live message between the customer `wa_id` and us: the contact (created on first
/// sight), its thread, the message with its raw payload and what it answers, and the thread's
/// last line (a customer's message also opens the window and counts as unread). `None` when
/// this wamid was stored before: then nothing else is touched.
pub(super) fn store_message(
    conn: &Connection,
    side: Side,
    wa_id: &str,
    name: Option<&str>,
    wamid: &str,
    (m, raw): (&Message, &Value),
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Stored>> {
    let at = at_of(m.timestamp.as_ref(), now);
    let contact = contacts::resolve_wa_id(conn, wa_id, name, &ts(now))?;
    let thread = conversations::ensure(conn, contact, &ts(now))?;
    let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
    let summary = m.summary();
    let (direction, origin, status) = match side {
        Side::Customer => ("in", "customer", "received"),
        Side::Phone => ("out", "phone", "sent"),
    };
    let Some(id) = messages::insert(
        conn,
        &messages::NewMessage {
            conversation_id: thread,
            direction,
            origin,
            wamid: Some(wamid),
            send_id: None,
            kind: &kind,
            body: summary.as_deref(),
            status: Some(status),
            at: &at,
        },
    )?
    else {
        return Ok(None);
    };
    messages::set_details(
        conn,
        id,
        payload_of(m, raw).as_deref(),
        m.context.as_ref().and_then(|c| c.id.as_deref()),
    )?;
    conversations::touch(conn, thread, summary.as_deref().unwrap_or(&kind), &at, side == Side::Customer)?;
    Ok(Some(Stored { contact, thread, id, kind, summary }))
}
