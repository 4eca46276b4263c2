//! The command line on the same binary as the app. No subcommand opens the desktop app;
//! `serve` runs the engine headless until Ctrl-C; the rest read or change the engine's state.
//! Every subcommand is a thin caller of an `Engine` method. This file holds the clap
//! definitions and the dispatch; each command lives in its own file under `cli/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod app;
mod backup;
mod config;
mod deliveries;
mod demo;
mod export;
mod results;
mod sandbox;
mod secret;
mod serve;
mod status;
mod store;
mod tunnel;
mod whatsapp;

pub use tunnel::TunnelCmd;

use crate::engine::EngineError;
use crate::export::{ExportKind, Format};
use crate::launch::{build_engine, wait_for_exit, Launch};
use crate::paths::AppPaths;

#[derive(Debug, Parser)]
#[command(
    name = "recupero",
    version,
    about = "Wins back abandoned carts over WhatsApp, from your own computer."
)]
pub struct Cli {
    /// Folder for the database and logs (default: the OS app-data directory).
    #[arg(long, global = true, env = "RECUPERO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Internal: wait for this process (the app handing over to this one) to end first.
    #[arg(long, global = true, hide = true, value_name = "PID")]
    pub after_pid: Option<u32>,

    /// Internal: where the window opens (`inbox:12`, `settings:whatsapp`), from a clicked
    /// notification.
    #[arg(long, global = true, hide = true, value_name = "ROUTE")]
    pub route: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the engine headless (no window) until Ctrl-C.
    Serve,
    /// Run the app in the tray only, without its window (what the app becomes when its window
    /// closes, and how it starts at login); "Open" in the tray menu brings the window back.
    Tray,
    /// Read or change non-secret settings.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Manage secrets in the OS keychain (headless: RECUPERO_<NAME> environment variables).
    #[command(subcommand)]
    Secret(SecretCmd),
    /// Show what the engine holds.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Export carts, sends, messages or contacts.
    Export {
        kind: ExportKind,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Run the whole loop against the built-in sandbox store and WhatsApp with a fast simulated
    /// clock, using this data directory's settings; prints what happened. Runs in its own fresh
    /// database in `<data dir>/demo/`: the shop's own database, settings and keychain are never
    /// touched.
    Demo {
        #[arg(long)]
        json: bool,
        /// Simulated days (1 to 30).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=30))]
        days: u32,
        /// Start the simulated clock here (RFC 3339, e.g. 2026-11-23T08:00:00-05:00) instead of now,
        /// to replay the same run.
        #[arg(long)]
        start: Option<String>,
    },
    /// Connect, check and poll stores (Tiendanube/Nuvemshop, Shopify, WooCommerce).
    #[command(subcommand)]
    Store(StoreCmd),
    /// The WhatsApp side: templates and the webhook address.
    #[command(subcommand)]
    Whatsapp(WhatsappCmd),
    /// Recovery, lift over the holdout, revenue, replies, messages and WhatsApp cost for a
    /// period (default: the last 30 days).
    Results {
        /// First shop day (YYYY-MM-DD, in the shop's time zone) or an RFC 3339 instant.
        #[arg(long)]
        from: Option<String>,
        /// Last shop day, included (YYYY-MM-DD) or an RFC 3339 instant (excluded).
        #[arg(long)]
        to: Option<String>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One row per day, with a header row.
        #[arg(long)]
        csv: bool,
    },
    /// The WhatsApp price table the cost is computed with.
    Rates {
        #[command(subcommand)]
        command: Option<RatesCmd>,
        #[arg(long)]
        json: bool,
    },
    /// A consistent copy of the database into FILE (safe while Recupero runs). Store tokens, the
    /// WhatsApp token and the app secret live in the keychain and are not in it.
    Backup {
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        /// Replace FILE if it already exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the database with a backup FILE: refuses a file that is not a Recupero database
    /// or comes from a newer version; the current database is kept in `backups/`. While
    /// Recupero runs, the restore waits for its next start.
    Restore { file: PathBuf },
    /// Webhook deliveries that could not be applied and were set aside (quarantined).
    #[command(subcommand)]
    Deliveries(DeliveriesCmd),
    /// The tunnel that makes the webhook receiver reachable from WhatsApp (cloudflared).
    #[command(subcommand)]
    Tunnel(TunnelCmd),
    /// Serve the sandbox stores on loopback, to try `store check` or the app without a shop.
    Sandbox {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Checkouts per platform.
        #[arg(long, default_value_t = 40)]
        count: u64,
        /// Answer as fast as asked (no 429s, no Shopify query-cost bucket).
        #[arg(long)]
        no_rate_limits: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCmd {
    /// How many are quarantined, the oldest, the last error, and each one's id, arrival,
    /// attempts and error (never its body).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Put every quarantined delivery back in line for another round of attempts.
    Retry,
}

#[derive(Debug, Subcommand)]
pub enum RatesCmd {
    /// Replace the table with a JSON file: an array of {country, category, currency, price}
    /// rows, or what `recupero rates --json` prints.
    Set {
        #[arg(long)]
        file: PathBuf,
    },
    /// Go back to the table shipped with Recupero.
    Reset,
}

#[derive(Debug, Subcommand)]
pub enum WhatsappCmd {
    /// The recovery template's languages and review state, as WhatsApp reports them now
    /// (`--all`: every template on the account).
    Templates {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        all: bool,
    },
    /// Submit the recovery template for review in es, pt_BR and en. The button opens
    /// BUTTON_BASE followed by each cart's recovery path, so BUTTON_BASE must be the start every
    /// recovery link of the shop shares (e.g. https://mitienda.com/).
    ///
    /// With --image FILE, submits the image variant instead (setting `reminder_image_template`):
    /// the same message under the first product's picture; FILE (a JPEG or PNG up to 5 MB) is the
    /// example picture Meta reviews it with, uploaded through the Resumable Upload API of the Meta
    /// app --app-id (App Dashboard). Turn it on with `recupero config set reminder_image true`.
    CreateTemplate {
        #[arg(long, value_name = "BUTTON_BASE")]
        button_url: String,
        #[arg(long, value_name = "FILE", requires = "app_id")]
        image: Option<std::path::PathBuf>,
        #[arg(long, value_name = "APP_ID")]
        app_id: Option<String>,
    },
    /// The local webhook address (with its secret path) and the verify token to give Meta.
    Webhook {
        #[arg(long)]
        json: bool,
    },
    /// Register the webhook with WhatsApp: PUBLIC_URL (the https address your tunnel forwards
    /// to this computer) plus the secret path becomes the number's webhook, and the app is
    /// subscribed to the business account. Recupero must be running (its receiver answers
    /// WhatsApp's check). Registered again automatically when the address changes.
    RegisterWebhook {
        #[arg(long, value_name = "PUBLIC_URL")]
        public_url: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Every setting with its value, default and meaning.
    Show {
        #[arg(long)]
        json: bool,
    },
    Get {
        key: String,
    },
    Set {
        key: String,
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCmd {
    /// Store a secret read from standard input (never from the command line).
    Set {
        name: String,
    },
    /// Which secrets are set (never their values).
    List {
        #[arg(long)]
        json: bool,
    },
    Delete {
        name: String,
    },
}

/// Where a store is. Credentials come from the secret store or the environment:
/// RECUPERO_STORE_TOKEN (Tiendanube, Shopify, PrestaShop's webservice key), or RECUPERO_STORE_KEY
/// + RECUPERO_STORE_SECRET (WooCommerce; Shopify client; Jumpseller login + token; VTEX AppKey + AppToken).
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// tiendanube (or nuvemshop), shopify, woocommerce, jumpseller, prestashop, vtex
    #[arg(long)]
    platform: String,
    /// The root of the platform's documented paths, e.g. https://api.tiendanube.com,
    /// https://myshop.myshopify.com, the WooCommerce or PrestaShop site's address, or
    /// https://api.jumpseller.com.
    #[arg(long)]
    base_url: String,
    /// Tiendanube's store id. VTEX: the storefront address the recovery links open on
    /// (default: the base URL), e.g. www.mystore.com.br.
    #[arg(long)]
    store_id: Option<String>,
    /// Two-letter country for phone numbers typed without a prefix (default: the
    /// default_country setting).
    #[arg(long)]
    country: Option<String>,
    /// API version (Tiendanube v1 or e.g. 2025-03; Shopify e.g. 2026-01).
    #[arg(long)]
    api_version: Option<String>,
    /// WooCommerce, Jumpseller, PrestaShop: send the keys in the query string (servers that
    /// drop Authorization).
    #[arg(long)]
    query_string_auth: bool,
}

#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Poll a store once from the start and print every normalized cart (saves nothing).
    Check {
        #[command(flatten)]
        store: StoreArgs,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Stop after this many carts.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Save a store so the engine polls it (set its secrets first with `recupero secret set`).
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// A name for the owner's eyes.
        #[arg(long)]
        name: Option<String>,
    },
    /// The saved stores with their connection state and last successful poll.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Poll every saved store now, until caught up.
    Poll {
        #[arg(long)]
        json: bool,
    },
}

pub fn main() -> ExitCode {
    // WebKitGTK's accelerated compositing draws through GL; without a GPU (software GL, as on
    // many small-shop laptops and under Xvfb) it keeps the web process busy and holds more
    // memory. Measured on the idle window (BENCHMARKS.md): 4-5 % of a core and ~210 MiB PSS
    // for the web process with it, 0.3 % and ~130 MiB without. Our screens need no GPU layers.
    // Set first thing, while this process has a single thread; the owner's own value wins.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            let not_ready = err.downcast_ref::<EngineError>().is_some_and(|e| e.code() == "not_ready");
            eprintln!("error: {err:#}");
            if not_ready {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = AppPaths::resolve(cli.data_dir.as_deref())?;
    // Logs go to the file always; to stderr only for the long-running modes, so that
    // `config get` and friends print just their answer (errors are printed by `main`).
    let log_to_stderr = matches!(cli.command, None | Some(Command::Serve | Command::Tray));
    let _log = crate::logging::init(&paths.log_dir, log_to_stderr)
        .with_context(|| format!("while opening the log directory {}", paths.log_dir.display()))?;
    if let Some(pid) = cli.after_pid {
        wait_for_exit(pid);
    }
    let launch = Launch { data_dir: cli.data_dir.clone(), route: cli.route.clone() };
    let Some(command) = cli.command else {
        return app::open_desktop(paths, launch, false);
    };
    match command {
        Command::Tray => app::tray(paths, launch),
        Command::Demo { json, days, start } => demo::run(paths, json, days, start),
        Command::Store(cmd) => store::run(build_engine(paths)?, cmd),
        Command::Sandbox { port, count, no_rate_limits } => sandbox::run(port, count, !no_rate_limits),
        Command::Serve => serve::run(build_engine(paths)?),
        Command::Whatsapp(cmd) => whatsapp::run(build_engine(paths)?, cmd),
        Command::Tunnel(TunnelCmd::Run { quick, name, hostname }) => {
            tunnel::run(build_engine(paths)?, quick, name, hostname)
        }
        Command::Config(cmd) => config::run(build_engine(paths)?.as_ref(), cmd),
        Command::Secret(cmd) => secret::run(build_engine(paths)?.as_ref(), cmd),
        Command::Results { from, to, json, csv } => {
            results::results(build_engine(paths)?.as_ref(), from.as_deref(), to.as_deref(), json, csv)
        }
        Command::Rates { command, json } => {
            let engine = build_engine(paths)?;
            match command {
                None => results::rates_show(&engine, json),
                Some(RatesCmd::Set { file }) => results::rates_set(&engine, &file),
                Some(RatesCmd::Reset) => results::rates_reset(&engine),
            }
        }
        Command::Deliveries(DeliveriesCmd::List { json }) => {
            deliveries::list(build_engine(paths)?.as_ref(), json)
        }
        Command::Deliveries(DeliveriesCmd::Retry) => deliveries::retry(build_engine(paths)?.as_ref()),
        Command::Status { json } => status::run(build_engine(paths)?.as_ref(), json),
        Command::Backup { output, force } => backup::backup(build_engine(paths)?.as_ref(), &output, force),
        Command::Restore { file } => backup::restore(&paths, &file),
        Command::Export { kind, format, output } => export::run(build_engine(paths)?, kind, format, output),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("while starting the async runtime")
}
