//! `recupero status`: what the engine holds, with the last 30 days' Results, as text or JSON.

use std::process::ExitCode;

use crate::engine::Engine;

pub fn run(engine: &Engine, json: bool) -> anyhow::Result<ExitCode> {
    let status = engine.status()?;
    if json {
        // The Results figures of the last 30 days ride along under "results".
        let mut out = serde_json::to_value(&status)?;
        out["results"] = serde_json::to_value(engine.metrics(None, None)?)?;
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("Recupero {}{}", status.version, if status.demo { " (demo)" } else { "" });
        println!("data:     {}", status.data_dir);
        println!("secrets:  {}", status.secret_store);
        println!("sending:  {}", if status.paused { "paused" } else { "active" });
        let c = &status.counts;
        println!(
            "carts: {}  pending sends: {}  conversations: {}  unread: {}  escalated: {}",
            c.carts, c.pending_sends, c.conversations, c.unread, c.escalated
        );
        println!("last poll: {}", status.last_poll_at.as_deref().unwrap_or("never"));
        println!("webhook:   {}", status.webhook_url);
        let signed = match status.last_webhook_signed {
            Some(true) => " (signed)",
            Some(false) => " (NOT signed)",
            None => "",
        };
        println!("last webhook: {}{signed}", status.last_webhook_at.as_deref().unwrap_or("never"));
        println!(
            "registered with WhatsApp: {}",
            status.webhook_registered_url.as_deref().unwrap_or("no (`recupero whatsapp register-webhook`)")
        );
        let tunnel = &status.tunnel;
        let word = |v: serde_json::Value| v.as_str().unwrap_or_default().to_string();
        println!(
            "tunnel:    {} / {}{}{}",
            word(serde_json::to_value(tunnel.mode)?),
            word(serde_json::to_value(tunnel.state)?).replace('_', " "),
            tunnel.address.as_deref().map(|a| format!(" at {a}")).unwrap_or_default(),
            tunnel.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        );
        let coex = &status.coexistence;
        let state = serde_json::to_value(coex.state)?;
        println!(
            "WhatsApp Business app link: {}{}",
            state.as_str().unwrap_or_default().replace('_', " "),
            coex.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        );
        if coex.phone_reminder {
            println!(
                "WARNING: no message from WhatsApp Business on the phone for {} days: open it there before day 14 or WhatsApp cuts the link",
                coex.days_without_phone.unwrap_or(12)
            );
        }
        if status.webhook_silent {
            println!(
                "WARNING: messages were sent but no webhook arrived for 3 hours: is the tunnel running?"
            );
        }
        let m = engine.metrics(None, None)?;
        println!(
            "last 30 days: {} carts detected, {} of {} messaged recovered (`recupero results` for more)",
            m.carts.detected, m.recovery.count, m.recovery.denominator
        );
    }
    Ok(ExitCode::SUCCESS)
}
