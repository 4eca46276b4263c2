//! The tunnel Recupero runs, against stand-in `cloudflared` scripts that print the real
//! program's log lines (Linux: bash) and the sandbox WhatsApp, whose stand-in tunnel edge sends
//! Meta's challenge for a `*.trycloudflare.com` (or the named tunnel's) address to the engine's
//! real receiver on loopback: nothing leaves the machine. The address is registered; a crash is
//! started again and its NEW address registered; `off` kills the child; a missing program is
//! "not installed" with the install hint; `recupero tunnel run` finds the stand-in first on PATH.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use recupero::engine::Engine;
use recupero::sandbox::whatsapp::{WhatsAppSandbox, WhatsAppSandboxConfig};
use recupero::secrets::{SecretName, Sensitive};
use recupero::tunnel::{TunnelState, TunnelStatus};
use recupero::webhooks::Receiver;

use crate::support::{spawn_app, text, TestApp};

/// The stand-in's lines for a quick tunnel at `https://HOST.trycloudflare.com`, as cloudflared
/// prints them (its box, then the registered connection), on stderr.
fn quick_lines(host: &str) -> String {
    format!(
        r#"echo "2026-12-06T22:10:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out." >&2
echo "2026-12-06T22:10:00Z INF Requesting new quick Tunnel on trycloudflare.com..." >&2
echo "2026-12-06T22:10:01Z INF +--------------------------------------------------------------------------------------------+" >&2
echo "2026-12-06T22:10:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |" >&2
echo "2026-12-06T22:10:01Z INF |  https://{host}.trycloudflare.com                                      |" >&2
echo "2026-12-06T22:10:01Z INF +--------------------------------------------------------------------------------------------+" >&2
echo "2026-12-06T22:10:01Z INF Version 2025.11.1 (Checksum 0f3c)" >&2
echo "2026-12-06T22:10:03Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=mad01 protocol=quic" >&2"#
    )
}

/// Writes the stand-in `cloudflared` into `dir`: it records its pid, arguments and run count,
/// prints the lines of run 1 (`first`) until the file `crash` appears, then exits 1; later runs
/// print `later` and stay up.
fn stand_in(dir: &Path, first: &str, later: &str) -> PathBuf {
    let d = dir.display();
    let body = format!(
        r#"#!/bin/bash
n=$(cat {d}/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/runs; echo $$ > {d}/pid; echo "$@" > {d}/args
if [ $n -eq 1 ]; then
{first}
while [ ! -f {d}/crash ]; do sleep 0.05; done
echo "2026-12-06T22:20:00Z ERR Connection terminated error=\"lost the edge\"" >&2
exit 1
fi
{later}
exec sleep 600
"#
    );
    let path = dir.join("cloudflared");
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().next() != Some("Z")))
        .unwrap_or(false)
}

fn pid_of(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("pid")).unwrap().trim().parse().unwrap()
}

/// Waits (at most 20 s) until the engine's tunnel satisfies `ok`.
async fn until(engine: &Engine, what: &str, ok: impl Fn(&TunnelStatus) -> bool) -> TunnelStatus {
    for _ in 0..400 {
        let status = engine.tunnel_status();
        if ok(&status) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the tunnel never got to {what}: {:?}", engine.tunnel_status());
}

struct World {
    app: TestApp,
    wa: WhatsAppSandbox,
    receiver: Receiver,
    standin: tempfile::TempDir,
}

/// An engine with WhatsApp set up against the sandbox (when `whatsapp`), its receiver on a free
/// port, and the sandbox's tunnel edge forwarding `edge_hosts` to that receiver.
async fn world(whatsapp: bool, edge_hosts: &[&str]) -> World {
    let app = spawn_app();
    let engine = &app.engine;
    let receiver = engine.start_webhooks(Some(0)).await.unwrap();
    let port = receiver.addr().port();
    let config = WhatsAppSandboxConfig {
        tunnel_edge: edge_hosts.iter().map(|h| (h.to_string(), port)).collect(),
        ..Default::default()
    };
    let wa = WhatsAppSandbox::start(config, Arc::new(app.clock.clone()), 0).await.unwrap();
    if whatsapp {
        engine.setting_set("whatsapp_base_url", &wa.base_url()).unwrap();
        engine.setting_set("whatsapp_phone_number_id", &wa.config().phone_number_id).unwrap();
        engine.setting_set("whatsapp_waba_id", &wa.config().business_account_id).unwrap();
        engine.set_secret(SecretName::WhatsappToken, Sensitive::new(wa.config().token.clone())).unwrap();
    }
    World { app, wa, receiver, standin: tempfile::tempdir().unwrap() }
}

impl World {
    fn engine(&self) -> &Arc<Engine> {
        &self.app.engine
    }

    fn callback(&self, base: &str) -> String {
        format!("{base}/webhook/{}", self.engine().setting_get("webhook_path").unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_tunnel_is_registered_and_after_a_crash_its_new_address_is_registered() {
    let w = world(true, &["trycloudflare.com"]).await;
    let program =
        stand_in(w.standin.path(), &quick_lines("first-quick-words"), &quick_lines("second-quick-words"));
    let engine = w.engine();
    engine.setting_set("cloudflared_path", program.to_str().unwrap()).unwrap();
    engine.setting_set("tunnel_mode", "quick").unwrap();
    let _runner = engine.start_tunnel(w.receiver.addr().port(), None);

    let first = "https://first-quick-words.trycloudflare.com";
    let up =
        until(engine, "registered at the first address", |s| s.registration.as_deref() == Some("ok")).await;
    assert_eq!(up.state, TunnelState::Up);
    assert_eq!(up.address.as_deref(), Some(first));
    assert_eq!(engine.setting_get("webhook_public_url").unwrap(), first);
    assert_eq!(w.wa.phone_override(), Some(w.callback(first)));
    assert_eq!(engine.setting_get("webhook_registered_url").unwrap(), w.callback(first));
    // cloudflared was given the receiver's origin only, never the secret path.
    let args = std::fs::read_to_string(w.standin.path().join("args")).unwrap();
    assert_eq!(
        args.trim(),
        format!("tunnel --no-autoupdate --url http://127.0.0.1:{}", w.receiver.addr().port())
    );
    // The window, `status --json` and another process see the same.
    assert_eq!(engine.status().unwrap().tunnel, up);
    let saved: TunnelStatus =
        serde_json::from_slice(&std::fs::read(w.app.dir.path().join("tunnel-state.json")).unwrap()).unwrap();
    assert_eq!(saved, up);

    // cloudflared dies: it is started again, and the new address replaces the old with Meta.
    let crashed_pid = pid_of(w.standin.path());
    std::fs::write(w.standin.path().join("crash"), "").unwrap();
    let second = "https://second-quick-words.trycloudflare.com";
    let again = until(engine, "registered at the second address", |s| {
        s.address.as_deref() == Some(second) && s.registration.as_deref() == Some("ok")
    })
    .await;
    assert_eq!(again.restarts, 1);
    assert!(!alive(crashed_pid));
    assert_eq!(w.wa.phone_override(), Some(w.callback(second)));
    assert_eq!(engine.setting_get("webhook_public_url").unwrap(), second);
    // Meta's challenge went through the (stand-in) tunnel to the receiver, both times.
    let challenges = w.wa.challenges();
    assert!(challenges.contains(&(w.callback(first), true)), "{challenges:?}");
    assert!(challenges.contains(&(w.callback(second), true)), "{challenges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_tunnel_off_kills_cloudflared() {
    let w = world(false, &[]).await;
    let program = stand_in(w.standin.path(), &quick_lines("stays-up-words"), "");
    let engine = w.engine();
    engine.setting_set("cloudflared_path", program.to_str().unwrap()).unwrap();
    engine.setting_set("tunnel_mode", "quick").unwrap();
    let _runner = engine.start_tunnel(w.receiver.addr().port(), None);
    let up = until(engine, "up", |s| s.registration.is_some()).await;
    // WhatsApp not set up: the address is kept for later, nothing is registered.
    assert_eq!(up.registration.as_deref(), Some("not_configured"));
    assert_eq!(engine.setting_get("webhook_public_url").unwrap(), "https://stays-up-words.trycloudflare.com");
    assert_eq!(w.wa.phone_override(), None);
    let pid = pid_of(w.standin.path());
    assert!(alive(pid));

    engine.setting_set("tunnel_mode", "off").unwrap();
    let off = until(engine, "off", |s| s.state == TunnelState::Off).await;
    assert_eq!(off.address, None);
    for _ in 0..100 {
        if !alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cloudflared {pid} still runs after the tunnel was turned off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_cloudflared_is_not_installed_with_how_to_install_it() {
    let w = world(false, &[]).await;
    let engine = w.engine();
    let missing = w.standin.path().join("cloudflared");
    engine.setting_set("cloudflared_path", missing.to_str().unwrap()).unwrap();
    engine.setting_set("tunnel_mode", "quick").unwrap();
    let _runner = engine.start_tunnel(w.receiver.addr().port(), None);
    let status = until(engine, "not installed", |s| s.state == TunnelState::NotInstalled).await;
    let hint = status.reason.unwrap();
    for how in
        ["winget install --id Cloudflare.cloudflared", "brew install cloudflared", "pkg.cloudflare.com"]
    {
        assert!(hint.contains(how), "{hint}");
    }
    // Installed later: the tunnel starts without a restart of the app (the follower looks
    // again every few seconds; saving the setting again makes it look at once).
    stand_in(w.standin.path(), &quick_lines("installed-later-words"), "");
    engine.setting_set("cloudflared_path", missing.to_str().unwrap()).unwrap();
    let up = until(engine, "up once installed", |s| s.state == TunnelState::Up).await;
    assert_eq!(up.address.as_deref(), Some("https://installed-later-words.trycloudflare.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_tunnel_is_registered_at_its_hostname_once_connected() {
    let w = world(true, &["hooks.tienda.test"]).await;
    let connected = r#"echo "2026-12-06T22:10:00Z INF Starting tunnel tunnelID=a78a4fc8-3e57-4821-b959-8ec39fdacc95" >&2
echo "2026-12-06T22:10:01Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=mad01 protocol=quic" >&2"#;
    let program = stand_in(w.standin.path(), connected, connected);
    let engine = w.engine();
    engine.setting_set("cloudflared_path", program.to_str().unwrap()).unwrap();
    engine.setting_set("tunnel_mode", "named").unwrap();
    // Without its name and hostname a named tunnel says what is missing.
    let _runner = engine.start_tunnel(w.receiver.addr().port(), None);
    let missing = until(engine, "asking for the name", |s| s.state == TunnelState::Failed).await;
    assert!(missing.reason.unwrap().contains("tunnel_hostname"));
    engine.setting_set("tunnel_name", "tienda").unwrap();
    engine.setting_set("tunnel_hostname", "https://Hooks.Tienda.test/").unwrap();
    let up = until(engine, "registered", |s| s.registration.as_deref() == Some("ok")).await;
    assert_eq!(up.address.as_deref(), Some("https://hooks.tienda.test"));
    assert_eq!(w.wa.phone_override(), Some(w.callback("https://hooks.tienda.test")));
    let args = std::fs::read_to_string(w.standin.path().join("args")).unwrap();
    let port = w.receiver.addr().port();
    assert_eq!(args.trim(), format!("tunnel --no-autoupdate run --url http://127.0.0.1:{port} tienda"));
}

/// `recupero tunnel run --quick` finds the stand-in first on PATH, prints the address on
/// standard output, and kills cloudflared when interrupted.
#[test]
fn tunnel_run_finds_cloudflared_on_path_and_prints_the_address() {
    use std::io::BufRead;
    let data = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    stand_in(bin.path(), &quick_lines("cli-quick-words"), "");
    let path = std::env::join_paths(
        std::iter::once(bin.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recupero"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["tunnel", "run", "--quick"])
        .env("PATH", path)
        .env_remove("RECUPERO_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(60));
    let pid = std::fs::read_to_string(bin.path().join("pid")).ok().and_then(|p| p.trim().parse::<u32>().ok());
    // Ctrl-C: the command stops cloudflared and ends.
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        line.as_deref(),
        Ok("https://cli-quick-words.trycloudflare.com"),
        "stderr: {}",
        text(&out.stderr)
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let pid = pid.expect("the stand-in ran");
    for _ in 0..100 {
        if !alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("cloudflared {pid} still runs after `recupero tunnel run` was interrupted");
}
