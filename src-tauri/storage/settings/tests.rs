//! The owner's settings through the table: defaults, normalization, typed reads and what is
//! refused (moved from `config.rs` with the loading and storing).

use chrono::TimeZone;
use rusqlite::Connection;

use super::{set, value as get};
use crate::config::Settings;
use crate::storage;
use crate::storage::settings as table;

fn conn() -> Connection {
    let mut c = Connection::open_in_memory().unwrap();
    storage::migrations::migrate(&mut c).unwrap();
    c
}

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

#[test]
fn defaults_match_the_product_rules() {
    let s = Settings::load(&conn()).unwrap();
    assert_eq!(s.abandonment_delay_minutes, 15);
    assert_eq!(s.max_delay_minutes, 90);
    assert_eq!(s.max_cart_age_hours, 24);
    assert_eq!(s.followups, 0, "follow-ups are off by default");
    assert_eq!(s.per_customer_cap_days, 7);
    assert_eq!(s.holdout_percent, 10);
    assert_eq!(s.attribution_days, 7);
    assert!(!s.sending_paused);
}

#[test]
fn values_are_normalized_and_typed() {
    let c = conn();
    assert_eq!(set(&c, "timezone", " America/Bogota ", at()).unwrap(), "America/Bogota");
    assert_eq!(set(&c, "consent_only", "YES", at()).unwrap(), "true");
    set(&c, "business_hours", "MON-FRI 9:00-18:00;sat 10:00-13:00", at()).unwrap();
    let s = Settings::load(&c).unwrap();
    assert_eq!(s.timezone, chrono_tz::America::Bogota);
    assert!(s.consent_only);
    assert_eq!(s.business_hours.tz(), chrono_tz::America::Bogota, "hours follow the zone");
    // Saturday 2026-11-21 11:00 in Bogota (UTC-5) is open.
    assert!(s.business_hours.is_open(chrono::Utc.with_ymd_and_hms(2026, 11, 21, 16, 0, 0).unwrap()));
}

#[test]
fn unknown_key_lists_the_valid_ones() {
    let err = set(&conn(), "holdout", "10", at()).unwrap_err().to_string();
    assert!(err.contains("unknown setting 'holdout'"), "{err}");
    assert!(err.contains("holdout_percent") && err.contains("business_hours"), "{err}");
}

#[test]
fn malformed_values_are_rejected_with_what_is_valid() {
    let c = conn();
    for (key, bad, hint) in [
        ("timezone", "Mars/Olympus", "IANA"),
        ("followups", "3", "0 to 2"),
        ("holdout_percent", "-1", "0 to 50"),
        ("business_hours", "mon-fri 9-18", "example"),
        ("ui_language", "fr", "auto, es, pt, en"),
        ("consent_only", "maybe", "true or false"),
        ("default_country", "ZZ", "two-letter"),
        ("whatsapp_base_url", "http://graph.example.com", "https://"),
        ("whatsapp_api_version", "25", "v25.0"),
        ("whatsapp_phone_number_id", "12ab", "digits"),
        ("template_name", "Carrito Abandonado", "lower-case"),
        ("send_lease_seconds", "1", "2 to 600"),
    ] {
        let err = set(&c, key, bad, at()).unwrap_err().to_string();
        assert!(err.contains(hint), "{key}={bad}: {err}");
    }
    assert!(table::all(&c).unwrap().is_empty(), "nothing invalid is stored");
}

#[test]
fn a_hand_edited_invalid_value_falls_back_to_the_default() {
    let c = conn();
    table::put(&c, "followups", "seven", "2026-11-20T12:00:00.000Z").unwrap();
    assert_eq!(get(&c, "followups").unwrap(), "0");
    assert_eq!(Settings::load(&c).unwrap().followups, 0);
}
