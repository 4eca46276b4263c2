//! The tray-only app, run by the `recupero-tray` binary: what Recupero becomes when its window
//! closes, and how it starts at login. It runs the owner's engine (store polling, sending, the
//! webhook receiver, the conversation step), shows the tray (a status line, open, pause/resume,
//! quit; the alert icon while a conversation waits for a person) and native notifications, and
//! holds the single-instance name. It never links WebKit: "Open", a clicked notification or a
//! second launch hands over to the window's process (`recupero`), which opens the window.
//!
//! Threads: GTK's main loop owns the tray on the main thread; the engine runs on a small tokio
//! runtime; everything that touches the tray reaches the main loop as a [`Cmd`] on one channel.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use gtk::glib;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

use super::handover::{self, Mode};
use super::single_instance::{self, Claim};
use super::texts::{lang_of, tray_texts, ICON, ICON_ALERT};
use crate::engine::Engine;
use crate::events::AppStatus;
use crate::events::{EngineEvent, Route};
use crate::launch::failure::{keychain_problem, startup_lang, StartupFailure};
use crate::launch::{build_engine, wait_for_exit, Launch};
use crate::paths::AppPaths;

/// `recupero-tray`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "recupero-tray",
    version,
    about = "Recupero in the tray: the engine, the tray icon and notifications, without the window. \
             Recupero starts it when its window closes and at login; `recupero` opens the window."
)]
struct Args {
    /// Folder for the database and logs (default: the OS app-data directory).
    #[arg(long, env = "RECUPERO_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Internal: wait for this process (the app handing over to this one) to end first.
    #[arg(long, hide = true, value_name = "PID")]
    after_pid: Option<u32>,
}

/// What the main loop is asked to do.
#[derive(Debug)]
enum Cmd {
    Refresh(Box<AppStatus>),
    /// Hand over to the window's process, which opens on the route if there is one.
    Open(Option<Route>),
    TogglePause,
    Quit,
    /// The engine has stopped (and the successor, if any, started): end the main loop.
    Exit,
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    // GTK loads the GL driver just by opening the display (with software GL, all of LLVM:
    // ~25 MiB) unless told not to; a tray draws no GL. Set before GTK starts, while this
    // process has a single thread; the owner's own value wins.
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let paths = AppPaths::resolve(args.data_dir.as_deref())?;
    let _log = crate::logging::init(&paths.log_dir, true)
        .with_context(|| format!("while opening the log directory {}", paths.log_dir.display()))?;
    if let Some(pid) = args.after_pid {
        wait_for_exit(pid);
    }
    let launch = Launch { data_dir: args.data_dir, route: None };
    gtk::init().context("could not open the display for the tray icon (is a desktop session running?)")?;

    let (tx, mut rx) = unbounded_channel::<Cmd>();
    let knock = tx.clone();
    let door = match single_instance::claim(move |argv| {
        let _ = knock.send(Cmd::Open(route_in(&argv)));
    })
    .context("while claiming the single-instance name on D-Bus")?
    {
        Claim::Held(connection) => Some(connection),
        Claim::Taken => {
            tracing::info!("Recupero already runs; this tray process has nothing to do");
            return Ok(());
        }
        Claim::NoBus(e) => {
            tracing::warn!(error = %e, "no D-Bus session bus: a second launch will not find this one");
            None
        }
    };

    let lang = startup_lang();
    let engine = match build_engine(paths.clone()) {
        Ok(engine) => engine,
        Err(err) => return Err(failed(StartupFailure::classify(&err, &paths, lang), &launch, err)),
    };
    if let Some(failure) = keychain_problem(&engine, lang) {
        drop(engine);
        let err = anyhow::anyhow!("{}", failure.detail);
        return Err(failed(failure, &launch, err));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("recupero-engine")
        .enable_all()
        .build()
        .context("while starting the async runtime")?;

    // The engine's background work, for as long as this process runs.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let background = rt.spawn({
        let engine = engine.clone();
        async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(e) = engine.run_until_stopped(shutdown).await {
                tracing::error!(error = %e, "the engine's background work stopped");
            }
        }
    });
    rt.spawn(forward_events(engine.clone(), tx.clone()));
    rt.spawn(quit_on_signal(tx.clone()));

    let tray = Tray::create(&engine)?;
    let menu_tx = tx.clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        let cmd = match event.id().as_ref() {
            "open" => Cmd::Open(None),
            "pause" => Cmd::TogglePause,
            "quit" => Cmd::Quit,
            _ => return,
        };
        let _ = menu_tx.send(cmd);
    }));
    tracing::info!(pid = std::process::id(), "Recupero runs in the tray");

    let handle = rt.handle().clone();
    let main_engine = engine.clone();
    let mut leaving = Some((stop, background));
    glib::MainContext::default().spawn_local(async move {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                Cmd::Refresh(status) => tray.refresh(&status, &main_engine),
                Cmd::TogglePause => {
                    let engine = main_engine.clone();
                    handle.spawn_blocking(move || {
                        if let Err(e) = engine.status().and_then(|s| engine.set_paused(!s.paused)) {
                            tracing::warn!(error = %e, "tray: could not change the pause switch");
                        }
                    });
                }
                Cmd::Open(route) => {
                    if handover::window_binary().is_none() {
                        tracing::error!("no `recupero` binary next to this one: cannot open the window");
                        continue;
                    }
                    if let Some(work) = leaving.take() {
                        handle.spawn(leave(work, Some(route), launch.clone(), tx.clone()));
                    }
                }
                Cmd::Quit => {
                    if let Some(work) = leaving.take() {
                        handle.spawn(leave(work, None, launch.clone(), tx.clone()));
                    }
                }
                Cmd::Exit => {
                    gtk::main_quit();
                    break;
                }
            }
        }
    });
    gtk::main();

    MenuEvent::set_event_handler(None::<fn(MenuEvent)>);
    if let Err(e) = engine.db().checkpoint() {
        tracing::warn!(error = %e, "final checkpoint failed");
    }
    // Releases the single-instance name; the successor waits for this process to end anyway.
    drop(door);
    rt.shutdown_timeout(Duration::from_secs(2));
    tracing::info!("tray process stopped");
    Ok(())
}

/// The app could not start (at login, or when its window closed): the window's process shows
/// the owner what happened and what to do (its notification and window) once this one has
/// ended; without it, a notification here says so. The error still goes to stderr.
fn failed(failure: StartupFailure, launch: &Launch, err: anyhow::Error) -> anyhow::Error {
    tracing::error!(kind = ?failure.kind, error = %format!("{err:#}"), "Recupero could not start");
    if let Err(e) = handover::spawn_successor(launch, Mode::Window, None) {
        tracing::warn!(error = %e, "no window to say why Recupero could not start; notifying only");
        let lang = crate::i18n::Lang::resolve(&failure.lang, None);
        super::notify::show(failure.notice(), lang, |_| {});
    }
    err
}

/// Stops the engine cleanly (no send is left half-done by choice), starts the window's
/// process if `open` says so (it waits for this one to end), then ends the main loop.
async fn leave(
    (stop, background): (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>),
    open: Option<Option<Route>>,
    launch: Launch,
    tx: UnboundedSender<Cmd>,
) {
    let _ = stop.send(());
    if tokio::time::timeout(Duration::from_secs(15), background).await.is_err() {
        tracing::warn!("the engine did not stop within 15 s; leaving anyway");
    }
    if let Some(route) = open {
        match handover::spawn_successor(&launch, Mode::Window, route.as_ref()) {
            Ok(pid) => tracing::info!(pid, "handed over to the window's process"),
            Err(e) => tracing::error!(error = %e, "could not start the window's process; quitting"),
        }
    }
    let _ = tx.send(Cmd::Exit);
}

/// The engine's events to the tray (status, language) and to notifications.
async fn forward_events(engine: Arc<Engine>, tx: UnboundedSender<Cmd>) {
    let mut rx = engine.events().subscribe();
    let refresh = |engine: &Engine| match engine.status() {
        Ok(status) => {
            let _ = tx.send(Cmd::Refresh(Box::new(status)));
        }
        Err(e) => tracing::warn!(error = %e, "tray: could not read the status"),
    };
    refresh(&engine);
    loop {
        let event = match rx.recv().await {
            Ok(event) => event,
            // Missed some: the status is what matters, re-read it.
            Err(RecvError::Lagged(_)) => {
                refresh(&engine);
                continue;
            }
            Err(RecvError::Closed) => break,
        };
        match &event {
            EngineEvent::StatusChanged { status } => {
                let _ = tx.send(Cmd::Refresh(Box::new(status.clone())));
            }
            // The language may have changed.
            EngineEvent::SettingsChanged => refresh(&engine),
            _ => {}
        }
        let lang = lang_of(&engine);
        let asked = crate::notice::wanted(&event, engine.settings().is_ok_and(|s| s.notify_recovered));
        if let Some(notice) = crate::notice::notice_for(&event, lang).filter(|_| asked) {
            let click = tx.clone();
            super::notify::show(notice, lang, move |route| {
                let _ = click.send(Cmd::Open(Some(route)));
            });
        }
    }
}

/// SIGTERM and SIGINT (logout, `kill`, Ctrl-C) quit like the menu's "Quit": the engine stops
/// cleanly first.
async fn quit_on_signal(tx: UnboundedSender<Cmd>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::warn!("could not listen for SIGTERM/SIGINT");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("asked to stop by a signal");
    let _ = tx.send(Cmd::Quit);
}

/// `--route X` in another launch's arguments.
fn route_in(argv: &[String]) -> Option<Route> {
    let at = argv.iter().position(|a| a == "--route")?;
    Route::from_arg(argv.get(at + 1)?)
}

/// The tray icon and the menu items whose text changes.
struct Tray {
    icon: TrayIcon,
    status: MenuItem,
    open: MenuItem,
    pause: MenuItem,
    quit: MenuItem,
    alert: std::cell::Cell<Option<bool>>,
}

impl Tray {
    fn create(engine: &Engine) -> anyhow::Result<Tray> {
        let status = MenuItem::with_id("status", "Recupero", false, None);
        let open = MenuItem::with_id("open", "Open", true, None);
        let pause = MenuItem::with_id("pause", "Pause", true, None);
        let quit = MenuItem::with_id("quit", "Quit", true, None);
        let menu = Menu::with_items(&[&status, &PredefinedMenuItem::separator(), &open, &pause, &quit])
            .context("while building the tray menu")?;
        let icon = TrayIconBuilder::new()
            .with_id("recupero")
            .with_icon(icon(ICON)?)
            .with_tooltip("Recupero")
            .with_menu(Box::new(menu))
            .build()
            .context("while creating the tray icon")?;
        let tray = Tray { icon, status, open, pause, quit, alert: std::cell::Cell::new(None) };
        match engine.status() {
            Ok(status) => tray.refresh(&status, engine),
            Err(e) => tracing::warn!(error = %e, "tray: could not read the status"),
        }
        Ok(tray)
    }

    /// Texts, tooltip and icon in line with the status.
    fn refresh(&self, status: &AppStatus, engine: &Engine) {
        let texts = tray_texts(status, lang_of(engine));
        self.status.set_text(&texts.status);
        self.open.set_text(&texts.open);
        self.pause.set_text(&texts.pause);
        self.quit.set_text(&texts.quit);
        if let Err(e) = self.icon.set_tooltip(Some(&texts.status)) {
            tracing::debug!(error = %e, "tray: no tooltip");
        }
        if self.alert.get() != Some(texts.alert) {
            let bytes = if texts.alert { ICON_ALERT } else { ICON };
            match icon(bytes).map(|i| self.icon.set_icon(Some(i))) {
                Ok(Ok(())) => self.alert.set(Some(texts.alert)),
                Ok(Err(e)) => tracing::warn!(error = %e, "tray: could not change the icon"),
                Err(e) => tracing::warn!(error = %e, "tray: could not change the icon"),
            }
        }
    }
}

/// A PNG (8-bit RGBA, as our icons are) as a tray icon.
fn icon(png_bytes: &[u8]) -> anyhow::Result<Icon> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info()?;
    let size = reader.output_buffer_size().context("the tray icon is too large")?;
    let mut rgba = vec![0; size];
    let frame = reader.next_frame(&mut rgba)?;
    anyhow::ensure!(
        frame.color_type == png::ColorType::Rgba && frame.bit_depth == png::BitDepth::Eight,
        "the tray icon must be 8-bit RGBA (is {:?} {:?})",
        frame.color_type,
        frame.bit_depth
    );
    rgba.truncate(frame.buffer_size());
    Ok(Icon::from_rgba(rgba, frame.width, frame.height)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tray_icons_decode() {
        for bytes in [ICON, ICON_ALERT] {
            icon(bytes).expect("icon decodes as RGBA");
        }
    }

    #[test]
    fn another_launch_may_name_a_route() {
        let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(route_in(&argv(&["/usr/bin/recupero", "--data-dir", "/x"])), None);
        let route = Route::conversation(5);
        assert_eq!(route_in(&argv(&["recupero", "--route", &route.to_arg()])), Some(route));
        assert_eq!(route_in(&argv(&["recupero", "--route"])), None, "a dangling flag is no route");
    }
}
