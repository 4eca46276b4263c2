//! The coexistence row's transitions on a real SQLite file.
use super::*;

fn db() -> (tempfile::TempDir, crate::storage::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::storage::Db::open(&dir.path().join("t.db")).unwrap();
    (dir, db)
}

#[test]
fn an_incident_starts_once_and_ends_when_the_number_is_back() {
    let (_d, db) = db();
    let conn = db.conn();
    assert!(!record_check(&conn, false, None, "not_on_business_app", "2025-12-31T00:00:00.000Z").unwrap());
    assert_eq!(get(&conn).unwrap().disconnected_at, None, "never linked: no incident");
    assert!(!record_check(&conn, true, Some("CLOUD_API"), "", "2026-01-01T00:00:00.000Z").unwrap());
    assert!(
        record_check(&conn, false, Some("NONE"), "not_on_business_app", "2026-01-02T00:00:00.000Z").unwrap()
    );
    assert!(!mark_disconnected(&conn, "133010", "2026-01-02T01:00:00.000Z").unwrap(), "same incident");
    assert!(mark_notified(&conn, "2026-01-02T01:00:00.000Z").unwrap());
    assert!(!mark_notified(&conn, "2026-01-02T02:00:00.000Z").unwrap(), "told once");
    let row = get(&conn).unwrap();
    assert_eq!(row.disconnected_reason.as_deref(), Some("133010"));
    assert_eq!(row.disconnected_at.as_deref(), Some("2026-01-02T00:00:00.000Z"));
    assert_eq!(row.linked_since.as_deref(), Some("2026-01-01T00:00:00.000Z"));
    record_check(&conn, true, Some("CLOUD_API"), "", "2026-01-03T00:00:00.000Z").unwrap();
    let row = get(&conn).unwrap();
    assert_eq!((row.disconnected_at, row.disconnect_notified_at), (None, None));
    assert!(mark_disconnected(&conn, "PRIMARY_INACTIVITY", "2026-01-04T00:00:00.000Z").unwrap(), "a new one");
}

#[test]
fn history_keeps_its_furthest_progress_and_a_refusal_wins() {
    let (_d, db) = db();
    let conn = db.conn();
    assert_eq!(get(&conn).unwrap().history_state(), HistoryState::NotRequested);
    history_requesting(&conn, "2026-01-01T00:00:00.000Z").unwrap();
    history_answered(&conn, Ok("c-1"), Ok("h-1"), "2026-01-01T00:00:00.000Z").unwrap();
    assert_eq!(get(&conn).unwrap().history_state(), HistoryState::Requested);
    history_chunk(&conn, Some(1), Some(55), "2026-01-01T00:01:00.000Z").unwrap();
    history_chunk(&conn, Some(0), Some(20), "2026-01-01T00:02:00.000Z").unwrap();
    let row = get(&conn).unwrap();
    assert_eq!((row.history_phase, row.history_progress), (Some(1), Some(55)), "out of order chunks");
    assert_eq!(row.history_state(), HistoryState::Importing);
    history_chunk(&conn, Some(2), Some(100), "2026-01-01T00:03:00.000Z").unwrap();
    assert_eq!(get(&conn).unwrap().history_state(), HistoryState::Done);
    history_failed(&conn, "2593109", "History sync is turned off").unwrap();
    assert_eq!(get(&conn).unwrap().history_state(), HistoryState::Failed);
}

#[test]
fn the_address_book_name_comes_and_goes_without_eating_another_name() {
    let (_d, db) = db();
    let conn = db.conn();
    let id = crate::storage::contacts::resolve_wa_id(
        &conn,
        "5491122334455",
        Some("Pablito"),
        "2026-01-01T00:00:00.000Z",
    )
    .unwrap();
    set_book_name(&conn, id, "Pablo Morales").unwrap();
    let name = |c: &Connection| crate::storage::contacts::get(c, id).unwrap().unwrap().name;
    assert_eq!(name(&conn).as_deref(), Some("Pablo Morales"));
    clear_book_name(&conn, id).unwrap();
    assert_eq!(name(&conn), None);
    conn.execute("UPDATE contacts SET name = 'Ana' WHERE id = ?1", [id]).unwrap();
    set_book_name(&conn, id, "Pablo").unwrap();
    conn.execute("UPDATE contacts SET name = 'Otro' WHERE id = ?1", [id]).unwrap();
    clear_book_name(&conn, id).unwrap();
    assert_eq!(name(&conn).as_deref(), Some("Otro"), "a name not from the book stays");
    assert!(mark_reminded(&conn, "x", "t").unwrap() && !mark_reminded(&conn, "x", "t").unwrap());
    note_echo(&conn, "2026-01-05T00:00:00.000Z").unwrap();
    note_echo(&conn, "2026-01-04T00:00:00.000Z").unwrap();
    assert_eq!(get(&conn).unwrap().last_echo_at.as_deref(), Some("2026-01-05T00:00:00.000Z"));
}
