//! No subcommand and `recupero tray`: the desktop app with its window, or resident in the tray.
//! A build without the `desktop` feature says so and points at `recupero serve`.

use std::process::ExitCode;

#[cfg(feature = "desktop")]
use crate::launch::build_engine;
use crate::launch::Launch;
use crate::paths::AppPaths;

/// `recupero tray`: becomes the `recupero-tray` binary next to this one, which never links
/// WebKit (see `native::handover::exec_tray_binary`). No tray binary next to this one (e.g.
/// `cargo run` built only this binary): the desktop app without its window, in this process.
pub fn tray(paths: AppPaths, launch: Launch) -> anyhow::Result<ExitCode> {
    #[cfg(all(feature = "desktop", target_os = "linux"))]
    crate::native::handover::exec_tray_binary(&launch);
    tray_without_gl();
    open_desktop(paths, launch, true)
}

/// A tray-only process draws no GL: GTK would otherwise load the GL driver (with software
/// rendering, all of LLVM: ~25 MiB) just by opening the display. The variable must be set
/// before GTK starts, so the process re-executes itself once with it.
fn tray_without_gl() {
    #[cfg(unix)]
    if std::env::var_os("GDK_GL").is_none() {
        use std::os::unix::process::CommandExt as _;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("GDK_GL", "disable")
                .exec();
            tracing::warn!(error = %err, "could not restart without GL; the tray costs a little more memory");
        }
    }
}

#[cfg(feature = "desktop")]
pub fn open_desktop(paths: AppPaths, launch: Launch, tray_only: bool) -> anyhow::Result<ExitCode> {
    use crate::launch::failure::{keychain_problem, startup_lang, StartupFailure};
    let lang = startup_lang();
    let engine = match build_engine(paths.clone()) {
        Ok(engine) => engine,
        Err(err) => {
            tell_the_owner(StartupFailure::classify(&err, &paths, lang), &launch, &err);
            return Err(err);
        }
    };
    if let Some(failure) = keychain_problem(&engine, lang) {
        drop(engine);
        let err = anyhow::anyhow!("{}", failure.detail);
        tell_the_owner(failure, &launch, &err);
        return Err(err);
    }
    let mode = if tray_only { crate::desktop::Mode::Tray } else { crate::desktop::Mode::Window };
    crate::desktop::run(engine, mode, launch)?;
    Ok(ExitCode::SUCCESS)
}

/// The app could not start: besides stderr (printed by `main` on return), a native
/// notification and a window saying what happened and what to do. Without a display (a
/// headless session) stderr and the log are all there is.
#[cfg(feature = "desktop")]
fn tell_the_owner(failure: crate::launch::failure::StartupFailure, launch: &Launch, err: &anyhow::Error) {
    tracing::error!(kind = ?failure.kind, error = %format!("{err:#}"), "Recupero could not start");
    if !has_display() {
        return;
    }
    // The window is a courtesy on top of stderr: a failure to show it must not hide the error.
    let launch = launch.clone();
    let shown = std::panic::catch_unwind(move || crate::desktop::startup_failure::show(failure, launch));
    match shown {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not show the start-up failure window"),
        Err(_) => tracing::warn!("the start-up failure window could not be shown"),
    }
}

/// Whether a graphical session is there to show a window in (always, off Linux).
#[cfg(feature = "desktop")]
fn has_display() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    !cfg!(target_os = "linux") || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

#[cfg(not(feature = "desktop"))]
pub fn open_desktop(_paths: AppPaths, _launch: Launch, _tray_only: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this build has no desktop window (built without the `desktop` feature); use `recupero serve`"
    )
}
