//! BusinessHours: when a shop may message customers, as weekday ranges in its IANA time zone.
//!
//! Guarantees: answers are exact instants in UTC, correct across daylight-saving changes.
//! A local time that does not exist (spring-forward gap) means the first instant after the gap;
//! a local time that happens twice (fall-back) means the earlier one. So a range never shifts
//! or vanishes on a DST day: it only shrinks or grows by the hour the clocks moved, and one
//! wholly inside a gap is skipped that day. Ranges are `[start, end)` within one local day:
//! "22:00-02:00" is refused; write "22:00-24:00" and "00:00-02:00" on the next day. Closed dates
//! are local calendar dates. The human form is parsed and printed by `hours_spec.rs`.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead `next_open_instant` looks before concluding the shop never opens.
const MAX_SEARCH_DAYS: u64 = 400;
/// How far `closes_at` follows ranges that run into each other (e.g. a 24/7 shop).
const MAX_CLOSE_DAYS: u64 = 7;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// An opening range within one local day, in minutes after midnight: `start < end <= 1440`
/// (1440 is "24:00", the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// `None` unless `start < end <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Option<TimeRange> {
        (start_minute < end_minute && end_minute <= MINUTES_PER_DAY)
            .then_some(TimeRange { start: start_minute, end: end_minute })
    }

    pub fn start_minute(&self) -> u16 {
        self.start
    }

    pub fn end_minute(&self) -> u16 {
        self.end
    }
}

/// `"09:00-18:00"`; the end of the day prints as `24:00`.
pub(super) fn range_text(range: TimeRange) -> String {
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    format!("{}-{}", hm(range.start_minute()), hm(range.end_minute()))
}

/// Why business hours were refused; each names the offending token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("{0:?} is not an IANA time zone such as America/Argentina/Buenos_Aires")]
    UnknownTimeZone(String),
    #[error("{0:?} is not a day; use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri")]
    UnknownDay(String),
    #[error("{0:?} is not a time like 09:00 (00:00 to 24:00)")]
    BadTime(String),
    #[error("{0:?} crosses midnight; split it, e.g. fri 22:00-24:00; sat 00:00-02:00")]
    CrossesMidnight(String),
    #[error("{0:?} is empty: it must end after it starts")]
    EmptyRange(String),
    #[error("{0:?} overlaps another range on the same day")]
    Overlap(String),
    #[error("{0:?} has days but no time range like 09:00-18:00")]
    MissingTimes(String),
    #[error("{0:?} is not a date like 2026-12-25")]
    BadDate(String),
}

/// A shop's weekly opening ranges, in its time zone, with closed dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    tz: Tz,
    /// Index 0 is Monday. Each day's ranges are sorted, disjoint and not touching.
    weekly: [Vec<TimeRange>; 7],
    closed_dates: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// Builds hours from ranges per weekday (index 0 = Monday). Ranges that touch are merged;
    /// overlapping ranges are refused.
    pub fn new(tz: Tz, weekly: [Vec<TimeRange>; 7]) -> Result<BusinessHours, HoursError> {
        let mut normalised: [Vec<TimeRange>; 7] = Default::default();
        for (day, mut ranges) in weekly.into_iter().enumerate() {
            ranges.sort();
            for range in ranges {
                match normalised[day].last_mut() {
                    Some(last) if range.start < last.end => {
                        return Err(HoursError::Overlap(range_text(range)))
                    }
                    Some(last) if range.start == last.end => last.end = range.end,
                    _ => normalised[day].push(range),
                }
            }
        }
        Ok(BusinessHours { tz, weekly: normalised, closed_dates: BTreeSet::new() })
    }

    /// The same hours, also closed on these local dates (holidays, vacations).
    pub fn with_closed_dates(mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.closed_dates.extend(dates);
        self
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The ranges of a weekday, index 0 = Monday.
    pub fn ranges(&self, weekday: chrono::Weekday) -> &[TimeRange] {
        &self.weekly[weekday.num_days_from_monday() as usize]
    }

    pub fn closed_dates(&self) -> &BTreeSet<NaiveDate> {
        &self.closed_dates
    }

    /// Whether the shop is open at this instant.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.interval_containing(at).is_some()
    }

    /// `after` itself if open then, else the next opening. `None` if the shop does not open
    /// within 400 days (no ranges at all, or everything closed).
    pub fn next_open_instant(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.weekly.iter().all(Vec::is_empty) {
            return None;
        }
        let first = self.local_date(after)?.pred_opt()?;
        (0..=MAX_SEARCH_DAYS)
            .map_while(|days| first.checked_add_days(chrono::Days::new(days)))
            .flat_map(|date| self.intervals_on(date))
            .find(|(_, end)| *end > after)
            .map(|(start, _)| start.max(after))
    }

    /// If open at `at`, when the shop closes: the end of the current range, following ranges
    /// that continue it without a gap (up to a week ahead). `None` if closed at `at`.
    pub fn closes_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (_, mut end) = self.interval_containing(at)?;
        let first = self.local_date(at)?;
        let following = (0..=MAX_CLOSE_DAYS)
            .map_while(|days| first.checked_add_days(chrono::Days::new(days)))
            .flat_map(|date| self.intervals_on(date))
            .skip_while(|(start, _)| *start <= at);
        for (start, next_end) in following {
            if start > end {
                break;
            }
            end = end.max(next_end);
        }
        Some(end)
    }

    fn interval_containing(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let date = self.local_date(at)?;
        [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
            .flat_map(|d| self.intervals_on(d))
            .find(|(start, end)| *start <= at && at < *end)
    }

    /// The local calendar date of an instant; `None` far outside any real schedule (years
    /// before 1900 or after 9000), where chrono's local-time arithmetic could overflow.
    fn local_date(&self, at: DateTime<Utc>) -> Option<NaiveDate> {
        (1900..=9000).contains(&at.year()).then(|| at.with_timezone(&self.tz).date_naive())
    }

    /// The UTC intervals the shop is open on a local date, in order; empty when closed.
    fn intervals_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.closed_dates.contains(&date) {
            return Vec::new();
        }
        self.ranges(date.weekday())
            .iter()
            .filter_map(|range| {
                let start = self.instant(date, range.start)?;
                let end = self.instant(date, range.end)?;
                (start < end).then_some((start, end))
            })
            .collect()
    }

    /// The first instant at which the local wall clock reads `minute` on `date` or later:
    /// the earlier of two readings in a fall-back, the end of the gap in a spring-forward.
    fn instant(&self, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let midnight = date.and_hms_opt(0, 0, 0)?;
        let local = midnight.checked_add_signed(Duration::minutes(i64::from(minute)))?;
        // Gaps last an hour or less in practice; 48 hours bounds even historic day-skips.
        (0..=48 * 60).find_map(|step| {
            let candidate = local.checked_add_signed(Duration::minutes(step))?;
            self.earliest(candidate)
        })
    }

    fn earliest(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests;
