//! The virtual phone: the console plays a client app on a sandbox device — `registerPush`,
//! login with a UserSig, `setOfflinePushToken` — through the same services the SDK API uses.

use app::api::{CertificatesBackend, PhoneBackend};
use app::domain::{
    AppError, CertificateId, PhoneSession, Rule, Sdkappid, ShadeItem, UserView, Vendor,
    parse_user_id,
};
use async_trait::async_trait;

use super::{Services, internal, require};
use crate::crypto::usersig;
use crate::store::certificates as certs;
use crate::store::sandbox;

/// How long the phone's UserSig is valid.
const PHONE_USERSIG_TTL: i64 = 86_400;

fn certificate_error(key: &str) -> AppError {
    AppError::invalid(
        "certificate_id",
        Rule::Other {
            key: key.to_owned(),
        },
    )
}

#[async_trait]
impl PhoneBackend for Services {
    /// Registers a new sandbox device for the certificate's app, logs `user_id` in on it with a
    /// UserSig made with the app's secret key, and reports its regId with the certificate ID.
    async fn phone_sign_in(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        certificate_id: &str,
        user_id: &str,
    ) -> Result<PhoneSession, AppError> {
        require(by.role.can_test_push())?;
        if self.sandbox.is_none() {
            return Err(certificate_error("rule.sandbox_off"));
        }
        let app = self.app_row(sdkappid).await?;
        // Checked before anything is registered, so a refusal leaves nothing behind.
        let user_id = parse_user_id(user_id)?;
        let id = CertificateId::parse(certificate_id)
            .map_err(|_| AppError::invalid("certificate_id", Rule::Required))?;
        let cert = certs::get(&self.db, app.sdkappid, id.get())
            .await?
            .ok_or_else(|| certificate_error("rule.unknown_certificate"))?;
        if Vendor::parse(&cert.vendor) != Ok(Vendor::Xiaomi) {
            return Err(certificate_error("rule.phone_xiaomi_only"));
        }
        let view = self.get_certificate(by, sdkappid, id).await?;
        let package = view.settings.package_name.clone().unwrap_or_default();
        let sandbox_app = sandbox::app_by_package(&self.db, &package)
            .await?
            .filter(|a| Some(&a.app_id) == view.settings.app_id.as_ref())
            .ok_or_else(|| certificate_error("rule.phone_not_sandbox_app"))?;
        let reg_id = crate::sandbox::register_device(
            &self.db,
            &sandbox_app.package_name,
            &sandbox_app.app_id,
            &sandbox_app.app_key,
        )
        .await?;
        let key = self
            .secrets
            .open(&app.secret_key)
            .map_err(|e| internal("opening app secret key", format!("{e:#}")))?;
        let user_sig = usersig::generate(
            app.sdkappid,
            key.expose(),
            &user_id,
            self.clock.now(),
            PHONE_USERSIG_TTL,
            None,
        );
        let login = self
            .sdk_login(&sdkappid.to_string(), &user_id, &user_sig, "android")
            .await?;
        self.sdk_push_token(&login.session, &id.get().to_string(), &reg_id)
            .await?;
        Ok(PhoneSession {
            user_id: login.user_id,
            certificate_id: id.get(),
            reg_id,
            session: login.session,
        })
    }

    /// What the phone's notification shade shows, newest first.
    async fn phone_shade(&self, by: &UserView, reg_id: &str) -> Result<Vec<ShadeItem>, AppError> {
        require(by.role.can_test_push())?;
        if self.sandbox.is_none() {
            return Err(AppError::NotFound);
        }
        Ok(sandbox::notifications(&self.db, reg_id)
            .await?
            .into_iter()
            .map(|n| ShadeItem {
                message_id: n.message_id,
                title: n.title,
                description: n.description,
                received_at_ms: n.received_at,
            })
            .collect())
    }

    /// The user taps a notification in the phone's shade: the sandbox reports the click to
    /// whoever the push asked (its `extra.callback`), as Xiaomi would.
    async fn phone_tap(
        &self,
        by: &UserView,
        reg_id: &str,
        message_id: &str,
    ) -> Result<(), AppError> {
        require(by.role.can_test_push())?;
        let sandbox = self.sandbox.as_ref().ok_or(AppError::NotFound)?;
        sandbox.tap(reg_id, message_id).await
    }

    async fn phone_logout(&self, session: &str) -> Result<(), AppError> {
        self.sdk_logout(session).await
    }
}
