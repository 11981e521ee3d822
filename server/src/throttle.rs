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

    /// Starts a sign-in attempt: `Err(seconds)` while any of the keys is locked, else the attempt
    /// is counted as a failure at once and stays one unless the password proves right. Counting
    /// before the (slow) password check means attempts sent all at once cannot outrun the lock.
    pub fn attempt(&self, keys: &[Key], now: i64) -> Result<(), u64> {
        let mut entries = self.entries.lock().expect("throttle lock");
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|e| e.locked_until - now)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(wait as u64);
        }
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
            e.locked_until = Self::lock_after(policy, e.failures, now);
        }
        Ok(())
    }

    /// Takes back an attempt that could not be judged (the database was unreachable).
    pub fn undo(&self, keys: &[Key], now: i64) {
        let mut entries = self.entries.lock().expect("throttle lock");
        for key in keys {
            if let Some(e) = entries.get_mut(key) {
                e.failures = e.failures.saturating_sub(1);
                e.locked_until = Self::lock_after(Self::policy(key), e.failures, now);
            }
        }
    }

    fn lock_after(policy: Policy, failures: u32, now: i64) -> i64 {
        if failures <= policy.free_failures {
            return 0;
        }
        let doublings = (failures - policy.free_failures - 1).min(20);
        now + (policy.first_lock_secs << doublings).min(policy.max_lock_secs)
    }

    /// A correct password clears the username's record and takes back the attempt from the
    /// address's (whose earlier failures stay).
    pub fn record_success(&self, keys: &[Key], now: i64) {
        let (users, others): (Vec<_>, Vec<_>) = keys
            .iter()
            .cloned()
            .partition(|k| matches!(k, Key::User(_)));
        {
            let mut entries = self.entries.lock().expect("throttle lock");
            for user in &users {
                entries.remove(user);
            }
        }
        self.undo(&others, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Key {
        Key::User("alice".into())
    }

    #[test]
    fn six_attempts_pass_then_locks_double() {
        let t = Throttle::default();
        for _ in 0..6 {
            assert_eq!(t.attempt(&[user()], 100), Ok(()));
        }
        assert_eq!(t.attempt(&[user()], 100), Err(30));
        assert_eq!(t.attempt(&[user()], 120), Err(10));
        assert_eq!(t.attempt(&[user()], 130), Ok(()));
        assert_eq!(t.attempt(&[user()], 130), Err(60));
    }

    #[test]
    fn locks_are_capped_and_forgotten() {
        let t = Throttle::default();
        for i in 0..40 {
            let _ = t.attempt(&[user()], i * 15 * 60 / 40);
        }
        let now = 39 * 15 * 60 / 40;
        assert!(t.attempt(&[user()], now).is_err());
        let later = now + 15 * 60 + 1;
        assert_eq!(t.attempt(&[user()], later), Ok(()));
        assert_eq!(t.attempt(&[user()], later), Ok(()));
    }

    #[test]
    fn successful_sign_ins_never_lock_an_address() {
        let t = Throttle::default();
        let ip = Key::Client("10.0.0.2".parse().unwrap());
        for i in 0..100 {
            let keys = [Key::User(format!("user{i}")), ip.clone()];
            assert_eq!(t.attempt(&keys, 0), Ok(()));
            t.record_success(&keys, 0);
        }
    }

    #[test]
    fn an_attempt_that_could_not_be_judged_is_taken_back() {
        let t = Throttle::default();
        for _ in 0..6 {
            assert_eq!(t.attempt(&[user()], 0), Ok(()));
        }
        t.undo(&[user()], 0);
        assert_eq!(t.attempt(&[user()], 0), Ok(()));
        assert_eq!(t.attempt(&[user()], 0), Err(30));
    }

    #[test]
    fn success_clears_the_user_but_not_the_address() {
        let t = Throttle::default();
        let ip = Key::Client("10.0.0.1".parse().unwrap());
        for _ in 0..6 {
            assert_eq!(t.attempt(&[user(), ip.clone()], 0), Ok(()));
        }
        for i in 0..15 {
            let other = Key::User(format!("user{i}"));
            assert_eq!(t.attempt(&[other, ip.clone()], 0), Ok(()));
        }
        t.record_success(&[user(), ip.clone()], 0);
        assert_eq!(t.attempt(&[user()], 0), Ok(()));
        // The address keeps its 20 failures: the next one locks it.
        assert_eq!(t.attempt(std::slice::from_ref(&ip), 0), Ok(()));
        assert_eq!(t.attempt(&[ip], 0), Err(30));
    }
}
