//! The Carts screen's list: filtered by status, store, detection day (shop days, read in the
//! shop's time zone, both ends inclusive) and a search over name, phone and checkout id, newest
//! first. Only the filters given reach the SQL, so SQLite can pick an index for each
//! (`carts_status`, `carts_store_detected`, `carts_detected`).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::types::Value;
use rusqlite::Connection;

use super::CartRow;
use crate::storage::ts;

/// Filters of the Carts screen. `search` matches name, phone or checkout id; `from` and `to`
/// are shop days (the `to` day included), read in `timezone` (UTC when unset).
#[derive(Debug, Clone, Default)]
pub struct CartFilter {
    pub status: Option<String>,
    pub search: Option<String>,
    /// Only this store's carts (`stores.id`).
    pub store_id: Option<i64>,
    /// Detected on this shop day or later.
    pub from: Option<NaiveDate>,
    /// Detected on this shop day or earlier.
    pub to: Option<NaiveDate>,
    pub timezone: Option<Tz>,
    pub limit: Option<u32>,
    /// Rows skipped before the page (the Carts screen's "load more"); none when unset.
    pub offset: Option<u32>,
}

/// The first instant of a shop day: midnight, or the first minute after it that exists (a
/// daylight-saving change at midnight skips it).
fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=180)
        .step_by(15)
        .find_map(|m| tz.from_local_datetime(&(midnight + Duration::minutes(m))).earliest())
        .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}

impl CartFilter {
    /// The detection instants the days cover: `[start of from, start of the day after to)`.
    pub fn detected_bounds(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let tz = self.timezone.unwrap_or(Tz::UTC);
        let from = self.from.map(|d| day_start(tz, d));
        let until = self.to.and_then(|d| d.succ_opt()).map(|d| day_start(tz, d));
        (from, until)
    }
}

/// The `WHERE` of a filter and its arguments, in order: only the filters given become clauses.
fn where_clause(filter: &CartFilter) -> (String, Vec<Value>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(status) = filter.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        clauses.push("c.status = ?");
        args.push(Value::Text(status.to_string()));
    }
    if let Some(store) = filter.store_id {
        clauses.push("c.store_id = ?");
        args.push(Value::Integer(store));
    }
    let (from, until) = filter.detected_bounds();
    if let Some(from) = from {
        clauses.push("c.detected_at >= ?");
        args.push(Value::Text(ts(from)));
    }
    if let Some(until) = until {
        clauses.push("c.detected_at < ?");
        args.push(Value::Text(ts(until)));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        clauses.push(
            "(c.first_name LIKE ? ESCAPE '\\' OR c.phone_e164 LIKE ? ESCAPE '\\' OR c.external_id LIKE ? ESCAPE '\\')",
        );
        args.extend(std::iter::repeat_n(Value::Text(pattern), 3));
    }
    let filters = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (filters, args)
}

/// One page of the list: a total order (detection time, then id) so pages never overlap or skip.
fn query(filter: &CartFilter) -> (String, Vec<Value>) {
    let (filters, mut args) = where_clause(filter);
    args.push(Value::Integer(i64::from(filter.limit.unwrap_or(500))));
    args.push(Value::Integer(i64::from(filter.offset.unwrap_or(0))));
    let sql = format!(
        "SELECT c.*, s.name AS store FROM carts c JOIN stores s ON s.id = c.store_id {filters}
         ORDER BY c.detected_at DESC, c.id DESC LIMIT ? OFFSET ?"
    );
    (sql, args)
}

/// How many carts the filter matches in all (the list's "N of TOTAL"); limit and offset ignored.
pub fn count_matching(conn: &Connection, filter: &CartFilter) -> rusqlite::Result<i64> {
    let (filters, args) = where_clause(filter);
    let sql = format!("SELECT COUNT(*) FROM carts c JOIN stores s ON s.id = c.store_id {filters}");
    conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(args), |r| r.get(0))
}

pub fn list(conn: &Connection, filter: &CartFilter) -> rusqlite::Result<Vec<CartRow>> {
    let (sql, args) = query(filter);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), CartRow::from_row)?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;
    use rusqlite::params;

    use super::*;

    const BA: Tz = chrono_tz::America::Argentina::Buenos_Aires;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::storage::migrations::migrate(&mut conn).unwrap();
        for (id, name) in [(1, "Tienda Sol"), (2, "Tienda Luna")] {
            conn.execute(
                "INSERT INTO stores (id, platform, name, base_url, country, created_at)
                 VALUES (?1, 'sandbox', ?2, ?3, 'AR', '2026-11-01T00:00:00.000Z')",
                params![id, name, format!("http://127.0.0.1/{id}")],
            )
            .unwrap();
        }
        conn
    }

    fn local(tz: Tz, text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
        tz.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc)
    }

    /// A cart of `store` detected at `detected` (UTC), with status `status`.
    fn cart(conn: &Connection, store: i64, external: &str, detected: DateTime<Utc>, status: &str) {
        conn.execute(
            "INSERT INTO carts (store_id, external_id, first_name, phone_e164, currency, total, items_json,
               checkout_created_at, checkout_updated_at, detected_at, status)
             VALUES (?1, ?2, 'Ana', '+5491155550000', 'ARS', '100', '[]', ?3, ?3, ?3, ?4)",
            params![store, external, ts(detected), status],
        )
        .unwrap();
    }

    fn ids(conn: &Connection, filter: &CartFilter) -> Vec<String> {
        list(conn, filter).unwrap().into_iter().map(|c| c.external_id).collect()
    }

    fn day(text: &str) -> Option<NaiveDate> {
        Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn every_cart_past_500_is_reachable_page_by_page_and_the_total_is_counted() {
        let conn = db();
        let base = local(BA, "2026-11-20 10:00:00");
        // 501 carts, pairs sharing a detection instant so the order's id tie-break is exercised.
        for i in 0..501 {
            let store = 1 + i % 2;
            cart(&conn, store, &format!("c{i}"), base + Duration::seconds(i / 2), "sent");
        }
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let filter = CartFilter { limit: Some(200), offset: Some(offset), ..Default::default() };
            let page = ids(&conn, &filter);
            offset += 200;
            let last = page.len() < 200;
            seen.extend(page);
            if last {
                break;
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (501, 501), "each cart once, none past 500 hidden");
        assert_eq!(count_matching(&conn, &CartFilter::default()).unwrap(), 501);
        let one_store = CartFilter { store_id: Some(2), ..Default::default() };
        assert_eq!(count_matching(&conn, &one_store).unwrap(), 250, "the total follows the filters");
    }

    #[test]
    fn a_date_range_is_read_in_the_shop_zone_and_includes_the_whole_to_day() {
        let conn = db();
        // Buenos Aires is UTC-3: 21:30 local on the 20th is already the 21st in UTC.
        cart(&conn, 1, "before", local(BA, "2026-11-18 23:59:59"), "sent");
        cart(&conn, 1, "first-minute", local(BA, "2026-11-19 00:00:00"), "sent");
        cart(&conn, 1, "late-evening", local(BA, "2026-11-20 21:30:00"), "sent");
        cart(&conn, 1, "last-second", local(BA, "2026-11-20 23:59:59"), "sent");
        cart(&conn, 1, "after", local(BA, "2026-11-21 00:00:00"), "sent");
        let filter = CartFilter {
            from: day("2026-11-19"),
            to: day("2026-11-20"),
            timezone: Some(BA),
            ..Default::default()
        };
        assert_eq!(
            ids(&conn, &filter),
            ["last-second", "late-evening", "first-minute"],
            "both shop days, the `to` day up to its last second, newest first"
        );
        // The same days read in UTC would drop the evening carts and take the early ones.
        let utc = CartFilter { timezone: None, ..filter.clone() };
        assert_eq!(ids(&conn, &utc), ["first-minute", "before"]);
        // One day: from = to.
        let one = CartFilter { from: day("2026-11-20"), to: day("2026-11-20"), ..filter.clone() };
        assert_eq!(ids(&conn, &one), ["last-second", "late-evening"]);
        // Open-ended on either side.
        let since = CartFilter { to: None, ..filter.clone() };
        assert_eq!(ids(&conn, &since), ["after", "last-second", "late-evening", "first-minute"]);
        let until = CartFilter { from: None, ..filter };
        assert_eq!(ids(&conn, &until), ["last-second", "late-evening", "first-minute", "before"]);
    }

    #[test]
    fn a_day_that_starts_after_a_daylight_saving_gap_keeps_its_carts() {
        // São Paulo had DST until 2019; on 2018-11-04 the clocks jumped from 00:00 to 01:00.
        let sp: Tz = chrono_tz::America::Sao_Paulo;
        let conn = db();
        cart(&conn, 1, "day-before", local(sp, "2018-11-03 23:30:00"), "sent");
        cart(&conn, 1, "first-hour", local(sp, "2018-11-04 01:00:00"), "sent");
        let filter = CartFilter {
            from: day("2018-11-04"),
            to: day("2018-11-04"),
            timezone: Some(sp),
            ..Default::default()
        };
        assert_eq!(ids(&conn, &filter), ["first-hour"]);
    }

    #[test]
    fn store_status_and_search_combine_with_the_dates() {
        let conn = db();
        let at = local(BA, "2026-11-20 10:00:00");
        cart(&conn, 1, "sol-sent", at, "sent");
        cart(&conn, 1, "sol-planned", at + Duration::minutes(1), "planned");
        cart(&conn, 2, "luna-sent", at + Duration::minutes(2), "sent");
        cart(&conn, 2, "luna-old", at - Duration::days(3), "sent");
        let base = CartFilter {
            from: day("2026-11-20"),
            to: day("2026-11-20"),
            timezone: Some(BA),
            ..Default::default()
        };
        assert_eq!(ids(&conn, &CartFilter { store_id: Some(2), ..base.clone() }), ["luna-sent"]);
        assert_eq!(
            ids(&conn, &CartFilter { store_id: Some(2), ..Default::default() }),
            ["luna-sent", "luna-old"]
        );
        assert_eq!(
            ids(&conn, &CartFilter { status: Some("sent".into()), ..base.clone() }),
            ["luna-sent", "sol-sent"]
        );
        assert_eq!(
            ids(&conn, &CartFilter { store_id: Some(1), search: Some("PLAN".into()), ..base.clone() }),
            ["sol-planned"],
            "search is case-insensitive on the checkout id"
        );
        assert!(ids(&conn, &CartFilter { store_id: Some(3), ..base.clone() }).is_empty(), "an unknown store");
        // A blank status or search is no filter; every row names its store.
        let all = list(
            &conn,
            &CartFilter { status: Some(" ".into()), search: Some("".into()), ..Default::default() },
        )
        .unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all.iter().find(|c| c.external_id == "luna-old").unwrap().store, "Tienda Luna");
        // A range that ends before it starts matches nothing.
        let backwards = CartFilter { from: day("2026-11-21"), to: day("2026-11-19"), ..base };
        assert!(ids(&conn, &backwards).is_empty());
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        let conn = db();
        cart(&conn, 1, "A_1", local(BA, "2026-11-20 10:00:00"), "sent");
        cart(&conn, 1, "AB1", local(BA, "2026-11-20 10:01:00"), "sent");
        let filter = |q: &str| CartFilter { search: Some(q.into()), ..Default::default() };
        assert_eq!(ids(&conn, &filter("A_1")), ["A_1"]);
        assert!(ids(&conn, &filter("%")).is_empty());
    }

    /// The plan SQLite picks for the list's own query: every filter on a column the screen
    /// offers searches an index instead of reading the whole table.
    fn plan(conn: &Connection, filter: &CartFilter) -> String {
        let (sql, args) = query(filter);
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
    }

    #[test]
    fn each_filter_uses_an_index() {
        let conn = db();
        for i in 0..200 {
            cart(
                &conn,
                1 + i % 2,
                &format!("c{i}"),
                local(BA, "2026-11-01 10:00:00") + Duration::hours(i),
                "sent",
            );
        }
        conn.execute_batch("ANALYZE").unwrap();
        let days = CartFilter {
            from: day("2026-11-02"),
            to: day("2026-11-03"),
            timezone: Some(BA),
            ..Default::default()
        };
        for (what, filter, index) in [
            ("days", days.clone(), "carts_detected"),
            ("store and days", CartFilter { store_id: Some(2), ..days.clone() }, "carts_store_detected"),
            ("status and days", CartFilter { status: Some("sent".into()), ..days.clone() }, "carts_"),
        ] {
            let plan = plan(&conn, &filter);
            assert!(plan.contains("SEARCH c USING") && plan.contains(index), "{what}: {plan}");
        }
    }
}
