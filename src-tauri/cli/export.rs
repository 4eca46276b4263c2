//! `recupero export`: carts, sends, messages or contacts as JSON or CSV, to standard output or
//! a file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::engine::Engine;
use crate::export::{ExportKind, Format};

pub fn run(
    engine: Arc<Engine>,
    kind: ExportKind,
    format: Format,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let rows = engine.export_rows(kind)?;
    // The rows are in memory: the engine (and its database) is let go before the writing.
    drop(engine);
    match output {
        Some(path) => {
            let file =
                std::fs::File::create(&path).with_context(|| format!("while creating {}", path.display()))?;
            rows.write(format, std::io::BufWriter::new(file))?;
            eprintln!("{} rows written to {}", rows.len(), path.display());
        }
        None => rows.write(format, std::io::stdout().lock())?,
    }
    Ok(ExitCode::SUCCESS)
}
