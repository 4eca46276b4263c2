//! The conversation switches and reads the engine answers directly: the inbox list, a thread,
//! the customer's 24-hour window, takeover and hand-back, a recorded inbound text, opt-out.

use super::{Engine, EngineError, EngineResult};
use crate::storage::{self, contacts, conversations, events, messages};

impl Engine {
    pub fn inbox(&self, limit: u32) -> EngineResult<Vec<conversations::ConversationRow>> {
        Ok(conversations::inbox(&self.db.conn(), limit)?)
    }

    /// Is the customer's 24-hour window open in this thread? Returns when it closes.
    pub fn window_closes_at(
        &self,
        conversation_id: i64,
    ) -> EngineResult<Option<chrono::DateTime<chrono::Utc>>> {
        let last = conversations::last_inbound_at(&self.db.conn(), conversation_id)?;
        let closes = last
            .as_deref()
            .and_then(|t| crate::stores::fields::parse_time(t).ok())
            .map(|t| t + chrono::Duration::hours(24));
        Ok(closes.filter(|c| *c > self.clock.now()))
    }

    /// A person takes over this customer (automation stays away) or hands back.
    pub fn set_takeover(&self, conversation_id: i64, taken: bool) -> EngineResult<()> {
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let contact = conversations::contact_of(&tx, conversation_id)?.ok_or(EngineError::NoConversation)?;
        contacts::take_over(&tx, contact, taken.then_some(now.as_str()))?;
        conversations::set_automation_paused(&tx, conversation_id, taken)?;
        if taken {
            storage::drafts::discard_pending(&tx, conversation_id, &now)?;
            messages::assist_done(&tx, conversation_id, "taken_over")?;
        } else {
            // Handing back ends the escalation too: automation answers this customer again.
            conversations::clear_escalation(&tx, conversation_id)?;
        }
        events::append(
            &tx,
            &now,
            if taken { "takeover" } else { "handed_back" },
            None,
            Some(contact),
            &serde_json::json!({ "source": "app", "conversation": conversation_id }),
        )?;
        tx.commit()?;
        drop(conn);
        self.emit_status();
        Ok(())
    }

    /// One conversation's messages, oldest first.
    pub fn thread(&self, conversation_id: i64) -> EngineResult<Vec<messages::MessageRow>> {
        Ok(messages::thread(&self.db.conn(), conversation_id)?)
    }

    /// A customer's text recorded directly, by E.164 (tests; the webhook receiver is the real path).
    /// Stops follow-ups for their carts.
    pub fn record_inbound(&self, phone_e164: &str, text: &str, wamid: &str) -> EngineResult<Option<i64>> {
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        let Some(contact) = contacts::id_by_phone(&tx, phone_e164)? else {
            return Ok(None);
        };
        let thread = conversations::ensure(&tx, contact, &now)?;
        let id = messages::insert(
            &tx,
            &messages::NewMessage {
                conversation_id: thread,
                direction: "in",
                origin: "customer",
                wamid: Some(wamid),
                send_id: None,
                kind: "text",
                body: Some(text),
                status: None,
                at: &now,
            },
        )?;
        if id.is_some() {
            conversations::touch(&tx, thread, text, &now, true)?;
            events::append(&tx, &now, "customer_replied", None, Some(contact), &serde_json::json!({}))?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// The customer opted out (a keyword, the template's button, Meta's 131050).
    pub fn opt_out(&self, phone_e164: &str, source: &str) -> EngineResult<bool> {
        let now = storage::ts(self.clock.now());
        let conn = self.db.conn();
        let Some(contact) = contacts::id_by_phone(&conn, phone_e164)? else {
            return Ok(false);
        };
        let news = contacts::opt_out(&conn, contact, source, &now)?;
        if news {
            events::append(
                &conn,
                &now,
                "opted_out",
                None,
                Some(contact),
                &serde_json::json!({ "source": source }),
            )?;
        }
        Ok(news)
    }
}
