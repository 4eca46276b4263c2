//! The owner's tunnel as the engine runs it: `tunnel_mode` (off, quick, named) and its settings
//! followed while the app (or `serve`, or `recupero tunnel run`) runs; the `cloudflared` child
//! supervised by [`crate::tunnel`]; the address it comes up at set as `webhook_public_url` and
//! registered with WhatsApp at once (a quick tunnel's new address at every start), and the state
//! kept for the window, the tray and `recupero status --json` (another process reads it from
//! `tunnel-state.json` in the data folder).

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Engine;
use crate::tunnel::{self, Backoff, Event, Kind, Plan, Supervisor, TunnelMode, TunnelState, TunnelStatus};

/// Where the running process leaves the tunnel's state for the others.
const STATE_FILE: &str = "tunnel-state.json";

/// Waits before asking WhatsApp again when nothing answered at a new address (a quick tunnel's
/// name takes a moment to be reachable).
const REGISTRATION_RETRIES: [Duration; 2] = [Duration::from_secs(10), Duration::from_secs(30)];

/// What to run, as decided from the settings (or the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    Off,
    Run(Plan),
    /// Can't run: not installed, or the named tunnel's settings are missing.
    Cannot(TunnelState, String),
}

/// The tunnel to run instead of the settings' (`recupero tunnel run --quick | --name N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelChoice {
    pub mode: TunnelMode,
    /// For a named tunnel: the name and hostname (each `None`: the setting's).
    pub name: Option<String>,
    pub hostname: Option<String>,
}

/// The tunnel followed in the background until dropped; dropping it kills `cloudflared`.
pub struct TunnelRunner {
    task: JoinHandle<()>,
    engine: Arc<Engine>,
}

impl Drop for TunnelRunner {
    fn drop(&mut self) {
        self.task.abort();
        let mode = self.engine.tunnel_status().mode;
        self.engine.set_tunnel(TunnelStatus { mode, ..TunnelStatus::default() });
    }
}

impl Engine {
    /// The tunnel now: this process's when it runs one, else what the running app left in the
    /// data folder, else off with the mode from the settings.
    pub fn tunnel_status(&self) -> TunnelStatus {
        self.tunnel_status_or(|| self.settings().ok().map(|s| s.tunnel_mode))
    }

    /// [`Engine::tunnel_status`] with the `tunnel_mode` setting read by `mode` (the status reads
    /// it from the settings it already holds: the database connection is not taken twice).
    pub(super) fn tunnel_status_or(&self, mode: impl FnOnce() -> Option<String>) -> TunnelStatus {
        if let Some(status) = self.tunnel.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return status;
        }
        let saved = std::fs::read(self.paths.data_dir.join(STATE_FILE)).ok();
        if let Some(status) = saved.and_then(|bytes| serde_json::from_slice::<TunnelStatus>(&bytes).ok()) {
            return status;
        }
        let mode = mode().and_then(|m| TunnelMode::parse(&m)).unwrap_or_default();
        TunnelStatus { mode, ..TunnelStatus::default() }
    }

    fn set_tunnel(&self, status: TunnelStatus) {
        let changed = {
            let mut slot = self.tunnel.lock().unwrap_or_else(PoisonError::into_inner);
            let changed = slot.as_ref() != Some(&status);
            *slot = Some(status.clone());
            changed
        };
        if !changed {
            return;
        }
        let path = self.paths.data_dir.join(STATE_FILE);
        let temp = path.with_extension("json.tmp");
        let written = serde_json::to_vec_pretty(&status)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temp, bytes))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(e) = written {
            tracing::debug!(error = %e, "could not write the tunnel's state file");
        }
        self.emit_status();
    }

    /// A tunnel setting changed: look again at once.
    pub(super) fn tunnel_settings_changed(&self) {
        self.tunnel_wake.notify_one();
    }

    /// Follows the tunnel settings (or `choice`) in the background, forwarding to the receiver
    /// on `port`, until the returned runner is dropped. The demo never runs a tunnel.
    pub fn start_tunnel(self: &Arc<Self>, port: u16, choice: Option<TunnelChoice>) -> TunnelRunner {
        let engine = self.clone();
        let task = tokio::spawn(async move {
            if !engine.demo {
                engine.follow_tunnel(port, choice).await;
            }
        });
        TunnelRunner { task, engine: self.clone() }
    }

    fn wanted_tunnel(&self, port: u16, choice: Option<&TunnelChoice>) -> Wanted {
        let Ok(settings) = self.settings() else { return Wanted::Off };
        let mode =
            choice.map_or_else(|| TunnelMode::parse(&settings.tunnel_mode).unwrap_or_default(), |c| c.mode);
        let kind = match mode {
            TunnelMode::Off => return Wanted::Off,
            TunnelMode::Quick => Kind::Quick,
            TunnelMode::Named => {
                let name = choice.and_then(|c| c.name.clone()).unwrap_or(settings.tunnel_name.clone());
                let hostname =
                    choice.and_then(|c| c.hostname.clone()).unwrap_or(settings.tunnel_hostname.clone());
                if name.trim().is_empty() || hostname.trim().is_empty() {
                    return Wanted::Cannot(
                        TunnelState::Failed,
                        "A named tunnel needs its name (tunnel_name) and the hostname it answers at (tunnel_hostname).".into(),
                    );
                }
                Kind::Named { name, hostname }
            }
        };
        let places = tunnel::usual_places();
        match tunnel::find_cloudflared(&settings.cloudflared_path, std::env::var_os("PATH"), &places) {
            Some(program) => Wanted::Run(Plan { program, kind, port }),
            None => Wanted::Cannot(TunnelState::NotInstalled, tunnel::INSTALL_HINT.into()),
        }
    }

    fn tunnel_now(&self, mode: TunnelMode, state: TunnelState, reason: Option<String>) -> TunnelStatus {
        TunnelStatus {
            mode,
            state,
            reason,
            since: Some(crate::storage::ts(self.clock.now())),
            ..TunnelStatus::default()
        }
    }

    async fn follow_tunnel(self: Arc<Self>, port: u16, choice: Option<TunnelChoice>) {
        let mut current: Option<Wanted> = None;
        let mut running: Option<(Supervisor, mpsc::UnboundedReceiver<Event>)> = None;
        let mut registering: Option<JoinHandle<()>> = None;
        loop {
            let wanted = self.wanted_tunnel(port, choice.as_ref());
            if current.as_ref() != Some(&wanted) {
                running = None; // kills the previous cloudflared
                if let Some(task) = registering.take() {
                    task.abort();
                }
                let mode = match &wanted {
                    Wanted::Off => TunnelMode::Off,
                    Wanted::Run(Plan { kind: Kind::Quick, .. }) => TunnelMode::Quick,
                    Wanted::Run(_) => TunnelMode::Named,
                    Wanted::Cannot(..) => choice.as_ref().map_or_else(
                        || {
                            self.settings()
                                .ok()
                                .and_then(|s| TunnelMode::parse(&s.tunnel_mode))
                                .unwrap_or_default()
                        },
                        |c| c.mode,
                    ),
                };
                match &wanted {
                    Wanted::Off => self.set_tunnel(self.tunnel_now(mode, TunnelState::Off, None)),
                    Wanted::Cannot(state, reason) => {
                        self.set_tunnel(self.tunnel_now(mode, *state, Some(reason.clone())))
                    }
                    Wanted::Run(plan) => {
                        tracing::info!(named = mode == TunnelMode::Named, "starting the tunnel");
                        self.set_tunnel(self.tunnel_now(mode, TunnelState::Starting, None));
                        let (tx, rx) = mpsc::unbounded_channel();
                        let supervisor =
                            tunnel::supervise(plan.clone(), self.clock.clone(), Backoff::default(), tx);
                        running = Some((supervisor, rx));
                    }
                }
                current = Some(wanted);
            }
            let event = async {
                match running.as_mut() {
                    Some((_, rx)) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = event => match event {
                    Some(event) => {
                        if let Some(task) = registering.take() {
                            task.abort();
                        }
                        registering = self.on_tunnel_event(event);
                    }
                    // The supervisor gave up (the program could not be run): decided afresh after
                    // a while, never in a tight loop (nothing runs meanwhile).
                    None => {
                        running = None;
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        current = None;
                    }
                },
                _ = self.tunnel_wake.notified() => {}
                // Settings changed by another process (`recupero config set`) are seen too.
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            }
        }
    }

    /// Updates the state for `event`; an address that came up is registered in its own task.
    fn on_tunnel_event(self: &Arc<Self>, event: Event) -> Option<JoinHandle<()>> {
        let before = self.tunnel_status();
        let mut status = self.tunnel_now(before.mode, before.state, None);
        status.restarts = before.restarts;
        match event {
            Event::Starting { restarts } => {
                status.state = TunnelState::Starting;
                status.restarts = restarts;
            }
            Event::Stopped { reason, retry_in } => {
                status.state = TunnelState::Failed;
                status.reason =
                    Some(format!("{reason}. Starting it again in {} s.", retry_in.as_secs().max(1)));
            }
            Event::NotInstalled => {
                status.state = TunnelState::NotInstalled;
                status.reason = Some(tunnel::INSTALL_HINT.into());
            }
            Event::Up { address } => {
                status.state = TunnelState::Up;
                status.address = Some(address.clone());
                self.set_tunnel(status);
                let engine = self.clone();
                return Some(tokio::spawn(async move { engine.register_tunnel_address(&address).await }));
            }
        }
        self.set_tunnel(status);
        None
    }

    /// The tunnel's address becomes `webhook_public_url` and is registered with WhatsApp (when
    /// WhatsApp is set up), again after a short wait while nothing answers there yet.
    async fn register_tunnel_address(self: Arc<Self>, address: &str) {
        let outcome = |registration: &str, detail: Option<String>| {
            let mut status = self.tunnel_status();
            status.registration = Some(registration.to_string());
            status.registration_detail = detail;
            self.set_tunnel(status);
        };
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return outcome("error", Some(e.to_string())),
        };
        if settings.webhook_public_url != address {
            if let Err(e) = self.setting_set("webhook_public_url", address) {
                return outcome("error", Some(e.to_string()));
            }
        }
        if settings.whatsapp_phone_number_id.is_empty() || settings.whatsapp_waba_id.is_empty() {
            tracing::info!("the tunnel is up; WhatsApp is not set up yet, so nothing was registered");
            return outcome("not_configured", None);
        }
        let wanted = super::webhook_registration::callback_url(address, &settings.webhook_path);
        if wanted == settings.webhook_registered_url {
            return outcome("ok", None);
        }
        let mut waits = REGISTRATION_RETRIES.iter();
        loop {
            // The background re-registration leaves this address to this task meanwhile.
            *self.registration_attempt.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((wanted.clone(), self.clock.now()));
            let (code, detail, retry) = match self.register_webhook(address).await {
                Ok(r) if r.ok => ("ok".to_string(), None, false),
                Ok(r) => {
                    let code = r
                        .failure
                        .and_then(|f| serde_json::to_value(f).ok())
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_else(|| "other".into());
                    let retry = code == "nothing_answered";
                    (code, r.detail, retry)
                }
                Err(e) => ("error".to_string(), Some(e.to_string()), false),
            };
            tracing::info!(outcome = %code, "tunnel address registration with WhatsApp");
            if code == "ok" {
                *self.registration_attempt.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
            outcome(&code, detail);
            match waits.next() {
                Some(wait) if retry => tokio::time::sleep(*wait).await,
                _ => return,
            }
        }
    }
}
