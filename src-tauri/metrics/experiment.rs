//! The A/B experiments' figures: for each experiment the owner ran (the running one first, then
//! the ended ones, whose records stay), per arm the carts assigned, the conversions with the
//! rate's Wilson 95 % interval and the recovered revenue per currency; the difference between
//! the arms (A − B) with Newcombe's interval; and, while it proves nothing yet, roughly how many
//! more carts a conclusion needs (see [`stats::carts_per_group_for_80_power`]). An experiment's
//! carts are counted whenever they were detected, not by the Results period: an experiment is
//! read as a whole.
//!
//! Intention to treat from the draw: every cart drawn to an arm counts in it, and it converts
//! when it was bought within the attribution window after it was drawn (detected) — message or
//! not, whatever WhatsApp answered. Counting only the carts whose message was attempted would be
//! biased between arms that differ in timing: a `delay:15,60` arm's carts bought during the
//! extra 45 minutes never get their message, so they would leave arm B only. Both arms lose
//! nothing this way; the draw alone decides who is compared.

use chrono::Duration;
use rusqlite::Connection;
use serde::Serialize;

use super::aggregate::Purse;
use super::facts::{self, CartFact, Group};
use super::stats::{self, round4};
use super::Amount;
use crate::domain::experiment::ExperimentSpec;
use crate::storage::experiments::{self, ExperimentRow};

/// One arm's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ArmResult {
    /// `A` or `B`.
    pub arm: String,
    /// What the arm does, as the setting spells it: minutes, a template name, `on`/`off`.
    pub value: String,
    /// Carts drawn to the arm (the rate's denominator: intention to treat from the draw).
    pub carts: u64,
    /// Of those, the ones whose first message was attempted (whatever WhatsApp answered).
    pub messaged: u64,
    /// Of `carts`, bought within the attribution window after the draw (the rate's count).
    pub converted: u64,
    /// Of those, recovered: bought after a message that arrived (the tracker's verdict).
    pub recovered: u64,
    /// `converted / carts`.
    pub rate: Option<f64>,
    /// Wilson 95 % interval of the rate.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Carts of the arm still waiting for their first message.
    pub pending: u64,
    /// Recovered revenue per currency (messages that arrived), net of the discount the arm's
    /// own recovered carts' coupons gave.
    pub revenue: Vec<Amount>,
}

/// Arm A's rate minus arm B's, with Newcombe's hybrid score 95 % interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ArmDifference {
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub confidence: f64,
    pub method: &'static str,
    /// The interval leaves 0 out: more than chance.
    pub significant: Option<bool>,
}

/// One experiment and its results.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ExperimentResult {
    pub id: i64,
    /// The canonical spec (`delay:15,60`).
    pub spec: String,
    /// `delay`, `template` or `coupon`.
    pub kind: String,
    pub started_at: String,
    /// `None` while it runs.
    pub ended_at: Option<String>,
    pub arms: Vec<ArmResult>,
    pub difference: ArmDifference,
    /// Carts each arm would need for the difference seen so far to show at α = 0.05 with 80 %
    /// power; `None` when no difference is seen yet (or no carts).
    pub needed_per_arm: Option<u64>,
    /// How many more carts (both arms together) that is; 0 once reached.
    pub more_needed: Option<u64>,
    /// `more_than_chance`, `not_yet` (within chance so far) or `too_early` (fewer than 10
    /// carts in an arm).
    pub verdict: &'static str,
}

/// Every experiment, the newest (the running one) first.
pub fn all(conn: &Connection, attribution: Duration) -> rusqlite::Result<Vec<ExperimentResult>> {
    experiments::list(conn)?
        .into_iter()
        .map(|row| {
            let carts = facts::experiment_carts(conn, row.id, attribution)?;
            Ok(result(&row, &carts, attribution))
        })
        .collect()
}

#[derive(Default)]
struct ArmTally {
    carts: u64,
    messaged: u64,
    converted: u64,
    recovered: u64,
    pending: u64,
    revenue: Purse,
}

/// The figures of one experiment from its carts (arm index, fact); pure.
pub fn result(row: &ExperimentRow, carts: &[(i64, CartFact)], attribution: Duration) -> ExperimentResult {
    let spec = ExperimentSpec::parse(&row.spec).ok();
    let values = spec.as_ref().map(ExperimentSpec::arm_values).unwrap_or_default();
    let mut tallies = [ArmTally::default(), ArmTally::default()];
    for (arm, cart) in carts {
        let Some(t) = usize::try_from(*arm).ok().and_then(|i| tallies.get_mut(i)) else { continue };
        t.carts += 1;
        match cart.group {
            Group::Messaged { .. } => t.messaged += 1,
            Group::Pending => t.pending += 1,
            _ => {}
        }
        let drawn = cart.detected_at;
        t.converted += u64::from(cart.bought_at.is_some_and(|b| b >= drawn && b <= drawn + attribution));
        if cart.recovered() {
            t.recovered += 1;
            if let Some(total) = cart.total {
                // Net of the discount the cart's own coupon gave (the coupon arm paid less).
                let discount = cart
                    .discount
                    .filter(|d| d.currency() == total.currency())
                    .map_or(rust_decimal::Decimal::ZERO, |d| d.amount());
                let net = (total.amount() - discount).max(rust_decimal::Decimal::ZERO);
                t.revenue.add(total.currency(), net);
            }
        }
    }
    let arms: Vec<ArmResult> = tallies
        .iter()
        .zip(["A", "B"])
        .zip(values.iter())
        .map(|((t, arm), value)| {
            let interval = stats::wilson(t.converted, t.carts, stats::Z_95);
            ArmResult {
                arm: arm.to_string(),
                value: value.clone(),
                carts: t.carts,
                messaged: t.messaged,
                converted: t.converted,
                recovered: t.recovered,
                rate: stats::ratio(t.converted, t.carts).map(round4),
                low: interval.map(|i| round4(i.0)),
                high: interval.map(|i| round4(i.1)),
                pending: t.pending,
                revenue: t.revenue.amounts(),
            }
        })
        .collect();
    let [a, b] = &tallies;
    let d = stats::newcombe(a.converted, a.carts, b.converted, b.carts, stats::Z_95);
    let rates = (stats::ratio(a.converted, a.carts), stats::ratio(b.converted, b.carts));
    let needed = match rates {
        (Some(p1), Some(p2)) => stats::carts_per_group_for_80_power(p1, p2),
        _ => None,
    };
    let more_needed = needed.map(|n| n.saturating_sub(a.carts).saturating_add(n.saturating_sub(b.carts)));
    let verdict = match d {
        // Fewer than ten carts in an arm: say nothing yet, whatever the numbers.
        Some(_) if a.carts < 10 || b.carts < 10 => "too_early",
        Some(d) if d.significant() => "more_than_chance",
        Some(_) => "not_yet",
        None => "too_early",
    };
    ExperimentResult {
        id: row.id,
        spec: row.spec.clone(),
        kind: spec.as_ref().map_or("unknown", ExperimentSpec::kind).to_string(),
        started_at: row.started_at.clone(),
        ended_at: row.ended_at.clone(),
        arms,
        difference: ArmDifference {
            difference: d.map(|d| round4(d.difference)),
            low: d.map(|d| round4(d.low)),
            high: d.map(|d| round4(d.high)),
            confidence: 0.95,
            method: "newcombe_wilson",
            significant: d.map(|d| d.significant()),
        },
        needed_per_arm: needed,
        more_needed,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use chrono::TimeZone;

    fn at(minutes: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    /// A cart drawn at `at(0)`, in `group`, bought `bought` minutes after the draw.
    fn cart(id: i64, group: Group, outcome: Option<&str>, bought: Option<i64>) -> CartFact {
        CartFact {
            id,
            detected_at: at(0),
            group,
            outcome: outcome.map(String::from),
            total: Money::parse("100.00", "ARS").ok(),
            first_reply_at: None,
            bought_in_window: false,
            bought_at: bought.map(at),
            discount: None,
        }
    }

    fn experiment(carts: &[(i64, CartFact)]) -> ExperimentResult {
        let row = ExperimentRow {
            id: 3,
            spec: "delay:15,60".into(),
            started_at: "2026-11-16T12:00:00.000Z".into(),
            ended_at: None,
        };
        result(&row, carts, Duration::days(7))
    }

    #[test]
    fn each_arm_has_its_rate_interval_and_revenue_and_the_difference_its_interval() {
        let sent = Group::Messaged { sent_at: at(15), reached: true };
        let refused = Group::Messaged { sent_at: at(15), reached: false };
        let mut carts = Vec::new();
        // A: 20 carts; 8 recovered after the message, one bought after a refused message.
        for i in 0..19 {
            carts.push((0, cart(i, sent, (i < 8).then_some("recovered"), (i < 8).then_some(120))));
        }
        carts.push((0, cart(19, refused, Some("bought_before_message"), Some(30))));
        // B: 20 carts; 2 recovered, one bought during its 60-minute wait (never messaged: it
        // still counts in B, as it would have in A), one still waiting, one bought after 8 days.
        for i in 20..36 {
            carts.push((1, cart(i, sent, (i < 22).then_some("recovered"), (i < 22).then_some(120))));
        }
        carts.push((1, cart(36, Group::NotSent, Some("bought_before_message"), Some(40))));
        carts.push((1, cart(37, Group::Pending, None, None)));
        carts.push((1, cart(38, sent, Some("bought_late"), Some(8 * 24 * 60))));
        carts.push((1, cart(39, Group::NotSent, None, None)));
        let r = experiment(&carts);
        assert_eq!(
            (r.kind.as_str(), r.arms[0].value.as_str(), r.arms[1].value.as_str()),
            ("delay", "15", "60")
        );
        let a = &r.arms[0];
        assert_eq!((a.carts, a.messaged, a.converted, a.recovered, a.rate), (20, 20, 9, 8, Some(0.45)));
        let b = &r.arms[1];
        assert_eq!((b.carts, b.messaged, b.converted, b.recovered, b.pending), (20, 17, 3, 2, 1));
        let (low, high) = stats::wilson(9, 20, stats::Z_95).unwrap();
        assert_eq!((a.low, a.high), (Some(round4(low)), Some(round4(high))));
        assert_eq!(a.revenue, vec![Amount { currency: "ARS".into(), amount: "800.00".into() }]);
        let d = stats::newcombe(9, 20, 3, 20, stats::Z_95).unwrap();
        assert_eq!(r.difference.difference, Some(0.3));
        assert_eq!((r.difference.low, r.difference.high), (Some(round4(d.low)), Some(round4(d.high))));
        assert_eq!((r.difference.significant, r.verdict), (Some(d.significant()), "more_than_chance"));
        assert_eq!(r.needed_per_arm, stats::carts_per_group_for_80_power(0.45, 0.15));
    }

    #[test]
    fn too_few_carts_say_so_and_how_many_more_a_conclusion_needs() {
        let sent = Group::Messaged { sent_at: at(15), reached: true };
        let carts: Vec<(i64, CartFact)> = (0..24)
            .map(|i| {
                let bought = i % 2 == 0 && i < 8 || i == 1;
                (i % 2, cart(i, sent, bought.then_some("recovered"), bought.then_some(60)))
            })
            .collect();
        let r = experiment(&carts);
        // A: 4 of 12, B: 1 of 12.
        assert_eq!((r.arms[0].converted, r.arms[1].converted), (4, 1));
        assert_eq!((r.difference.significant, r.verdict), (Some(false), "not_yet"));
        let n = stats::carts_per_group_for_80_power(4.0 / 12.0, 1.0 / 12.0).unwrap();
        assert_eq!(r.needed_per_arm, Some(n));
        assert_eq!(r.more_needed, Some(2 * (n - 12)));
        let empty = experiment(&[]);
        assert_eq!(
            (empty.arms[0].rate, empty.difference.difference, empty.verdict),
            (None, None, "too_early")
        );
        assert_eq!((empty.needed_per_arm, empty.more_needed), (None, None));
    }

    /// Below ten carts in an arm the verdict is `too_early`, however far apart the rates look:
    /// 4 of 4 against 0 of 4 leaves 0 out of the interval, and still proves nothing yet.
    #[test]
    fn fewer_than_ten_carts_in_an_arm_are_too_early_even_when_the_interval_leaves_zero_out() {
        let sent = Group::Messaged { sent_at: at(15), reached: true };
        let carts: Vec<(i64, CartFact)> = (0..8)
            .map(|i| {
                let bought = i % 2 == 0;
                (i % 2, cart(i, sent, bought.then_some("recovered"), bought.then_some(60)))
            })
            .collect();
        let r = experiment(&carts);
        assert_eq!(
            (r.arms[0].converted, r.arms[0].carts, r.arms[1].converted, r.arms[1].carts),
            (4, 4, 0, 4)
        );
        assert_eq!(r.difference.significant, Some(true), "the interval alone would say so");
        assert_eq!(r.verdict, "too_early");
    }

    /// Each arm's revenue is net of the discount its own recovered carts' coupons gave: in
    /// `coupon:on,off` the "on" arm paid less per purchase.
    #[test]
    fn each_arms_revenue_is_net_of_its_own_carts_coupon_discount() {
        let sent = Group::Messaged { sent_at: at(15), reached: true };
        let mut with_coupon = cart(1, sent, Some("recovered"), Some(60));
        with_coupon.discount = Money::parse("10.00", "ARS").ok();
        let mut unrecovered = cart(2, sent, Some("bought_late"), Some(8 * 24 * 60));
        unrecovered.discount = Money::parse("10.00", "ARS").ok();
        let without = cart(3, sent, Some("recovered"), Some(60));
        let r = experiment(&[(0, with_coupon), (0, unrecovered), (1, without)]);
        assert_eq!(r.arms[0].revenue, vec![Amount { currency: "ARS".into(), amount: "90.00".into() }]);
        assert_eq!(r.arms[1].revenue, vec![Amount { currency: "ARS".into(), amount: "100.00".into() }]);
    }
}
