//! `recupero whatsapp`: the recovery template's review state, submitting the template, and the
//! webhook address with its verify token, and registering that address with WhatsApp.

use std::process::ExitCode;
use std::sync::Arc;

use super::WhatsappCmd;
use crate::engine::Engine;

pub fn run(engine: Arc<Engine>, cmd: WhatsappCmd) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    match cmd {
        WhatsappCmd::Templates { json, all } => {
            let rows: Vec<crate::domain::TemplateState> = if all {
                rt.block_on(engine.account_templates())?
            } else {
                rt.block_on(engine.refresh_templates())?.into_iter().map(|row| row.template).collect()
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("No template yet. Create the recovery template with `recupero whatsapp create-template --button-url https://your-shop/`.");
            } else {
                for t in rows {
                    println!(
                        "{:<24} {:<6} {:<10} {} parameters{}",
                        t.name,
                        t.language,
                        t.status,
                        t.body_params.map_or("?".into(), |n| n.to_string()),
                        t.button_url.map(|u| format!(", button {u}")).unwrap_or_default()
                    );
                }
            }
        }
        WhatsappCmd::CreateTemplate { button_url, image, app_id } => {
            let created = match image {
                Some(path) => {
                    let bytes = std::fs::read(&path)
                        .map_err(|e| anyhow::anyhow!("could not read {}: {e}", path.display()))?;
                    let app_id = app_id.unwrap_or_default();
                    rt.block_on(engine.create_image_template(&button_url, bytes, &app_id))?
                }
                None => rt.block_on(engine.create_recovery_template(&button_url))?,
            };
            for (language, status) in created {
                println!("{language:<6} {status}");
            }
            println!("Review usually takes minutes and can take up to 24 hours; Recupero checks every few minutes.");
        }
        WhatsappCmd::Webhook { json } => {
            let status = engine.status()?;
            let settings = engine.settings()?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "webhook_url": status.webhook_url,
                        "verify_token": settings.webhook_verify_token,
                        "last_webhook_at": status.last_webhook_at,
                    }))?
                );
            } else {
                println!("local address: {}", status.webhook_url);
                println!("verify token:  {}", settings.webhook_verify_token);
                println!("last received: {}", status.last_webhook_at.as_deref().unwrap_or("never"));
            }
        }
        WhatsappCmd::RegisterWebhook { public_url, json } => {
            let result = rt.block_on(engine.register_webhook(&public_url))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else if result.ok {
                println!("registered:  {}", result.callback_url);
                println!("subscribed:  {}", result.subscribed_apps.join(", "));
                println!("{}", result.message);
            } else {
                eprintln!("{}", result.message);
                if let Some(detail) = &result.detail {
                    eprintln!("WhatsApp said: {detail}");
                }
            }
            if !result.ok {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
