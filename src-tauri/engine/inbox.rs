//! The inbox on the engine's side: conversations and their detail, the owner's replies and
//! templates, drafts to approve, and the durable reply queue every free-text reply goes through.
//! The rules are in `inbox::replies` and `inbox::detail`; here the engine checks the window and
//! the connection, sends, and tells the outside world.
//!
//! At most once: a reply is committed as `queued` (with a unique key) before anything is sent,
//! claimed as `sending` in its own commit, and settled afterwards. A crash between the claim and
//! the settlement leaves it `sending`; the next start marks it `unknown` and never sends it
//! again — WhatsApp's status webhook (carrying the key) settles it later.

use super::{Engine, EngineError, EngineResult};
use crate::events::EngineEvent;
use crate::inbox::detail::ConversationDetail;
use crate::inbox::replies::{self, Approved};
use crate::storage::{self, carts, contacts, conversations, drafts, messages, sends, templates};
use crate::whatsapp::SendError;

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
        crate::inbox::detail::read(&self.db.conn(), conversation_id, window, &settings.template_name)?
            .ok_or(EngineError::NoConversation)
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
            .and_then(|c| c.display_name());
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
        if text.is_empty() || replies::too_long(text) {
            return Err(EngineError::refused("message_length", "a message has 1 to 4096 characters"));
        }
        conversations::contact_of(&self.db.conn(), conversation_id)?.ok_or(EngineError::NoConversation)?;
        if self.window_closes_at(conversation_id)?.is_none() {
            return Err(EngineError::WindowClosed);
        }
        self.sender(&self.settings()?)?.ok_or(EngineError::NoWhatsApp)?;
        let key = format!("app:{}", replies::random_key());
        let now = storage::ts(self.clock.now());
        let id = {
            let conn = self.db.conn();
            let id = messages::queue_reply(&conn, conversation_id, "app", text, &key, &now)?
                .ok_or_else(|| EngineError::refused("already_handled", "this reply was already sent"))?;
            conversations::mark_read(&conn, conversation_id)?;
            id
        };
        match self.send_reply(id, false).await {
            // One message per customer every 6 s (our reminder may have just left): wait that
            // long once; past that the reply stays queued for the conversation step.
            Err(EngineError::WhatsApp(SendError::Retryable { retry_after, .. })) => {
                let wait = retry_after.unwrap_or(std::time::Duration::from_secs(2));
                if wait <= std::time::Duration::from_secs(7) {
                    tokio::time::sleep(wait).await;
                    match self.send_reply(id, false).await {
                        Err(EngineError::WhatsApp(SendError::Retryable { .. })) => {}
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
        // Paused (by the owner, or by the account after error 190): automation's replies wait
        // in the queue; only the owner's own replies still go.
        let paused = self.settings()?.sending_paused;
        let mut tried = 0;
        for reply in queued.into_iter().filter(|r| !paused || r.origin == "app") {
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
            let reply = messages::queued_replies(&conn, 1_000)?.into_iter().find(|r| r.id == id).ok_or_else(
                || EngineError::refused("already_handled", "this reply is not waiting to be sent"),
            )?;
            let contact = conversations::contact_of(&conn, reply.conversation_id)?
                .ok_or(EngineError::NoConversation)?;
            let row = contacts::get(&conn, contact)?.ok_or(EngineError::NoConversation)?;
            // The number when known, else the BSUID (a customer who wrote with a username).
            let to = row.address().ok_or(EngineError::NoConversation)?;
            let now = storage::ts(self.clock.now());
            if let Some(held) = replies::hold_automation(&conn, &reply, &row, automation, &now)? {
                return Err(EngineError::Invalid(held.reason().into()));
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
            return Err(EngineError::refused("already_handled", "this reply is already being sent"));
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
        let outcome = replies::settle(&tx, &reply, contact, result, &now)?.map_err(|e| match e {
            SendError::WindowClosed { .. } => EngineError::WindowClosed,
            e => EngineError::WhatsApp(e),
        });
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
            return Err(EngineError::refused(
                "already_handled",
                format!("this draft was already {}", draft.state),
            ));
        }
        let text = edited.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&draft.text).to_string();
        if replies::too_long(&text) {
            return Err(EngineError::refused("message_length", "a message has 1 to 4096 characters"));
        }
        if self.window_closes_at(draft.conversation_id)?.is_none() {
            return Err(EngineError::WindowClosed);
        }
        self.sender(&self.settings()?)?.ok_or(EngineError::NoWhatsApp)?;
        let now = storage::ts(self.clock.now());
        let id = {
            let mut conn = self.db.conn();
            let tx = conn.transaction()?;
            let id = match replies::queue_approved(&tx, &draft, &text, &now)? {
                Approved::Queued(id) => id,
                Approved::AlreadySent => {
                    return Err(EngineError::refused("already_handled", "this draft was already sent"))
                }
                Approved::NoLongerPending => {
                    return Err(EngineError::refused("already_handled", "this draft is no longer pending"))
                }
            };
            tx.commit()?;
            id
        };
        // The owner approved it: it goes even though the thread is paused for automation.
        self.send_reply(id, false).await
    }

    pub fn discard_draft(&self, draft_id: i64) -> EngineResult<()> {
        let now = storage::ts(self.clock.now());
        if !drafts::decide(&self.db.conn(), draft_id, "discarded", None, &now)? {
            return Err(EngineError::refused("already_handled", "this draft is no longer pending"));
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
        let key = format!("app-template:{}", replies::random_key());
        outgoing.callback_data = key.clone();
        let now = storage::ts(self.clock.now());
        let body = format!("{} ({})", template.name, template.language);
        let id = messages::insert_template_send(&self.db.conn(), conversation_id, &body, &key, &now)?;
        let result = sender.send_template(&outgoing).await;
        let now = storage::ts(self.clock.now());
        replies::settle_template(&self.db.conn(), id, conversation_id, &body, result, &now)?
            .map_err(EngineError::WhatsApp)?;
        self.message(id)
    }
}
