//! The daily series as CSV (RFC 4180: a header row, CRLF line ends, fields quoted when they hold
//! a comma, a quote or a line break), for a spreadsheet. Revenue gets one column per currency
//! seen in the period (`revenue ARS`, `revenue USD`…), never one summed column. Written with the
//! `csv` crate, as `recupero export` does.

use std::collections::BTreeSet;

use super::Metrics;

pub fn write(metrics: &Metrics) -> anyhow::Result<String> {
    let currencies: BTreeSet<&str> =
        metrics.daily.iter().flat_map(|d| d.revenue.iter().map(|a| a.currency.as_str())).collect();
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let mut header: Vec<String> =
        ["date", "detected", "messaged", "holdout", "recovered", "recoveredHoldout", "replied"]
            .map(String::from)
            .to_vec();
    header.extend(currencies.iter().map(|c| format!("revenue {c}")));
    w.write_record(&header)?;
    for day in &metrics.daily {
        let mut record = vec![
            day.start.clone(),
            day.detected.to_string(),
            day.messaged.to_string(),
            day.holdout.to_string(),
            day.recovered.to_string(),
            day.recovered_holdout.to_string(),
            day.replied.to_string(),
        ];
        for c in &currencies {
            let amount = day.revenue.iter().find(|a| a.currency == *c).map(|a| a.amount.clone());
            record.push(amount.unwrap_or_else(|| "0".into()));
        }
        w.write_record(&record)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("while writing the CSV: {e}"))?;
    Ok(String::from_utf8(bytes)?)
}
