//! Numbers as WhatsApp reports them and as checkouts give them; opt-out and opt-in order.

use super::*;
use crate::domain::Phone;

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    conn
}

const AT: &str = "2026-11-20T12:00:00.000Z";

#[test]
fn a_wa_id_maps_to_the_e164_a_checkout_gives_for_the_same_mobile() {
    for (wa_id, typed, country) in [
        ("5215512345678", "+52 1 55 1234 5678", "MX"),
        ("525512345678", "55 1234 5678", "MX"),
        ("551187654321", "(11) 98765-4321", "BR"),
        ("5511987654321", "+55 11 98765-4321", "BR"),
        ("5491123456789", "011 15-2345-6789", "AR"),
        ("541123456789", "011 15-2345-6789", "AR"),
        ("541123456789", "+54 11 2345-6789", "AR"),
        ("34612345678", "612 34 56 78", "ES"),
    ] {
        let phone = Phone::parse(typed, country).unwrap();
        assert_eq!(canonical_e164(wa_id), phone.e164(), "{wa_id} and {typed} are one customer");
    }
    // A Brazilian landline (area + 8 digits starting 2–5) keeps its eight digits.
    assert_eq!(canonical_e164("551134567890"), "+551134567890");
    let candidates = e164_candidates("5215512345678");
    assert_eq!(candidates[0], "+525512345678");
    assert!(candidates.contains(&"+5215512345678".to_string()), "older data as reported");
    let mut unique = candidates.clone();
    unique.dedup();
    assert_eq!(unique.len(), candidates.len());
}

#[test]
fn a_mexican_customer_who_writes_first_is_the_contact_their_checkout_finds() {
    let conn = db();
    // STOP (or any message) arrives from 521…, before any cart.
    let first = resolve_wa_id(&conn, "5215512345678", Some("Lupita"), AT).unwrap();
    assert!(opt_out(&conn, first, "keyword", AT).unwrap());
    // The checkout's number, as the Phone parser stores it, finds that same contact.
    let phone = Phone::parse("+52 55 1234 5678", "MX").unwrap();
    assert_eq!(id_by_phone(&conn, phone.e164()).unwrap(), Some(first));
    assert!(get(&conn, first).unwrap().unwrap().opted_out_at.is_some());
}

#[test]
fn a_customer_lifts_their_own_opt_out_but_not_one_whatsapp_enforces() {
    let conn = db();
    let theirs = resolve_wa_id(&conn, "5491150000001", None, AT).unwrap();
    let meta = resolve_wa_id(&conn, "5491150000002", None, AT).unwrap();
    opt_out(&conn, theirs, "keyword", AT).unwrap();
    opt_out(&conn, meta, "meta_131050", AT).unwrap();
    assert!(
        !opt_in_by_customer(&conn, theirs, "2026-11-20T11:59:59.000Z").unwrap(),
        "an opt-in said before the opt-out lifts nothing"
    );
    const LATER: &str = "2026-11-20T12:00:01.000Z";
    assert!(opt_in_by_customer(&conn, theirs, LATER).unwrap());
    assert!(!opt_in_by_customer(&conn, meta, LATER).unwrap(), "WhatsApp would still block our messages");
    assert!(get(&conn, meta).unwrap().unwrap().opted_out_at.is_some());
    assert!(!opt_in_by_customer(&conn, theirs, LATER).unwrap(), "nothing to lift twice");
}

#[test]
fn an_opt_out_said_before_the_latest_opt_in_is_stale() {
    let conn = db();
    let id = resolve_wa_id(&conn, "5491150000003", None, AT).unwrap();
    // ALTA said at AT (lifts nothing: not opted out), then a STOP said a second earlier.
    assert!(!opt_in_by_customer(&conn, id, AT).unwrap());
    assert!(!opt_out(&conn, id, "keyword", "2026-11-20T11:59:59.000Z").unwrap(), "stale");
    assert!(get(&conn, id).unwrap().unwrap().opted_out_at.is_none());
    // An older ALTA does not move the mark back; a later STOP counts.
    assert!(!opt_in_by_customer(&conn, id, "2026-11-20T11:00:00.000Z").unwrap());
    assert!(!opt_out(&conn, id, "keyword", "2026-11-20T11:30:00.000Z").unwrap());
    assert!(opt_out(&conn, id, "keyword", "2026-11-20T12:00:01.000Z").unwrap());
}

#[test]
fn a_reply_from_521_lands_on_the_contact_the_cart_created() {
    let conn = db();
    conn.execute("INSERT INTO contacts (phone_e164, created_at) VALUES ('+525512345678', ?1)", [AT]).unwrap();
    let cart_contact = id_by_phone(&conn, "+525512345678").unwrap().unwrap();
    assert_eq!(resolve_wa_id(&conn, "5215512345678", None, AT).unwrap(), cart_contact);
    assert_eq!(get(&conn, cart_contact).unwrap().unwrap().wa_id.as_deref(), Some("5215512345678"));
    // And again by the remembered wa_id.
    assert_eq!(resolve_wa_id(&conn, "5215512345678", None, AT).unwrap(), cart_contact);
    let n: i64 = conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "one customer, one contact");
}

#[test]
fn a_stop_and_an_alta_in_the_same_second_leave_the_customer_opted_out() {
    let conn = db();
    // ALTA then STOP, one second (WhatsApp's times are whole seconds).
    let a = resolve_wa_id(&conn, "5491150000011", None, AT).unwrap();
    assert!(!opt_in_by_customer(&conn, a, AT).unwrap());
    assert!(opt_out(&conn, a, "keyword", AT).unwrap(), "the STOP counts");
    // STOP then ALTA in the same second: the order can't be told, silence wins.
    let b = resolve_wa_id(&conn, "5491150000012", None, AT).unwrap();
    assert!(opt_out(&conn, b, "keyword", AT).unwrap());
    assert!(!opt_in_by_customer(&conn, b, AT).unwrap());
    assert!(get(&conn, b).unwrap().unwrap().opted_out_at.is_some());
}

#[test]
fn whatsapps_resume_never_lifts_a_stop_the_customer_also_said_in_words() {
    let conn = db();
    let id = resolve_wa_id(&conn, "5491150000013", None, AT).unwrap();
    assert!(opt_out(&conn, id, "meta_user_preferences", AT).unwrap());
    assert!(!opt_out(&conn, id, "keyword", "2026-11-20T12:05:00.000Z").unwrap(), "not news");
    assert_eq!(get(&conn, id).unwrap().unwrap().opt_out_source.as_deref(), Some("keyword"));
    assert!(!opt_back_in(&conn, id).unwrap(), "WhatsApp's resume lifts only its own");
    assert!(get(&conn, id).unwrap().unwrap().opted_out_at.is_some());
    // WhatsApp's own stop alone is lifted by its resume.
    let other = resolve_wa_id(&conn, "5491150000014", None, AT).unwrap();
    assert!(opt_out(&conn, other, "meta_user_preferences", AT).unwrap());
    assert!(opt_back_in(&conn, other).unwrap());
}
