//! Native notifications on Linux (the desktop notification service over D-Bus), with a click:
//! clicking one runs `on_click` with what it is about (that conversation, that setting).
//! tauri-plugin-notification has no click callback on Linux, so both app processes show
//! notifications through here.

use crate::events::Route;
use crate::i18n::{t, Lang};
use crate::notice::Notice;

/// Shows `n`; if it has a route, clicking it calls `on_click` with that route. Waiting for the
/// click blocks, so it waits on a thread of its own until the notification is clicked or closed.
pub fn show(n: Notice, lang: Lang, on_click: impl Fn(Route) + Send + 'static) {
    let mut note = notify_rust::Notification::new();
    note.appname("Recupero").summary(&n.title).body(&n.body).icon("recupero");
    let Some(route) = n.route else {
        if let Err(e) = note.show() {
            tracing::warn!(error = %e, "could not show a notification");
        }
        return;
    };
    note.action("default", &t(lang, "native.notify.open", &[]));
    std::thread::spawn(move || match note.show() {
        Ok(handle) => handle.wait_for_action(|action| {
            if action == "default" {
                tracing::info!(route = %route.to_arg(), "notification clicked");
                on_click(route.clone());
            }
        }),
        Err(e) => tracing::warn!(error = %e, "could not show a notification"),
    });
}
