//! Injected trouble, for reliability tests: latency, failed answers, hangs. Per sandbox app, in
//! the process's memory (a test drives one instance).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// The next this many send calls answer HTTP `fail_status` and deliver nothing.
    pub fail_next: u32,
    /// 503 unless set.
    pub fail_status: u16,
    /// The next this many send calls hang for `hang_ms` (default 30 s) and deliver nothing.
    pub hang_next: u32,
    pub hang_ms: u64,
    /// Added to every call.
    pub latency_ms: u64,
    /// The next this many notifications are filtered (Xiaomi's content or frequency rules):
    /// not shown, reported with receipt 64.
    pub filter_next: u32,
    /// Receipts wait this long (on the sandbox's clock) before they are posted.
    pub receipts_delay_ms: u64,
    /// The next this many receipts are never posted.
    pub drop_receipts_next: u32,
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Fail(u16),
    Hang(Duration),
}

#[derive(Debug, Default)]
pub struct Faults {
    plans: Mutex<HashMap<String, FaultPlan>>,
}

impl Faults {
    pub fn set(&self, app_id: &str, plan: FaultPlan) {
        self.plans
            .lock()
            .expect("faults lock")
            .insert(app_id.to_owned(), plan);
    }

    /// Of `n` notifications about to be shown, how many the plan filters (used up).
    pub fn take_filtered(&self, app_id: &str, n: usize) -> usize {
        let mut plans = self.plans.lock().expect("faults lock");
        let Some(plan) = plans.get_mut(app_id) else {
            return 0;
        };
        let filtered = n.min(plan.filter_next as usize);
        plan.filter_next -= filtered as u32;
        filtered
    }

    /// What happens to one receipt of this app: `None` if it is dropped, else how long it waits.
    pub fn take_receipt(&self, app_id: &str) -> Option<u64> {
        let mut plans = self.plans.lock().expect("faults lock");
        let Some(plan) = plans.get_mut(app_id) else {
            return Some(0);
        };
        if plan.drop_receipts_next > 0 {
            plan.drop_receipts_next -= 1;
            return None;
        }
        Some(plan.receipts_delay_ms)
    }

    /// Takes the next fault for this app's call, and the latency to add.
    pub fn take(&self, app_id: &str) -> (Fault, Duration) {
        let mut plans = self.plans.lock().expect("faults lock");
        let Some(plan) = plans.get_mut(app_id) else {
            return (Fault::None, Duration::ZERO);
        };
        let latency = Duration::from_millis(plan.latency_ms);
        let fault = if plan.fail_next > 0 {
            plan.fail_next -= 1;
            Fault::Fail(if plan.fail_status == 0 {
                503
            } else {
                plan.fail_status
            })
        } else if plan.hang_next > 0 {
            plan.hang_next -= 1;
            Fault::Hang(Duration::from_millis(if plan.hang_ms == 0 {
                30_000
            } else {
                plan.hang_ms
            }))
        } else {
            Fault::None
        };
        (fault, latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order() {
        let f = Faults::default();
        assert_eq!(f.take("a").0, Fault::None);
        f.set(
            "a",
            FaultPlan {
                fail_next: 1,
                hang_next: 1,
                hang_ms: 5,
                latency_ms: 7,
                ..Default::default()
            },
        );
        assert_eq!(f.take("a"), (Fault::Fail(503), Duration::from_millis(7)));
        assert_eq!(f.take("a").0, Fault::Hang(Duration::from_millis(5)));
        assert_eq!(f.take("a").0, Fault::None);
        assert_eq!(f.take("b").0, Fault::None);
    }

    #[test]
    fn filters_and_receipt_faults_are_used_up() {
        let f = Faults::default();
        assert_eq!((f.take_filtered("a", 3), f.take_receipt("a")), (0, Some(0)));
        f.set(
            "a",
            FaultPlan {
                filter_next: 2,
                drop_receipts_next: 1,
                receipts_delay_ms: 500,
                ..Default::default()
            },
        );
        assert_eq!(f.take_filtered("a", 3), 2);
        assert_eq!(f.take_filtered("a", 3), 0);
        assert_eq!(f.take_receipt("a"), None);
        assert_eq!(f.take_receipt("a"), Some(500));
    }
}
