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
                        return Err(HoursError::Overlap(super::hours_spec::range_text(range)))
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
mod tests {
    use super::*;
    use chrono::{LocalResult, Weekday};
    use chrono_tz::{America, Europe};
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn hours(spec: &str, tz: &str) -> BusinessHours {
        BusinessHours::parse(spec, tz).unwrap()
    }

    const BA: &str = "America/Argentina/Buenos_Aires";

    #[test]
    fn cart_abandoned_friday_night_with_closed_weekend_waits_for_monday_opening() {
        let shop = hours("mon-fri 09:00-18:00", BA);
        // Friday 2026-03-06 23:40 in Buenos Aires (UTC-3).
        let friday_night = utc(2026, 3, 7, 2, 40);
        assert!(!shop.is_open(friday_night));
        assert_eq!(shop.next_open_instant(friday_night), Some(utc(2026, 3, 9, 12, 0)), "Monday 09:00 local");
    }

    #[test]
    fn an_instant_inside_hours_is_its_own_next_opening() {
        let shop = hours("mon-fri 09:00-18:00", BA);
        let wednesday_ten = utc(2026, 3, 4, 13, 0);
        assert!(shop.is_open(wednesday_ten));
        assert_eq!(shop.next_open_instant(wednesday_ten), Some(wednesday_ten));
        assert_eq!(shop.closes_at(wednesday_ten), Some(utc(2026, 3, 4, 21, 0)));
        assert!(shop.is_open(utc(2026, 3, 4, 12, 0)), "opening minute is inside");
        assert!(!shop.is_open(utc(2026, 3, 4, 21, 0)), "closing minute is outside");
    }

    #[test]
    fn closed_date_is_skipped() {
        let shop = hours("mon-fri 09:00-18:00; closed 2026-03-09", BA);
        assert_eq!(
            shop.next_open_instant(utc(2026, 3, 7, 2, 40)),
            Some(utc(2026, 3, 10, 12, 0)),
            "Monday is a holiday, so Tuesday 09:00"
        );
        assert!(!shop.is_open(utc(2026, 3, 9, 15, 0)));
    }

    #[test]
    fn lunch_break_closes_and_reopens() {
        let shop = hours("mon-fri 09:00-13:00,14:00-18:00", BA);
        let lunch = utc(2026, 3, 4, 16, 30);
        assert!(!shop.is_open(lunch));
        assert_eq!(shop.closes_at(lunch), None);
        assert_eq!(shop.next_open_instant(lunch), Some(utc(2026, 3, 4, 17, 0)));
        assert_eq!(shop.closes_at(utc(2026, 3, 4, 13, 0)), Some(utc(2026, 3, 4, 16, 0)));
    }

    #[test]
    fn santiago_2026_clock_changes_are_where_the_tz_database_says() {
        let gap = America::Santiago.with_ymd_and_hms(2026, 9, 6, 0, 30, 0);
        assert_eq!(gap, LocalResult::None, "spring forward 00:00 -> 01:00 on 6 Sept");
        let repeat = America::Santiago.with_ymd_and_hms(2026, 4, 4, 23, 30, 0);
        assert!(matches!(repeat, LocalResult::Ambiguous(..)), "fall back 00:00 -> 23:00 on 5 April");
    }

    #[test]
    fn shop_opening_at_midnight_on_santiago_spring_forward_opens_after_the_gap() {
        let shop = hours("sun 00:00-12:00", "America/Santiago");
        // Saturday 2026-09-05 22:00 at UTC-4.
        let saturday_night = utc(2026, 9, 6, 2, 0);
        assert_eq!(
            shop.next_open_instant(saturday_night),
            Some(utc(2026, 9, 6, 4, 0)),
            "00:00 does not exist; the first instant after the gap is 01:00 at UTC-3"
        );
        assert!(!shop.is_open(utc(2026, 9, 6, 3, 59)));
        assert_eq!(shop.closes_at(utc(2026, 9, 6, 4, 0)), Some(utc(2026, 9, 6, 15, 0)));
    }

    #[test]
    fn santiago_fall_back_opens_at_the_first_of_two_readings() {
        let shop = hours("sat 23:30-24:00", "America/Santiago");
        let open = shop.next_open_instant(utc(2026, 4, 4, 12, 0));
        assert_eq!(open, Some(utc(2026, 4, 5, 2, 30)), "first 23:30, at UTC-3");
        assert!(shop.is_open(utc(2026, 4, 5, 3, 45)), "the repeated 23:45 is still open");
        assert_eq!(shop.closes_at(utc(2026, 4, 5, 2, 30)), Some(utc(2026, 4, 5, 4, 0)));
    }

    #[test]
    fn contiguous_ranges_across_midnight_close_at_the_end_of_the_run() {
        let shop = hours("sat 20:00-24:00; sun 00:00-12:00", "America/Santiago");
        assert_eq!(
            shop.closes_at(utc(2026, 9, 6, 1, 0)),
            Some(utc(2026, 9, 6, 15, 0)),
            "Saturday evening runs into Sunday even across the DST gap"
        );
    }

    #[test]
    fn sao_paulo_2018_spring_forward_opens_after_the_gap() {
        let shop = hours("sun 00:00-12:00; mon-sun 13:00-18:00", "America/Sao_Paulo");
        assert_eq!(
            shop.next_open_instant(utc(2018, 11, 4, 2, 0)),
            Some(utc(2018, 11, 4, 3, 0)),
            "01:00 at UTC-2"
        );
        assert_eq!(
            shop.next_open_instant(utc(2018, 11, 3, 15, 0)),
            Some(utc(2018, 11, 3, 16, 0)),
            "the day before, 13:00 is still UTC-3"
        );
        assert_eq!(
            shop.next_open_instant(utc(2018, 11, 4, 14, 30)),
            Some(utc(2018, 11, 4, 15, 0)),
            "after the change, 13:00 is UTC-2"
        );
    }

    #[test]
    fn sao_paulo_2019_fall_back_gives_the_repeated_hour_to_the_earlier_reading() {
        let shop = hours("sat 23:00-24:00; sun 09:00-18:00", "America/Sao_Paulo");
        let saturday_noon = utc(2019, 2, 16, 15, 0);
        assert_eq!(shop.next_open_instant(saturday_noon), Some(utc(2019, 2, 17, 1, 0)));
        assert_eq!(shop.closes_at(utc(2019, 2, 17, 1, 0)), Some(utc(2019, 2, 17, 3, 0)));
        assert_eq!(
            shop.next_open_instant(utc(2019, 2, 17, 3, 0)),
            Some(utc(2019, 2, 17, 12, 0)),
            "Sunday 09:00 at UTC-3"
        );
    }

    #[test]
    fn madrid_2026_gap_shortens_a_range_and_drops_one_inside_it() {
        let shop = hours("sun 02:30-05:00", "Europe/Madrid");
        assert_eq!(
            shop.next_open_instant(utc(2026, 3, 28, 12, 0)),
            Some(utc(2026, 3, 29, 1, 0)),
            "02:30 does not exist on 29 March; open at 03:00 CEST"
        );
        let inside_gap = hours("sun 02:00-02:30", "Europe/Madrid");
        assert_eq!(
            inside_gap.next_open_instant(utc(2026, 3, 28, 12, 0)),
            Some(utc(2026, 4, 5, 0, 0)),
            "a range wholly inside the gap is skipped that day"
        );
    }

    #[test]
    fn madrid_2026_fall_back_opens_at_the_first_reading() {
        let shop = hours("sun 02:30-05:00", "Europe/Madrid");
        let opening = shop.next_open_instant(utc(2026, 10, 24, 12, 0));
        assert_eq!(opening, Some(utc(2026, 10, 25, 0, 30)), "02:30 CEST");
        assert_eq!(shop.closes_at(utc(2026, 10, 25, 0, 30)), Some(utc(2026, 10, 25, 4, 0)));
        assert_eq!(Europe::Madrid, shop.tz());
    }

    #[test]
    fn mexico_city_follows_dst_before_2022_and_not_after() {
        let shop = hours("sun 02:00-04:00; mon-fri 09:00-18:00", "America/Mexico_City");
        assert_eq!(
            shop.next_open_instant(utc(2022, 4, 2, 12, 0)),
            Some(utc(2022, 4, 3, 8, 0)),
            "3 April 2022 skipped 02:00-03:00: open at 03:00 CDT"
        );
        assert_eq!(
            shop.next_open_instant(utc(2022, 7, 4, 12, 0)),
            Some(utc(2022, 7, 4, 14, 0)),
            "July 2022: 09:00 CDT is UTC-5"
        );
        assert_eq!(
            shop.next_open_instant(utc(2023, 4, 1, 12, 0)),
            Some(utc(2023, 4, 2, 8, 0)),
            "2 April 2023: no gap any more, 02:00 CST"
        );
        assert_eq!(
            shop.next_open_instant(utc(2023, 7, 3, 12, 0)),
            Some(utc(2023, 7, 3, 15, 0)),
            "July 2023: 09:00 is UTC-6 all year"
        );
    }

    #[test]
    fn a_shop_with_no_ranges_never_opens() {
        let shop = hours("", BA);
        let t = utc(2026, 3, 4, 13, 0);
        assert!(!shop.is_open(t));
        assert_eq!(shop.next_open_instant(t), None);
        assert_eq!(shop.closes_at(t), None);
    }

    #[test]
    fn search_gives_up_after_400_closed_days() {
        let start = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let closed = (0..410).map(|d| start + chrono::Days::new(d));
        let shop = hours("mon-sun 09:00-18:00", BA).with_closed_dates(closed);
        assert_eq!(shop.next_open_instant(utc(2026, 3, 2, 0, 0)), None);
    }

    #[test]
    fn a_shop_open_around_the_clock_closes_at_most_a_week_ahead() {
        let shop = hours("mon-sun 00:00-24:00", BA);
        let t = utc(2026, 3, 4, 13, 0);
        let closes = shop.closes_at(t).unwrap();
        assert!(closes > t + Duration::days(6) && closes <= t + Duration::days(9));
    }

    #[test]
    fn extreme_instants_are_answered_without_panicking() {
        let shop = hours("mon-sun 00:00-24:00", "Pacific/Kiritimati");
        assert!(!shop.is_open(DateTime::<Utc>::MAX_UTC));
        assert_eq!(shop.next_open_instant(DateTime::<Utc>::MIN_UTC), None);
        assert_eq!(shop.closes_at(DateTime::<Utc>::MAX_UTC), None);
    }

    const ZONES: [Tz; 7] = [
        America::Santiago,
        America::Sao_Paulo,
        Europe::Madrid,
        America::Mexico_City,
        America::Argentina::Buenos_Aires,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kathmandu,
    ];

    fn arb_shop() -> impl Strategy<Value = BusinessHours> {
        let day = proptest::collection::btree_set(0u16..=1440, 0..5).prop_map(|cuts| {
            let cuts: Vec<u16> = cuts.into_iter().collect();
            cuts.chunks_exact(2).filter_map(|pair| TimeRange::new(pair[0], pair[1])).collect::<Vec<_>>()
        });
        (0..ZONES.len(), proptest::array::uniform7(day))
            .prop_map(|(zone, weekly)| BusinessHours::new(ZONES[zone], weekly).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn next_opening_is_open_and_nothing_before_it_is(
            shop in arb_shop(),
            seconds in 1_420_070_400i64..2_051_222_400, // 2015..2035
            closed_offsets in proptest::collection::vec(0u64..30, 0..3),
        ) {
            let t = DateTime::from_timestamp(seconds, 0).unwrap();
            let today = t.with_timezone(&shop.tz()).date_naive();
            let shop = shop.with_closed_dates(closed_offsets.iter().map(|d| today + chrono::Days::new(*d)));
            let has_ranges = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
                .iter().any(|d| !shop.ranges(*d).is_empty());
            match shop.next_open_instant(t) {
                None => prop_assert!(!has_ranges, "a shop with ranges opens within 400 days"),
                Some(next) => {
                    prop_assert!(next >= t);
                    prop_assert!(shop.is_open(next), "{next} must be open");
                    prop_assert_eq!(shop.is_open(t), next == t);
                    let closes = shop.closes_at(next);
                    prop_assert!(closes.is_some_and(|c| c > next));
                    let gap_minutes = (next - t).num_minutes();
                    for k in 1..=12i64 {
                        let probe = t + Duration::minutes(gap_minutes * k / 13);
                        prop_assert!(probe >= next || !shop.is_open(probe), "{probe} is before {next} but open");
                    }
                    let just_before = next - Duration::minutes(1);
                    prop_assert!(just_before < t || !shop.is_open(just_before));
                }
            }
        }
    }
}
