//! `recupero sandbox`: the sandbox stores on loopback, to try `store check` or the app without a
//! shop, until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::clock::SystemClock;

pub fn run(port: u16, count: u64, rate_limits: bool) -> anyhow::Result<ExitCode> {
    use crate::clock::Clock;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let clock = Arc::new(SystemClock);
        let mut config = crate::sandbox::SandboxConfig::new(clock.now(), count);
        config.rate_limits = rate_limits;
        let sandbox = crate::sandbox::Sandbox::start(config.clone(), clock, port)
            .await
            .with_context(|| format!("while listening on 127.0.0.1:{port}"))?;
        let base = sandbox.base_url();
        println!("Sandbox stores on {base} ({count} checkouts each). Try, in another terminal:");
        println!("  RECUPERO_STORE_TOKEN={} recupero store check --platform tiendanube --base-url {base} --store-id {}", config.token, config.tiendanube_store_id);
        println!("  RECUPERO_STORE_TOKEN={} recupero store check --platform shopify --base-url {base}", config.token);
        println!("  RECUPERO_STORE_KEY={} RECUPERO_STORE_SECRET={} recupero store check --platform woocommerce --base-url {base}", config.woo_key, config.woo_secret);
        println!("  RECUPERO_STORE_KEY={} RECUPERO_STORE_SECRET={} recupero store check --platform jumpseller --base-url {base} --country CL", config.jumpseller_login, config.jumpseller_token);
        println!("  RECUPERO_STORE_TOKEN={} recupero store check --platform prestashop --base-url {base} --country ES", config.prestashop_key);
        println!("  RECUPERO_STORE_KEY={} RECUPERO_STORE_SECRET={} recupero store check --platform vtex --base-url {base} --country BR", config.vtex_app_key, config.vtex_app_token);
        println!("Press Ctrl-C to stop.");
        let _ = tokio::signal::ctrl_c().await;
        drop(sandbox);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
