//! The command line on the same binary as the app. No subcommand opens the desktop app;
//! `serve` runs the engine headless until Ctrl-C; the rest read or change the engine's state.
//! Every subcommand is a thin caller of an `Engine` method.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod results;

use crate::clock::SystemClock;
use crate::engine::{Engine, EngineError};
use crate::export::{ExportKind, Format};
use crate::paths::AppPaths;
use crate::process::{build_engine, wait_for_exit, Launch};
use crate::secrets::{SecretName, Sensitive};

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
    /// clock, using this data directory's settings; prints what happened. Starts a fresh database
    /// here (settings kept) and refuses a data directory with a real store.
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
    CreateTemplate {
        #[arg(long, value_name = "BUTTON_BASE")]
        button_url: String,
    },
    /// The local webhook address (with its secret path) and the verify token to give Meta.
    Webhook {
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
/// RECUPERO_STORE_TOKEN (Tiendanube, Shopify), RECUPERO_STORE_KEY + RECUPERO_STORE_SECRET
/// (WooCommerce; Shopify client credentials).
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// tiendanube (or nuvemshop), shopify, woocommerce
    #[arg(long)]
    platform: String,
    /// The root of the platform's documented paths, e.g. https://api.tiendanube.com,
    /// https://myshop.myshopify.com, or the WooCommerce site's address.
    #[arg(long)]
    base_url: String,
    /// Tiendanube's store id.
    #[arg(long)]
    store_id: Option<String>,
    /// Two-letter country for phone numbers typed without a prefix (default: the
    /// default_country setting).
    #[arg(long)]
    country: Option<String>,
    /// API version (Tiendanube v1 or e.g. 2025-03; Shopify e.g. 2026-01).
    #[arg(long)]
    api_version: Option<String>,
    /// WooCommerce: send the keys in the query string (servers that drop Authorization).
    #[arg(long)]
    query_string_auth: bool,
}

impl StoreArgs {
    fn input(self, name: Option<String>) -> crate::stores::StoreInput {
        crate::stores::StoreInput {
            platform: self.platform,
            base_url: self.base_url,
            store_id: self.store_id,
            country: self.country,
            name,
            api_version: self.api_version,
            query_string_auth: self.query_string_auth,
            ..Default::default()
        }
    }
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
        return open_desktop(paths, launch, false);
    };
    match command {
        Command::Tray => {
            to_tray_binary(&launch);
            // No tray binary next to this one (e.g. `cargo run` built only this binary): the
            // desktop app without its window, in this process.
            tray_without_gl();
            open_desktop(paths, launch, true)
        }
        Command::Demo { json, days, start } => {
            let start = start
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&chrono::Utc))
                })
                .transpose()
                .context("--start expects an RFC 3339 instant such as 2026-11-23T08:00:00-05:00")?;
            let report = runtime()?.block_on(crate::demo::run(paths, days, start))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", report.text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Store(cmd) => store(build_engine(paths)?, cmd),
        Command::Sandbox { port, count, no_rate_limits } => sandbox(port, count, !no_rate_limits),
        Command::Serve => serve(build_engine(paths)?),
        Command::Whatsapp(cmd) => whatsapp(build_engine(paths)?, cmd),
        Command::Config(cmd) => config(build_engine(paths)?.as_ref(), cmd),
        Command::Secret(cmd) => secret(build_engine(paths)?.as_ref(), cmd),
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
        Command::Status { json } => {
            let engine = build_engine(paths)?;
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
                println!("last webhook: {}", status.last_webhook_at.as_deref().unwrap_or("never"));
                let m = engine.metrics(None, None)?;
                println!(
                    "last 30 days: {} carts detected, {} of {} messaged recovered (`recupero results` for more)",
                    m.carts.detected, m.recovery.count, m.recovery.denominator
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { kind, format, output } => {
            let rows = build_engine(paths)?.export_rows(kind)?;
            match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("while creating {}", path.display()))?;
                    rows.write(format, std::io::BufWriter::new(file))?;
                    eprintln!("{} rows written to {}", rows.len(), path.display());
                }
                None => rows.write(format, std::io::stdout().lock())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `recupero tray` becomes the `recupero-tray` binary next to this one, which never links
/// WebKit; returns only if there is none (or it cannot be executed).
fn to_tray_binary(launch: &Launch) {
    #[cfg(all(feature = "desktop", target_os = "linux"))]
    if let Some(exe) = crate::native::handover::tray_binary() {
        use std::os::unix::process::CommandExt as _;
        let mut cmd = std::process::Command::new(&exe);
        if let Some(dir) = &launch.data_dir {
            cmd.arg("--data-dir").arg(dir);
        }
        let err = cmd.exec();
        tracing::warn!(error = %err, exe = %exe.display(), "could not start the tray binary");
    }
    #[cfg(not(all(feature = "desktop", target_os = "linux")))]
    let _ = launch;
}

/// A tray-only process draws no GL: GTK would otherwise load the GL driver (with software
/// rendering, all of LLVM: ~25 MiB) just by opening the display. The variable must be set
/// before GTK starts, so the process re-executes itself once with it.
fn tray_without_gl() {
    #[cfg(unix)]
    if std::env::var_os("GDK_GL").is_none() {
        use std::os::unix::process::CommandExt as _;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("GDK_GL", "disable")
                .exec();
            tracing::warn!(error = %err, "could not restart without GL; the tray costs a little more memory");
        }
    }
}

#[cfg(feature = "desktop")]
fn open_desktop(paths: AppPaths, launch: Launch, tray_only: bool) -> anyhow::Result<ExitCode> {
    let engine = build_engine(paths)?;
    let mode = if tray_only { crate::desktop::Mode::Tray } else { crate::desktop::Mode::Window };
    crate::desktop::run(engine, mode, launch)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "desktop"))]
fn open_desktop(_paths: AppPaths, _launch: Launch, _tray_only: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this build has no desktop window (built without the `desktop` feature); use `recupero serve`"
    )
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("while starting the async runtime")
}

fn store(engine: Arc<Engine>, cmd: StoreCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        StoreCmd::Check { store, json, limit } => {
            let input = store.input(None);
            let report = runtime()?.block_on(engine.store_check(&input, limit.unwrap_or(usize::MAX)))?;
            let mut out = std::io::stdout().lock();
            use std::io::Write;
            for cart in &report.carts {
                if json {
                    writeln!(out, "{}", serde_json::to_string(cart)?)?;
                } else {
                    let phone = cart.phone.clone().unwrap_or_else(|| {
                        format!("no phone: {}", cart.phone_problem.as_deref().unwrap_or("unknown"))
                    });
                    let items: u32 = cart.items.iter().map(|i| i.quantity).sum();
                    writeln!(
                        out,
                        "{:<14} {:<12} {:<28} {:>12} {} {:>3} items{}",
                        cart.checkout_id,
                        cart.first_name.as_deref().unwrap_or("-"),
                        phone,
                        cart.total,
                        cart.currency,
                        items,
                        if cart.completed { "  completed" } else { "" }
                    )?;
                }
            }
            for skip in &report.skipped {
                eprintln!(
                    "skipped checkout {}: {}",
                    skip.checkout_id.as_deref().unwrap_or("(no id)"),
                    skip.reason
                );
            }
            eprintln!("{} carts, {} skipped", report.carts.len(), report.skipped.len());
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::Add { store, name } => {
            let row = engine.connect_store(&store.input(name))?;
            println!("store {} saved: {} {} ({})", row.id, row.platform, row.base_url, row.name);
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::List { json } => {
            let rows = engine.list_stores()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no stores yet: `recupero store add --platform … --base-url …`");
            } else {
                for r in rows {
                    println!(
                        "{:>3} {:<12} {:<8} last success: {:<25} {}  {}",
                        r.id,
                        r.platform,
                        r.state,
                        r.last_success_at.as_deref().unwrap_or("never"),
                        r.base_url,
                        r.last_error.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCmd::Poll { json } => {
            let results = runtime()?.block_on(async {
                let mut all = Vec::new();
                for row in engine.list_stores()? {
                    all.push((row.id, engine.poll_store_until_caught_up(row.id, true).await?));
                }
                Ok::<_, EngineError>(all)
            })?;
            let mut failed = false;
            for (id, outcomes) in results {
                let (mut new, mut updated, mut completed, mut skipped) = (0, 0, 0, 0);
                let mut error = None;
                for o in &outcomes {
                    match o {
                        crate::scheduler::poller::PollOutcome::Page {
                            new: n,
                            updated: u,
                            completed: c,
                            skipped: s,
                            ..
                        } => {
                            new += n;
                            updated += u;
                            completed += c;
                            skipped += s;
                        }
                        crate::scheduler::poller::PollOutcome::Failed { error: e, .. } => {
                            error = Some(e.to_string())
                        }
                        crate::scheduler::poller::PollOutcome::NotDue { .. } => {}
                    }
                }
                failed |= error.is_some();
                if json {
                    let line = serde_json::json!({ "store": id, "new": new, "updated": updated,
                        "completed": completed, "skipped": skipped, "error": error });
                    println!("{line}");
                } else {
                    println!("store {id}: {new} new, {updated} updated, {completed} completed, {skipped} skipped{}",
                        error.map(|e| format!("; failed: {e}")).unwrap_or_default());
                }
            }
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}

fn sandbox(port: u16, count: u64, rate_limits: bool) -> anyhow::Result<ExitCode> {
    use crate::clock::Clock;
    let rt = runtime()?;
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
        println!("Press Ctrl-C to stop.");
        let _ = tokio::signal::ctrl_c().await;
        drop(sandbox);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn serve(engine: Arc<Engine>) -> anyhow::Result<ExitCode> {
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

fn whatsapp(engine: Arc<Engine>, cmd: WhatsappCmd) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    match cmd {
        WhatsappCmd::Templates { json, all } => {
            let rows: Vec<crate::whatsapp::TemplateState> = if all {
                rt.block_on(engine.account_templates())?
            } else {
                rt.block_on(engine.refresh_templates())?
                    .into_iter()
                    .map(crate::whatsapp::TemplateState::from_row)
                    .collect()
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
        WhatsappCmd::CreateTemplate { button_url } => {
            for (language, status) in rt.block_on(engine.create_recovery_template(&button_url))? {
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
    }
    Ok(ExitCode::SUCCESS)
}

fn config(engine: &Engine, cmd: ConfigCmd) -> anyhow::Result<ExitCode> {
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

fn secret(engine: &Engine, cmd: SecretCmd) -> anyhow::Result<ExitCode> {
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
