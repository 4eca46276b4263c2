//! Who a delivery may say a customer is. An unsigned delivery (written by anyone who learned
//! the address) may only find a contact by number or by BSUID, or make a new one from a single
//! id: it never links a number to a BSUID, moves a BSUID or merges two contacts, on any path
//! (a message, a status, a marketing preference). A signed one still does. A new BSUID with a
//! new number (`user_id_update`) is a number change: the customer, their STOP and their thread
//! carry over. The phone's address book keeps numbers written with direction marks.

use chrono::TimeZone;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::inbox::delivery::{apply, Routing};
use crate::storage::contacts::{self, Identity};
use crate::storage::conversations;

const AT: &str = "2026-11-20T11:00:00.000Z";
const VICTIM: &str = "AR.1502576394655843";
const VICTIM_PHONE: &str = "5491155550001";
const ATTACKER: &str = "5491166660002";

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    conn
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn envelope(field: &str, value: Value) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": field,
        "value": value}]}]})
    .to_string()
}

/// A message from `from` claiming the BSUID `user_id`.
fn message(from: &str, user_id: &str) -> String {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp",
            "contacts": [{"profile": {"name": "X"}, "wa_id": from, "user_id": user_id}],
            "messages": [{"from": from, "from_user_id": user_id, "id": "wamid.F1", "timestamp": "1763640000",
                "type": "text", "text": {"body": "hola"}}]}),
    )
}

/// A status for a message to `to` claiming the BSUID `user_id`.
fn status(to: &str, user_id: &str) -> String {
    envelope(
        "messages",
        json!({"messaging_product": "whatsapp", "statuses": [{"id": "wamid.S1", "status": "delivered",
            "timestamp": "1763640000", "recipient_id": to, "recipient_user_id": user_id}]}),
    )
}

/// A marketing "stop" for `wa_id` claiming the BSUID `user_id`.
fn preference(wa_id: &str, user_id: &str) -> String {
    envelope(
        "user_preferences",
        json!({"messaging_product": "whatsapp", "user_preferences": [{"wa_id": wa_id, "user_id": user_id,
            "category": "marketing_messages", "value": "stop", "timestamp": 1763640000}]}),
    )
}

fn unsigned() -> Routing {
    Routing { signed: false, ..Routing::default() }
}

fn row(conn: &Connection, id: i64) -> contacts::ContactRow {
    contacts::get(conn, id).unwrap().unwrap()
}

/// Whether contact `id` is still a customer of its own (not merged into another).
fn listed(conn: &Connection, id: i64) -> bool {
    contacts::list(conn).unwrap().iter().any(|c| c.id == id)
}

fn thread_owner(conn: &Connection, thread: i64) -> i64 {
    conversations::contact_of(conn, thread).unwrap().unwrap()
}

/// The three ways a forged `{attacker's number, victim's BSUID}` could take over a customer,
/// each checked for one kind of delivery built by `forge(number, bsuid)`.
fn a_forgery_changes_no_identity(forge: fn(&str, &str) -> String) {
    // 1. The victim is known only by BSUID: the attacker's number must not become theirs.
    let conn = db();
    let victim = contacts::resolve(&conn, &Identity::new(None, Some(VICTIM)).unwrap(), AT).unwrap();
    let thread = conversations::ensure(&conn, victim, AT).unwrap();
    apply(&conn, forge(ATTACKER, VICTIM).as_bytes(), &unsigned(), now()).unwrap();
    let v = row(&conn, victim);
    assert_eq!((v.phone_e164.as_deref(), v.wa_id.as_deref()), (None, None), "no number planted");
    assert_eq!(v.address().as_deref(), Some(VICTIM), "replies still go to the victim");
    assert_eq!(thread_owner(&conn, thread), victim);

    // 2. The attacker's number is a contact already: no merge of the victim into it.
    let conn = db();
    let victim = contacts::resolve(&conn, &Identity::new(None, Some(VICTIM)).unwrap(), AT).unwrap();
    let thread = conversations::ensure(&conn, victim, AT).unwrap();
    let attacker = contacts::resolve_wa_id(&conn, ATTACKER, None, AT).unwrap();
    apply(&conn, forge(ATTACKER, VICTIM).as_bytes(), &unsigned(), now()).unwrap();
    assert!(listed(&conn, victim), "not merged");
    assert_eq!(row(&conn, victim).user_id.as_deref(), Some(VICTIM));
    assert_eq!(row(&conn, attacker).user_id, None);
    assert_eq!(thread_owner(&conn, thread), victim, "the victim's thread stays theirs");

    // 3. The victim has a number too: their BSUID must not move to the attacker's contact.
    let conn = db();
    let victim =
        contacts::resolve(&conn, &Identity::new(Some(VICTIM_PHONE), Some(VICTIM)).unwrap(), AT).unwrap();
    let attacker = contacts::resolve_wa_id(&conn, ATTACKER, None, AT).unwrap();
    apply(&conn, forge(ATTACKER, VICTIM).as_bytes(), &unsigned(), now()).unwrap();
    assert_eq!(row(&conn, victim).user_id.as_deref(), Some(VICTIM), "the BSUID stays");
    assert_eq!(row(&conn, attacker).user_id, None);
    assert!(listed(&conn, victim));
}

#[test]
fn an_unsigned_message_never_links_moves_or_merges_ids() {
    a_forgery_changes_no_identity(message);
    // It is still stored, under a contact it found.
    let conn = db();
    let victim = contacts::resolve(&conn, &Identity::new(None, Some(VICTIM)).unwrap(), AT).unwrap();
    apply(&conn, message(VICTIM_PHONE, VICTIM).as_bytes(), &unsigned(), now()).unwrap();
    let thread = conversations::ensure(&conn, victim, AT).unwrap();
    let stored = crate::storage::messages::thread(&conn, thread).unwrap();
    assert_eq!(stored.len(), 1, "found by its BSUID");
}

#[test]
fn an_unsigned_status_never_links_moves_or_merges_ids() {
    a_forgery_changes_no_identity(status);
}

#[test]
fn an_unsigned_marketing_preference_never_links_moves_or_merges_ids() {
    a_forgery_changes_no_identity(preference);
}

#[test]
fn a_signed_message_with_both_ids_still_merges_the_two_contacts() {
    let conn = db();
    let by_bsuid = contacts::resolve(&conn, &Identity::new(None, Some(VICTIM)).unwrap(), AT).unwrap();
    let thread = conversations::ensure(&conn, by_bsuid, AT).unwrap();
    let by_number = contacts::resolve_wa_id(&conn, VICTIM_PHONE, None, AT).unwrap();
    let (outcome, _) =
        apply(&conn, message(VICTIM_PHONE, VICTIM).as_bytes(), &Routing::default(), now()).unwrap();
    assert_eq!(outcome, "ok");
    assert!(!listed(&conn, by_bsuid), "merged");
    assert_eq!(row(&conn, by_number).user_id.as_deref(), Some(VICTIM));
    assert_eq!(thread_owner(&conn, thread), by_number);
}

fn id_update(wa_id: &str, previous: &str, current: &str) -> String {
    envelope(
        "user_id_update",
        json!({"messaging_product": "whatsapp", "user_id_update": [{"wa_id": wa_id,
            "user_id": {"previous": previous, "current": current}, "timestamp": "1763640000"}]}),
    )
}

/// A cart's customer (a number) who said STOP and whose thread was taken over.
fn opted_out_cart_customer(conn: &Connection) -> (i64, i64) {
    let ana = contacts::resolve(conn, &Identity::new(Some(VICTIM_PHONE), Some(VICTIM)).unwrap(), AT).unwrap();
    let thread = conversations::ensure(conn, ana, AT).unwrap();
    assert!(contacts::opt_out(conn, ana, "keyword", AT).unwrap());
    contacts::take_over(conn, ana, Some(AT)).unwrap();
    (ana, thread)
}

const NEW_BSUID: &str = "AR.4402576394655899";
const NEW_PHONE: &str = "5491177770003";

/// The customers: every contact but a STOP left behind on a customer's old number.
fn customers(conn: &Connection) -> usize {
    let all = contacts::list(conn).unwrap();
    let left = all.iter().filter(|c| c.opt_out_source.as_deref() == Some("number_changed")).count();
    assert!(left <= 1, "{all:?}");
    all.len() - left
}

/// Where the customer now is: the contact holding the new BSUID.
fn successor(conn: &Connection) -> contacts::ContactRow {
    let id = contacts::id_by_user_id(conn, NEW_BSUID).unwrap().expect("someone holds the new BSUID");
    row(conn, id)
}

#[test]
fn a_new_bsuid_with_a_new_number_keeps_the_customer_their_stop_and_thread() {
    let conn = db();
    let (ana, thread) = opted_out_cart_customer(&conn);
    let (outcome, _) =
        apply(&conn, id_update(NEW_PHONE, VICTIM, NEW_BSUID).as_bytes(), &Routing::default(), now()).unwrap();
    assert_eq!(outcome, "ok");
    let now_ana = successor(&conn);
    assert_eq!(now_ana.id, ana, "the same contact");
    assert!(now_ana.opted_out_at.is_some() && now_ana.takeover_at.is_some(), "{now_ana:?}");
    assert_eq!(now_ana.phone_e164.as_deref(), Some("+5491177770003"), "the new number");
    assert_eq!(now_ana.address().as_deref(), Some("+5491177770003"));
    assert_eq!(thread_owner(&conn, thread), ana);
    assert_eq!(customers(&conn), 1, "no second customer");
    // Her next message, from the new number, lands on the same contact and thread.
    let hola = message(NEW_PHONE, NEW_BSUID).replace("wamid.F1", "wamid.F2");
    apply(&conn, hola.as_bytes(), &Routing::default(), now()).unwrap();
    assert_eq!(customers(&conn), 1);
    assert_eq!(thread_owner(&conn, thread), ana);
}

#[test]
fn a_new_number_already_a_contact_merges_with_the_stricter_state() {
    let conn = db();
    let (ana, thread) = opted_out_cart_customer(&conn);
    // A cart was left under the new number before the update came.
    let other = contacts::resolve_wa_id(&conn, NEW_PHONE, None, AT).unwrap();
    let (outcome, _) =
        apply(&conn, id_update(NEW_PHONE, VICTIM, NEW_BSUID).as_bytes(), &Routing::default(), now()).unwrap();
    assert_eq!(outcome, "ok");
    let now_ana = successor(&conn);
    assert!([ana, other].contains(&now_ana.id));
    assert!(now_ana.opted_out_at.is_some(), "the STOP carries over: {now_ana:?}");
    assert!(now_ana.takeover_at.is_some(), "and the takeover");
    assert_eq!(customers(&conn), 1, "one customer");
    assert_eq!(thread_owner(&conn, thread), now_ana.id, "the thread continues");
    assert_eq!(contacts::opted_out_count(&conn).unwrap(), 1);
}

#[test]
fn an_address_book_number_with_direction_marks_still_names_its_contact() {
    let conn = db();
    let ana = contacts::resolve_wa_id(&conn, VICTIM_PHONE, None, AT).unwrap();
    let sync = envelope(
        "smb_app_state_sync",
        json!({"messaging_product": "whatsapp", "state_sync": [{"type": "contact", "action": "add",
            "contact": {"full_name": "Ana (vecina)", "phone_number": "\u{202B}+54 9 11\u{00A0}5555-0001\u{202C}\u{200F}"}}]}),
    );
    apply(&conn, sync.as_bytes(), &Routing::default(), now()).unwrap();
    assert_eq!(row(&conn, ana).name.as_deref(), Some("Ana (vecina)"));
    assert_eq!(contacts::list(&conn).unwrap().len(), 1);
}
