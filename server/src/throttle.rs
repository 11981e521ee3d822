//! Sign-in throttling per username and per client address.
//!
//! Each key may fail a few times freely; after that every further failure locks it for twice as
//! long as the one before (30 s, 60 s, … up to 15 min). A quiet quarter of an hour forgets it.
//! State is per process: with several instances each one throttles on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    User(String),
    Client(IpAddr),
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub free_failures: u32,
    pub first_lock_secs: i64,
    pub max_lock_secs: i64,
    pub forget_after_secs: i64,
}

impl Policy {
    pub const USER: Policy = Policy {
        free_failures: 5,
        first_lock_secs: 30,
        max_lock_secs: 15 * 60,
        forget_after_secs: 15 * 60,
    };
    /// An address may hold many users (an office behind NAT): it gets more room.
    pub const CLIENT: Policy = Policy {
        free_failures: 20,
        ..Self::USER
    };
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<Key, Entry>>,
}

const MAX_ENTRIES: usize = 100_000;

impl Throttle {
    fn policy(key: &Key) -> Policy {
        match key {
            Key::User(_) => Policy::USER,
            Key::Client(_) => Policy::CLIENT,
        }
    }

    /// `Err(seconds)` while any of the keys is locked.
    pub fn check(&self, keys: &[Key], now: i64) -> Result<(), u64> {
        let entries = self.entries.lock().expect("throttle lock");
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|e| e.locked_until - now)
            .max()
            .unwrap_or(0);
        if wait > 0 { Err(wait as u64) } else { Ok(()) }
    }

    pub fn record_failure(&self, keys: &[Key], now: i64) {
        let mut entries = self.entries.lock().expect("throttle lock");
        if entries.len() > MAX_ENTRIES {
            entries.retain(|k, e| now - e.last_failure < Self::policy(k).forget_after_secs);
        }
        for key in keys {
            let policy = Self::policy(key);
            let e = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last_failure: now,
                locked_until: 0,
            });
            if now - e.last_failure >= policy.forget_after_secs {
                e.failures = 0;
            }
            e.failures += 1;
            e.last_failure = now;
            if e.failures > policy.free_failures {
                let doublings = (e.failures - policy.free_failures - 1).min(20);
                let lock = (policy.first_lock_secs << doublings).min(policy.max_lock_secs);
                e.locked_until = now + lock;
            }
        }
    }

    /// A correct password clears the username's record (not the address's).
    pub fn record_success(&self, user: &Key) {
        self.entries.lock().expect("throttle lock").remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Key {
        Key::User("alice".into())
    }

    #[test]
    fn five_failures_are_free_then_locks_double() {
        let t = Throttle::default();
        for _ in 0..5 {
            assert_eq!(t.check(&[user()], 100), Ok(()));
            t.record_failure(&[user()], 100);
        }
        assert_eq!(t.check(&[user()], 100), Ok(()));
        t.record_failure(&[user()], 100);
        assert_eq!(t.check(&[user()], 100), Err(30));
        assert_eq!(t.check(&[user()], 120), Err(10));
        assert_eq!(t.check(&[user()], 130), Ok(()));
        t.record_failure(&[user()], 130);
        assert_eq!(t.check(&[user()], 130), Err(60));
    }

    #[test]
    fn locks_are_capped_and_forgotten() {
        let t = Throttle::default();
        for i in 0..40 {
            t.record_failure(&[user()], i);
        }
        assert_eq!(t.check(&[user()], 39), Err(15 * 60));
        let later = 39 + 15 * 60;
        t.record_failure(&[user()], later + 1);
        assert_eq!(t.check(&[user()], later + 1), Ok(()));
    }

    #[test]
    fn success_clears_the_user_but_not_the_address() {
        let t = Throttle::default();
        let ip = Key::Client("10.0.0.1".parse().unwrap());
        for _ in 0..25 {
            t.record_failure(&[user(), ip.clone()], 0);
        }
        t.record_success(&user());
        assert_eq!(t.check(&[user()], 0), Ok(()));
        assert!(t.check(&[ip], 0).is_err());
    }
}
