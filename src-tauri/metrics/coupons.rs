//! The coupons in the Results (setting `coupon_percent`): how many were created and redeemed
//! for carts detected in the period, the discount they gave per currency, and that discount
//! netted out of the recovered revenue and the ROI — a recovered cart that used its coupon paid
//! its total less the discount, so counting the whole total would flatter the result.
//!
//! The headline `revenue` and each `roi` line become net of the discount (the gross revenue is
//! kept beside it, in [`CouponFigures::gross_revenue`]); the daily and weekly series stay gross.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::period::Range;
use super::{Amount, Metrics};
use crate::domain::Currency;
use crate::storage::ts;

/// The coupons' figures; absent from the Results when no coupon was ever made in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CouponFigures {
    /// Codes the stores created (refused ones aside).
    pub created: u64,
    /// Codes a purchase used.
    pub redeemed: u64,
    /// Codes the store refused to create (the message went without one).
    pub refused: u64,
    /// The discount the redeemed codes gave, per currency (all of them; only recovered carts'
    /// part comes off the revenue).
    pub discount: Vec<Amount>,
    /// The recovered revenue before the discount (the headline `revenue` is net of it).
    pub gross_revenue: Vec<Amount>,
}

/// What [`read`] finds: codes created, redeemed and refused, the discount every redeemed code
/// gave, and the part of it recovered carts got (the part in the recovered revenue).
#[derive(Debug, Default)]
pub struct Read {
    pub created: u64,
    pub redeemed: u64,
    pub refused: u64,
    pub discount: BTreeMap<Currency, Decimal>,
    pub recovered_discount: BTreeMap<Currency, Decimal>,
}

/// The coupons of carts detected in `range` (`None`: every coupon).
pub fn read(conn: &Connection, range: Option<&Range>) -> rusqlite::Result<Read> {
    let mut stmt = conn.prepare_cached(
        "SELECT k.platform_id IS NOT NULL, k.redeemed_at IS NOT NULL, k.refused_at IS NOT NULL, k.currency, k.discount,
                c.outcome IS 'recovered'
         FROM coupons k JOIN carts c ON c.id = k.cart_id
         WHERE ?1 IS NULL OR (c.detected_at >= ?1 AND c.detected_at < ?2)",
    )?;
    let bounds = range.map(|r| (ts(r.from), ts(r.to)));
    let (from, to) = (bounds.as_ref().map(|b| b.0.as_str()), bounds.as_ref().map(|b| b.1.as_str()));
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, bool>(0)?,
            r.get::<_, bool>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, bool>(5)?,
        ))
    })?;
    let mut out = Read::default();
    let add = |map: &mut BTreeMap<Currency, Decimal>, c: Currency, a: Decimal| {
        let slot = map.entry(c).or_default();
        *slot = slot.checked_add(a).unwrap_or(*slot);
    };
    for row in rows {
        let (made, used, no, currency, amount, recovered) = row?;
        out.created += u64::from(made);
        out.refused += u64::from(no);
        if used {
            out.redeemed += 1;
            let parsed = (Currency::parse(&currency).ok(), amount.and_then(|a| a.parse::<Decimal>().ok()));
            if let (Some(c), Some(a)) = parsed {
                add(&mut out.discount, c, a);
                if recovered {
                    add(&mut out.recovered_discount, c, a);
                }
            }
        }
    }
    Ok(out)
}

/// Adds the coupons' figures to `m` and nets the discount of its recovered carts (those whose
/// totals make its revenue; a code housekeeping found used on another cart's purchase was never
/// in it) out of its revenue and ROI.
pub fn apply(m: &mut Metrics, conn: &Connection, range: &Range) -> rusqlite::Result<()> {
    let Read { created, redeemed, refused, discount, recovered_discount } = read(conn, Some(range))?;
    if created + refused == 0 {
        return Ok(());
    }
    let gross = m.revenue.clone();
    m.revenue = gross.iter().map(|a| net(a, &recovered_discount)).collect();
    for line in &mut m.cost.roi {
        let Ok(c) = Currency::parse(&line.currency) else { continue };
        let Some(d) = recovered_discount.get(&c) else { continue };
        let (Ok(rev), Ok(cost)) = (line.revenue.parse::<Decimal>(), line.cost.parse::<Decimal>()) else {
            continue;
        };
        let rev = (rev - d).max(Decimal::ZERO);
        line.revenue = Amount::text(c, rev);
        if line.roi.is_some() && !cost.is_zero() {
            line.roi = ((rev - cost) / cost).round_dp(4).to_f64().filter(|r| r.is_finite());
        }
    }
    m.coupons = Some(CouponFigures {
        created,
        redeemed,
        refused,
        discount: discount.iter().map(|(c, a)| Amount::new(*c, *a)).collect(),
        gross_revenue: gross,
    });
    Ok(())
}

/// Every coupon so far (the demo's report, `recupero results`): `gross_revenue` is left empty.
pub fn totals(conn: &Connection) -> rusqlite::Result<CouponFigures> {
    let Read { created, redeemed, refused, discount, .. } = read(conn, None)?;
    Ok(CouponFigures {
        created,
        redeemed,
        refused,
        discount: discount.iter().map(|(c, a)| Amount::new(*c, *a)).collect(),
        gross_revenue: Vec::new(),
    })
}

/// `amount` less its currency's discount (never below zero).
fn net(amount: &Amount, discount: &BTreeMap<Currency, Decimal>) -> Amount {
    let (Ok(c), Ok(a)) = (Currency::parse(&amount.currency), amount.amount.parse::<Decimal>()) else {
        return amount.clone();
    };
    match discount.get(&c) {
        Some(d) => Amount::new(c, (a - d).max(Decimal::ZERO)),
        None => amount.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discount_comes_off_its_own_currency_only() {
        let ars = Currency::parse("ARS").unwrap();
        let discount = BTreeMap::from([(ars, Decimal::from(1500))]);
        let revenue = Amount::new(ars, Decimal::from(20000));
        assert_eq!(net(&revenue, &discount).amount, "18500.00");
        let brl = Amount::new(Currency::parse("BRL").unwrap(), Decimal::from(300));
        assert_eq!(net(&brl, &discount), brl, "another currency is untouched");
        let small = Amount::new(ars, Decimal::from(1000));
        assert_eq!(net(&small, &discount).amount, "0.00", "never below zero");
    }
}
