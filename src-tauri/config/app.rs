//! The desktop app's own settings: its language, starting at login, the recovered-cart
//! notification and where it looks for updates.

use super::values;
use super::{Kind, Spec};

pub(super) const UI_LANGUAGE: Spec = Spec {
    key: "ui_language",
    kind: Kind::Language,
    description: "App language: auto (the computer's), es, pt or en",
    default: || "auto".into(),
    validate: values::language,
};

pub(super) const AUTOSTART: Spec = Spec {
    key: "autostart",
    kind: Kind::Bool,
    description: "Start Recupero when the computer starts",
    default: || "false".into(),
    validate: values::boolean,
};

pub(super) const NOTIFY_RECOVERED: Spec = Spec {
    key: "notify_recovered",
    kind: Kind::Bool,
    description: "Show a notification when a cart is recovered",
    default: || "true".into(),
    validate: values::boolean,
};

/// Empty, or an https address (plain http only on loopback, for tests).
fn address_or_empty(v: &str) -> values::Checked {
    if v.trim().is_empty() {
        Ok(String::new())
    } else {
        values::base_url(v)
    }
}

pub(super) const UPDATE_MANIFEST_URL: Spec = Spec {
    key: "update_manifest_url",
    kind: Kind::Url,
    description: "The https address of the update manifest (e.g. https://updates.example.com/recupero/latest.json); Recupero checks it once a day and when asked, tells you when a newer signed version is there, and installs it only when you say so (empty: never checks)",
    default: String::new,
    validate: address_or_empty,
};
