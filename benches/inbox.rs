//! Inbox speed at a busy shop's size: 10,000 conversations and 100,000 messages in the real
//! SQLite file (WAL, the app's migrations and indexes, FTS5 over message bodies). Measures what
//! the Inbox screen asks for: the whole ordered list (escalated, unread, latest), a search by
//! a word inside messages (full text), by a name, and by a phone fragment, and opening one
//! conversation (its messages, cart, drafts and window). Prints the median and p95 of each.
//!
//!   cargo bench --no-default-features --bench inbox
//!   INBOX_CONVERSATIONS=20000 INBOX_MESSAGES=200000 cargo bench --no-default-features --bench inbox

use std::sync::Arc;
use std::time::{Duration, Instant};

use recupero::clock::SystemClock;
use recupero::engine::{Engine, EngineOptions};
use recupero::paths::AppPaths;
use recupero::secrets::MemorySecretStore;

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const WORDS: &[&str] = &[
    "hola",
    "envío",
    "talle",
    "cuotas",
    "gracias",
    "zapatillas",
    "remera",
    "azul",
    "Córdoba",
    "transferencia",
    "llega",
    "mañana",
    "precio",
    "stock",
    "verde",
    "frete",
    "parcelar",
    "obrigado",
    "shipping",
    "size",
];

fn seed(engine: &Engine, conversations: usize, messages: usize) {
    let mut conn = engine.db().conn();
    let tx = conn.transaction().unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    {
        let mut contact = tx
            .prepare("INSERT INTO contacts (phone_e164, wa_id, name, created_at) VALUES (?1, ?2, ?3, '2026-11-01T00:00:00.000Z')")
            .unwrap();
        let mut conv = tx
            .prepare(
                "INSERT INTO conversations (contact_id, last_inbound_at, last_message_at, last_message, unread, escalated, created_at)
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, '2026-11-01T00:00:00.000Z')",
            )
            .unwrap();
        for i in 0..conversations {
            let phone = format!("+54911{:08}", 10_000_000 + i);
            contact.execute(rusqlite::params![phone, &phone[1..], format!("Cliente {i} Ñandú")]).unwrap();
            let id = tx.last_insert_rowid();
            let at = format!(
                "2026-11-{:02}T{:02}:{:02}:00.000Z",
                1 + rng.usize(..20),
                rng.usize(..24),
                rng.usize(..60)
            );
            let unread = if rng.usize(..10) == 0 { rng.i64(1..5) } else { 0 };
            let escalated = i64::from(rng.usize(..100) == 0);
            conv.execute(rusqlite::params![id, at, "…", unread, escalated]).unwrap();
        }
        let mut msg = tx
            .prepare(
                "INSERT INTO messages (conversation_id, direction, origin, wamid, kind, body, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'text', ?5, ?6, ?7)",
            )
            .unwrap();
        for i in 0..messages {
            let conversation = 1 + rng.usize(..conversations);
            let inbound = rng.bool();
            let body: Vec<&str> = (0..rng.usize(3..12)).map(|_| WORDS[rng.usize(..WORDS.len())]).collect();
            let at = format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}.000Z",
                1 + rng.usize(..20),
                rng.usize(..24),
                rng.usize(..60),
                rng.usize(..60)
            );
            msg.execute(rusqlite::params![
                conversation as i64,
                if inbound { "in" } else { "out" },
                if inbound { "customer" } else { "automation" },
                format!("wamid.B{i}"),
                body.join(" "),
                if inbound { "received" } else { "read" },
                at
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn measure<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!("{label:<48} median {:>8.2} ms   p95 {:>8.2} ms", ms(p(0.5)), ms(p(0.95)));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let conversations = env_or("INBOX_CONVERSATIONS", 10_000);
    let messages = env_or("INBOX_MESSAGES", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::build(EngineOptions {
        paths: AppPaths::resolve(Some(dir.path())).unwrap(),
        secrets: Arc::new(MemorySecretStore::default()),
        clock: Arc::new(SystemClock),
        demo: false,
    })
    .unwrap();
    let t = Instant::now();
    seed(&engine, conversations, messages);
    println!(
        "seeded {conversations} conversations and {messages} messages in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let runs = 30;
    measure("inbox list, first 200 (the screen's first page)", runs, || {
        engine.conversations(None, 200).unwrap().len()
    });
    measure("inbox list, all 10,000", runs, || engine.conversations(None, 20_000).unwrap().len());
    measure("search a word inside messages (FTS5)", runs, || {
        engine.conversations(Some("zapatillas"), 200).unwrap().len()
    });
    measure("search a rare accented word (folded)", runs, || {
        engine.conversations(Some("cordoba"), 200).unwrap().len()
    });
    measure("search by name", runs, || engine.conversations(Some("Cliente 4242"), 200).unwrap().len());
    measure("search by phone fragment", runs, || engine.conversations(Some("10004242"), 200).unwrap().len());
    let mut id = 1i64;
    measure("open a conversation (messages, cart, drafts)", runs, || {
        id = id * 7919 % conversations as i64 + 1;
        engine.conversation_detail(id).unwrap().messages.len()
    });
    let size = std::fs::metadata(dir.path().join("recupero.sqlite3")).map(|m| m.len()).unwrap_or(0);
    println!("database file: {:.1} MiB (plus WAL)", size as f64 / 1_048_576.0);
}
