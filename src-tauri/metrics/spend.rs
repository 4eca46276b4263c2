//! The month's WhatsApp spend and the monthly cap (`monthly_spend_cap_usd`): everything sent
//! in the shop's current calendar month (recovery templates, the owner's replies, the
//! assistant's answers), priced like the Results cost (the rate table, what WhatsApp reported
//! free is free, the phone app's messages are free), in US dollars.
//!
//! Conversion: a price in USD counts as it is; a price in another currency counts at the owner's
//! `usd_exchange_rates` (1 USD = r of it, so amount ÷ r). A price in a currency without a rate
//! cannot be compared with a cap in dollars: it is **not counted** toward the cap, and is listed
//! apart (`unconverted`) so the composer and the demo say so. The shipped rate table is all USD.
//!
//! The month is the shop's: it starts at 00:00 of the 1st in the shop's time zone, so a message
//! sent at 23:30 on the 31st in Buenos Aires is that month's even though it is the 1st in UTC.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

use super::aggregate::{billable, category, Purse};
use super::period::{local_date, start_of_day, Range};
use super::rates::RateBook;
use super::{facts, Amount, MetricsError};
use crate::domain::{Currency, Money};

/// Where the month whose cap notice was given is kept (`YYYY-MM`): a marker, not a setting.
pub const NOTIFIED_KEY: &str = "spend_cap_notified_month";

/// The shop's calendar month holding `now`: `[00:00 on the 1st, 00:00 on the next 1st)`.
pub fn month_range(tz: Tz, now: DateTime<Utc>) -> Range {
    let today = local_date(tz, now);
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap_or(first);
    Range { from: start_of_day(tz, first), to: start_of_day(tz, next) }
}

/// `YYYY-MM` of the shop's month holding `now`.
pub fn month_key(tz: Tz, now: DateTime<Utc>) -> String {
    local_date(tz, now).format("%Y-%m").to_string()
}

/// A price in US dollars: as it is for USD, at the owner's rate otherwise, `None` without one.
pub fn in_usd(price: Money, usd_rates: &BTreeMap<Currency, Decimal>) -> Option<Decimal> {
    if price.currency().code() == "USD" {
        return Some(price.amount());
    }
    let rate = usd_rates.get(&price.currency()).filter(|r| !r.is_zero())?;
    price.amount().checked_div(*rate)
}

/// What the month cost so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSpend {
    pub range: Range,
    /// Billable messages counted.
    pub messages: u64,
    /// Their estimated cost in USD (exact decimal).
    pub usd: Decimal,
    /// Prices in currencies without a USD rate: not counted in `usd`.
    pub unconverted: Purse,
}

/// The estimated spend of the shop's month holding `now`.
pub fn month_spend(
    conn: &Connection,
    tz: Tz,
    now: DateTime<Utc>,
    usd_rates: &BTreeMap<Currency, Decimal>,
) -> rusqlite::Result<MonthSpend> {
    let range = month_range(tz, now);
    let messages = facts::messages(conn, &range)?;
    let (_, book) = super::rates::load(conn)?;
    Ok(spend_of(range, &messages, &book, usd_rates))
}

/// The pure part of [`month_spend`].
pub fn spend_of(
    range: Range,
    messages: &[facts::MessageFact],
    book: &RateBook,
    usd_rates: &BTreeMap<Currency, Decimal>,
) -> MonthSpend {
    let mut out = MonthSpend { range, messages: 0, usd: Decimal::ZERO, unconverted: Purse::default() };
    for m in messages.iter().filter(|m| billable(m)) {
        let Some(price) = book.price(m.country.as_deref(), category(m)) else { continue };
        out.messages += 1;
        match in_usd(price, usd_rates) {
            Some(usd) => out.usd = out.usd.checked_add(usd).unwrap_or(Decimal::MAX),
            None => out.unconverted.add(price.currency(), price.amount()),
        }
    }
    out
}

/// The cap as the composer, the Carts panel and the demo show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SpendCapStatus {
    /// The shop's month (`YYYY-MM`).
    pub month: String,
    /// The cap in USD (decimal text); `None`: no cap set.
    pub cap_usd: Option<String>,
    /// The month's estimated spend so far, in USD (decimal text, 4 places at most).
    pub spent_usd: String,
    /// Spend in currencies without a USD rate, not counted toward the cap.
    pub unconverted: Vec<Amount>,
    /// The spend reached the cap: recovery messages wait.
    pub reached: bool,
    /// When the month ends and sending resumes on its own (RFC 3339, UTC).
    pub resumes_at: String,
}

/// Whether `spend` reached `cap` (`None`: no cap, never reached).
pub fn reached(spend: &MonthSpend, cap: Option<Decimal>) -> bool {
    cap.is_some_and(|cap| spend.usd >= cap)
}

pub fn status(spend: &MonthSpend, cap: Option<Decimal>, tz: Tz) -> SpendCapStatus {
    SpendCapStatus {
        month: local_date(tz, spend.range.from).format("%Y-%m").to_string(),
        cap_usd: cap.map(|c| c.normalize().to_string()),
        spent_usd: spend.usd.round_dp(4).normalize().to_string(),
        unconverted: spend.unconverted.amounts(),
        reached: reached(spend, cap),
        resumes_at: crate::storage::ts(spend.range.to),
    }
}

/// The cap's state now, from the settings and the database.
pub fn cap_status(
    conn: &Connection,
    settings: &crate::config::Settings,
    now: DateTime<Utc>,
) -> Result<SpendCapStatus, MetricsError> {
    let spend = month_spend(conn, settings.timezone, now, &settings.usd_exchange_rates)?;
    Ok(status(&spend, settings.monthly_spend_cap_usd, settings.timezone))
}

/// Records that the owner was told the cap of `now`'s month was reached. `true` the first time
/// in that month (tell them), `false` when they were already told.
pub fn first_notice_of_month(conn: &Connection, tz: Tz, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let month = month_key(tz, now);
    let settings = crate::storage::settings::get(conn, NOTIFIED_KEY)?;
    if settings.as_deref() == Some(month.as_str()) {
        return Ok(false);
    }
    crate::storage::settings::put(conn, NOTIFIED_KEY, &month, &crate::storage::ts(now))?;
    Ok(true)
}

#[cfg(test)]
mod tests;
