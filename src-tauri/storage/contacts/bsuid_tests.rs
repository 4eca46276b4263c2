//! Contacts by number or BSUID: the v13 migration on a v12 database with data, finding and
//! merging, and the ids that must never become a contact.

use rusqlite::Connection;

use super::*;
use crate::storage::migrations;

const AT: &str = "2026-11-20T12:00:00.000Z";
const LATER: &str = "2026-11-20T13:00:00.000Z";
const ANA: &str = "AR.1502576394655843";
const BRUNO: &str = "AR.9902576394655811";

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    migrations::migrate(&mut conn).unwrap();
    conn
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A contact's id, number, wa_id, opt-out and address-book name.
type Kept = (i64, Option<String>, Option<String>, Option<String>, Option<String>);

fn by_bsuid(user_id: &str) -> Identity {
    Identity::new(None, Some(user_id)).unwrap()
}

#[test]
fn a_v12_database_keeps_every_contact_thread_cart_and_event_after_v13() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    migrations::migrate_to(&mut conn, 12).unwrap();
    conn.execute_batch(
        "INSERT INTO stores (id, platform, name, base_url, country, created_at)
            VALUES (1, 'sandbox', 'Luna', 'https://luna.example', 'AR', '2026-11-01T00:00:00.000Z');
         INSERT INTO contacts (id, phone_e164, wa_id, name, language, marketing_consent, opted_out_at,
                opt_out_source, takeover_at, created_at, opted_in_at, book_name)
            VALUES (7, '+5491155550001', '541155550001', 'Ana', 'es', 1, '2026-11-02T00:00:00.000Z',
                'keyword', NULL, '2026-11-01T00:00:00.000Z', '2026-11-01T10:00:00.000Z', 'Ana (vecina)'),
                (9, '+5491155550002', NULL, 'Bruno', NULL, NULL, NULL, NULL, '2026-11-03T00:00:00.000Z',
                '2026-11-01T00:00:00.000Z', NULL, NULL);
         INSERT INTO carts (id, store_id, external_id, contact_id, phone_e164, currency, total, items_json,
                checkout_created_at, checkout_updated_at, detected_at)
            VALUES (3, 1, 'c-1', 9, '+5491155550002', 'ARS', '100', '[]', '2026-11-01T00:00:00.000Z',
                '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z');
         INSERT INTO conversations (id, contact_id, created_at) VALUES (5, 7, '2026-11-01T00:00:00.000Z');
         INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, created_at)
            VALUES (5, 'in', 'customer', 'wamid.1', 'text', 'hola', '2026-11-01T00:00:00.000Z');
         INSERT INTO events (at, kind, cart_id, contact_id) VALUES ('2026-11-02T00:00:00.000Z', 'opted_out', NULL, 7);",
    )
    .unwrap();
    let before: Vec<Kept> = {
        let mut stmt = conn
            .prepare("SELECT id, phone_e164, wa_id, opted_out_at, book_name FROM contacts ORDER BY id")
            .unwrap();
        let rows =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).unwrap();
        rows.map(Result::unwrap).collect()
    };

    migrations::migrate(&mut conn).unwrap();

    assert_eq!(count(&conn, "PRAGMA user_version"), migrations::latest_version());
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1, "foreign keys are enforced again after migrating");
    assert_eq!(count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    let after: Vec<Kept> = list(&conn)
        .unwrap()
        .into_iter()
        .map(|c| {
            let book: Option<String> =
                conn.query_row("SELECT book_name FROM contacts WHERE id = ?1", [c.id], |r| r.get(0)).unwrap();
            (c.id, c.phone_e164, c.wa_id, c.opted_out_at, book)
        })
        .collect();
    assert_eq!(after, before, "same ids, numbers, opt-outs and book names");
    let ana = get(&conn, 7).unwrap().unwrap();
    let opted_in: Option<String> =
        conn.query_row("SELECT opted_in_at FROM contacts WHERE id = 7", [], |r| r.get(0)).unwrap();
    assert_eq!((opted_in.as_deref(), ana.marketing_consent), (Some("2026-11-01T10:00:00.000Z"), Some(true)));
    // The references still land: the cart on Bruno, the thread and the event on Ana.
    assert_eq!(count(&conn, "SELECT contact_id FROM carts WHERE id = 3"), 9);
    assert_eq!(count(&conn, "SELECT contact_id FROM conversations WHERE id = 5"), 7);
    assert_eq!(count(&conn, "SELECT contact_id FROM events"), 7);
    // The constraints are all there, and a contact may now have no number when it has a BSUID.
    let dup = |sql: &str| conn.execute(sql, []).is_err();
    assert!(dup("INSERT INTO contacts (phone_e164, created_at) VALUES ('+5491155550001', 'x')"));
    assert!(dup("INSERT INTO contacts (phone_e164, wa_id, created_at) VALUES ('+1', '541155550001', 'x')"));
    assert!(dup("INSERT INTO contacts (created_at) VALUES ('x')"), "no number, no BSUID: no one");
    assert!(dup("INSERT INTO contacts (phone_e164, marketing_consent, created_at) VALUES ('+2', 5, 'x')"));
    assert!(dup("INSERT INTO conversations (contact_id, created_at) VALUES (404, 'x')"), "FKs enforced");
    conn.execute("INSERT INTO contacts (user_id, created_at) VALUES (?1, ?2)", [ANA, AT]).unwrap();
    assert!(dup(&format!("INSERT INTO contacts (user_id, created_at) VALUES ('{ANA}', 'x')")));
    // A cart still finds its contact by number after the migration.
    assert_eq!(id_by_phone(&conn, "+5491155550002").unwrap(), Some(9));
}

#[test]
fn garbage_sender_ids_are_no_one_and_never_collapse_into_one_contact() {
    for raw in ["", " ", "+", "abc", "@ana", "ana@example.com", "12"] {
        assert_eq!(Identity::new(Some(raw), None), None, "{raw:?}");
        assert_eq!(Identity::new(None, Some(raw)), None, "{raw:?}");
    }
    let conn = db();
    assert!(resolve_wa_id(&conn, "abc", None, AT).is_err());
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 0);
}

#[test]
fn two_username_customers_are_two_contacts_and_come_back_to_their_own() {
    let conn = db();
    let ana =
        resolve(&conn, &by_bsuid(ANA).with_username(Some("@ana.luna")).with_name(Some("Ana")), AT).unwrap();
    let bruno = resolve(&conn, &by_bsuid(BRUNO).with_username(Some("@bruno")), AT).unwrap();
    assert_ne!(ana, bruno);
    assert_eq!(resolve(&conn, &by_bsuid(ANA), AT).unwrap(), ana);
    let row = get(&conn, ana).unwrap().unwrap();
    assert_eq!(row.phone_e164, None);
    assert_eq!(row.user_id.as_deref(), Some(ANA));
    assert_eq!(row.username.as_deref(), Some("@ana.luna"));
    assert_eq!(row.address().as_deref(), Some(ANA), "written to by BSUID");
    // Opting one out touches only that one.
    assert!(opt_out(&conn, ana, "keyword", AT).unwrap());
    assert!(get(&conn, bruno).unwrap().unwrap().opted_out_at.is_none());
    // A BSUID in the phone field (a partner's `from`) is still the BSUID.
    assert_eq!(resolve(&conn, &Identity::new(Some(BRUNO), None).unwrap(), AT).unwrap(), bruno);
}

#[test]
fn a_cart_contact_learns_its_bsuid_and_a_bsuid_contact_learns_its_number() {
    let conn = db();
    conn.execute("INSERT INTO contacts (phone_e164, created_at) VALUES ('+5491155550001', ?1)", [AT])
        .unwrap();
    let cart = id_by_phone(&conn, "+5491155550001").unwrap().unwrap();
    let both = Identity::new(Some("541155550001"), Some(ANA)).unwrap().with_parent(Some("AR.ENT.77"));
    assert_eq!(resolve(&conn, &both, AT).unwrap(), cart);
    let row = get(&conn, cart).unwrap().unwrap();
    assert_eq!((row.user_id.as_deref(), row.parent_user_id.as_deref()), (Some(ANA), Some("AR.ENT.77")));
    assert_eq!(row.address().as_deref(), Some("+541155550001"), "a known number is preferred");
    // Now the username alone finds the same customer.
    assert_eq!(resolve(&conn, &by_bsuid(ANA), AT).unwrap(), cart);

    let bruno = resolve(&conn, &by_bsuid(BRUNO), AT).unwrap();
    let shown = Identity::new(Some("5491155550002"), Some(BRUNO)).unwrap();
    assert_eq!(resolve(&conn, &shown, AT).unwrap(), bruno);
    let row = get(&conn, bruno).unwrap().unwrap();
    assert_eq!(row.phone_e164.as_deref(), Some("+5491155550002"));
    assert_eq!(id_by_phone(&conn, "+5491155550002").unwrap(), Some(bruno));
    assert_eq!(count(&conn, "SELECT count(*) FROM contacts"), 2);
}

#[test]
fn a_username_contact_and_a_cart_contact_of_one_customer_merge_and_the_stricter_state_wins() {
    let conn = db();
    // The cart's contact, with a thread and an opt-in on record.
    let cart = resolve_wa_id(&conn, "541155550001", Some("Ana"), AT).unwrap();
    let kept = crate::storage::conversations::ensure(&conn, cart, AT).unwrap();
    conn.execute("UPDATE contacts SET opted_in_at = ?2 WHERE id = ?1", rusqlite::params![cart, AT]).unwrap();
    conn.execute("INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, created_at) VALUES (?1, 'in', 'customer', 'wamid.a', 'text', 'hola', ?2)", rusqlite::params![kept, AT]).unwrap();
    // The same customer wrote with a username, was escalated and said STOP there.
    let user = resolve(&conn, &by_bsuid(ANA).with_username(Some("@ana.luna")), AT).unwrap();
    let gone = crate::storage::conversations::ensure(&conn, user, LATER).unwrap();
    conn.execute("INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, created_at) VALUES (?1, 'in', 'customer', 'wamid.b', 'text', 'STOP', ?2)", rusqlite::params![gone, LATER]).unwrap();
    conn.execute("INSERT INTO drafts (conversation_id, text, source, state, created_at) VALUES (?1, 'x', 'assistant', 'pending', ?2)", rusqlite::params![gone, LATER]).unwrap();
    crate::storage::conversations::touch(&conn, gone, "STOP", LATER, true).unwrap();
    crate::storage::conversations::escalate(&conn, gone, "owner_keyword").unwrap();
    assert!(opt_out(&conn, user, "keyword", LATER).unwrap());

    // A message carrying both the number and the BSUID.
    let both = Identity::new(Some("541155550001"), Some(ANA)).unwrap();
    assert_eq!(resolve(&conn, &both, LATER).unwrap(), cart);

    let row = get(&conn, cart).unwrap().unwrap();
    assert_eq!(row.user_id.as_deref(), Some(ANA));
    assert_eq!(row.username.as_deref(), Some("@ana.luna"));
    assert_eq!((row.opted_out_at.as_deref(), row.opt_out_source.as_deref()), (Some(LATER), Some("keyword")));
    assert_eq!(row.name.as_deref(), Some("Ana"));
    assert_eq!(count(&conn, "SELECT count(*) FROM conversations"), 1, "one thread");
    let thread = crate::storage::conversations::get(&conn, kept).unwrap().unwrap();
    assert!(thread.escalated && thread.automation_paused && thread.opted_out);
    assert_eq!(thread.escalation_reason.as_deref(), Some("owner_keyword"));
    assert_eq!(thread.last_message.as_deref(), Some("STOP"));
    assert_eq!(thread.last_inbound_at.as_deref(), Some(LATER));
    assert_eq!(count(&conn, &format!("SELECT count(*) FROM messages WHERE conversation_id = {kept}")), 2);
    assert_eq!(count(&conn, &format!("SELECT count(*) FROM drafts WHERE conversation_id = {kept}")), 1);
    // One contact listed and counted; the tombstone holds no key and no opt-out count.
    assert_eq!(list(&conn).unwrap().len(), 1);
    assert_eq!(opted_out_count(&conn).unwrap(), 1);
    assert_eq!(count(&conn, &format!("SELECT merged_into FROM contacts WHERE id = {user}")), cart);
    assert_eq!(count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_eq!(
        resolve(&conn, &by_bsuid(ANA), LATER).unwrap(),
        cart,
        "the BSUID now finds the merged contact"
    );
}

#[test]
fn a_bsuid_already_on_another_number_moves_to_the_number_that_carries_it_now() {
    let conn = db();
    let old = resolve(&conn, &Identity::new(Some("5491155550009"), Some(ANA)).unwrap(), AT).unwrap();
    let new = resolve(&conn, &Identity::new(Some("5491155550001"), Some(ANA)).unwrap(), LATER).unwrap();
    assert_ne!(old, new, "two numbers stay two contacts");
    assert_eq!(get(&conn, old).unwrap().unwrap().user_id, None);
    assert_eq!(get(&conn, new).unwrap().unwrap().user_id.as_deref(), Some(ANA));
}

#[test]
fn a_new_bsuid_after_a_number_change_replaces_the_old_one_on_the_same_contact() {
    let conn = db();
    let ana = resolve(&conn, &by_bsuid(ANA).with_username(Some("@ana")), AT).unwrap();
    assert!(opt_out(&conn, ana, "keyword", AT).unwrap());
    assert_eq!(replace_user_id(&conn, ANA, BRUNO, Some("AR.ENT.9"), None).unwrap(), Some(ana));
    let row = get(&conn, ana).unwrap().unwrap();
    assert_eq!((row.user_id.as_deref(), row.parent_user_id.as_deref()), (Some(BRUNO), Some("AR.ENT.9")));
    assert!(row.opted_out_at.is_some(), "still the same customer, still opted out");
    assert_eq!(resolve(&conn, &by_bsuid(BRUNO), LATER).unwrap(), ana);
    // Unknown or malformed ids change nothing.
    assert_eq!(replace_user_id(&conn, "AR.404", "AR.405", None, None).unwrap(), None);
    assert_eq!(replace_user_id(&conn, BRUNO, "nope", None, None).unwrap(), None);

    // The customer wrote under the new BSUID before the update came: one customer again.
    let early = resolve(&conn, &by_bsuid("AR.777"), LATER).unwrap();
    assert_eq!(replace_user_id(&conn, BRUNO, "AR.777", None, None).unwrap(), Some(ana));
    assert_eq!(get(&conn, early).unwrap().unwrap().user_id, None);
    assert_eq!(list(&conn).unwrap().len(), 1);
}

/// The real path: a v12 database file opened by the app (foreign keys on, a copy made before
/// migrating) comes out at the latest version with its contacts and their references.
#[test]
fn the_app_opens_a_v12_file_and_rebuilds_contacts_with_foreign_keys_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recupero.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations::migrate_to(&mut conn, 12).unwrap();
        conn.execute_batch(
            "INSERT INTO contacts (id, phone_e164, wa_id, created_at) VALUES (4, '+5491155550001', '541155550001', 'x');
             INSERT INTO conversations (id, contact_id, created_at) VALUES (2, 4, 'x');
             INSERT INTO events (at, kind, contact_id) VALUES ('x', 'opted_out', 4);",
        )
        .unwrap();
    }
    let db = crate::storage::Db::open(&path).unwrap();
    let conn = db.conn();
    assert_eq!(count(&conn, "PRAGMA user_version"), migrations::latest_version());
    assert_eq!(count(&conn, "PRAGMA foreign_keys"), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_eq!(count(&conn, "SELECT contact_id FROM conversations WHERE id = 2"), 4);
    let who = Identity::new(Some("541155550001"), Some(ANA)).unwrap();
    assert_eq!(resolve(&conn, &who, AT).unwrap(), 4, "the old contact learns its BSUID");
    assert!(conn
        .execute("INSERT INTO conversations (contact_id, created_at) VALUES (404, 'x')", [])
        .is_err());
}

#[test]
fn a_customer_who_stopped_and_changed_number_leaves_the_stop_on_the_old_number_too() {
    let conn = db();
    conn.execute(
        "INSERT INTO contacts (phone_e164, name, created_at) VALUES ('+5491155550001', 'Ana', ?1)",
        [AT],
    )
    .unwrap();
    let ana = id_by_phone(&conn, "+5491155550001").unwrap().unwrap();
    resolve(&conn, &Identity::new(Some("5491155550001"), Some(ANA)).unwrap(), AT).unwrap();
    assert!(opt_out(&conn, ana, "keyword", AT).unwrap());
    // Meta: new BSUID, new number. The customer (and their STOP) moves to the new number.
    assert_eq!(replace_user_id(&conn, ANA, BRUNO, None, Some("5491155550009")).unwrap(), Some(ana));
    let row = get(&conn, ana).unwrap().unwrap();
    assert_eq!(row.phone_e164.as_deref(), Some("+5491155550009"));
    assert_eq!(row.opted_out_at.as_deref(), Some(AT));
    // A checkout typed with the old number must still find a STOP: never message after an
    // opt-out, even when the number may since have changed hands.
    let old = id_by_phone(&conn, "+5491155550001").unwrap().expect("the old number is still known");
    assert_ne!(old, ana);
    let kept = get(&conn, old).unwrap().unwrap();
    assert_eq!(kept.opted_out_at.as_deref(), Some(AT), "the old number keeps the STOP");
    assert_eq!(kept.opt_out_source.as_deref(), Some("number_changed"));
    assert_eq!((kept.user_id, kept.wa_id), (None, None), "no id of the customer's new number");
    // A customer who never stopped leaves nothing behind.
    conn.execute("INSERT INTO contacts (phone_e164, created_at) VALUES ('+5491155550002', ?1)", [AT])
        .unwrap();
    let bruno = id_by_phone(&conn, "+5491155550002").unwrap().unwrap();
    resolve(&conn, &Identity::new(Some("5491155550002"), Some("AR.5550002")).unwrap(), AT).unwrap();
    replace_user_id(&conn, "AR.5550002", "AR.5550003", None, Some("5491155550008")).unwrap();
    assert_eq!(get(&conn, bruno).unwrap().unwrap().phone_e164.as_deref(), Some("+5491155550008"));
    assert_eq!(id_by_phone(&conn, "+5491155550002").unwrap(), None);
}
