//! The written retry policy, the one of the whole pipeline: after each vendor attempt, whether
//! the answer stands, when to try again, or when to say it failed.
//!
//! Retried: timeouts, connection failures, HTTP 5xx and 429 and the vendor's "busy, try again"
//! codes. Never: authentication, package, parameter, quota or invalid-target refusals — another
//! attempt would fail the same way and count against the quota. A push is tried in series of
//! [`RetryPolicy::attempts_per_series`] attempts with exponential backoff; a spent series is
//! recorded as `failed` (the console sees the outage) and a new series starts after
//! [`RetryPolicy::series_gap`] while the message is younger than [`RetryPolicy::give_up_after`].
//! The dispatcher stores the attempt count and the time due on the outbox row, so a retry
//! survives a restart and never waits inside a request.

/// What the dispatcher does after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The vendor's answer (acceptance or final refusal) stands: record it; the push is done.
    Record,
    /// Try again in `after_secs`, with no record yet: one series of attempts is one record.
    Retry { after_secs: i64 },
    /// The series is spent: record the failure, then start a new series in `again_after_secs`,
    /// or (`None`) give up, the message being too old to be worth a notification.
    RecordFailure { again_after_secs: Option<i64> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in one series, the first included.
    pub attempts_per_series: u32,
    /// The wait after a series' first failed attempt, doubled after each further one.
    pub base_delay_secs: i64,
    pub max_delay_secs: i64,
    /// The wait between a recorded failure and the next series.
    pub series_gap_secs: i64,
    /// No new series once the message is this old.
    pub give_up_after_secs: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts_per_series: 5,
            base_delay_secs: 1,
            max_delay_secs: 30,
            series_gap_secs: 5,
            give_up_after_secs: 3600,
        }
    }
}

impl RetryPolicy {
    /// After attempt number `attempt` (1-based, within its series) of a push whose message is
    /// `age_secs` old. `jitter` in `[0, 1)` spreads a delay over its upper half, so that many
    /// senders do not retry in step.
    pub fn decide(&self, transient: bool, attempt: u32, age_secs: i64, jitter: f64) -> Next {
        if !transient {
            return Next::Record;
        }
        if attempt >= self.attempts_per_series {
            let fresh = age_secs + self.series_gap_secs < self.give_up_after_secs;
            return Next::RecordFailure {
                again_after_secs: fresh.then_some(self.series_gap_secs),
            };
        }
        let exp = self
            .base_delay_secs
            .saturating_mul(1 << attempt.saturating_sub(1).min(30))
            .min(self.max_delay_secs);
        let spread = (exp as f64 * 0.5 * jitter.clamp(0.0, 1.0)).round() as i64;
        Next::Retry {
            after_secs: (exp - exp / 2 + spread).clamp(1, self.max_delay_secs),
        }
    }
}

/// A number in `[0, 1)` that differs between calls; jitter needs spread, not secrecy.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_that_is_not_transient_stands() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(false, 1, 0, 0.3), Next::Record);
        assert_eq!(p.decide(false, 5, 7200, 0.3), Next::Record);
    }

    #[test]
    fn transient_failures_back_off_exponentially_with_jitter() {
        let p = RetryPolicy::default();
        let after = |attempt, jitter| match p.decide(true, attempt, 0, jitter) {
            Next::Retry { after_secs } => after_secs,
            other => panic!("{other:?}"),
        };
        assert_eq!((after(1, 0.0), after(1, 0.99)), (1, 1));
        assert_eq!((after(2, 0.0), after(2, 0.99)), (1, 2));
        assert_eq!((after(3, 0.0), after(3, 0.99)), (2, 4));
        assert_eq!((after(4, 0.0), after(4, 0.5)), (4, 6));
        let long = RetryPolicy {
            attempts_per_series: 100,
            ..p
        };
        assert_eq!(
            long.decide(true, 40, 0, 0.99),
            Next::Retry { after_secs: 30 },
            "capped"
        );
    }

    #[test]
    fn a_spent_series_is_recorded_and_retried_while_the_message_is_fresh() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(true, 5, 60, 0.5),
            Next::RecordFailure {
                again_after_secs: Some(5)
            }
        );
        assert_eq!(
            p.decide(true, 5, 3599, 0.5),
            Next::RecordFailure {
                again_after_secs: None
            }
        );
    }

    #[test]
    fn jitter_stays_in_its_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
