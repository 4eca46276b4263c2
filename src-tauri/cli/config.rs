//! `recupero config`: every setting with its value and meaning, one setting's value, and
//! changing one (validated, as in the Settings screen).

use std::process::ExitCode;

use super::ConfigCmd;
use crate::engine::Engine;

pub fn run(engine: &Engine, cmd: ConfigCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCmd::Show { json } => {
            let all = engine.settings_show()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                let width = all.iter().map(|s| s.key.len()).max().unwrap_or(0);
                for s in all {
                    let marker = if s.value == s.default { "" } else { "  (changed)" };
                    println!("{:width$}  {}{marker}\n{:width$}  # {}", s.key, s.value, "", s.description);
                }
            }
        }
        ConfigCmd::Get { key } => println!("{}", engine.setting_get(&key)?),
        ConfigCmd::Set { key, value } => {
            let stored = engine.setting_set(&key, &value)?;
            println!("{} = {stored}", key.trim());
        }
    }
    Ok(ExitCode::SUCCESS)
}
