//! Prometheus metrics, kept in memory and rendered in the text exposition format at `/metrics`:
//! pushes by vendor, outcome and vendor code, and the vendor's latency as a histogram.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use app::domain::PushOutcome;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    /// Counts per bucket (not cumulative), then the +Inf bucket.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    /// (vendor, outcome, vendor code or "none") → pushes.
    pushes: Mutex<BTreeMap<(String, &'static str, String), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// (vendor, what went wrong) → vendor attempts that failed and were tried again.
    retried: Mutex<BTreeMap<(String, String), u64>>,
    /// (vendor, receipt event) → receipts applied; event `forged` for those refused.
    receipts: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl Metrics {
    pub fn count_push(&self, vendor: &str, outcome: PushOutcome, code: Option<i64>) {
        let code = code.map_or_else(|| "none".to_owned(), |c| c.to_string());
        let mut pushes = self.pushes.lock().unwrap_or_else(|e| e.into_inner());
        *pushes
            .entry((vendor.to_owned(), outcome.as_str(), code))
            .or_default() += 1;
    }

    pub fn count_retried(&self, vendor: &str, reasons: impl IntoIterator<Item = String>) {
        let mut retried = self.retried.lock().unwrap_or_else(|e| e.into_inner());
        for reason in reasons {
            *retried.entry((vendor.to_owned(), reason)).or_default() += 1;
        }
    }

    /// A receipt applied (`event` as `app::domain::receipt_event` names it), or `forged`.
    pub fn count_receipt(&self, vendor: &str, event: &'static str) {
        let mut receipts = self.receipts.lock().unwrap_or_else(|e| e.into_inner());
        *receipts.entry((vendor.to_owned(), event)).or_default() += 1;
    }

    pub fn observe_vendor_latency(&self, vendor: &str, latency: Duration) {
        let secs = latency.as_secs_f64();
        let mut all = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = all.entry(vendor.to_owned()).or_default();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(LATENCY_BUCKETS.len());
        h.buckets[i] += 1;
        h.sum += secs;
        h.count += 1;
    }

    /// The text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP pushdesk_pushes_total Pushes to one device, by vendor, outcome and vendor result code.\n");
        out.push_str("# TYPE pushdesk_pushes_total counter\n");
        for ((vendor, outcome, code), n) in
            self.pushes.lock().unwrap_or_else(|e| e.into_inner()).iter()
        {
            let _ = writeln!(
                out,
                "pushdesk_pushes_total{{vendor=\"{vendor}\",outcome=\"{outcome}\",code=\"{code}\"}} {n}"
            );
        }
        out.push_str("# HELP pushdesk_vendor_attempts_retried_total Vendor attempts that failed and were tried again, by what went wrong.\n");
        out.push_str("# TYPE pushdesk_vendor_attempts_retried_total counter\n");
        for ((vendor, reason), n) in self
            .retried
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "pushdesk_vendor_attempts_retried_total{{vendor=\"{vendor}\",reason=\"{reason}\"}} {n}"
            );
        }
        out.push_str("# HELP pushdesk_receipts_total Vendor receipts by event (delivered, clicked, invalid_target, …; forged: refused).\n");
        out.push_str("# TYPE pushdesk_receipts_total counter\n");
        for ((vendor, event), n) in self
            .receipts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "pushdesk_receipts_total{{vendor=\"{vendor}\",type=\"{event}\"}} {n}"
            );
        }
        out.push_str("# HELP pushdesk_vendor_request_seconds Time for one vendor attempt.\n");
        out.push_str("# TYPE pushdesk_vendor_request_seconds histogram\n");
        for (vendor, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let mut cumulative = 0;
            for (le, n) in LATENCY_BUCKETS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "pushdesk_vendor_request_seconds_bucket{{vendor=\"{vendor}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "pushdesk_vendor_request_seconds_bucket{{vendor=\"{vendor}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "pushdesk_vendor_request_seconds_sum{{vendor=\"{vendor}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "pushdesk_vendor_request_seconds_count{{vendor=\"{vendor}\"}} {}",
                h.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_the_histogram_render_as_prometheus_text() {
        let m = Metrics::default();
        m.count_push("xiaomi", PushOutcome::Accepted, Some(0));
        m.count_push("xiaomi", PushOutcome::Accepted, Some(0));
        m.count_push("xiaomi", PushOutcome::Failed, None);
        m.observe_vendor_latency("xiaomi", Duration::from_millis(30));
        m.observe_vendor_latency("xiaomi", Duration::from_secs(60));
        m.count_receipt("xiaomi", "delivered");
        let text = m.render();
        assert!(text.contains("pushdesk_receipts_total{vendor=\"xiaomi\",type=\"delivered\"} 1"));
        assert!(text.contains(
            "pushdesk_pushes_total{vendor=\"xiaomi\",outcome=\"accepted\",code=\"0\"} 2"
        ));
        assert!(text.contains(
            "pushdesk_pushes_total{vendor=\"xiaomi\",outcome=\"failed\",code=\"none\"} 1"
        ));
        assert!(
            text.contains(
                "pushdesk_vendor_request_seconds_bucket{vendor=\"xiaomi\",le=\"0.025\"} 0"
            )
        );
        assert!(
            text.contains(
                "pushdesk_vendor_request_seconds_bucket{vendor=\"xiaomi\",le=\"0.05\"} 1"
            )
        );
        assert!(
            text.contains(
                "pushdesk_vendor_request_seconds_bucket{vendor=\"xiaomi\",le=\"+Inf\"} 2"
            )
        );
        assert!(text.contains("pushdesk_vendor_request_seconds_count{vendor=\"xiaomi\"} 2"));
    }
}
