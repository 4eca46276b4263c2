//! `recupero serve`: the engine headless (no window) until Ctrl-C, with the webhook address and
//! verify token printed for the owner.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::engine::Engine;

pub fn run(engine: Arc<Engine>) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("while starting the async runtime")?;
    rt.block_on(async move {
        let status = engine.status()?;
        let settings = engine.settings()?;
        eprintln!("Recupero {} serving headless; data in {}", status.version, status.data_dir);
        eprintln!("Webhook URL (expose it with a tunnel): {}", status.webhook_url);
        eprintln!("Webhook verify token: {}", settings.webhook_verify_token);
        eprintln!("Press Ctrl-C to stop.");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("stopping…");
        };
        engine.run_until_stopped(shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
