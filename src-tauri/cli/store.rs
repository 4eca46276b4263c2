//! `recupero store`: check a store's carts without saving, save a store, list the saved ones and
//! poll them now.

use std::process::ExitCode;
use std::sync::Arc;

use super::{StoreArgs, StoreCmd};
use crate::engine::{Engine, EngineError};

impl StoreArgs {
    fn input(self, name: Option<String>) -> crate::stores::StoreInput {
        crate::stores::StoreInput {
            platform: self.platform,
            base_url: self.base_url,
            store_id: self.store_id,
            country: self.country,
            name,
            api_version: self.api_version,
            query_string_auth: self.query_string_auth,
            ..Default::default()
        }
    }
}

pub fn run(engine: Arc<Engine>, cmd: StoreCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        StoreCmd::Check { store, json, limit } => {
            let input = store.input(None);
            let report =
                super::runtime()?.block_on(engine.store_check(&input, limit.unwrap_or(usize::MAX)))?;
            let mut out = std::io::stdout().lock();
            use std::io::Write;
            for cart in &report.carts {
                if json {
                    writeln!(out, "{}", serde_json::to_string(cart)?)?;
                } else {
                    let phone = cart.phone.clone().unwrap_or_else(|| {
                        format!("no phone: {}", cart.phone_problem.as_deref().unwrap_or("unknown"))
                    });
                    let items = cart.item_count();
                    writeln!(
                        out,
                        "{:<14} {:<12} {:<28} {:>12} {} {:>3} items{}",
                        cart.checkout_id,
                        cart.first_name.as_deref().unwrap_or("-"),
                        phone,
                        cart.total,
                        cart.currency,
                        items,
                        if cart.completed { "  completed" } else { "" }
                    )?;
                }
            }
            for skip in &report.skipped {
                eprintln!(
                    "skipped checkout {}: {}",
                    skip.checkout_id.as_deref().unwrap_or("(no id)"),
                    skip.reason
                );
            }
            eprintln!("{} carts, {} skipped", report.carts.len(), report.skipped.len());
            eprintln!("marketing consent: {}", report.consent.describe());
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::Add { store, name } => {
            let row = engine.connect_store(&store.input(name))?;
            println!("store {} saved: {} {} ({})", row.id, row.platform, row.base_url, row.name);
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::List { json } => {
            let rows = engine.list_stores()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no stores yet: `recupero store add --platform … --base-url …`");
            } else {
                for r in rows {
                    println!(
                        "{:>3} {:<12} {:<8} last success: {:<25} {}  {}",
                        r.id,
                        r.platform,
                        r.state,
                        r.last_success_at.as_deref().unwrap_or("never"),
                        r.base_url,
                        r.last_error.as_deref().unwrap_or("")
                    );
                    if let Some(sync) = &r.first_sync {
                        println!(
                            "    first sync: {} checkouts read, {} carts with a phone",
                            sync.checkouts_read, sync.carts_with_phone
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::Poll { json } => {
            let results = super::runtime()?.block_on(async {
                let mut all = Vec::new();
                for row in engine.list_stores()? {
                    all.push((row.id, engine.poll_store_until_caught_up(row.id, true).await?));
                }
                Ok::<_, EngineError>(all)
            })?;
            let mut failed = false;
            for (id, outcomes) in results {
                let (mut new, mut updated, mut completed, mut skipped) = (0, 0, 0, 0);
                let mut error = None;
                for o in &outcomes {
                    match o {
                        crate::scheduler::poller::PollOutcome::Page {
                            new: n,
                            updated: u,
                            completed: c,
                            skipped: s,
                            ..
                        } => {
                            new += n;
                            updated += u;
                            completed += c;
                            skipped += s;
                        }
                        crate::scheduler::poller::PollOutcome::Failed { error: e, .. } => {
                            error = Some(e.to_string())
                        }
                        crate::scheduler::poller::PollOutcome::NotDue { .. } => {}
                    }
                }
                failed |= error.is_some();
                if json {
                    let line = serde_json::json!({ "store": id, "new": new, "updated": updated,
                        "completed": completed, "skipped": skipped, "error": error });
                    println!("{line}");
                } else {
                    println!("store {id}: {new} new, {updated} updated, {completed} completed, {skipped} skipped{}",
                        error.map(|e| format!("; failed: {e}")).unwrap_or_default());
                }
            }
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}
