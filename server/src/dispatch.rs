//! The push pipeline. Every push goes through here: an IM message's offline push from the
//! outbox, and a console test push. For the outbox, one round is
//! claim → group → deliver → record → mark:
//!
//! - **claim**: lease what is due to this worker (several instances share a backlog);
//! - **group**: pushes of identical content through one certificate share vendor calls;
//! - **deliver**: one attempt per vendor call (every call of the round overlapping);
//! - **record**: a push record per device with the vendor call behind it, the accepted ones
//!   counted in the quota ledger, and the regIds the vendor no longer knows retired, for the
//!   whole round in one transaction and in multi-row statements, with …
//! - **mark**: … the outbox rows whose push ended taken out of the outbox, the others due
//!   again as the retry policy ([`policy`]) says, with the attempt count stored on the row.
//!
//! Nothing waits inside a round: a retry is a row due later. A test push makes exactly one
//! attempt in its request and says whether another could succeed.

mod policy;
mod vendor;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::Arc;

use app::domain::{
    CertificateSettings, PushKind, PushOutcome, SkipReason, Vendor, beijing_day, msg_key,
};
use futures_util::{StreamExt, future, stream};
use sqlx::AnyPool;
use tokio::sync::Notify;

pub use policy::{Next, RetryPolicy};
pub use vendor::{Answer, Call, Content, Credentials, RECEIPT_EVENTS, Vendors, Verdict};

use crate::clock::Clock;
use crate::crypto::SecretBox;
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::store::certificates::{self as certs, VersionRow, serving};
use crate::store::device_tokens;
use crate::store::outbox::{self, Claimed};
use crate::store::push::{self as records, NewRecord, NewRequest};
use crate::store::quota;

/// Outbox rows a worker holds at once, split between its lanes: two vendor calls' worth (MiPush
/// takes 1,000 regIds a call), so that several instances share a backlog and a round ends well
/// within its lease.
const HELD_ROWS: i64 = 2000;

/// How long a claimed row stays this worker's: a worker that dies gives its rows back when
/// the lease runs out.
const LEASE_SECS: i64 = 60;

/// Vendor calls one round keeps in flight at once.
const PARALLEL_CALLS: usize = 16;

/// Rounds a worker runs side by side, each lane claiming under its own name: on PostgreSQL two,
/// one recording while the other calls. On SQLite one: its single writer connection takes every
/// claim, record and sandbox write in turn, so a second lane only queued behind the first (at
/// 1,000 messages/s offered, p50 0.3 s became 1.9–5.0 s). A worker's lanes claim one at a time,
/// so each claim takes the next rows in order and a batch of identical content is not scattered
/// over more calls (two concurrent claims on PostgreSQL skip each other's locked rows).
fn lanes(postgres: bool) -> usize {
    if postgres { 2 } else { 1 }
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored certificate could not be read: {0}")]
    Certificate(String),
}

impl From<sqlx::Error> for DispatchError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::from_sqlx(e))
    }
}

pub type DispatchResult<T> = Result<T, DispatchError>;

/// A `notify_id` for a push that names none: the same for every attempt of one send, so a
/// retry replaces rather than adds a notification. Fits MiPush's 31-bit range.
pub fn notify_id() -> u32 {
    let b = crate::crypto::random_bytes(4);
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff
}

/// One device to reach, whose it is when known, and for which IM message.
#[derive(Debug, Clone)]
pub struct Target {
    pub reg_id: String,
    pub user_id: Option<String>,
    pub msg_key: Option<String>,
}

/// A push about to be sent: through which certificate, what, and why.
pub struct Push<'a> {
    pub sdkappid: i64,
    pub certificate_id: i64,
    pub kind: PushKind,
    pub content: Content,
    pub sent_by: Option<&'a str>,
}

/// One vendor call, its answer and the records it left.
#[derive(Debug)]
pub struct CallReport {
    pub call: Call,
    pub answer: Answer,
    pub request_id: i64,
    pub record_ids: Vec<i64>,
}

pub struct Dispatcher {
    db: AnyPool,
    /// Claims, records and marks (see [`crate::store::Database::writer`]).
    writer: AnyPool,
    clock: Clock,
    vendors: Vendors,
    secrets: Arc<SecretBox>,
    metrics: Arc<Metrics>,
    policy: RetryPolicy,
    /// Whether the database is PostgreSQL (claims lock rows differently there).
    postgres: bool,
    /// Wakes the outbox worker when a message queued pushes.
    wake: Arc<Notify>,
    /// Held while one lane claims (see [`lanes`]).
    claiming: tokio::sync::Mutex<()>,
    /// This deployment's public URL, when vendors can reach it with receipts.
    public_url: Option<String>,
}

impl Dispatcher {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: AnyPool,
        writer: AnyPool,
        clock: Clock,
        vendors: Vendors,
        secrets: Arc<SecretBox>,
        metrics: Arc<Metrics>,
        postgres: bool,
        public_url: Option<String>,
    ) -> Self {
        Self {
            db,
            writer,
            clock,
            vendors,
            secrets,
            metrics,
            policy: RetryPolicy::default(),
            postgres,
            wake: Arc::new(Notify::new()),
            claiming: tokio::sync::Mutex::new(()),
            public_url,
        }
    }

    /// Where the vendor posts receipts for pushes through `certificate_id`: a path only this
    /// deployment can make (its tag is a MAC of the certificate ID), so a forged receipt is
    /// refused. `None` when no public URL is configured.
    pub fn receipts_url(&self, certificate_id: i64) -> Option<String> {
        let base = self.public_url.as_ref()?;
        let tag = self.secrets.mac(&receipt_scope(certificate_id));
        Some(format!("{base}/receipts/mipush/{certificate_id}/{tag}"))
    }

    /// Whether pushes ask the vendor for receipts (a public URL is configured).
    pub fn receipts_enabled(&self) -> bool {
        self.public_url.is_some()
    }

    /// Whether `tag` is the one [`Self::receipts_url`] gives `certificate_id`.
    pub fn receipt_tag_is_valid(&self, certificate_id: i64, tag: &str) -> bool {
        self.secrets.verify_mac(&receipt_scope(certificate_id), tag)
    }

    /// What the worker waits on; [`Self::queued`] notifies it.
    pub fn wake_signal(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Pushes were queued: the worker starts a round now instead of at its next tick.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    pub fn vendors(&self) -> &Vendors {
        &self.vendors
    }

    /// A certificate version's settings and secret, opened for a vendor call.
    pub fn credentials(&self, version: &VersionRow) -> DispatchResult<Credentials> {
        let settings: CertificateSettings = serde_json::from_str(&version.settings)
            .map_err(|e| DispatchError::Certificate(format!("settings: {e}")))?;
        let secret = self
            .secrets
            .open(&version.secret)
            .map_err(|e| DispatchError::Certificate(format!("secret: {e:#}")))?;
        Ok(Credentials { settings, secret })
    }

    /// Sends `push` now, in the caller's request: one attempt per vendor call, each answer
    /// recorded as it stands (a transient failure is `failed`; whoever asked may try again).
    pub async fn send_once(
        &self,
        push: &Push<'_>,
        creds: &Credentials,
        targets: &[Target],
    ) -> DispatchResult<Vec<CallReport>> {
        let reg_ids = targets.iter().map(|t| t.reg_id.clone()).collect();
        let content = Content {
            receipts_url: self.receipts_url(push.certificate_id),
            ..push.content.clone()
        };
        let mut reports = Vec::new();
        let mut offset = 0;
        for call in self.vendors.calls(creds, &content, reg_ids) {
            let mine = &targets[offset..offset + call.targets()];
            offset += call.targets();
            let answer = self.vendors.attempt(&call).await;
            let written = Written {
                push,
                creds,
                targets: mine,
                call: &call,
                answer: &answer,
                attempts: 1,
            };
            let mut tx = self.writer.begin().await?;
            let (request_id, record_ids) = self
                .record(&mut tx, &[written], Vec::new(), self.clock.now())
                .await?
                .remove(0);
            tx.commit().await?;
            self.count(creds.settings.vendor, mine, &answer);
            reports.push(CallReport {
                call,
                answer,
                request_id,
                record_ids,
            });
        }
        Ok(reports)
    }

    /// Writes vendor calls' records in multi-row statements, with `more` records after them: a
    /// request row per call, a push record per target, the accepted ones counted in the quota
    /// ledger, and the regIds the vendor no longer knows retired, so whoever reads one sees the
    /// others. Returns each call's request id and record ids.
    async fn record<'a>(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        calls: &[Written<'a>],
        more: Vec<NewRecord<'a>>,
        now: i64,
    ) -> DispatchResult<Vec<(i64, Vec<i64>)>> {
        let requests: Vec<NewRequest> = calls
            .iter()
            .map(|c| NewRequest {
                sdkappid: c.push.sdkappid,
                certificate_id: c.push.certificate_id,
                request: c.call.redacted(),
                answer: &c.answer.body,
            })
            .collect();
        let request_ids = records::insert_requests(tx, &requests, now).await?;
        let mut rows = Vec::with_capacity(calls.iter().map(|c| c.targets.len()).sum());
        let mut accepted = Vec::new();
        for (c, request_id) in calls.iter().zip(&request_ids) {
            let first = rows.len();
            for t in c.targets {
                let (outcome, reason) = outcome_of(c.answer, &t.reg_id);
                rows.push(NewRecord {
                    user_id: t.user_id.as_deref(),
                    outcome,
                    reason,
                    vendor_code: c.answer.code,
                    message_id: c.answer.message_id.as_deref(),
                    trace_id: c.answer.trace_id.as_deref(),
                    attempts: i64::from(c.attempts),
                    latency_ms: c.answer.latency.as_millis() as i64,
                    sent_by: c.push.sent_by,
                    request_id: Some(*request_id),
                    msg_key: t.msg_key.as_deref(),
                    ..NewRecord::of(
                        c.push.sdkappid,
                        Some(c.push.certificate_id),
                        c.push.kind,
                        &t.reg_id,
                        &c.push.content.title,
                        &c.push.content.description,
                    )
                });
            }
            // A device counts once per call, however often the call names it.
            let mut mine: Vec<&str> = rows[first..]
                .iter()
                .filter(|r| r.outcome == PushOutcome::Accepted)
                .map(|r| r.reg_id)
                .collect();
            mine.sort_unstable();
            mine.dedup();
            let class = c
                .creds
                .settings
                .message_class(c.push.content.channel_id.as_deref());
            accepted.extend(mine.into_iter().map(|reg_id| quota::Accepted {
                certificate_id: c.push.certificate_id,
                class,
                reg_id,
            }));
            let gone: Vec<String> = c
                .targets
                .iter()
                .filter(|t| c.answer.is_gone(&t.reg_id))
                .map(|t| t.reg_id.clone())
                .collect();
            device_tokens::retire(tx, c.push.certificate_id, &gone, now).await?;
            self.metrics
                .observe_vendor_latency(c.creds.settings.vendor.as_str(), c.answer.latency);
        }
        let counted = rows.len();
        rows.extend(more);
        let mut record_ids = records::insert_records(tx, &rows, now).await?;
        record_ids.truncate(counted);
        quota::count(tx, &accepted, beijing_day(now)).await?;
        let mut ids = record_ids.into_iter();
        Ok(calls
            .iter()
            .zip(request_ids)
            .map(|(c, request_id)| (request_id, ids.by_ref().take(c.targets.len()).collect()))
            .collect())
    }

    /// Counts each target's outcome for `/metrics`.
    fn count(&self, vendor: Vendor, targets: &[Target], answer: &Answer) {
        for t in targets {
            let (outcome, _) = outcome_of(answer, &t.reg_id);
            self.metrics
                .count_push(vendor.as_str(), outcome, answer.code);
        }
    }

    /// One round of the outbox worker named `owner`: claims what is due, makes the vendor calls
    /// of every batch of identical content per certificate (overlapping), and records and marks
    /// the whole round in one transaction. Returns how many rows it handled (0: nothing was due).
    pub async fn run_round(&self, owner: &str) -> DispatchResult<usize> {
        let started = std::time::Instant::now();
        let now = self.clock.now();
        let rows = {
            let _one_lane_at_a_time = self.claiming.lock().await;
            outbox::claim(
                &self.writer,
                self.postgres,
                owner,
                now,
                now + LEASE_SECS,
                HELD_ROWS / lanes(self.postgres) as i64,
            )
            .await?;
            outbox::claimed(&self.db, owner).await?
        };
        if rows.is_empty() {
            return Ok(0);
        }
        let claimed_in = started.elapsed();
        let serving_now = self.serving_credentials(&rows, now).await?;
        let mut stale = Vec::new();
        let mut batches = Vec::new();
        for rows in group(&rows) {
            match &serving_now[&rows[0].certificate_id] {
                Some(creds) => batches.push(self.batch(rows, creds)),
                // Deleted or refused since the message was accepted.
                None => stale.extend(rows),
            }
        }
        let calls: Vec<(usize, Range<usize>, Call)> = batches
            .iter()
            .enumerate()
            .flat_map(|(i, b)| {
                let reg_ids = b.targets.iter().map(|t| t.reg_id.clone()).collect();
                let mut offset = 0;
                self.vendors
                    .calls(b.creds, &b.push.content, reg_ids)
                    .into_iter()
                    .map(move |call| {
                        let range = offset..offset + call.targets();
                        offset = range.end;
                        (i, range, call)
                    })
            })
            .collect();
        // One attempt per call, the round's calls overlapping.
        let attempts: Vec<_> = calls
            .iter()
            .map(|(_, _, c)| self.vendors.attempt(c))
            .collect();
        let answers: Vec<Answer> = stream::iter(attempts)
            .buffered(PARALLEL_CALLS)
            .collect()
            .await;
        let called_in = started.elapsed();

        let now = self.clock.now();
        let mut written = Vec::new();
        let mut done: Vec<i64> = stale.iter().map(|r| r.id).collect();
        let mut later = Vec::new();
        let mut retried = Vec::with_capacity(calls.len());
        for ((i, range, call), answer) in calls.iter().zip(&answers) {
            let b = &batches[*i];
            let (rows, targets) = (&b.rows[range.clone()], &b.targets[range.clone()]);
            let attempt = b.rows[0].attempts as u32 + 1;
            let next = self.policy.decide(
                answer.verdict == Verdict::Transient,
                attempt,
                now - b.rows[0].msg_time,
                policy::jitter(),
            );
            let write = Written {
                push: &b.push,
                creds: b.creds,
                targets,
                call,
                answer,
                attempts: attempt,
            };
            retried.push(matches!(next, Next::Retry { .. }));
            match next {
                Next::Record => {
                    written.push(write);
                    done.extend(ids(rows));
                }
                Next::Retry { after_secs } => {
                    later.push((ids(rows), i64::from(attempt), now + after_secs));
                }
                Next::RecordFailure { again_after_secs } => {
                    written.push(write);
                    match again_after_secs {
                        Some(after) => later.push((ids(rows), 0, now + after)),
                        None => done.extend(ids(rows)),
                    }
                }
            }
        }
        let keys: Vec<String> = stale
            .iter()
            .map(|r| msg_key(r.msg_seq, r.msg_random, r.msg_time))
            .collect();
        let not_effective = stale
            .iter()
            .zip(&keys)
            .map(|(r, key)| NewRecord {
                user_id: Some(&r.user_id),
                msg_key: Some(key),
                ..NewRecord::of(
                    r.sdkappid,
                    Some(r.certificate_id),
                    PushKind::Offline,
                    &r.token,
                    &r.push_title,
                    &r.push_desc,
                )
                .skipped(SkipReason::CertificateNotEffective)
            })
            .collect();
        // Rows of a round whose recording failed stay leased, taken again when the lease ends.
        let mut tx = self.writer.begin().await?;
        self.record(&mut tx, &written, not_effective, now).await?;
        outbox::finish(&mut *tx, &done).await?;
        for (ids, attempts, due) in &later {
            outbox::reschedule(&mut *tx, ids, *attempts, *due).await?;
        }
        tx.commit().await?;
        tracing::debug!(
            rows = rows.len(),
            calls = calls.len(),
            claim_ms = claimed_in.as_millis() as u64,
            calls_ms = (called_in - claimed_in).as_millis() as u64,
            record_ms = (started.elapsed() - called_in).as_millis() as u64,
            "outbox round"
        );
        for (((i, range, _), answer), retried) in calls.iter().zip(&answers).zip(retried) {
            let b = &batches[*i];
            let vendor = b.creds.settings.vendor;
            if retried {
                self.metrics
                    .count_retried(vendor.as_str(), [answer.label.clone()]);
            } else {
                self.count(vendor, &b.targets[range.clone()], answer);
            }
        }
        Ok(rows.len())
    }

    /// Runs rounds in every lane of the worker named `owner` until nothing is due now.
    /// Returns the rows handled.
    pub async fn drain(&self, owner: &str) -> DispatchResult<usize> {
        let running = (0..lanes(self.postgres)).map(|n| async move {
            let owner = lane(owner, n);
            let mut total = 0;
            loop {
                match self.run_round(&owner).await? {
                    0 => return Ok(total),
                    n => total += n,
                }
            }
        });
        // Every lane ends its rounds before an error is passed on.
        let handled: Vec<DispatchResult<usize>> = future::join_all(running).await;
        handled.into_iter().sum()
    }

    /// When the next pending row not leased by anyone is due, if any: what a test moves its
    /// clock to instead of waiting out a backoff.
    pub async fn next_due(&self) -> DispatchResult<Option<i64>> {
        Ok(outbox::next_due(&self.db).await?)
    }

    /// Rows the worker named `owner` held when its process died: due again now.
    pub async fn reclaim(&self, owner: &str) -> DispatchResult<u64> {
        let mut released = 0;
        for n in 0..lanes(self.postgres) {
            released += outbox::release_owner(&self.db, &lane(owner, n)).await?;
        }
        Ok(released)
    }

    /// Each claimed certificate's serving version, opened (`None`: no version serves), read
    /// once a round.
    async fn serving_credentials(
        &self,
        rows: &[Claimed],
        now: i64,
    ) -> DispatchResult<HashMap<i64, Option<Credentials>>> {
        let mut out = HashMap::new();
        for r in rows {
            if let Entry::Vacant(slot) = out.entry(r.certificate_id) {
                let versions = certs::versions(&self.db, r.certificate_id).await?;
                let creds = serving(&versions, now)
                    .map(|v| self.credentials(v))
                    .transpose()?;
                slot.insert(creds);
            }
        }
        Ok(out)
    }

    /// One batch of identical pushes as the vendor gets it: the content, and a target per row.
    fn batch<'r>(&self, rows: &'r [Claimed], creds: &'r Credentials) -> Batch<'r> {
        let head = &rows[0];
        let push = Push {
            sdkappid: head.sdkappid,
            certificate_id: head.certificate_id,
            kind: PushKind::Offline,
            content: Content {
                title: head.push_title.clone(),
                description: head.push_desc.clone(),
                notify_id: head.notify_id as u32,
                channel_id: head.channel_id.clone(),
                sound: head.sound.clone(),
                ext: Some(head.push_ext.clone()),
                receipts_url: self.receipts_url(head.certificate_id),
                ..Content::default()
            },
            sent_by: None,
        };
        let targets = rows
            .iter()
            .map(|r| Target {
                reg_id: r.token.clone(),
                user_id: Some(r.user_id.clone()),
                msg_key: Some(msg_key(r.msg_seq, r.msg_random, r.msg_time)),
            })
            .collect();
        Batch {
            rows,
            creds,
            push,
            targets,
        }
    }
}

/// Claimed rows that share vendor calls, with what the calls send.
struct Batch<'r> {
    rows: &'r [Claimed],
    creds: &'r Credentials,
    push: Push<'static>,
    targets: Vec<Target>,
}

/// One vendor call to write down: whose push, to which targets, and what the vendor said.
struct Written<'a> {
    push: &'a Push<'a>,
    creds: &'a Credentials,
    targets: &'a [Target],
    call: &'a Call,
    answer: &'a Answer,
    attempts: u32,
}

/// The name lane `n` of the worker `owner` claims under (the first lane: the worker's own).
fn lane(owner: &str, n: usize) -> String {
    match n {
        0 => owner.to_owned(),
        n => format!("{owner}/{n}"),
    }
}

fn receipt_scope(certificate_id: i64) -> String {
    format!("receipts:{certificate_id}")
}

fn ids(rows: &[Claimed]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

/// Runs of claimed rows that can share vendor calls (the claim orders them so).
fn group(rows: &[Claimed]) -> Vec<&[Claimed]> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let head = &rows[start];
        let end = rows[start..]
            .iter()
            .position(|r| !same_push(r, head))
            .map_or(rows.len(), |n| start + n);
        batches.push(&rows[start..end]);
        start = end;
    }
    batches
}

/// Pushes that can share one vendor call: same certificate, identical content, same history.
fn same_push(a: &Claimed, b: &Claimed) -> bool {
    a.certificate_id == b.certificate_id
        && a.notify_id == b.notify_id
        && a.push_title == b.push_title
        && a.push_desc == b.push_desc
        && a.push_ext == b.push_ext
        && a.channel_id == b.channel_id
        && a.sound == b.sound
        && a.attempts == b.attempts
}

/// How the push to `reg_id` ended, given its call's answer, and why.
fn outcome_of<'a>(answer: &'a Answer, reg_id: &str) -> (PushOutcome, &'a str) {
    match answer.verdict {
        Verdict::Accepted if answer.refused.iter().any(|r| r == reg_id) => {
            (PushOutcome::Rejected, "bad regId")
        }
        Verdict::Accepted => (PushOutcome::Accepted, ""),
        Verdict::Refused => (PushOutcome::Rejected, &answer.reason),
        Verdict::Transient => (PushOutcome::Failed, &answer.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(verdict: Verdict, refused: &[&str]) -> Answer {
        Answer {
            verdict,
            code: Some(0),
            reason: "why".into(),
            message_id: None,
            trace_id: None,
            refused: refused.iter().map(|s| s.to_string()).collect(),
            gone: Vec::new(),
            all_gone: false,
            body: String::new(),
            label: String::new(),
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn each_target_gets_the_outcome_of_its_calls_answer() {
        let ok = answer(Verdict::Accepted, &["b"]);
        assert_eq!(outcome_of(&ok, "a"), (PushOutcome::Accepted, ""));
        assert_eq!(outcome_of(&ok, "b"), (PushOutcome::Rejected, "bad regId"));
        let refused = answer(Verdict::Refused, &[]);
        assert_eq!(outcome_of(&refused, "a"), (PushOutcome::Rejected, "why"));
        let failed = answer(Verdict::Transient, &[]);
        assert_eq!(outcome_of(&failed, "a"), (PushOutcome::Failed, "why"));
    }
}
