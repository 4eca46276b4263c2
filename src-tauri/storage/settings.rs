//! The `settings` table: one row per non-secret setting that differs from its default.
//! Typed access and validation live in `config.rs`; this file only stores text.

use rusqlite::{params, Connection, OptionalExtension};

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
