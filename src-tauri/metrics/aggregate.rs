//! From facts to figures: pure, so the rules are tested with hand-built rows. Carts count in
//! the period (and the day, and the week) they were detected in, so a day's recovered carts are
//! that day's carts that were later bought — the daily rows add up to the period's totals.
//! Money is summed per currency with exact decimals, never across currencies.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::facts::{CartFact, Group, MessageFact};
use super::period::{local_date, week_start, Range};
use super::rates::{RateBook, CATEGORIES};
use super::stats::{self, round4, Share};
use super::{Amount, CartCounts, CategoryCost, Cost, CostRow, Lift, MessageCounts, Metrics, Period, Roi};
use crate::domain::Currency;

/// Sums of money per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purse(BTreeMap<Currency, Decimal>);

impl Purse {
    pub fn add(&mut self, currency: Currency, amount: Decimal) {
        let slot = self.0.entry(currency).or_default();
        *slot = slot.checked_add(amount).unwrap_or(Decimal::MAX);
    }

    pub fn get(&self, currency: Currency) -> Option<Decimal> {
        self.0.get(&currency).copied()
    }

    pub fn amounts(&self) -> Vec<Amount> {
        self.0.iter().map(|(c, a)| Amount::new(*c, *a)).collect()
    }

    fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.0.keys().copied()
    }
}

/// The counts of one period, of a day or of a week.
#[derive(Debug, Clone, Default)]
struct Tally {
    detected: u64,
    with_phone: u64,
    messaged: u64,
    /// Messaged carts the first message never reached (refused for good, accepted and then
    /// failed, or never confirmed).
    unreached: u64,
    holdout: u64,
    pending: u64,
    not_sent: u64,
    recovered: u64,
    /// Recovered, plus the other messaged carts bought inside the window (intention to treat:
    /// never reached, or opted out before buying).
    converted: u64,
    recovered_holdout: u64,
    replied: u64,
    revenue: Purse,
}

impl Tally {
    fn add(&mut self, cart: &CartFact) {
        self.detected += 1;
        match cart.group {
            Group::NoPhone => {}
            Group::Messaged { reached, .. } => {
                self.messaged += 1;
                self.unreached += u64::from(!reached);
            }
            Group::Holdout => self.holdout += 1,
            Group::Pending => self.pending += 1,
            Group::NotSent => self.not_sent += 1,
        }
        if cart.group != Group::NoPhone {
            self.with_phone += 1;
        }
        if cart.converted() {
            self.converted += 1;
        }
        if cart.recovered() {
            self.recovered += 1;
            if let Some(total) = cart.total {
                self.revenue.add(total.currency(), total.amount());
            }
        }
        if cart.holdout_converted() {
            self.recovered_holdout += 1;
        }
        if matches!(cart.group, Group::Messaged { .. }) && cart.first_reply_at.is_some() {
            self.replied += 1;
        }
    }

    fn period(&self, start: NaiveDate) -> Period {
        Period {
            start: start.format("%Y-%m-%d").to_string(),
            detected: self.detected,
            messaged: self.messaged,
            holdout: self.holdout,
            recovered: self.recovered,
            recovered_holdout: self.recovered_holdout,
            replied: self.replied,
            revenue: self.revenue.amounts(),
        }
    }
}

/// Everything the figures are computed from.
pub struct Inputs<'a> {
    pub range: Range,
    pub tz: Tz,
    pub carts: &'a [CartFact],
    pub messages: &'a [MessageFact],
    pub rates: &'a RateBook,
    pub rates_as_of: &'a str,
    /// What 1 USD is worth in other currencies (owner-entered; may be empty).
    pub usd_rates: &'a BTreeMap<Currency, Decimal>,
}

pub fn metrics(input: &Inputs<'_>) -> Metrics {
    let tz = input.tz;
    let mut total = Tally::default();
    let mut days: BTreeMap<NaiveDate, Tally> =
        input.range.days(tz).into_iter().map(|d| (d, Tally::default())).collect();
    let mut weeks: BTreeMap<NaiveDate, Tally> =
        input.range.weeks(tz).into_iter().map(|d| (d, Tally::default())).collect();
    let mut reply_seconds = Vec::new();
    for cart in input.carts.iter().filter(|c| input.range.contains(c.detected_at)) {
        total.add(cart);
        let day = local_date(tz, cart.detected_at);
        days.entry(day).or_default().add(cart);
        weeks.entry(week_start(day)).or_default().add(cart);
        if let (Group::Messaged { sent_at, .. }, Some(reply)) = (cart.group, cart.first_reply_at) {
            reply_seconds.push((reply - sent_at).num_seconds().max(0));
        }
    }
    let recovery = Share::new(total.converted, total.messaged);
    let holdout_recovery = Share::new(total.recovered_holdout, total.holdout);
    let cost = cost(input.messages, input.rates, input.rates_as_of, &total, input.usd_rates);
    Metrics {
        from: crate::storage::ts(input.range.from),
        to: crate::storage::ts(input.range.to),
        timezone: tz.name().to_string(),
        carts: CartCounts {
            detected: total.detected,
            with_phone: total.with_phone,
            messaged: total.messaged,
            unreached: total.unreached,
            holdout: total.holdout,
            not_sent: total.not_sent,
            pending: total.pending,
        },
        recovery,
        holdout_recovery,
        lift: lift(&total),
        revenue: total.revenue.amounts(),
        replies: Share::new(total.replied, total.messaged),
        median_first_reply_seconds: stats::median_seconds(reply_seconds),
        messages: message_counts(input.messages),
        cost,
        daily: days.iter().map(|(d, t)| t.period(*d)).collect(),
        weekly: weeks.iter().map(|(d, t)| t.period(*d)).collect(),
        experiments: Vec::new(),
        coupons: None,
    }
}

fn lift(total: &Tally) -> Lift {
    let d =
        stats::newcombe(total.converted, total.messaged, total.recovered_holdout, total.holdout, stats::Z_95);
    Lift {
        difference: d.map(|d| round4(d.difference)),
        low: d.map(|d| round4(d.low)),
        high: d.map(|d| round4(d.high)),
        confidence: 0.95,
        method: "newcombe_wilson",
        significant: d.map(|d| d.significant()),
    }
}

/// Best status ever seen: read implies delivered; a failure is counted once, as failed.
fn message_counts(messages: &[MessageFact]) -> MessageCounts {
    let mut out = MessageCounts::default();
    for m in messages {
        out.sent += 1;
        match m.status.as_deref() {
            Some("delivered") => out.delivered += 1,
            Some("read" | "played") => {
                out.delivered += 1;
                out.read += 1;
            }
            Some("failed") => out.failed += 1,
            _ => {}
        }
    }
    out
}

/// The category Meta bills a message under: what its status webhook said, else templates are
/// marketing (the recovery template is) and anything typed is service.
pub fn category(m: &MessageFact) -> &'static str {
    let reported = m.category.as_deref().and_then(|c| CATEGORIES.into_iter().find(|k| *k == c));
    reported.unwrap_or(if m.kind == "template" { "marketing" } else { "service" })
}

/// Whether Meta charges for the message. Messages typed in the WhatsApp Business app are free
/// (Coexistence); a message WhatsApp reported free (customer-service window, free entry point)
/// is free; a failed one is not delivered, so not charged. An accepted message with no delivery
/// report yet is counted: a cost estimate should err high, not hide a bill.
pub fn billable(m: &MessageFact) -> bool {
    m.origin != "phone"
        && m.status.as_deref() != Some("failed")
        && !m.pricing_type.as_deref().is_some_and(|t| t.starts_with("free"))
}

fn cost(
    messages: &[MessageFact],
    rates: &RateBook,
    as_of: &str,
    total: &Tally,
    usd_rates: &BTreeMap<Currency, Decimal>,
) -> Cost {
    let mut rows: BTreeMap<(String, &'static str, Currency), (u64, Decimal)> = BTreeMap::new();
    let mut spent = Purse::default();
    let mut by_category: BTreeMap<usize, (u64, Purse)> = BTreeMap::new();
    for m in messages.iter().filter(|m| billable(m)) {
        let category = category(m);
        let Some(price) = rates.price(m.country.as_deref(), category) else { continue };
        let order = CATEGORIES.iter().position(|c| *c == category).unwrap_or(CATEGORIES.len());
        let slot = by_category.entry(order).or_default();
        slot.0 += 1;
        slot.1.add(price.currency(), price.amount());
        let country = m.country.clone().unwrap_or_else(|| "*".into());
        let row = rows.entry((country, category, price.currency())).or_default();
        row.0 += 1;
        row.1 = row.1.checked_add(price.amount()).unwrap_or(Decimal::MAX);
        spent.add(price.currency(), price.amount());
    }
    let per_recovered = if total.recovered == 0 {
        Vec::new()
    } else {
        let n = Decimal::from(total.recovered);
        spent
            .currencies()
            .filter_map(|c| {
                spent.get(c).and_then(|a| a.checked_div(n)).map(|a| Amount::new(c, a.round_dp(4)))
            })
            .collect()
    };
    Cost {
        rows: rows
            .into_iter()
            .map(|((country, category, currency), (messages, amount))| CostRow {
                country,
                category: category.to_string(),
                messages,
                currency: currency.code().to_string(),
                amount: Amount::text(currency, amount),
            })
            .collect(),
        by_category: by_category
            .into_iter()
            .map(|(order, (messages, purse))| CategoryCost {
                category: CATEGORIES.get(order).copied().unwrap_or("other").to_string(),
                messages,
                total: purse.amounts(),
            })
            .collect(),
        total: spent.amounts(),
        per_recovered,
        roi: roi(&total.revenue, &spent, usd_rates),
        rates_as_of: as_of.to_string(),
    }
}

/// One line per currency seen in revenue or cost. The ratio is given only when all the revenue
/// and all the cost are in that one currency: a cost in USD says nothing about revenue in ARS
/// without an exchange rate, and we do not guess one — but when all the revenue is in one
/// currency and the owner gave what 1 USD is worth in it, the USD cost is converted at that
/// rate (one line, with the rate shown).
fn roi(revenue: &Purse, cost: &Purse, usd_rates: &BTreeMap<Currency, Decimal>) -> Vec<Roi> {
    if let Some(line) = converted_roi(revenue, cost, usd_rates) {
        return vec![line];
    }
    let mut currencies: Vec<Currency> = revenue.currencies().chain(cost.currencies()).collect();
    currencies.sort();
    currencies.dedup();
    let single = currencies.len() == 1;
    currencies
        .into_iter()
        .map(|c| {
            let rev = revenue.get(c).unwrap_or_default();
            let spent = cost.get(c).unwrap_or_default();
            let ratio = (single && !spent.is_zero())
                .then(|| rev.checked_sub(spent).and_then(|gain| gain.checked_div(spent)))
                .flatten()
                .and_then(|r| r.to_f64())
                .filter(|r| r.is_finite())
                .map(round4);
            Roi {
                currency: c.code().to_string(),
                revenue: Amount::text(c, rev),
                cost: Amount::text(c, spent),
                roi: ratio,
                usd_rate: None,
            }
        })
        .collect()
}

/// All revenue in one currency R (not USD), every cost in R or in USD with the owner's rate
/// for R: the return in R.
fn converted_roi(revenue: &Purse, cost: &Purse, usd_rates: &BTreeMap<Currency, Decimal>) -> Option<Roi> {
    let mut sold = revenue.currencies();
    let r = sold.next()?;
    let usd = Currency::parse("USD").ok()?;
    if sold.next().is_some() || r == usd {
        return None;
    }
    let rate = *usd_rates.get(&r)?;
    let mut spent = Decimal::ZERO;
    for c in cost.currencies() {
        let amount = cost.get(c).unwrap_or_default();
        let in_r = if c == r {
            amount
        } else if c == usd {
            amount.checked_mul(rate)?
        } else {
            return None;
        };
        spent = spent.checked_add(in_r)?;
    }
    let rev = revenue.get(r).unwrap_or_default();
    let spent = spent.round_dp(r.minor_units());
    let ratio = (!spent.is_zero())
        .then(|| rev.checked_sub(spent).and_then(|gain| gain.checked_div(spent)))
        .flatten()
        .and_then(|x| x.to_f64())
        .filter(|x| x.is_finite())
        .map(round4);
    Some(Roi {
        currency: r.code().to_string(),
        revenue: Amount::text(r, rev),
        cost: Amount::text(r, spent),
        roi: ratio,
        usd_rate: Some(rate.to_string()),
    })
}
