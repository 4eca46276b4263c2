//! The planner: gives a cart its send plan in the same transaction that records the cart, so a
//! cart is never stored without its plan (nor planned twice: one row per cart and step).
//!
//! - Holdout: a fixed share of carts, chosen by a hash of the store and the checkout id, so a
//!   restart (or a re-read of the same checkout) never reshuffles it. Holdout carts are planned
//!   like the others and skipped at their send instant, so they are tracked the same way.
//! - Timing from [`crate::domain::send_plan`]: now (inside hours, by the 90-minute deadline), at
//!   the next opening (spread with the rest of that opening's backlog, in detection order), or
//!   skipped with the reason (too old, no opening hours).
//! - Follow-ups, when enabled, are planned once the previous message has left.
//! - A/B experiment (setting `experiment`): a cart outside the holdout gets its arm, recorded
//!   (`storage::experiments`); in a `delay:A,B` experiment the arm's minutes are added to the
//!   instant the timing starts from — hours, the backlog at an opening or a catch-up backlog,
//!   the maximum age and the deadline then apply as to any cart, counted from that instant.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::config::Settings;
use crate::domain::experiment::ExperimentSpec;
use crate::domain::send_plan::{backlog_slot, first_send, Timing, TimingRules};
use crate::domain::BusinessHours;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{carts, experiments, sends, ts};

/// The planning knobs, from the settings.
#[derive(Debug, Clone)]
pub struct PlanRules {
    pub hours: BusinessHours,
    pub timing: TimingRules,
    pub holdout_percent: u32,
    pub followups: u32,
    pub followup_delay: Duration,
    /// A cart first seen this long after its checkout's last update was abandoned while the app
    /// was not watching (computer off, store just connected): it joins the catch-up backlog.
    pub caught_late_after: Duration,
    /// The running A/B experiment, if any.
    pub experiment: Option<ExperimentSpec>,
}

impl PlanRules {
    pub fn from_settings(s: &Settings) -> PlanRules {
        PlanRules {
            hours: s.business_hours.clone(),
            timing: TimingRules {
                max_delay: Duration::minutes(i64::from(s.max_delay_minutes)),
                backlog_spread: Duration::minutes(i64::from(s.backlog_spread_minutes)),
                max_age: Duration::hours(i64::from(s.max_cart_age_hours)),
            },
            holdout_percent: s.holdout_percent,
            followups: s.followups,
            followup_delay: Duration::hours(i64::from(s.followup_delay_hours)),
            // Abandoned, plus two polls' worth of slack (never less than ten minutes).
            caught_late_after: Duration::minutes(i64::from(s.abandonment_delay_minutes))
                + Duration::seconds(i64::from(s.poll_interval_seconds) * 2).max(Duration::minutes(10)),
            experiment: s.experiment.clone(),
        }
    }
}

/// FNV-1a, 64 bits: tiny, and fixed forever (std's hasher may change between Rust versions,
/// which would reshuffle the holdout).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Whether a checkout belongs to the holdout group: the same answer for the same store and
/// checkout id on every run.
pub fn is_holdout(store_id: i64, external_id: &str, percent: u32) -> bool {
    if percent == 0 {
        return false;
    }
    let h = fnv1a(format!("holdout:{store_id}:{external_id}").as_bytes());
    // Fold the high bits in: FNV's low bits alone are weak.
    (((h >> 32) ^ h) % 100) < u64::from(percent.min(100))
}

/// What planning did to one cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    Planned {
        send_id: i64,
        holdout: bool,
    },
    Skipped {
        reason: &'static str,
    },
    /// The cart already had its plan, or was bought.
    Nothing,
}

/// Spreads the planned sends of the backlog `window` (an opening, or a catch-up backlog's
/// start) over the backlog spread, in detection order, from the window or from `now` if the
/// window has begun: those still waiting are spread over the time ahead, never bunched into
/// the past. Called whenever one joins.
pub fn reslot(
    conn: &Connection,
    window: DateTime<Utc>,
    spread: Duration,
    now: &str,
) -> rusqlite::Result<usize> {
    let key = ts(window);
    let start = crate::domain::time::parse_time(now).map_or(window, |now| now.max(window));
    let members = sends::window_members(conn, &key)?;
    let count = u32::try_from(members.len()).unwrap_or(u32::MAX);
    for (i, member) in members.iter().enumerate() {
        let deadline = crate::domain::time::parse_time(&member.deadline_at).unwrap_or(start + spread);
        let mut slot = backlog_slot(start, u32::try_from(i).unwrap_or(u32::MAX), count, spread, deadline);
        // A send held back (WhatsApp's back-off, a store that did not answer…) keeps its hold.
        if let (true, Ok(held_until)) = (member.held, crate::domain::time::parse_time(&member.due_at)) {
            slot = slot.max(held_until);
        }
        sends::set_due(conn, member.id, &ts(slot), now)?;
    }
    Ok(members.len())
}

/// The catch-up backlog a cart found late joins at `now`: the newest backlog window that began
/// within the last spread and still has sends waiting, else a new one starting now.
fn catch_up_window(
    conn: &Connection,
    now: DateTime<Utc>,
    spread: Duration,
) -> rusqlite::Result<DateTime<Utc>> {
    let recent = sends::newest_window_between(conn, &ts(now - spread), &ts(now))?;
    Ok(recent.and_then(|w| crate::domain::time::parse_time(&w).ok()).unwrap_or(now))
}

/// The catch-up backlog of a cart found late that may go from `start`: when that is now (no
/// delay arm, or its delay already past), the recent catch-up backlog ([`catch_up_window`]);
/// when it is later (a delay arm's minutes), the backlog that begins exactly then — the arm's
/// carts found in the same poll share it and are spread from their arm's instant, none before
/// it (a backlog that began earlier would slot some of them before their instant).
fn catch_up_backlog(
    conn: &Connection,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    spread: Duration,
) -> rusqlite::Result<DateTime<Utc>> {
    if start > now {
        Ok(start)
    } else {
        catch_up_window(conn, now, spread)
    }
}

/// Plans a send at `start` per `timing`; returns the send id, or the skip reason. `backlog`:
/// the catch-up window a cart found late joins when it can go now.
#[allow(clippy::too_many_arguments)]
fn insert_timed(
    conn: &Connection,
    cart_id: i64,
    step: i64,
    start: DateTime<Utc>,
    timing: Timing,
    backlog: Option<DateTime<Utc>>,
    rules: &PlanRules,
    now: &str,
) -> rusqlite::Result<Result<Option<i64>, &'static str>> {
    let (due, deadline, window, skip) = match timing {
        Timing::Now { deadline } => (start, deadline, backlog, None),
        Timing::AtOpening { opens_at, deadline } => (opens_at, deadline, Some(opens_at), None),
        Timing::TooOld { next_possible, .. } => (next_possible, next_possible, None, Some("too_old")),
        Timing::NeverOpen => (start, start, None, Some("no_business_hours")),
    };
    let window_key = window.map(ts);
    let (due_s, deadline_s) = (ts(due), ts(deadline));
    let id = sends::insert(
        conn,
        &sends::NewSend {
            cart_id,
            step,
            due_at: &due_s,
            deadline_at: &deadline_s,
            window_opens_at: window_key.as_deref(),
            skip_reason: skip,
        },
        now,
    )?;
    if let (Some(_), Some(w)) = (id, window) {
        reslot(conn, w, rules.timing.backlog_spread, now)?;
    }
    Ok(match skip {
        Some(reason) => Err(reason),
        None => Ok(id),
    })
}

/// Gives a just-detected cart its first send (or records why it gets none). Idempotent.
pub fn plan_first(
    conn: &Connection,
    cart_id: i64,
    now: DateTime<Utc>,
    rules: &PlanRules,
) -> rusqlite::Result<Planned> {
    let Some(info) = carts::plan_info(conn, cart_id)? else {
        return Ok(Planned::Nothing);
    };
    if info.completed || info.status != "detected" {
        return Ok(Planned::Nothing);
    }
    let holdout = is_holdout(info.store_id, &info.external_id, rules.holdout_percent);
    carts::set_holdout(conn, cart_id, holdout)?;
    // The holdout stays outside every arm; the others get theirs (and a delay arm its minutes).
    let delay = if holdout {
        Duration::zero()
    } else {
        let arm = experiments::assign(
            conn,
            rules.experiment.as_ref(),
            cart_id,
            info.store_id,
            &info.external_id,
            &ts(now),
        )?;
        match arm {
            Some((arm, ExperimentSpec::Delay(a, b))) => Duration::minutes(i64::from([a, b][arm.index()])),
            _ => Duration::zero(),
        }
    };
    // The 90 minutes count from detection (plus an arm's delay); a cart promoted late is
    // planned from now.
    let detected = info.detected_at.min(now);
    let mut start = detected + delay;
    let mut timing = first_send(&rules.hours, start, info.checkout_updated_at, &rules.timing);
    if matches!(timing, Timing::Now { deadline } if deadline <= now)
        || start < now && !rules.hours.is_open(now)
    {
        start = now;
        timing = first_send(&rules.hours, now, info.checkout_updated_at, &rules.timing);
    }
    // Found late (abandoned while the app was off, or before the store was connected): with
    // others like it, it joins one catch-up backlog spread like a night's, never a burst — a
    // delay arm's too, from its arm's instant (see [`catch_up_backlog`]).
    let backlog = if matches!(timing, Timing::Now { .. })
        && detected - info.checkout_updated_at > rules.caught_late_after
    {
        Some(catch_up_backlog(conn, start, now, rules.timing.backlog_spread)?)
    } else {
        None
    };
    let at = ts(now);
    match insert_timed(conn, cart_id, 0, start, timing, backlog, rules, &at)? {
        Ok(Some(send_id)) => {
            carts::set_status(conn, cart_id, if holdout { "holdout" } else { "planned" })?;
            let (due, deadline) = sends::due_and_deadline(conn, send_id)?;
            event_log::append(
                conn,
                &at,
                Some(cart_id),
                None,
                &LogEvent::SendPlanned {
                    step: 0,
                    reason: None,
                    due: Some(&due),
                    deadline: Some(&deadline),
                    holdout: Some(holdout),
                    after: None,
                    by: None,
                },
            )?;
            Ok(Planned::Planned { send_id, holdout })
        }
        Ok(None) => Ok(Planned::Nothing),
        Err(reason) => {
            carts::set_status(conn, cart_id, "not_sent")?;
            event_log::append(
                conn,
                &at,
                Some(cart_id),
                None,
                &LogEvent::SendSkipped { step: Some(0), reason, detail: None, by: None },
            )?;
            Ok(Planned::Skipped { reason })
        }
    }
}

/// After step `step` left at `sent_at`, plans the next follow-up if the settings want one:
/// `followup_delay` later, moved into business hours.
pub fn plan_followup(
    conn: &Connection,
    cart_id: i64,
    step: i64,
    sent_at: DateTime<Utc>,
    rules: &PlanRules,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<i64>> {
    let next = step + 1;
    if next > i64::from(rules.followups.min(2)) {
        return Ok(None);
    }
    let at = sent_at + rules.followup_delay;
    // A follow-up is measured from its own time, not the checkout's age.
    let timing = first_send(&rules.hours, at, at, &rules.timing);
    let now_s = ts(now);
    match insert_timed(conn, cart_id, next, at, timing, None, rules, &now_s)? {
        Ok(Some(id)) => {
            event_log::append(
                conn,
                &now_s,
                Some(cart_id),
                None,
                &LogEvent::SendPlanned {
                    step: next,
                    reason: None,
                    due: None,
                    deadline: None,
                    holdout: None,
                    after: Some(&ts(at)),
                    by: None,
                },
            )?;
            Ok(Some(id))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests;
