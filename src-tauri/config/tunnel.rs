//! The tunnel Recupero runs for the owner: off, a quick tunnel (to try: a new address at every
//! start, registered with WhatsApp each time) or the owner's named tunnel (daily use: created
//! with `cloudflared tunnel create NAME` and `cloudflared tunnel route dns NAME HOSTNAME`), and
//! where the `cloudflared` program is.

use super::values::{Checked, ValueError};
use super::{Kind, Spec};

fn mode(v: &str) -> Checked {
    match v.trim().to_ascii_lowercase().as_str() {
        m @ ("off" | "quick" | "named") => Ok(m.to_string()),
        _ => Err(ValueError::TunnelMode),
    }
}

fn name(v: &str) -> Checked {
    let v = v.trim();
    let ok = v.is_empty()
        || (v.len() <= 100
            && !v.starts_with('-')
            && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')));
    if ok {
        Ok(v.to_string())
    } else {
        Err(ValueError::TunnelName)
    }
}

/// A bare hostname (an `https://` in front and a `/` after are taken off), lower case.
fn hostname(v: &str) -> Checked {
    let v = v.trim();
    let v = v.strip_prefix("https://").unwrap_or(v);
    let v = v.strip_suffix('/').unwrap_or(v).to_ascii_lowercase();
    if v.is_empty() {
        return Ok(v);
    }
    let labels_ok = v.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if v.len() <= 253 && v.contains('.') && labels_ok {
        Ok(v)
    } else {
        Err(ValueError::Hostname)
    }
}

fn program(v: &str) -> Checked {
    let v = v.trim();
    if v.chars().count() <= 1000 && !v.chars().any(char::is_control) {
        Ok(v.to_string())
    } else {
        Err(ValueError::ProgramPath)
    }
}

pub(super) const TUNNEL_MODE: Spec = Spec {
    key: "tunnel_mode",
    kind: Kind::Text,
    description: "Recupero runs cloudflared for you: off; quick (to try: a new *.trycloudflare.com address at every start, registered with WhatsApp each time); named (daily use: your own tunnel, tunnel_name, at your own hostname, tunnel_hostname)",
    default: || "off".into(),
    validate: mode,
};

pub(super) const TUNNEL_NAME: Spec = Spec {
    key: "tunnel_name",
    kind: Kind::Text,
    description:
        "Your named tunnel, as created with `cloudflared tunnel create NAME` (used when tunnel_mode is named)",
    default: String::new,
    validate: name,
};

pub(super) const TUNNEL_HOSTNAME: Spec = Spec {
    key: "tunnel_hostname",
    kind: Kind::Text,
    description: "The public hostname your named tunnel answers at, as routed with `cloudflared tunnel route dns NAME HOSTNAME` (e.g. hooks.your-shop.com); registered with WhatsApp when the tunnel connects",
    default: String::new,
    validate: hostname,
};

pub(super) const CLOUDFLARED_PATH: Spec = Spec {
    key: "cloudflared_path",
    kind: Kind::Text,
    description: "The cloudflared program (empty: looked for on PATH and where its installers put it)",
    default: String::new,
    validate: program,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnel_settings_take_what_cloudflared_takes_and_nothing_that_looks_like_a_flag() {
        assert_eq!(mode(" Quick "), Ok("quick".into()));
        assert!(mode("sometimes").is_err());
        assert_eq!(name("tienda-hooks"), Ok("tienda-hooks".into()));
        assert!(name("--token=abc").is_err(), "a name is never an option");
        assert!(name("a b").is_err());
        assert_eq!(hostname("https://Hooks.Tienda.com/"), Ok("hooks.tienda.com".into()));
        assert_eq!(hostname(""), Ok(String::new()));
        for bad in ["localhost", "hooks.tienda.com/path", "-x.tienda.com", "a..b", "https://x.com:8443"] {
            assert!(hostname(bad).is_err(), "{bad}");
        }
        assert!(program("C:\\Program Files\\cloudflared\\cloudflared.exe").is_ok());
        assert!(program("/usr/bin/cloudflared\n").is_ok(), "trimmed");
        assert!(program("a\u{7}b").is_err());
    }
}
