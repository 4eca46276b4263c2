//! The conversation switches and reads the engine answers directly: the inbox list, a thread,
//! the customer's 24-hour window, takeover and hand-back, a recorded inbound text, opt-out. The
//! rules live in `inbox/`; here they get a transaction, the clock and the events after it.

use super::{Engine, EngineError, EngineResult};
use crate::inbox::{inbound, opt_out, takeover, window};
use crate::storage::{self, conversations, messages};

impl Engine {
    pub fn inbox(&self, limit: u32) -> EngineResult<Vec<conversations::ConversationRow>> {
        Ok(conversations::inbox(&self.db.conn(), limit)?)
    }

    /// Is the customer's 24-hour window open in this thread? Returns when it closes.
    pub fn window_closes_at(
        &self,
        conversation_id: i64,
    ) -> EngineResult<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(window::of_conversation(&self.db.conn(), conversation_id, self.clock.now())?)
    }

    /// A person takes over this customer (automation stays away) or hands back.
    pub fn set_takeover(&self, conversation_id: i64, taken: bool) -> EngineResult<()> {
        let now = storage::ts(self.clock.now());
        let mut conn = self.db.conn();
        let tx = conn.transaction()?;
        if !takeover::set(&tx, conversation_id, taken, &now)? {
            return Err(EngineError::NoConversation);
        }
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
        let id = inbound::record_text(&tx, phone_e164, text, wamid, &now)?;
        tx.commit()?;
        Ok(id)
    }

    /// The customer opted out (a keyword, the template's button, Meta's 131050).
    pub fn opt_out(&self, phone_e164: &str, source: &str) -> EngineResult<bool> {
        let now = storage::ts(self.clock.now());
        Ok(opt_out::record_by_phone(&self.db.conn(), phone_e164, source, &now)?)
    }
}
