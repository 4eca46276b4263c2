//! The engines the app holds: the owner's own, always running, and a live demo while the owner
//! tries one. The window, the tray and the commands follow the demo while it runs; the owner's
//! engine keeps working in the background (and its notifications still show).

use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::SystemClock;
use crate::engine::{Engine, EngineError, EngineResult};
use crate::events::AppStatus;
use crate::live_demo::LiveDemo;

/// Starts forwarding an engine's events to the window, the tray and notifications (set by the
/// app once it runs; tests on tauri's mock runtime have none).
type Forward = Box<dyn Fn(Arc<Engine>) -> Option<tauri::async_runtime::JoinHandle<()>> + Send + Sync>;

struct DemoRun {
    engine: Arc<Engine>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tauri::async_runtime::JoinHandle<()>,
    bridge: Option<tauri::async_runtime::JoinHandle<()>>,
}

pub struct Engines {
    real: Arc<Engine>,
    demo: Mutex<Option<DemoRun>>,
    /// One start or stop at a time (a double click starts one demo).
    switching: tokio::sync::Mutex<()>,
    forward: std::sync::OnceLock<Forward>,
}

impl Engines {
    pub fn new(real: Arc<Engine>) -> Engines {
        Engines {
            real,
            demo: Mutex::new(None),
            switching: tokio::sync::Mutex::new(()),
            forward: std::sync::OnceLock::new(),
        }
    }

    /// How a demo engine's events reach the window (set once, when the app is up).
    pub fn set_forward(&self, forward: Forward) {
        let _ = self.forward.set(forward);
    }

    /// The engine the app shows: the demo's while one runs, else the owner's.
    pub fn get(&self) -> Arc<Engine> {
        match self.demo.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(run) => run.engine.clone(),
            None => self.real.clone(),
        }
    }

    /// The owner's own engine.
    pub fn real(&self) -> Arc<Engine> {
        self.real.clone()
    }

    /// Whether `engine` is the one the app shows.
    pub fn is_shown(&self, engine: &Arc<Engine>) -> bool {
        Arc::ptr_eq(&self.get(), engine)
    }

    pub async fn start_demo(&self) -> EngineResult<AppStatus> {
        let _one = self.switching.lock().await;
        if let Some(engine) =
            self.demo.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|r| r.engine.clone())
        {
            return engine.status();
        }
        let base = self.real.settings()?;
        let demo = LiveDemo::start(self.real.paths(), &base, Arc::new(SystemClock))
            .await
            .map_err(|e| EngineError::Other(e.context("the demo could not start")))?;
        let engine = demo.engine().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tauri::async_runtime::spawn(demo.run(async move {
            let _ = stopped.await;
        }));
        let bridge = self.forward.get().and_then(|f| f(engine.clone()));
        *self.demo.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(DemoRun { engine: engine.clone(), stop, task, bridge });
        let status = engine.try_housekeeping()?;
        tracing::info!("the app shows the live demo");
        Ok(status)
    }

    pub async fn stop_demo(&self) -> EngineResult<AppStatus> {
        let _one = self.switching.lock().await;
        let run = self.demo.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(run) = run {
            let _ = run.stop.send(());
            if let Err(e) = run.task.await {
                tracing::warn!(error = %e, "the demo task ended badly");
            }
            if let Some(bridge) = run.bridge {
                bridge.abort();
            }
            tracing::info!("demo ended; the app shows the owner's shop again");
        }
        // Tells the window and the tray what they show now.
        let real = self.real.clone();
        tauri::async_runtime::spawn_blocking(move || real.try_housekeeping())
            .await
            .map_err(|e| EngineError::Other(anyhow::anyhow!("status task: {e}")))?
    }
}
