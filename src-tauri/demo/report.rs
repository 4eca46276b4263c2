//! What `recupero demo` reports: the run's figures read back from the demo's own database and
//! the sandbox WhatsApp, as JSON or as the text summary.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::engine::Engine;
use crate::sandbox::whatsapp::WhatsAppSandbox;
use crate::storage;

/// The demo's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct DemoReport {
    /// Where the demo's database is (`<data dir>/demo/`): what `--data-dir` shows its sends.
    pub data_dir: String,
    pub days: u32,
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub business_hours: String,
    /// Checkouts the store showed.
    pub checkouts: u64,
    /// Carts detected and given a plan.
    pub detected: i64,
    /// Sends planned (first messages and follow-ups).
    pub planned: i64,
    pub sent: i64,
    pub sent_outside_hours: i64,
    pub failed: i64,
    pub unknown: i64,
    pub pending: i64,
    pub skipped: BTreeMap<String, i64>,
    pub recovered: i64,
    /// Recovered revenue per currency (decimal strings; never summed across currencies).
    pub recovered_revenue: BTreeMap<String, String>,
    pub holdout: i64,
    pub holdout_converted: i64,
    pub outcomes: BTreeMap<String, i64>,
    /// Messages the sandbox WhatsApp received more than once for the same cart step.
    pub duplicates: i64,
    pub messages_received: usize,
    /// Simulated customers' answers by kind (shipping, payment, thanks, stop, complaint).
    pub customer_replies: BTreeMap<String, i64>,
    /// Status webhooks stored and processed, and messages by their last status.
    pub webhooks_received: i64,
    pub message_status: BTreeMap<String, i64>,
    pub opted_out: i64,
    /// Opt-out confirmations WhatsApp accepted (one per opt-out by keyword or button).
    pub opt_out_confirmations: i64,
    /// Answers drafted for the owner, by source (facts, assistant) and state.
    pub drafts: BTreeMap<String, i64>,
    /// Conversations handed to a person, by reason, and the notifications that went with them.
    pub escalations: BTreeMap<String, i64>,
    pub escalation_notifications: i64,
    /// Sends still waiting, by why the last round held them back (`closed`, `customer_active`…);
    /// all of them under `spend_cap` while the month's spend is at the cap.
    pub held: BTreeMap<String, i64>,
    /// The monthly spend cap (`monthly_spend_cap_usd`, USD; `None`: no cap) and the demo
    /// month's estimated spend in USD at the end of the run.
    pub spend_cap_usd: Option<String>,
    pub month_spend_usd: String,
    pub spend_cap_reached: bool,
    /// Times the owner was told the cap was reached (once a month).
    pub spend_cap_notifications: i64,
    /// With the `experiment` setting: the run's A/B experiment — its `arms` with their rates
    /// and Wilson intervals, and the `difference` between them with Newcombe's interval (the
    /// same figures as `results --json`'s `experiments`). Absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<crate::metrics::experiment::ExperimentResult>,
    /// The coupons (`coupon_percent`): created, redeemed, the discount per currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupons: Option<super::coupons::DemoCoupons>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn report(
    engine: &Engine,
    wa: &WhatsAppSandbox,
    settings: &Settings,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    days: u32,
    checkouts: u64,
    store_id: i64,
) -> anyhow::Result<DemoReport> {
    let conn = engine.db().conn();
    let tally = storage::sends::tally_of_store(&conn, store_id)?;
    let skipped = storage::sends::skip_reasons_of_store(&conn, store_id)?;
    let outcomes = storage::carts::outcome_counts_of_store(&conn, store_id)?;
    let mut revenue: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
    for (currency, total) in storage::carts::recovered_totals_of_store(&conn, store_id)? {
        let amount: rust_decimal::Decimal = total.parse().unwrap_or_default();
        *revenue.entry(currency).or_default() += amount;
    }
    let mut outside = 0;
    for sent_at in storage::sends::sent_times_of_store(&conn, store_id)? {
        if let Some(at) = sent_at.and_then(|t| crate::domain::time::parse_time(&t).ok()) {
            if !settings.business_hours.is_open(at) {
                outside += 1;
            }
        }
    }
    let message_status = storage::messages::automation_status_counts(&conn)?;
    let (webhooks_received, _, _) = storage::webhook_events::counts(&conn)?;
    let opted_out = storage::contacts::opted_out_count(&conn)?;
    let drafts = storage::drafts::counts_by_source_and_state(&conn)?;
    let escalations = storage::event_log::escalations_by_reason(&conn)?;
    let opt_out_confirmations = storage::messages::accepted_opt_out_confirmations(&conn)?;
    // While the month's spend is at the cap every planned send waits for it whatever held it
    // last (the night, a deadline): the cap outranks, as in the cart's "why not sent".
    let cap = crate::metrics::spend::cap_status(&conn, settings, end)?;
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    for s in storage::sends::list(&conn)?.iter().filter(|s| s.state == "planned") {
        let reason = if cap.reached { Some("spend_cap") } else { s.held_reason.as_deref() };
        if let Some(reason) = reason {
            *held.entry(reason.to_string()).or_default() += 1;
        }
    }
    let attribution = chrono::Duration::days(i64::from(settings.attribution_days.max(1)));
    let experiment = match settings.experiment {
        Some(_) => crate::metrics::experiment::all(&conn, attribution)?.into_iter().next(),
        None => None,
    };
    let messages = wa.messages();
    let mut keys = HashSet::new();
    let duplicates = messages
        .iter()
        .filter(|m| !keys.insert(m.callback_data.clone().unwrap_or_else(|| m.wamid.clone())))
        .count();
    Ok(DemoReport {
        data_dir: String::new(),
        days,
        from: storage::ts(start),
        to: storage::ts(end),
        timezone: settings.timezone.name().to_string(),
        business_hours: settings.business_hours.to_string(),
        checkouts,
        detected: tally.first_steps,
        planned: tally.planned,
        sent: tally.sent,
        sent_outside_hours: outside,
        failed: tally.failed,
        unknown: tally.unknown,
        pending: tally.pending,
        skipped,
        recovered: outcomes.get("recovered").copied().unwrap_or(0),
        recovered_revenue: revenue.into_iter().map(|(c, a)| (c, a.to_string())).collect(),
        holdout: storage::carts::holdout_count_of_store(&conn, store_id)?,
        holdout_converted: outcomes.get("holdout_converted").copied().unwrap_or(0),
        outcomes,
        duplicates: i64::try_from(duplicates).unwrap_or(i64::MAX),
        messages_received: messages.len(),
        customer_replies: BTreeMap::new(),
        webhooks_received,
        message_status,
        opted_out,
        opt_out_confirmations,
        drafts,
        escalations,
        escalation_notifications: 0,
        held,
        spend_cap_usd: cap.cap_usd,
        month_spend_usd: cap.spent_usd,
        spend_cap_reached: cap.reached,
        spend_cap_notifications: 0,
        experiment,
        coupons: None,
    })
}

impl DemoReport {
    /// The human-readable summary.
    pub fn text(&self) -> String {
        let skipped: Vec<String> = self.skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let revenue: Vec<String> = self.recovered_revenue.iter().map(|(c, a)| format!("{a} {c}")).collect();
        let experiment = self.experiment.as_ref().map_or(String::new(), experiment_line);
        format!(
            "Recupero demo: {days} simulated day(s), {from} → {to} ({tz}; hours {hours})\n\
             checkouts seen      {checkouts}\n\
             carts detected      {detected} (holdout: {holdout})\n\
             messages sent       {sent} (outside hours: {outside}; duplicates: {dups})\n\
             not sent            {skipped}\n\
             failed / unknown    {failed} / {unknown}; still planned: {pending}\n\
             recovered           {recovered} carts ({revenue}); holdout carts bought: {hconv}\n\
             WhatsApp said       {statuses} ({webhooks} webhooks); customers answered: {replies}; opted out: {optout} (confirmed: {confirmed})\n\
             conversations       drafts: {drafts}; handed to you: {escalations} ({notified} notifications)\n\
             waiting             {held}\n\
             WhatsApp this month USD {spend} estimated (cap: {cap})\n\
             {experiment}{coupons}See every send: recupero export sends --format json --data-dir {data_dir}",
            data_dir = self.data_dir,
            coupons = match &self.coupons {
                None => String::new(),
                Some(c) => format!(
                    "coupons             {} created, {} used (discount: {}); refused: {}\n",
                    c.created,
                    c.redeemed,
                    if c.discount.is_empty() { "none".into() } else { c.discount.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ") },
                    c.refused
                ),
            },
            statuses = self.message_status.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
            webhooks = self.webhooks_received,
            replies = self.customer_replies.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
            optout = self.opted_out,
            confirmed = self.opt_out_confirmations,
            drafts = if self.drafts.is_empty() { "none".into() } else { self.drafts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") },
            escalations = if self.escalations.is_empty() { "none".into() } else { self.escalations.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") },
            notified = self.escalation_notifications,
            held = if self.held.is_empty() { "none".into() } else { self.held.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ") },
            spend = self.month_spend_usd,
            cap = match (&self.spend_cap_usd, self.spend_cap_reached) {
                (None, _) => "none".to_string(),
                (Some(c), true) => format!("USD {c}, reached: recovery messages wait"),
                (Some(c), false) => format!("USD {c}"),
            },
            days = self.days,
            from = self.from,
            to = self.to,
            tz = self.timezone,
            hours = self.business_hours,
            checkouts = self.checkouts,
            detected = self.detected,
            holdout = self.holdout,
            sent = self.sent,
            outside = self.sent_outside_hours,
            dups = self.duplicates,
            skipped = if skipped.is_empty() { "none".into() } else { skipped.join(", ") },
            failed = self.failed,
            unknown = self.unknown,
            pending = self.pending,
            recovered = self.recovered,
            revenue = if revenue.is_empty() { "no revenue yet".into() } else { revenue.join(", ") },
            hconv = self.holdout_converted,
        )
    }
}

/// The experiment's line of the text summary: each arm's rate with its interval, then the
/// difference with its interval.
fn experiment_line(e: &crate::metrics::experiment::ExperimentResult) -> String {
    let pct = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{:.1}%", x * 100.0));
    let arms: Vec<String> = e
        .arms
        .iter()
        .map(|a| {
            format!(
                "{} ({}) {}/{} = {} [{}, {}]",
                a.arm,
                a.value,
                a.converted,
                a.carts,
                pct(a.rate),
                pct(a.low),
                pct(a.high)
            )
        })
        .collect();
    let d = &e.difference;
    format!(
        "experiment          {}: {}; A − B {} [{}, {}] ({})\n",
        e.spec,
        arms.join(" vs "),
        pct(d.difference),
        pct(d.low),
        pct(d.high),
        e.verdict.replace('_', " ")
    )
}
