//! The client SDK's side: login with a UserSig, the device token report, logout.

use app::domain::{AppError, Platform, Rule, Vendor, parse_device_token, parse_user_id};
use serde::Serialize;

use super::{Services, db_err, internal};
use crate::crypto::{new_api_token, token_digest};
use crate::im::usersig;
use crate::store::certificates as certs;
use crate::store::im::{self as store, SessionRow};
use crate::unix_now;

/// A login: the session token the SDK presents from now on.
#[derive(Debug, Clone, Serialize)]
pub struct SdkLogin {
    pub session: String,
    pub user_id: String,
    /// Sessions of the same user on the same platform that this login ended.
    pub kicked: u64,
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
    /// first login; an earlier login of the user on the same platform is kicked (Tencent's
    /// default multi-device policy), and its tokens stop receiving pushes.
    pub async fn sdk_login(
        &self,
        sdkappid: &str,
        user_id: &str,
        user_sig: &str,
        platform: &str,
    ) -> Result<SdkLogin, AppError> {
        let app = self.app_row(sdkappid).await?;
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
        let now = unix_now();
        usersig::verify(user_sig, app.sdkappid, key.expose(), &user_id, now)
            .map_err(|e| AppError::invalid("user_sig", Rule::UserSig { code: e.code() }))?;
        let session = new_api_token();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        store::ensure_account(&mut *tx, app.sdkappid, &user_id, now).await?;
        let kicked =
            store::kick_platform(&mut *tx, app.sdkappid, &user_id, platform.as_str(), now).await?;
        store::insert_session(
            &mut *tx,
            &token_digest(session.expose()),
            app.sdkappid,
            &user_id,
            platform.as_str(),
            now,
        )
        .await?;
        store::unbind_ended(&mut *tx, app.sdkappid, &user_id).await?;
        tx.commit().await.map_err(db_err)?;
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
        let row = store::session(&self.db, &token_digest(session.trim()))
            .await?
            .ok_or_else(|| session_error("rule.session_unknown"))?;
        match row.state.as_str() {
            "active" => Ok(row),
            "kicked" => Err(session_error("rule.session_kicked")),
            _ => Err(session_error("rule.session_logged_out")),
        }
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
        store::bind_token(&self.db, cert.id, &token, &session, unix_now()).await?;
        Ok(())
    }

    /// Logout: the session ends and its device tokens are unbound, so nothing is pushed there.
    pub async fn sdk_logout(&self, session: &str) -> Result<(), AppError> {
        let session = self.active_session(session).await?;
        let mut tx = self.db.begin().await.map_err(db_err)?;
        store::end_session(&mut *tx, &session.token_digest, unix_now()).await?;
        store::unbind_ended(&mut *tx, session.sdkappid, &session.user_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}
