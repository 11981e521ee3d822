use std::net::IpAddr;

use async_trait::async_trait;

use crate::domain::{
    AppDetail, AppError, AppSummary, AuditEntry, CertificateDraft, CertificateList,
    CertificateView, CreatedToken, DeviceView, DiagnoseQuery, Diagnosis, GeneratedUserSig, NewApp,
    PhoneSession, PushRecordDetail, PushRecordPage, PushRecordQuery, PushStats, SandboxAppView,
    SandboxSendResult, ShadeItem, TestPushDraft, TestPushResult, TokenView, UserView, VendorStatus,
};

/// Where the session keeps the signed-in console user's id.
pub const SESSION_USER_KEY: &str = "console_user_id";

/// Who is calling, for throttling and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub ip: IpAddr,
}

/// The console's use cases. The server implements it over its services; server functions and
/// `/api/v1` both call it, so every rule lives in one place. Raw strings go in: parsing is the
/// backend's first step, so both edges get the same field errors.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn needs_setup(&self) -> Result<bool, AppError>;
    async fn create_owner(
        &self,
        username: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<UserView, AppError>;
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<UserView, AppError>;
    async fn sign_out(&self, user: &UserView) -> Result<(), AppError>;
    /// The user behind a session, refused if disabled or gone.
    async fn active_user(&self, id: i64) -> Result<UserView, AppError>;

    async fn list_apps(&self, by: &UserView) -> Result<Vec<AppSummary>, AppError>;
    async fn create_app(&self, by: &UserView, name: &str) -> Result<NewApp, AppError>;
    async fn get_app(&self, by: &UserView, sdkappid: &str) -> Result<AppDetail, AppError>;
    async fn set_platforms(
        &self,
        by: &UserView,
        sdkappid: &str,
        platforms: &[String],
    ) -> Result<AppDetail, AppError>;
    async fn set_login_policy(
        &self,
        by: &UserView,
        sdkappid: &str,
        devices_per_platform: &str,
    ) -> Result<AppDetail, AppError>;
    async fn reveal_secret_key(&self, by: &UserView, sdkappid: &str) -> Result<String, AppError>;
    /// A UserSig signed with the app's secret key, for trying the client side; owner and admin.
    async fn generate_usersig(
        &self,
        by: &UserView,
        sdkappid: &str,
        identifier: &str,
        expire: &str,
    ) -> Result<GeneratedUserSig, AppError>;

    async fn list_certificates(
        &self,
        by: &UserView,
        sdkappid: &str,
    ) -> Result<CertificateList, AppError>;
    async fn get_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<CertificateView, AppError>;
    async fn add_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError>;
    /// An empty secret keeps the stored one.
    async fn edit_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError>;
    async fn delete_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<(), AppError>;

    /// Sends through the delivery path every push takes; developers and up.
    async fn send_test_push(
        &self,
        by: &UserView,
        sdkappid: &str,
        draft: &TestPushDraft,
    ) -> Result<TestPushResult, AppError>;
    async fn list_push_records(
        &self,
        by: &UserView,
        sdkappid: &str,
        query: &PushRecordQuery,
    ) -> Result<PushRecordPage, AppError>;
    async fn get_push_record(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<PushRecordDetail, AppError>;
    async fn query_vendor_status(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<VendorStatus, AppError>;
    async fn phone_sign_in(
        &self,
        by: &UserView,
        sdkappid: &str,
        certificate_id: &str,
        user_id: &str,
    ) -> Result<PhoneSession, AppError>;
    async fn phone_shade(&self, by: &UserView, reg_id: &str) -> Result<Vec<ShadeItem>, AppError>;
    async fn phone_logout(&self, session: &str) -> Result<(), AppError>;
    async fn diagnose(
        &self,
        by: &UserView,
        sdkappid: &str,
        query: &DiagnoseQuery,
    ) -> Result<Diagnosis, AppError>;
    async fn list_devices(
        &self,
        by: &UserView,
        sdkappid: &str,
        user_id: &str,
    ) -> Result<Vec<DeviceView>, AppError>;
    async fn push_stats(
        &self,
        by: &UserView,
        sdkappid: &str,
        window: &str,
    ) -> Result<PushStats, AppError>;

    async fn list_users(&self, by: &UserView) -> Result<Vec<UserView>, AppError>;
    async fn create_user(
        &self,
        by: &UserView,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<UserView, AppError>;
    async fn set_role(
        &self,
        by: &UserView,
        username: &str,
        role: &str,
    ) -> Result<UserView, AppError>;
    async fn set_disabled(
        &self,
        by: &UserView,
        username: &str,
        disabled: bool,
    ) -> Result<UserView, AppError>;

    async fn list_tokens(&self, by: &UserView) -> Result<Vec<TokenView>, AppError>;
    async fn create_token(&self, by: &UserView, name: &str) -> Result<CreatedToken, AppError>;
    async fn revoke_token(&self, by: &UserView, id: i64) -> Result<(), AppError>;

    async fn list_audit(
        &self,
        by: &UserView,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, AppError>;

    /// `None` when the sandbox is not enabled on this deployment.
    async fn sandbox_apps(&self, by: &UserView) -> Result<Option<Vec<SandboxAppView>>, AppError>;
    async fn sandbox_create_app(&self, by: &UserView, package_name: &str) -> Result<(), AppError>;
    async fn sandbox_add_device(
        &self,
        by: &UserView,
        package_name: &str,
    ) -> Result<String, AppError>;
    /// Sends through the same MiPush client real pushes use, to the sandbox region.
    async fn sandbox_send(
        &self,
        by: &UserView,
        reg_id: &str,
        title: &str,
        description: &str,
    ) -> Result<SandboxSendResult, AppError>;
}
