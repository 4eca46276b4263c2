//! The app-wide reader of timestamps: what stores send and what storage keeps (RFC 3339 UTC
//! text, see `storage::ts`) become a UTC instant through one parser.
//!
//! Guarantees: every offset is applied, a timestamp without one is taken as UTC, and an
//! unreadable one is an error quoting at most 40 characters of it. An instant outside the
//! years 2000..=2100 (`EARLIEST_YEAR`..=`LATEST_YEAR`) is refused too: no store, webhook or row
//! of ours is dated there, and refusing it at the door keeps every later date sum far from
//! chrono's limits (it would take a `+262143-…` year and overflow on the first addition).

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

/// The first year a timestamp may carry.
pub const EARLIEST_YEAR: i32 = 2000;
/// The last year a timestamp may carry.
pub const LATEST_YEAR: i32 = 2100;

/// Reads the timestamps stores send: RFC 3339 (`2026-01-10T07:05:27-03:00`, `…Z`),
/// Tiendanube's `2021-05-12T19:08:06+0000`, and WooCommerce's `_gmt` fields with no offset
/// (taken as UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let t = read_any(text)?;
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year()) {
        Ok(t)
    } else {
        Err(format!("timestamp out of range (years {EARLIEST_YEAR}..={LATEST_YEAR}) {:?}", quoted(text)))
    }
}

/// At most 40 characters of an outside text, for an error message.
fn quoted(text: &str) -> String {
    text.chars().take(40).collect()
}

fn read_any(text: &str) -> Result<DateTime<Utc>, String> {
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
    Err(format!("unreadable timestamp {:?}", quoted(text)))
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

    #[test]
    fn a_timestamp_outside_the_sane_years_is_refused() {
        for text in [
            "+262143-01-01T00:00:00Z",
            "-262143-01-01T00:00:00Z",
            "+262143-01-01T00:00:00+0000",
            "+262143-01-01 00:00:00",
            "9999-12-31T23:59:59Z",
            "1999-12-31T23:59:59Z",
            "2101-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(parse_time(text).is_err(), "{text}");
        }
        assert!(parse_time("2000-01-01T00:00:00Z").is_ok());
        assert!(parse_time("2100-12-31T23:59:59Z").is_ok());
    }
}
