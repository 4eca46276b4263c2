//! The engine keeps one real SQLite file in the data directory, and what it stores survives
//! a restart.

use crate::support::{engine_on, spawn_app};

#[test]
fn settings_survive_a_restart_of_the_engine() {
    let app = spawn_app();
    app.engine.setting_set("holdout_percent", "15").unwrap();
    app.engine.set_paused(true).unwrap();
    let dir = app.dir;
    drop(app.engine);
    let engine = engine_on(dir.path(), std::sync::Arc::new(recupero::clock::SystemClock));
    assert_eq!(engine.setting_get("holdout_percent").unwrap(), "15");
    assert!(engine.status().unwrap().paused, "the pause switch is remembered");
    assert!(dir.path().join("recupero.sqlite3").is_file());
}

#[test]
fn every_change_is_in_the_append_only_event_log_and_announced() {
    let app = spawn_app();
    let mut rx = app.engine.events().subscribe();
    app.clock.advance(chrono::Duration::minutes(5));
    app.engine.set_paused(true).unwrap();
    let events = app.engine.recent_events(10).unwrap();
    assert_eq!(events[0].kind, "setting_changed");
    assert!(events[0].data.contains("sending_paused"), "{:?}", events[0]);
    assert_eq!(events[0].at, "2026-11-20T13:05:00.000Z", "stamped by the engine's clock");
    let first = rx.try_recv().unwrap();
    assert_eq!(first, recupero::events::EngineEvent::PausedChanged { paused: true });
}
