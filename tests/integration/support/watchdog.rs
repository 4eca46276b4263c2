//! The heavy tests' watchdog. The tests that hold [`super::HEAVY`] drive child processes (the
//! real window over WebDriver, `recupero serve` killed again and again); a child that stops
//! answering would otherwise hang the whole suite until CI's own time limit, with nothing
//! printed. Each holder says how long it may take; past that, a thread of its own prints what
//! the test was doing, the child processes with what each of their threads waits in (and their
//! stacks when `gdb` is there), the tail of the app's logs, then ends the test process with a
//! failure, killing its children first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

/// The HEAVY lock, held while a watchdog runs for `test`.
pub struct Heavy {
    _guard: tokio::sync::MutexGuard<'static, ()>,
}

impl Heavy {
    /// Names a data directory whose `logs/` the report shows the tail of.
    pub fn watch_dir(&self, dir: &Path) {
        lock(&WATCHED).dirs.push(dir.to_path_buf());
    }
}

impl Drop for Heavy {
    fn drop(&mut self) {
        let expired = std::mem::take(&mut *lock(&WATCHED)).expired;
        // Killing the children may let the test run on to its end: it still failed.
        if expired && !std::thread::panicking() {
            panic!("the watchdog ended this test: it ran past its limit (see the report above)");
        }
    }
}

#[derive(Default)]
struct Watched {
    test: &'static str,
    deadline: Option<Instant>,
    limit: Duration,
    step: String,
    dirs: Vec<PathBuf>,
    expired: bool,
}

static WATCHED: Mutex<Watched> = Mutex::new(Watched {
    test: "",
    deadline: None,
    limit: Duration::ZERO,
    step: String::new(),
    dirs: Vec::new(),
    expired: false,
});
static START: Once = Once::new();

fn lock(m: &Mutex<Watched>) -> std::sync::MutexGuard<'_, Watched> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the HEAVY lock for `test`, which must let go of it within `limit` (counted from when
/// it gets the lock, not from when it starts waiting).
pub async fn heavy(test: &'static str, limit: Duration) -> Heavy {
    let guard = super::HEAVY.lock().await;
    START.call_once(|| {
        std::thread::Builder::new().name("heavy-watchdog".into()).spawn(watch).expect("the watchdog thread");
    });
    *lock(&WATCHED) = Watched {
        test,
        deadline: Some(Instant::now() + limit),
        limit,
        step: "started".into(),
        dirs: Vec::new(),
        expired: false,
    };
    Heavy { _guard: guard }
}

/// What the heavy test is doing now (shown if it never finishes).
pub fn step(what: impl Into<String>) {
    let mut w = lock(&WATCHED);
    if w.deadline.is_some() {
        w.step = what.into();
    }
}

fn watch() {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let expired = {
            let mut w = lock(&WATCHED);
            match w.deadline {
                Some(d) if Instant::now() >= d => {
                    w.expired = true;
                    Some((w.test, w.limit, w.step.clone(), w.dirs.clone()))
                }
                _ => None,
            }
        };
        if let Some((test, limit, step, dirs)) = expired {
            report(test, limit, &step, &dirs);
            kill_descendants();
            eprintln!("watchdog: ending the test process so the suite fails now instead of hanging");
            std::process::exit(101);
        }
    }
}

fn report(test: &str, limit: Duration, step: &str, dirs: &[PathBuf]) {
    eprintln!("\n==== watchdog: `{test}` still runs after {} s ====", limit.as_secs());
    eprintln!("last step: {step}");
    let me = std::process::id();
    let tree = descendants(me);
    eprintln!("child processes (pid ppid state: wait channel of each thread | command):");
    for &pid in &tree {
        eprintln!("  {pid} {}", describe(pid));
    }
    // The stacks of the app's processes (gdb stops a process only while it reads it; this
    // process's own await points are the step above). Bounded: gdb must not become the hang.
    let gdb = std::env::var_os("RECUPERO_WATCHDOG_NO_GDB").is_none()
        && Command::new("gdb").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if gdb {
        for &pid in &tree {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if !(comm.starts_with("recupero") || comm.starts_with("WebKit")) {
                continue;
            }
            eprintln!("---- stacks of {pid} ({}) ----", comm.trim());
            let out = Command::new("timeout")
                .args(["60", "gdb", "-p", &pid.to_string(), "-batch", "-nx"])
                .args(["-ex", "set pagination off", "-ex", "thread apply all bt 25"])
                .stdin(Stdio::null())
                .output();
            if let Ok(out) = out {
                let text = String::from_utf8_lossy(&out.stdout);
                let frames: Vec<&str> =
                    text.lines().filter(|l| l.starts_with('#') || l.starts_with("Thread ")).collect();
                for line in frames.iter().take(400) {
                    eprintln!("  {line}");
                }
            }
        }
    } else {
        eprintln!("(no gdb here, or RECUPERO_WATCHDOG_NO_GDB set: no stacks)");
    }
    for dir in dirs {
        let logs = dir.join("logs");
        let newest = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .max();
        if let Some((_, path)) = newest {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("---- the last lines of {} ----", path.display());
            for line in &lines[lines.len().saturating_sub(60)..] {
                eprintln!("  {line}");
            }
        }
    }
    eprintln!("==== end of the watchdog's report ====\n");
}

/// Every process below `root`, parents before children.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
            parent_of.push((pid, ppid));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

/// The fields of /proc/PID/stat after the command's name: state, ppid, …
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    Some(after.split_whitespace().map(str::to_string).collect())
}

fn describe(pid: u32) -> String {
    let fields = stat_fields(pid).unwrap_or_default();
    let (state, ppid) =
        (fields.first().cloned().unwrap_or_default(), fields.get(1).cloned().unwrap_or_default());
    let mut waits = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let wchan = std::fs::read_to_string(t.path().join("wchan")).unwrap_or_default();
        waits.push(format!("{}:{}", comm.trim(), if wchan.is_empty() { "-" } else { wchan.trim() }));
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>();
    format!("{ppid} {state}: {} | {}", waits.join(" "), cmd.join(" ").trim())
}

fn kill_descendants() {
    for pid in descendants(std::process::id()).into_iter().rev() {
        let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    }
}
