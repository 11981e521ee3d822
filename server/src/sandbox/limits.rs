//! Optional realism, off unless a sandbox app switches it on: the QPS limit (10027) and the daily
//! per-device quota by message class (200001, docs/mipush-server-api.md §5.3–§5.4). Kept in the
//! process's memory.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Send calls per second for this app; 0 means unlimited.
    pub qps: u32,
    /// Per device and day: 1 message without a channel (default class), 5 on a channel listed
    /// in `public_channels` (公信), any number on other channels (私信).
    pub quotas: bool,
    pub public_channels: Vec<String>,
}

pub const DEFAULT_CLASS_QUOTA: u32 = 1;
pub const PUBLIC_CLASS_QUOTA: u32 = 5;

#[derive(Debug, Default)]
struct AppState {
    limits: Limits,
    /// Token bucket for the QPS limit: tokens left and when it was last refilled (ms).
    tokens: f64,
    refilled_at_ms: i64,
    /// (regId, day, class) → delivered that day.
    delivered: HashMap<(String, i64, &'static str), u32>,
}

#[derive(Debug, Default)]
pub struct LimitBook {
    apps: Mutex<HashMap<String, AppState>>,
}

impl LimitBook {
    pub fn set(&self, app_id: &str, limits: Limits) {
        let mut apps = self.apps.lock().expect("limits lock");
        let state = apps.entry(app_id.to_owned()).or_default();
        state.tokens = f64::from(limits.qps);
        state.limits = limits;
    }

    /// Admits one call at `now_ms`, or says the app is calling too often.
    pub fn admit(&self, app_id: &str, now_ms: i64) -> bool {
        let mut apps = self.apps.lock().expect("limits lock");
        let Some(state) = apps.get_mut(app_id) else {
            return true;
        };
        let qps = f64::from(state.limits.qps);
        if qps == 0.0 {
            return true;
        }
        let elapsed = (now_ms - state.refilled_at_ms).max(0) as f64 / 1000.0;
        state.tokens = (state.tokens + elapsed * qps).min(qps);
        state.refilled_at_ms = now_ms;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn class(limits: &Limits, channel: Option<&str>) -> (&'static str, Option<u32>) {
        match channel {
            None => ("default", Some(DEFAULT_CLASS_QUOTA)),
            Some(c) if limits.public_channels.iter().any(|p| p == c) => {
                ("public", Some(PUBLIC_CLASS_QUOTA))
            }
            Some(_) => ("private", None),
        }
    }

    /// `Err((quota, acked))` when a target has used up its class's quota for the day.
    pub fn check_quota(
        &self,
        app_id: &str,
        reg_ids: &[String],
        channel: Option<&str>,
        day: i64,
    ) -> Result<(), (u32, u32)> {
        let apps = self.apps.lock().expect("limits lock");
        let Some(state) = apps.get(app_id).filter(|s| s.limits.quotas) else {
            return Ok(());
        };
        let (class, Some(quota)) = Self::class(&state.limits, channel) else {
            return Ok(());
        };
        for reg_id in reg_ids {
            let acked = state
                .delivered
                .get(&(reg_id.clone(), day, class))
                .copied()
                .unwrap_or(0);
            if acked >= quota {
                return Err((quota, acked));
            }
        }
        Ok(())
    }

    /// The targets that have used up their class's quota for the day (none when quotas are off).
    pub fn over_quota(
        &self,
        app_id: &str,
        reg_ids: &[String],
        channel: Option<&str>,
        day: i64,
    ) -> Vec<String> {
        let apps = self.apps.lock().expect("limits lock");
        let Some(state) = apps.get(app_id).filter(|s| s.limits.quotas) else {
            return Vec::new();
        };
        let (class, Some(quota)) = Self::class(&state.limits, channel) else {
            return Vec::new();
        };
        reg_ids
            .iter()
            .filter(|r| {
                let key = ((*r).clone(), day, class);
                state.delivered.get(&key).copied().unwrap_or(0) >= quota
            })
            .cloned()
            .collect()
    }

    pub fn record_delivery(
        &self,
        app_id: &str,
        reg_ids: &[String],
        channel: Option<&str>,
        day: i64,
    ) {
        let mut apps = self.apps.lock().expect("limits lock");
        let Some(state) = apps.get_mut(app_id).filter(|s| s.limits.quotas) else {
            return;
        };
        let (class, _) = Self::class(&state.limits, channel);
        for reg_id in reg_ids {
            *state
                .delivered
                .entry((reg_id.clone(), day, class))
                .or_default() += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_refills_at_the_qps() {
        let book = LimitBook::default();
        assert!(book.admit("a", 0), "no limits set: unlimited");
        book.set(
            "a",
            Limits {
                qps: 2,
                ..Limits::default()
            },
        );
        assert!(book.admit("a", 1000) && book.admit("a", 1000));
        assert!(!book.admit("a", 1000));
        assert!(book.admit("a", 1500));
        assert!(!book.admit("a", 1500));
    }

    #[test]
    fn quotas_follow_the_message_class() {
        let book = LimitBook::default();
        book.set(
            "a",
            Limits {
                quotas: true,
                public_channels: vec!["news".into()],
                ..Limits::default()
            },
        );
        let r = vec!["r1".to_owned()];
        assert_eq!(book.check_quota("a", &r, None, 7), Ok(()));
        book.record_delivery("a", &r, None, 7);
        assert_eq!(book.check_quota("a", &r, None, 7), Err((1, 1)));
        assert_eq!(book.check_quota("a", &r, None, 8), Ok(()), "a new day");
        for _ in 0..5 {
            assert_eq!(book.check_quota("a", &r, Some("news"), 7), Ok(()));
            book.record_delivery("a", &r, Some("news"), 7);
        }
        assert_eq!(book.check_quota("a", &r, Some("news"), 7), Err((5, 5)));
        book.record_delivery("a", &r, Some("im"), 7);
        assert_eq!(
            book.check_quota("a", &r, Some("im"), 7),
            Ok(()),
            "私信 is unlimited"
        );
    }
}
