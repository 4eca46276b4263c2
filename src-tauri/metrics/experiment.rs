//! The A/B experiments' figures: for each experiment the owner ran (the running one first, then
//! the ended ones, whose records stay), per arm the carts messaged (intention to treat, as the
//! holdout comparison counts them), the conversions with the rate's Wilson 95 % interval and the
//! recovered revenue per currency; the difference between the arms (A − B) with Newcombe's
//! interval; and, while it proves nothing yet, roughly how many more carts a conclusion needs
//! (see [`stats::carts_per_group_for_80_power`]). An experiment's carts are counted whenever
//! they were detected, not by the Results period: an experiment is read as a whole.

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
    /// Carts whose first message was attempted (intention to treat).
    pub messaged: u64,
    /// Of those, converted: recovered, or bought in the window after a message that never
    /// arrived (as in the Results' recovery rate).
    pub recovered: u64,
    pub rate: Option<f64>,
    /// Wilson 95 % interval of the rate.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Carts of the arm still waiting for their first message.
    pub pending: u64,
    /// Recovered revenue per currency (messages that arrived).
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
    /// How many more messaged carts (both arms together) that is; 0 once reached.
    pub more_needed: Option<u64>,
    /// `more_than_chance`, `not_yet` (a difference, within chance so far) or `too_early` (not
    /// enough carts in an arm to tell anything).
    pub verdict: &'static str,
}

/// Every experiment, the newest (the running one) first.
pub fn all(conn: &Connection, attribution: Duration) -> rusqlite::Result<Vec<ExperimentResult>> {
    experiments::list(conn)?
        .into_iter()
        .map(|row| {
            let carts = facts::experiment_carts(conn, row.id, attribution)?;
            Ok(result(&row, &carts))
        })
        .collect()
}

#[derive(Default)]
struct ArmTally {
    messaged: u64,
    converted: u64,
    pending: u64,
    revenue: Purse,
}

/// The figures of one experiment from its carts (arm index, fact); pure.
pub fn result(row: &ExperimentRow, carts: &[(i64, CartFact)]) -> ExperimentResult {
    let spec = ExperimentSpec::parse(&row.spec).ok();
    let values = spec.as_ref().map(ExperimentSpec::arm_values).unwrap_or_default();
    let mut tallies = [ArmTally::default(), ArmTally::default()];
    for (arm, cart) in carts {
        let Some(t) = usize::try_from(*arm).ok().and_then(|i| tallies.get_mut(i)) else { continue };
        match cart.group {
            Group::Messaged { .. } => t.messaged += 1,
            Group::Pending => t.pending += 1,
            _ => {}
        }
        t.converted += u64::from(cart.converted());
        if let (true, Some(total)) = (cart.recovered(), cart.total) {
            t.revenue.add(total.currency(), total.amount());
        }
    }
    let arms: Vec<ArmResult> = tallies
        .iter()
        .zip(["A", "B"])
        .zip(values.iter())
        .map(|((t, arm), value)| {
            let interval = stats::wilson(t.converted, t.messaged, stats::Z_95);
            ArmResult {
                arm: arm.to_string(),
                value: value.clone(),
                messaged: t.messaged,
                recovered: t.converted,
                rate: stats::ratio(t.converted, t.messaged).map(round4),
                low: interval.map(|i| round4(i.0)),
                high: interval.map(|i| round4(i.1)),
                pending: t.pending,
                revenue: t.revenue.amounts(),
            }
        })
        .collect();
    let [a, b] = &tallies;
    let d = stats::newcombe(a.converted, a.messaged, b.converted, b.messaged, stats::Z_95);
    let rates = (stats::ratio(a.converted, a.messaged), stats::ratio(b.converted, b.messaged));
    let needed = match rates {
        (Some(p1), Some(p2)) => stats::carts_per_group_for_80_power(p1, p2),
        _ => None,
    };
    let more_needed =
        needed.map(|n| n.saturating_sub(a.messaged).saturating_add(n.saturating_sub(b.messaged)));
    let verdict = match d {
        Some(d) if d.significant() => "more_than_chance",
        // Fewer than ten carts in an arm: say nothing yet, whatever the numbers.
        Some(_) if a.messaged >= 10 && b.messaged >= 10 => "not_yet",
        _ => "too_early",
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

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc.with_ymd_and_hms(2026, 11, 20, 13, 5, 0).unwrap()
    }

    fn cart(id: i64, group: Group, outcome: Option<&str>, unreached_bought: bool) -> CartFact {
        CartFact {
            id,
            detected_at: chrono::Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap(),
            group,
            outcome: outcome.map(String::from),
            total: Money::parse("100.00", "ARS").ok(),
            first_reply_at: None,
            converted_unreached: unreached_bought,
        }
    }

    fn experiment(carts: &[(i64, CartFact)]) -> ExperimentResult {
        let row = ExperimentRow {
            id: 3,
            spec: "delay:15,60".into(),
            started_at: "2026-11-16T12:00:00.000Z".into(),
            ended_at: None,
        };
        result(&row, carts)
    }

    #[test]
    fn each_arm_has_its_rate_interval_and_revenue_and_the_difference_its_interval() {
        let sent = Group::Messaged { sent_at: at(), reached: true };
        let refused = Group::Messaged { sent_at: at(), reached: false };
        let mut carts = Vec::new();
        // A: 20 messaged, 8 recovered (one more refused cart bought in its window: converted).
        for i in 0..19 {
            carts.push((0, cart(i, sent, (i < 8).then_some("recovered"), false)));
        }
        carts.push((0, cart(19, refused, Some("bought_before_message"), true)));
        // B: 20 messaged, 2 recovered, one pending, one skipped before its message.
        for i in 20..40 {
            carts.push((1, cart(i, sent, (i < 22).then_some("recovered"), false)));
        }
        carts.push((1, cart(40, Group::Pending, None, false)));
        carts.push((1, cart(41, Group::NotSent, None, false)));
        let r = experiment(&carts);
        assert_eq!(
            (r.kind.as_str(), r.arms[0].value.as_str(), r.arms[1].value.as_str()),
            ("delay", "15", "60")
        );
        assert_eq!((r.arms[0].messaged, r.arms[0].recovered, r.arms[0].rate), (20, 9, Some(0.45)));
        assert_eq!((r.arms[1].messaged, r.arms[1].recovered, r.arms[1].pending), (20, 2, 1));
        let (low, high) = stats::wilson(9, 20, stats::Z_95).unwrap();
        assert_eq!((r.arms[0].low, r.arms[0].high), (Some(round4(low)), Some(round4(high))));
        assert_eq!(r.arms[0].revenue, vec![Amount { currency: "ARS".into(), amount: "800.00".into() }]);
        let d = stats::newcombe(9, 20, 2, 20, stats::Z_95).unwrap();
        assert_eq!(r.difference.difference, Some(0.35));
        assert_eq!((r.difference.low, r.difference.high), (Some(round4(d.low)), Some(round4(d.high))));
        assert_eq!((r.difference.significant, r.verdict), (Some(true), "more_than_chance"));
        assert_eq!(r.needed_per_arm, stats::carts_per_group_for_80_power(0.45, 0.1));
    }

    #[test]
    fn too_few_carts_say_so_and_how_many_more_a_conclusion_needs() {
        let sent = Group::Messaged { sent_at: at(), reached: true };
        let carts: Vec<(i64, CartFact)> = (0..24)
            .map(|i| (i % 2, cart(i, sent, (i % 2 == 0 && i < 8 || i == 1).then_some("recovered"), false)))
            .collect();
        let r = experiment(&carts);
        // A: 4 of 12, B: 1 of 12.
        assert_eq!((r.arms[0].recovered, r.arms[1].recovered), (4, 1));
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
}
