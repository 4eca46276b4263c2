//! The `settings` table: one row per non-secret setting that differs from its default. The
//! raw text (`get`, `all`, `put`, `delete`) is for internal keys, copies and values the engine
//! sets itself (the pause switch); the owner's settings go through `load`, `show`, `value` and
//! `set`, which validate with `config`'s specs, so nothing invalid is stored and a hand-edited
//! bad value reads as its default.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::{self, ConfigError, SettingView, Settings};

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
";

/// Migration 4: the WhatsApp settings take the names the command line documents.
pub(crate) const SCHEMA_V4: &str = "
UPDATE settings SET key = 'whatsapp_base_url' WHERE key = 'whatsapp_api_base';
UPDATE settings SET key = 'whatsapp_waba_id' WHERE key = 'whatsapp_business_account_id';
";

pub fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()
}

pub fn all(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

pub fn put(conn: &Connection, key: &str, value: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings(key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, at],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
    Ok(())
}

/// Every key with its effective value (stored if valid, else the default).
fn effective(conn: &Connection) -> Result<BTreeMap<String, String>, ConfigError> {
    let stored: BTreeMap<String, String> = all(conn)?.into_iter().collect();
    Ok(config::effective(&stored))
}

impl Settings {
    /// Reads every setting, falling back to defaults. A stored value that no longer validates
    /// (edited by hand) falls back to the default with a warning instead of stopping the app.
    pub fn load(conn: &Connection) -> Result<Settings, ConfigError> {
        Settings::from_values(&effective(conn)?)
    }
}

/// Every setting with its effective value, default and meaning.
pub fn show(conn: &Connection) -> Result<Vec<SettingView>, ConfigError> {
    Ok(config::views(&effective(conn)?))
}

/// One setting's effective value.
pub fn value(conn: &Connection, key: &str) -> Result<String, ConfigError> {
    let spec = config::spec(key)?;
    Ok(effective(conn)?.remove(spec.key).unwrap_or_default())
}

/// Validates, normalizes and stores one value; returns what was stored.
pub fn set(
    conn: &Connection,
    key: &str,
    value: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String, ConfigError> {
    let spec = config::spec(key)?;
    let normalized = spec.normalize(value)?;
    put(conn, spec.key, &normalized, &super::ts(at))?;
    Ok(normalized)
}

/// The stored settings of a database this process must not write to (the owner's, read by
/// `recupero demo`), opened read-only: no migration, no journal switch, the file's bytes stay
/// as they are. Empty when there is no database there.
pub fn read_only_all(path: &std::path::Path) -> rusqlite::Result<Vec<(String, String)>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    all(&conn)
}

#[cfg(test)]
mod tests;
