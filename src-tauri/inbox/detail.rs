//! What the inbox shows for one conversation: its messages, the 24-hour window, the customer's
//! latest cart, the drafts waiting for the owner and the template languages to pick from.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use crate::storage::{self, carts, conversations, drafts, messages, templates};

/// What the inbox shows for one conversation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
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

/// Reads one conversation's detail; `None` when there is no such conversation. `window`: when
/// its window closes (if open), `template_name`: the recovery template's name.
pub fn read(
    conn: &Connection,
    conversation_id: i64,
    window: Option<DateTime<Utc>>,
    template_name: &str,
) -> rusqlite::Result<Option<ConversationDetail>> {
    let Some(conversation) = conversations::get(conn, conversation_id)? else { return Ok(None) };
    let messages = messages::thread(conn, conversation_id)?;
    let cart = carts::latest_for_contact(conn, conversation.contact_id)?;
    let drafts = drafts::by_state(conn, conversation_id, "pending")?;
    let template_languages = templates::for_name(conn, template_name)?
        .into_iter()
        .filter(templates::TemplateRow::sendable)
        .map(|t| t.template.language)
        .collect();
    Ok(Some(ConversationDetail {
        conversation,
        messages,
        window_closes_at: window.map(storage::ts),
        cart,
        drafts,
        template_languages,
    }))
}
