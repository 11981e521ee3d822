//! Receipts (回执) as Xiaomi sends them: for a push whose `extra.callback` names a URL, the events
//! its `extra.callback.type` asks for (default: delivered) are queued and POSTed to that URL as a
//! form whose field `data` is a JSON object keyed by message id. One POST carries at most one
//! event per message id; whatever the receiver did not answer 200 to stays queued and is sent again
//! (docs/mipush-server-api.md §6). The queue and the phones' notification switches live in the
//! process's memory, like faults and limits.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value, json};

/// The events the sandbox reports.
pub const DELIVERED: u32 = 1;
pub const CLICKED: u32 = 2;
pub const INVALID_TARGET: u32 = 16;
pub const NOTIFICATIONS_OFF: u32 = 32;

/// What Xiaomi reports when a push names no `extra.callback.type`.
const DEFAULT_EVENTS: u32 = DELIVERED;

/// Where and what a message asked to be told.
#[derive(Debug, Clone)]
struct Subscription {
    url: String,
    events: u32,
    param: String,
}

impl Subscription {
    /// What a message's `extra.callback*` asked for; `None` without a callback URL.
    fn of(extras: &[(String, String)]) -> Option<Self> {
        let extra = |k: &str| {
            extras
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let url = extra("callback").filter(|u| !u.trim().is_empty())?;
        Some(Self {
            url: url.to_owned(),
            events: extra("callback.type")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(DEFAULT_EVENTS),
            param: extra("callback.param").unwrap_or_default().to_owned(),
        })
    }
}

/// One event waiting to be posted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    url: String,
    message_id: String,
    kind: u32,
    targets: Vec<String>,
    param: String,
    bar_status: &'static str,
    at_ms: i64,
}

/// What one flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Flushed {
    /// Events the receivers took (HTTP 200).
    pub sent: usize,
    /// Events still queued: their receiver failed or did not answer.
    pub pending: usize,
}

pub struct Receipts {
    queue: Mutex<Vec<Pending>>,
    /// Phones whose notifications are switched off for the app.
    muted: Mutex<HashSet<String>>,
    /// Held for a whole flush: a flush asked for while the timer's is posting waits for it, so
    /// that when it answers, everything queued before it was posted.
    flushing: tokio::sync::Mutex<()>,
    http: reqwest::Client,
}

impl Default for Receipts {
    fn default() -> Self {
        crate::install_tls_provider();
        Self {
            queue: Mutex::default(),
            muted: Mutex::default(),
            flushing: tokio::sync::Mutex::default(),
            http: reqwest::Client::new(),
        }
    }
}

impl Receipts {
    /// The phone's notification switch (`PUT /devices/{reg_id}` `notifications_enabled`).
    pub fn set_notifications(&self, reg_id: &str, enabled: bool) {
        let mut muted = self.muted.lock().unwrap_or_else(|e| e.into_inner());
        if enabled {
            muted.remove(reg_id);
        } else {
            muted.insert(reg_id.to_owned());
        }
    }

    /// Of these phones, those whose notifications are off.
    pub fn muted_among(&self, reg_ids: &[String]) -> HashSet<String> {
        let muted = self.muted.lock().unwrap_or_else(|e| e.into_inner());
        reg_ids
            .iter()
            .filter(|r| muted.contains(*r))
            .cloned()
            .collect()
    }

    /// After a send was accepted as `message_id`: the events its `extra.callback*` (in
    /// `extras`) asked for, for the phones that showed it, those with notifications off, and the
    /// invalid targets.
    pub fn after_send(
        &self,
        message_id: &str,
        extras: &[(String, String)],
        shown: &[String],
        muted: &[String],
        invalid: &[String],
        at_ms: i64,
    ) {
        let Some(s) = Subscription::of(extras) else {
            return;
        };
        for (kind, targets, bar) in [
            (DELIVERED, shown, "Enable"),
            (NOTIFICATIONS_OFF, muted, "Disable"),
            (INVALID_TARGET, invalid, "Unknown"),
        ] {
            self.enqueue(&s, message_id, kind, targets, bar, at_ms);
        }
    }

    /// The phone's notification for `message_id`, sent with `extras`, was tapped.
    pub fn clicked(&self, message_id: &str, extras: &[(String, String)], reg_id: &str, at_ms: i64) {
        if let Some(s) = Subscription::of(extras) {
            let target = [reg_id.to_owned()];
            self.enqueue(&s, message_id, CLICKED, &target, "Enable", at_ms);
        }
    }

    fn enqueue(
        &self,
        s: &Subscription,
        message_id: &str,
        kind: u32,
        targets: &[String],
        bar_status: &'static str,
        at_ms: i64,
    ) {
        if targets.is_empty() || s.events & kind == 0 {
            return;
        }
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Pending {
                url: s.url.clone(),
                message_id: message_id.to_owned(),
                kind,
                targets: targets.to_vec(),
                param: s.param.clone(),
                bar_status,
                at_ms,
            });
    }

    /// Posts everything queued, in batches per receiver; what a receiver did not take stays
    /// queued for the next flush.
    pub async fn flush(&self) -> Flushed {
        let _one_at_a_time = self.flushing.lock().await;
        let pending = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()));
        let mut failed = Vec::new();
        let mut sent = 0;
        for batch in batches(pending) {
            let ok = self.post(&batch).await;
            if ok {
                sent += batch.len();
            } else {
                failed.extend(batch);
            }
        }
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        // Failed ones first: they are older than what arrived during the flush.
        failed.append(&mut queue);
        *queue = failed;
        Flushed {
            sent,
            pending: queue.len(),
        }
    }

    async fn post(&self, batch: &[Pending]) -> bool {
        let mut data = Map::new();
        for p in batch {
            data.insert(
                p.message_id.clone(),
                json!({
                    "param": p.param,
                    "type": p.kind,
                    "targets": p.targets.join(","),
                    "jobkey": "",
                    "barStatus": p.bar_status,
                    "timestamp": p.at_ms,
                }),
            );
        }
        let url = &batch[0].url;
        let answer = self
            .http
            .post(url)
            .timeout(Duration::from_secs(5))
            .form(&[("data", Value::Object(data).to_string())])
            .send()
            .await;
        matches!(answer, Ok(res) if res.status() == reqwest::StatusCode::OK)
    }
}

/// Groups events by receiver, at most one per message id in a POST (the body is keyed by it)
/// and at most 100 per POST.
fn batches(pending: Vec<Pending>) -> Vec<Vec<Pending>> {
    const PER_POST: usize = 100;
    let mut out: Vec<Vec<Pending>> = Vec::new();
    for p in pending {
        let fits = out.iter_mut().find(|b| {
            b[0].url == p.url
                && b.len() < PER_POST
                && b.iter().all(|q| q.message_id != p.message_id)
        });
        match fits {
            Some(batch) => batch.push(p),
            None => out.push(vec![p]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extras(events: Option<&str>) -> Vec<(String, String)> {
        let mut e = vec![("callback".to_owned(), "http://127.0.0.1:9/r".to_owned())];
        if let Some(t) = events {
            e.push(("callback.type".to_owned(), t.to_owned()));
        }
        e
    }

    fn queued(r: &Receipts) -> Vec<(String, u32, Vec<String>)> {
        r.queue
            .lock()
            .unwrap()
            .iter()
            .map(|p| (p.message_id.clone(), p.kind, p.targets.clone()))
            .collect()
    }

    #[test]
    fn only_the_events_asked_for_are_queued() {
        let r = Receipts::default();
        let shown = vec!["a".to_owned()];
        let muted = vec!["m".to_owned()];
        let gone = vec!["g".to_owned()];
        r.after_send("m1", &extras(None), &shown, &muted, &gone, 1);
        assert_eq!(
            queued(&r),
            [("m1".to_owned(), DELIVERED, shown.clone())],
            "default: delivered"
        );
        r.after_send("m2", &extras(Some("1267")), &shown, &muted, &gone, 1);
        let kinds: Vec<u32> = queued(&r).iter().skip(1).map(|q| q.1).collect();
        assert_eq!(kinds, [DELIVERED, NOTIFICATIONS_OFF, INVALID_TARGET]);
        r.clicked("m2", &extras(Some("1267")), "a", 2);
        r.clicked("m1", &extras(None), "a", 2);
        r.clicked("m3", &[], "a", 2);
        let clicks: Vec<String> = queued(&r)
            .into_iter()
            .filter(|q| q.1 == CLICKED)
            .map(|q| q.0)
            .collect();
        assert_eq!(clicks, ["m2"], "m1 asked for deliveries only");
        let none = Receipts::default();
        none.after_send("m3", &[], &shown, &muted, &gone, 1);
        assert!(queued(&none).is_empty(), "no callback, no receipts");
    }

    #[test]
    fn a_post_holds_one_event_per_message() {
        let p = |url: &str, id: &str, kind| Pending {
            url: url.into(),
            message_id: id.into(),
            kind,
            targets: vec!["r".into()],
            param: String::new(),
            bar_status: "Enable",
            at_ms: 0,
        };
        let b = batches(vec![
            p("u", "m1", 1),
            p("u", "m2", 1),
            p("u", "m1", 2),
            p("v", "m1", 1),
        ]);
        let shape: Vec<Vec<(&str, u32)>> = b
            .iter()
            .map(|b| b.iter().map(|p| (p.message_id.as_str(), p.kind)).collect())
            .collect();
        assert_eq!(
            shape,
            [vec![("m1", 1), ("m2", 1)], vec![("m1", 2)], vec![("m1", 1)]]
        );
    }
}
