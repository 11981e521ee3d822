//! IM messages from the app's back end: accounts, kicks, state, and messages whose offline-push
//! decision is written in the same transaction as the message (the outbox), for the dispatcher
//! to send. Errors are [`ImError`]s; the `/v4` edge gives them Tencent's codes.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use app::domain::{
    CheckState, DEFAULT_TITLE, PushKind, PushOutcome, Sdkappid, SkipReason, Vendor, msg_key,
    parse_user_id,
};

use super::Services;
use crate::crypto::{token_digest, usersig};
use crate::store::certificates::{self as certs, serving};
use crate::store::device_tokens::{self, Receiver};
use crate::store::messages::{self, NewMessage};
use crate::store::outbox::{self, NewPush};
use crate::store::push::{self as records, NewRecord};
use crate::store::sessions::{self, LoginState};
use crate::store::{StoreError, accounts};

/// The identifier whose UserSig authorizes `/v4` calls (Tencent's default App admin).
pub const ADMIN_IDENTIFIER: &str = "administrator";

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
#[derive(Debug)]
pub struct SendAck {
    pub to_account: String,
    pub msg_time: i64,
    pub msg_key: String,
    /// Why this receiver could not be sent to.
    pub error: Option<ImError>,
}

/// Why an IM call was refused, in the domain's words.
#[derive(Debug, thiserror::Error)]
pub enum ImError {
    #[error("SDKAppID is invalid or unknown")]
    UnknownApp,
    #[error("the request needs the App administrator (identifier=administrator)")]
    NotAdministrator,
    #[error(transparent)]
    UserSig(#[from] usersig::SigError),
    #[error("UserID must be 1–32 bytes without control characters")]
    InvalidUserId,
    #[error("Nick and FaceUrl may be at most 500 bytes")]
    ProfileTooLong,
    #[error("the UserID does not exist")]
    UnknownAccount,
    #[error("From_Account does not exist")]
    UnknownSender,
    #[error("To_Account is not registered or does not exist")]
    UnknownReceiver,
    /// Logged where it happened; the caller may try again.
    #[error("internal error; please retry")]
    Internal,
}

impl From<StoreError> for ImError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "database");
        Self::Internal
    }
}

impl From<sqlx::Error> for ImError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from_sqlx(e).into()
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
    ) -> Result<i64, ImError> {
        let sdkappid = Sdkappid::parse(sdkappid).map_err(|_| ImError::UnknownApp)?;
        let app = self
            .app_row(sdkappid)
            .await
            .map_err(|_| ImError::UnknownApp)?;
        if identifier != ADMIN_IDENTIFIER {
            return Err(ImError::NotAdministrator);
        }
        let key = self.secrets.open(&app.secret_key).map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "opening an app's secret key");
            ImError::Internal
        })?;
        usersig::verify(
            sig,
            app.sdkappid,
            key.expose(),
            identifier,
            self.clock.now(),
        )?;
        Ok(app.sdkappid)
    }

    pub async fn rest_account_import(
        &self,
        sdkappid: i64,
        user_id: &str,
        nick: &str,
        face_url: &str,
    ) -> Result<(), ImError> {
        let user = parse_user_id(user_id).map_err(|_| ImError::InvalidUserId)?;
        if nick.len() > 500 || face_url.len() > 500 {
            return Err(ImError::ProfileTooLong);
        }
        accounts::upsert_account(&self.db, sdkappid, &user, nick, face_url, self.clock.now())
            .await?;
        Ok(())
    }

    /// Ends every login of the user: their devices get no offline push until they log in again.
    pub async fn rest_kick(&self, sdkappid: i64, user_id: &str) -> Result<(), ImError> {
        if !accounts::account_exists(&self.db, sdkappid, user_id).await? {
            return Err(ImError::UnknownAccount);
        }
        let mut tx = self.db.begin().await?;
        sessions::kick_all(&mut *tx, sdkappid, user_id, self.clock.now()).await?;
        device_tokens::unbind_ended(&mut *tx, sdkappid, user_id).await?;
        tx.commit().await?;
        self.user_event(sdkappid, user_id);
        Ok(())
    }

    /// `Online` while a connection is open, `PushOnline` with a device token of a live login
    /// (a push reaches it), else `Offline`. Unknown accounts come back apart.
    pub async fn rest_query_state(
        &self,
        sdkappid: i64,
        users: &[String],
    ) -> Result<(Vec<(String, &'static str)>, Vec<String>), ImError> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for user in users {
            if !accounts::account_exists(&self.db, sdkappid, user).await? {
                missing.push(user.clone());
                continue;
            }
            let state = if sessions::is_online(&self.db, sdkappid, user, self.clock.now()).await? {
                "Online"
            } else if device_tokens::bound_tokens(&self.db, sdkappid, user)
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
    ) -> Result<Vec<SendAck>, ImError> {
        let from = msg
            .from
            .clone()
            .unwrap_or_else(|| ADMIN_IDENTIFIER.to_owned());
        if msg.from.is_some() && !accounts::account_exists(&self.db, sdkappid, &from).await? {
            return Err(ImError::UnknownSender);
        }
        let now = self.clock.now();
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
            .unwrap_or_else(|| i64::from(crate::dispatch::notify_id()));
        let notify_id = i64::from(crate::dispatch::notify_id());
        let key = msg_key(seq, msg.random, now);

        // Each receiver once, in the order given.
        let mut seen = HashSet::new();
        let names: Vec<String> = to
            .iter()
            .filter(|u| seen.insert(u.as_str()))
            .cloned()
            .collect();
        let existing = accounts::existing_accounts(&self.db, sdkappid, &names).await?;
        if to.len() == 1 && existing.is_empty() {
            return Err(ImError::UnknownReceiver);
        }
        let hashes: Vec<String> = names.iter().map(|u| hash_for(&hash, u)).collect();
        let resent = messages::duplicates(
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
        let devices = device_tokens::receivers_of(&self.db, sdkappid, &fresh_users).await?;
        let logins = sessions::login_states(&self.db, sdkappid, &fresh_users, now).await?;
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
        let mut tx = self.db.begin().await?;
        let ids = messages::insert_messages(&mut tx, &new_messages).await?;
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
                user_id: Some(user),
                msg_key: Some(&key),
                ..NewRecord::of(
                    sdkappid,
                    *certificate_id,
                    PushKind::Offline,
                    token,
                    &title,
                    &desc,
                )
                .skipped(*reason)
            })
            .collect();
        records::insert_records(&mut tx, &rows, now).await?;
        tx.commit().await?;
        for _ in &skipped {
            self.metrics
                .count_push("xiaomi", PushOutcome::Skipped, None);
        }
        for user in &fresh_users {
            self.user_event(sdkappid, user);
        }
        if !pushes.is_empty() {
            self.dispatcher.queued();
        }
        Ok(names
            .iter()
            .zip(&hashes)
            .map(|(user, hash)| {
                let (msg_key, msg_time, error) = if !existing.contains(user) {
                    (String::new(), now, Some(ImError::UnknownReceiver))
                } else if let Some((seq, time)) = resent.get(hash) {
                    (msg_key(*seq, msg.random, *time), *time, None)
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
    ) -> Result<Result<(), SkipReason>, ImError> {
        let Some(cert) = certs::get(&self.db, sdkappid, certificate_id).await? else {
            return Ok(Err(SkipReason::CertificateDeleted));
        };
        if !Vendor::parse(&cert.vendor).is_ok_and(Vendor::sends) {
            return Ok(Err(SkipReason::VendorNotSupported));
        }
        let versions = certs::versions(&self.db, cert.id).await?;
        if serving(&versions, now).is_some() {
            return Ok(Ok(()));
        }
        let refused = versions
            .last()
            .is_some_and(|v| v.check_state == CheckState::Invalid);
        Ok(Err(if refused {
            SkipReason::CertificateInvalid
        } else {
            SkipReason::CertificatePending
        }))
    }
}

/// A skipped push: (user, certificate, token, reason).
type Skipped<'a> = (&'a str, Option<i64>, String, SkipReason);

/// The push decision for one receiver's devices: an outbox row for each device that can be
/// pushed, a skipped record for each that cannot (online ones included), and one record for a
/// receiver without any device, saying why.
#[allow(clippy::too_many_arguments)]
fn decide<'a>(
    message_id: i64,
    user: &'a str,
    devices: impl Iterator<Item = &'a Receiver>,
    login: &LoginState,
    certificates: &HashMap<i64, Result<(), SkipReason>>,
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
                    skipped.push((user, None, r.token.clone(), SkipReason::CertificateDeleted))
                }
                Err(reason) => skipped.push(skip(reason)),
            }
        }
    }
    if !any {
        let reason = if login.online {
            SkipReason::Online
        } else {
            match login.latest.as_deref() {
                Some("logged_out") => SkipReason::UserLoggedOut,
                Some("kicked") => SkipReason::Kicked,
                _ => SkipReason::NoToken,
            }
        };
        skipped.push((user, None, String::new(), reason));
    }
}

/// The de-duplication key of a message to one receiver.
fn hash_for(content: &str, to: &str) -> String {
    token_digest(&format!("{content}\n{to}"))
}
