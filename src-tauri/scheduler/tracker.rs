//! The recovery tracker: when a planned cart is bought, decide — once — what the purchase means.
//!
//! - `recovered`: bought within the attribution window (7 days) after the first message left.
//! - `bought_before_message`: bought before any message left (or with none ever sent).
//! - `bought_after_optout`: the customer had opted out before buying; not credited to us.
//! - `holdout_converted`: a holdout cart bought within the window after the instant its message
//!   would have gone: the baseline the lift is measured against.
//! - `bought_late`: bought after the window.
//!
//! Pending sends of the cart are skipped with reason `purchased` at once, so "why not sent"
//! shows it before the dispatcher even looks.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::domain::time::parse_time;
use crate::storage::event_log::{self, LogEvent};
use crate::storage::{carts, sends, ts};

/// Classifies a purchase; pure.
pub fn classify(
    holdout: bool,
    first_sent: Option<DateTime<Utc>>,
    would_have_sent: Option<DateTime<Utc>>,
    opted_out: Option<DateTime<Utc>>,
    completed: DateTime<Utc>,
    attribution: Duration,
) -> &'static str {
    let reference = if holdout { would_have_sent } else { first_sent };
    let Some(start) = reference else {
        return "bought_before_message";
    };
    if completed < start {
        return "bought_before_message";
    }
    if !holdout && opted_out.is_some_and(|o| o <= completed) {
        return "bought_after_optout";
    }
    if completed > start + attribution {
        return "bought_late";
    }
    if holdout {
        "holdout_converted"
    } else {
        "recovered"
    }
}

/// A known cart was bought (`how`: what showed it): the event, then its outcome.
pub fn record_purchase(
    conn: &Connection,
    cart_id: i64,
    how: &str,
    completed: DateTime<Utc>,
    attribution: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<&'static str>> {
    event_log::append(conn, &ts(now), Some(cart_id), None, &LogEvent::CartCompleted { how })?;
    record_completion(conn, cart_id, completed, attribution, now)
}

/// Records what a purchase of cart `cart_id` at `completed` means. Carts that never got a plan
/// (bought while still inside the abandonment delay) are not abandoned carts and get nothing.
/// Returns the outcome when one was recorded now.
pub fn record_completion(
    conn: &Connection,
    cart_id: i64,
    completed: DateTime<Utc>,
    attribution: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<&'static str>> {
    let Some(sends::PurchaseBasis { holdout, outcome, opted_out_at: opted_out, would_have_at: would_have }) =
        sends::purchase_basis(conn, cart_id)?
    else {
        return Ok(None);
    };
    if outcome.is_some() || would_have.is_none() {
        return Ok(None);
    }
    let first_sent = sends::first_sent_at(conn, cart_id)?.and_then(|t| parse_time(&t).ok());
    let would_have = would_have.and_then(|t| parse_time(&t).ok());
    let opted_out = opted_out.and_then(|t| parse_time(&t).ok());
    let verdict = classify(holdout, first_sent, would_have, opted_out, completed, attribution);
    let at = ts(now);
    let status = if verdict == "recovered" { "recovered" } else { "completed" };
    if !carts::set_outcome(conn, cart_id, verdict, &ts(completed), Some(status))? {
        return Ok(None);
    }
    let skipped = sends::skip_pending_for_cart(conn, cart_id, "purchased", &at)?;
    for _ in &skipped {
        event_log::append(
            conn,
            &at,
            Some(cart_id),
            None,
            &LogEvent::SendSkipped { step: None, reason: "purchased", detail: None, by: None },
        )?;
    }
    event_log::append(
        conn,
        &at,
        Some(cart_id),
        None,
        &LogEvent::CartOutcome { outcome: verdict, completed_at: &ts(completed) },
    )?;
    Ok(Some(verdict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn purchases_are_credited_only_inside_the_window_after_the_message() {
        let week = Duration::days(7);
        assert_eq!(classify(false, Some(t(10)), None, None, t(12), week), "recovered");
        assert_eq!(classify(false, Some(t(10)), None, None, t(9), week), "bought_before_message");
        assert_eq!(classify(false, None, None, None, t(9), week), "bought_before_message");
        assert_eq!(classify(false, Some(t(10)), None, Some(t(11)), t(12), week), "bought_after_optout");
        assert_eq!(classify(false, Some(t(10)), None, None, t(10 + 24 * 8), week), "bought_late");
        assert_eq!(classify(true, None, Some(t(10)), None, t(12), week), "holdout_converted");
        assert_eq!(classify(true, None, Some(t(10)), None, t(8), week), "bought_before_message");
    }
}
