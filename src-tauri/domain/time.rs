//! The app-wide reader of timestamps: what stores send and what storage keeps (RFC 3339 UTC
//! text, see `storage::ts`) become a UTC instant through one parser.
//!
//! Guarantees: every offset is applied, a timestamp without one is taken as UTC, and an
//! unreadable one is an error quoting at most 40 characters of it.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Reads the timestamps stores send: RFC 3339 (`2026-01-10T07:05:27-03:00`, `…Z`),
/// Tiendanube's `2021-05-12T19:08:06+0000`, and WooCommerce's `_gmt` fields with no offset
/// (taken as UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    Err(format!("unreadable timestamp {:?}", text.chars().take(40).collect::<String>()))
}

/// A timestamp that may be missing: absent or blank is `None`, anything else must parse.
pub fn optional_time(text: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse_time(t).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_in_every_shape_stores_send() {
        let utc = Utc.with_ymd_and_hms(2026, 1, 10, 10, 5, 0).unwrap();
        for text in [
            "2026-01-10T10:05:00Z",
            "2026-01-10T07:05:00-03:00",
            "2026-01-10T10:05:00+0000",
            "2026-01-10T07:05:00-0300",
            "2026-01-10T10:05:00",
            "2026-01-10 10:05:00",
            " 2026-01-10T10:05:00.000Z ",
        ] {
            assert_eq!(parse_time(text), Ok(utc), "{text}");
        }
        assert!(parse_time("10/01/2026").is_err());
        assert!(parse_time("").is_err());
        assert_eq!(optional_time(Some("  ")), Ok(None));
        assert_eq!(optional_time(None), Ok(None));
    }
}
