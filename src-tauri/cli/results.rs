//! `recupero results` and `recupero rates`: the Results figures and the WhatsApp rate table on
//! the command line, as readable text, JSON (the same shape the app receives) or CSV.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::engine::Engine;
use crate::metrics::{self, Amount, Metrics, RateRow, Share};

/// Prints the figures for the period (shop dates, both included; default the last 30 days).
pub fn results(
    engine: &Engine,
    from: Option<&str>,
    to: Option<&str>,
    json: bool,
    csv: bool,
) -> anyhow::Result<ExitCode> {
    let tz = engine.settings()?.timezone;
    let from = metrics::bound_from_text(from, tz, false).context("--from")?;
    let to = metrics::bound_from_text(to, tz, true).context("--to")?;
    if csv {
        print!("{}", engine.metrics_csv(from, to)?);
    } else if json {
        println!("{}", serde_json::to_string_pretty(&engine.metrics(from, to)?)?);
    } else {
        println!("{}", text(&engine.metrics(from, to)?));
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(share: &Share) -> String {
    share.rate.map_or_else(|| "no data".into(), |r| format!("{:.1} %", r * 100.0))
}

fn money(amounts: &[Amount]) -> String {
    if amounts.is_empty() {
        return "none".into();
    }
    amounts.iter().map(|a| format!("{} {}", a.amount, a.currency)).collect::<Vec<_>>().join(", ")
}

fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// The human-readable summary.
pub fn text(m: &Metrics) -> String {
    let first = m.daily.first().map_or("", |d| d.start.as_str());
    let last = m.daily.last().map_or("", |d| d.start.as_str());
    let c = &m.carts;
    let lift = match (m.lift.difference, m.lift.low, m.lift.high) {
        (Some(d), Some(low), Some(high)) => format!(
            "{:+.1} points (95 % interval {:+.1} to {:+.1}; {})",
            d * 100.0,
            low * 100.0,
            high * 100.0,
            if m.lift.significant == Some(true) { "significant" } else { "could be chance" }
        ),
        _ => "not measurable yet (needs messaged and holdout carts)".into(),
    };
    let roi: Vec<String> = m
        .cost
        .roi
        .iter()
        .map(|r| match r.roi {
            Some(x) => {
                let rate = r.usd_rate.as_ref().map(|rate| format!(" at 1 USD = {rate} {}", r.currency));
                format!(
                    "{}: {:+.1} % (revenue {}, cost {}{})",
                    r.currency,
                    x * 100.0,
                    r.revenue,
                    r.cost,
                    rate.unwrap_or_default()
                )
            }
            None => format!("{}: revenue {}, cost {}", r.currency, r.revenue, r.cost),
        })
        .collect();
    let roi_note = if m.cost.roi.len() > 1 {
        " (no ROI across currencies: `recupero config set usd_exchange_rates ARS=1050` converts the USD cost)"
    } else {
        ""
    };
    format!(
        "Results {first} to {last} ({tz})\n\
         carts detected   {detected} (with phone {with_phone}: messaged {messaged}, holdout {holdout}, not sent {not_sent}, pending {pending})\n\
         recovered        {rec} of {recd} messaged ({recp})\n\
         holdout bought   {hold} of {holdd} ({holdp})\n\
         lift             {lift}\n\
         revenue          {revenue}\n\
         replies          {rep} of {repd} ({repp}); median first reply {median}\n\
         messages         sent {sent}, delivered {delivered}, read {read}, failed {failed}\n\
         WhatsApp cost    {cost}; per recovered cart {per} (rates as of {asof})\n\
         return           {roi}{roi_note}",
        tz = m.timezone,
        detected = c.detected,
        with_phone = c.with_phone,
        messaged = c.messaged,
        holdout = c.holdout,
        not_sent = c.not_sent,
        pending = c.pending,
        rec = m.recovery.count,
        recd = m.recovery.denominator,
        recp = percent(&m.recovery),
        hold = m.holdout_recovery.count,
        holdd = m.holdout_recovery.denominator,
        holdp = percent(&m.holdout_recovery),
        revenue = money(&m.revenue),
        rep = m.replies.count,
        repd = m.replies.denominator,
        repp = percent(&m.replies),
        median = m.median_first_reply_seconds.map_or_else(|| "-".into(), duration),
        sent = m.messages.sent,
        delivered = m.messages.delivered,
        read = m.messages.read,
        failed = m.messages.failed,
        cost = money(&m.cost.total),
        per = money(&m.cost.per_recovered),
        asof = m.cost.rates_as_of,
        roi = if roi.is_empty() { "-".into() } else { roi.join("; ") },
    )
}

/// Prints the rate table in force.
pub fn rates_show(engine: &Engine, json: bool) -> anyhow::Result<ExitCode> {
    let table = engine.rate_table()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&table)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "WhatsApp rates as of {}{}; source: {}",
        table.as_of,
        if table.edited { " (edited)" } else { "" },
        table.source
    );
    for note in &table.notes {
        println!("note: {note}");
    }
    println!("{:<8} {:<15} {:<8} price per delivered message", "country", "category", "currency");
    for r in &table.rates {
        println!("{:<8} {:<15} {:<8} {}", r.country, r.category, r.currency, r.price);
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces the table with the rows of a JSON file: an array of rows, or the object that
/// `recupero rates --json` prints (its `rates`).
pub fn rates_set(engine: &Engine, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("while reading {}", file.display()))?;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Input {
        Rows(Vec<RateRow>),
        Table { rates: Vec<RateRow> },
    }
    let rows = match serde_json::from_str::<Input>(&text).with_context(|| {
        format!(
            "{} is not a rate table: expected [{{\"country\": \"AR\", \"category\": \"marketing\", \"currency\": \"USD\", \"price\": \"0.0618\"}}, …]",
            file.display()
        )
    })? {
        Input::Rows(rows) | Input::Table { rates: rows } => rows,
    };
    let table = engine.set_rate_table(rows)?;
    println!("{} rates saved (as of {}).", table.rates.len(), table.as_of);
    Ok(ExitCode::SUCCESS)
}

pub fn rates_reset(engine: &Engine) -> anyhow::Result<ExitCode> {
    let table = engine.reset_rate_table()?;
    println!("Back to the shipped rates (as of {}, {} rows).", table.as_of, table.rates.len());
    Ok(ExitCode::SUCCESS)
}
