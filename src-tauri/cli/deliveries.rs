//! `recupero deliveries`: the webhook deliveries that could not be applied and were set aside
//! (quarantined) — `list` shows them (id, arrival, attempts, last error; never a body, which may
//! hold a customer's words), `retry` puts them back in line for another round.

use std::process::ExitCode;

use crate::engine::Engine;

pub fn list(engine: &Engine, json: bool) -> anyhow::Result<ExitCode> {
    let q = engine.quarantined_deliveries()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&q)?);
        return Ok(ExitCode::SUCCESS);
    }
    if q.count == 0 {
        println!("No delivery is quarantined: every webhook received was applied or is in line.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} quarantined deliveries", q.count);
    println!("oldest received: {}", q.oldest_received_at.as_deref().unwrap_or("-"));
    println!("last error:      {}", q.last_error.as_deref().unwrap_or("-"));
    println!();
    println!("{:>8}  {:<24}  {:>8}  last error", "id", "received", "attempts");
    for row in &q.recent {
        println!("{:>8}  {:<24}  {:>8}  {}", row.id, row.received_at, row.attempts, row.last_error);
    }
    if q.count > q.recent.len() as i64 {
        println!("… and {} more", q.count - q.recent.len() as i64);
    }
    println!();
    println!("`recupero deliveries retry` puts them back in line.");
    Ok(ExitCode::SUCCESS)
}

/// Releases the quarantined deliveries and applies what it can now (this process's own round;
/// a running app would pick them up on its next one too).
pub fn retry(engine: &Engine) -> anyhow::Result<ExitCode> {
    let released = engine.retry_quarantined_deliveries()?;
    if released == 0 {
        println!("No delivery is quarantined.");
        return Ok(ExitCode::SUCCESS);
    }
    let applied = engine.process_webhooks()?;
    let still = engine.quarantined_deliveries()?.count;
    println!("{released} deliveries put back in line; {applied} applied now.");
    if still > 0 {
        println!("{still} failed again and are quarantined (`recupero deliveries list`).");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
