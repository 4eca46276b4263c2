//! The engines the app holds: the owner's own, always running, and a live demo while the owner
//! tries one. The screens follow the demo while it runs; the owner's engine keeps working in the
//! background (and its notifications still show). The pause switch is always the owner's: pausing
//! during a demo pauses the real shop's sending, and the window and the tray show its state.

use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::SystemClock;
use crate::engine::{Engine, EngineError, EngineResult};
use crate::events::{AppStatus, EngineEvent};
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

/// Which engine a command acts on while a live demo runs (see `commands.rs` for each one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// What the screens show: the demo's while it runs, else the owner's. Whatever names a
    /// cart, a conversation or a draft by id must act here, since the id came from the screen:
    /// on the owner's database the same id would be another, real customer.
    Shown,
    /// The owner's own shop, demo or not: the pause switch, the app's preferences, the store,
    /// WhatsApp, the secrets and the webhook.
    Owner,
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

    /// The engine `whose` names.
    pub fn of(&self, whose: Whose) -> Arc<Engine> {
        match whose {
            Whose::Shown => self.get(),
            Whose::Owner => self.real(),
        }
    }

    /// The status the window and the tray show: the shown engine's counts, with the owner's
    /// pause switch.
    pub fn status(&self) -> EngineResult<AppStatus> {
        let shown = self.get();
        let status = shown.status()?;
        self.with_owner_pause(&shown, status)
    }

    /// Pauses or resumes the owner's sending (the window's switch and the tray's), demo or not.
    pub fn set_paused(&self, paused: bool) -> EngineResult<AppStatus> {
        self.real.set_paused(paused)?;
        self.status()
    }

    /// The tray's switch: the opposite of the owner's current state.
    pub fn toggle_paused(&self) -> EngineResult<AppStatus> {
        let paused = self.real.settings()?.sending_paused;
        self.set_paused(!paused)
    }

    /// `status`, read from `engine`, as the window shows it: with the owner's pause switch.
    fn with_owner_pause(&self, engine: &Arc<Engine>, mut status: AppStatus) -> EngineResult<AppStatus> {
        if !Arc::ptr_eq(engine, &self.real) {
            status.paused = self.real.settings()?.sending_paused;
        }
        Ok(status)
    }

    /// What the window hears of `engine`'s `event`: the shown engine's events, each status
    /// with the owner's pause switch; of the owner's engine while a demo shows, its pause
    /// switch alone; nothing of a demo's own pause switch, which no switch in the window is.
    pub fn for_window(&self, engine: &Arc<Engine>, event: &EngineEvent) -> Option<EngineEvent> {
        let owner = Arc::ptr_eq(engine, &self.real);
        if !self.is_shown(engine) {
            // Only the owner's engine is ever out of sight (while a demo shows): its pause
            // switch is the window's.
            let switch = owner && matches!(event, EngineEvent::PausedChanged { .. });
            return switch.then(|| event.clone());
        }
        match event {
            EngineEvent::PausedChanged { .. } if !owner => None,
            EngineEvent::StatusChanged { status } => match self.with_owner_pause(engine, status.clone()) {
                Ok(status) => Some(EngineEvent::StatusChanged { status }),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the owner's pause switch");
                    None
                }
            },
            _ => Some(event.clone()),
        }
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
        self.with_owner_pause(&engine, status)
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

#[cfg(test)]
mod tests;
