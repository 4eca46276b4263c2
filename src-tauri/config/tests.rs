//! The specs on their own, without a database: every default is a value its own check
//! accepts, keys are unique, and the checks say what is wrong with a typed error.

use std::collections::{BTreeMap, BTreeSet};

use super::values::{self, ValueError};
use super::{effective, spec, ConfigError, Settings, SPECS};

#[test]
fn every_default_passes_its_own_check() {
    for s in SPECS {
        let default = s.default_value();
        assert!(s.normalize(&default).is_ok(), "{}'s default {default:?} must be a valid value", s.key);
    }
}

#[test]
fn keys_are_unique() {
    let keys: BTreeSet<&str> = SPECS.iter().map(|s| s.key).collect();
    assert_eq!(keys.len(), SPECS.len(), "a key listed twice would shadow its twin");
}

#[test]
fn checks_fail_with_a_typed_error_whose_text_says_what_is_valid() {
    assert_eq!(values::int_in("3", 0, 2), Err(ValueError::OutOfRange { min: 0, max: 2 }));
    assert_eq!(values::boolean("maybe"), Err(ValueError::NotABool));
    assert_eq!(values::secret_word("short", 16), Err(ValueError::SecretWord { min: 16 }));
    let err = spec("followups").unwrap().normalize("3").unwrap_err();
    assert!(matches!(&err, ConfigError::InvalidValue { key, .. } if key == "followups"), "{err}");
    assert_eq!(err.to_string(), "invalid value for followups: expected a whole number from 0 to 2");
}

#[test]
fn nothing_stored_reads_as_the_defaults() {
    let values = effective(&BTreeMap::new());
    assert_eq!(values.len(), SPECS.len());
    let s = Settings::from_values(&values).unwrap();
    assert_eq!(s.followups, 0);
    assert_eq!(s.webhook_port, 8790);
    assert_eq!(s.webhook_body_retention_days, 30);
}

#[test]
fn the_raw_body_retention_is_a_number_of_days_from_1_to_3650() {
    let spec = spec("webhook_body_retention_days").unwrap();
    assert_eq!(spec.normalize(" 7 ").unwrap(), "7");
    for bad in ["0", "3651", "-1", "a month", ""] {
        assert!(spec.normalize(bad).is_err(), "{bad:?} is refused");
    }
}

#[test]
fn the_update_manifest_address_is_empty_by_default_and_https_only_except_on_loopback() {
    let spec = spec("update_manifest_url").unwrap();
    assert_eq!(spec.default_value(), "", "no address: the app never checks");
    assert_eq!(Settings::from_values(&effective(&BTreeMap::new())).unwrap().update_manifest_url, "");
    assert_eq!(spec.normalize(" ").unwrap(), "");
    assert_eq!(
        spec.normalize(" https://updates.example.com/recupero/latest.json ").unwrap(),
        "https://updates.example.com/recupero/latest.json"
    );
    assert_eq!(
        spec.normalize("http://127.0.0.1:8123/latest.json").unwrap(),
        "http://127.0.0.1:8123/latest.json"
    );
    assert_eq!(
        spec.normalize("http://localhost:8123/latest.json").unwrap(),
        "http://localhost:8123/latest.json"
    );
    for bad in [
        "http://updates.example.com/latest.json",
        "ftp://example.com/latest.json",
        "latest.json",
        "file:///tmp/x",
    ] {
        let err = spec.normalize(bad).unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidValue { key, .. } if key == "update_manifest_url"),
            "{bad:?}: {err}"
        );
    }
}
