//! The inbox's engine side: conversations and their detail, the owner's replies and templates,
//! drafts to approve, and the durable reply queue every free-text reply goes through.
//!
//! At most once: a reply is committed as `queued` (with a unique key) before anything is sent,
//! claimed as `sending` in its own commit, and settled afterwards. A crash between the claim and
//! the settlement leaves it `sending`; the next start marks it `unknown` and never sends it
//! again — WhatsApp's status webhook (carrying the key) settles it later.

use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::events::EngineEvent;
use crate::storage::{self, carts, contacts, conversations, drafts, events, messages, sends, templates};

/// What the inbox shows for one conversation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    pub conversation: conversations::ConversationRow,
    pub messages: Vec<messages::MessageRow>,
    /// When the customer-service window closes; `None` when it is closed (templates only).
    pub window_closes_at: Option<String>,
    pub cart: Option<carts::CartRow>,
    pub drafts: Vec<drafts::DraftRow>,
    /// Approved languages of the recovery template, for the picker when the window is closed.
    pub template_languages: Vec<String>,
}

impl Engine {
    /// The inbox list: escalated first, then unread, then latest; optionally searched.
    pub fn conversations(
        &self,
        search: Option<&str>,
        limit: u32,
    ) -> EngineResult<Vec<conversations::ConversationRow>> {
        Ok(conversations::search(&self.db.conn(), search, limit.clamp(1, 20_000))?)
    }

    pub fn conversation_detail(&self, conversation_id: i64) -> EngineResult<ConversationDetail> {
        let settings = self.settings()?;
        let window = self.window_closes_at(conversation_id)?;
        let conn = self.db.conn();
        let conversation = conversations::get(&conn, conversation_id)?.ok_or(EngineError::NoConversation)?;
        let messages = messages::thread(&conn, conversation_id)?;
        let cart = carts::latest_for_contact(&conn, conversation.contact_id)?;
        let drafts = drafts::by_state(&conn, conversation_id, "pending")?;
        let template_languages = templates::for_name(&conn, &settings.template_name)?
            .into_iter()
            .filter(templates::TemplateRow::sendable)
            .map(|t| t.language)
            .collect();
        Ok(ConversationDetail {
            conversation,
            messages,
            window_closes_at: window.map(storage::ts),
            cart,
            drafts,
            template_languages,
        })
    }

    /// The owner opened the thread.
    pub fn mark_read(&self, conversation_id: i64) -> EngineResult<()> {
        conversations::mark_read(&self.db.conn(), conversation_id)?;
        self.emit_status();
        Ok(())
    }

    /// Tells the tray, the webview and the notifier that a thread needs a person.
    pub(crate) fn emit_escalation(&self, conversation_id: i64, reason: &str) {
        let name = conversations::get(&self.db.conn(), conversation_id)
            .ok()
            .flatten()
            .and_then(|c| c.contact_name.or(Some(c.phone)));
        self.events.emit(EngineEvent::Escalation {
            conversation_id,
            contact_name: name,
            reason: reason.to_string(),
        });
    }

    /// The owner writes in the inbox: free text, only inside the customer's 24-hour window
    /// (checked here first; WhatsApp's 131047 is handled the same way). Sent through the
    /// durable reply queue; returns the stored message with its status.
    pub async fn send_text(&self, conversation_id: i64, text: &str) -> EngineResult<messages::MessageRow> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 4096 {
            return Err(EngineError::Invalid("a message has 1 to 4096 characters".into()));
        }
        conversations::contact_of(&self.db.conn(), conversation_id)?.ok_or(EngineError::NoConversation)?;
        if self.window_closes_at(conversation_id)?.is_none() {
            return Err(EngineError::WindowClosed);
        }
        self.sender(&self.settings()?)?.ok_or(EngineError::NoWhatsApp)?;
        let key = format!("app:{}", random_key());
        let now = storage::ts(self.clock.now());
        let id = {
            let conn = self.db.conn();
            let id = messages::queue_reply(&conn, conversation_id, "app", text, &key, &now)?
                .ok_or_else(|| EngineError::Invalid("this reply was already sent".into()))?;
            conversations::mark_read(&conn, conversation_id)?;
            id
        };
        match self.send_reply(id, false).await {
            // One message per customer every 6 s (our reminder may have just left): wait that
            // long once; past that the reply stays queued for the conversation step.
            Err(EngineError::WhatsApp(crate::whatsapp::SendError::Retryable { retry_after, .. })) => {
                let wait = retry_after.unwrap_or(std::time::Duration::from_secs(2));
                if wait <= std::time::Duration::from_secs(7) {
                    tokio::time::sleep(wait).await;
                    match self.send_reply(id, false).await {
                        Err(EngineError::WhatsApp(crate::whatsapp::SendError::Retryable { .. })) => {}
                        other => return other,
                    }
                }
                self.assist_wake.notify_one();
                messages::get(&self.db.conn(), id)?.ok_or(EngineError::NoConversation)
            }
            other => other,
        }
    }

    /// Sends every queued reply (opt-out confirmations, the assistant's answers in auto mode).
    /// Returns how many were tried.
    pub async fn flush_replies(&self) -> EngineResult<usize> {
        let queued = messages::queued_replies(&self.db.conn(), 50)?;
        let mut tried = 0;
        for reply in queued {
            tried += 1;
            if let Err(e) = self.send_reply(reply.id, true).await {
                tracing::info!(message = reply.id, error = %e, "a queued reply did not go out");
            }
        }
        Ok(tried)
    }

    /// Claims, sends and settles one queued reply. The claim is committed before the request
    /// leaves; an answer we never got leaves it `unknown`, never resent. `automation`: the
    /// assistant sends it on its own, so a takeover or an opt-out since it was queued stops it.
    async fn send_reply(&self, id: i64, automation: bool) -> EngineResult<messages::MessageRow> {
        let settings = self.settings()?;
        let (reply, to, contact) = {
            let conn = self.db.conn();
            let reply = messages::queued_replies(&conn, 1_000)?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| EngineError::Invalid("this reply is not waiting to be sent".into()))?;
            let contact = conversations::contact_of(&conn, reply.conversation_id)?
                .ok_or(EngineError::NoConversation)?;
            let row = contacts::get(&conn, contact)?.ok_or(EngineError::NoConversation)?;
            let to = row.wa_id.clone().map(|w| format!("+{w}")).unwrap_or(row.phone_e164.clone());
            // Automation's own replies re-check the rules at the last moment; the owner's don't.
            let now = storage::ts(self.clock.now());
            if automation
                && reply.origin == "assistant"
                && conversations::automation_paused(&conn, reply.conversation_id)?
            {
                messages::reply_settled(
                    &conn,
                    id,
                    "failed",
                    Some("taken_over"),
                    Some("a person took over"),
                    &now,
                )?;
                return Err(EngineError::Invalid("a person took over this conversation".into()));
            }
            if automation && reply.origin == "assistant" && row.opted_out_at.is_some() {
                messages::reply_settled(
                    &conn,
                    id,
                    "failed",
                    Some("opted_out"),
                    Some("the customer opted out"),
                    &now,
                )?;
                return Err(EngineError::Invalid("the customer opted out".into()));
            }
            (reply, to, contact)
        };
        let now = storage::ts(self.clock.now());
        if self.window_closes_at(reply.conversation_id)?.is_none() {
            messages::reply_settled(
                &self.db.conn(),
                id,
                "failed",
                Some("131047"),
                Some("the 24-hour window closed"),
                &now,
            )?;
            return Err(EngineError::WindowClosed);
        }
        let Some(sender) = self.sender(&settings)? else {
            messages::reply_settled(
                &self.db.conn(),
                id,
                "failed",
                Some("no_whatsapp"),
                Some("WhatsApp is not connected"),
                &now,
            )?;
            return Err(EngineError::NoWhatsApp);
        };
        if !messages::claim_reply(&self.db.conn(), id, &now)? {
            return Err(EngineError::Invalid("this reply is already being sent".into()));
        }
        let outgoing = crate::whatsapp::OutgoingText {
            to,
            body: reply.body.clone(),
            callback_data: Some(reply.client_key.clone()),
        };
        let result = sender.send_text(&outgoing).await;
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let outcome = match result {
            Ok(accepted) => {
                if let Some(wa_id) = accepted.wa_id.as_deref() {
                    contacts::remember_wa_id(&tx, contact, wa_id)?;
                }
                messages::reply_accepted(&tx, id, &accepted.wamid, &now)?;
                conversations::touch(&tx, reply.conversation_id, &reply.body, &now, false)?;
                Ok(())
            }
            Err(crate::whatsapp::SendError::Unknown { detail }) => {
                messages::reply_settled(&tx, id, "unknown", None, Some(&detail), &now)?;
                Err(EngineError::WhatsApp(crate::whatsapp::SendError::Unknown { detail }))
            }
            // The reply waits for the next round (pair rate limit, throughput, Meta
            // unavailable): nothing left, so sending later is still at most once.
            Err(e @ crate::whatsapp::SendError::Retryable { .. }) => {
                tx.execute(
                    "UPDATE messages SET status = 'queued', error_detail = ?2, status_at = ?3 WHERE id = ?1 AND status = 'sending'",
                    rusqlite::params![id, e.to_string(), now],
                )?;
                Err(EngineError::WhatsApp(e))
            }
            Err(crate::whatsapp::SendError::WindowClosed { code }) => {
                messages::reply_settled(
                    &tx,
                    id,
                    "failed",
                    Some(&code),
                    Some("the 24-hour window is closed"),
                    &now,
                )?;
                Err(EngineError::WindowClosed)
            }
            Err(e) => {
                messages::reply_settled(&tx, id, "failed", Some(e.code()), Some(&e.to_string()), &now)?;
                Err(EngineError::WhatsApp(e))
            }
        };
        tx.commit()?;
        drop(conn);
        outcome?;
        self.emit_status();
        self.message(id)
    }

    fn message(&self, id: i64) -> EngineResult<messages::MessageRow> {
        messages::get(&self.db.conn(), id)?.ok_or_else(|| EngineError::Invalid("no such message".into()))
    }

    /// The owner approves a draft with one click (or after editing it): it goes out now.
    pub async fn approve_draft(
        &self,
        draft_id: i64,
        edited: Option<&str>,
    ) -> EngineResult<messages::MessageRow> {
        let draft = drafts::get(&self.db.conn(), draft_id)?
            .ok_or_else(|| EngineError::Invalid("no such draft".into()))?;
        if draft.state != "pending" {
            return Err(EngineError::Invalid(format!("this draft was already {}", draft.state)));
        }
        let text = edited.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&draft.text).to_string();
        if text.chars().count() > 4096 {
            return Err(EngineError::Invalid("a message has 1 to 4096 characters".into()));
        }
        if self.window_closes_at(draft.conversation_id)?.is_none() {
            return Err(EngineError::WindowClosed);
        }
        self.sender(&self.settings()?)?.ok_or(EngineError::NoWhatsApp)?;
        // Unedited, the assistant wrote it; edited, the owner did.
        let origin = if text == draft.text { "assistant" } else { "app" };
        let now = storage::ts(self.clock.now());
        let id = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let key = format!("draft:{draft_id}");
            let id = messages::queue_reply(&tx, draft.conversation_id, origin, &text, &key, &now)?
                .ok_or_else(|| EngineError::Invalid("this draft was already sent".into()))?;
            if !drafts::decide(&tx, draft_id, "sent", Some(id), &now)? {
                return Err(EngineError::Invalid("this draft is no longer pending".into()));
            }
            events::append(
                &tx,
                &now,
                "draft_approved",
                None,
                None,
                &serde_json::json!({ "draft": draft_id, "conversation": draft.conversation_id, "edited": origin == "app" }),
            )?;
            tx.commit()?;
            id
        };
        // The owner approved it: it goes even though the thread is paused for automation.
        self.send_reply(id, false).await
    }

    pub fn discard_draft(&self, draft_id: i64) -> EngineResult<()> {
        let now = storage::ts(self.clock.now());
        if !drafts::decide(&self.db.conn(), draft_id, "discarded", None, &now)? {
            return Err(EngineError::Invalid("this draft is no longer pending".into()));
        }
        Ok(())
    }

    /// The owner sends the recovery template by hand (the window is closed): the customer's
    /// latest cart, in `language` when given (else the customer's best approved language).
    pub async fn send_template(
        &self,
        conversation_id: i64,
        language: Option<&str>,
    ) -> EngineResult<messages::MessageRow> {
        let settings = self.settings()?;
        let sender = self.sender(&settings)?.ok_or(EngineError::NoWhatsApp)?;
        let (ctx, rows) = {
            let conn = self.db.conn();
            let contact =
                conversations::contact_of(&conn, conversation_id)?.ok_or(EngineError::NoConversation)?;
            let cart = carts::latest_for_contact(&conn, contact)?.ok_or(EngineError::NoCart)?;
            let ctx = sends::context_for_cart(&conn, cart.id)?.ok_or(EngineError::NoCart)?;
            if ctx.opted_out_at.is_some() {
                return Err(EngineError::Invalid(
                    "the customer opted out: no more marketing messages".into(),
                ));
            }
            (ctx, templates::for_name(&conn, &settings.template_name)?)
        };
        let approved: Vec<_> = rows.into_iter().filter(templates::TemplateRow::sendable).collect();
        let candidates = match language {
            Some(l) => vec![l.to_string()],
            None => crate::scheduler::outbox::language_candidates(&ctx),
        };
        let template = candidates
            .iter()
            .find_map(|l| approved.iter().find(|t| &t.language == l))
            .or(if language.is_none() { approved.first() } else { None })
            .ok_or(EngineError::TemplateNotApproved)?;
        let mut outgoing = crate::scheduler::outbox::message(&ctx, template).map_err(|reason| {
            EngineError::Invalid(format!("the template can't be used for this cart ({reason})"))
        })?;
        let key = format!("app-template:{}", random_key());
        outgoing.callback_data = key.clone();
        let now = storage::ts(self.clock.now());
        let body = format!("{} ({})", template.name, template.language);
        let id = {
            let conn = self.db.conn();
            let id = conn.prepare_cached(
                "INSERT INTO messages (conversation_id, direction, origin, kind, body, status, client_key, created_at, status_at)
                 VALUES (?1, 'out', 'app', 'template', ?2, 'sending', ?3, ?4, ?4) RETURNING id",
            )?
            .query_row(rusqlite::params![conversation_id, body, key, now], |r| r.get::<_, i64>(0))?;
            id
        };
        let result = sender.send_template(&outgoing).await;
        let now = storage::ts(self.clock.now());
        let conn = self.db.conn();
        match result {
            Ok(accepted) => {
                messages::reply_accepted(&conn, id, &accepted.wamid, &now)?;
                conversations::touch(&conn, conversation_id, &body, &now, false)?;
            }
            Err(crate::whatsapp::SendError::Unknown { detail }) => {
                messages::reply_settled(&conn, id, "unknown", None, Some(&detail), &now)?;
            }
            Err(e) => {
                messages::reply_settled(&conn, id, "failed", Some(e.code()), Some(&e.to_string()), &now)?;
                return Err(EngineError::WhatsApp(e));
            }
        }
        drop(conn);
        self.message(id)
    }
}

/// 128 random bits, hex: a reply's unique key.
fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS RNG failing is near impossible; a time-free fallback still never repeats in
        // practice within one database.
        bytes = fastrand::u128(..).to_le_bytes();
    }
    hex::encode(bytes)
}
