//! The human form of [`BusinessHours`]: `"mon-fri 09:00-13:00,14:00-18:00; sat 10:00-13:00;
//! closed 2026-12-25, 2027-01-01"`.
//!
//! Guarantees: `Display` prints one canonical form (consecutive days with the same ranges
//! grouped, times as `HH:MM`, dates sorted) that parses back to an equal value. Parsing is
//! forgiving about case and spaces, strict about everything else, and each error names the
//! token at fault. Day names are English three-letter abbreviations; a day range may wrap
//! (`fri-mon`). An empty string means a shop that is never open.

use std::fmt;

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::hours::{range_text, BusinessHours, HoursError, TimeRange};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

impl BusinessHours {
    /// Parses the human form in an IANA time zone such as `"America/Argentina/Buenos_Aires"`.
    pub fn parse(spec: &str, time_zone: &str) -> Result<BusinessHours, HoursError> {
        let tz: Tz = time_zone.trim().parse().map_err(|_| HoursError::UnknownTimeZone(excerpt(time_zone)))?;
        let mut weekly: [Vec<TimeRange>; 7] = Default::default();
        let mut closed = Vec::new();
        for clause in spec.split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let lower = clause.to_ascii_lowercase();
            if let Some(dates) = lower.strip_prefix("closed") {
                closed.extend(parse_dates(dates)?);
                continue;
            }
            // Days come before the first digit, time ranges from it on.
            let split = clause
                .find(|c: char| c.is_ascii_digit())
                .ok_or_else(|| HoursError::MissingTimes(excerpt(clause)))?;
            let (days, times) = clause.split_at(split);
            if days.trim().is_empty() {
                return Err(HoursError::UnknownDay(excerpt(clause)));
            }
            let days = parse_days(days)?;
            let ranges = parse_ranges(times)?;
            for day in days {
                weekly[day].extend(ranges.iter().copied());
            }
        }
        Ok(BusinessHours::new(tz, weekly)?.with_closed_dates(closed))
    }
}

impl fmt::Display for BusinessHours {
    /// The canonical human form, without the time zone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clauses = Vec::new();
        let weekdays: Vec<&[TimeRange]> = WEEKDAYS.iter().map(|day| self.ranges(*day)).collect();
        let mut first = 0;
        while first < weekdays.len() {
            let mut last = first;
            while last + 1 < weekdays.len() && weekdays[last + 1] == weekdays[first] {
                last += 1;
            }
            if !weekdays[first].is_empty() {
                let days = if first == last {
                    DAYS[first].to_owned()
                } else {
                    format!("{}-{}", DAYS[first], DAYS[last])
                };
                let ranges: Vec<String> = weekdays[first].iter().map(|r| range_text(*r)).collect();
                clauses.push(format!("{days} {}", ranges.join(",")));
            }
            first = last + 1;
        }
        if !self.closed_dates().is_empty() {
            let dates: Vec<String> = self.closed_dates().iter().map(|d| d.to_string()).collect();
            clauses.push(format!("closed {}", dates.join(", ")));
        }
        f.write_str(&clauses.join("; "))
    }
}

/// Stored as `{"time_zone": "America/Santiago", "hours": "<the human form>"}`.
#[derive(Serialize, Deserialize)]
struct HoursRepr {
    time_zone: String,
    hours: String,
}

impl Serialize for BusinessHours {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = HoursRepr { time_zone: self.tz().name().to_owned(), hours: self.to_string() };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BusinessHours {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = HoursRepr::deserialize(deserializer)?;
        BusinessHours::parse(&repr.hours, &repr.time_zone).map_err(serde::de::Error::custom)
    }
}

/// `"mon-fri, sun"` → day indexes (0 = Monday).
fn parse_days(text: &str) -> Result<Vec<usize>, HoursError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(HoursError::UnknownDay(excerpt(text)));
    }
    let mut days = Vec::new();
    for item in compact.split(',') {
        let day = |name: &str| {
            DAYS.iter()
                .position(|d| d.eq_ignore_ascii_case(name))
                .ok_or_else(|| HoursError::UnknownDay(excerpt(item)))
        };
        match item.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let span = (to + 7 - from) % 7;
                days.extend((0..=span).map(|offset| (from + offset) % 7));
            }
            None => days.push(day(item)?),
        }
    }
    // "mon,mon-fri" names Monday twice; that is not an overlap.
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// `"09:00-13:00, 14:00-18:00"` → ranges.
fn parse_ranges(text: &str) -> Result<Vec<TimeRange>, HoursError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact
        .split(',')
        .map(|token| {
            let (start, end) = token.split_once('-').ok_or_else(|| HoursError::BadTime(excerpt(token)))?;
            let (start, end) = (parse_time(start, false)?, parse_time(end, true)?);
            if end < start {
                return Err(HoursError::CrossesMidnight(excerpt(token)));
            }
            TimeRange::new(start, end).ok_or_else(|| HoursError::EmptyRange(excerpt(token)))
        })
        .collect()
}

/// `"9:30"` or `"09:30"` → minutes after midnight; `"24:00"` only as an end.
fn parse_time(token: &str, is_end: bool) -> Result<u16, HoursError> {
    let bad = || HoursError::BadTime(excerpt(token));
    let (hours, minutes) = token.split_once(':').ok_or_else(bad)?;
    let digits =
        |s: &str, max_len: usize| (1..=max_len).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours, 2) || !digits(minutes, 2) || minutes.len() != 2 {
        return Err(bad());
    }
    let (hours, minutes): (u16, u16) =
        (hours.parse().map_err(|_| bad())?, minutes.parse().map_err(|_| bad())?);
    let total = hours * 60 + minutes;
    let valid = minutes < 60 && (hours < 24 || (is_end && total == 24 * 60));
    valid.then_some(total).ok_or_else(bad)
}

/// `" 2026-12-25, 2027-01-01"` → dates.
fn parse_dates(text: &str) -> Result<Vec<NaiveDate>, HoursError> {
    let dates: Vec<&str> = text.split(',').map(str::trim).collect();
    if dates.iter().all(|d| d.is_empty()) {
        return Err(HoursError::BadDate(String::new()));
    }
    dates
        .into_iter()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| HoursError::BadDate(excerpt(d))))
        .collect()
}

fn excerpt(text: &str) -> String {
    text.trim().chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const BA: &str = "America/Argentina/Buenos_Aires";

    fn canonical(spec: &str) -> String {
        BusinessHours::parse(spec, BA).unwrap().to_string()
    }

    #[rstest]
    #[case("mon-fri 09:00-18:00; sat 10:00-13:00", "mon-fri 09:00-18:00; sat 10:00-13:00")]
    #[case("mon-fri 09:00-13:00,14:00-18:00", "mon-fri 09:00-13:00,14:00-18:00")]
    #[case("mon,wed 09:00-12:00", "mon 09:00-12:00; wed 09:00-12:00")]
    #[case("MON - FRI 9:00 - 18:00 ;", "mon-fri 09:00-18:00")]
    #[case("fri-mon 10:00-14:00", "mon 10:00-14:00; fri-sun 10:00-14:00")]
    #[case("mon 14:00-18:00, 09:00-13:00", "mon 09:00-13:00,14:00-18:00")]
    #[case("mon 09:00-13:00,13:00-18:00", "mon 09:00-18:00")]
    #[case("mon,mon-tue 09:00-10:00", "mon-tue 09:00-10:00")]
    #[case("sat 20:00-24:00; sun 00:00-02:00", "sat 20:00-24:00; sun 00:00-02:00")]
    #[case("mon-sun 00:00-24:00", "mon-sun 00:00-24:00")]
    #[case(
        "mon-fri 09:00-18:00; closed 2027-01-01, 2026-12-25",
        "mon-fri 09:00-18:00; closed 2026-12-25, 2027-01-01"
    )]
    #[case("closed 2026-12-25", "closed 2026-12-25")]
    #[case("", "")]
    fn human_form_parses_and_prints_canonically(#[case] spec: &str, #[case] expected: &str) {
        assert_eq!(canonical(spec), expected, "from {spec:?}");
    }

    #[test]
    fn parsed_ranges_land_on_the_right_weekdays() {
        let hours = BusinessHours::parse("mon-fri 09:00-18:00; sat 10:00-13:00", BA).unwrap();
        let nine_to_six = TimeRange::new(9 * 60, 18 * 60).unwrap();
        assert_eq!(hours.ranges(Weekday::Mon), &[nine_to_six]);
        assert_eq!(hours.ranges(Weekday::Fri), &[nine_to_six]);
        assert_eq!(hours.ranges(Weekday::Sat), &[TimeRange::new(600, 780).unwrap()]);
        assert!(hours.ranges(Weekday::Sun).is_empty());
        assert_eq!(hours.tz(), chrono_tz::America::Argentina::Buenos_Aires);
    }

    #[rstest]
    #[case("mon-fri 22:00-02:00", HoursError::CrossesMidnight("22:00-02:00".into()))]
    #[case("funday 09:00-18:00", HoursError::UnknownDay("funday".into()))]
    #[case("mon-fry 09:00-10:00", HoursError::UnknownDay("mon-fry".into()))]
    #[case("09:00-18:00", HoursError::UnknownDay("09:00-18:00".into()))]
    #[case("mon 25:00-26:00", HoursError::BadTime("25:00".into()))]
    #[case("mon 24:00-24:00", HoursError::BadTime("24:00".into()))]
    #[case("mon 09:60-10:00", HoursError::BadTime("09:60".into()))]
    #[case("mon 09:0-10:00", HoursError::BadTime("09:0".into()))]
    #[case("mon 9-18", HoursError::BadTime("9".into()))]
    #[case("mon 09:00", HoursError::BadTime("09:00".into()))]
    #[case("mon 09:00-09:00", HoursError::EmptyRange("09:00-09:00".into()))]
    #[case("mon 09:00-13:00,12:00-18:00", HoursError::Overlap("12:00-18:00".into()))]
    #[case("mon-fri", HoursError::MissingTimes("mon-fri".into()))]
    #[case("closed 2026-02-30", HoursError::BadDate("2026-02-30".into()))]
    #[case("closed", HoursError::BadDate(String::new()))]
    fn errors_name_the_offending_token(#[case] spec: &str, #[case] expected: HoursError) {
        assert_eq!(BusinessHours::parse(spec, BA), Err(expected), "from {spec:?}");
    }

    #[test]
    fn serde_stores_zone_and_human_form_and_revalidates() {
        let hours = BusinessHours::parse("mon-fri 09:00-18:00; closed 2026-12-25", BA).unwrap();
        let json = serde_json::to_string(&hours).unwrap();
        assert_eq!(
            json,
            r#"{"time_zone":"America/Argentina/Buenos_Aires","hours":"mon-fri 09:00-18:00; closed 2026-12-25"}"#
        );
        assert_eq!(serde_json::from_str::<BusinessHours>(&json).unwrap(), hours);
        let bad = r#"{"time_zone":"UTC","hours":"mon 22:00-02:00"}"#;
        assert!(serde_json::from_str::<BusinessHours>(bad).is_err());
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert_eq!(
            BusinessHours::parse("mon 09:00-10:00", "Mars/Olympus"),
            Err(HoursError::UnknownTimeZone("Mars/Olympus".into()))
        );
    }

    fn arb_hours() -> impl Strategy<Value = BusinessHours> {
        let day = proptest::collection::btree_set(0u16..=1440, 0..5).prop_map(|cuts| {
            let cuts: Vec<u16> = cuts.into_iter().collect();
            cuts.chunks_exact(2).filter_map(|pair| TimeRange::new(pair[0], pair[1])).collect::<Vec<_>>()
        });
        let dates = proptest::collection::vec(0u32..800, 0..4);
        (proptest::array::uniform7(day), dates).prop_map(|(weekly, dates)| {
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            BusinessHours::new(chrono_tz::Europe::Madrid, weekly)
                .unwrap()
                .with_closed_dates(dates.into_iter().map(|d| base + chrono::Days::new(d.into())))
        })
    }

    proptest! {
        #[test]
        fn display_parses_back_to_the_same_hours(hours in arb_hours()) {
            let text = hours.to_string();
            let back = BusinessHours::parse(&text, "Europe/Madrid");
            prop_assert_eq!(back, Ok(hours), "via {:?}", text);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(spec in any::<String>(), tz in any::<String>()) {
            let _ = BusinessHours::parse(&spec, &tz);
        }

        #[test]
        fn parsing_spec_like_text_never_panics(spec in "[a-z ,;:0-9-]{0,40}") {
            if let Ok(hours) = BusinessHours::parse(&spec, BA) {
                let text = hours.to_string();
                prop_assert_eq!(BusinessHours::parse(&text, BA), Ok(hours));
            }
        }
    }
}
