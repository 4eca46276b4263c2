//! With a live demo running: the screens follow the demo, the pause switch is the owner's.

use std::sync::Arc;

use super::{Engines, Whose};
use crate::clock::SystemClock;
use crate::engine::{Engine, EngineOptions};
use crate::events::EngineEvent;
use crate::paths::AppPaths;
use crate::secrets::MemorySecretStore;

fn owner_engine(dir: &std::path::Path) -> Arc<Engine> {
    Arc::new(
        Engine::build(EngineOptions {
            paths: AppPaths::resolve(Some(dir)).unwrap(),
            secrets: Arc::new(MemorySecretStore::default()),
            clock: Arc::new(SystemClock),
            demo: false,
        })
        .unwrap(),
    )
}

fn paused(engine: &Engine) -> bool {
    engine.settings().unwrap().sending_paused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_during_the_live_demo_pauses_the_owners_real_sending() {
    let dir = tempfile::tempdir().unwrap();
    let real = owner_engine(dir.path());
    let engines = Engines::new(real.clone());
    engines.start_demo().await.unwrap();
    let demo = engines.get();
    assert!(!Arc::ptr_eq(&demo, &real), "the app shows the demo");

    let status = engines.set_paused(true).unwrap();
    assert!(paused(&real), "Pause during the demo stops the real shop's sending");
    assert!(!paused(&demo), "the demo's sandbox customers are no one to protect");
    assert!(
        status.demo && status.paused,
        "the window still shows the demo, and the owner's switch: {status:?}"
    );
    assert!(engines.status().unwrap().paused, "app_status shows the owner's switch during the demo");

    let status = engines.toggle_paused().unwrap();
    assert!(!paused(&real) && !status.paused, "the tray's switch resumes the real shop");
    engines.toggle_paused().unwrap();
    assert!(paused(&real), "the tray's switch pauses the real shop");

    engines.stop_demo().await.unwrap();
    assert!(paused(&real), "ending the demo leaves the owner's switch as the owner set it");
    assert!(engines.status().unwrap().paused && !engines.status().unwrap().demo);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_route_to_the_shown_engine_or_the_owners() {
    let dir = tempfile::tempdir().unwrap();
    let real = owner_engine(dir.path());
    let engines = Engines::new(real.clone());
    assert!(Arc::ptr_eq(&engines.of(Whose::Shown), &real), "no demo: the owner's shop is shown");
    engines.start_demo().await.unwrap();
    let demo = engines.get();
    assert!(Arc::ptr_eq(&engines.of(Whose::Shown), &demo), "the screens show the demo's data");
    assert!(Arc::ptr_eq(&engines.of(Whose::Owner), &real), "owner actions reach the real shop");

    // The window hears the demo's status with the owner's switch, never the demo's own switch,
    // and the owner's switch although the owner's engine is out of sight.
    real.set_paused(true).unwrap();
    let status = demo.status().unwrap();
    assert!(!status.paused);
    let heard = engines.for_window(&demo, &EngineEvent::StatusChanged { status });
    assert!(matches!(heard, Some(EngineEvent::StatusChanged { status }) if status.paused && status.demo));
    assert_eq!(engines.for_window(&demo, &EngineEvent::PausedChanged { paused: false }), None);
    let switch = EngineEvent::PausedChanged { paused: true };
    assert_eq!(engines.for_window(&real, &switch), Some(switch));
    let owner_status = EngineEvent::StatusChanged { status: real.status().unwrap() };
    assert_eq!(engines.for_window(&real, &owner_status), None, "the screens show the demo's counts");
    assert_eq!(engines.for_window(&demo, &EngineEvent::SettingsChanged), Some(EngineEvent::SettingsChanged));

    engines.stop_demo().await.unwrap();
    let heard = engines.for_window(&real, &owner_status);
    assert_eq!(heard, Some(owner_status), "after the demo the owner's engine is shown again");
}
