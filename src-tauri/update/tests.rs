//! The update key's shape, the daily schedule and why updates are off, without any network.

use base64::Engine as _;
use chrono::{TimeZone, Utc};

use super::*;

/// A public key in Tauri's format: base64 of minisign's two-line `.pub` text. Only a public
/// half (made of arbitrary bytes): no signature could ever verify against it.
fn public_key(raw: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let text = format!("untrusted comment: minisign public key: 0102030405060708\n{}\n", b64.encode(raw));
    b64.encode(text)
}

fn ed_key() -> Vec<u8> {
    let mut raw = b"Ed".to_vec();
    raw.extend(1..=40u8);
    raw
}

#[test]
fn a_key_in_tauris_format_is_accepted_and_mangled_ones_are_not() {
    let key = public_key(&ed_key());
    assert!(key_is_well_formed(&key));
    assert_eq!(usable_key(Some(&format!("  {key}\n"))), Some(key.as_str()));
    // The .pub text itself rather than its base64, a short key, another algorithm, a path.
    let b64 = base64::engine::general_purpose::STANDARD;
    let plain = String::from_utf8(b64.decode(&key).unwrap()).unwrap();
    let mut short = ed_key();
    short.pop();
    let mut other = ed_key();
    other[1] = b'X';
    for bad in
        [plain.as_str(), &public_key(&short), &public_key(&other), "/home/ana/updater.key.pub", "", "  "]
    {
        assert!(usable_key(Some(bad)).is_none(), "{bad:?} is not a usable key");
    }
    assert!(usable_key(None).is_none());
}

#[test]
fn the_check_runs_at_start_then_once_a_day_on_the_clock_it_is_given() {
    let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    assert!(check_due(None, t0), "the first chance after the app starts");
    assert!(!check_due(Some(t0), t0 + Duration::hours(23) + Duration::minutes(59)));
    assert!(check_due(Some(t0), t0 + Duration::hours(24)));
    assert!(check_due(Some(t0), t0 - Duration::minutes(1)), "a clock set back does not stop the checks");
}

#[test]
fn updates_are_off_without_a_key_whatever_the_address_then_without_an_address() {
    assert_eq!(off_reason(None, "https://updates.example.com/latest.json"), Some(State::NoKey));
    assert_eq!(off_reason(None, ""), Some(State::NoKey));
    assert_eq!(off_reason(Some("k"), " "), Some(State::NoAddress));
    assert_eq!(off_reason(Some("k"), "https://updates.example.com/latest.json"), None);
}

#[test]
fn a_failed_status_carries_its_problem_and_detail_as_the_ui_reads_them() {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let s = Status::failed("0.1.0", Some(at), Problem::BadSignature, "signature mismatch".into());
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["state"], "failed");
    assert_eq!(json["problem"], "bad_signature");
    assert_eq!(json["currentVersion"], "0.1.0");
    assert_eq!(json["checkedAt"], "2026-12-01T09:00:00+00:00");
    assert_eq!(json["version"], serde_json::Value::Null);
}
