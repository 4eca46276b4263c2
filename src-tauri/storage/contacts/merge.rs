//! Two contacts that turn out to be one customer — one found by phone number, one known only by
//! BSUID (the customer wrote with a username first, and a later message carried both), or the
//! customer's old contact and the one already holding the new number WhatsApp reports with a
//! new BSUID (`user_id_update`) — become one: the number's contact, or the old one that takes
//! the new number. Nothing is lost and nothing is loosened:
//! - the BSUID contact's thread is moved over (its messages and drafts join the number's thread
//!   when both have one), and its carts if any;
//! - the stricter state wins: an opt-out on either holds (the earlier one, with its source), a
//!   takeover or an escalation on either holds, consent is refused when either refused it;
//! - the merged-away row stays as a tombstone (`merged_into`, no number, no BSUID) because the
//!   append-only event log still points at it.

use rusqlite::{params, Connection, OptionalExtension};

use super::{get, ContactRow};

/// The earlier of two optional stored timestamps (one format: they compare as text).
fn earliest(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Merges contact `from` into contact `into` (see the module). Run it in a transaction.
pub(super) fn merge(conn: &Connection, from: i64, into: i64) -> rusqlite::Result<()> {
    let (Some(f), Some(i)) = (get(conn, from)?, get(conn, into)?) else { return Ok(()) };
    move_thread(conn, from, into)?;
    conn.prepare_cached("UPDATE carts SET contact_id = ?2 WHERE contact_id = ?1")?
        .execute(params![from, into])?;
    // The tombstone gives up its keys first: number and BSUID are unique.
    conn.prepare_cached(
        "UPDATE contacts SET phone_e164 = NULL, user_id = NULL, parent_user_id = NULL, wa_id = NULL,
            merged_into = ?2 WHERE id = ?1",
    )?
    .execute(params![from, into])?;
    // The later opt-in and the owner's address-book name (not in `ContactRow`), then the rest.
    conn.prepare_cached(
        "UPDATE contacts AS k SET
            opted_in_at = NULLIF(max(coalesce(k.opted_in_at, ''), coalesce(g.opted_in_at, '')), ''),
            book_name = coalesce(k.book_name, g.book_name)
         FROM contacts AS g WHERE k.id = ?1 AND g.id = ?2",
    )?
    .execute(params![into, from])?;
    let state = stricter(&f, &i);
    conn.prepare_cached(
        "UPDATE contacts SET opted_out_at = ?2, opt_out_source = ?3, takeover_at = ?4,
            marketing_consent = ?5, name = ?6, language = ?7, username = ?8, parent_user_id = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        into,
        state.opted_out_at,
        state.opt_out_source,
        state.takeover_at,
        state.marketing_consent,
        state.name,
        state.language,
        state.username,
        state.parent_user_id,
    ])?;
    tracing::info!(from, into, "two contacts of one customer merged");
    Ok(())
}

/// The merged contact's state: `into`'s, made stricter by `from`'s.
fn stricter(from: &ContactRow, into: &ContactRow) -> ContactRow {
    let mut out = into.clone();
    // An opt-out on either holds; with both, the earlier one and its source.
    let from_first = match (&from.opted_out_at, &into.opted_out_at) {
        (Some(f), Some(i)) => f < i,
        (Some(_), None) => true,
        _ => false,
    };
    if from_first {
        out.opted_out_at = from.opted_out_at.clone();
        out.opt_out_source = from.opt_out_source.clone();
    }
    out.takeover_at = earliest(from.takeover_at.clone(), into.takeover_at.clone());
    out.marketing_consent = match (from.marketing_consent, into.marketing_consent) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (f, i) => i.or(f),
    };
    out.name = into.name.clone().filter(|n| !n.is_empty()).or_else(|| from.name.clone());
    out.language = into.language.clone().or_else(|| from.language.clone());
    // The BSUID contact's username and parent id are WhatsApp's newer word.
    out.username = from.username.clone().or_else(|| into.username.clone());
    out.parent_user_id = from.parent_user_id.clone().or_else(|| into.parent_user_id.clone());
    out
}

/// Moves `from`'s thread to `into`: as is when `into` has none, else its messages and drafts
/// join `into`'s thread, which keeps the later last message, the later window, both unread
/// counts, and an escalation or pause from either.
fn move_thread(conn: &Connection, from: i64, into: i64) -> rusqlite::Result<()> {
    let thread = |contact: i64| -> rusqlite::Result<Option<i64>> {
        conn.prepare_cached("SELECT id FROM conversations WHERE contact_id = ?1")?
            .query_row([contact], |r| r.get(0))
            .optional()
    };
    let Some(gone) = thread(from)? else { return Ok(()) };
    let Some(kept) = thread(into)? else {
        conn.prepare_cached("UPDATE conversations SET contact_id = ?2 WHERE id = ?1")?
            .execute(params![gone, into])?;
        return Ok(());
    };
    conn.prepare_cached("UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1")?
        .execute(params![gone, kept])?;
    conn.prepare_cached("UPDATE drafts SET conversation_id = ?2 WHERE conversation_id = ?1")?
        .execute(params![gone, kept])?;
    conn.prepare_cached(
        "UPDATE conversations AS k SET
            last_inbound_at = max(coalesce(k.last_inbound_at, ''), coalesce(g.last_inbound_at, '')),
            last_message = CASE WHEN coalesce(g.last_message_at, '') > coalesce(k.last_message_at, '')
                                THEN g.last_message ELSE k.last_message END,
            last_message_at = max(coalesce(k.last_message_at, ''), coalesce(g.last_message_at, '')),
            unread = k.unread + g.unread,
            escalated = max(k.escalated, g.escalated),
            escalation_reason = CASE WHEN k.escalated = 1 THEN k.escalation_reason ELSE g.escalation_reason END,
            automation_paused = max(k.automation_paused, g.automation_paused)
         FROM conversations AS g WHERE k.id = ?1 AND g.id = ?2",
    )?
    .execute(params![kept, gone])?;
    // '' stood for "never" in the max() above: back to NULL.
    conn.prepare_cached(
        "UPDATE conversations SET last_inbound_at = NULLIF(last_inbound_at, ''),
            last_message_at = NULLIF(last_message_at, '') WHERE id = ?1",
    )?
    .execute([kept])?;
    conn.prepare_cached("DELETE FROM conversations WHERE id = ?1")?.execute([gone])?;
    Ok(())
}
