//! The time a Results figure covers: a half-open range `[from, to)` of UTC instants, and its
//! days and weeks in the shop's time zone (weeks start on Monday). Without bounds the range is
//! the last 30 days of the shop's calendar, today included, read from the engine's clock.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Days in the default range.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest range accepted (a daily series of ten years is already 3,650 rows).
pub const MAX_DAYS: i64 = 3_660;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Why a range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("the period must end after it starts ({from} is not before {to})")]
    Backwards { from: String, to: String },
    #[error("the period is longer than {MAX_DAYS} days; choose a shorter one")]
    TooLong,
}

/// The first instant of `date` in `tz`. Where midnight does not exist (a DST jump at 00:00, as
/// in Santiago or Asunción) the day starts at the first instant that does.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for minutes in (0..=180).step_by(15) {
        if let Some(t) = tz.from_local_datetime(&(midnight + Duration::minutes(minutes))).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    // No zone skips three hours; keep a sane answer anyway.
    Utc.from_utc_datetime(&midnight)
}

/// The shop's calendar date of an instant.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The Monday that starts the week of `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

impl Range {
    /// The range asked for, with defaults: `to` is the end of the shop's today; `from` is 30 shop
    /// days before `to`. Refuses an empty or backwards range and one over [`MAX_DAYS`].
    pub fn resolve(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<Range, RangeError> {
        let to = to.unwrap_or_else(|| start_of_day(tz, local_date(tz, now) + Duration::days(1)));
        let from = from.unwrap_or_else(|| {
            let last = local_date(tz, to - Duration::milliseconds(1));
            start_of_day(tz, last - Duration::days(DEFAULT_DAYS - 1))
        });
        if from >= to {
            return Err(RangeError::Backwards { from: crate::storage::ts(from), to: crate::storage::ts(to) });
        }
        if to - from > Duration::days(MAX_DAYS) {
            return Err(RangeError::TooLong);
        }
        Ok(Range { from, to })
    }

    /// Whole shop days from `from` to `to`, both included (`to` is the last day, not the day
    /// after), as a range.
    pub fn from_dates(from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Range, RangeError> {
        let end = start_of_day(tz, to + Duration::days(1));
        Range::resolve(Some(start_of_day(tz, from)), Some(end), end, tz)
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// Every shop date the range touches, in order.
    pub fn days(&self, tz: Tz) -> Vec<NaiveDate> {
        let first = local_date(tz, self.from);
        let last = local_date(tz, self.to - Duration::milliseconds(1));
        first.iter_days().take_while(|d| *d <= last).collect()
    }

    /// The Monday of every week the range touches, in order (the first may fall before `from`).
    pub fn weeks(&self, tz: Tz) -> Vec<NaiveDate> {
        let mut out: Vec<NaiveDate> = self.days(tz).into_iter().map(week_start).collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BA: Tz = chrono_tz::America::Argentina::Buenos_Aires;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_default_is_the_last_thirty_shop_days_today_included() {
        // 01:30 UTC on Sunday 22 Nov is still Saturday 21 Nov, 22:30, in Buenos Aires (UTC-3).
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 1, 30, 0).unwrap();
        let r = Range::resolve(None, None, now, BA).unwrap();
        assert_eq!(
            r.to,
            Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap(),
            "the end of the shop's Saturday"
        );
        assert_eq!(r.from, Utc.with_ymd_and_hms(2026, 10, 23, 3, 0, 0).unwrap());
        assert_eq!(r.days(BA).len(), 30);
        assert_eq!(r.days(BA).last(), Some(&date(2026, 11, 21)));
        assert!(r.contains(now));
    }

    #[test]
    fn weeks_start_on_monday_in_the_shop_zone() {
        let r = Range::from_dates(date(2026, 11, 1), date(2026, 11, 17), BA).unwrap();
        // 1 Nov 2026 is a Sunday: its week began on Monday 26 Oct.
        assert_eq!(
            r.weeks(BA),
            vec![date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
        );
        assert_eq!(r.days(BA).len(), 17, "both ends included");
    }

    #[test]
    fn a_day_without_midnight_starts_when_the_clock_resumes() {
        // Chile moved its clocks from 00:00 to 01:00 on 7 Sep 2025.
        let santiago: Tz = chrono_tz::America::Santiago;
        let start = start_of_day(santiago, date(2025, 9, 7));
        assert_eq!(start.with_timezone(&santiago).format("%H:%M").to_string(), "01:00");
        let r = Range::from_dates(date(2025, 9, 6), date(2025, 9, 8), santiago).unwrap();
        assert_eq!(r.days(santiago), vec![date(2025, 9, 6), date(2025, 9, 7), date(2025, 9, 8)]);
    }

    #[test]
    fn backwards_and_huge_ranges_are_refused() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert!(matches!(Range::resolve(Some(now), Some(now), now, BA), Err(RangeError::Backwards { .. })));
        assert!(Range::from_dates(date(2026, 11, 2), date(2026, 11, 1), BA).is_err(), "to before from");
        assert_eq!(Range::from_dates(date(2000, 1, 1), date(2026, 1, 1), BA), Err(RangeError::TooLong));
        assert!(Range::from_dates(date(2026, 11, 1), date(2026, 11, 1), BA).is_ok(), "one day is fine");
    }
}
