//! Stored webhook deliveries that fail to apply, by the class of their error: a transient one
//! (the database busy or locked, I/O, a full disk) is retried with backoff and set aside after
//! the last attempt; a permanent one (the same error on every try: a constraint, a bug) is set
//! aside at once with its reason; a malformed payload is processed with a note. Never silently
//! marked processed. The owner's "retry" puts the set-aside ones back in line. Raw bodies are
//! pruned after their retention; STOP and ALTA count by the time they were said.

use std::time::Duration as StdDuration;

use chrono::Duration;
use recupero::clock::Clock;
use recupero::engine::webhooks::MAX_ATTEMPTS;
use recupero::engine::Engine;
use recupero::events::{EngineEvent, OwnerProblem};
use recupero::storage::{ts, webhook_events};
use rusqlite::Connection;

use crate::support::hooked::{hooked, text_from};
use crate::support::{spawn_app, TestApp};

/// A transient fault on the engine's own connection: every insert into `messages` must also
/// write to a second database file whose write lock another connection holds, so applying a
/// customer's message fails with SQLITE_BUSY (after a short busy timeout) while the rest of the
/// database — the delivery's attempt count — stays writable. Dropping it lifts the fault.
pub struct TransientFault<'a> {
    engine: &'a Engine,
    holder: Option<Connection>,
}

impl<'a> TransientFault<'a> {
    pub fn on(engine: &'a Engine, dir: &std::path::Path) -> TransientFault<'a> {
        let aux = dir.join("held.db");
        let holder = Connection::open(&aux).unwrap();
        holder
            .execute_batch("CREATE TABLE IF NOT EXISTS t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let conn = engine.db().conn();
        conn.busy_timeout(StdDuration::from_millis(20)).unwrap();
        conn.execute("ATTACH DATABASE ?1 AS held", [aux.to_str().unwrap()]).unwrap();
        conn.execute_batch(
            "CREATE TEMP TRIGGER held_insert BEFORE INSERT ON main.messages BEGIN INSERT INTO held.t VALUES (2); END;",
        )
        .unwrap();
        TransientFault { engine, holder: Some(holder) }
    }
}

impl Drop for TransientFault<'_> {
    fn drop(&mut self) {
        if let Some(holder) = self.holder.take() {
            let _ = holder.execute_batch("ROLLBACK;");
        }
        let conn = self.engine.db().conn();
        let _ = conn.execute_batch("DROP TRIGGER IF EXISTS temp.held_insert; DETACH DATABASE held;");
        let _ = conn.busy_timeout(StdDuration::from_secs(5));
    }
}

fn count(engine: &Engine, sql: &str) -> i64 {
    engine.db().conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The app with one customer message stored, not yet processed.
fn app_with_one_message(wamid: &str) -> TestApp {
    let app = spawn_app();
    app.engine.setting_set("whatsapp_phone_number_id", "1055500000000").unwrap();
    let now = app.clock.now();
    let body = serde_json::to_vec(&text_from("5491155550000", "Ana", wamid, "Hola", now)).unwrap();
    webhook_events::store(&app.engine.db().conn(), &body, true, &ts(now)).unwrap();
    app
}

const QUARANTINED: &str =
    "SELECT count(*) FROM webhook_events WHERE quarantined_at IS NOT NULL AND processed_at IS NULL";
const PROCESSED: &str = "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL";
const INBOUND: &str = "SELECT count(*) FROM messages WHERE direction = 'in'";

fn told(events: &mut tokio::sync::broadcast::Receiver<EngineEvent>) -> bool {
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= matches!(e, EngineEvent::NeedsOwner { problem: OwnerProblem::DeliveryQuarantined });
    }
    told
}

#[test]
fn a_busy_database_leaves_the_delivery_pending_with_backoff_and_it_is_applied_later() {
    let app = app_with_one_message("wamid.busy");
    let engine = &app.engine;
    {
        let _fault = TransientFault::on(engine, app.dir.path());
        assert_eq!(engine.process_webhooks().unwrap(), 0);
        let (attempts, error): (i64, String) = engine
            .db()
            .conn()
            .query_row("SELECT attempts, last_error FROM webhook_events", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(attempts, 1);
        assert!(error.contains("locked") || error.contains("busy"), "{error}");
        assert!(!error.starts_with("permanent"), "{error}");
    }
    assert_eq!(count(engine, PROCESSED), 0, "never marked processed");
    assert_eq!(count(engine, QUARANTINED), 0, "a transient error is retried, not set aside");
    engine.process_webhooks().unwrap();
    assert_eq!(count(engine, INBOUND), 0, "not before its backoff");
    app.clock.advance(Duration::minutes(2));
    assert_eq!(engine.process_webhooks().unwrap(), 1);
    assert_eq!(count(engine, INBOUND), 1, "applied once the database is free");
}

#[test]
fn the_database_write_locked_by_another_process_loses_nothing() {
    let app = app_with_one_message("wamid.locked");
    let engine = &app.engine;
    engine.db().conn().busy_timeout(StdDuration::from_millis(20)).unwrap();
    let other = Connection::open(engine.db().path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE;").unwrap();
    // Nothing can be written, not even the attempt: the round fails and the delivery waits.
    let round = engine.process_webhooks();
    assert!(round.is_err(), "the round reports the busy database: {round:?}");
    other.execute_batch("ROLLBACK;").unwrap();
    engine.db().conn().busy_timeout(StdDuration::from_secs(5)).unwrap();
    assert_eq!(count(engine, PROCESSED), 0);
    assert_eq!(count(engine, QUARANTINED), 0);
    assert_eq!(engine.process_webhooks().unwrap(), 1);
    assert_eq!(count(engine, INBOUND), 1);
}

#[test]
fn a_permanent_error_quarantines_at_once_with_its_reason_and_the_owner_is_told() {
    let app = app_with_one_message("wamid.constraint");
    let engine = &app.engine;
    let mut events = engine.events().subscribe();
    // The same refusal on every try: a constraint this payload hits.
    engine
        .db()
        .conn()
        .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END;")
        .unwrap();
    assert_eq!(engine.process_webhooks().unwrap(), 0);
    assert_eq!(count(engine, QUARANTINED), 1, "set aside on the first failure, not retried 8 times");
    assert_eq!(count(engine, PROCESSED), 0, "never silently marked processed");
    let error: String =
        engine.db().conn().query_row("SELECT last_error FROM webhook_events", [], |r| r.get(0)).unwrap();
    assert!(error.starts_with("permanent: ") && error.contains("refused by a rule"), "{error}");
    let logged: String = engine
        .db()
        .conn()
        .query_row("SELECT data FROM events WHERE kind = 'webhook_quarantined'", [], |r| r.get(0))
        .unwrap();
    assert!(logged.contains("refused by a rule") && logged.contains("\"attempts\":1"), "{logged}");
    assert!(told(&mut events), "the owner is told");
    let q = engine.quarantined_deliveries().unwrap();
    assert_eq!(q.count, 1);
    assert_eq!(q.last_error.as_deref(), Some(error.as_str()));
    assert!(q.oldest_received_at.is_some());
    assert_eq!(q.recent[0].attempts, 1);
    // Rounds later it is still set aside, untouched.
    app.clock.advance(Duration::days(1));
    engine.process_webhooks().unwrap();
    assert_eq!(count(engine, "SELECT attempts FROM webhook_events"), 1);
}

#[test]
fn a_malformed_or_foreign_payload_is_processed_with_a_note_not_retried() {
    let app = spawn_app();
    let engine = &app.engine;
    let at = ts(app.clock.now());
    let conn = || engine.db().conn();
    webhook_events::store(&conn(), b"{\"object\": \"whatsapp_business_account\", \"entry\": 7}", true, &at)
        .unwrap();
    webhook_events::store(&conn(), b"{\"object\": \"page\", \"entry\": []}", true, &at).unwrap();
    assert_eq!(engine.process_webhooks().unwrap(), 2);
    assert_eq!(count(engine, PROCESSED), 2);
    assert_eq!(count(engine, QUARANTINED), 0);
    assert_eq!(count(engine, "SELECT count(*) FROM webhook_events WHERE outcome LIKE 'invalid: %'"), 1);
    assert_eq!(count(engine, "SELECT count(*) FROM webhook_events WHERE outcome LIKE 'ignored: %'"), 1);
    assert_eq!(count(engine, "SELECT coalesce(sum(attempts), 0) FROM webhook_events"), 0);
}

#[test]
fn a_transient_error_that_persists_is_quarantined_after_the_last_attempt_and_retry_applies_it() {
    let app = app_with_one_message("wamid.stuck2");
    let engine = &app.engine;
    let mut events = engine.events().subscribe();
    {
        let _fault = TransientFault::on(engine, app.dir.path());
        for round in 1..=MAX_ATTEMPTS {
            engine.process_webhooks().unwrap();
            let expected = if round < MAX_ATTEMPTS { 0 } else { 1 };
            assert_eq!(count(engine, QUARANTINED), expected, "after attempt {round}");
            app.clock.advance(Duration::days(1));
        }
    }
    assert!(told(&mut events));
    assert_eq!(count(engine, PROCESSED), 0);
    let q = engine.quarantined_deliveries().unwrap();
    assert_eq!((q.count, q.recent[0].attempts), (1, MAX_ATTEMPTS));
    assert!(!q.last_error.unwrap().starts_with("permanent"));
    // The owner's "Retry": back in line with its attempts from zero, logged; applied.
    assert_eq!(engine.retry_quarantined_deliveries().unwrap(), 1);
    assert_eq!(count(engine, "SELECT count(*) FROM events WHERE kind = 'webhooks_retried'"), 1);
    assert_eq!(count(engine, "SELECT attempts FROM webhook_events"), 0);
    assert_eq!(engine.quarantined_deliveries().unwrap().count, 0);
    assert_eq!(engine.process_webhooks().unwrap(), 1);
    assert_eq!(count(engine, INBOUND), 1);
    assert_eq!(engine.retry_quarantined_deliveries().unwrap(), 0, "nothing left to retry");
    assert_eq!(count(engine, "SELECT count(*) FROM events WHERE kind = 'webhooks_retried'"), 1);
}

#[test]
fn raw_bodies_are_pruned_after_their_retention_and_only_once_processed() {
    let app = spawn_app();
    let engine = &app.engine;
    engine.setting_set("whatsapp_phone_number_id", "1055500000000").unwrap();
    engine.setting_set("webhook_body_retention_days", "10").unwrap();
    let t0 = app.clock.now();
    let body =
        |wamid: &str| serde_json::to_vec(&text_from("5491155550000", "Ana", wamid, "Hola", t0)).unwrap();
    let store = |b: &[u8]| webhook_events::store(&engine.db().conn(), b, true, &ts(app.clock.now())).unwrap();
    // One processed now, one quarantined (a rule refuses it), one that arrives later.
    assert!(store(&body("wamid.old")));
    engine.process_webhooks().unwrap();
    engine
        .db()
        .conn()
        .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.wamid = 'wamid.bad' BEGIN SELECT RAISE(ABORT, 'no'); END;")
        .unwrap();
    assert!(store(&body("wamid.bad")));
    engine.process_webhooks().unwrap();
    assert_eq!(count(engine, QUARANTINED), 1);
    let bodies = "SELECT count(*) FROM webhook_events WHERE length(body) > 0";
    app.clock.advance(Duration::days(9));
    engine.try_housekeeping().unwrap();
    assert_eq!(count(engine, bodies), 2, "within the retention every body is kept");
    app.clock.advance(Duration::days(2));
    assert!(store(&body("wamid.new")), "a new delivery, not processed yet");
    engine.try_housekeeping().unwrap();
    assert_eq!(
        count(engine, bodies),
        2,
        "the processed one past 10 days lost its body; the others kept theirs"
    );
    let (pruned_id, outcome, pruned_at): (i64, String, Option<String>) = engine
        .db()
        .conn()
        .query_row("SELECT id, outcome, body_pruned_at FROM webhook_events WHERE length(body) = 0", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((pruned_id, outcome.as_str()), (1, "ok"), "the facts stay");
    assert!(pruned_at.is_some());
    assert_eq!(count(engine, "SELECT count(*) FROM webhook_events"), 3, "no row deleted");
    // Meta retrying the pruned delivery is still recognised as a repeat, not applied again.
    assert!(!store(&body("wamid.old")), "deduplicated by its hash");
    engine.process_webhooks().unwrap();
    assert_eq!(count(engine, "SELECT count(*) FROM messages WHERE wamid = 'wamid.old'"), 1);
    assert_eq!(count(engine, "SELECT count(*) FROM messages WHERE wamid = 'wamid.new'"), 1);
    assert_eq!(count(engine, QUARANTINED), 1, "the quarantined one waits with its body for a retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_stop_delivered_after_a_later_alta_does_not_opt_out_again() {
    let h = hooked().await;
    let t = h.shop.now();
    let out = "SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    // STOP at t-3, ALTA at t-2: delivered in order, the customer is in.
    let stop = text_from("5491150007777", "Flor", "wamid.S1", "STOP", t - Duration::minutes(3));
    assert_eq!(h.post_signed(&stop).await, 200);
    h.process();
    assert_eq!(h.count(out), 1);
    let alta = text_from("5491150007777", "Flor", "wamid.A1", "ALTA", t - Duration::minutes(2));
    assert_eq!(h.post_signed(&alta).await, 200);
    h.process();
    assert_eq!(h.count(out), 0);
    // A STOP said at t-2:30 (between the two) arrives only now: the later ALTA stands.
    let late = text_from("5491150007777", "Flor", "wamid.S2", "STOP", t - Duration::seconds(150));
    assert_eq!(h.post_signed(&late).await, 200);
    h.process();
    assert_eq!(h.count(out), 0, "a STOP said before the ALTA does not opt out again");
    // A STOP said after the ALTA does.
    let later = text_from("5491150007777", "Flor", "wamid.S3", "STOP", t - Duration::minutes(1));
    assert_eq!(h.post_signed(&later).await, 200);
    h.process();
    assert_eq!(h.count(out), 1, "a STOP said after the ALTA opts out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alta_delivered_before_an_earlier_stop_keeps_the_customer_in() {
    let h = hooked().await;
    let t = h.shop.now();
    let out = "SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL";
    // The customer said STOP at t-1 and ALTA at t; the ALTA is delivered first.
    let alta = text_from("5491150008888", "Gus", "wamid.A2", "ALTA", t);
    assert_eq!(h.post_signed(&alta).await, 200);
    h.process();
    let stop = text_from("5491150008888", "Gus", "wamid.S4", "STOP", t - Duration::minutes(1));
    assert_eq!(h.post_signed(&stop).await, 200);
    h.process();
    assert_eq!(h.count(out), 0, "their last word was ALTA");
    assert_eq!(h.count("SELECT count(*) FROM events WHERE kind = 'opted_out'"), 0);
}

#[test]
fn the_cli_lists_quarantined_deliveries_without_their_bodies_and_retries_them() {
    use crate::support::{recupero, text};
    let app = spawn_app();
    let engine = &app.engine;
    let at = ts(app.clock.now());
    let body = serde_json::to_vec(&text_from(
        "5491155550000",
        "Ana",
        "wamid.cli",
        "mi clave es 1234",
        app.clock.now(),
    ))
    .unwrap();
    webhook_events::store(&engine.db().conn(), &body, true, &at).unwrap();
    engine
        .db()
        .conn()
        .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END;")
        .unwrap();
    engine.process_webhooks().unwrap();
    let dir = app.dir.path();
    let out = recupero(dir, &["deliveries", "list"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(listed.contains("1 quarantined deliveries"), "{listed}");
    assert!(listed.contains("refused by a rule") && listed.contains(&at), "{listed}");
    assert!(!listed.contains("mi clave"), "never the body: {listed}");
    let out = recupero(dir, &["deliveries", "list", "--json"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["count"], 1);
    assert_eq!(json["recent"][0]["attempts"], 1);
    assert!(!text(&out.stdout).contains("mi clave"));
    // Retried while the cause is still there: set aside again, and the command says so.
    let out = recupero(dir, &["deliveries", "retry"], None);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("1 failed again"), "{}", text(&out.stdout));
    // With the cause gone, applied.
    engine.db().conn().execute_batch("DROP TRIGGER refuse;").unwrap();
    let out = recupero(dir, &["deliveries", "retry"], None);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("1 applied now"), "{}", text(&out.stdout));
    assert_eq!(count(engine, INBOUND), 1);
    assert_eq!(count(engine, "SELECT count(*) FROM events WHERE kind = 'webhooks_retried'"), 2);
    let out = recupero(dir, &["deliveries", "list"], None);
    assert!(text(&out.stdout).contains("No delivery is quarantined"), "{}", text(&out.stdout));
}
