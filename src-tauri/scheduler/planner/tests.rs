//! The planner's backlog spreading, the holdout's draw and the experiment's arms.

use super::*;
use crate::domain::experiment::{arm_of, Arm};

#[test]
fn a_respread_backlog_never_brings_a_held_send_earlier_than_its_hold() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    let t = |m: i64| {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").unwrap().to_utc() + Duration::minutes(m)
    };
    conn.execute(
        "INSERT INTO stores (id, platform, name, base_url, country, created_at) VALUES (1, 'sandbox', 'S', 'http://x', 'AR', ?1)",
        [ts(t(0))],
    )
    .unwrap();
    let window = t(0);
    let mut ids = Vec::new();
    for i in 0..4 {
        conn.execute(
            "INSERT INTO carts (id, store_id, external_id, currency, total, items_json, checkout_created_at,
               checkout_updated_at, detected_at, first_seen_at)
             VALUES (?1, 1, ?1, 'ARS', '1', '[]', ?2, ?2, ?3, ?3)",
            rusqlite::params![i + 1, ts(t(-300)), ts(t(i))],
        )
        .unwrap();
        let id = sends::insert(
            &conn,
            &sends::NewSend {
                cart_id: i + 1,
                step: 0,
                due_at: &ts(window),
                deadline_at: &ts(t(90)),
                window_opens_at: Some(&ts(window)),
                skip_reason: None,
            },
            &ts(t(0)),
        )
        .unwrap()
        .unwrap();
        ids.push(id);
    }
    reslot(&conn, window, Duration::minutes(40), &ts(t(0))).unwrap();
    // The first one met a store that did not answer: held 25 minutes.
    conn.execute(
        "UPDATE sends SET due_at = ?2, held_reason = 'store_unreachable' WHERE id = ?1",
        rusqlite::params![ids[0], ts(t(25))],
    )
    .unwrap();
    // Two minutes later the backlog is re-spread (another late cart joined, say).
    reslot(&conn, window, Duration::minutes(40), &ts(t(2))).unwrap();
    let due = |id: i64| -> String {
        conn.query_row("SELECT due_at FROM sends WHERE id = ?1", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!(due(ids[0]), ts(t(25)), "the hold stands");
    // The others are spread over the time ahead, from now, not in the past.
    assert_eq!(due(ids[1]), ts(t(12)));
    assert_eq!(due(ids[2]), ts(t(22)));
    assert_eq!(due(ids[3]), ts(t(32)));
}

#[test]
fn the_holdout_is_a_fixed_share_and_never_reshuffles() {
    let picked = (0..10_000).filter(|i| is_holdout(1, &format!("{}", 411_300_000 + i), 10)).count();
    assert!((800..=1200).contains(&picked), "about 10 % in the holdout, got {picked}");
    for i in 0..100 {
        let id = format!("chk-{i}");
        assert_eq!(is_holdout(3, &id, 10), is_holdout(3, &id, 10));
    }
    assert_eq!((0..1000).filter(|i| is_holdout(1, &i.to_string(), 0)).count(), 0);
    // Pinned values: a change of hash would silently reshuffle every shop's holdout.
    assert_eq!(fnv1a(b"holdout:1:411300000"), 0xe514_b690_4bff_3eea);
    assert!(is_holdout(1, "411300000", 10), "bucket 2 of 100 is in a 10 % holdout");
    assert!(!is_holdout(1, "411300000", 2), "…and not in a 2 % one");
}

/// A cart planned under `delay:0,60` gets its arm (recorded, drawn by the pinned hash, the
/// holdout outside both arms) and the arm's delay; after a restart (the same file opened again)
/// every cart keeps its arm and new carts join the same experiment.
#[test]
fn an_experiment_arm_is_recorded_once_and_a_delay_arm_waits_its_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let t = |m: i64| {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T13:00:00Z").unwrap().to_utc() + Duration::minutes(m)
    };
    let mut rules = PlanRules::from_settings(
        &crate::config::Settings::from_values(&crate::config::effective(&Default::default())).unwrap(),
    );
    rules.hours = BusinessHours::parse("mon-sun 00:00-23:59", "UTC").unwrap();
    rules.holdout_percent = 20;
    rules.experiment = Some(ExperimentSpec::Delay(0, 60));
    let add = |conn: &Connection, id: i64| {
        conn.execute(
            "INSERT INTO carts (id, store_id, external_id, currency, total, items_json, checkout_created_at,
               checkout_updated_at, detected_at, first_seen_at, status)
             VALUES (?1, 1, ?2, 'ARS', '1', '[]', ?3, ?3, ?4, ?4, 'detected')",
            rusqlite::params![id, format!("chk-{id}"), ts(t(-20)), ts(t(0))],
        )
        .unwrap();
    };
    let arm_row = |conn: &Connection, id: i64| -> Option<(i64, i64)> {
        conn.query_row("SELECT experiment_id, arm FROM experiment_arms WHERE cart_id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .ok()
    };
    let mut before = Vec::new();
    {
        let mut conn = Connection::open(&path).unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO stores (id, platform, name, base_url, country, created_at) VALUES (1, 'sandbox', 'S', 'http://x', 'AR', ?1)",
            [ts(t(0))],
        )
        .unwrap();
        for id in 1..=40 {
            add(&conn, id);
            let planned = plan_first(&conn, id, t(0), &rules).unwrap();
            let Planned::Planned { send_id, holdout } = planned else { panic!("{planned:?}") };
            let due = crate::domain::time::parse_time(&sends::due_at(&conn, send_id).unwrap()).unwrap();
            let arm = arm_row(&conn, id);
            if holdout {
                assert_eq!(arm, None, "the holdout stays outside every arm");
                assert_eq!(due, t(0));
                continue;
            }
            let expected = arm_of(1, 1, &format!("chk-{id}"));
            assert_eq!(arm, Some((1, expected.index() as i64)), "cart {id}");
            let delay = if expected == Arm::A { 0 } else { 60 };
            assert_eq!(due, t(delay), "cart {id} in arm {expected:?} goes {delay} minutes after detection");
            before.push((id, arm));
        }
    }
    let arms: std::collections::BTreeSet<_> = before.iter().map(|(_, a)| a.unwrap().1).collect();
    assert_eq!(arms.len(), 2, "both arms have carts");
    // Pinned: these carts' arms never change with a new version.
    let pinned: String = (1..=8).map(|id| arm_of(1, 1, &format!("chk-{id}")).label()).collect();
    assert_eq!(pinned, PINNED_FIRST_EIGHT);
    // Restart: the same file, opened again.
    let mut conn = Connection::open(&path).unwrap();
    crate::storage::migrations::migrate(&mut conn).unwrap();
    for (id, arm) in &before {
        assert_eq!(plan_first(&conn, *id, t(5), &rules).unwrap(), Planned::Nothing);
        assert_eq!(arm_row(&conn, *id), *arm, "cart {id} keeps its arm");
    }
    add(&conn, 41);
    plan_first(&conn, 41, t(5), &rules).unwrap();
    if let Some((experiment, _)) = arm_row(&conn, 41) {
        assert_eq!(experiment, 1, "the same experiment goes on");
    }
    let open: i64 = conn.query_row("SELECT count(*) FROM experiments", [], |r| r.get(0)).unwrap();
    assert_eq!(open, 1);
}

const PINNED_FIRST_EIGHT: &str = "BBABABBB";
