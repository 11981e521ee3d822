//! IM messages from the app's back end: accounts, kicks, state, and messages whose offline-push
//! decision is written in the same transaction as the message (the outbox, see
//! [`super::message_writes`]), for the dispatcher to send. Errors are [`ImError`]s; the `/v4`
//! edge gives them Tencent's codes.

use std::collections::HashSet;

use app::domain::{DEFAULT_TITLE, PushOutcome, Sdkappid, msg_key, parse_user_id};

use super::Services;
use super::message_writes::NewSend;
use crate::crypto::{token_digest, usersig};
use crate::store::device_tokens;
use crate::store::sessions;
use crate::store::{StoreError, accounts};

/// The identifier whose UserSig authorizes `/v4` calls (Tencent's default App admin).
pub const ADMIN_IDENTIFIER: &str = "administrator";

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
    /// `skipped` push record). A resend within 120 s answers as the first send did. Sends that
    /// arrive together share their reads and their transaction ([`super::message_writes`]).
    pub async fn rest_send(
        &self,
        sdkappid: i64,
        to: &[String],
        msg: &OutgoingMessage,
    ) -> Result<Vec<SendAck>, ImError> {
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
        // Each receiver once, in the order given.
        let mut seen = HashSet::new();
        let receivers: Vec<(String, String)> = to
            .iter()
            .filter(|u| seen.insert(u.as_str()))
            .map(|u| (u.clone(), hash_for(&hash, u)))
            .collect();
        let send = NewSend {
            sdkappid,
            from: msg
                .from
                .clone()
                .unwrap_or_else(|| ADMIN_IDENTIFIER.to_owned()),
            from_given: msg.from.is_some(),
            single: to.len() == 1,
            random: msg.random,
            // One MsgSeq and one notify_id for the whole call: a batch has one MsgKey (as
            // Tencent answers), and its pushes share their content, so they go out together.
            seq: msg
                .seq
                .unwrap_or_else(|| i64::from(crate::dispatch::notify_id())),
            notify_id: i64::from(crate::dispatch::notify_id()),
            receivers: receivers.clone(),
            body: msg.body.clone(),
            title,
            desc,
            ext: msg.push.ext.clone().unwrap_or_default(),
            channel_id: msg.push.channel_id.clone(),
            sound: msg.push.sound.clone(),
            push_flag: msg.push.push_flag,
        };
        let accepted = self.message_writes.accept(send).await?;
        for _ in 0..accepted.skipped {
            self.metrics
                .count_push("xiaomi", PushOutcome::Skipped, None);
        }
        for user in &accepted.stored {
            self.user_event(sdkappid, user);
        }
        if accepted.queued > 0 {
            self.dispatcher.queued();
        }
        Ok(receivers
            .into_iter()
            .map(|(user, hash)| {
                let (msg_key, msg_time, error) = if !accepted.existing.contains(&user) {
                    (String::new(), accepted.now, Some(ImError::UnknownReceiver))
                } else if let Some((seq, time)) = accepted.resent.get(&hash) {
                    (msg_key(*seq, msg.random, *time), *time, None)
                } else {
                    (accepted.key.clone(), accepted.now, None)
                };
                SendAck {
                    to_account: user,
                    msg_time,
                    msg_key,
                    error,
                }
            })
            .collect())
    }
}

/// The de-duplication key of a message to one receiver.
fn hash_for(content: &str, to: &str) -> String {
    token_digest(&format!("{content}\n{to}"))
}
