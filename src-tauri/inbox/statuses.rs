//! WhatsApp's reports on messages we sent (sent, delivered, read, failed): recorded once per
//! (wamid, status), never moving a message backwards; a send whose answer was lost is settled
//! by them, a failed first reminder marks its cart not sent, and 131050 opts the customer out.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::effects::Effects;
use super::opt_out;
use super::stored::at_of;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{carts, contacts, messages, sends, ts};
use crate::whatsapp::webhook::{MessagesValue, Status};
use crate::whatsapp::ErrorClass;

/// Records the statuses of one delivery.
pub(super) fn record(
    conn: &Connection,
    value: &MessagesValue,
    signed: bool,
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
        // A send whose answer was lost is settled by WhatsApp's word (never re-sent) — only a
        // signed word: an unsigned status could pin any wamid on it.
        let key = st.biz_opaque_callback_data.as_deref();
        let settled = if signed { sends::reconcile(conn, key, &st.id, &at, &ts(now))? } else { None };
        if let Some(id) = settled {
            event_log::append(
                conn,
                &ts(now),
                None,
                None,
                &LogEvent::SendReconciled { send: id, wamid: &st.id },
            )?;
        }
        if let Some(key) = st.biz_opaque_callback_data.as_deref().filter(|_| signed) {
            // A reply whose answer was lost learns its wamid from WhatsApp's report.
            messages::adopt_wamid(conn, key, &st.id)?;
        }
        messages::apply_statuses(conn, &st.id)?;
        let send = sends::by_wamid_or_key(conn, &st.id, st.biz_opaque_callback_data.as_deref())?;
        // The customer by number and/or BSUID (a send to a BSUID may report no number); an
        // unsigned status only finds them, never links the two ids.
        let who = contacts::Identity::new(st.recipient_id.as_deref(), st.recipient_user_id.as_deref());
        let contact = match who {
            Some(who) => Some(contacts::resolve_delivered(conn, &who, signed, &ts(now))?),
            None => None,
        };
        if let Some((send_id, cart, step, _)) = &send {
            let (send, step, code, detail) = (*send_id, *step, code.as_deref(), detail.as_deref());
            let event = match status.as_str() {
                "sent" => None,
                "delivered" => Some(LogEvent::MessageDelivered { send, step, code, detail }),
                "read" | "played" => Some(LogEvent::MessageRead { send, step, code, detail }),
                _ => Some(LogEvent::MessageFailed { send, step, code, detail }),
            };
            if let Some(event) = event {
                event_log::append(conn, &ts(now), Some(*cart), contact, &event)?;
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
            if ErrorClass::of_recorded(&code) == Some(ErrorClass::OptedOut) {
                if let Some(contact) = contact {
                    if opt_out::record(conn, contact, "meta_131050", None, &ts(now), signed)? {
                        fx.opt_outs += 1;
                    }
                }
            }
        }
    }
    Ok(())
}
