//! Turning one stored webhook delivery into state, in one transaction with its "processed" mark.
//! Every step is idempotent — messages by wamid, statuses by (wamid, status), opt-outs and
//! takeovers as facts — so a delivery processed twice (a crash before the commit, Meta's
//! duplicates under another envelope) changes nothing the second time.
//!
//! An unsigned delivery (accepted only while no app secret is set and the owner turned on
//! `allow_unsigned_webhooks`) may have been written by anyone who learned the address, so it
//! is applied only where a forgery errs toward silence or toward a person looking:
//! - applied: a customer's message is stored and shown (the escalation rules may hand it to a
//!   person); a STOP, the 131050 failure and a "stop" marketing preference opt the customer out
//!   (a forged one only stops our messages to them, never sends one); plain statuses are
//!   recorded (a forged "failed" can only stop a follow-up). The customer each names is only
//!   found (by number, else by BSUID) or made from a single id: an unsigned delivery never
//!   links a number to a BSUID, moves a BSUID or merges two contacts
//!   (`contacts::resolve_unsigned`), which would turn a customer's replies to a stranger.
//! - never applied: opting back in ("ALTA"/START) or a "resume" preference (that would let a
//!   stranger lift a STOP), any automatic answer or confirmation (the shop's number would write
//!   to whoever the stranger names), the phone's echoes, history and contact sync (a takeover
//!   or planted conversations), account updates (a pause) and template updates, a status
//!   settling a send whose answer was lost (a fake wamid would mark it sent), and a customer's
//!   new business-scoped user id (`user_id_update`: it would point their replies elsewhere).

use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use super::effects::{Effects, Routing};
use super::{account, inbound, opt_out, phone, statuses, user_ids};
use crate::storage::event_log::{self, LogEvent};
use crate::storage::ts;
use crate::whatsapp::webhook::{AccountUpdate, Envelope, MessagesValue, TemplateUpdate};

/// Whether an error applying a delivery may go away by itself — the database busy or locked, an
/// I/O error, a full disk, no memory, the file unreadable for now — so the delivery is retried
/// with backoff. Any other error would repeat identically on the same payload (a constraint
/// refusing it, SQL or a value this build can't handle: a bug): retrying it is pointless, so it
/// is quarantined at once for the owner. Malformed or unknown payloads are not errors at all:
/// [`apply`] processes them with a note.
pub fn is_transient(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        e.sqlite_error_code(),
        Some(
            C::DatabaseBusy
                | C::DatabaseLocked
                | C::SystemIoFailure
                | C::DiskFull
                | C::OutOfMemory
                | C::CannotOpen
                | C::FileLockingProtocolFailed
                | C::OperationInterrupted
                | C::OperationAborted
                | C::ReadOnly
                | C::PermissionDenied
                | C::SchemaChanged
                | C::DatabaseCorrupt
                | C::NotADatabase
                | C::NoLargeFileSupport
        )
    )
}

/// Applies one delivery. Returns a short outcome for the log table ("ok", "ignored: …",
/// "invalid: …") and the effects. Only storage errors are errors; [`is_transient`] tells the
/// ones worth retrying.
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
            "messages" | "smb_message_echoes" | "history" | "smb_app_state_sync" | "user_preferences"
            | "user_id_update" => {
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
                        statuses::record(conn, &value, routing.signed, now, &mut fx, &mut notes)?;
                        for e in &value.errors {
                            event_log::append(
                                conn,
                                &ts(now),
                                None,
                                None,
                                &LogEvent::WhatsappError { code: e.code, detail: &e.detail() },
                            )?;
                        }
                    }
                    _ if !routing.signed && field != "user_preferences" => {
                        notes.push(format!("unsigned: {field} not applied"));
                    }
                    "smb_message_echoes" => phone::echoes(conn, &value, now, &mut fx, &mut notes)?,
                    "history" => phone::history(conn, &value, now, &mut notes)?,
                    "smb_app_state_sync" => phone::state_sync(conn, &value, now)?,
                    "user_id_update" => user_ids::update(conn, &value, &mut notes)?,
                    _ => opt_out::preferences(conn, &value, routing, now, &mut fx)?,
                }
            }
            "account_update" | "message_template_status_update" if !routing.signed => {
                notes.push(format!("unsigned: {field} not applied"));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn busy_locked_io_and_full_are_transient_constraints_and_bugs_are_not() {
        use rusqlite::ffi;
        for code in
            [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED, ffi::SQLITE_IOERR, ffi::SQLITE_FULL, ffi::SQLITE_NOMEM]
        {
            assert!(is_transient(&fail(code)), "{code} may go away by itself");
        }
        for code in [ffi::SQLITE_CONSTRAINT, ffi::SQLITE_ERROR, ffi::SQLITE_MISMATCH, ffi::SQLITE_TOOBIG] {
            assert!(!is_transient(&fail(code)), "{code} repeats identically");
        }
        assert!(!is_transient(&rusqlite::Error::InvalidColumnIndex(9)), "a bug repeats too");
    }
}
