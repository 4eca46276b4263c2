//! `recupero secret`: store, list and delete secrets. A secret is read from standard input,
//! never from the command line, and never printed.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::Context;

use super::SecretCmd;
use crate::engine::Engine;
use crate::secrets::{SecretName, Sensitive};

pub fn run(engine: &Engine, cmd: SecretCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        SecretCmd::Set { name } => {
            let name = SecretName::parse(&name)?;
            let value = read_secret_from_stdin(name)?;
            engine.set_secret(name, value)?;
            eprintln!("{name} stored in the {}.", engine.status()?.secret_store);
        }
        SecretCmd::List { json } => {
            let states = engine.secret_states()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&states)?);
            } else {
                for s in states {
                    println!("{:20} {}", s.name, if s.set { "set" } else { "not set" });
                }
            }
        }
        SecretCmd::Delete { name } => {
            engine.delete_secret(SecretName::parse(&name)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A secret never comes from argv (it would land in shell history and `ps`). From a terminal it
/// is read without echo; from a pipe, the whole input minus the trailing newline.
fn read_secret_from_stdin(name: SecretName) -> anyhow::Result<Sensitive<String>> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        rpassword::prompt_password(format!("Paste {name} and press Enter: "))?
    } else {
        let mut buf = String::new();
        stdin.lock().read_to_string(&mut buf).context("while reading the secret from stdin")?;
        buf
    };
    let value = raw.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(!value.trim().is_empty(), "no secret was given on standard input");
    Ok(Sensitive::new(value))
}
