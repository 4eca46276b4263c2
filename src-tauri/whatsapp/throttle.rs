//! Throughput limits (reference §6.1–6.2), with the `governor` crate: at most N messages per
//! second for the number (a Coexistence number is fixed at 20/s) and one message per recipient
//! every 6 seconds (Meta's pair rate limit, error 131056).
//!
//! The number's rate is real throughput, so it waits on the monotonic clock. The pair limit is a
//! schedule, so it is read on the engine's [`Clock`] (tests and the demo move it) and never
//! waits: a recipient who is not ready yet gets a "retry after" the outbox schedules.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as GovClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::clock::Clock;

/// Meta's pair rate: one message to the same customer every 6 seconds.
pub const PAIR_INTERVAL: Duration = Duration::from_secs(6);

/// The engine's clock as governor's: nanoseconds since the Unix epoch.
#[derive(Clone)]
pub struct EngineClock(pub Arc<dyn Clock>);

/// An instant on the engine's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct At(Nanos);

impl std::ops::Add<Nanos> for At {
    type Output = At;
    fn add(self, rhs: Nanos) -> At {
        At(self.0 + rhs)
    }
}

impl Reference for At {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_sub(earlier.0)
    }
    fn saturating_sub(&self, duration: Nanos) -> Self {
        At(self.0.saturating_sub(duration))
    }
}

impl GovClock for EngineClock {
    type Instant = At;
    fn now(&self) -> At {
        let t = self.0.now();
        let nanos = u64::try_from(t.timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0);
        At(Nanos::from(nanos))
    }
}

type PairLimiter = RateLimiter<String, HashMapStateStore<String>, EngineClock, NoOpMiddleware<At>>;

pub struct Throttle {
    number: DefaultDirectRateLimiter,
    pair: PairLimiter,
    per_second: u32,
}

impl Throttle {
    pub fn new(per_second: u32, clock: Arc<dyn Clock>) -> Throttle {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let pair_quota =
            Quota::with_period(PAIR_INTERVAL).unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN));
        Throttle {
            number: RateLimiter::direct(Quota::per_second(rate)),
            pair: RateLimiter::hashmap_with_clock(pair_quota, EngineClock(clock)),
            per_second,
        }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// May a message go to `recipient` now? `Err(wait)`: not before `wait` on the engine clock.
    pub fn check_recipient(&self, recipient: &str) -> Result<(), Duration> {
        let key: String = recipient.chars().filter(char::is_ascii_digit).collect();
        self.pair.check_key(&key).map_err(|not_until| {
            let now = self.pair_clock_now();
            not_until.wait_time_from(now)
        })
    }

    fn pair_clock_now(&self) -> At {
        // The keyed limiter's clock; read through governor's trait.
        self.pair.clock().now()
    }

    /// Waits (real time) until the number may send one more message.
    pub async fn until_number_ready(&self) {
        self.number.until_ready().await;
    }

    /// Forgets recipients whose limit has long passed (housekeeping).
    pub fn shrink(&self) {
        self.pair.retain_recent();
        self.pair.shrink_to_fit();
    }
}

/// A sender that obeys a [`Throttle`]: a recipient messaged less than 6 s ago gets a retryable
/// error with the wait (nothing leaves), and every message waits its turn in the number's rate.
pub struct ThrottledSender {
    pub inner: Arc<dyn super::MessageSender>,
    pub throttle: Arc<Throttle>,
}

impl ThrottledSender {
    async fn pace(&self, to: &str) -> Result<(), super::SendError> {
        if let Err(wait) = self.throttle.check_recipient(to) {
            return Err(super::SendError::Retryable {
                code: "pair_rate_limit".into(),
                detail: "one message per customer every 6 seconds".into(),
                retry_after: Some(wait),
            });
        }
        self.throttle.until_number_ready().await;
        Ok(())
    }
}

impl super::MessageSender for ThrottledSender {
    fn send_template<'a>(
        &'a self,
        message: &'a super::OutgoingTemplate,
    ) -> super::BoxFuture<'a, Result<super::Accepted, super::SendError>> {
        Box::pin(async move {
            self.pace(&message.to).await?;
            self.inner.send_template(message).await
        })
    }

    fn send_text<'a>(
        &'a self,
        message: &'a super::OutgoingText,
    ) -> super::BoxFuture<'a, Result<super::Accepted, super::SendError>> {
        Box::pin(async move {
            self.pace(&message.to).await?;
            self.inner.send_text(message).await
        })
    }

    fn templates<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> super::BoxFuture<'a, Result<Vec<crate::domain::TemplateState>, super::SendError>> {
        self.inner.templates(name)
    }

    fn create_template<'a>(
        &'a self,
        template: &'a super::NewTemplate,
    ) -> super::BoxFuture<'a, Result<super::CreatedTemplate, super::SendError>> {
        self.inner.create_template(template)
    }

    /// Not a message: not paced.
    fn upload_media<'a>(
        &'a self,
        file: &'a super::media::MediaFile,
    ) -> super::BoxFuture<'a, Result<String, super::SendError>> {
        self.inner.upload_media(file)
    }

    fn upload_template_example<'a>(
        &'a self,
        app_id: &'a str,
        file: &'a super::media::MediaFile,
    ) -> super::BoxFuture<'a, Result<String, super::SendError>> {
        self.inner.upload_template_example(app_id, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;

    #[test]
    fn one_message_per_recipient_every_six_seconds_on_the_engine_clock() {
        let clock = TestClock::at("2026-11-20T12:00:00Z".parse().unwrap());
        let t = Throttle::new(20, Arc::new(clock.clone()));
        assert!(t.check_recipient("+5491122334455").is_ok());
        let wait = t.check_recipient("5491122334455").unwrap_err();
        assert!(wait > Duration::from_secs(5) && wait <= PAIR_INTERVAL, "{wait:?}");
        assert!(t.check_recipient("+5511988887777").is_ok(), "other customers are not held back");
        clock.advance(chrono::Duration::seconds(6));
        assert!(t.check_recipient("+5491122334455").is_ok());
    }

    #[tokio::test]
    async fn the_numbers_rate_lets_a_burst_of_its_size_through_at_once() {
        let clock = TestClock::at("2026-11-20T12:00:00Z".parse().unwrap());
        let t = Throttle::new(20, Arc::new(clock));
        // 20 permits are available at once; waiting for them must not block.
        for _ in 0..20 {
            assert!(t.number.check().is_ok());
        }
        assert!(t.number.check().is_err(), "the 21st in the same second waits");
    }
}
