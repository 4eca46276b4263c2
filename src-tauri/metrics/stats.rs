//! The statistics behind the Results screen: shares with their denominator, Wilson score
//! intervals, and the difference of two proportions with Newcombe's hybrid score interval
//! (Newcombe 1998, method 10). Pure functions of counts; every number they return is finite
//! (a quantity that cannot be computed — a 0/0 rate, a lift with an empty group — is `None`,
//! which is `null` in JSON, never NaN or infinity).

use serde::Serialize;

/// The standard normal quantile for a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A count out of a denominator; `rate` is `None` when the denominator is 0.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Share {
    pub count: u64,
    pub denominator: u64,
    pub rate: Option<f64>,
}

impl Share {
    pub fn new(count: u64, denominator: u64) -> Share {
        Share { count, denominator, rate: ratio(count, denominator).map(round4) }
    }
}

/// `count / denominator`, or `None` when there is nothing to divide by.
pub fn ratio(count: u64, denominator: u64) -> Option<f64> {
    if denominator == 0 {
        return None;
    }
    Some(count as f64 / denominator as f64).filter(|r| r.is_finite())
}

/// Four decimals: the precision of the published tables, and enough for a percentage with two.
pub fn round4(x: f64) -> f64 {
    let r = (x * 10_000.0).round() / 10_000.0;
    // -0.0 prints as "-0" in JSON; a lift of nothing is plain 0.
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Wilson's score interval for `successes` out of `trials`, or `None` for no trials.
/// Exactly 0 at the bottom for 0 successes and exactly 1 at the top for all successes.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let x = successes as f64;
    let z2 = z * z;
    let center = (x + z2 / 2.0) / (n + z2);
    let half = z / (n + z2) * (x * (n - x) / n + z2 / 4.0).sqrt();
    let low = if successes == 0 { 0.0 } else { (center - half).clamp(0.0, 1.0) };
    let high = if successes == trials { 1.0 } else { (center + half).clamp(0.0, 1.0) };
    (low.is_finite() && high.is_finite()).then_some((low, high))
}

/// The difference of two proportions (`a` minus `b`) with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

impl Difference {
    /// The interval leaves 0 out: the difference is unlikely to be chance alone.
    pub fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// Newcombe's hybrid score interval for `x1/n1 − x2/n2` (Newcombe 1998, method 10): the Wilson
/// interval of each proportion, combined. Well behaved at 0 and at n, unlike the Wald interval.
/// `None` when either group is empty.
pub fn newcombe(x1: u64, n1: u64, x2: u64, n2: u64, z: f64) -> Option<Difference> {
    let (l1, u1) = wilson(x1, n1, z)?;
    let (l2, u2) = wilson(x2, n2, z)?;
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let d = p1 - p2;
    let low = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let high = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    let out = Difference { difference: d, low: low.clamp(-1.0, 1.0), high: high.clamp(-1.0, 1.0) };
    (out.difference.is_finite() && out.low.is_finite() && out.high.is_finite()).then_some(out)
}

/// The standard normal quantile for 80 % power (one side): Φ⁻¹(0.8).
pub const Z_80: f64 = 0.841_621_233_572_914_3;

/// How many carts *each* of two groups needs for a difference between rates `p1` and `p2` to
/// show at α = 0.05 (two-sided) with 80 % power: the usual normal-approximation formula for
/// two proportions, without continuity correction (Fleiss, Levin & Paik 2003, eq. 4.14):
///
/// n = (z₀.₉₇₅·√(2·p̄·(1−p̄)) + z₀.₈·√(p₁(1−p₁) + p₂(1−p₂)))² / (p₁ − p₂)², p̄ = (p₁ + p₂)/2,
///
/// rounded up. Taking the rates seen so far as the true ones, it says roughly how many carts a
/// conclusion needs. `None` when the rates are equal (no difference to detect) or not rates.
pub fn carts_per_group_for_80_power(p1: f64, p2: f64) -> Option<u64> {
    let valid = |p: f64| (0.0..=1.0).contains(&p);
    if !valid(p1) || !valid(p2) || (p1 - p2).abs() < 1e-9 {
        return None;
    }
    let mean = (p1 + p2) / 2.0;
    let top = Z_95 * (2.0 * mean * (1.0 - mean)).sqrt() + Z_80 * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    let n = (top * top / ((p1 - p2) * (p1 - p2))).ceil();
    (n.is_finite() && (1.0..1e15).contains(&n)).then_some(n as u64)
}

/// The median of whole seconds (the mean of the middle two for an even count, rounded).
pub fn median_seconds(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[mid])
    } else {
        let (a, b) = (values[mid - 1] as i128, values[mid] as i128);
        i64::try_from((a + b + 1).div_euclid(2)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 0.000_051
    }

    /// Newcombe (1998), "Interval estimation for the difference between independent proportions:
    /// comparison of eleven methods", Statistics in Medicine 17:873–890, Table II, method 10.
    #[rstest]
    #[case(56, 70, 48, 80, 0.0524, 0.3339)]
    #[case(9, 10, 3, 10, 0.1705, 0.8090)]
    #[case(6, 7, 2, 7, 0.0582, 0.8062)]
    #[case(5, 56, 0, 29, -0.0381, 0.1926)]
    #[case(0, 10, 0, 20, -0.1611, 0.2775)]
    #[case(0, 10, 0, 10, -0.2775, 0.2775)]
    #[case(10, 10, 0, 20, 0.6791, 1.0)]
    #[case(10, 10, 0, 10, 0.6075, 1.0)]
    fn newcombe_matches_the_published_table(
        #[case] x1: u64,
        #[case] n1: u64,
        #[case] x2: u64,
        #[case] n2: u64,
        #[case] low: f64,
        #[case] high: f64,
    ) {
        let d = newcombe(x1, n1, x2, n2, Z_95).expect("both groups have members");
        assert!(close(d.difference, x1 as f64 / n1 as f64 - x2 as f64 / n2 as f64));
        assert!(
            close(d.low, low) && close(d.high, high),
            "{x1}/{n1} vs {x2}/{n2}: got {d:?}, published {low}..{high}"
        );
    }

    #[test]
    fn wilson_gives_the_bounds_behind_newcombes_first_example() {
        // The two Wilson intervals that method 10 combines for 56/70 − 48/80 (worked by hand from
        // Wilson 1927's formula; the combination is the published 0.0524 to 0.3339).
        let (low, high) = wilson(56, 70, Z_95).unwrap();
        assert!(close(low, 0.6918) && close(high, 0.8770), "{low} {high}");
        let (low, high) = wilson(48, 80, Z_95).unwrap();
        assert!(close(low, 0.4905) && close(high, 0.7004), "{low} {high}");
    }

    #[test]
    fn empty_groups_give_no_interval_instead_of_nan() {
        assert_eq!(wilson(0, 0, Z_95), None, "0/0 has no interval");
        assert_eq!(newcombe(0, 0, 3, 10, Z_95), None, "no treated carts: no lift");
        assert_eq!(newcombe(3, 10, 0, 0, Z_95), None, "no holdout carts: no lift");
        assert_eq!(ratio(0, 0), None);
        assert_eq!(Share::new(0, 0).rate, None);
        assert_eq!(wilson(5, 3, Z_95), None, "more successes than trials is not a proportion");
    }

    #[test]
    fn extreme_proportions_stay_inside_zero_and_one() {
        for n in 1..=40u64 {
            for x in [0, n / 2, n] {
                let (low, high) = wilson(x, n, Z_95).unwrap();
                assert!((0.0..=1.0).contains(&low) && (0.0..=1.0).contains(&high) && low <= high, "{x}/{n}");
            }
            let all = newcombe(n, n, 0, n, Z_95).unwrap();
            assert!(all.high <= 1.0 && all.low >= -1.0 && all.difference == 1.0, "{n}/{n} vs 0/{n}: {all:?}");
            let none = newcombe(0, n, n, n, Z_95).unwrap();
            assert!(
                none.low >= -1.0 && none.high <= 1.0 && none.difference == -1.0,
                "0/{n} vs {n}/{n}: {none:?}"
            );
            // From two carts a side, all against none is beyond chance; one a side is not.
            assert_eq!(all.significant(), n >= 2, "{n}/{n} vs 0/{n}: {all:?}");
        }
        assert_eq!(wilson(0, 7, Z_95).unwrap().0, 0.0, "0 successes: the bound is exactly 0");
        assert_eq!(wilson(7, 7, Z_95).unwrap().1, 1.0, "all successes: the bound is exactly 1");
    }

    #[test]
    fn tiny_groups_are_never_significant_by_accident() {
        // One cart each way is no evidence of anything.
        let d = newcombe(1, 1, 0, 1, Z_95).unwrap();
        assert!(d.low < 0.0 && !d.significant(), "1/1 vs 0/1 must not be significant: {d:?}");
        let d = newcombe(2, 3, 1, 3, Z_95).unwrap();
        assert!(!d.significant(), "{d:?}");
        // The published example is.
        assert!(newcombe(56, 70, 48, 80, Z_95).unwrap().significant());
        assert!(
            newcombe(0, 10, 10, 10, Z_95).unwrap().significant(),
            "a negative lift can be significant too"
        );
    }

    #[test]
    fn the_power_calculation_matches_the_textbook_sizes() {
        // 10 % against 15 %: 686 a group (the figure tables and G*Power give without correction).
        assert_eq!(carts_per_group_for_80_power(0.10, 0.15), Some(686));
        assert_eq!(carts_per_group_for_80_power(0.15, 0.10), Some(686), "symmetric");
        assert_eq!(carts_per_group_for_80_power(0.5, 0.6), Some(388));
        assert_eq!(carts_per_group_for_80_power(0.2, 0.3), Some(294));
        assert_eq!(carts_per_group_for_80_power(0.2, 0.2), None, "no difference to detect");
        assert_eq!(carts_per_group_for_80_power(f64::NAN, 0.2), None);
        assert_eq!(carts_per_group_for_80_power(0.0, 1.0), Some(2), "all against none: a couple");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median_seconds(vec![]), None);
        assert_eq!(median_seconds(vec![30]), Some(30));
        assert_eq!(median_seconds(vec![300, 10, 60]), Some(60), "order does not matter");
        assert_eq!(median_seconds(vec![10, 20, 31, 40]), Some(26), "the middle two's mean, rounded");
    }

    #[test]
    fn rounding_never_prints_negative_zero() {
        assert_eq!(round4(-0.000_01).to_string(), "0");
        assert_eq!(round4(1.0 / 3.0), 0.3333);
    }
}
