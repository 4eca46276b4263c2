//! Forward-only schema migrations, tracked in `PRAGMA user_version`. Each migration runs in its
//! own transaction together with the version bump, so a crash leaves either the old or the new
//! schema, never half of one. Migrations are never edited once released: add a new one.

use rusqlite::Connection;

use super::{
    carts, coexistence, contacts, conversations, coupons, drafts, event_log, experiments, media, messages,
    sends, settings, shop_facts, shops, store_opt_outs, templates, webhook_events, StorageError,
};

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`.
/// 1: the first schema. 2: store polling state (options, failures, next poll) and carts' first sight.
/// 3: the outbox's lease phases and backlog windows; carts' recovery outcome.
/// 4: webhooks (raw deliveries, message statuses, message details), the template cache, and the
///    WhatsApp settings' final names (`whatsapp_base_url`, `whatsapp_waba_id`).
/// 5: the conversation step — versioned shop facts, drafts, the durable reply queue, inbound
///    messages awaiting the assistant, and full-text search over messages.
/// 6: carts by store and detection day (the Carts screen's filters).
/// 7: the approved wording of each cached template (body, footer, URL and quick-reply button
///    texts) for the message preview.
/// 8: when the purchase sweep last asked the store about a cart.
/// 9: webhook deliveries retried: attempts, the next attempt's time, quarantine.
/// 10: when a delivery's raw body was pruned; when the customer last opted back in (by the
///     message's own time, so a STOP said earlier but delivered later does not undo it).
/// 11: each store's first sync: when it ended and the checkouts read during it.
/// 12: Coexistence health (the link with the phone's WhatsApp Business app, the one-time history
///     and contact sync) and contacts' address-book names.
/// 13: contacts by business-scoped user id (BSUID), parent BSUID and username; a contact may
///     have no phone number (the table is rebuilt: see `contacts::SCHEMA_V13`).
/// 14: the WhatsApp media id each product image was uploaded as
///     (the reminder's image header), with when, or why the image could not be used.
/// 15: opt-outs written back to the store (`store_write_opt_out`), one row per final outcome.
/// 16: A/B experiments and each cart's arm.
/// 17: stores may be Jumpseller, PrestaShop or VTEX (the table is rebuilt: `shops::SCHEMA_V17`).
/// 18: each cart's coupon (`coupon_percent`): its code, reserved before the store is asked, the
///     store's id for it, and its end (deleted, redeemed with the discount given).
/// 19: when a first message passed the holdout point (`sends.passed_at`: intention to treat).
fn migrations() -> Vec<String> {
    vec![
        [
            settings::SCHEMA_V1,
            shops::SCHEMA_V1,
            contacts::SCHEMA_V1,
            carts::SCHEMA_V1,
            sends::SCHEMA_V1,
            conversations::SCHEMA_V1,
            messages::SCHEMA_V1,
            event_log::SCHEMA_V1,
        ]
        .concat(),
        [shops::SCHEMA_V2, carts::SCHEMA_V2].concat(),
        [sends::SCHEMA_V3, carts::SCHEMA_V3].concat(),
        [settings::SCHEMA_V4, webhook_events::SCHEMA_V4, messages::SCHEMA_V4, templates::SCHEMA_V4].concat(),
        [messages::SCHEMA_V5, shop_facts::SCHEMA_V5, drafts::SCHEMA_V5].concat(),
        carts::SCHEMA_V6.to_string(),
        templates::SCHEMA_V7.to_string(),
        carts::SCHEMA_V8.to_string(),
        webhook_events::SCHEMA_V9.to_string(),
        [webhook_events::SCHEMA_V10, contacts::SCHEMA_V10].concat(),
        shops::SCHEMA_V11.to_string(),
        coexistence::SCHEMA_V12.to_string(),
        contacts::SCHEMA_V13.to_string(),
        media::SCHEMA_V14.to_string(),
        store_opt_outs::SCHEMA_V15.to_string(),
        experiments::SCHEMA_V16.to_string(),
        shops::SCHEMA_V17.to_string(),
        coupons::SCHEMA_V18.to_string(),
        sends::SCHEMA_V19.to_string(),
    ]
}

pub fn latest_version() -> i64 {
    migrations().len() as i64
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let all = migrations();
    if current.max(0) as usize >= all.len() {
        return Ok(());
    }
    // A migration may rebuild a table (SQLite's way to change a column's constraints, see
    // `contacts::SCHEMA_V13`): foreign keys are off meanwhile (the pragma is a no-op inside a
    // transaction, so it is set around them) and checked before each commit instead.
    let enforced: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let result = run(conn, &all, current);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    result
}

/// Foreign-key violations in the whole database.
fn fk_violations(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
}

fn run(conn: &mut Connection, all: &[String], current: i64) -> Result<(), StorageError> {
    for (index, sql) in all.iter().enumerate().skip(current.max(0) as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction()?;
        let before = fk_violations(&tx).map_err(|source| StorageError::Migration { version, source })?;
        tx.execute_batch(sql).map_err(|source| StorageError::Migration { version, source })?;
        // A migration never leaves a reference dangling that did not dangle before it.
        let after = fk_violations(&tx).map_err(|source| StorageError::Migration { version, source })?;
        if after > before {
            let source = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!("{} foreign key violations after the migration", after - before)),
            );
            return Err(StorageError::Migration { version, source });
        }
        tx.pragma_update(None, "user_version", version)
            .map_err(|source| StorageError::Migration { version, source })?;
        tx.commit().map_err(|source| StorageError::Migration { version, source })?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

/// Migrates only up to schema `target`: tests build an older database with it.
#[cfg(test)]
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StorageError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let all = migrations();
    for (index, sql) in all.iter().enumerate().take(target.max(0) as usize).skip(current.max(0) as usize) {
        conn.execute_batch(sql)?;
        conn.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn empty_database_gets_every_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(
            tables(&conn),
            [
                "carts",
                "coexistence",
                "contacts",
                "conversations",
                "coupons",
                "drafts",
                "events",
                "experiment_arms",
                "experiments",
                "message_statuses",
                "messages",
                "messages_fts",
                "messages_fts_config",
                "messages_fts_data",
                "messages_fts_docsize",
                "messages_fts_idx",
                "opt_out_origins",
                "sends",
                "settings",
                "shop_facts",
                "store_opt_out_writes",
                "stores",
                "wa_media",
                "wa_templates",
                "webhook_events"
            ]
        );
    }

    #[test]
    fn each_version_migrates_forward_from_the_previous_one() {
        // Build every intermediate version by hand, then let `migrate` finish the job.
        let all = migrations();
        for start in 0..all.len() {
            let mut conn = Connection::open_in_memory().unwrap();
            for (i, sql) in all.iter().enumerate().take(start) {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", i as i64 + 1).unwrap();
            }
            migrate(&mut conn).unwrap();
            let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
            assert_eq!(v, latest_version(), "from version {start}");
        }
    }

    #[test]
    fn a_failing_migration_leaves_the_version_unchanged() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A table in the way makes migration 1 fail half-way.
        conn.execute_batch("CREATE TABLE carts(x);").unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(matches!(err, StorageError::Migration { version: 1, .. }), "{err}");
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 0, "the transaction must roll back the version bump");
        assert!(!tables(&conn).contains(&"settings".to_string()), "nothing half-applied");
    }
}
