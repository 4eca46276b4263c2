//! The real `recupero` binary, run against a test's data directory with a clean `RECUPERO_*`
//! environment: one-shot commands to completion ([`recupero`]), or `serve` left running
//! ([`spawn_serve`]).

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::text;

/// Runs the real binary with `--data-dir dir`, optional stdin, and a clean RECUPERO_* env.
pub fn recupero(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run(dir, args, &[], stdin)
}

/// Like [`recupero`], with extra environment variables (e.g. `RECUPERO_STORE_TOKEN`).
pub fn recupero_env(dir: &Path, args: &[String], env: &[(String, String)]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir, &args, env, None)
}

fn run(dir: &Path, args: &[&str], env: &[(String, String)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recupero"));
    cmd.arg("--data-dir").arg(dir).args(args);
    clean_env(&mut cmd);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.env("RUST_LOG", "info").stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the recupero binary runs");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    // Never hang the suite (a keychain waiting for a password prompt, say). A liveness bound,
    // not a speed check: the debug-build demo simulates two days minute by minute while the
    // rest of the suite shares the 2 cores.
    for _ in 0..2400 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!("`recupero {}` did not finish within 240 s; stderr: {}", args.join(" "), text(&out.stderr));
}

/// Starts the real `recupero serve` on `dir`: a clean `RECUPERO_*` environment plus `env`,
/// `RUST_LOG=warn`, no stdin or stdout, and `stderr` as the caller asks (piped to read it).
pub fn spawn_serve(dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_recupero"));
    clean_env(&mut cmd);
    cmd.arg("--data-dir").arg(dir).arg("serve").envs(env.iter().copied()).env("RUST_LOG", "warn");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr).spawn().expect("recupero serve starts")
}

/// Removes every `RECUPERO_*` variable the test run inherited, so only what a test sets applies.
fn clean_env(cmd: &mut Command) {
    for (k, _) in std::env::vars() {
        if k.starts_with("RECUPERO_") {
            cmd.env_remove(k);
        }
    }
}
