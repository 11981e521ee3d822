//! Receipts (回执) as Xiaomi sends them: for a push whose `extra.callback` names a URL, the events
//! its `extra.callback.type` asks for (default: delivered) are queued and POSTed to that URL as a
//! form whose field `data` is a JSON object keyed by message id. One POST carries at most one
//! event per message id; whatever the receiver did not answer 200 to stays queued and is sent again
//! (docs/mipush-server-api.md §6). The queue, the phones' notification and network switches and
//! the messages held for offline phones live in the process's memory, like faults and limits.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::store::sandbox::NotificationRow;

/// The events the sandbox reports.
pub const DELIVERED: u32 = 1;
pub const CLICKED: u32 = 2;
pub const INVALID_TARGET: u32 = 16;
pub const NOTIFICATIONS_OFF: u32 = 32;
pub const FILTERED: u32 = 64;
pub const OVER_QUOTA: u32 = 128;
pub const EXPIRED: u32 = 1024;

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
    /// Not posted before this time (a fault's delay).
    due_ms: i64,
}

/// A message waiting for an offline phone until its time to live runs out.
#[derive(Debug, Clone)]
pub struct Held {
    pub app_id: String,
    pub reg_id: String,
    pub message_id: String,
    pub extras: Vec<(String, String)>,
    /// The shade entry it makes on arrival; a pass-through message makes none.
    pub notification: NotificationRow,
    pub pass_through: bool,
    pub expires_at_ms: i64,
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
    /// Phones out of reach (`online: false`), and what waits for them.
    offline: Mutex<HashSet<String>>,
    held: Mutex<Vec<Held>>,
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
            offline: Mutex::default(),
            held: Mutex::default(),
            flushing: tokio::sync::Mutex::default(),
            http: reqwest::Client::new(),
        }
    }
}

impl Receipts {
    /// The phone's notification switch (`PUT /devices/{reg_id}` `notifications_enabled`).
    pub fn set_notifications(&self, reg_id: &str, enabled: bool) {
        switch(&self.muted, reg_id, !enabled);
    }

    /// Of these phones, those whose notifications are off.
    pub fn muted_among(&self, reg_ids: &[String]) -> HashSet<String> {
        among(&self.muted, reg_ids)
    }

    /// The phone's network (`PUT /devices/{reg_id}` `online`).
    pub fn set_online(&self, reg_id: &str, online: bool) {
        switch(&self.offline, reg_id, !online);
    }

    /// Of these phones, those out of reach.
    pub fn offline_among(&self, reg_ids: &[String]) -> HashSet<String> {
        among(&self.offline, reg_ids)
    }

    /// Keeps a notification for an offline phone.
    pub fn hold(&self, held: Held) {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(held);
    }

    /// The notifications held for `reg_id`, or (`None`) those whose time to live ran out by
    /// `now_ms`: taken out of the store of held ones.
    pub fn take_held(&self, reg_id: Option<&str>, now_ms: i64) -> Vec<Held> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let (taken, kept) = std::mem::take(&mut *held)
            .into_iter()
            .partition(|h| match reg_id {
                Some(r) => h.reg_id == r,
                None => h.expires_at_ms < now_ms,
            });
        *held = kept;
        taken
    }

    /// Whether a message sent with `extras` asked for receipts of `kind`.
    pub fn wants(extras: &[(String, String)], kind: u32) -> bool {
        Subscription::of(extras).is_some_and(|s| s.events & kind != 0)
    }

    /// Queues a receipt of `kind` about `message_id` for `targets`, if the message's `extras`
    /// asked for it; posted from `due_ms` on.
    #[allow(clippy::too_many_arguments)]
    pub fn report(
        &self,
        message_id: &str,
        extras: &[(String, String)],
        kind: u32,
        targets: &[String],
        bar_status: &'static str,
        at_ms: i64,
        due_ms: i64,
    ) {
        if let Some(s) = Subscription::of(extras) {
            self.enqueue(&s, message_id, kind, targets, bar_status, at_ms, due_ms);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &self,
        s: &Subscription,
        message_id: &str,
        kind: u32,
        targets: &[String],
        bar_status: &'static str,
        at_ms: i64,
        due_ms: i64,
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
                due_ms,
            });
    }

    /// Posts everything queued and due by `now_ms`, in batches per receiver; what a receiver did
    /// not take stays queued for the next flush, and so does what is not due yet.
    pub async fn flush(&self, now_ms: i64) -> Flushed {
        let _one_at_a_time = self.flushing.lock().await;
        let (pending, later): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .partition(|p| p.due_ms <= now_ms);
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
        failed.extend(later);
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

/// Puts `reg_id` in `set` or takes it out.
fn switch(set: &Mutex<HashSet<String>>, reg_id: &str, member: bool) {
    let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
    if member {
        set.insert(reg_id.to_owned());
    } else {
        set.remove(reg_id);
    }
}

/// The phones of `reg_ids` in `set`.
fn among(set: &Mutex<HashSet<String>>, reg_ids: &[String]) -> HashSet<String> {
    let set = set.lock().unwrap_or_else(|e| e.into_inner());
    reg_ids
        .iter()
        .filter(|r| set.contains(*r))
        .cloned()
        .collect()
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
        r.report("m1", &extras(None), DELIVERED, &shown, "Enable", 1, 1);
        r.report("m1", &extras(None), CLICKED, &shown, "Enable", 1, 1);
        assert_eq!(
            queued(&r),
            [("m1".to_owned(), DELIVERED, shown.clone())],
            "default: delivered only"
        );
        for kind in [
            CLICKED,
            INVALID_TARGET,
            NOTIFICATIONS_OFF,
            FILTERED,
            OVER_QUOTA,
            EXPIRED,
        ] {
            r.report("m2", &extras(Some("1267")), kind, &shown, "Enable", 1, 1);
        }
        assert_eq!(queued(&r).len(), 7, "1267 asks for every event");
        assert!(Receipts::wants(&extras(Some("243")), OVER_QUOTA));
        assert!(!Receipts::wants(&extras(Some("243")), EXPIRED));
        assert!(!Receipts::wants(&[], DELIVERED), "no callback, no receipts");
        r.report("m3", &[], DELIVERED, &shown, "Enable", 1, 1);
        assert_eq!(queued(&r).len(), 7);
    }

    #[tokio::test]
    async fn a_receipt_waits_until_it_is_due() {
        let r = Receipts::default();
        let shown = vec!["a".to_owned()];
        r.report("m1", &extras(None), DELIVERED, &shown, "Enable", 1, 5_000);
        assert_eq!(
            r.flush(4_999).await,
            Flushed {
                sent: 0,
                pending: 1
            }
        );
    }

    #[test]
    fn held_notifications_leave_by_phone_or_by_expiry() {
        let r = Receipts::default();
        let held = |reg: &str, expires| Held {
            app_id: "a".into(),
            reg_id: reg.into(),
            message_id: "m".into(),
            extras: Vec::new(),
            notification: NotificationRow {
                message_id: "m".into(),
                title: "t".into(),
                description: "d".into(),
                payload: None,
                notify_id: None,
                channel_id: None,
                received_at: 0,
            },
            pass_through: false,
            expires_at_ms: expires,
        };
        r.hold(held("a", 10));
        r.hold(held("b", 20));
        assert!(r.take_held(None, 10).is_empty(), "not expired at 10");
        assert_eq!(r.take_held(None, 11)[0].reg_id, "a");
        assert_eq!(r.take_held(Some("b"), 0)[0].reg_id, "b");
        assert!(r.take_held(Some("b"), 0).is_empty());
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
            due_ms: 0,
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
