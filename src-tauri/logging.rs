//! Logs through `tracing`: a daily-rolling file in the log directory plus stderr, filtered by
//! `RUST_LOG` (default `info`). Secrets never reach a log: they are `Sensitive` everywhere.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Keep it alive for the life of the process: dropping it flushes the file writer.
pub struct LogGuard {
    _file: tracing_appender::non_blocking::WorkerGuard,
}

pub const LOG_FILE_PREFIX: &str = "recupero.log";

/// Installs the global subscriber. `stderr` is off for the desktop app's release builds and on
/// for the command line. Calling it twice is harmless (the second call changes nothing).
pub fn init(log_dir: &Path, stderr: bool) -> anyhow::Result<LogGuard> {
    init_with_filter(log_dir, stderr, None)
}

/// As `init`, with an explicit filter (e.g. "trace") instead of `RUST_LOG`.
pub fn init_with_filter(log_dir: &Path, stderr: bool, filter: Option<&str>) -> anyhow::Result<LogGuard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(14)
        .build(log_dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = || match filter {
        Some(f) => EnvFilter::new(f),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let file_layer = fmt::layer().with_ansi(false).with_writer(writer).with_filter(filter());
    let stderr_layer =
        stderr.then(|| fmt::layer().with_writer(std::io::stderr).with_target(false).with_filter(filter()));
    // try_init: tests and embedders may already have a subscriber.
    let _ = tracing_subscriber::registry().with(file_layer).with(stderr_layer).try_init();
    Ok(LogGuard { _file: guard })
}
