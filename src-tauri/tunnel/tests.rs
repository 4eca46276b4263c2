//! The tunnel's unit tests: `cloudflared`'s lines read as the real program writes them, any bytes
//! read without a panic, the program found, and the supervisor against stand-in `cloudflared`
//! scripts (Linux): the address reported, a crash started again with a new address, the child
//! killed when the supervisor is dropped, a missing program, garbage output.

use super::output::{classify, quick_address, reason, redact, Line};
use super::*;

const BOX: [&str; 4] = [
    "2026-12-06T22:10:01Z INF +--------------------------------------------------------------------------------------------+",
    "2026-12-06T22:10:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
    "2026-12-06T22:10:01Z INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                      |",
    "2026-12-06T22:10:01Z INF +--------------------------------------------------------------------------------------------+",
];

#[test]
fn the_quick_address_is_read_from_cloudflareds_box_and_nothing_else() {
    assert_eq!(classify(BOX[0]), Line::Other);
    assert_eq!(classify(BOX[1]), Line::Other);
    assert_eq!(
        classify(BOX[2]),
        Line::QuickAddress("https://seasonal-deck-organisms-sf.trycloudflare.com".into())
    );
    // The quick-tunnel service itself, another domain, a path, a dodgy host: not an address.
    let refused = [
        r#"2026-12-06T22:10:01Z ERR failed to request quick Tunnel error="Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host""#,
        "INF |  https://evil.example.com/x.trycloudflare.com  |",
        "INF |  https://a.b.trycloudflare.com  |",
        "INF |  https://x.trycloudflare.com.evil.example  |",
        "INF |  https://.trycloudflare.com  |",
        "INF |  http://plain.trycloudflare.com  |",
    ];
    for line in refused {
        assert_eq!(quick_address(line), None, "{line}");
    }
    assert_eq!(
        quick_address("see https://Abc-1.trycloudflare.com/ now").as_deref(),
        Some("https://abc-1.trycloudflare.com")
    );
}

#[test]
fn connections_and_errors_are_recognised_and_errors_are_redacted() {
    let registered = "2026-09-30T07:31:18Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=del04 protocol=quic";
    assert_eq!(classify(registered), Line::Connected);
    let token = "eyJhIjoiMTIzNDU2Nzg5MGFiY2RlZjEyMzQ1Njc4OTBhYmNkZWYiLCJ0IjoiZGVhZGJlZWYifQ";
    let err = format!("2026-09-30T07:31:18Z ERR Couldn't start tunnel error=\"bad token {token}\"");
    match classify(&err) {
        Line::Error(why) => {
            assert!(why.starts_with("Couldn't start tunnel"), "{why}");
            assert!(!why.contains(token), "a token never reaches the reason: {why}");
            assert!(why.contains("***"));
        }
        other => panic!("an error line: {other:?}"),
    }
    assert_eq!(redact("short words stay"), "short words stay");
    assert!(reason(&"x".repeat(5000)).chars().count() <= 301);
}

#[test]
fn any_bytes_are_read_without_a_panic() {
    let mut rng = fastrand::Rng::with_seed(19);
    for _ in 0..2000 {
        let len = rng.usize(0..300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let line = String::from_utf8_lossy(&bytes);
        let _ = classify(&line);
        let _ = reason(&line);
    }
    for odd in [
        "https://",
        "|https://x",
        "https://-.trycloudflare.com",
        "é ERR ñ",
        "2026 ERR",
        "ERR",
        "\u{0}https://ä.trycloudflare.com",
    ] {
        let _ = classify(odd);
    }
}

#[test]
fn the_arguments_give_only_the_loopback_origin_and_the_name() {
    let quick = Plan { program: "cloudflared".into(), kind: Kind::Quick, port: 8790 };
    assert_eq!(quick.args(), ["tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:8790"]);
    let named = Plan {
        program: "cloudflared".into(),
        kind: Kind::Named { name: "tienda".into(), hostname: "hooks.tienda.com".into() },
        port: 8790,
    };
    assert_eq!(
        named.args(),
        ["tunnel", "--no-autoupdate", "run", "--url", "http://127.0.0.1:8790", "tienda"]
    );
    assert_eq!(TunnelMode::parse("quick"), Some(TunnelMode::Quick));
    assert_eq!(TunnelMode::parse("sometimes"), None);
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use chrono::TimeZone;

    use crate::clock::TestClock;

    /// A stand-in `cloudflared` in its own folder: `body` is the bash script's body.
    pub(super) fn stand_in(dir: &std::path::Path, body: &str) -> PathBuf {
        let path = dir.join("cloudflared");
        std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn quick_lines(host: &str) -> String {
        format!(
            r#"echo "2026-12-06T22:10:00Z INF Requesting new quick Tunnel on trycloudflare.com..." >&2
echo "2026-12-06T22:10:01Z INF +----------------------------------------------------------+" >&2
echo "2026-12-06T22:10:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |" >&2
echo "2026-12-06T22:10:01Z INF |  https://{host}.trycloudflare.com                                      |" >&2
echo "2026-12-06T22:10:03Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=mad01 protocol=quic" >&2"#
        )
    }

    fn quick_backoff() -> Backoff {
        Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(200),
            healthy: chrono::Duration::minutes(2),
        }
    }

    fn clock() -> Arc<dyn Clock> {
        Arc::new(TestClock::at(chrono::Utc.with_ymd_and_hms(2026, 12, 6, 22, 0, 0).unwrap()))
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<Event>) -> Event {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event in time")
            .expect("open")
    }

    async fn next_up(rx: &mut mpsc::UnboundedReceiver<Event>) -> String {
        loop {
            if let Event::Up { address } = next(rx).await {
                return address;
            }
        }
    }

    pub(super) fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().next() != Some("Z")))
            .unwrap_or(false)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crash_is_started_again_with_a_new_address_and_dropping_kills_the_child() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        // First run: an address, then a crash; second run: another address, then stays up.
        let body = format!(
            r#"n=$(cat {d}/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > {d}/runs; echo $$ > {d}/pid
echo "$@" > {d}/args
if [ $n -eq 1 ]; then
{first}
sleep 0.2; echo "2026-12-06T22:10:04Z ERR Connection terminated error=\"lost\"" >&2; exit 1
fi
{second}
exec sleep 600"#,
            first = quick_lines("first-words-here"),
            second = quick_lines("second-words-here"),
        );
        let program = stand_in(dir.path(), &body);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let plan = Plan { program, kind: Kind::Quick, port: 8790 };
        let supervisor = supervise(plan, clock(), quick_backoff(), tx);
        assert_eq!(next(&mut rx).await, Event::Starting { restarts: 0 });
        assert_eq!(next_up(&mut rx).await, "https://first-words-here.trycloudflare.com");
        match next(&mut rx).await {
            Event::Stopped { reason, .. } => assert!(reason.contains("Connection terminated"), "{reason}"),
            other => panic!("the crash is reported: {other:?}"),
        }
        assert_eq!(next(&mut rx).await, Event::Starting { restarts: 1 });
        assert_eq!(next_up(&mut rx).await, "https://second-words-here.trycloudflare.com");
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(args.trim(), "tunnel --no-autoupdate --url http://127.0.0.1:8790");
        let pid: u32 = std::fs::read_to_string(dir.path().join("pid")).unwrap().trim().parse().unwrap();
        assert!(alive(pid));
        drop(supervisor);
        for _ in 0..100 {
            if !alive(pid) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cloudflared {pid} still runs after the supervisor was dropped");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_named_tunnel_is_up_at_its_hostname_once_connected() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!(
            r#"echo "$@" > {d}/args
echo "2026-12-06T22:10:00Z INF Starting tunnel tunnelID=a78a4fc8-3e57-4821-b959-8ec39fdacc95" >&2
sleep 0.1
echo "2026-12-06T22:10:01Z INF Registered tunnel connection connIndex=0 connection=bb527b3a-8a27-467b-9fca-84972898be5c event=0 ip=198.41.200.13 location=mad01 protocol=quic" >&2
exec sleep 600"#,
            d = dir.path().display()
        );
        let program = stand_in(dir.path(), &body);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let kind = Kind::Named { name: "tienda".into(), hostname: "hooks.tienda.com".into() };
        let _supervisor = supervise(Plan { program, kind, port: 9000 }, clock(), quick_backoff(), tx);
        assert_eq!(next_up(&mut rx).await, "https://hooks.tienda.com");
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(args.trim(), "tunnel --no-autoupdate run --url http://127.0.0.1:9000 tienda");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn garbage_output_never_panics_and_never_counts_as_up() {
        let dir = tempfile::tempdir().unwrap();
        // Random bytes, invalid UTF-8, a huge line without a newline, then an exit.
        let body = "head -c 20000 /dev/urandom; printf '\\xff\\xfe https://x.trycloudflare.com.evil |\\n' >&2; head -c 100000 /dev/zero | tr '\\0' 'a' >&2; exit 3";
        let program = stand_in(dir.path(), body);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _supervisor =
            supervise(Plan { program, kind: Kind::Quick, port: 8790 }, clock(), quick_backoff(), tx);
        let mut stops = 0;
        while stops < 2 {
            match next(&mut rx).await {
                Event::Up { address } => panic!("garbage is not an address: {address}"),
                Event::Stopped { reason, .. } => {
                    assert!(reason.contains("exited"), "{reason}");
                    stops += 1;
                }
                _ => {}
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_program_is_not_installed_and_not_retried() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let plan = Plan { program: dir.path().join("cloudflared"), kind: Kind::Quick, port: 8790 };
        let _supervisor = supervise(plan, clock(), quick_backoff(), tx);
        assert_eq!(next(&mut rx).await, Event::Starting { restarts: 0 });
        assert_eq!(next(&mut rx).await, Event::NotInstalled);
        // Nothing more: the supervisor ended instead of trying again.
        assert_eq!(tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.unwrap(), None);
    }

    #[test]
    fn the_program_is_found_first_on_path_then_in_the_usual_places() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let a = stand_in(first.path(), "exit 0");
        let b = stand_in(second.path(), "exit 0");
        let path = std::env::join_paths([empty.path(), first.path(), second.path()]).unwrap();
        assert_eq!(find_cloudflared("", Some(path), &[]), Some(a.clone()));
        let only_empty = std::env::join_paths([empty.path()]).unwrap();
        assert_eq!(find_cloudflared("", Some(only_empty.clone()), &[]), None);
        assert_eq!(find_cloudflared("", Some(only_empty), &[second.path().to_path_buf()]), Some(b));
        // A configured path wins, and is not looked for elsewhere when it is missing.
        assert_eq!(find_cloudflared(a.to_str().unwrap(), None, &[]), Some(a));
        let missing = empty.path().join("cloudflared");
        assert_eq!(find_cloudflared(missing.to_str().unwrap(), None, &[second.path().into()]), None);
        // A file that is not executable is not a program.
        let plain = empty.path().join("cloudflared");
        std::fs::write(&plain, "not a program").unwrap();
        let only_empty = std::env::join_paths([empty.path()]).unwrap();
        assert_eq!(find_cloudflared("", Some(only_empty), &[]), None);
    }
}
