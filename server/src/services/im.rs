//! The client SDK's side: login with a UserSig, the connection that makes a device online, the
//! device token report, logout.

use app::domain::{
    AppError, Platform, Rule, Sdkappid, Vendor, msg_key, parse_device_token, parse_user_id,
};
use serde::Serialize;

use super::token_writes::TokenBinding;
use super::{Services, db_err, internal};
use crate::crypto::usersig;
use crate::crypto::{new_api_token, random_hex, token_digest};
use crate::store::certificates as certs;
use crate::store::sessions::{self, SessionRow};
use crate::store::{accounts, device_tokens, messages};

/// A login: the session token the SDK presents from now on.
#[derive(Debug, Clone, Serialize)]
pub struct SdkLogin {
    pub session: String,
    pub user_id: String,
    /// Sessions of the same user on the same platform that this login ended.
    pub kicked: u64,
}

/// Seconds a connection counts as online without renewal: a crashed instance's devices go
/// offline (and get pushes again) at most this long after it died.
pub const ONLINE_LEASE: i64 = 30;

/// Messages older than this are not delivered on reconnect (Tencent keeps offline messages
/// for 7 days).
const INBOX_DAYS: i64 = 7;

/// At most this many messages per read of the inbox.
pub const INBOX_BATCH: usize = 100;

/// An open connection of a login.
#[derive(Debug, Clone)]
pub struct Connection {
    pub token_digest: String,
    pub sdkappid: i64,
    pub user_id: String,
    /// Tells this connection from a newer one of the same login.
    pub id: String,
}

/// A message delivered in-band, as the connection sends it.
#[derive(Debug, Serialize)]
pub struct InboxMessage {
    #[serde(skip)]
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub msg_key: String,
    pub from_account: String,
    pub msg_seq: i64,
    pub msg_random: i64,
    pub msg_time: i64,
    pub msg_body: serde_json::Value,
}

/// What a connection has to do next.
#[derive(Debug)]
pub enum Inbox {
    /// Messages to send, oldest first (possibly none).
    Messages(Vec<InboxMessage>),
    /// The login ended (`kicked` or `logged_out`): say so and close.
    Ended(&'static str),
}

fn session_error(key: &str) -> AppError {
    AppError::invalid(
        "session",
        Rule::Other {
            key: key.to_owned(),
        },
    )
}

impl Services {
    /// Logs a user in with a UserSig made with the app's secret key. The account is created on
    /// first login; beyond the app's devices per platform (1 by default, as Tencent's), the
    /// user's oldest login on that platform is kicked, and its tokens stop receiving pushes.
    pub async fn sdk_login(
        &self,
        sdkappid: &str,
        user_id: &str,
        user_sig: &str,
        platform: &str,
    ) -> Result<SdkLogin, AppError> {
        let app = self.app_row(Sdkappid::parse(sdkappid)?).await?;
        let user_id = parse_user_id(user_id)?;
        let platform = match platform.trim() {
            "" => Platform::Android,
            p => Platform::parse(p).map_err(|_| {
                AppError::invalid(
                    "platform",
                    Rule::OneOf {
                        allowed: Platform::ALL
                            .iter()
                            .map(|p| p.as_str().to_owned())
                            .collect(),
                    },
                )
            })?,
        };
        let key = self
            .secrets
            .open(&app.secret_key)
            .map_err(|e| internal("opening app secret key", format!("{e:#}")))?;
        let now = self.clock.now();
        usersig::verify(user_sig, app.sdkappid, key.expose(), &user_id, now)
            .map_err(|e| AppError::invalid("user_sig", Rule::UserSig { code: e.code() }))?;
        let session = new_api_token();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        accounts::ensure_account(&mut *tx, app.sdkappid, &user_id, now).await?;
        let keep = app.devices_per_platform.max(1) - 1;
        let kicked = sessions::kick_beyond(
            &mut *tx,
            app.sdkappid,
            &user_id,
            platform.as_str(),
            keep,
            now,
        )
        .await?;
        sessions::insert_session(
            &mut *tx,
            &token_digest(session.expose()),
            app.sdkappid,
            &user_id,
            platform.as_str(),
            now,
        )
        .await?;
        device_tokens::unbind_ended(&mut *tx, app.sdkappid, &user_id).await?;
        tx.commit().await.map_err(db_err)?;
        if kicked > 0 {
            self.user_event(app.sdkappid, &user_id);
        }
        Ok(SdkLogin {
            session: session.expose().to_owned(),
            user_id,
            kicked,
        })
    }

    async fn active_session(&self, session: &str) -> Result<SessionRow, AppError> {
        if session.trim().is_empty() {
            return Err(AppError::invalid("session", Rule::Required));
        }
        let row = sessions::session(&self.db, &token_digest(session.trim()))
            .await?
            .ok_or_else(|| session_error("rule.session_unknown"))?;
        match row.state.as_str() {
            "active" => Ok(row),
            "kicked" => Err(session_error("rule.session_kicked")),
            _ => Err(session_error("rule.session_logged_out")),
        }
    }

    /// The login behind a connection request, refused like any other SDK call when it ended.
    pub async fn sdk_connect(&self, session: &str) -> Result<SessionRow, AppError> {
        self.active_session(session).await
    }

    /// The connection is open: the login is online until the lease runs out, and this
    /// connection supersedes any earlier one of the same login. `None` when the login ended
    /// meanwhile.
    pub async fn sdk_online(&self, login: &SessionRow) -> Result<Option<Connection>, AppError> {
        let id = random_hex(8);
        let until = self.clock.now() + ONLINE_LEASE;
        if !sessions::go_online(&self.db, &login.token_digest, &id, until).await? {
            return Ok(None);
        }
        Ok(Some(Connection {
            token_digest: login.token_digest.clone(),
            sdkappid: login.sdkappid,
            user_id: login.user_id.clone(),
            id,
        }))
    }

    pub async fn sdk_renew(&self, c: &Connection) -> Result<(), AppError> {
        sessions::renew_online(
            &self.db,
            &c.token_digest,
            &c.id,
            self.clock.now() + ONLINE_LEASE,
        )
        .await?;
        Ok(())
    }

    pub async fn sdk_offline(&self, c: &Connection) -> Result<(), AppError> {
        sessions::go_offline(&self.db, &c.token_digest, &c.id).await?;
        Ok(())
    }

    /// What the connection should send now: messages not yet delivered on this login, or
    /// that the login ended.
    pub async fn sdk_inbox(&self, c: &Connection) -> Result<Inbox, AppError> {
        let login = sessions::session(&self.db, &c.token_digest)
            .await?
            .ok_or_else(|| session_error("rule.session_unknown"))?;
        match login.state.as_str() {
            "active" => {}
            "kicked" => return Ok(Inbox::Ended("kicked")),
            _ => return Ok(Inbox::Ended("logged_out")),
        }
        let rows = messages::inbox(
            &self.db,
            c.sdkappid,
            &c.user_id,
            login.delivered_id,
            self.clock.now() - INBOX_DAYS * 86_400,
            INBOX_BATCH as i64,
        )
        .await?;
        let mut messages = Vec::with_capacity(rows.len());
        for r in rows {
            messages.push(InboxMessage {
                id: r.id,
                kind: "message",
                msg_key: msg_key(r.msg_seq, r.msg_random, r.msg_time),
                from_account: r.from_account,
                msg_seq: r.msg_seq,
                msg_random: r.msg_random,
                msg_time: r.msg_time,
                msg_body: serde_json::from_str(&r.body)
                    .map_err(|e| internal("stored MsgBody", e))?,
            });
        }
        Ok(Inbox::Messages(messages))
    }

    /// The connection sent every message up to `id`.
    pub async fn sdk_delivered(&self, c: &Connection, id: i64) -> Result<(), AppError> {
        messages::delivered(&self.db, &c.token_digest, id).await?;
        Ok(())
    }

    /// Events for the users connected to this instance: see [`Services::user_event`].
    pub fn user_events(&self) -> tokio::sync::broadcast::Receiver<(i64, String)> {
        self.user_events.subscribe()
    }

    /// Tells this instance's connections of the user to look at their inbox and login again.
    pub(crate) fn user_event(&self, sdkappid: i64, user_id: &str) {
        // No receiver means no connection here: nothing to tell.
        let _ = self.user_events.send((sdkappid, user_id.to_owned()));
    }

    /// `setOfflinePushToken(businessID, token)`: binds the device token to the logged-in user
    /// under that certificate. Reporting it again changes nothing; a token reported by another
    /// user moves to them.
    pub async fn sdk_push_token(
        &self,
        session: &str,
        business_id: &str,
        token: &str,
    ) -> Result<(), AppError> {
        let session = self.active_session(session).await?;
        let id = business_id
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                AppError::invalid(
                    "business_id",
                    if business_id.trim().is_empty() {
                        Rule::Required
                    } else {
                        Rule::Other {
                            key: "rule.integer".into(),
                        }
                    },
                )
            })?;
        let Some(cert) = certs::get(&self.db, session.sdkappid, id).await? else {
            let elsewhere = certs::app_of(&self.db, id).await?.is_some();
            return Err(AppError::invalid(
                "business_id",
                Rule::Other {
                    key: if elsewhere {
                        "rule.certificate_other_app"
                    } else {
                        "rule.unknown_certificate"
                    }
                    .into(),
                },
            ));
        };
        let vendor =
            Vendor::parse(&cert.vendor).map_err(|_| internal("stored vendor", &cert.vendor))?;
        let token = parse_device_token(vendor, token)?;
        self.token_writes
            .bind(TokenBinding {
                certificate_id: cert.id,
                token,
                session,
                now: self.clock.now(),
            })
            .await
    }

    /// Logout: the session ends and its device tokens are unbound, so nothing is pushed there.
    pub async fn sdk_logout(&self, session: &str) -> Result<(), AppError> {
        let session = self.active_session(session).await?;
        let mut tx = self.db.begin().await.map_err(db_err)?;
        sessions::end_session(&mut *tx, &session.token_digest, self.clock.now()).await?;
        device_tokens::unbind_ended(&mut *tx, session.sdkappid, &session.user_id).await?;
        tx.commit().await.map_err(db_err)?;
        self.user_event(session.sdkappid, &session.user_id);
        Ok(())
    }
}
