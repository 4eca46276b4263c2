//! Reading `cloudflared`'s log lines (its own format, on stderr):
//!
//! ```text
//! 2026-12-06T22:10:01Z INF +--------------------------------------------------------------------------------------------+
//! 2026-12-06T22:10:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
//! 2026-12-06T22:10:01Z INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                      |
//! 2026-12-06T22:10:03Z INF Registered tunnel connection connIndex=0 connection=… location=mad01 protocol=quic
//! 2026-12-06T22:10:03Z ERR failed to request quick Tunnel error="…"
//! ```
//!
//! Pure and total: any bytes give an answer, never a panic.

/// What one line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A quick tunnel's public address (`https://<words>.trycloudflare.com`).
    QuickAddress(String),
    /// A connection to Cloudflare's edge was registered: the tunnel carries traffic.
    Connected,
    /// An error line, redacted, for the reason shown when `cloudflared` stops.
    Error(String),
    Other,
}

/// The longest reason kept from a line.
const MAX_REASON: usize = 300;

pub fn classify(line: &str) -> Line {
    if let Some(address) = quick_address(line) {
        return Line::QuickAddress(address);
    }
    if line.contains("Registered tunnel connection")
        || (line.contains("Connection ") && line.contains(" registered"))
    {
        return Line::Connected;
    }
    let level_error = line.split_whitespace().take(3).any(|w| matches!(w, "ERR" | "FTL" | "ERROR" | "FATAL"));
    if level_error || line.contains("error=") || line.to_ascii_lowercase().starts_with("error") {
        return Line::Error(reason(line));
    }
    Line::Other
}

/// The first `https://<host>` of a quick tunnel in `line`: a host of letters, digits and
/// dashes under `trycloudflare.com` (not its `api.` service), with nothing but an optional `/`
/// after it.
pub fn quick_address(line: &str) -> Option<String> {
    line.match_indices("https://").find_map(|(at, _)| {
        let rest = &line[at + "https://".len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '|' | '"' | '\'' | ','))
            .unwrap_or(rest.len());
        let url = rest[..end].strip_suffix('/').unwrap_or(&rest[..end]);
        let label = url.strip_suffix(".trycloudflare.com")?;
        let valid = !label.is_empty()
            && label.len() <= 63
            && label != "api"
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-');
        valid.then(|| format!("https://{}.trycloudflare.com", label.to_ascii_lowercase()))
    })
}

/// `line` without its timestamp and level, long token-like runs as `***`, at most
/// [`MAX_REASON`] characters.
pub fn reason(line: &str) -> String {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if words.first().is_some_and(|w| w.len() >= 10 && w.as_bytes()[..4].iter().all(u8::is_ascii_digit)) {
        words.remove(0);
    }
    if words.first().is_some_and(|w| matches!(*w, "ERR" | "FTL" | "INF" | "WRN" | "DBG")) {
        words.remove(0);
    }
    let text = redact(&words.join(" "));
    if text.chars().count() > MAX_REASON {
        let cut: String = text.chars().take(MAX_REASON).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Runs of 32 or more token characters (base64, hex) become `***`: a tunnel token or a
/// credential never reaches a log or the window.
pub fn redact(text: &str) -> String {
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if is_token(c) {
            run.push(c);
            continue;
        }
        out.push_str(if run.chars().count() >= 32 { "***" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.chars().count() >= 32 { "***" } else { &run });
    out
}
