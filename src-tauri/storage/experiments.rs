//! The `experiments` and `experiment_arms` tables: each A/B experiment the owner ran (its spec
//! in canonical text, when it started and ended) and each cart's arm, recorded when the cart
//! was planned. Changing or emptying the `experiment` setting ends the open experiment (see
//! [`sync`]); its rows stay, so past results keep their carts.

use rusqlite::{params, Connection, OptionalExtension};

use crate::domain::experiment::{arm_of, Arm, ExperimentSpec};

/// 17 (numbered by the lead at merge): experiments and the arm of each cart in one.
pub(crate) const SCHEMA_V16: &str = "
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    spec        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT
) STRICT;
CREATE TABLE experiment_arms (
    cart_id       INTEGER PRIMARY KEY REFERENCES carts(id),
    experiment_id INTEGER NOT NULL REFERENCES experiments(id),
    arm           INTEGER NOT NULL CHECK (arm IN (0, 1)),
    assigned_at   TEXT NOT NULL
) STRICT;
CREATE INDEX experiment_arms_by_experiment ON experiment_arms(experiment_id, arm);
";

/// One experiment as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentRow {
    pub id: i64,
    /// The canonical spec text (`delay:15,60`); parsed with [`ExperimentSpec::parse`].
    pub spec: String,
    pub started_at: String,
    pub ended_at: Option<String>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExperimentRow> {
    Ok(ExperimentRow { id: r.get(0)?, spec: r.get(1)?, started_at: r.get(2)?, ended_at: r.get(3)? })
}

/// The experiment still running, if any.
pub fn open(conn: &Connection) -> rusqlite::Result<Option<ExperimentRow>> {
    conn.prepare_cached("SELECT id, spec, started_at, ended_at FROM experiments WHERE ended_at IS NULL")?
        .query_row([], row)
        .optional()
}

/// Every experiment, the newest first.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<ExperimentRow>> {
    let mut stmt = conn.prepare("SELECT id, spec, started_at, ended_at FROM experiments ORDER BY id DESC")?;
    let rows = stmt.query_map([], row)?;
    rows.collect()
}

/// Brings the records in line with the setting: an open experiment with another spec (or none
/// configured) is ended at `now`; a configured spec with none open starts. Returns the open one.
pub fn sync(
    conn: &Connection,
    configured: Option<&ExperimentSpec>,
    now: &str,
) -> rusqlite::Result<Option<ExperimentRow>> {
    let wanted = configured.map(ToString::to_string);
    let current = open(conn)?;
    if let Some(current) = current {
        if Some(&current.spec) == wanted.as_ref() {
            return Ok(Some(current));
        }
        conn.prepare_cached("UPDATE experiments SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL")?
            .execute(params![current.id, now])?;
    }
    let Some(spec) = wanted else { return Ok(None) };
    conn.prepare_cached("INSERT INTO experiments (spec, started_at) VALUES (?1, ?2)")?
        .execute(params![spec, now])?;
    Ok(Some(ExperimentRow { id: conn.last_insert_rowid(), spec, started_at: now.into(), ended_at: None }))
}

/// Records the arm of a (non-holdout) cart in the running experiment, drawn by
/// [`arm_of`]; a cart keeps the arm it was first given. Returns the cart's arm and its
/// experiment's spec, or `None` without an experiment.
pub fn assign(
    conn: &Connection,
    configured: Option<&ExperimentSpec>,
    cart_id: i64,
    store_id: i64,
    external_id: &str,
    now: &str,
) -> rusqlite::Result<Option<(Arm, ExperimentSpec)>> {
    if let Some(known) = arm_for_cart(conn, cart_id)? {
        return Ok(Some(known));
    }
    let Some(experiment) = sync(conn, configured, now)? else { return Ok(None) };
    let Ok(spec) = ExperimentSpec::parse(&experiment.spec) else { return Ok(None) };
    let arm = arm_of(experiment.id, store_id, external_id);
    conn.prepare_cached(
        "INSERT OR IGNORE INTO experiment_arms (cart_id, experiment_id, arm, assigned_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![cart_id, experiment.id, arm.index() as i64, now])?;
    Ok(Some((arm, spec)))
}

/// The recorded arm of a cart and its experiment's spec (ended experiments included: a cart
/// planned under one keeps its arm's template and coupon).
pub fn arm_for_cart(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<(Arm, ExperimentSpec)>> {
    let found: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT a.arm, e.spec FROM experiment_arms a JOIN experiments e ON e.id = a.experiment_id
             WHERE a.cart_id = ?1",
        )?
        .query_row([cart_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(found.and_then(|(arm, spec)| Some((Arm::from_index(arm)?, ExperimentSpec::parse(&spec).ok()?))))
}

/// The template a cart's messages use in a `template:` experiment, if it is in one.
pub fn template_for_cart(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<String>> {
    Ok(match arm_for_cart(conn, cart_id)? {
        Some((arm, spec @ ExperimentSpec::Template(..))) => Some(spec.arm_values()[arm.index()].clone()),
        _ => None,
    })
}

/// Whether a cart in a `coupon:on,off` experiment gets a coupon (`Some(true)`: arm A), or
/// `None` when it is in no coupon experiment (the coupon settings alone decide then).
pub fn coupon_arm(conn: &Connection, cart_id: i64) -> rusqlite::Result<Option<bool>> {
    Ok(match arm_for_cart(conn, cart_id)? {
        Some((arm, ExperimentSpec::Coupon)) => Some(arm == Arm::A),
        _ => None,
    })
}

/// The carts of one experiment with their arm (cart id, arm index).
pub fn members(conn: &Connection, experiment_id: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT cart_id, arm FROM experiment_arms WHERE experiment_id = ?1 ORDER BY cart_id",
    )?;
    let rows = stmt.query_map([experiment_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO stores (id, platform, name, base_url, country, created_at) VALUES (1, 'sandbox', 'S', 'http://x', 'AR', 't')",
            [],
        )
        .unwrap();
        for i in 1..=4 {
            conn.execute(
                "INSERT INTO carts (id, store_id, external_id, currency, total, items_json, checkout_created_at,
                   checkout_updated_at, detected_at, first_seen_at)
                 VALUES (?1, 1, ?1, 'ARS', '1', '[]', 't', 't', 't', 't')",
                [i],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn changing_the_setting_ends_the_experiment_and_keeps_its_carts() {
        let conn = db();
        let delay = ExperimentSpec::Delay(15, 60);
        let (arm, spec) =
            assign(&conn, Some(&delay), 1, 1, "1", "2026-11-20T10:00:00.000Z").unwrap().unwrap();
        assert_eq!((arm, spec.clone()), (arm_of(1, 1, "1"), delay.clone()));
        assert_eq!(sync(&conn, Some(&delay), "later").unwrap().unwrap().id, 1, "the same spec: the same one");
        let copy = ExperimentSpec::Template("a".into(), "b".into());
        let (_, spec) = assign(&conn, Some(&copy), 2, 1, "2", "2026-11-21T10:00:00.000Z").unwrap().unwrap();
        assert_eq!(spec, copy);
        let all = list(&conn).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].ended_at.as_deref(), Some("2026-11-21T10:00:00.000Z"), "the first ended on change");
        assert_eq!(arm_for_cart(&conn, 1).unwrap().map(|a| a.1), Some(delay), "cart 1 keeps its arm");
        assert_eq!(members(&conn, 1).unwrap().len(), 1);
        assert!(sync(&conn, None, "2026-11-22T10:00:00.000Z").unwrap().is_none(), "emptied: none open");
        assert!(list(&conn).unwrap().iter().all(|e| e.ended_at.is_some()));
        assert_eq!(assign(&conn, None, 3, 1, "3", "x").unwrap(), None, "no experiment, no arm");
        assert_eq!(coupon_arm(&conn, 3).unwrap(), None);
    }

    #[test]
    fn a_cart_keeps_the_arm_it_was_first_given_and_coupon_arms_read_as_yes_or_no() {
        let conn = db();
        let first = assign(&conn, Some(&ExperimentSpec::Coupon), 4, 1, "4", "t1").unwrap().unwrap();
        let again = assign(&conn, Some(&ExperimentSpec::Coupon), 4, 1, "4", "t2").unwrap().unwrap();
        assert_eq!(first, again);
        assert_eq!(coupon_arm(&conn, 4).unwrap(), Some(first.0 == Arm::A));
        assert_eq!(template_for_cart(&conn, 4).unwrap(), None, "not a template experiment");
    }
}
