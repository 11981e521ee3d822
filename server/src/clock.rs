//! The one clock of the services, the store and the dispatcher: Unix seconds.
//!
//! Production reads the system clock. Tests move it forward instead of sleeping — past an
//! activation delay, a UserSig's expiry or a retry's backoff — while it keeps running on its
//! own, so whatever does not care about the jump behaves as under the real clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system clock; only tests change it.
    skew: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> i64 {
        crate::unix_now() + self.skew.load(Ordering::Relaxed)
    }

    /// Milliseconds since the epoch on the same clock.
    pub fn now_ms(&self) -> i64 {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        ms + self.skew.load(Ordering::Relaxed) * 1000
    }

    /// Moves this clock (and every clone of it) `secs` seconds forward.
    pub fn advance(&self, secs: i64) {
        self.skew.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_one_clone_moves_every_clone() {
        let clock = Clock::system();
        let other = clock.clone();
        let before = other.now();
        clock.advance(3600);
        assert!(other.now() >= before + 3600);
        assert!(other.now() < before + 3600 + 60);
    }
}
