//! When a cart's first message may go out: the send plan's timing rules, pure (the caller passes
//! every instant; nothing here reads a clock).
//!
//! - Detected inside business hours: as soon as possible, and no later than `max_delay` (90 min)
//!   after detection, or the closing time if that comes first — never outside hours.
//! - Detected outside hours: at the next opening; the carts that piled up while closed are
//!   spread over the first `backlog_spread` (30 min) of the opening, in detection order, never
//!   a burst at 09:00:00 ([`backlog_slot`]).
//! - A checkout last touched longer than `max_age` (24 h) before the send would go out is not
//!   messaged at all ([`Timing::TooOld`]): a weekend's carts don't all go out on Monday.
//! - After sleep or downtime, [`first_send`] with `detected_at = now` re-plans an overdue send:
//!   inside hours if open, else at the next opening — never at night.
//!
//! Daylight-saving changes are handled by [`BusinessHours`], which works in the shop's zone.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::hours::BusinessHours;

/// The timing knobs, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingRules {
    pub max_delay: Duration,
    pub backlog_spread: Duration,
    pub max_age: Duration,
}

impl Default for TimingRules {
    fn default() -> Self {
        TimingRules {
            max_delay: Duration::minutes(90),
            backlog_spread: Duration::minutes(30),
            max_age: Duration::hours(24),
        }
    }
}

/// The answer for one cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Timing {
    /// The shop is open: send now, and by `deadline` at the latest.
    Now { deadline: DateTime<Utc> },
    /// The shop is closed: wait for `opens_at` (then take a [`backlog_slot`]); send by `deadline`.
    AtOpening { opens_at: DateTime<Utc>, deadline: DateTime<Utc> },
    /// The checkout would be older than the maximum age when the shop next opens.
    TooOld { last_update: DateTime<Utc>, next_possible: DateTime<Utc> },
    /// The shop has no opening hours in the coming year.
    NeverOpen,
}

/// The deadline of a send that may start at `start` (inside hours): `max_delay` later, or the
/// closing time if earlier.
fn deadline(hours: &BusinessHours, start: DateTime<Utc>, rules: &TimingRules) -> DateTime<Utc> {
    let latest = start + rules.max_delay;
    hours.closes_at(start).map_or(latest, |close| close.min(latest))
}

/// When the first message of a cart detected at `detected_at` (whose checkout last changed at
/// `last_update`) may go out.
pub fn first_send(
    hours: &BusinessHours,
    detected_at: DateTime<Utc>,
    last_update: DateTime<Utc>,
    rules: &TimingRules,
) -> Timing {
    let Some(start) = hours.next_open_instant(detected_at) else {
        return Timing::NeverOpen;
    };
    if start - last_update > rules.max_age {
        return Timing::TooOld { last_update, next_possible: start };
    }
    if start == detected_at {
        Timing::Now { deadline: deadline(hours, start, rules) }
    } else {
        Timing::AtOpening { opens_at: start, deadline: deadline(hours, start, rules) }
    }
}

/// The send instant of the `index`-th (0-based, in detection order) of `count` carts waiting
/// for the opening at `opens_at`: evenly spread over `spread`, and never past `deadline` (the
/// close of a short opening) — the first goes at the opening itself.
pub fn backlog_slot(
    opens_at: DateTime<Utc>,
    index: u32,
    count: u32,
    spread: Duration,
    deadline: DateTime<Utc>,
) -> DateTime<Utc> {
    let count = count.max(1);
    let window = spread.min(deadline - opens_at).max(Duration::zero());
    let step_ms = window.num_milliseconds() / i64::from(count);
    let slot = opens_at + Duration::milliseconds(step_ms * i64::from(index.min(count - 1)));
    slot.min(deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Tz;
    use proptest::prelude::*;

    fn hours(spec: &str, tz: &str) -> BusinessHours {
        BusinessHours::parse(spec, tz).unwrap()
    }

    /// A local wall-clock time in `tz` as UTC.
    fn local(tz: &str, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        let tz: Tz = tz.parse().unwrap();
        tz.from_local_datetime(&NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    const BA: &str = "America/Argentina/Buenos_Aires";

    #[test]
    fn a_cart_detected_at_night_waits_for_the_opening_and_not_a_minute_less() {
        let h = hours("mon-fri 09:00-18:00; sat 10:00-13:00", BA);
        // Thursday 2026-11-19 23:40 in Buenos Aires.
        let detected = local(BA, 2026, 11, 19, 23, 40);
        let t = first_send(&h, detected, detected - Duration::minutes(20), &TimingRules::default());
        let opens = local(BA, 2026, 11, 20, 9, 0);
        assert_eq!(t, Timing::AtOpening { opens_at: opens, deadline: opens + Duration::minutes(90) });
    }

    #[test]
    fn a_cart_detected_in_the_morning_goes_now_within_ninety_minutes() {
        let h = hours("mon-fri 09:00-18:00", BA);
        let detected = local(BA, 2026, 11, 20, 10, 0);
        let t = first_send(&h, detected, detected - Duration::minutes(16), &TimingRules::default());
        assert_eq!(t, Timing::Now { deadline: detected + Duration::minutes(90) });
    }

    #[test]
    fn near_closing_the_deadline_is_the_closing_time() {
        let h = hours("mon-fri 09:00-18:00", BA);
        let detected = local(BA, 2026, 11, 20, 17, 45);
        let t = first_send(&h, detected, detected, &TimingRules::default());
        assert_eq!(t, Timing::Now { deadline: local(BA, 2026, 11, 20, 18, 0) });
    }

    #[test]
    fn a_shop_closed_on_saturday_waits_until_monday_and_drops_what_got_too_old() {
        let h = hours("mon-fri 09:00-18:00", BA);
        let saturday_noon = local(BA, 2026, 11, 21, 12, 0);
        let monday = local(BA, 2026, 11, 23, 9, 0);
        // Checkout touched on Sunday evening: Monday 09:00 is within 24 h.
        let sunday_evening = local(BA, 2026, 11, 22, 20, 0);
        let t = first_send(&h, sunday_evening, sunday_evening, &TimingRules::default());
        assert!(matches!(t, Timing::AtOpening { opens_at, .. } if opens_at == monday), "{t:?}");
        // Saturday's checkout would be 45 h old by Monday: not messaged.
        let t = first_send(&h, saturday_noon, saturday_noon, &TimingRules::default());
        assert_eq!(t, Timing::TooOld { last_update: saturday_noon, next_possible: monday });
        // With a longer maximum age it waits for Monday.
        let rules = TimingRules { max_age: Duration::hours(72), ..TimingRules::default() };
        assert!(matches!(first_send(&h, saturday_noon, saturday_noon, &rules), Timing::AtOpening { .. }));
    }

    #[test]
    fn closed_dates_are_skipped() {
        let h = hours("mon-fri 09:00-18:00; closed 2026-12-25", BA);
        let christmas_eve = local(BA, 2026, 12, 24, 22, 0);
        let t = first_send(
            &h,
            christmas_eve,
            christmas_eve,
            &TimingRules { max_age: Duration::days(5), ..TimingRules::default() },
        );
        assert!(
            matches!(t, Timing::AtOpening { opens_at, .. } if opens_at == local(BA, 2026, 12, 28, 9, 0)),
            "{t:?}"
        );
    }

    #[test]
    fn a_shop_with_no_hours_never_sends() {
        let h = BusinessHours::new("UTC".parse().unwrap(), Default::default()).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        assert_eq!(first_send(&h, now, now, &TimingRules::default()), Timing::NeverOpen);
    }

    #[test]
    fn dst_changes_move_the_opening_with_the_local_clock() {
        // Santiago springs forward on 2026-09-06 (00:00 → 01:00); Madrid on 2026-03-29 (02:00 → 03:00)
        // and falls back on 2026-10-25 (03:00 → 02:00).
        for (tz, (y, m, d), before) in [
            ("America/Santiago", (2026, 9, 5), (2026, 9, 6)),
            ("Europe/Madrid", (2026, 3, 28), (2026, 3, 29)),
            ("Europe/Madrid", (2026, 10, 24), (2026, 10, 25)),
        ] {
            let h = hours("mon-sun 09:00-18:00", tz);
            let night = local(tz, y, m, d, 22, 30);
            let t = first_send(&h, night, night, &TimingRules::default());
            let opens = local(tz, before.0, before.1, before.2, 9, 0);
            assert!(matches!(t, Timing::AtOpening { opens_at, .. } if opens_at == opens), "{tz}: {t:?}");
        }
        // An opening inside the hour that doesn't exist (02:30 on Madrid's spring-forward night)
        // still opens once, at the first real instant after it.
        let h = hours("mon-sun 02:30-20:00", "Europe/Madrid");
        let t = first_send(
            &h,
            local("Europe/Madrid", 2026, 3, 28, 21, 0),
            local("Europe/Madrid", 2026, 3, 28, 21, 0),
            &TimingRules::default(),
        );
        let Timing::AtOpening { opens_at, .. } = t else { panic!("{t:?}") };
        assert!(
            opens_at >= local("Europe/Madrid", 2026, 3, 29, 3, 0)
                && opens_at <= local("Europe/Madrid", 2026, 3, 29, 3, 30),
            "{opens_at}"
        );
    }

    #[test]
    fn three_hundred_overnight_carts_are_spread_not_burst() {
        let opens = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let deadline = opens + Duration::minutes(90);
        let slots: Vec<_> =
            (0..300).map(|i| backlog_slot(opens, i, 300, Duration::minutes(30), deadline)).collect();
        assert_eq!(slots[0], opens);
        assert!(slots.windows(2).all(|w| w[0] < w[1]), "strictly in detection order");
        assert!(*slots.last().unwrap() < opens + Duration::minutes(30));
        let in_first_minute = slots.iter().filter(|s| **s < opens + Duration::minutes(1)).count();
        assert!(in_first_minute <= 10, "{in_first_minute} in the first minute is a burst");
    }

    #[test]
    fn a_short_opening_squeezes_the_spread_inside_it() {
        let opens = Utc.with_ymd_and_hms(2026, 11, 21, 13, 0, 0).unwrap();
        let closes = opens + Duration::minutes(10);
        for i in 0..50 {
            let slot = backlog_slot(opens, i, 50, Duration::minutes(30), closes);
            assert!(slot >= opens && slot < closes, "{slot}");
        }
    }

    proptest! {
        #[test]
        fn the_planned_start_is_always_inside_hours_and_never_before_detection(
            minutes in 0i64..(14 * 24 * 60),
            spec in prop::sample::select(vec![
                "mon-fri 09:00-18:00; sat 10:00-13:00",
                "mon-sun 00:00-23:59",
                "tue 22:00-23:30; fri 06:00-07:00",
                "mon-fri 09:00-12:00, 14:00-19:00",
            ]),
            tz in prop::sample::select(vec!["America/Santiago", "Europe/Madrid", "America/Sao_Paulo", BA]),
        ) {
            let h = hours(spec, tz);
            let detected = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap() + Duration::minutes(minutes);
            let rules = TimingRules { max_age: Duration::days(30), ..TimingRules::default() };
            match first_send(&h, detected, detected, &rules) {
                Timing::Now { deadline } => {
                    prop_assert!(h.is_open(detected));
                    prop_assert!(deadline > detected && deadline <= detected + rules.max_delay);
                }
                Timing::AtOpening { opens_at, deadline } => {
                    prop_assert!(!h.is_open(detected));
                    prop_assert!(opens_at > detected && h.is_open(opens_at));
                    prop_assert!(deadline > opens_at && deadline <= opens_at + rules.max_delay);
                    for i in [0u32, 7, 299] {
                        let slot = backlog_slot(opens_at, i, 300, rules.backlog_spread, deadline);
                        prop_assert!(h.is_open(slot), "slot {slot} outside hours");
                    }
                }
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
