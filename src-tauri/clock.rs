//! The one place that reads the wall clock. Everything else takes a `Clock`, so every schedule
//! can be driven by a `TestClock` that tests move by hand.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// A source of "now", in UTC. Shop-local time is derived from it with the shop's zone.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the single sanctioned clock read
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same instant.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl TestClock {
    pub fn at(start: DateTime<Utc>) -> Self {
        Self { now: Arc::new(Mutex::new(start)) }
    }

    /// Moves the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn test_clock_stands_still_until_advanced() {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 13, 0, 0).unwrap();
        let clock = TestClock::at(start);
        assert_eq!(clock.now(), start, "a test clock must not move by itself");
        let shared = clock.clone();
        shared.advance(Duration::minutes(90));
        assert_eq!(clock.now(), start + Duration::minutes(90), "clones share one instant");
        clock.set(start);
        assert_eq!(shared.now(), start);
    }

    #[test]
    fn system_clock_is_after_the_project_started() {
        let floor = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        assert!(SystemClock.now() > floor, "the system clock reads real time");
    }
}
