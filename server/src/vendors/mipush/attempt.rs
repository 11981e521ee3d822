//! How one MiPush attempt ended, and whether another attempt could end differently. The
//! pipeline's retry policy (`crate::dispatch::policy`) decides when that attempt happens.
//!
//! Transient: HTTP 5xx and 429, timeouts, connection failures and the service's "busy, try
//! again" codes. Never: authentication, package, parameter, quota or invalid-target errors —
//! another attempt would fail the same way, and count against the quota or the QPS.

use super::{ErrorCode, MiResponse, TransportError};

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
    /// How the attempt that gave `outcome` ended.
    pub fn of(outcome: &Result<MiResponse, TransportError>) -> Self {
        match outcome {
            Ok(r) => Self::Answered {
                status: 200,
                code: Some(r.code),
            },
            Err(TransportError::Timeout) => Self::Timeout,
            Err(TransportError::Connect(_)) => Self::ConnectionFailed,
            Err(TransportError::Http { status, .. }) => Self::Answered {
                status: *status,
                code: None,
            },
            Err(TransportError::Unreadable(_)) => Self::Answered {
                status: 200,
                code: None,
            },
        }
    }

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

    /// Whether another attempt could end differently.
    pub fn is_transient(self) -> bool {
        match self {
            Self::Answered {
                status: 200,
                code: Some(code),
            } => code != ErrorCode::Success && code.is_transient(),
            // An HTTP 200 whose body was no MiPush answer: a proxy or a broken reply.
            Self::Answered {
                status: 200,
                code: None,
            } => true,
            Self::Answered { status, .. } => (500..600).contains(&status) || status == 429,
            Self::Timeout | Self::ConnectionFailed => true,
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

    #[test]
    fn only_what_another_attempt_could_fix_is_transient() {
        let answered = |status, code: Option<i64>| Attempt::Answered {
            status,
            code: code.map(ErrorCode::from_code),
        };
        for code in [
            21301, 22022, 20301, 200001, 200002, 65011, 65009, 10017, 10016, 27001,
        ] {
            assert!(!answered(200, Some(code)).is_transient(), "{code}");
        }
        assert!(!answered(200, Some(0)).is_transient());
        for code in [10002, 10027] {
            assert!(answered(200, Some(code)).is_transient(), "{code}");
        }
        assert!(answered(503, None).is_transient() && answered(429, None).is_transient());
        assert!(!answered(400, None).is_transient() && !answered(404, None).is_transient());
        assert!(Attempt::Timeout.is_transient() && Attempt::ConnectionFailed.is_transient());
    }
}
