//! The domain rules that need I/O. [`Services`] implements the console's [`Backend`]; the server
//! functions and `/api/v1` both reach the rules only through it.

mod apps;
mod audit;
mod auth;
mod certificates;
mod diagnose;
pub mod im;
mod messages;
mod phone;

pub use messages::{ADMIN_IDENTIFIER, ImError, OfflinePush, OutgoingMessage, SendAck};
mod push;
mod sandbox;
mod token_writes;
mod tokens;
mod users;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use app::api::{Backend, ClientInfo};
use app::domain::{
    AppDetail, AppError, AppSummary, AuditEntry, CertificateDraft, CertificateList,
    CertificateView, CreatedToken, DeviceView, DiagnoseQuery, Diagnosis, GeneratedUserSig, NewApp,
    PhoneSession, PushRecordDetail, PushRecordPage, PushRecordQuery, PushStats, Role,
    SandboxAppView, SandboxSendResult, ShadeItem, TestPushDraft, TestPushResult, TokenView,
    UserView, VendorStatus,
};
use async_trait::async_trait;
use sqlx::AnyPool;

use crate::clock::Clock;
use crate::crypto::SecretBox;
use crate::dispatch::{DispatchError, Dispatcher, Vendors};
use crate::metrics::Metrics;
use crate::passwords::Passwords;
use crate::store::StoreError;
use crate::store::users::UserRow;
use crate::throttle::Throttle;
use crate::vendors::mipush::MiPushClient;

pub struct Services {
    db: AnyPool,
    secrets: Arc<SecretBox>,
    passwords: Passwords,
    throttle: Throttle,
    /// Once true, stays true: the owner exists and the setup page is gone for good.
    set_up: AtomicBool,
    mipush: MiPushClient,
    sandbox_enabled: bool,
    /// From saving a certificate to its being effective (the seed's "within 10 minutes").
    activation_delay: Duration,
    clock: Clock,
    dispatcher: Arc<Dispatcher>,
    metrics: Arc<Metrics>,
    /// (SDKAppID, user) whose connections on this instance have something to do: a message
    /// arrived, or a login ended. Connections on other instances find out by polling.
    user_events: tokio::sync::broadcast::Sender<(i64, String)>,
    /// The most receivers a `/v4` batchsendmsg takes.
    batchsend_max: usize,
    token_writes: token_writes::TokenWrites,
}

/// What [`Services::new`] is built from.
pub struct ServiceParts {
    pub db: AnyPool,
    pub secrets: Arc<SecretBox>,
    pub passwords: Passwords,
    pub mipush: MiPushClient,
    pub sandbox_enabled: bool,
    pub activation_delay: Duration,
    /// Whether the database is PostgreSQL (the outbox claims rows differently there).
    pub postgres: bool,
    pub clock: Clock,
}

impl Services {
    pub fn new(parts: ServiceParts) -> Self {
        let ServiceParts {
            db,
            secrets,
            passwords,
            mipush,
            sandbox_enabled,
            activation_delay,
            postgres,
            clock,
        } = parts;
        let metrics = Arc::new(Metrics::default());
        let vendors = Vendors {
            mipush: mipush.clone(),
        };
        Self {
            dispatcher: Arc::new(Dispatcher::new(
                db.clone(),
                clock.clone(),
                vendors,
                secrets.clone(),
                metrics.clone(),
                postgres,
            )),
            metrics,
            clock,
            user_events: tokio::sync::broadcast::channel(1024).0,
            batchsend_max: 500,
            token_writes: token_writes::TokenWrites::start(db.clone()),
            db,
            secrets,
            passwords,
            throttle: Throttle::default(),
            set_up: AtomicBool::new(false),
            mipush,
            sandbox_enabled,
            activation_delay,
        }
    }
}

impl Services {
    pub fn with_batchsend_max(mut self, max: usize) -> Self {
        self.batchsend_max = max;
        self
    }

    pub fn batchsend_max(&self) -> usize {
        self.batchsend_max
    }

    /// The push pipeline; the outbox worker runs its rounds (see [`crate::startup`]).
    pub fn dispatcher(&self) -> Arc<Dispatcher> {
        self.dispatcher.clone()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// What `/metrics` shows.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// Logs an unexpected failure once and hides it from the caller.
fn internal(context: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{context}");
    AppError::Internal
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Other(e) => db_err(e),
            e => internal("database", e),
        }
    }
}

impl From<DispatchError> for AppError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::Store(e) => e.into(),
            e => internal("push pipeline", e),
        }
    }
}

/// A database failure: unreachable (503, try again) or anything else (500), logged either way.
fn db_err(e: sqlx::Error) -> AppError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::warn!(error = %e, "database unreachable");
            AppError::Unavailable
        }
        e => internal("database", e),
    }
}

fn user_view(row: &UserRow) -> UserView {
    UserView {
        id: row.id,
        username: row.username.clone(),
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        disabled: row.disabled != 0,
        created_at: row.created_at,
    }
}

fn require(allowed: bool) -> Result<(), AppError> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[async_trait]
impl Backend for Services {
    async fn needs_setup(&self) -> Result<bool, AppError> {
        self.needs_setup().await
    }
    async fn create_owner(
        &self,
        username: &str,
        password: &str,
        confirm: &str,
    ) -> Result<UserView, AppError> {
        self.create_owner(username, password, confirm).await
    }
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<UserView, AppError> {
        self.sign_in(username, password, client).await
    }
    async fn sign_out(&self, user: &UserView) -> Result<(), AppError> {
        self.sign_out(user).await
    }
    async fn active_user(&self, id: i64) -> Result<UserView, AppError> {
        self.active_user(id).await
    }
    async fn list_apps(&self, by: &UserView) -> Result<Vec<AppSummary>, AppError> {
        self.list_apps(by).await
    }
    async fn create_app(&self, by: &UserView, name: &str) -> Result<NewApp, AppError> {
        self.create_app(by, name).await
    }
    async fn get_app(&self, by: &UserView, sdkappid: &str) -> Result<AppDetail, AppError> {
        self.get_app(by, sdkappid).await
    }
    async fn set_login_policy(
        &self,
        by: &UserView,
        sdkappid: &str,
        devices_per_platform: &str,
    ) -> Result<AppDetail, AppError> {
        self.set_login_policy(by, sdkappid, devices_per_platform)
            .await
    }
    async fn set_platforms(
        &self,
        by: &UserView,
        sdkappid: &str,
        platforms: &[String],
    ) -> Result<AppDetail, AppError> {
        self.set_platforms(by, sdkappid, platforms).await
    }
    async fn reveal_secret_key(&self, by: &UserView, sdkappid: &str) -> Result<String, AppError> {
        self.reveal_secret_key(by, sdkappid).await
    }
    async fn generate_usersig(
        &self,
        by: &UserView,
        sdkappid: &str,
        identifier: &str,
        expire: &str,
    ) -> Result<GeneratedUserSig, AppError> {
        self.generate_usersig(by, sdkappid, identifier, expire)
            .await
    }
    async fn list_certificates(
        &self,
        by: &UserView,
        sdkappid: &str,
    ) -> Result<CertificateList, AppError> {
        self.list_certificates(by, sdkappid).await
    }
    async fn get_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<CertificateView, AppError> {
        self.get_certificate(by, sdkappid, id).await
    }
    async fn add_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError> {
        self.add_certificate(by, sdkappid, draft).await
    }
    async fn edit_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError> {
        self.edit_certificate(by, sdkappid, id, draft).await
    }
    async fn delete_certificate(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<(), AppError> {
        self.delete_certificate(by, sdkappid, id).await
    }
    async fn send_test_push(
        &self,
        by: &UserView,
        sdkappid: &str,
        draft: &TestPushDraft,
    ) -> Result<TestPushResult, AppError> {
        self.send_test_push(by, sdkappid, draft).await
    }
    async fn diagnose(
        &self,
        by: &UserView,
        sdkappid: &str,
        query: &DiagnoseQuery,
    ) -> Result<Diagnosis, AppError> {
        self.diagnose(by, sdkappid, query).await
    }
    async fn list_devices(
        &self,
        by: &UserView,
        sdkappid: &str,
        user_id: &str,
    ) -> Result<Vec<DeviceView>, AppError> {
        self.list_devices(by, sdkappid, user_id).await
    }
    async fn phone_sign_in(
        &self,
        by: &UserView,
        sdkappid: &str,
        certificate_id: &str,
        user_id: &str,
    ) -> Result<PhoneSession, AppError> {
        self.phone_sign_in(by, sdkappid, certificate_id, user_id)
            .await
    }
    async fn phone_shade(&self, by: &UserView, reg_id: &str) -> Result<Vec<ShadeItem>, AppError> {
        self.phone_shade(by, reg_id).await
    }
    async fn phone_logout(&self, session: &str) -> Result<(), AppError> {
        self.sdk_logout(session).await
    }
    async fn list_push_records(
        &self,
        by: &UserView,
        sdkappid: &str,
        query: &PushRecordQuery,
    ) -> Result<PushRecordPage, AppError> {
        self.list_push_records(by, sdkappid, query).await
    }
    async fn get_push_record(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<PushRecordDetail, AppError> {
        self.get_push_record(by, sdkappid, id).await
    }
    async fn query_vendor_status(
        &self,
        by: &UserView,
        sdkappid: &str,
        id: &str,
    ) -> Result<VendorStatus, AppError> {
        self.query_vendor_status(by, sdkappid, id).await
    }
    async fn push_stats(
        &self,
        by: &UserView,
        sdkappid: &str,
        window: &str,
    ) -> Result<PushStats, AppError> {
        self.push_stats(by, sdkappid, window).await
    }
    async fn list_users(&self, by: &UserView) -> Result<Vec<UserView>, AppError> {
        self.list_users(by).await
    }
    async fn create_user(
        &self,
        by: &UserView,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<UserView, AppError> {
        self.create_user(by, username, password, role).await
    }
    async fn set_role(
        &self,
        by: &UserView,
        username: &str,
        role: &str,
    ) -> Result<UserView, AppError> {
        self.set_role(by, username, role).await
    }
    async fn set_disabled(
        &self,
        by: &UserView,
        username: &str,
        disabled: bool,
    ) -> Result<UserView, AppError> {
        self.set_disabled(by, username, disabled).await
    }
    async fn list_tokens(&self, by: &UserView) -> Result<Vec<TokenView>, AppError> {
        self.list_tokens(by).await
    }
    async fn create_token(&self, by: &UserView, name: &str) -> Result<CreatedToken, AppError> {
        self.create_token(by, name).await
    }
    async fn revoke_token(&self, by: &UserView, id: i64) -> Result<(), AppError> {
        self.revoke_token(by, id).await
    }
    async fn list_audit(
        &self,
        by: &UserView,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, AppError> {
        self.list_audit(by, before_id, limit).await
    }
    async fn sandbox_apps(&self, by: &UserView) -> Result<Option<Vec<SandboxAppView>>, AppError> {
        self.sandbox_apps(by).await
    }
    async fn sandbox_create_app(&self, by: &UserView, package_name: &str) -> Result<(), AppError> {
        self.sandbox_create_app(by, package_name).await
    }
    async fn sandbox_add_device(
        &self,
        by: &UserView,
        package_name: &str,
    ) -> Result<String, AppError> {
        self.sandbox_add_device(by, package_name).await
    }
    async fn sandbox_send(
        &self,
        by: &UserView,
        reg_id: &str,
        title: &str,
        description: &str,
    ) -> Result<SandboxSendResult, AppError> {
        self.sandbox_send(by, reg_id, title, description).await
    }
}
