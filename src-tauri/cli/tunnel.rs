//! `recupero tunnel run`: the owner's tunnel in the foreground until Ctrl-C, as the app runs it
//! (`cloudflared` started again when it stops), its public address printed on standard output
//! and registered with WhatsApp when WhatsApp is set up. The receiver must be running (the app or
//! `recupero serve`, with `tunnel_mode` off so only one tunnel runs) for WhatsApp to reach it.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use crate::config;
use crate::engine::{Engine, TunnelChoice};
use crate::tunnel::{TunnelMode, TunnelState};

#[derive(Debug, Subcommand)]
pub enum TunnelCmd {
    /// Run cloudflared in the foreground until Ctrl-C, print its public address and register
    /// it with WhatsApp (when set up). Without options: the tunnel_mode setting's tunnel.
    Run {
        /// A quick tunnel, to try: a new *.trycloudflare.com address at every start.
        #[arg(long, conflicts_with = "name")]
        quick: bool,
        /// Your named tunnel, for daily use (created with `cloudflared tunnel create NAME`).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// The hostname the named tunnel answers at (default: the tunnel_hostname setting).
        #[arg(long, value_name = "HOSTNAME", requires = "name")]
        hostname: Option<String>,
    },
}

pub fn run(
    engine: Arc<Engine>,
    quick: bool,
    name: Option<String>,
    hostname: Option<String>,
) -> anyhow::Result<ExitCode> {
    let settings = engine.settings()?;
    let choice = match (quick, name) {
        (true, _) => TunnelChoice { mode: TunnelMode::Quick, name: None, hostname: None },
        (false, Some(name)) => TunnelChoice {
            mode: TunnelMode::Named,
            name: Some(config::spec("tunnel_name")?.normalize(&name)?),
            hostname: hostname.map(|h| config::spec("tunnel_hostname")?.normalize(&h)).transpose()?,
        },
        (false, None) => match TunnelMode::parse(&settings.tunnel_mode).unwrap_or_default() {
            TunnelMode::Off => anyhow::bail!(
                "say which tunnel: --quick (to try) or --name NAME (your named tunnel), or set tunnel_mode"
            ),
            mode => TunnelChoice { mode, name: None, hostname: None },
        },
    };
    let port = settings.webhook_port;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let runner = engine.start_tunnel(port, Some(choice));
        eprintln!("Starting cloudflared towards this computer's webhook receiver (http://127.0.0.1:{port}); Ctrl-C stops it.");
        let mut shown = None;
        let mut printed: Option<String> = None;
        // One Ctrl-C listener for the whole run, so no interrupt falls between two looks.
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        let code = loop {
            tokio::select! {
                _ = &mut interrupted => break ExitCode::SUCCESS,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            let status = engine.tunnel_status();
            let key = (status.state, status.address.clone(), status.registration.clone(), status.restarts);
            if shown.as_ref() == Some(&key) {
                continue;
            }
            shown = Some(key);
            match status.state {
                TunnelState::Up => {
                    let address = status.address.as_deref().unwrap_or_default();
                    // The address alone on standard output, once per address (for scripts).
                    if printed.as_deref() != Some(address) {
                        println!("{address}");
                        printed = Some(address.to_string());
                    }
                    match status.registration.as_deref() {
                        None => {}
                        Some("ok") => eprintln!("registered with WhatsApp: {address}"),
                        Some("not_configured") => eprintln!("WhatsApp is not set up yet: nothing registered"),
                        Some(other) => eprintln!(
                            "WhatsApp did not take {address} ({other}): {}",
                            status.registration_detail.as_deref().unwrap_or("no detail")
                        ),
                    }
                }
                TunnelState::Starting => eprintln!("starting cloudflared…"),
                TunnelState::Failed => eprintln!("{}", status.reason.as_deref().unwrap_or("the tunnel failed")),
                TunnelState::NotInstalled => {
                    eprintln!("{}", status.reason.as_deref().unwrap_or(crate::tunnel::INSTALL_HINT));
                    break ExitCode::FAILURE;
                }
                TunnelState::Off => {}
            }
        };
        drop(runner);
        eprintln!("tunnel stopped");
        Ok::<_, anyhow::Error>(code)
    })
}
