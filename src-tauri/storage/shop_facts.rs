//! The `shop_facts` table: the owner's own words about shipping, payments, returns, sizes…,
//! one row per version. Every change makes a new version, so a draft or an answer can say which
//! facts it used and the owner can see what the assistant knew at the time.

use rusqlite::{params, Connection, OptionalExtension};

pub(crate) const SCHEMA_V5: &str = "
CREATE TABLE shop_facts (
    version     INTEGER PRIMARY KEY,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
";

/// The latest version and its text, if the owner wrote any.
pub fn latest(conn: &Connection) -> rusqlite::Result<Option<(i64, String)>> {
    conn.prepare_cached("SELECT version, text FROM shop_facts ORDER BY version DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// One version's text.
pub fn get(conn: &Connection, version: i64) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT text FROM shop_facts WHERE version = ?1")?
        .query_row([version], |r| r.get(0))
        .optional()
}

/// Records `text` as the newest version unless it is already the newest. Returns its version.
pub fn record(conn: &Connection, text: &str, at: &str) -> rusqlite::Result<i64> {
    if let Some((version, current)) = latest(conn)? {
        if current == text {
            return Ok(version);
        }
    }
    conn.prepare_cached("INSERT INTO shop_facts (text, created_at) VALUES (?1, ?2) RETURNING version")?
        .query_row(params![text, at], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Db;

    #[test]
    fn every_change_is_a_new_version_and_repeats_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.sqlite3")).unwrap();
        let conn = db.conn();
        assert_eq!(latest(&conn).unwrap(), None);
        let v1 = record(&conn, "Envíos a todo el país 🚚", "2026-11-22T10:00:00Z").unwrap();
        assert_eq!(record(&conn, "Envíos a todo el país 🚚", "2026-11-22T10:05:00Z").unwrap(), v1);
        let v2 = record(&conn, "Envíos gratis desde $ 50.000", "2026-11-22T11:00:00Z").unwrap();
        assert!(v2 > v1);
        assert_eq!(latest(&conn).unwrap(), Some((v2, "Envíos gratis desde $ 50.000".into())));
        assert_eq!(get(&conn, v1).unwrap().as_deref(), Some("Envíos a todo el país 🚚"));
    }
}
