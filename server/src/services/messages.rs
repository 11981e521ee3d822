//! The REST side of IM: accounts, kicks, state, and messages whose offline-push decision is
//! written in the same transaction as the message (an outbox), then sent by the outbox worker
//! through the one delivery path.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, stream};

use app::domain::{
    CertificateSettings, CheckState, DEFAULT_TITLE, PushOutcome, Vendor, parse_user_id,
};

use super::Services;
use super::certificates::serving;
use crate::crypto::{random_bytes, token_digest};
use crate::dispatch::{Delivery, Target, worth_retrying};
use crate::im::{RestError, usersig};
use crate::store::certificates as certs;
use crate::store::im as sessions;
use crate::store::outbox::{self, LoginState, NewMessage, NewPush, Receiver};
use crate::store::push::{self as records, NewRecord};
use crate::unix_now;
use crate::vendors::mipush::{AppSecret, Notification};

/// The identifier whose UserSig authorizes `/v4` calls (Tencent's default App admin).
pub const ADMIN_IDENTIFIER: &str = "administrator";

/// A push the vendor could not take (5xx, timeout, "busy") is tried again after this long, for
/// as long as its message is younger than [`RETRY_FOR`].
const RETRY_AFTER: i64 = 5;
const RETRY_FOR: i64 = 3600;

/// Outbox rows one round claims: two vendor calls' worth, so that several instances share a
/// backlog and a round ends well within its 60 s lease.
const CLAIM_ROWS: i64 = 2000;

/// Vendor calls one outbox round keeps in flight at once.
const PARALLEL_CALLS: usize = 16;

/// Tencent de-duplicates a resent message (same sender, MsgRandom and content) for 120 s.
const DEDUP_WINDOW: i64 = 120;

/// What `OfflinePushInfo` asks of the vendor push.
#[derive(Debug, Clone, Default)]
pub struct OfflinePush {
    /// 1: no offline push.
    pub push_flag: i64,
    pub title: Option<String>,
    pub desc: Option<String>,
    pub ext: Option<String>,
    pub channel_id: Option<String>,
    pub sound: Option<String>,
}

/// A one-to-one message from `/v4`.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub from: Option<String>,
    pub random: i64,
    pub seq: Option<i64>,
    /// `MsgBody` as JSON.
    pub body: String,
    /// The text of its text elements, the default push description.
    pub text: String,
    pub push: OfflinePush,
}

/// The answer for one receiver.
#[derive(Debug, Clone)]
pub struct SendAck {
    pub to_account: String,
    pub msg_time: i64,
    pub msg_key: String,
    /// Tencent's code when this receiver could not be sent to.
    pub error: Option<i64>,
}

fn db(e: impl std::fmt::Display) -> RestError {
    tracing::error!(error = %e, "database");
    RestError::new(70500, "internal error; please retry")
}

impl From<crate::store::StoreError> for RestError {
    fn from(e: crate::store::StoreError) -> Self {
        db(e)
    }
}

impl Services {
    /// A REST call's app, if the UserSig in the URL is the administrator's, made with the app's
    /// secret key.
    pub async fn rest_auth(
        &self,
        sdkappid: &str,
        identifier: &str,
        sig: &str,
    ) -> Result<i64, RestError> {
        let app = self
            .app_row(sdkappid)
            .await
            .map_err(|_| RestError::new(60006, "SDKAppID is invalid or unknown"))?;
        if identifier != ADMIN_IDENTIFIER {
            return Err(RestError::new(
                60010,
                "the request needs the App administrator (identifier=administrator)",
            ));
        }
        let key = self
            .secrets
            .open(&app.secret_key)
            .map_err(|e| db(format!("{e:#}")))?;
        usersig::verify(sig, app.sdkappid, key.expose(), identifier, unix_now())
            .map_err(|e| RestError::new(e.code(), e.to_string()))?;
        Ok(app.sdkappid)
    }

    pub async fn rest_account_import(
        &self,
        sdkappid: i64,
        user_id: &str,
        nick: &str,
        face_url: &str,
    ) -> Result<(), RestError> {
        let user = parse_user_id(user_id).map_err(|_| {
            RestError::new(
                70402,
                "UserID must be 1–32 bytes without control characters",
            )
        })?;
        if nick.len() > 500 || face_url.len() > 500 {
            return Err(RestError::new(
                70402,
                "Nick and FaceUrl may be at most 500 bytes",
            ));
        }
        sessions::upsert_account(&self.db, sdkappid, &user, nick, face_url, unix_now()).await?;
        Ok(())
    }

    /// Ends every login of the user: their devices get no offline push until they log in again.
    pub async fn rest_kick(&self, sdkappid: i64, user_id: &str) -> Result<(), RestError> {
        if !sessions::account_exists(&self.db, sdkappid, user_id).await? {
            return Err(RestError::new(70107, "the UserID does not exist"));
        }
        let mut tx = self.db.begin().await.map_err(db)?;
        sessions::kick_all(&mut *tx, sdkappid, user_id, unix_now()).await?;
        sessions::unbind_ended(&mut *tx, sdkappid, user_id).await?;
        tx.commit().await.map_err(db)?;
        self.user_event(sdkappid, user_id);
        Ok(())
    }

    /// `Online` while a connection is open, `PushOnline` with a device token of a live login
    /// (a push reaches it), else `Offline`. Unknown accounts come back apart.
    pub async fn rest_query_state(
        &self,
        sdkappid: i64,
        users: &[String],
    ) -> Result<(Vec<(String, &'static str)>, Vec<String>), RestError> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for user in users {
            if !sessions::account_exists(&self.db, sdkappid, user).await? {
                missing.push(user.clone());
                continue;
            }
            let state = if sessions::is_online(&self.db, sdkappid, user, unix_now()).await? {
                "Online"
            } else if outbox::bound_tokens(&self.db, sdkappid, user)
                .await?
                .is_empty()
            {
                "Offline"
            } else {
                "PushOnline"
            };
            found.push((user.clone(), state));
        }
        Ok((found, missing))
    }

    /// Stores the message for each receiver and decides, in the same transaction, which of
    /// their devices get a vendor push (queued in the outbox) and why the others do not (a
    /// `skipped` push record). A resend within 120 s answers as the first send did. The whole
    /// call is one transaction, its reads a handful of set queries whatever the receiver count.
    pub async fn rest_send(
        &self,
        sdkappid: i64,
        to: &[String],
        msg: &OutgoingMessage,
    ) -> Result<Vec<SendAck>, RestError> {
        let from = msg
            .from
            .clone()
            .unwrap_or_else(|| ADMIN_IDENTIFIER.to_owned());
        if msg.from.is_some() && !sessions::account_exists(&self.db, sdkappid, &from).await? {
            return Err(RestError::new(90008, "From_Account does not exist"));
        }
        let now = unix_now();
        let hash = token_digest(&msg.body);
        let title = msg
            .push
            .title
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| DEFAULT_TITLE.to_owned());
        let desc = msg
            .push
            .desc
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| msg.text.clone());
        // One MsgSeq and one notify_id for the whole call: a batch has one MsgKey (as Tencent
        // answers), and its pushes share their content, so they go out together.
        let seq = msg
            .seq
            .unwrap_or_else(|| i64::from(u32::from_le_bytes(random4())) & 0x7fff_ffff);
        let notify_id = i64::from(u32::from_le_bytes(random4()) & 0x7fff_ffff);
        let key = format!("{seq}_{}_{now}", msg.random);

        // Each receiver once, in the order given.
        let mut seen = HashSet::new();
        let names: Vec<String> = to
            .iter()
            .filter(|u| seen.insert(u.as_str()))
            .cloned()
            .collect();
        let existing = outbox::existing_accounts(&self.db, sdkappid, &names).await?;
        if to.len() == 1 && existing.is_empty() {
            return Err(RestError::new(
                90012,
                "To_Account is not registered or does not exist",
            ));
        }
        let hashes: Vec<String> = names.iter().map(|u| hash_for(&hash, u)).collect();
        let resent = outbox::duplicates(
            &self.db,
            sdkappid,
            &from,
            msg.random,
            &hashes,
            now - DEDUP_WINDOW,
        )
        .await?;
        let fresh: Vec<(&String, &String)> = names
            .iter()
            .zip(&hashes)
            .filter(|(u, h)| existing.contains(*u) && !resent.contains_key(*h))
            .collect();
        let fresh_users: Vec<String> = fresh.iter().map(|(u, _)| (*u).clone()).collect();
        let devices = outbox::receivers_of(&self.db, sdkappid, &fresh_users).await?;
        let logins = outbox::login_states(&self.db, sdkappid, &fresh_users, now).await?;
        let mut certificates = HashMap::new();
        let mut by_user: HashMap<&str, Vec<&Receiver>> = HashMap::new();
        for (user, r) in &devices {
            by_user.entry(user.as_str()).or_default().push(r);
            if let Entry::Vacant(slot) = certificates.entry(r.certificate_id) {
                slot.insert(
                    self.certificate_state(sdkappid, r.certificate_id, now)
                        .await?,
                );
            }
        }

        let new_messages: Vec<NewMessage> = fresh
            .iter()
            .map(|(user, hash)| NewMessage {
                sdkappid,
                from_account: &from,
                to_account: user,
                msg_seq: seq,
                msg_random: msg.random,
                msg_time: now,
                content_hash: hash,
                body: &msg.body,
                push_title: &title,
                push_desc: &desc,
                push_ext: msg.push.ext.as_deref().unwrap_or_default(),
                channel_id: msg.push.channel_id.as_deref(),
                sound: msg.push.sound.as_deref(),
                notify_id,
            })
            .collect();
        let mut pushes = Vec::new();
        let mut skipped = Vec::new();
        let mut tx = self.db.begin().await.map_err(db)?;
        let ids = outbox::insert_messages(&mut tx, &new_messages).await?;
        for ((user, _), message_id) in fresh.iter().zip(&ids) {
            let mine = by_user.get(user.as_str()).into_iter().flatten().copied();
            let login = logins.get(*user).cloned().unwrap_or_default();
            decide(
                *message_id,
                user,
                mine,
                &login,
                &certificates,
                msg.push.push_flag,
                now,
                &mut pushes,
                &mut skipped,
            );
        }
        outbox::enqueue_many(&mut tx, &pushes, now).await?;
        let rows: Vec<NewRecord> = skipped
            .iter()
            .map(|(user, certificate_id, token, reason)| NewRecord {
                sdkappid,
                certificate_id: *certificate_id,
                kind: "offline",
                user_id: Some(user),
                reg_id: token,
                title: &title,
                description: &desc,
                outcome: PushOutcome::Skipped.as_str(),
                reason,
                vendor_code: None,
                message_id: None,
                trace_id: None,
                attempts: 0,
                latency_ms: 0,
                sent_by: None,
                request_id: None,
                msg_key: Some(&key),
            })
            .collect();
        records::insert_records(&mut tx, &rows, now).await?;
        tx.commit().await.map_err(db)?;
        for _ in &skipped {
            self.metrics
                .count_push("xiaomi", PushOutcome::Skipped, None);
        }
        for user in &fresh_users {
            self.user_event(sdkappid, user);
        }
        if !pushes.is_empty() {
            self.outbox_wake.notify_one();
        }
        Ok(names
            .iter()
            .zip(&hashes)
            .map(|(user, hash)| {
                let (msg_key, msg_time, error) = if !existing.contains(user) {
                    (String::new(), now, Some(90012))
                } else if let Some((seq, time)) = resent.get(hash) {
                    (format!("{seq}_{}_{time}", msg.random), *time, None)
                } else {
                    (key.clone(), now, None)
                };
                SendAck {
                    to_account: user.clone(),
                    msg_time,
                    msg_key,
                    error,
                }
            })
            .collect())
    }

    /// Whether pushes can go through a certificate now, or why not.
    async fn certificate_state(
        &self,
        sdkappid: i64,
        certificate_id: i64,
        now: i64,
    ) -> Result<Result<(), &'static str>, RestError> {
        let Some(cert) = certs::get(&self.db, sdkappid, certificate_id).await? else {
            return Ok(Err("certificate_deleted"));
        };
        if !Vendor::parse(&cert.vendor).is_ok_and(Vendor::sends) {
            return Ok(Err("vendor_not_supported"));
        }
        let versions = certs::versions(&self.db, cert.id).await?;
        if serving(&versions, now).is_some() {
            return Ok(Ok(()));
        }
        let refused = versions
            .last()
            .is_some_and(|v| v.check_state == CheckState::Invalid.as_str());
        Ok(Err(if refused {
            "certificate_invalid"
        } else {
            "certificate_pending"
        }))
    }

    /// One round of the outbox worker: claims what is due, sends it in batches of identical
    /// content per certificate (one vendor call per 1000 regIds), marks it done. Returns how
    /// many outbox rows it handled.
    pub async fn run_outbox_round(&self, owner: &str) -> Result<usize, RestError> {
        let now = unix_now();
        outbox::claim(&self.db, self.postgres, owner, now, now + 60, CLAIM_ROWS).await?;
        let rows = outbox::claimed(&self.db, owner).await?;
        let count = rows.len();
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
        // Vendor calls overlap (each records its own answer); a batch whose recording failed
        // stays leased and is taken again when the lease runs out.
        let calls: Vec<_> = batches.into_iter().map(|b| self.push_tagged(b)).collect();
        let results: Vec<_> = stream::iter(calls)
            .buffer_unordered(PARALLEL_CALLS)
            .collect()
            .await;
        // What the vendor could not take now goes back to the outbox, due again later, until
        // the message is too old to be worth a notification. (The rest were marked done with
        // their answer.)
        let mut later = Vec::new();
        let mut expired = Vec::new();
        let mut trouble = None;
        for (batch, result) in results {
            let failed = match result {
                Ok(failed) => failed,
                Err(e) => {
                    trouble = Some(e);
                    continue;
                }
            };
            for (r, failed) in batch.iter().zip(&failed) {
                match failed {
                    true if r.msg_time > now - RETRY_FOR => later.push(r.id),
                    true => expired.push(r.id),
                    false => {}
                }
            }
        }
        outbox::mark_done(&self.db, &expired).await?;
        outbox::release(&self.db, &later, unix_now() + RETRY_AFTER).await?;
        if let Some(e) = trouble {
            return Err(e);
        }
        Ok(count)
    }

    /// Rows this worker held when its process died: due again now.
    pub async fn reclaim_outbox(&self, owner: &str) -> Result<u64, RestError> {
        Ok(outbox::release_owner(&self.db, owner).await?)
    }

    async fn push_tagged<'a>(
        &self,
        batch: &'a [outbox::Claimed],
    ) -> (&'a [outbox::Claimed], Result<Vec<bool>, RestError>) {
        (batch, self.push_batch(batch).await)
    }

    /// Sends one batch of identical pushes; for each row, whether its call failed in a way
    /// worth trying again later.
    async fn push_batch(&self, batch: &[outbox::Claimed]) -> Result<Vec<bool>, RestError> {
        let head = &batch[0];
        let versions = certs::versions(&self.db, head.certificate_id).await?;
        let Some(version) = serving(&versions, unix_now()) else {
            // Deleted or refused since the message was accepted: say so, per device.
            let key =
                |r: &outbox::Claimed| format!("{}_{}_{}", r.msg_seq, r.msg_random, r.msg_time);
            let keys: Vec<String> = batch.iter().map(key).collect();
            let rows: Vec<NewRecord> = batch
                .iter()
                .zip(&keys)
                .map(|(r, k)| NewRecord {
                    sdkappid: r.sdkappid,
                    certificate_id: Some(r.certificate_id),
                    kind: "offline",
                    user_id: Some(&r.user_id),
                    reg_id: &r.token,
                    title: &r.push_title,
                    description: &r.push_desc,
                    outcome: PushOutcome::Skipped.as_str(),
                    reason: "certificate_not_effective",
                    vendor_code: None,
                    message_id: None,
                    trace_id: None,
                    attempts: 0,
                    latency_ms: 0,
                    sent_by: None,
                    request_id: None,
                    msg_key: Some(k),
                })
                .collect();
            let mut tx = self.db.begin().await.map_err(db)?;
            records::insert_records(&mut tx, &rows, unix_now()).await?;
            let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
            outbox::mark_done(&mut *tx, &ids).await?;
            tx.commit().await.map_err(db)?;
            return Ok(vec![false; batch.len()]);
        };
        let settings: CertificateSettings = serde_json::from_str(&version.settings).map_err(db)?;
        let secret = AppSecret::new(
            self.open(&version.secret)
                .map_err(|e| db(format!("{e:?}")))?
                .expose(),
        );
        let package = settings.package_name.clone().unwrap_or_default();
        let mut message = Notification::new(&package, &head.push_title, &head.push_desc);
        message.notify_id = Some(head.notify_id as u32);
        message.channel_id = head.channel_id.clone().or(settings.channel_id.clone());
        message.click = settings.click.clone().unwrap_or_default();
        if let Some(sound) = &head.sound {
            message.sound_uri = Some(format!("android.resource://{package}/raw/{sound}"));
        }
        if !head.push_ext.is_empty() {
            message.extra.push(("ext".into(), head.push_ext.clone()));
        }
        let targets = batch
            .iter()
            .map(|r| Target {
                reg_id: r.token.clone(),
                user_id: Some(r.user_id.clone()),
                msg_key: Some(format!("{}_{}_{}", r.msg_seq, r.msg_random, r.msg_time)),
                outbox_id: Some(r.id),
            })
            .collect();
        let reports = self
            .dispatcher
            .deliver(Delivery {
                sdkappid: head.sdkappid,
                certificate_id: head.certificate_id,
                region: settings.region.unwrap_or_default(),
                secret: &secret,
                message,
                targets,
                kind: "offline",
                sent_by: None,
            })
            .await?;
        let mut failed = Vec::with_capacity(batch.len());
        for report in &reports {
            let retry = worth_retrying(&report.exchange.outcome);
            failed.extend(std::iter::repeat_n(retry, report.record_ids.len()));
        }
        Ok(failed)
    }
}

/// A skipped push: (user, certificate, token, reason).
type Skipped<'a> = (&'a str, Option<i64>, String, &'static str);

/// The push decision for one receiver's devices: an outbox row for each device that can be
/// pushed, a skipped record for each that cannot (online ones included), and one record for a
/// receiver without any device, saying why.
#[allow(clippy::too_many_arguments)]
fn decide<'a>(
    message_id: i64,
    user: &'a str,
    devices: impl Iterator<Item = &'a Receiver>,
    login: &LoginState,
    certificates: &HashMap<i64, Result<(), &'static str>>,
    push_flag: i64,
    now: i64,
    pushes: &mut Vec<NewPush<'a>>,
    skipped: &mut Vec<Skipped<'a>>,
) {
    let mut any = false;
    for r in devices {
        any = true;
        let skip = |reason| (user, Some(r.certificate_id), r.token.clone(), reason);
        // The app is alive on that device: the message arrives in-band.
        if r.online_until > now {
            skipped.push(skip("online"));
        } else if r.bad_at.is_some() {
            skipped.push(skip("token_invalid"));
        } else if push_flag == 1 {
            skipped.push(skip("push_flag_off"));
        } else {
            match certificates
                .get(&r.certificate_id)
                .copied()
                .unwrap_or(Err("certificate_deleted"))
            {
                Ok(()) => pushes.push(NewPush {
                    message_id,
                    certificate_id: r.certificate_id,
                    user_id: user,
                    token: &r.token,
                }),
                Err("certificate_deleted") => {
                    skipped.push((user, None, r.token.clone(), "certificate_deleted"))
                }
                Err(reason) => skipped.push(skip(reason)),
            }
        }
    }
    if !any {
        let reason = if login.online {
            "online"
        } else {
            match login.latest.as_deref() {
                Some("logged_out") => "user_logged_out",
                Some("kicked") => "kicked",
                _ => "no_token",
            }
        };
        skipped.push((user, None, String::new(), reason));
    }
}

/// Pushes that can share one vendor call: same certificate and identical content.
fn same_push(a: &outbox::Claimed, b: &outbox::Claimed) -> bool {
    a.certificate_id == b.certificate_id
        && a.notify_id == b.notify_id
        && a.push_title == b.push_title
        && a.push_desc == b.push_desc
        && a.push_ext == b.push_ext
        && a.channel_id == b.channel_id
        && a.sound == b.sound
}

fn random4() -> [u8; 4] {
    let b = random_bytes(4);
    [b[0], b[1], b[2], b[3]]
}

/// The de-duplication key of a message to one receiver.
fn hash_for(content: &str, to: &str) -> String {
    token_digest(&format!("{content}\n{to}"))
}
