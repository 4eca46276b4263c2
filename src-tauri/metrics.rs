//! The Results screen's figures, computed from the database on request: carts detected and
//! messaged, the recovery rate with its denominator, the same for the holdout group, the lift
//! between them with a 95 % confidence interval (Newcombe's hybrid score method), recovered
//! revenue per currency, replies, message statuses and the WhatsApp cost from a rate table —
//! for a period, with daily and weekly series in the shop's time zone, and as CSV.
//!
//! Guarantees: money stays exact decimal per currency (never `f64`, never summed across
//! currencies); no NaN or infinity reaches JSON (a quantity that cannot be computed is `null`);
//! every figure comes from what the engine stored (the tracker's outcomes, WhatsApp's statuses
//! and pricing), never re-derived; "now" comes from the engine's clock.
//!
//! - `facts`     — the rows read from SQLite and the rule for each cart's group.
//! - `aggregate` — the pure computation from facts to [`Metrics`].
//! - `stats`     — Wilson and Newcombe intervals, shares, medians.
//! - `rates`     — the WhatsApp rate table (shipped `rates.json`, or the owner's edit).
//! - `period`    — the range, its days and its Monday weeks in the shop's zone.
//! - `daily_csv` — one CSV row per day.
//! - `spend`     — the shop's month's estimated spend in USD and the monthly spend cap.
//! - `reply_cost` — what one typed reply costs from Recupero (the composer's line).
//! - `experiment` — the A/B experiments' arms, their rates and the difference between them.
//! - `coupons`   — coupons created and redeemed, their discount netted out of revenue and ROI.

pub mod aggregate;
pub mod coupons;
pub mod daily_csv;
pub mod experiment;
pub mod facts;
pub mod period;
pub mod rates;
pub mod reply_cost;
pub mod spend;
pub mod stats;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::Settings;
use crate::domain::Currency;
pub use period::Range;
pub use rates::{RateRow, RateTable};
pub use stats::Share;

/// An amount of one currency, as decimal text (`"1234.50"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Amount {
    pub currency: String,
    pub amount: String,
}

impl Amount {
    pub fn new(currency: Currency, amount: Decimal) -> Amount {
        Amount { currency: currency.code().to_string(), amount: Amount::text(currency, amount) }
    }

    /// Plain decimal text with at least the currency's minor units (`12.50`, `0.0024`, `1500`
    /// for CLP) and no trailing zeros beyond them.
    pub fn text(currency: Currency, amount: Decimal) -> String {
        let mut a = amount.normalize();
        if a.scale() < currency.minor_units() {
            a.rescale(currency.minor_units());
        }
        a.to_string()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CartCounts {
    /// Carts that became abandoned carts in the period (with or without a phone).
    pub detected: u64,
    pub with_phone: u64,
    /// Their first message was attempted — whatever WhatsApp answered (the treatment group,
    /// intention to treat: the same pre-send exclusions as the holdout, and only those).
    pub messaged: u64,
    /// Of `messaged`, the carts the first message never reached (WhatsApp refused it for good,
    /// e.g. 131026 not on WhatsApp, before or after accepting it, or its fate stayed unknown).
    pub unreached: u64,
    /// Holdout carts that reached the instant their message would have gone.
    pub holdout: u64,
    /// With a phone, first message not sent (skipped for a pre-send reason).
    pub not_sent: u64,
    /// With a phone, first message still planned or in flight. `with_phone` = messaged +
    /// holdout + not_sent + pending.
    pub pending: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Lift {
    /// Treatment recovery rate minus holdout recovery rate.
    pub difference: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub confidence: f64,
    pub method: &'static str,
    /// The interval excludes 0.
    pub significant: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessageCounts {
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CostRow {
    pub country: String,
    pub category: String,
    pub messages: u64,
    pub currency: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Roi {
    pub currency: String,
    pub revenue: String,
    /// The WhatsApp cost in this currency (converted from USD at `usd_rate` when given).
    pub cost: String,
    pub roi: Option<f64>,
    /// The owner's rate the USD cost was converted at: 1 USD = this many of `currency`.
    pub usd_rate: Option<String>,
}

/// The spend of one pricing category: `marketing` (the recovery templates), `utility`,
/// `authentication` or `service` (typed replies), per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CategoryCost {
    pub category: String,
    pub messages: u64,
    pub total: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Cost {
    pub rows: Vec<CostRow>,
    /// The same spend by category (templates, utility, service…), in the order Meta lists them.
    pub by_category: Vec<CategoryCost>,
    pub total: Vec<Amount>,
    pub per_recovered: Vec<Amount>,
    pub roi: Vec<Roi>,
    pub rates_as_of: String,
}

/// One day or one week (by its Monday), in the shop's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Period {
    pub start: String,
    pub detected: u64,
    pub messaged: u64,
    pub holdout: u64,
    pub recovered: u64,
    pub recovered_holdout: u64,
    pub replied: u64,
    pub revenue: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Metrics {
    pub from: String,
    pub to: String,
    /// The zone the days and weeks are read in.
    pub timezone: String,
    pub carts: CartCounts,
    /// Converted messaged carts out of `carts.messaged` (intention to treat): the recovered ones,
    /// plus those the message never reached that were bought within the attribution window.
    pub recovery: Share,
    pub holdout_recovery: Share,
    pub lift: Lift,
    pub revenue: Vec<Amount>,
    pub replies: Share,
    pub median_first_reply_seconds: Option<i64>,
    pub messages: MessageCounts,
    pub cost: Cost,
    pub daily: Vec<Period>,
    pub weekly: Vec<Period>,
    /// The A/B experiments, the running one first, then the ended ones (each read as a whole,
    /// not by this period).
    pub experiments: Vec<experiment::ExperimentResult>,
    /// The coupons (`coupon_percent`), when any was made for a cart of the period; then
    /// `revenue` and the ROI are net of their discount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub coupons: Option<coupons::CouponFigures>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error(transparent)]
    Range(#[from] period::RangeError),
    #[error("{0:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 instant")]
    Bound(String),
    #[error(transparent)]
    Rates(#[from] rates::RateError),
    #[error(transparent)]
    Storage(#[from] rusqlite::Error),
    #[error("could not write the rate table: {0}")]
    Json(#[from] serde_json::Error),
}

/// Every figure for `[from, to)` (defaults: the shop's last 30 days, today included).
pub fn compute(
    conn: &Connection,
    settings: &Settings,
    now: DateTime<Utc>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Metrics, MetricsError> {
    let tz = settings.timezone;
    let range = Range::resolve(from, to, now, tz)?;
    let attribution = Duration::days(i64::from(settings.attribution_days.max(1)));
    let carts = facts::carts(conn, &range, attribution)?;
    let messages = facts::messages(conn, &range)?;
    let (table, book) = rates::load(conn)?;
    let experiments = experiment::all(conn, attribution)?;
    let mut metrics = aggregate::metrics(&aggregate::Inputs {
        range,
        tz,
        carts: &carts,
        messages: &messages,
        rates: &book,
        rates_as_of: &table.as_of,
        usd_rates: &settings.usd_exchange_rates,
    });
    metrics.experiments = experiments;
    coupons::apply(&mut metrics, conn, &range)?;
    Ok(metrics)
}

/// Reads a bound given as text: an RFC 3339 instant, or a shop date — the start of that day for
/// `from`, the end of it for `to` (so `--to 2026-11-30` includes the 30th). Empty is no bound.
pub fn bound_from_text(
    text: Option<&str>,
    tz: Tz,
    is_end: bool,
) -> Result<Option<DateTime<Utc>>, MetricsError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let date =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| MetricsError::Bound(text.to_string()))?;
    let day = if is_end { date + Duration::days(1) } else { date };
    Ok(Some(period::start_of_day(tz, day)))
}
