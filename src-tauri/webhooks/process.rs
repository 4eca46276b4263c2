//! Turning one stored webhook delivery into state, in one transaction with its "processed" mark.
//! Every step is idempotent — messages by wamid, statuses by (wamid, status), opt-outs and
//! takeovers as facts — so a delivery processed twice (a crash before the commit, Meta's
//! duplicates under another envelope) changes nothing the second time.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::payload::{unix_seconds, AccountUpdate, Envelope, Message, MessagesValue, Status, TemplateUpdate};
use crate::assistant::texts;
use crate::domain::{escalation, opt_out};
use crate::events::OwnerProblem;
use crate::i18n::Lang;
use crate::storage::{carts, contacts, conversations, drafts, events, messages, sends, settings, ts};

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

fn at_of(v: Option<&Value>, now: DateTime<Utc>) -> String {
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
                        inbound(conn, &value, routing, now, &mut fx, &mut notes)?;
                        statuses(conn, &value, now, &mut fx, &mut notes)?;
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
                    "smb_message_echoes" => echoes(conn, &value, now, &mut fx, &mut notes)?,
                    "history" => history(conn, &value, now, &mut notes)?,
                    "smb_app_state_sync" => state_sync(conn, &value, now)?,
                    _ => preferences(conn, &value, now, &mut fx)?,
                }
            }
            "account_update" => {
                let update: AccountUpdate = serde_json::from_value(change.value.clone()).unwrap_or_default();
                account(conn, &update, now, &mut fx)?;
            }
            "message_template_status_update" => {
                let update: TemplateUpdate = serde_json::from_value(change.value.clone()).unwrap_or_default();
                template(conn, &update, now, &mut fx)?;
            }
            other => notes.push(format!("ignored field {other}")),
        }
    }
    let outcome = if notes.is_empty() { "ok".to_string() } else { notes.join("; ") };
    Ok((outcome, fx))
}

fn parse_each<'a>(raw: &'a [Value], notes: &mut Vec<String>) -> Vec<(Message, &'a Value)> {
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
fn payload_of(m: &Message, raw: &Value) -> Option<String> {
    (m.kind.as_deref() != Some("text")).then(|| raw.to_string())
}

fn inbound(
    conn: &Connection,
    value: &MessagesValue,
    routing: &Routing,
    now: DateTime<Utc>,
    fx: &mut Effects,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for (m, raw) in parse_each(&value.messages, notes) {
        let (Some(from), Some(wamid)) = (m.from.as_deref(), m.id.as_deref()) else {
            notes.push("an inbound message without a sender".into());
            continue;
        };
        let name = value
            .contacts
            .iter()
            .find(|c| c.wa_id.as_deref() == Some(from))
            .and_then(|c| c.profile.as_ref()?.name.as_deref());
        let at = at_of(m.timestamp.as_ref(), now);
        let contact = contacts::resolve_wa_id(conn, from, name, &ts(now))?;
        let thread = conversations::ensure(conn, contact, &ts(now))?;
        let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
        let summary = m.summary();
        let error = m.errors.first();
        let Some(id) = messages::insert(
            conn,
            &messages::NewMessage {
                conversation_id: thread,
                direction: "in",
                origin: "customer",
                wamid: Some(wamid),
                send_id: None,
                kind: &kind,
                body: summary.as_deref(),
                status: Some("received"),
                at: &at,
            },
        )?
        else {
            continue; // seen before
        };
        messages::set_details(
            conn,
            id,
            payload_of(&m, raw).as_deref(),
            m.context.as_ref().and_then(|c| c.id.as_deref()),
        )?;
        if let Some(e) = error {
            conn.execute(
                "UPDATE messages SET error_code = ?2, error_detail = ?3 WHERE id = ?1",
                rusqlite::params![id, e.code.map(|c| c.to_string()), e.detail()],
            )?;
        }
        conversations::touch(conn, thread, summary.as_deref().unwrap_or(&kind), &at, true)?;
        events::append(
            conn,
            &ts(now),
            "customer_replied",
            None,
            Some(contact),
            &json!({ "conversation": thread, "kind": kind, "wamid": wamid }),
        )?;
        fx.inbound.push(thread);
        let stop = match kind.as_str() {
            "button" => m
                .button
                .as_ref()
                .is_some_and(|b| opt_out::is_stop_button(b.payload.as_deref(), b.text.as_deref())),
            "text" => summary.as_deref().is_some_and(opt_out::is_opt_out),
            _ => false,
        };
        if stop {
            let source = if kind == "button" { "button" } else { "keyword" };
            if contacts::opt_out(conn, contact, source, &ts(now))? {
                events::append(
                    conn,
                    &ts(now),
                    "opted_out",
                    None,
                    Some(contact),
                    &json!({ "source": source, "conversation": thread }),
                )?;
                fx.opt_outs += 1;
                fx.opted_out_threads.push(thread);
                drafts::discard_pending(conn, thread, &ts(now))?;
                messages::assist_done(conn, thread, "opted_out")?;
                // One short confirmation, inside the window the customer just opened.
                let text = summary.as_deref().unwrap_or("");
                let lang = confirmation_lang(conn, contact, text, routing)?;
                let key = format!("optout:{wamid}");
                let queued = messages::queue_reply(
                    conn,
                    thread,
                    "automation",
                    texts::opt_out_confirmation(lang),
                    &key,
                    &ts(now),
                )?;
                fx.replies_queued |= queued.is_some();
            }
        } else if kind == "text"
            && summary.as_deref().is_some_and(opt_out::is_opt_in)
            && contacts::opt_in_by_customer(conn, contact)?
        {
            // An opted-out customer asks to hear from the shop again: theirs to decide.
            events::append(
                conn,
                &ts(now),
                "opted_in",
                None,
                Some(contact),
                &json!({ "conversation": thread }),
            )?;
            messages::assist_done(conn, thread, "opted_in")?;
            let lang = confirmation_lang(conn, contact, summary.as_deref().unwrap_or(""), routing)?;
            let key = format!("optin:{wamid}");
            let queued = messages::queue_reply(
                conn,
                thread,
                "automation",
                texts::opt_in_confirmation(lang),
                &key,
                &ts(now),
            )?;
            fx.replies_queued |= queued.is_some();
        } else if matches!(kind.as_str(), "text" | "button" | "interactive") {
            let text = summary.as_deref().unwrap_or("");
            if let Some(esc) = escalation::classify(text, &routing.escalation_keywords) {
                let code = esc.reason.code();
                if escalate(conn, thread, contact, code, &esc.matched, wamid, now)? {
                    fx.escalations.push((thread, code.to_string()));
                }
            } else if !conversations::automation_paused(conn, thread)?
                && contacts::get(conn, contact)?.is_some_and(|c| c.opted_out_at.is_none())
            {
                messages::mark_for_assist(conn, id)?;
                fx.assist_queued = true;
            }
        }
        if error.and_then(|e| e.code) == Some(131060) {
            events::append(
                conn,
                &ts(now),
                "unsupported_message",
                None,
                Some(contact),
                &json!({ "code": 131060, "detail": "a message WhatsApp could not show here: check the phone app" }),
            )?;
        }
    }
    Ok(())
}

/// Hands a thread to a person: escalated, automation paused, pending drafts dropped, the
/// decision logged. Returns false when the thread was already escalated (no second alert).
/// The language of a confirmation to `contact`: the one on record, else the one they wrote in,
/// else the shop's.
fn confirmation_lang(
    conn: &Connection,
    contact: i64,
    text: &str,
    routing: &Routing,
) -> rusqlite::Result<Lang> {
    let recorded = contacts::get(conn, contact)?.and_then(|c| c.language);
    Ok(texts::customer_lang(recorded.as_deref(), text, routing.shop_lang))
}

pub fn escalate(
    conn: &Connection,
    thread: i64,
    contact: i64,
    reason: &str,
    detail: &str,
    wamid: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    messages::assist_done(conn, thread, "escalated")?;
    drafts::discard_pending(conn, thread, &ts(now))?;
    if !conversations::escalate(conn, thread, reason)? {
        return Ok(false);
    }
    events::append(
        conn,
        &ts(now),
        "escalated",
        None,
        Some(contact),
        &json!({ "conversation": thread, "reason": reason, "detail": detail, "wamid": wamid }),
    )?;
    Ok(true)
}

fn statuses(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    fx: &mut Effects,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for raw in &value.statuses {
        let st: Status = match serde_json::from_value(raw.clone()) {
            Ok(s) => s,
            Err(e) => {
                notes.push(format!("unreadable status: {e}"));
                continue;
            }
        };
        let status = st.status.to_ascii_lowercase();
        if messages::status_rank(&status) < 0 {
            notes.push(format!("unknown status {status}"));
            continue;
        }
        let at = at_of(st.timestamp.as_ref(), now);
        let error = st.errors.first();
        let code = error.and_then(|e| e.code).map(|c| c.to_string());
        let detail = error.map(|e| e.detail());
        let news = messages::record_status(
            conn,
            &messages::StatusReport {
                wamid: &st.id,
                status: &status,
                at: &at,
                recipient: st.recipient_id.as_deref(),
                error_code: code.as_deref(),
                error_detail: detail.as_deref(),
                pricing_category: st.pricing.as_ref().and_then(|p| p.category.as_deref()),
                pricing_type: st.pricing.as_ref().and_then(|p| p.kind.as_deref()),
            },
        )?;
        if !news {
            continue;
        }
        fx.statuses += 1;
        // A send whose answer was lost is settled by WhatsApp's word (never re-sent).
        if let Some(id) =
            sends::reconcile(conn, st.biz_opaque_callback_data.as_deref(), &st.id, &at, &ts(now))?
        {
            events::append(
                conn,
                &ts(now),
                "send_reconciled",
                None,
                None,
                &json!({ "send": id, "wamid": st.id }),
            )?;
        }
        if let Some(key) = st.biz_opaque_callback_data.as_deref() {
            // A reply whose answer was lost learns its wamid from WhatsApp's report.
            messages::adopt_wamid(conn, key, &st.id)?;
        }
        messages::apply_statuses(conn, &st.id)?;
        let send = sends::by_wamid_or_key(conn, &st.id, st.biz_opaque_callback_data.as_deref())?;
        let contact = match st.recipient_id.as_deref() {
            Some(r) => Some(contacts::resolve_wa_id(conn, r, None, &ts(now))?),
            None => None,
        };
        if let Some((send_id, cart, step, _)) = &send {
            let kind = match status.as_str() {
                "sent" => None,
                "delivered" => Some("message_delivered"),
                "read" | "played" => Some("message_read"),
                _ => Some("message_failed"),
            };
            if let Some(kind) = kind {
                events::append(
                    conn,
                    &ts(now),
                    kind,
                    Some(*cart),
                    contact,
                    &json!({ "send": send_id, "step": step, "code": code, "detail": detail }),
                )?;
            }
        }
        if status == "failed" {
            let code = code.clone().unwrap_or_else(|| "failed".into());
            let detail = detail.clone().unwrap_or_default();
            if let Some((send_id, cart, step, _)) = send {
                if sends::fail_after_sent(conn, send_id, &code, &detail, &ts(now))? && step == 0 {
                    carts::set_status(conn, cart, "not_sent")?;
                }
            }
            if code == "131050" {
                if let Some(contact) = contact {
                    if contacts::opt_out(conn, contact, "meta_131050", &ts(now))? {
                        events::append(
                            conn,
                            &ts(now),
                            "opted_out",
                            None,
                            Some(contact),
                            &json!({ "source": "meta_131050" }),
                        )?;
                        fx.opt_outs += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

fn echoes(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    fx: &mut Effects,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for (m, raw) in parse_each(&value.message_echoes, notes) {
        let (Some(to), Some(wamid)) = (m.to.as_deref(), m.id.as_deref()) else {
            notes.push("an echo without a recipient".into());
            continue;
        };
        let at = at_of(m.timestamp.as_ref(), now);
        let contact = contacts::resolve_wa_id(conn, to, None, &ts(now))?;
        let thread = conversations::ensure(conn, contact, &ts(now))?;
        let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
        let summary = m.summary();
        let Some(id) = messages::insert(
            conn,
            &messages::NewMessage {
                conversation_id: thread,
                direction: "out",
                origin: "phone",
                wamid: Some(wamid),
                send_id: None,
                kind: &kind,
                body: summary.as_deref(),
                status: Some("sent"),
                at: &at,
            },
        )?
        else {
            continue;
        };
        messages::set_details(
            conn,
            id,
            payload_of(&m, raw).as_deref(),
            m.context.as_ref().and_then(|c| c.id.as_deref()),
        )?;
        conversations::touch(conn, thread, summary.as_deref().unwrap_or(&kind), &at, false)?;
        // The owner wrote from the phone: a person is handling this customer now.
        let already = contacts::get(conn, contact)?.and_then(|c| c.takeover_at).is_some();
        contacts::take_over(conn, contact, Some(&ts(now)))?;
        conversations::set_automation_paused(conn, thread, true)?;
        if !already {
            events::append(
                conn,
                &ts(now),
                "takeover",
                None,
                Some(contact),
                &json!({ "source": "phone", "conversation": thread }),
            )?;
            fx.takeovers.push(thread);
        }
    }
    Ok(())
}

fn history(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for chunk in &value.history {
        for e in &chunk.errors {
            events::append(
                conn,
                &ts(now),
                "history_declined",
                None,
                None,
                &json!({ "code": e.code, "detail": e.detail() }),
            )?;
        }
        for thread in &chunk.threads {
            let Some(customer) = thread.id.as_deref() else { continue };
            let contact = contacts::resolve_wa_id(conn, customer, None, &ts(now))?;
            let conversation = conversations::ensure(conn, contact, &ts(now))?;
            for (m, raw) in parse_each(&thread.messages, notes) {
                let Some(wamid) = m.id.as_deref() else { continue };
                let from_customer = m.from.as_deref().is_some_and(|f| digits(f) == digits(customer));
                let at = at_of(m.timestamp.as_ref(), now);
                let kind = m.kind.clone().unwrap_or_else(|| "unknown".into());
                let summary = m.summary();
                let status =
                    m.history_context.as_ref().and_then(|h| h.status.as_deref()).map(str::to_ascii_lowercase);
                let Some(id) = messages::insert(
                    conn,
                    &messages::NewMessage {
                        conversation_id: conversation,
                        direction: if from_customer { "in" } else { "out" },
                        origin: if from_customer { "customer" } else { "phone" },
                        wamid: Some(wamid),
                        send_id: None,
                        kind: &kind,
                        body: summary.as_deref(),
                        status: status.as_deref(),
                        at: &at,
                    },
                )?
                else {
                    continue;
                };
                messages::set_details(conn, id, payload_of(&m, raw).as_deref(), None)?;
                conversations::touch_history(conn, conversation, summary.as_deref().unwrap_or(&kind), &at)?;
            }
        }
        if chunk.metadata.progress == Some(100) {
            events::append(
                conn,
                &ts(now),
                "history_synced",
                None,
                None,
                &json!({ "phase": chunk.metadata.phase, "chunk": chunk.metadata.chunk_order }),
            )?;
        }
    }
    Ok(())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn state_sync(conn: &Connection, value: &MessagesValue, now: DateTime<Utc>) -> rusqlite::Result<()> {
    for item in &value.state_sync {
        if item.kind.as_deref().is_some_and(|k| k != "contact") || item.action.as_deref() == Some("remove") {
            continue;
        }
        let Some(c) = &item.contact else { continue };
        let Some(phone) = c.phone_number.as_deref().map(digits).filter(|p| p.len() >= 6) else { continue };
        let name =
            c.full_name.as_deref().or(c.first_name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
        let contact = contacts::resolve_wa_id(conn, &phone, None, &ts(now))?;
        if let Some(name) = name {
            contacts::set_name(conn, contact, name)?;
        }
    }
    Ok(())
}

fn preferences(
    conn: &Connection,
    value: &MessagesValue,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    for p in &value.user_preferences {
        let Some(wa_id) = p.wa_id.as_deref() else { continue };
        if p.category.as_deref().is_some_and(|c| c != "marketing_messages") {
            continue;
        }
        let contact = contacts::resolve_wa_id(conn, wa_id, None, &ts(now))?;
        let value = p.value.as_deref();
        if value == Some("stop") && contacts::opt_out(conn, contact, "meta_user_preferences", &ts(now))? {
            let data = json!({ "source": "meta_user_preferences" });
            events::append(conn, &ts(now), "opted_out", None, Some(contact), &data)?;
            fx.opt_outs += 1;
        } else if value == Some("resume") && contacts::opt_back_in(conn, contact)? {
            let data = json!({ "source": "meta_user_preferences" });
            events::append(conn, &ts(now), "opted_in", None, Some(contact), &data)?;
        }
    }
    Ok(())
}

fn account(
    conn: &Connection,
    update: &AccountUpdate,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    let event = update.event.as_deref().unwrap_or_default();
    let disconnected =
        matches!(event, "PARTNER_REMOVED" | "ACCOUNT_OFFBOARDED" | "ACCOUNT_DELETED" | "DISABLED_UPDATE");
    events::append(
        conn,
        &ts(now),
        "account_update",
        None,
        None,
        &json!({ "event": event, "disconnection": update.disconnection_info }),
    )?;
    if disconnected {
        settings::put(conn, "sending_paused", "true", &ts(now))?;
        events::append(
            conn,
            &ts(now),
            "sending_paused",
            None,
            None,
            &json!({ "code": event, "detail": update.disconnection_info }),
        )?;
        fx.paused = true;
        fx.problems.push(OwnerProblem::NumberDisconnected);
    }
    Ok(())
}

fn template(
    conn: &Connection,
    update: &TemplateUpdate,
    now: DateTime<Utc>,
    fx: &mut Effects,
) -> rusqlite::Result<()> {
    let (Some(name), Some(event)) = (update.message_template_name.as_deref(), update.event.as_deref()) else {
        return Ok(());
    };
    // The webhook writes `en-US`; templates are created and sent as `en_US`.
    let language = update.message_template_language.as_deref().unwrap_or_default().replace('-', "_");
    conn.execute(
        "UPDATE wa_templates SET status = ?3, checked_at = ?4 WHERE name = ?1 AND language = ?2",
        rusqlite::params![name, language, event, ts(now)],
    )?;
    if matches!(event, "REJECTED" | "PAUSED" | "DISABLED") {
        fx.problems.push(OwnerProblem::TemplateRejected);
    }
    events::append(
        conn,
        &ts(now),
        "template_status",
        None,
        None,
        &json!({ "name": name, "language": language, "status": event, "reason": update.reason }),
    )?;
    Ok(())
}
