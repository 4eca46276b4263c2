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
    let engine = build_engine(paths)?;
    let mode = if tray_only { crate::desktop::Mode::Tray } else { crate::desktop::Mode::Window };
    crate::desktop::run(engine, mode, launch)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "desktop"))]
pub fn open_desktop(_paths: AppPaths, _launch: Launch, _tray_only: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this build has no desktop window (built without the `desktop` feature); use `recupero serve`"
    )
}
