use std::net::IpAddr;

use async_trait::async_trait;

use crate::domain::{
    AppDetail, AppError, AppSummary, AuditEntry, CertificateDraft, CertificateId, CertificateList,
    CertificateView, CreatedToken, DeviceView, DiagnoseQuery, Diagnosis, GeneratedUserSig, NewApp,
    PhoneSession, PushRecordDetail, PushRecordPage, PushRecordQuery, PushStats, RecordId,
    SandboxAppView, SandboxSendResult, Sdkappid, ShadeItem, TestPushDraft, TestPushResult,
    TokenView, UserView, VendorStatus,
};

/// Where the session keeps the signed-in console user's id.
pub const SESSION_USER_KEY: &str = "console_user_id";

/// Who is calling, for throttling and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct ClientInfo {
    pub ip: IpAddr,
}

/// The console's use cases, one trait per resource, each implemented by the server in the
/// service file of that resource; server functions and `/api/v1` both call them, so every rule
/// lives in one place. Ids are parsed at the edge (`Sdkappid`, `CertificateId`, `RecordId`);
/// the fields of a form go in raw, as parsing them is the service's first step, so both edges
/// get the same field errors.
pub trait Backend:
    AuthBackend
    + AppsBackend
    + CertificatesBackend
    + PushBackend
    + DiagnoseBackend
    + PhoneBackend
    + UsersBackend
    + TokensBackend
    + AuditBackend
    + SandboxBackend
    + 'static
{
}

impl<T> Backend for T where
    T: AuthBackend
        + AppsBackend
        + CertificatesBackend
        + PushBackend
        + DiagnoseBackend
        + PhoneBackend
        + UsersBackend
        + TokensBackend
        + AuditBackend
        + SandboxBackend
        + 'static
{
}

/// Setup, sign-in and the signed-in user (`services/auth.rs`).
#[async_trait]
pub trait AuthBackend: Send + Sync {
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
    async fn active_user(&self, id: i64) -> Result<UserView, AppError>;
}

/// IM apps: platforms, login policy, secret key, UserSig (`services/apps.rs`).
#[async_trait]
pub trait AppsBackend: Send + Sync {
    async fn list_apps(&self, by: &UserView) -> Result<Vec<AppSummary>, AppError>;
    async fn create_app(&self, by: &UserView, name: &str) -> Result<NewApp, AppError>;
    async fn get_app(&self, by: &UserView, sdkappid: Sdkappid) -> Result<AppDetail, AppError>;
    async fn set_platforms(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        platforms: &[String],
    ) -> Result<AppDetail, AppError>;
    async fn set_login_policy(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        devices_per_platform: &str,
    ) -> Result<AppDetail, AppError>;
    async fn reveal_secret_key(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
    ) -> Result<String, AppError>;
    async fn generate_usersig(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        identifier: &str,
        expire: &str,
    ) -> Result<GeneratedUserSig, AppError>;
}

/// Push certificates (`services/certificates.rs`).
#[async_trait]
pub trait CertificatesBackend: Send + Sync {
    async fn list_certificates(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
    ) -> Result<CertificateList, AppError>;
    async fn get_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
    ) -> Result<CertificateView, AppError>;
    async fn add_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError>;
    async fn edit_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError>;
    async fn delete_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
    ) -> Result<(), AppError>;
}

/// Test pushes, push records and their statistics (`services/push.rs`).
#[async_trait]
pub trait PushBackend: Send + Sync {
    async fn send_test_push(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        draft: &TestPushDraft,
    ) -> Result<TestPushResult, AppError>;
    async fn list_push_records(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        query: &PushRecordQuery,
    ) -> Result<PushRecordPage, AppError>;
    async fn get_push_record(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: RecordId,
    ) -> Result<PushRecordDetail, AppError>;
    async fn query_vendor_status(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: RecordId,
    ) -> Result<VendorStatus, AppError>;
    async fn push_stats(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        window: &str,
    ) -> Result<PushStats, AppError>;
}

/// Why a push did or did not arrive, and a user's devices (`services/diagnose.rs`).
#[async_trait]
pub trait DiagnoseBackend: Send + Sync {
    async fn diagnose(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        query: &DiagnoseQuery,
    ) -> Result<Diagnosis, AppError>;
    async fn list_devices(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        user_id: &str,
    ) -> Result<Vec<DeviceView>, AppError>;
}

/// The console's phone mock-up (`services/phone.rs`).
#[async_trait]
pub trait PhoneBackend: Send + Sync {
    async fn phone_sign_in(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        certificate_id: &str,
        user_id: &str,
    ) -> Result<PhoneSession, AppError>;
    async fn phone_shade(&self, by: &UserView, reg_id: &str) -> Result<Vec<ShadeItem>, AppError>;
    async fn phone_tap(
        &self,
        by: &UserView,
        reg_id: &str,
        message_id: &str,
    ) -> Result<(), AppError>;
    async fn phone_logout(&self, session: &str) -> Result<(), AppError>;
}

/// Console users and roles (`services/users.rs`).
#[async_trait]
pub trait UsersBackend: Send + Sync {
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
}

/// Personal API tokens (`services/tokens.rs`).
#[async_trait]
pub trait TokensBackend: Send + Sync {
    async fn list_tokens(&self, by: &UserView) -> Result<Vec<TokenView>, AppError>;
    async fn create_token(&self, by: &UserView, name: &str) -> Result<CreatedToken, AppError>;
    async fn revoke_token(&self, by: &UserView, id: i64) -> Result<(), AppError>;
}

/// The audit log (`services/audit.rs`).
#[async_trait]
pub trait AuditBackend: Send + Sync {
    async fn list_audit(
        &self,
        by: &UserView,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, AppError>;
}

/// The MiPush sandbox's console side (`services/sandbox.rs`).
#[async_trait]
pub trait SandboxBackend: Send + Sync {
    async fn sandbox_apps(&self, by: &UserView) -> Result<Option<Vec<SandboxAppView>>, AppError>;
    async fn sandbox_create_app(&self, by: &UserView, package_name: &str) -> Result<(), AppError>;
    async fn sandbox_add_device(
        &self,
        by: &UserView,
        package_name: &str,
    ) -> Result<String, AppError>;
    async fn sandbox_send(
        &self,
        by: &UserView,
        reg_id: &str,
        title: &str,
        description: &str,
    ) -> Result<SandboxSendResult, AppError>;
}
