//! Webhook ingestion benchmark: signed deliveries POSTed over loopback HTTP to the real receiver,
//! each committed to the real SQLite file (WAL) before its 200. Reports deliveries per second
//! and the latency percentiles of "POST → 200 (durable)", then how fast the stored deliveries
//! are processed into messages and statuses.
//!
//!   cargo bench --no-default-features --bench webhooks
//!   WEBHOOK_COUNT=20000 WEBHOOK_CONCURRENCY=16 cargo bench --no-default-features --bench webhooks

use std::sync::Arc;
use std::time::{Duration, Instant};

use recupero::clock::SystemClock;
use recupero::engine::{Engine, EngineOptions};
use recupero::paths::AppPaths;
use recupero::secrets::{MemorySecretStore, SecretName, Sensitive};
use serde_json::json;

const SECRET: &str = "bench-app-secret";

fn body(i: u64) -> Vec<u8> {
    let customer = 5_491_150_000_000u64 + (i % 2_000);
    let value = if i % 3 == 0 {
        json!({"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": "1055500000000"},
            "statuses": [{"id": format!("wamid.OUT{}", i / 3), "status": "delivered", "timestamp": "1763900000",
                          "recipient_id": customer.to_string(),
                          "pricing": {"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"}}]})
    } else {
        json!({"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5491100000000", "phone_number_id": "1055500000000"},
            "contacts": [{"profile": {"name": format!("Cliente {}", i % 2_000)}, "wa_id": customer.to_string()}],
            "messages": [{"from": customer.to_string(), "id": format!("wamid.IN{i}"), "timestamp": "1763900000",
                          "type": "text", "text": {"body": format!("Hola, ¿tienen el talle M? ({i})")}}]})
    };
    serde_json::to_vec(&json!({"object": "whatsapp_business_account",
        "entry": [{"id": "2055500000000", "changes": [{"field": "messages", "value": value}]}]}))
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let count: u64 = std::env::var("WEBHOOK_COUNT").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let concurrency: u64 =
        std::env::var("WEBHOOK_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::default());
    let engine = Arc::new(
        Engine::build(EngineOptions {
            paths: AppPaths::resolve(Some(dir.path())).unwrap(),
            secrets: secrets.clone(),
            clock: Arc::new(SystemClock),
            demo: false,
        })
        .unwrap(),
    );
    engine.set_secret(SecretName::WhatsappAppSecret, Sensitive::new(SECRET.to_string())).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let receiver = engine.start_webhooks(Some(0)).await.unwrap();
        let url = format!("http://{}/webhook/{}", receiver.addr(), engine.settings().unwrap().webhook_path);
        let bodies: Vec<(Vec<u8>, String)> = (0..count)
            .map(|i| {
                let b = body(i);
                let sig = recupero::webhooks::sign(SECRET.as_bytes(), &b);
                (b, sig)
            })
            .collect();
        let bodies = Arc::new(bodies);
        let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(64).build().unwrap();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (http, url, bodies) = (http.clone(), url.clone(), bodies.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = worker;
                while i < count {
                    let (b, sig) = &bodies[i as usize];
                    let t = Instant::now();
                    let r = http.post(&url).header("x-hub-signature-256", sig).body(b.clone()).send().await.unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    latencies.push(t.elapsed());
                    i += concurrency;
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        println!("webhook ingestion: {count} signed deliveries, {concurrency} concurrent connections, loopback HTTP, SQLite WAL");
        println!(
            "  stored:    {:.0} deliveries/s ({:.2} s)   latency p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            count as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().unwrap().as_secs_f64() * 1000.0,
        );
        drop(receiver);
    });
    let started = Instant::now();
    let processed = engine.process_webhooks().unwrap();
    let elapsed = started.elapsed();
    let messages: i64 =
        engine.db().conn().query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    println!(
        "  processed: {:.0} deliveries/s ({processed} in {:.2} s) -> {messages} messages",
        processed as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}
