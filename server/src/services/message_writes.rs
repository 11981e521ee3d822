//! `/v4` sends accepted in groups ([`Groups`]): every send that arrived while the previous
//! group was written shares one round of reads (a few set queries per app, whatever the number
//! of sends and receivers) and one transaction, which stores each message and decides, in the
//! same transaction, which devices get a vendor push (queued in the outbox) and why the others
//! do not (a `skipped` push record).

use std::collections::{HashMap, HashSet};

use app::domain::{PushKind, SkipReason, Vendor, msg_key};
use sqlx::AnyPool;

use super::groups::Groups;
use super::messages::ImError;
use crate::clock::Clock;
use crate::store::certificates::{self as certs, LiveVersion, serving};
use crate::store::device_tokens::{self, Receiver};
use crate::store::messages::{self, NewMessage};
use crate::store::outbox::{self, NewPush};
use crate::store::push::{self as records, NewRecord};
use crate::store::sessions::{self, LoginState};
use crate::store::{StoreResult, accounts};

/// The most sends one transaction carries.
const GROUP_MAX: usize = 256;

/// Tencent de-duplicates a resent message (same sender, MsgRandom and content) for 120 s.
const DEDUP_WINDOW: i64 = 120;

/// One sendmsg or batchsendmsg, checked, with its push content settled.
pub(crate) struct NewSend {
    pub sdkappid: i64,
    pub from: String,
    /// `From_Account` was given, so it must exist.
    pub from_given: bool,
    /// One receiver named: an unknown one fails the call.
    pub single: bool,
    pub random: i64,
    pub seq: i64,
    pub notify_id: i64,
    /// Each receiver once, in the order given, with its de-duplication key.
    pub receivers: Vec<(String, String)>,
    pub body: String,
    pub title: String,
    pub desc: String,
    pub ext: String,
    pub channel_id: Option<String>,
    pub sound: Option<String>,
    pub push_flag: i64,
}

/// How a send was taken.
#[derive(Debug)]
pub(crate) struct Accepted {
    /// MsgTime of the messages stored now.
    pub now: i64,
    pub key: String,
    /// The named receivers that exist.
    pub existing: HashSet<String>,
    /// De-duplication key → (MsgSeq, MsgTime) of the first send, for receivers sent again.
    pub resent: HashMap<String, (i64, i64)>,
    /// The receivers whose message was stored now.
    pub stored: Vec<String>,
    pub skipped: usize,
    pub queued: usize,
}

pub(crate) struct MessageWrites {
    groups: Groups<NewSend, Result<Accepted, ImError>>,
}

impl MessageWrites {
    /// Starts the writer task (inside the runtime): reads on `db`, writes on `writer`.
    pub fn start(db: AnyPool, writer: AnyPool, clock: Clock) -> Self {
        let pools = Pools { db, writer };
        let groups = Groups::start(GROUP_MAX, move |group| {
            write_sends(pools.clone(), clock.clone(), group)
        });
        Self { groups }
    }

    /// Returns once the send is committed (or refused).
    pub async fn accept(&self, send: NewSend) -> Result<Accepted, ImError> {
        self.groups.submit(send).await.unwrap_or_else(|| {
            tracing::error!("the message writer stopped");
            Err(ImError::Internal)
        })
    }
}

#[derive(Clone)]
struct Pools {
    db: AnyPool,
    writer: AnyPool,
}

async fn write_sends(
    pools: Pools,
    clock: Clock,
    group: Vec<NewSend>,
) -> Vec<Result<Accepted, ImError>> {
    // The group's messages share their MsgTime: the time they are written.
    let now = clock.now();
    match accept(&pools, now, &group).await {
        Ok(done) => done,
        Err(e) if group.len() == 1 => vec![Err(e.into())],
        // One send that cannot be written must not fail the others: each on its own.
        Err(_) => {
            let mut out = Vec::with_capacity(group.len());
            for send in &group {
                let alone = accept(&pools, now, std::slice::from_ref(send)).await;
                out.push(
                    alone
                        .map_err(ImError::from)
                        .and_then(|mut one| one.remove(0)),
                );
            }
            out
        }
    }
}

/// What one app's sends of the group need to know.
#[derive(Default)]
struct AppReads {
    existing: HashSet<String>,
    /// Each receiver's devices with a live login.
    devices: HashMap<String, Vec<Receiver>>,
    logins: HashMap<String, LoginState>,
    /// Whether pushes can go through each certificate now, or why not.
    certificates: HashMap<i64, Result<(), SkipReason>>,
}

/// (SDKAppID, sender, MsgRandom, de-duplication key): what makes a send the same as another.
type SameSend<'a> = (i64, &'a str, i64, &'a str);

/// A send's verdict before it is written: refused, or the receivers it stores now.
struct Verdict<'a> {
    send: &'a NewSend,
    existing: HashSet<String>,
    resent: HashMap<String, (i64, i64)>,
    fresh: Vec<&'a (String, String)>,
}

async fn accept(
    pools: &Pools,
    now: i64,
    sends: &[NewSend],
) -> StoreResult<Vec<Result<Accepted, ImError>>> {
    let started = std::time::Instant::now();
    let db = &pools.db;
    let mut apps: Vec<i64> = sends.iter().map(|s| s.sdkappid).collect();
    apps.sort_unstable();
    apps.dedup();

    // Who exists, and which messages were sent already (in the window, or earlier in the group).
    let mut sent_before = Vec::new();
    let mut reads: HashMap<i64, AppReads> = HashMap::new();
    for &app in &apps {
        let mine = || sends.iter().filter(move |s| s.sdkappid == app);
        let mut names: Vec<String> = mine()
            .flat_map(|s| {
                let from = s.from_given.then(|| s.from.clone());
                s.receivers.iter().map(|(u, _)| u.clone()).chain(from)
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut hashes: Vec<String> = mine()
            .flat_map(|s| s.receivers.iter().map(|(_, h)| h.clone()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let existing = accounts::existing_accounts(db, app, &names).await?;
        sent_before.push((
            app,
            messages::recent(db, app, &hashes, now - DEDUP_WINDOW).await?,
        ));
        reads.insert(
            app,
            AppReads {
                existing,
                ..AppReads::default()
            },
        );
    }
    let mut first: HashMap<SameSend, (i64, i64)> = HashMap::new();
    for (app, rows) in &sent_before {
        // Newest to oldest, so that the first send of a message is the one a resend finds.
        for m in rows.iter().rev() {
            first.insert(
                (*app, &m.from_account, m.msg_random, &m.content_hash),
                (m.msg_seq, m.msg_time),
            );
        }
    }
    let verdicts: Vec<Result<Verdict, ImError>> = sends
        .iter()
        .map(|send| verdict(send, &reads[&send.sdkappid].existing, &mut first, now))
        .collect();

    // The devices, logins and certificates of the receivers whose message is stored now.
    for &app in &apps {
        let mut users: Vec<String> = verdicts
            .iter()
            .flatten()
            .filter(|v| v.send.sdkappid == app)
            .flat_map(|v| v.fresh.iter().map(|(u, _)| u.clone()))
            .collect();
        users.sort_unstable();
        users.dedup();
        if users.is_empty() {
            continue;
        }
        let app_reads = reads.get_mut(&app).expect("read above");
        read_receivers(db, app, &users, now, app_reads).await?;
    }

    // One transaction for the whole group.
    let keys: Vec<String> = sends
        .iter()
        .map(|s| msg_key(s.seq, s.random, now))
        .collect();
    let new_messages: Vec<NewMessage> = verdicts
        .iter()
        .flatten()
        .flat_map(|v| {
            let s = v.send;
            v.fresh.iter().map(move |(user, hash)| NewMessage {
                sdkappid: s.sdkappid,
                from_account: &s.from,
                to_account: user,
                msg_seq: s.seq,
                msg_random: s.random,
                msg_time: now,
                content_hash: hash,
                body: &s.body,
                push_title: &s.title,
                push_desc: &s.desc,
                push_ext: &s.ext,
                channel_id: s.channel_id.as_deref(),
                sound: s.sound.as_deref(),
                notify_id: s.notify_id,
            })
        })
        .collect();
    let read_in = started.elapsed();
    let mut tx = pools.writer.begin().await?;
    let mut message_ids = messages::insert_messages(&mut tx, &new_messages)
        .await?
        .into_iter();
    let mut pushes = Vec::new();
    let mut skipped = Vec::new();
    let mut counts = Vec::with_capacity(sends.len());
    for (verdict, key) in verdicts.iter().zip(&keys) {
        let Ok(v) = verdict else {
            counts.push((0, 0));
            continue;
        };
        let s = v.send;
        let app_reads = &reads[&s.sdkappid];
        let (pushes_before, skipped_before) = (pushes.len(), skipped.len());
        for (user, _) in &v.fresh {
            let message_id = message_ids.next().expect("one id per message");
            let devices = app_reads
                .devices
                .get(user)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let login = app_reads.logins.get(user).cloned().unwrap_or_default();
            for (certificate_id, token, reason) in decide(
                message_id,
                user,
                devices,
                &login,
                &app_reads.certificates,
                s.push_flag,
                now,
                &mut pushes,
            ) {
                skipped.push(NewRecord {
                    user_id: Some(user),
                    msg_key: Some(key),
                    ..NewRecord::of(
                        s.sdkappid,
                        certificate_id,
                        PushKind::Offline,
                        token,
                        &s.title,
                        &s.desc,
                    )
                    .skipped(reason)
                });
            }
        }
        counts.push((pushes.len() - pushes_before, skipped.len() - skipped_before));
    }
    outbox::enqueue_many(&mut tx, &pushes, now).await?;
    records::insert_records(&mut tx, &skipped, now).await?;
    tx.commit().await?;
    // Before the worker's first claim of what was queued; the send is committed whatever this
    // says.
    if let Err(e) = outbox::refresh_statistics(db, pushes.len()).await {
        tracing::warn!(error = %e, "refreshing the outbox's statistics");
    }
    tracing::debug!(
        sends = sends.len(),
        messages = new_messages.len(),
        queued = pushes.len(),
        read_ms = read_in.as_millis() as u64,
        write_ms = (started.elapsed() - read_in).as_millis() as u64,
        "send group"
    );

    Ok(verdicts
        .into_iter()
        .zip(keys)
        .zip(counts)
        .map(|((verdict, key), (queued, skipped))| {
            verdict.map(|v| Accepted {
                now,
                key,
                stored: v.fresh.iter().map(|(u, _)| u.clone()).collect(),
                existing: v.existing,
                resent: v.resent,
                skipped,
                queued,
            })
        })
        .collect())
}

/// Whether a send can be taken, and which of its receivers get the message now: not those
/// sent the same message before (`first`, which learns this send's).
fn verdict<'a>(
    send: &'a NewSend,
    known: &HashSet<String>,
    first: &mut HashMap<SameSend<'a>, (i64, i64)>,
    now: i64,
) -> Result<Verdict<'a>, ImError> {
    if send.from_given && !known.contains(&send.from) {
        return Err(ImError::UnknownSender);
    }
    let existing: HashSet<String> = send
        .receivers
        .iter()
        .filter(|(u, _)| known.contains(u))
        .map(|(u, _)| u.clone())
        .collect();
    if send.single && existing.is_empty() {
        return Err(ImError::UnknownReceiver);
    }
    let mut resent = HashMap::new();
    let mut fresh = Vec::new();
    for receiver in &send.receivers {
        let (user, hash) = receiver;
        if !existing.contains(user) {
            continue;
        }
        let same = (
            send.sdkappid,
            send.from.as_str(),
            send.random,
            hash.as_str(),
        );
        match first.get(&same) {
            Some(at) => {
                resent.insert(hash.clone(), *at);
            }
            None => {
                first.insert(same, (send.seq, now));
                fresh.push(receiver);
            }
        }
    }
    Ok(Verdict {
        send,
        existing,
        resent,
        fresh,
    })
}

/// The devices, logins and certificates of `users` of the app, whose messages are stored now.
async fn read_receivers(
    db: &AnyPool,
    app: i64,
    users: &[String],
    now: i64,
    reads: &mut AppReads,
) -> StoreResult<()> {
    for (user, r) in device_tokens::receivers_of(db, app, users).await? {
        reads.devices.entry(user).or_default().push(r);
    }
    reads.logins = sessions::login_states(db, app, users, now).await?;
    let mut ids: Vec<i64> = reads
        .devices
        .values()
        .flatten()
        .map(|r| r.certificate_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let versions = certs::live_versions(db, app, &ids).await?;
    reads.certificates = ids
        .iter()
        .map(|id| (*id, certificate_state(&versions, *id, now)))
        .collect();
    Ok(())
}

/// Whether pushes can go through a certificate now, or why not, from its live versions.
fn certificate_state(versions: &[LiveVersion], id: i64, now: i64) -> Result<(), SkipReason> {
    let mine: Vec<_> = versions
        .iter()
        .filter(|v| v.version.certificate_id == id)
        .collect();
    let Some(head) = mine.first() else {
        return Err(SkipReason::CertificateDeleted);
    };
    if !Vendor::parse(&head.vendor).is_ok_and(Vendor::sends) {
        return Err(SkipReason::VendorNotSupported);
    }
    let rows: Vec<_> = mine.iter().map(|v| v.version.clone()).collect();
    if serving(&rows, now).is_some() {
        return Ok(());
    }
    let refused = rows
        .last()
        .is_some_and(|v| v.check_state == app::domain::CheckState::Invalid);
    Err(if refused {
        SkipReason::CertificateInvalid
    } else {
        SkipReason::CertificatePending
    })
}

/// The push decision for one receiver's devices: an outbox row for each device that can be
/// pushed; for each that cannot (online ones included), and once for a receiver without any
/// device, the skipped record's (certificate, token, reason).
#[allow(clippy::too_many_arguments)]
fn decide<'a>(
    message_id: i64,
    user: &'a str,
    devices: &'a [Receiver],
    login: &LoginState,
    certificates: &HashMap<i64, Result<(), SkipReason>>,
    push_flag: i64,
    now: i64,
    pushes: &mut Vec<NewPush<'a>>,
) -> Vec<(Option<i64>, &'a str, SkipReason)> {
    let mut skipped = Vec::new();
    for r in devices {
        let skip = |reason| (Some(r.certificate_id), r.token.as_str(), reason);
        // The app is alive on that device: the message arrives in-band.
        if r.online_until > now {
            skipped.push(skip(SkipReason::Online));
        } else if r.bad_at.is_some() {
            skipped.push(skip(SkipReason::TokenInvalid));
        } else if push_flag == 1 {
            skipped.push(skip(SkipReason::PushFlagOff));
        } else {
            match certificates
                .get(&r.certificate_id)
                .copied()
                .unwrap_or(Err(SkipReason::CertificateDeleted))
            {
                Ok(()) => pushes.push(NewPush {
                    message_id,
                    certificate_id: r.certificate_id,
                    user_id: user,
                    token: &r.token,
                }),
                // The record cannot point at a certificate that is gone.
                Err(SkipReason::CertificateDeleted) => {
                    skipped.push((None, r.token.as_str(), SkipReason::CertificateDeleted))
                }
                Err(reason) => skipped.push(skip(reason)),
            }
        }
    }
    if devices.is_empty() {
        let reason = if login.online {
            SkipReason::Online
        } else {
            match login.latest.as_deref() {
                Some("logged_out") => SkipReason::UserLoggedOut,
                Some("kicked") => SkipReason::Kicked,
                _ => SkipReason::NoToken,
            }
        };
        skipped.push((None, "", reason));
    }
    skipped
}
