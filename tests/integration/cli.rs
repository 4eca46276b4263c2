//! The command line, run as a real process: settings, status, export, and the subcommands that
//! are not ready yet saying so.

use crate::support::{recupero, text};

#[test]
fn config_set_then_get_and_show_lists_every_knob() {
    let dir = tempfile::tempdir().unwrap();
    let out = recupero(dir.path(), &["config", "set", "timezone", "America/Bogota"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = recupero(
        dir.path(),
        &["config", "set", "business_hours", "mon-fri 09:00-18:00; sat 10:00-13:00"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = recupero(dir.path(), &["config", "get", "timezone"], None);
    assert_eq!(text(&out.stdout).trim(), "America/Bogota");
    let out = recupero(dir.path(), &["config", "show", "--json"], None);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("config show --json is JSON");
    let keys: Vec<&str> = all.as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    for key in [
        "timezone",
        "business_hours",
        "abandonment_delay_minutes",
        "max_delay_minutes",
        "holdout_percent",
        "followups",
        "per_customer_cap_days",
        "consent_only",
        "sending_paused",
    ] {
        assert!(keys.contains(&key), "config show must list {key}: {keys:?}");
    }
    let hours = all.as_array().unwrap().iter().find(|s| s["key"] == "business_hours").unwrap();
    assert_eq!(hours["value"], "mon-fri 09:00-18:00; sat 10:00-13:00");
}

#[test]
fn config_rejects_unknown_keys_and_bad_values_with_what_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let out = recupero(dir.path(), &["config", "set", "colour", "blue"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("unknown setting 'colour'") && err.contains("holdout_percent"), "{err}");
    let out = recupero(dir.path(), &["config", "set", "holdout_percent", "80"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("0 to 50"), "{}", text(&out.stderr));
}

#[test]
fn status_json_reports_counts_and_pause() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recupero(dir.path(), &["config", "set", "sending_paused", "true"], None).status.success());
    let out = recupero(dir.path(), &["status", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["paused"], true, "{s}");
    assert_eq!(s["counts"]["carts"], 0);
    assert_eq!(s["dataDir"], dir.path().display().to_string());
}

/// A fresh install (WhatsApp not set up) has nothing to warn about; once a phone number id is
/// saved without the app secret, every delivery would be refused: that is the warning.
#[test]
fn status_warns_of_the_missing_app_secret_only_once_whatsapp_is_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let signatures = |dir: &std::path::Path| {
        let out = recupero(dir, &["status", "--json"], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        s["webhookSignatures"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(signatures(dir.path()), "not_set_up");
    let set = recupero(dir.path(), &["config", "set", "whatsapp_phone_number_id", "106540352242922"], None);
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert_eq!(signatures(dir.path()), "no_secret");
}

#[test]
fn export_writes_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    for kind in ["carts", "sends", "messages", "contacts"] {
        let out = recupero(dir.path(), &["export", kind, "--format", "json"], None);
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v.is_array(), "{kind} export is a JSON array");
        let out = recupero(dir.path(), &["export", kind, "--format", "csv"], None);
        assert!(out.status.success());
        assert!(text(&out.stdout).starts_with("id,"), "{kind} csv has a header: {}", text(&out.stdout));
    }
}

#[test]
fn help_lists_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let help = recupero(dir.path(), &["--help"], None);
    for sub in ["serve", "config", "secret", "status", "export", "demo", "store", "sandbox"] {
        assert!(text(&help.stdout).contains(sub), "--help lists {sub}");
    }
}

#[test]
fn the_demo_runs_the_real_engine_and_the_export_shows_the_same_sends() {
    let dir = tempfile::tempdir().unwrap();
    let hours = "mon-fri 09:00-18:00; sat 10:00-13:00";
    for (k, v) in [("timezone", "America/Bogota"), ("business_hours", hours), ("default_country", "CO")] {
        assert!(recupero(dir.path(), &["config", "set", k, v], None).status.success());
    }
    // From a Monday 08:00 in Bogota, so the run is the same every time.
    let out = recupero(
        dir.path(),
        &["demo", "--json", "--days", "2", "--start", "2026-11-23T08:00:00-05:00"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let n = |k: &str| report[k].as_i64().unwrap_or_else(|| panic!("{k} in {report}"));
    assert_eq!(report["timezone"], "America/Bogota", "the data directory's settings apply");
    assert!(n("detected") > 20, "{report}");
    assert!(n("sent") > 10, "{report}");
    assert!(n("planned") >= n("detected"));
    assert_eq!(n("sent_outside_hours"), 0, "{report}");
    assert_eq!(n("duplicates"), 0, "{report}");
    assert!(n("holdout") > 0, "{report}");
    assert!(report["skipped"]["holdout"].as_i64().unwrap_or(0) > 0, "holdout carts are skipped: {report}");
    assert!(n("recovered") > 0, "{report}");
    // Customers' answers: questions get drafts from the shop facts, a complaint escalates with
    // a notification, STOP opts out with one confirmation.
    let drafts = report["drafts"].as_object().unwrap();
    assert!(drafts.get("facts pending").and_then(|v| v.as_i64()).unwrap_or(0) > 0, "{report}");
    let escalated: i64 = report["escalations"].as_object().unwrap().values().filter_map(|v| v.as_i64()).sum();
    assert!(escalated > 0, "{report}");
    assert_eq!(n("escalation_notifications"), escalated, "each escalation notifies once: {report}");
    assert!(n("opted_out") > 0, "{report}");
    assert_eq!(n("opt_out_confirmations"), n("opted_out"), "one confirmation per opt-out: {report}");
    // The same sends, afterwards, from the demo's own folder in that data directory.
    let demo_dir = dir.path().join("demo");
    assert!(text(&out.stdout).contains(&*demo_dir.display().to_string()), "the report says where");
    let out = recupero(&demo_dir, &["export", "sends", "--format", "json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sends: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sends.len() as i64, n("planned"));
    let business = recupero::domain::BusinessHours::parse(hours, "America/Bogota").unwrap();
    let mut sent = 0;
    for s in &sends {
        assert!(s["cartId"].is_i64() && s["step"].is_i64() && s["plannedAt"].is_string(), "{s}");
        if s["state"] == "sent" {
            sent += 1;
            let at = s["sentAt"].as_str().unwrap();
            assert!(at.ends_with('Z'), "UTC: {at}");
            let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&chrono::Utc);
            assert!(business.is_open(at), "sent inside hours: {at}");
        }
        if s["state"] == "skipped" {
            assert!(s["skipReason"].is_string(), "{s}");
        }
    }
    assert_eq!(sent, n("sent"));
    // Running it again starts over (the settings stay).
    let again = recupero(dir.path(), &["demo", "--days", "1"], None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("America/Bogota"), "{}", text(&again.stdout));
    let export = format!("--data-dir {}", demo_dir.display());
    assert!(text(&again.stdout).contains(&export), "the summary says where: {}", text(&again.stdout));
}

/// A real shop's store (never polled here).
fn real_store() -> recupero::stores::StoreInput {
    recupero::stores::StoreInput {
        platform: "tiendanube".into(),
        base_url: "https://api.tiendanube.com".into(),
        name: Some("Mi tienda".into()),
        store_id: Some("123".into()),
        token: Some(recupero::secrets::Sensitive::new("t0ken".into())),
        ..Default::default()
    }
}

/// The demo only ever deletes its own data: a real shop's database found in the demo's folder
/// (someone ran the app with `--data-dir <dir>/demo`) is refused and left as it was.
#[test]
fn the_demo_refuses_a_data_directory_with_a_real_store() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(recupero::clock::TestClock::at(crate::support::shop_morning()));
    let engine = crate::support::engine_on(&dir.path().join("demo"), clock);
    engine.connect_store(&real_store()).unwrap();
    let out = recupero(dir.path(), &["demo"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("real store connected (Mi tienda)"), "{}", text(&out.stderr));
    assert_eq!(engine.list_stores().unwrap().len(), 1, "nothing was touched");
}

/// `recupero demo` on the owner's own data directory, set up as a shop is (WhatsApp's number and
/// template, its zone; a store connected or not), works beside it in `demo/`: the owner's
/// database file is byte for byte the same afterwards, with the same settings and rows, while
/// the owner's settings still shape the demo and its data is under `<data dir>/demo/`.
#[test]
fn the_demo_never_touches_the_owners_database_or_settings() {
    use std::sync::Arc;
    for with_store in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("recupero.sqlite3");
        let owner = [
            ("whatsapp_phone_number_id", "1055500000000"),
            ("template_name", "mi_plantilla"),
            ("timezone", "America/Bogota"),
            ("default_country", "CO"),
        ];
        let snapshot = |engine: &recupero::engine::Engine| {
            let settings: Vec<String> = owner.iter().map(|(k, _)| engine.setting_get(k).unwrap()).collect();
            let stores: Vec<String> = engine.list_stores().unwrap().into_iter().map(|s| s.name).collect();
            let counts = engine.status().unwrap().counts;
            (settings, stores, counts.carts, counts.pending_sends, counts.conversations)
        };
        let before = {
            let clock = Arc::new(recupero::clock::TestClock::at(crate::support::shop_morning()));
            let engine = crate::support::engine_on(dir.path(), clock);
            for (k, v) in owner {
                engine.setting_set(k, v).unwrap();
            }
            if with_store {
                engine.connect_store(&real_store()).unwrap();
            }
            engine.db().checkpoint().unwrap();
            snapshot(&engine)
        };
        let bytes = std::fs::read(&db).unwrap();

        let out = recupero(
            dir.path(),
            &["demo", "--json", "--days", "1", "--start", "2026-11-23T08:00:00-05:00"],
            None,
        );
        assert!(out.status.success(), "with_store={with_store}: {}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(report["timezone"], "America/Bogota", "the owner's settings shape the demo");
        assert!(report["sent"].as_i64().unwrap() > 0, "{report}");

        assert!(
            std::fs::read(&db).unwrap() == bytes,
            "the owner's database file is untouched (store: {with_store})"
        );
        let clock = Arc::new(recupero::clock::TestClock::at(crate::support::shop_morning()));
        let engine = crate::support::engine_on(dir.path(), clock.clone());
        assert_eq!(snapshot(&engine), before, "the owner's settings and rows are as they were");
        drop(engine);
        let demo_dir = dir.path().join("demo");
        assert_eq!(report["data_dir"], demo_dir.display().to_string(), "{report}");
        let demo = crate::support::engine_on(&demo_dir, clock);
        assert_eq!(demo.setting_get("template_name").unwrap(), recupero::sandbox::whatsapp::TEMPLATE);
        assert_eq!(demo.list_stores().unwrap()[0].name, recupero::engine::DEMO_STORE);
        assert!(demo.status().unwrap().counts.carts > 0, "the demo's carts are in its own database");
    }
}

#[test]
fn a_corrupt_database_stops_with_a_clear_message_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("recupero.sqlite3");
    std::fs::write(&db, b"not a database at all").unwrap();
    let out = recupero(dir.path(), &["status"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("not a readable Recupero database") && err.contains("left untouched"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), b"not a database at all");
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(recupero(dir.path(), &["status"], None).status.success());
    let db = dir.path().join("recupero.sqlite3");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", 42).unwrap();
    }
    let out = recupero(dir.path(), &["status"], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("newer version of Recupero"), "{}", text(&out.stderr));
    let c = rusqlite::Connection::open(&db).unwrap();
    let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42, "never migrated down");
}

#[test]
fn secret_names_are_checked_and_values_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let out = recupero(dir.path(), &["secret", "set", "whatsap_token"], Some("abc\n"));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("whatsapp_token"), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("abc"));
}

#[test]
fn serve_runs_until_interrupted() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = crate::support::spawn_serve(dir.path(), &[], Stdio::piped());
    // Wait until the database exists: the engine is up.
    let db = dir.path().join("recupero.sqlite3");
    for _ in 0..100 {
        if db.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "serve keeps running");
    // SIGINT, as Ctrl-C would.
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "serve stops cleanly on Ctrl-C: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopping"));
}
