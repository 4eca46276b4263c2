//! The desktop app on a database it can't open, in a session without a display (as on a server
//! or in CI): it can't show its failure window there, so stderr and the log carry the message,
//! the exit code says it failed, and the file is left as it was. (With a display the same
//! failure is also a notification and a window: `desktop::startup_failure`.)

use std::process::{Command, Stdio};

use crate::support::{files_under, text};

fn desktop_app(dir: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recupero"));
    cmd.arg("--data-dir").arg(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("RECUPERO_") {
            cmd.env_remove(k);
        }
    }
    // No display, no session bus: nothing to show a window or a notification on.
    for k in ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        cmd.env_remove(k);
    }
    cmd.env("RUST_LOG", "info").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the recupero binary runs");
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the app neither started nor gave up within a minute");
}

/// What the app's logs say, all files together.
fn logs(dir: &std::path::Path) -> String {
    files_under(&dir.join("logs")).iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect()
}

#[test]
fn a_corrupt_database_stops_the_app_with_its_kind_logged_and_the_message_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("recupero.sqlite3");
    std::fs::write(&db, b"not a database at all").unwrap();
    let out = desktop_app(dir.path());
    assert!(!out.status.success(), "a failed start exits non-zero");
    let err = text(&out.stderr);
    assert!(err.contains("not a readable Recupero database"), "{err}");
    assert!(logs(dir.path()).contains("kind=Corrupt"), "{}", logs(dir.path()));
    assert_eq!(std::fs::read(&db).unwrap(), b"not a database at all", "the file is kept as it was");
}

#[test]
fn a_database_from_a_newer_recupero_stops_the_app_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("recupero.sqlite3");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 999;").unwrap();
    }
    let out = desktop_app(dir.path());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("newer version of Recupero"), "{}", text(&out.stderr));
    assert!(logs(dir.path()).contains("kind=NewerVersion"), "{}", logs(dir.path()));
}
