//! Handing the app over between its two processes: the window's (`recupero`, tauri and
//! WebKit) and the tray-only one (`recupero-tray`, no WebKit at all). Exactly one of them runs
//! at a time: the one leaving stops the engine cleanly, starts its successor with
//! `--after-pid`, and exits; the successor waits for it to end before it takes the
//! single-instance name and the webhook port.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::events::Route;
use crate::launch::Launch;

/// Which of the app's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The full app with its window (`recupero`).
    Window,
    /// The app in the tray only (`recupero-tray`).
    Tray,
}

pub const WINDOW_BINARY: &str = "recupero";
pub const TRAY_BINARY: &str = "recupero-tray";

/// The binary named `name` installed next to this process's own, if there is one.
fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// The tray-only binary, when it was built or installed next to this one — on Linux only:
/// elsewhere `recupero-tray` is a stub and the window's process stays in the tray itself.
pub fn tray_binary() -> Option<PathBuf> {
    if cfg!(target_os = "linux") {
        sibling(TRAY_BINARY)
    } else {
        None
    }
}

/// `recupero tray` becomes the tray-only binary next to this one, which never links WebKit:
/// this process is replaced by it (same data folder). Returns only if there is none, or it
/// cannot be executed.
#[cfg(target_os = "linux")]
pub fn exec_tray_binary(launch: &Launch) {
    if let Some(exe) = tray_binary() {
        use std::os::unix::process::CommandExt as _;
        let mut cmd = Command::new(&exe);
        if let Some(dir) = &launch.data_dir {
            cmd.arg("--data-dir").arg(dir);
        }
        let err = cmd.exec();
        tracing::warn!(error = %err, exe = %exe.display(), "could not start the tray binary");
    }
}

/// The window's binary, next to this one.
pub fn window_binary() -> Option<PathBuf> {
    sibling(WINDOW_BINARY)
}

/// The command that starts the successor: `exe` for `to`, launched like this process (same
/// data folder), waiting for process `after_pid`; a window opens on `route` if there is one.
pub fn successor_command(
    exe: PathBuf,
    launch: &Launch,
    to: Mode,
    after_pid: u32,
    route: Option<&Route>,
) -> Command {
    let mut cmd = Command::new(exe);
    if let Some(dir) = &launch.data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    cmd.arg("--after-pid").arg(after_pid.to_string());
    if let (Mode::Window, Some(route)) = (to, route) {
        cmd.arg("--route").arg(route.to_arg());
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Starts the process that takes over in `to` mode and returns its pid. Fails when its binary
/// is not next to this one (then the caller stays, rather than leave the owner with nothing).
pub fn spawn_successor(launch: &Launch, to: Mode, route: Option<&Route>) -> std::io::Result<u32> {
    let name = match to {
        Mode::Window => WINDOW_BINARY,
        Mode::Tray => TRAY_BINARY,
    };
    let exe = sibling(name).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, format!("no `{name}` binary next to this one"))
    })?;
    let mut cmd = successor_command(exe, launch, to, std::process::id(), route);
    Ok(cmd.spawn()?.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn the_successor_keeps_the_data_folder_waits_for_us_and_opens_the_window_on_the_route() {
        let launch = Launch { data_dir: Some(PathBuf::from("/tmp/shop dir")), route: None };
        let route = Route::conversation(7);
        let window = successor_command("/x/recupero".into(), &launch, Mode::Window, 42, Some(&route));
        assert_eq!(
            args(&window),
            ["--data-dir", "/tmp/shop dir", "--after-pid", "42", "--route", route.to_arg().as_str()]
        );
        // The tray process has no window to open a route in.
        let tray = successor_command("/x/recupero-tray".into(), &launch, Mode::Tray, 42, Some(&route));
        assert_eq!(args(&tray), ["--data-dir", "/tmp/shop dir", "--after-pid", "42"]);
        let default_dir = successor_command("/x/recupero".into(), &Launch::default(), Mode::Window, 9, None);
        assert_eq!(args(&default_dir), ["--after-pid", "9"]);
    }
}
