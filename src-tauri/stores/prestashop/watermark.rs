//! Where the next carts request starts. The webservice filters `date_upd` as the shop's local
//! time without an offset, so the watermark is kept that way: the latest sane `date_upd` read.
//!
//! Each pass (the pages of one poll) starts [`OVERLAP`] before the watermark, as the other
//! connectors do: PHP stamps `date_upd` before its `UPDATE` commits, so a cart can appear after
//! a poll with a time below the watermark; carts read twice are one row (the store-page upsert).
//! When the shop's clock falls back (DST), its new carts are dated below the watermark for an
//! hour: the pass then starts [`OVERLAP`] before the shop's present local time instead. Within a
//! pass the start moves to each full page's latest `date_upd`; a page that all shares one
//! second goes on by offset. The first sync reads [`FIRST_SYNC`] back, not every cart the shop
//! ever kept, and no pass starts further back than that (older carts are never messaged:
//! `max_cart_age_hours` is at most a week).

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How far back the first sync looks for carts.
pub const FIRST_SYNC: chrono::Duration = chrono::Duration::days(30);
/// How far before the watermark each pass reads again.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(10);

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The watermark: the latest sane `date_upd` read, shop-local (`YYYY-MM-DD HH:MM:SS`).
    from: Option<String>,
    /// Where this pass's requests start, shop-local; None between passes.
    #[serde(default)]
    pass_from: Option<String>,
    /// Carts to skip at `pass_from` (a page that all shared one second).
    offset: u32,
}

impl State {
    /// The request's interval start and offset, starting a pass when none runs.
    pub(crate) fn request(&mut self, now: DateTime<Utc>, tz: Tz) -> (String, u32) {
        if self.pass_from.is_none() {
            self.pass_from = Some(pass_start(self.from.as_deref(), now, tz));
            self.offset = 0;
        }
        (self.pass_from.clone().unwrap_or_default(), self.offset)
    }

    /// After a page: `latest` is its latest sane `date_upd`, `full` whether it held `limit`
    /// carts (then more follow in this pass).
    pub(crate) fn advance(
        &mut self,
        latest: Option<String>,
        full: bool,
        limit: u32,
        now: DateTime<Utc>,
        tz: Tz,
    ) {
        if let Some(t) = &latest {
            if self.from.as_ref().is_none_or(|w| t > w) {
                self.from = Some(t.clone());
            }
        }
        if full {
            match latest {
                Some(t) if self.pass_from.as_ref().is_none_or(|p| t > *p) => {
                    self.pass_from = Some(t);
                    self.offset = 0;
                }
                _ => self.offset = self.offset.saturating_add(limit),
            }
        } else {
            self.pass_from = None;
            self.offset = 0;
            if self.from.is_none() {
                self.from = Some(local(now, tz).format(FORMAT).to_string());
            }
        }
    }
}

fn local(at: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

/// A pass's start: [`OVERLAP`] before the watermark, or before the shop's present local time
/// when that is earlier (its clock fell back), never before [`FIRST_SYNC`] ago.
fn pass_start(watermark: Option<&str>, now: DateTime<Utc>, tz: Tz) -> String {
    let window = local(now - FIRST_SYNC, tz);
    let watermark = watermark.and_then(|w| NaiveDateTime::parse_from_str(w.trim(), FORMAT).ok());
    let start = match watermark {
        Some(w) => (w - OVERLAP).min(local(now - OVERLAP, tz)).max(window),
        None => window,
    };
    start.format(FORMAT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Madrid;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn passes_start_ten_minutes_before_the_watermark_and_the_first_thirty_days_back() {
        let now = utc("2026-11-20T13:00:00Z");
        let mut state = State::default();
        assert_eq!(state.request(now, Madrid), ("2026-10-21 15:00:00".to_string(), 0));
        // A full page, then a short one: the watermark is the latest read.
        state.advance(Some("2026-11-20 13:40:00".into()), true, 5, now, Madrid);
        assert_eq!(state.request(now, Madrid), ("2026-11-20 13:40:00".to_string(), 0));
        state.advance(Some("2026-11-20 13:55:12".into()), false, 5, now, Madrid);
        assert_eq!(state.request(now, Madrid), ("2026-11-20 13:45:12".to_string(), 0));
        // A page that all shares one second goes on by offset; a page without a sane time too.
        state.advance(Some("2026-11-20 13:45:12".into()), true, 5, now, Madrid);
        assert_eq!(state.request(now, Madrid), ("2026-11-20 13:45:12".to_string(), 5));
        state.advance(None, true, 5, now, Madrid);
        assert_eq!(state.request(now, Madrid).1, 10);
        state.advance(None, false, 5, now, Madrid);
        assert_eq!(state.from.as_deref(), Some("2026-11-20 13:55:12"), "the watermark never goes back");
        // A watermark older than the window starts at the window.
        let mut idle = State { from: Some("2019-01-01 00:00:00".into()), ..State::default() };
        assert_eq!(idle.request(now, Madrid).0, "2026-10-21 15:00:00");
        // Nothing at all: the next pass starts from now (less the overlap).
        let mut empty = State::default();
        empty.request(now, Madrid);
        empty.advance(None, false, 5, now, Madrid);
        assert_eq!(empty.request(now, Madrid).0, "2026-11-20 13:50:00");
    }

    #[test]
    fn when_the_shops_clock_falls_back_the_repeated_hour_is_read() {
        // Madrid, 2026-10-25: 03:00 CEST becomes 02:00 CET. The watermark is 02:59:30 (CEST);
        // at 02:20 CET the shop writes `02:20:00`, below it.
        let now = Madrid.with_ymd_and_hms(2026, 10, 25, 2, 30, 0).latest().unwrap().with_timezone(&Utc);
        let mut state = State { from: Some("2026-10-25 02:59:30".into()), ..State::default() };
        let (from, _) = state.request(now, Madrid);
        assert_eq!(from, "2026-10-25 02:20:00");
    }

    #[test]
    fn an_older_cursor_starts_a_pass_and_an_unreadable_watermark_the_window() {
        let now = utc("2026-11-20T13:00:00Z");
        // A cursor saved before passes existed: the watermark with an offset into it.
        let mut old: State = serde_json::from_str(r#"{"from":"2026-11-20 13:40:00","offset":15}"#).unwrap();
        assert_eq!(old.request(now, Madrid), ("2026-11-20 13:30:00".to_string(), 0));
        let mut bad = State { from: Some("ayer".into()), ..State::default() };
        assert_eq!(bad.request(now, Madrid).0, "2026-10-21 15:00:00");
    }
}
