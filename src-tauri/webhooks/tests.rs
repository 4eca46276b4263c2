//! The receiver's tests: signatures, and holding under abuse (wrong paths, stalled clients, crowds).

use super::*;

#[test]
fn signatures_are_checked_over_the_raw_bytes() {
    let body =
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"text":"\u00e4"}}]}]}"#;
    let header = sign(b"app-secret", body);
    assert!(signature_valid(b"app-secret", body, Some(&header)));
    assert!(!signature_valid(b"other-secret", body, Some(&header)));
    assert!(!signature_valid(b"app-secret", b"{}", Some(&header)));
    assert!(!signature_valid(b"app-secret", body, None));
    assert!(!signature_valid(b"app-secret", body, Some("sha256=zz")));
    assert!(!signature_valid(b"app-secret", body, Some(header.trim_start_matches("sha256="))));
}

#[test]
fn constant_time_compare() {
    assert!(same(b"abc", b"abc"));
    assert!(!same(b"abc", b"abd"));
    assert!(!same(b"abc", b"abcd"));
}

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PATH: &str = "the-secret-path-0123456789abcdef";

#[derive(Default)]
struct Sink {
    stored: AtomicUsize,
    unsigned_ok: AtomicBool,
}

impl Ingest for Sink {
    fn ingest(&self, _body: &[u8], _signed: bool) -> Result<bool, String> {
        self.stored.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }
    fn stored(&self) {}
    fn allow_unsigned(&self) -> bool {
        self.unsigned_ok.load(Ordering::SeqCst)
    }
}

async fn receiver(secret: Option<&str>, limits: Limits) -> (Receiver, Arc<Sink>) {
    let sink = Arc::new(Sink::default());
    let config = ReceiverConfig {
        port: 0,
        path: PATH.into(),
        verify_token: "verify-token-0123".into(),
        app_secret: Arc::new(std::sync::RwLock::new(secret.map(|s| Sensitive::new(s.to_string())))),
        ack_delay: None,
        limits,
    };
    (start(config, sink.clone()).await.unwrap(), sink)
}

/// Sends `head` (request line and headers) and no body, then reads what comes back until the
/// server answers or closes: (the answer's first line, whether it closed).
async fn stall(addr: SocketAddr, head: &str) -> (String, TcpStream) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.windows(2).any(|w| w == b"\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&got).lines().next().unwrap_or_default().to_string();
    (line, tcp)
}

async fn post(addr: SocketAddr, body: &[u8], signature: Option<String>) -> u16 {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = http.post(format!("http://{addr}/webhook/{PATH}")).body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("x-hub-signature-256", s);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_wrong_path_is_answered_404_before_its_body() {
    let (rx, _) = receiver(Some("s"), Limits::default()).await;
    // The headers promise a body that never comes: the answer comes anyway.
    let head = "POST /webhook/guessed-path HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n";
    let answer = tokio::time::timeout(Duration::from_secs(20), stall(rx.addr(), head)).await;
    let (line, _) = answer.expect("answered without the body");
    assert!(line.starts_with("HTTP/1.1 404"), "{line}");
}

#[tokio::test]
async fn a_stalled_request_line_is_closed_after_the_header_timeout() {
    let limits = Limits { header_read: Duration::from_millis(200), ..Limits::default() };
    let (rx, _) = receiver(Some("s"), limits).await;
    let mut tcp = TcpStream::connect(rx.addr()).await.unwrap();
    tcp.write_all(b"POST /webhook/the-sec").await.unwrap();
    let mut buf = [0u8; 256];
    // The server closes it (EOF or reset) instead of waiting forever; the outer bound only
    // keeps a broken build from hanging the suite.
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {} // an error answer, then the close
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the stalled connection was closed");
}

#[tokio::test]
async fn a_stalled_body_gets_408_after_the_request_timeout() {
    let limits = Limits { request: Duration::from_millis(200), ..Limits::default() };
    let (rx, sink) = receiver(Some("s"), limits).await;
    let head = format!("POST /webhook/{PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{{");
    let (line, _) = tokio::time::timeout(Duration::from_secs(20), stall(rx.addr(), &head)).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 408"), "{line}");
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_get_503_at_once() {
    let limits = Limits { concurrency: 2, ..Limits::default() };
    let (rx, _) = receiver(Some("s"), limits).await;
    // Two requests on the right path hold both places, their bodies never finished.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut tcp = TcpStream::connect(rx.addr()).await.unwrap();
        let head = format!("POST /webhook/{PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{{");
        tcp.write_all(head.as_bytes()).await.unwrap();
        held.push(tcp);
    }
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let mut status = 0;
    for _ in 0..200 {
        status = post(rx.addr(), body, Some(sign(b"s", body))).await;
        if status == 503 {
            break;
        }
        // The held requests may not have reached the handler yet.
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status, 503, "the third request is turned away");
    drop(held);
    let mut after = 0;
    for _ in 0..200 {
        after = post(rx.addr(), body, Some(sign(b"s", body))).await;
        if after == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(after, 200, "the places free up when the held ones go");
}

#[tokio::test]
async fn a_missing_signature_is_401_and_a_wrong_one_403() {
    let (rx, sink) = receiver(Some("s"), Limits::default()).await;
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    assert_eq!(post(rx.addr(), body, None).await, 401);
    assert_eq!(post(rx.addr(), body, Some(sign(b"other", body))).await, 403);
    assert_eq!(post(rx.addr(), body, Some("garbage".into())).await, 403);
    // Allowing unsigned deliveries never lets one past a configured secret.
    sink.unsigned_ok.store(true, Ordering::SeqCst);
    assert_eq!(post(rx.addr(), body, None).await, 401);
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
    assert_eq!(post(rx.addr(), body, Some(sign(b"s", body))).await, 200);
    assert_eq!(sink.stored.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn with_no_app_secret_unsigned_deliveries_are_refused_unless_allowed() {
    let (rx, sink) = receiver(None, Limits::default()).await;
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    assert_eq!(post(rx.addr(), body, None).await, 401);
    assert_eq!(post(rx.addr(), body, Some(sign(b"anything", body))).await, 401, "nothing to check it with");
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
    sink.unsigned_ok.store(true, Ordering::SeqCst);
    assert_eq!(post(rx.addr(), body, None).await, 200);
    assert_eq!(sink.stored.load(Ordering::SeqCst), 1);
}
