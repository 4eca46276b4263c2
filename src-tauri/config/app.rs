//! The desktop app's own settings: its language, starting at login and the recovered-cart
//! notification.

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
