//! WhatsApp's word that a customer's business-scoped user id changed (`user_id_update`: they
//! changed their number and Meta issued a new BSUID): the contact keeps its thread, opt-out and
//! takeover under the new id, and takes the new number when Meta shares it (a contact already
//! holding that number is the same customer: merged, the stricter state kept, so a STOP said
//! under the old number still holds under the new one). Only a signed delivery
//! is applied (see `delivery`): a forged one could point a customer's replies at someone else.

use rusqlite::Connection;

use crate::storage::contacts;
use crate::whatsapp::webhook::MessagesValue;

pub(super) fn update(
    conn: &Connection,
    value: &MessagesValue,
    notes: &mut Vec<String>,
) -> rusqlite::Result<()> {
    for u in &value.user_id_update {
        let ids = u.user_id.as_ref();
        let (Some(previous), Some(current)) =
            (ids.and_then(|i| i.previous.as_deref()), ids.and_then(|i| i.current.as_deref()))
        else {
            notes.push("a user_id_update without both ids".into());
            continue;
        };
        let parent = u.parent_user_id.as_ref().and_then(|p| p.current.as_deref());
        // The holder of `previous` takes the new id and number (nothing happens for a customer
        // we never met, or ids that are no BSUIDs).
        contacts::replace_user_id(conn, previous, current, parent, u.wa_id.as_deref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use crate::inbox::delivery::{apply, Routing};
    use crate::storage::contacts::{self, Identity};

    #[test]
    fn only_a_signed_update_moves_a_customer_to_their_new_bsuid() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let who = Identity::new(None, Some("AR.111")).unwrap();
        let ana = contacts::resolve(&conn, &who, "2026-11-20T11:00:00.000Z").unwrap();
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
            "field": "user_id_update", "value": {"messaging_product": "whatsapp",
                "user_id_update": [{"wa_id": "5491155550001", "user_id": {"previous": "AR.111", "current": "AR.222"},
                    "parent_user_id": {"previous": "AR.ENT.1", "current": "AR.ENT.2"}, "timestamp": "1"}]}}]}]})
        .to_string();
        let unsigned = Routing { signed: false, ..Routing::default() };
        let (outcome, _) = apply(&conn, body.as_bytes(), &unsigned, now).unwrap();
        assert!(outcome.contains("unsigned: user_id_update not applied"), "{outcome}");
        assert_eq!(contacts::get(&conn, ana).unwrap().unwrap().user_id.as_deref(), Some("AR.111"));
        let (outcome, _) = apply(&conn, body.as_bytes(), &Routing::default(), now).unwrap();
        assert_eq!(outcome, "ok");
        let row = contacts::get(&conn, ana).unwrap().unwrap();
        assert_eq!(
            (row.user_id.as_deref(), row.parent_user_id.as_deref()),
            (Some("AR.222"), Some("AR.ENT.2"))
        );
        assert_eq!(row.phone_e164.as_deref(), Some("+5491155550001"), "the number Meta shared joins it");
    }
}
