//! Business hours as specifications: the next open moment, closing days, merging and refusing ranges.

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

/// The hours grid's examples (tests/fixtures/business_hours_grid.json, also read by the UI's
/// tests): each stored form parses to the grid's days and dates, and the text the grid writes
/// back is the canonical form, which parses to the same hours.
#[test]
fn the_hours_grid_examples_parse_to_the_grid_and_back() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/business_hours_grid.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    let minutes = |t: &serde_json::Value| {
        let (h, m) = t.as_str().unwrap().split_once(':').unwrap();
        h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
    };
    let weekdays =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
    for case in cases {
        let stored = case["stored"].as_str().unwrap();
        let written = case["written"].as_str().unwrap();
        let hours = BusinessHours::parse(stored, "America/Argentina/Buenos_Aires")
            .unwrap_or_else(|e| panic!("{stored:?}: {e}"));
        assert_eq!(hours.to_string(), written, "the grid writes the engine's canonical form of {stored:?}");
        assert_eq!(
            BusinessHours::parse(written, "America/Argentina/Buenos_Aires"),
            Ok(hours.clone()),
            "{written:?}"
        );
        for (day, ranges) in weekdays.iter().zip(case["grid"].as_array().unwrap()) {
            let expected: Vec<TimeRange> = ranges
                .as_array()
                .unwrap()
                .iter()
                .map(|r| TimeRange::new(minutes(&r[0]), minutes(&r[1])).unwrap())
                .collect();
            assert_eq!(hours.ranges(*day), expected.as_slice(), "{day} of {stored:?}");
        }
        let closed: Vec<String> = hours.closed_dates().iter().map(|d| d.to_string()).collect();
        let expected: Vec<String> =
            case["closed"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
        assert_eq!(closed, expected, "{stored:?}");
    }
}
