//! The `stores` table: each connected shop, its platform, where its API lives, the polling
//! cursor and the connection state the owner sees. Credentials are never here (keychain only).
//! The module is called `shops` so it is not mistaken for the store connectors (`crate::stores`).

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE stores (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL CHECK (platform IN ('tiendanube','shopify','woocommerce','sandbox')),
    name             TEXT NOT NULL,
    base_url         TEXT NOT NULL,
    external_id      TEXT,
    country          TEXT NOT NULL,
    cursor           TEXT,
    state            TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new','ok','failing','paused')),
    last_poll_at     TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (platform, base_url, external_id)
) STRICT;
";

/// Polling state: per-store options (API version, WooCommerce query-string auth, page size) as
/// JSON, consecutive failures for the backoff, and when the next poll is due.
pub(crate) const SCHEMA_V2: &str = "
ALTER TABLE stores ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE stores ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stores ADD COLUMN next_poll_at TEXT;
";

/// The first sync: when a store's first full pass over its checkouts ended (the first page that
/// left nothing more to read, stored with that page), and how many checkouts it has read so far.
/// Stores already polled before this existed count as caught up.
pub(crate) const SCHEMA_V11: &str = "
ALTER TABLE stores ADD COLUMN first_sync_done_at TEXT;
ALTER TABLE stores ADD COLUMN first_sync_checkouts INTEGER NOT NULL DEFAULT 0;
UPDATE stores SET first_sync_done_at = last_success_at WHERE last_success_at IS NOT NULL;
";

/// Jumpseller and PrestaShop (and VTEX, issue #22's third platform) join the platforms a store
/// row may name: SQLite changes a CHECK only by rebuilding the table (foreign keys are off
/// during migrations, and the rename keeps `carts` and `store_opt_outs` pointing here).
pub(crate) const SCHEMA_V17: &str = "
CREATE TABLE stores_v16 (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL CHECK (platform IN
                         ('tiendanube','shopify','woocommerce','sandbox','jumpseller','prestashop','vtex')),
    name             TEXT NOT NULL,
    base_url         TEXT NOT NULL,
    external_id      TEXT,
    country          TEXT NOT NULL,
    cursor           TEXT,
    state            TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new','ok','failing','paused')),
    last_poll_at     TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    options          TEXT NOT NULL DEFAULT '{}',
    failures         INTEGER NOT NULL DEFAULT 0,
    next_poll_at     TEXT,
    first_sync_done_at TEXT,
    first_sync_checkouts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (platform, base_url, external_id)
) STRICT;
INSERT INTO stores_v16 (id, platform, name, base_url, external_id, country, cursor, state, last_poll_at,
        last_success_at, last_error, created_at, options, failures, next_poll_at, first_sync_done_at,
        first_sync_checkouts)
    SELECT id, platform, name, base_url, external_id, country, cursor, state, last_poll_at,
        last_success_at, last_error, created_at, options, failures, next_poll_at, first_sync_done_at,
        first_sync_checkouts
    FROM stores;
DROP TABLE stores;
ALTER TABLE stores_v16 RENAME TO stores;
";

/// A store still in its first sync: checkouts read so far and, of the carts stored, how many
/// have a phone (both from the database). No total: the stores' totals are not read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FirstSync {
    pub store_id: i64,
    pub store_name: String,
    pub checkouts_read: i64,
    pub carts_with_phone: i64,
}

/// Every row with the count of its carts that have a phone.
const SELECT: &str =
    "SELECT s.*, (SELECT count(*) FROM carts c WHERE c.store_id = s.id AND c.phone_e164 IS NOT NULL)
    AS carts_with_phone FROM stores s";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StoreRow {
    pub id: i64,
    pub platform: String,
    pub name: String,
    pub base_url: String,
    pub external_id: Option<String>,
    pub country: String,
    pub state: String,
    pub last_poll_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    /// `last_error` as the window words it (set by the engine, which knows the store's errors).
    #[cfg_attr(test, ts(optional = nullable))]
    pub last_problem: Option<crate::ui_error::UiError>,
    pub created_at: String,
    /// When the first sync ended (`None`: still catching up).
    #[cfg_attr(test, ts(optional = nullable))]
    pub first_sync_done_at: Option<String>,
    /// While the first sync runs: its progress.
    #[cfg_attr(test, ts(optional = nullable))]
    pub first_sync: Option<FirstSync>,
}

impl StoreRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get("id")?,
            platform: r.get("platform")?,
            name: r.get("name")?,
            base_url: r.get("base_url")?,
            external_id: r.get("external_id")?,
            country: r.get("country")?,
            state: r.get("state")?,
            last_poll_at: r.get("last_poll_at")?,
            last_success_at: r.get("last_success_at")?,
            last_error: r.get("last_error")?,
            last_problem: None,
            created_at: r.get("created_at")?,
            first_sync_done_at: r.get("first_sync_done_at")?,
            first_sync: match r.get::<_, Option<String>>("first_sync_done_at")? {
                Some(_) => None,
                None => Some(FirstSync {
                    store_id: r.get("id")?,
                    store_name: r.get("name")?,
                    checkouts_read: r.get("first_sync_checkouts")?,
                    carts_with_phone: r.get("carts_with_phone")?,
                }),
            },
        })
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<StoreRow>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY s.id"))?;
    let rows = stmt.query_map([], StoreRow::from_row)?;
    rows.collect()
}

/// The most recent successful poll over all stores, if any.
pub fn last_success(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT max(last_success_at) FROM stores", [], |r| r.get(0))
}

/// What the poller needs besides the public row.
#[derive(Debug, Clone)]
pub struct PollState {
    pub row: StoreRow,
    pub cursor: Option<String>,
    pub options: String,
    pub failures: u32,
    pub next_poll_at: Option<String>,
}

/// A store to save (credentials go to the secret store, never here).
#[derive(Debug, Clone)]
pub struct NewStore<'a> {
    pub platform: &'a str,
    pub name: &'a str,
    pub base_url: &'a str,
    pub external_id: Option<&'a str>,
    pub country: &'a str,
    pub options: &'a str,
}

/// Saves a store, or updates the one with the same platform, address and store id (keeping its
/// cursor, so reconnecting never re-reads history). Returns its id.
pub fn upsert(conn: &Connection, store: &NewStore<'_>, now: &str) -> rusqlite::Result<i64> {
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM stores WHERE platform = ?1 AND base_url = ?2 AND external_id IS ?3",
            params![store.platform, store.base_url, store.external_id],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => {
            conn.execute(
                "UPDATE stores SET name = ?2, country = ?3, options = ?4, state = CASE WHEN state = 'failing' THEN 'new' ELSE state END,
                 failures = 0, next_poll_at = NULL, last_error = NULL WHERE id = ?1",
                params![id, store.name, store.country, store.options],
            )?;
            Ok(id)
        }
        None => {
            conn.execute(
                "INSERT INTO stores (platform, name, base_url, external_id, country, options, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    store.platform,
                    store.name,
                    store.base_url,
                    store.external_id,
                    store.country,
                    store.options,
                    now
                ],
            )?;
            Ok(conn.last_insert_rowid())
        }
    }
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoreRow>> {
    conn.query_row(&format!("{SELECT} WHERE s.id = ?1"), [id], StoreRow::from_row).optional()
}

pub fn poll_state(conn: &Connection, id: i64) -> rusqlite::Result<Option<PollState>> {
    conn.query_row(&format!("{SELECT} WHERE s.id = ?1"), [id], |r| {
        Ok(PollState {
            row: StoreRow::from_row(r)?,
            cursor: r.get("cursor")?,
            options: r.get("options")?,
            failures: r.get::<_, i64>("failures")?.clamp(0, i64::from(u32::MAX)) as u32,
            next_poll_at: r.get("next_poll_at")?,
        })
    })
    .optional()
}

/// A page was stored: move the cursor with it (same transaction as the carts). During the first
/// sync the page's `read` checkouts are counted, and a page with nothing `more` after it ends
/// the first sync (once: later pages never reopen it).
pub fn save_page(
    conn: &Connection,
    id: i64,
    cursor: Option<&str>,
    now: &str,
    next_poll_at: &str,
    read: usize,
    more: bool,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE stores SET cursor = ?2, state = 'ok', failures = 0, last_error = NULL, last_poll_at = ?3,
         last_success_at = ?3, next_poll_at = ?4,
         first_sync_checkouts = first_sync_checkouts + CASE WHEN first_sync_done_at IS NULL THEN ?5 ELSE 0 END,
         first_sync_done_at = COALESCE(first_sync_done_at, CASE WHEN ?6 THEN NULL ELSE ?3 END)
         WHERE id = ?1",
        params![id, cursor, now, next_poll_at, i64::try_from(read).unwrap_or(i64::MAX), more],
    )?;
    Ok(())
}

/// The stores still in their first sync, with their progress.
pub fn first_syncs(conn: &Connection) -> rusqlite::Result<Vec<FirstSync>> {
    Ok(list(conn)?.into_iter().filter_map(|s| s.first_sync).collect())
}

/// A poll failed: the cursor stays where it was; the owner sees the state and the error.
pub fn record_failure(
    conn: &Connection,
    id: i64,
    now: &str,
    error: &str,
    failures: u32,
    next_poll_at: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE stores SET state = 'failing', failures = ?3, last_error = ?4, last_poll_at = ?2, next_poll_at = ?5
         WHERE id = ?1",
        params![id, now, failures, error, next_poll_at],
    )?;
    Ok(())
}

/// The name of the first store connected (the shop's name in a test message, and what the
/// assistant calls the shop when no cart says); no store is an error (`QueryReturnedNoRows`).
pub fn first_name(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT name FROM stores ORDER BY id LIMIT 1", [], |r| r.get::<_, String>(0))
}

/// The names of the connected stores other than `name` (the demo refuses a data directory that
/// holds a real store).
pub fn names_other_than(conn: &Connection, name: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare("SELECT name FROM stores WHERE name != ?1")?.query_map([name], |r| r.get(0))?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::migrations::{migrate, migrate_to};

    const INSERT: &str = "INSERT INTO stores (platform, name, base_url, country, created_at, last_success_at)
        VALUES ('sandbox', ?1, ?2, 'AR', '2026-11-01T00:00:00.000Z', ?3)";

    #[test]
    fn stores_polled_before_the_upgrade_count_as_caught_up_and_new_ones_start_their_first_sync() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 10).unwrap();
        conn.execute(INSERT, params!["Polled", "http://a/", "2026-11-02T00:00:00.000Z"]).unwrap();
        conn.execute(INSERT, params!["Never", "http://b/", None::<String>]).unwrap();
        migrate(&mut conn).unwrap();
        let rows = list(&conn).unwrap();
        assert_eq!(rows[0].first_sync_done_at.as_deref(), Some("2026-11-02T00:00:00.000Z"));
        assert_eq!(rows[0].first_sync, None);
        assert_eq!(
            rows[1].first_sync,
            Some(FirstSync {
                store_id: 2,
                store_name: "Never".into(),
                checkouts_read: 0,
                carts_with_phone: 0
            })
        );
        assert_eq!(first_syncs(&conn).unwrap().len(), 1);
    }

    #[test]
    fn the_vtex_rebuild_keeps_every_store_and_its_carts() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 15).unwrap();
        let vtex = "INSERT INTO stores (platform, name, base_url, country, created_at) VALUES ('vtex', 'V', 'https://v/', 'BR', 'x')";
        assert!(conn.execute(vtex, []).is_err(), "refused before the migration");
        conn.execute(INSERT, params!["Sol", "http://a/", "2026-11-02T00:00:00.000Z"]).unwrap();
        conn.execute("UPDATE stores SET cursor = 'c9', options = '{\"pageSize\":5}', failures = 2, first_sync_done_at = 'd1'", [])
            .unwrap();
        conn.execute(
            "INSERT INTO carts (store_id, external_id, currency, total, items_json, checkout_created_at,
                checkout_updated_at, detected_at) VALUES (1, 'e1', 'ARS', '10', '[]', 'a', 'a', 'a')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let row = get(&conn, 1).unwrap().unwrap();
        let poll = poll_state(&conn, 1).unwrap().unwrap();
        assert_eq!((row.name.as_str(), poll.cursor.as_deref(), poll.failures), ("Sol", Some("c9"), 2));
        let done: String =
            conn.query_row("SELECT first_sync_done_at FROM stores WHERE id = 1", [], |r| r.get(0)).unwrap();
        assert_eq!(done, "d1");
        conn.execute(vtex, []).unwrap();
        let carts: i64 = conn
            .query_row("SELECT count(*) FROM carts JOIN stores s ON s.id = carts.store_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(carts, 1);
        conn.execute("DELETE FROM stores WHERE id = 1", []).expect_err("carts still reference their store");
    }

    #[test]
    fn pages_count_until_one_leaves_nothing_more_and_never_after() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(INSERT, params!["Sol", "http://a/", None::<String>]).unwrap();
        let read = |conn: &Connection| get(conn, 1).unwrap().unwrap().first_sync.map(|s| s.checkouts_read);
        save_page(&conn, 1, Some("c1"), "2026-11-02T00:00:00.000Z", "2026-11-02T00:00:01.000Z", 5, true)
            .unwrap();
        assert_eq!(read(&conn), Some(5));
        save_page(&conn, 1, Some("c2"), "2026-11-02T00:00:01.000Z", "2026-11-02T00:00:02.000Z", 5, true)
            .unwrap();
        assert_eq!(read(&conn), Some(10));
        save_page(&conn, 1, Some("c3"), "2026-11-02T00:00:02.000Z", "2026-11-02T00:05:00.000Z", 3, false)
            .unwrap();
        assert_eq!(read(&conn), None);
        save_page(&conn, 1, Some("c4"), "2026-11-02T00:05:00.000Z", "2026-11-02T00:10:00.000Z", 2, true)
            .unwrap();
        let row = get(&conn, 1).unwrap().unwrap();
        assert_eq!(row.first_sync, None, "a later page with more never reopens it");
        assert_eq!(row.first_sync_done_at.as_deref(), Some("2026-11-02T00:00:02.000Z"));
    }
}
