//! The supervisor's loop: start `cloudflared`, read its output line by line on two plain threads
//! (one per pipe, so the async runtime never blocks on it), report the address once the tunnel is
//! connected, and when the child stops start it again after a growing wait. The child is held by
//! a guard that kills it when the loop is dropped (the mode turned off, the app stopping).

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::output::{self, Line};
use super::{Backoff, Event, Kind, Plan};
use crate::clock::Clock;

/// A line longer than this is cut (a child that never writes a newline can't grow memory).
const MAX_LINE: usize = 16 * 1024;

/// What the reader threads send.
enum Piped {
    Line(String),
    Closed,
}

/// Kills and reaps the child when dropped.
struct Guard(Arc<Mutex<Child>>);

impl Drop for Guard {
    fn drop(&mut self) {
        let mut child = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
    }
}

pub(super) async fn run(
    plan: Plan,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut restarts = 0u32;
    let mut wait = backoff.first;
    loop {
        let _ = events.send(Event::Starting { restarts });
        let started = clock.now();
        let reason = match once(&plan, &events).await {
            Ok(reason) => reason,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(program = %plan.program.display(), "cloudflared not found");
                let _ = events.send(Event::NotInstalled);
                return;
            }
            Err(e) => format!("cloudflared could not start: {e}"),
        };
        if clock.now() - started >= backoff.healthy {
            wait = backoff.first;
        }
        tracing::warn!(%reason, retry_in_ms = wait.as_millis() as u64, "the tunnel stopped; starting it again");
        let _ = events.send(Event::Stopped { reason, retry_in: wait });
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(backoff.max);
        restarts = restarts.saturating_add(1);
    }
}

/// One run of the child, until it stops: why it stopped, in plain words.
async fn once(plan: &Plan, events: &mpsc::UnboundedSender<Event>) -> std::io::Result<String> {
    let mut command = Command::new(&plan.program);
    command.args(plan.args()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NO_WINDOW);
    }
    let mut child = command.spawn()?;
    tracing::info!(pid = child.id(), named = matches!(plan.kind, Kind::Named { .. }), "cloudflared started");
    let (tx, mut lines) = mpsc::unbounded_channel();
    let mut readers = 0;
    if let Some(out) = child.stdout.take() {
        spawn_reader(out, tx.clone());
        readers += 1;
    }
    if let Some(err) = child.stderr.take() {
        spawn_reader(err, tx.clone());
        readers += 1;
    }
    drop(tx);
    let guard = Guard(Arc::new(Mutex::new(child)));
    let mut quick: Option<String> = None;
    let mut connected = false;
    let mut announced = false;
    let mut last_error: Option<String> = None;
    // The child is also looked at every second: one that ended while something it started
    // still holds its pipes open counts as stopped.
    let mut look = tokio::time::interval(Duration::from_secs(1));
    while readers > 0 {
        tokio::select! {
            read = lines.recv() => match read {
                Some(Piped::Line(line)) => match output::classify(&line) {
                    Line::QuickAddress(address) if plan.kind == Kind::Quick => quick = Some(address),
                    Line::Connected => connected = true,
                    Line::Error(reason) => last_error = Some(reason),
                    _ => {}
                },
                Some(Piped::Closed) => readers -= 1,
                None => break,
            },
            _ = look.tick() => {
                let ended = guard.0.lock().unwrap_or_else(PoisonError::into_inner).try_wait();
                if !matches!(ended, Ok(None)) {
                    break;
                }
            }
        }
        if connected && !announced {
            let address = match &plan.kind {
                Kind::Quick => quick.clone(),
                Kind::Named { hostname, .. } => Some(format!("https://{hostname}")),
            };
            if let Some(address) = address {
                announced = true;
                tracing::info!(%address, "the tunnel is up");
                let _ = events.send(Event::Up { address });
            }
        }
    }
    // Both pipes closed: the child has ended (or closed them, which is as good as ended).
    let child = guard.0.clone();
    let status = tokio::task::spawn_blocking(move || {
        let mut child = child.lock().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..50 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    })
    .await
    .ok()
    .flatten();
    drop(guard);
    let exit = status.map_or_else(|| "it stopped answering".to_string(), |s| format!("it exited ({s})"));
    Ok(match last_error {
        Some(error) => format!("cloudflared stopped: {exit}; its last error: {error}"),
        None => format!("cloudflared stopped: {exit}"),
    })
}

/// Reads `pipe` line by line on its own thread (lossy UTF-8, lines cut at [`MAX_LINE`]).
fn spawn_reader(mut pipe: impl Read + Send + 'static, tx: mpsc::UnboundedSender<Piped>) {
    std::thread::spawn(move || {
        let mut pending: Vec<u8> = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            pending.extend_from_slice(&chunk[..n]);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                if tx.send(Piped::Line(String::from_utf8_lossy(&line).trim_end().to_string())).is_err() {
                    return;
                }
            }
            if pending.len() > MAX_LINE {
                let line = String::from_utf8_lossy(&pending[..MAX_LINE]).into_owned();
                pending.clear();
                if tx.send(Piped::Line(line)).is_err() {
                    return;
                }
            }
        }
        if !pending.is_empty() {
            let _ = tx.send(Piped::Line(String::from_utf8_lossy(&pending).trim_end().to_string()));
        }
        let _ = tx.send(Piped::Closed);
    });
}
