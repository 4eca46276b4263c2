//! The single-instance door of the tray-only process, compatible with
//! tauri-plugin-single-instance's on Linux, which the window's process uses: the D-Bus session
//! name `{identifier}.SingleInstance`, at object path `/{identifier, '.' → '/', '-' → '_'}/
//! SingleInstance`, interface `org.SingleInstance.DBus`, method `ExecuteCallback(argv, cwd)`.
//! A second `recupero` launched while the tray process holds the name calls that method and
//! exits; the tray process then hands over to a window.

use zbus::blocking::connection::Builder;
use zbus::blocking::Connection;

/// tauri.conf.json's `identifier` (a unit test keeps the two equal).
pub const IDENTIFIER: &str = "app.recupero.desktop";

pub fn bus_name() -> String {
    format!("{IDENTIFIER}.SingleInstance")
}

pub fn object_path() -> String {
    format!("/{}", bus_name().replace('.', "/").replace('-', "_"))
}

type OnCall = Box<dyn Fn(Vec<String>) + Send + Sync>;

struct Door {
    on_call: OnCall,
}

#[zbus::interface(name = "org.SingleInstance.DBus")]
impl Door {
    fn execute_callback(&self, argv: Vec<String>, cwd: String) {
        tracing::info!(?argv, cwd, "another launch of Recupero knocked");
        (self.on_call)(argv);
    }
}

/// The outcome of trying to be the one instance.
pub enum Claim {
    /// This process holds the name until the connection is dropped.
    Held(Connection),
    /// Another Recupero process holds it.
    Taken,
    /// No session bus: nobody can find other instances; run anyway (as the plugin does).
    NoBus(zbus::Error),
}

/// Takes the name, answering other launches with `on_call(argv)` (called on zbus's thread).
pub fn claim(on_call: impl Fn(Vec<String>) + Send + Sync + 'static) -> zbus::Result<Claim> {
    let builder = match Builder::session() {
        Ok(builder) => builder,
        Err(e) => return Ok(Claim::NoBus(e)),
    };
    let built = builder
        .name(bus_name())?
        .replace_existing_names(false)
        .allow_name_replacements(false)
        .serve_at(object_path(), Door { on_call: Box::new(on_call) })?
        .build();
    match built {
        Ok(connection) => Ok(Claim::Held(connection)),
        Err(zbus::Error::NameTaken) => Ok(Claim::Taken),
        Err(e @ (zbus::Error::Address(_) | zbus::Error::InputOutput(_))) => Ok(Claim::NoBus(e)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_one_the_window_process_plugin_owns() {
        let conf: serde_json::Value = serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"].as_str(), Some(IDENTIFIER));
        assert_eq!(bus_name(), "app.recupero.desktop.SingleInstance");
        assert_eq!(object_path(), "/app/recupero/desktop/SingleInstance");
    }
}
