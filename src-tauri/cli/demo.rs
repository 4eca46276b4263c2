//! `recupero demo`: the whole loop against the built-in sandbox with a fast simulated clock,
//! printed as text or JSON.

use std::process::ExitCode;

use anyhow::Context;

use crate::paths::AppPaths;

pub fn run(paths: AppPaths, json: bool, days: u32, start: Option<String>) -> anyhow::Result<ExitCode> {
    let start = start
        .map(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&chrono::Utc)))
        .transpose()
        .context("--start expects an RFC 3339 instant such as 2026-11-23T08:00:00-05:00")?;
    let report = super::runtime()?.block_on(crate::demo::run(paths, days, start))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}
