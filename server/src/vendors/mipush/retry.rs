//! The written retry policy: what failed, how many times, and whether to try again and when.
//!
//! Retried: HTTP 5xx, timeouts, connection failures and the service's transient codes (busy,
//! too frequent). Never: authentication, package, parameter, quota or invalid-target errors —
//! another attempt would fail the same way, and count against the quota or the QPS.

use std::time::Duration;

use super::ErrorCode;

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP answer; `code` when its body was a MiPush result.
    Answered {
        status: u16,
        code: Option<ErrorCode>,
    },
    Timeout,
    ConnectionFailed,
}

impl Attempt {
    /// What went wrong, as a metric label: `timeout`, `connection_failed`, `http_503`,
    /// `code_10001`, `unreadable` (an HTTP 200 whose body was no MiPush answer), or `ok`.
    pub fn label(self) -> String {
        match self {
            Self::Timeout => "timeout".to_owned(),
            Self::ConnectionFailed => "connection_failed".to_owned(),
            Self::Answered {
                status: 200,
                code: Some(ErrorCode::Success),
            } => "ok".to_owned(),
            Self::Answered {
                status: 200,
                code: Some(code),
            } => format!("code_{}", code.code()),
            Self::Answered {
                status: 200,
                code: None,
            } => "unreadable".to_owned(),
            Self::Answered { status, .. } => format!("http_{status}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Done,
    Retry { after: Duration },
    GiveUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// After attempt number `attempt` (1-based) ended as `outcome`: done, again after a delay,
    /// or give up. `jitter` in `[0, 1)` spreads the delay over its upper half so that many
    /// senders do not retry in step.
    pub fn decide(&self, outcome: Attempt, attempt: u32, jitter: f64) -> Decision {
        let transient = match outcome {
            Attempt::Answered {
                status: 200,
                code: Some(ErrorCode::Success),
            } => return Decision::Done,
            Attempt::Answered {
                status: 200,
                code: Some(code),
            } => code.is_transient(),
            Attempt::Answered { status, .. } => (500..600).contains(&status) || status == 429,
            Attempt::Timeout | Attempt::ConnectionFailed => true,
        };
        if !transient {
            // Refusals that are final: after the attempt, the answer stands.
            return match outcome {
                Attempt::Answered { status: 200, .. } => Decision::Done,
                _ => Decision::GiveUp,
            };
        }
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Decision::Retry {
            after: exp.mul_f64(0.5 + 0.5 * jitter),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_attempts_are_labelled_for_metrics() {
        let answered = |status, code| Attempt::Answered { status, code };
        assert_eq!(Attempt::Timeout.label(), "timeout");
        assert_eq!(Attempt::ConnectionFailed.label(), "connection_failed");
        assert_eq!(answered(503, None).label(), "http_503");
        assert_eq!(answered(200, None).label(), "unreadable");
        assert_eq!(
            answered(200, Some(ErrorCode::from_code(10001))).label(),
            "code_10001"
        );
        assert_eq!(answered(200, Some(ErrorCode::Success)).label(), "ok");
    }

    fn answered(status: u16, code: i64) -> Attempt {
        Attempt::Answered {
            status,
            code: Some(ErrorCode::from_code(code)),
        }
    }

    #[test]
    fn success_and_final_refusals_are_done() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(answered(200, 0), 1, 0.3), Decision::Done);
        for code in [
            21301, 22022, 20301, 200001, 200002, 65011, 65009, 10017, 10016, 27001,
        ] {
            assert_eq!(
                p.decide(answered(200, code), 1, 0.3),
                Decision::Done,
                "{code}"
            );
        }
    }

    #[test]
    fn transient_failures_back_off_exponentially_with_jitter() {
        let p = RetryPolicy::default();
        let after = |outcome, attempt, jitter| match p.decide(outcome, attempt, jitter) {
            Decision::Retry { after } => after,
            other => panic!("{other:?}"),
        };
        assert_eq!(after(answered(503, 0), 1, 0.0), Duration::from_millis(250));
        assert_eq!(after(answered(503, 0), 1, 1.0), Duration::from_millis(500));
        assert_eq!(after(Attempt::Timeout, 2, 1.0), Duration::from_millis(1000));
        assert_eq!(
            after(Attempt::ConnectionFailed, 3, 1.0),
            Duration::from_millis(2000)
        );
        assert_eq!(
            after(answered(200, 10002), 4, 1.0),
            Duration::from_millis(4000)
        );
        assert_eq!(
            after(answered(200, 10027), 1, 0.5),
            Duration::from_millis(375)
        );
        assert_eq!(after(answered(429, 0), 1, 1.0), Duration::from_millis(500));
        let capped = RetryPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(
            capped.decide(Attempt::Timeout, 40, 1.0),
            Decision::Retry {
                after: Duration::from_secs(30)
            }
        );
    }

    #[test]
    fn attempts_are_bounded_and_client_errors_are_never_retried() {
        let p = RetryPolicy::default();
        assert_eq!(p.decide(Attempt::Timeout, 5, 0.5), Decision::GiveUp);
        assert_eq!(p.decide(answered(503, 0), 5, 0.5), Decision::GiveUp);
        assert_eq!(
            p.decide(
                Attempt::Answered {
                    status: 400,
                    code: None
                },
                1,
                0.5
            ),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(
                Attempt::Answered {
                    status: 404,
                    code: None
                },
                1,
                0.5
            ),
            Decision::GiveUp
        );
    }
}
