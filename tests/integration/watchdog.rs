//! The heavy tests' watchdog (`support::watchdog`) proven on a test that hangs on purpose: run
//! as a child test process (it ends its process), it must print the report with the last step
//! and the hanging child, kill that child, and fail within seconds instead of hanging.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::text;

const HANG_VAR: &str = "RECUPERO_TEST_WATCHDOG_HANG";

/// Only does something inside the child process the test below starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_that_hangs_on_purpose() {
    if std::env::var(HANG_VAR).as_deref() != Ok("1") {
        return;
    }
    let _heavy =
        crate::support::watchdog::heavy("watchdog::a_test_that_hangs_on_purpose", Duration::from_secs(2))
            .await;
    let mut child = Command::new("sleep").arg("3600").stdin(Stdio::null()).spawn().unwrap();
    println!("child {}", child.id());
    crate::support::watchdog::step("waiting for a child that never ends");
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}

#[test]
fn a_hanging_heavy_test_is_reported_and_failed_within_seconds() {
    let started = Instant::now();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "watchdog::a_test_that_hangs_on_purpose", "--nocapture", "--test-threads", "1"]);
    // No gdb in the child's way: the report's stacks are tested by hand, not here (slow).
    let out = cmd.env(HANG_VAR, "1").env("RECUPERO_WATCHDOG_NO_GDB", "1").output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(101), "the test process fails: {stdout}\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60), "it ended, not hung");
    assert!(stderr.contains("`watchdog::a_test_that_hangs_on_purpose` still runs after 2 s"), "{stderr}");
    assert!(stderr.contains("last step: waiting for a child that never ends"), "{stderr}");
    assert!(stderr.lines().any(|l| l.contains("| sleep 3600")), "the hanging child is listed: {stderr}");
    let pid: u32 = stdout
        .lines()
        .find_map(|l| l.split("child ").nth(1)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("the child's pid: {stdout}"));
    // Killed by the watchdog, then reaped by init: gone, or a zombie for a moment at most.
    let mut gone = false;
    for _ in 0..50 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty()
            || stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(gone, "the watchdog killed the hanging child {pid}");
}
