//! The customer-service window: free text (the owner's, the assistant's, confirmations) may go
//! to a customer only within 24 hours of their last message; outside it, only templates.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::storage::conversations;

/// How long a customer's message keeps the window open.
pub const LENGTH: Duration = Duration::hours(24);

/// When the window opened by the customer's last message (`last_inbound`, as stored) closes;
/// `None` when it is closed at `now` (or was never opened).
pub fn closes_at(last_inbound: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    last_inbound
        .and_then(|t| crate::domain::time::parse_time(t).ok())
        .map(|t| t + LENGTH)
        .filter(|c| *c > now)
}

/// Is the window of `conversation_id` open at `now`? When it closes.
pub fn of_conversation(
    conn: &Connection,
    conversation_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(closes_at(conversations::last_inbound_at(conn, conversation_id)?.as_deref(), now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn open_for_24_hours_after_the_customers_last_message() {
        let wrote = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let at = crate::storage::ts(wrote);
        assert_eq!(closes_at(Some(&at), wrote + Duration::hours(23)), Some(wrote + LENGTH));
        assert_eq!(closes_at(Some(&at), wrote + LENGTH), None);
        assert_eq!(closes_at(None, wrote), None);
    }
}
