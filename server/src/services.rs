//! The domain rules that need I/O. [`Services`] implements the console's backend traits
//! (`app::api::*Backend`), each in the file of its resource; the server functions and `/api/v1`
//! both reach the rules only through them.

mod apps;
mod audit;
mod auth;
mod certificates;
mod diagnose;
mod groups;
pub mod im;
mod message_writes;
mod messages;
mod phone;
mod push;
mod receipts;
mod sandbox;
mod stats;
mod token_writes;
mod tokens;
mod users;

pub use messages::{ADMIN_IDENTIFIER, ImError, OfflinePush, OutgoingMessage, SendAck};
pub use receipts::ReceiptIntake;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use app::domain::{AppError, Role, UserView};
use sqlx::AnyPool;

use crate::clock::Clock;
use crate::crypto::SecretBox;
use crate::dispatch::{DispatchError, Dispatcher, Vendors};
use crate::metrics::Metrics;
use crate::passwords::Passwords;
use crate::sandbox::Sandbox;
use crate::store::StoreError;
use crate::store::users::UserRow;
use crate::throttle::Throttle;
use crate::vendors::mipush::MiPushClient;

pub struct Services {
    db: AnyPool,
    /// The pipeline's writes (see [`crate::store::Database::writer`]).
    writer: AnyPool,
    secrets: Arc<SecretBox>,
    passwords: Passwords,
    throttle: Throttle,
    /// Once true, stays true: the owner exists and the setup page is gone for good.
    set_up: AtomicBool,
    mipush: MiPushClient,
    /// This server's MiPush stand-in, when it runs one: the console's phones live there.
    sandbox: Option<Sandbox>,
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
    message_writes: message_writes::MessageWrites,
}

/// What [`Services::new`] is built from.
pub struct ServiceParts {
    pub db: AnyPool,
    pub writer: AnyPool,
    pub secrets: Arc<SecretBox>,
    pub passwords: Passwords,
    pub mipush: MiPushClient,
    pub sandbox: Option<Sandbox>,
    pub activation_delay: Duration,
    /// Whether the database is PostgreSQL (the outbox claims rows differently there).
    pub postgres: bool,
    pub clock: Clock,
    /// Where vendors reach this deployment with receipts (`PUSHDESK_PUBLIC_URL`).
    pub public_url: Option<String>,
}

impl Services {
    pub fn new(parts: ServiceParts) -> Self {
        let ServiceParts {
            db,
            writer,
            secrets,
            passwords,
            mipush,
            sandbox,
            activation_delay,
            postgres,
            clock,
            public_url,
        } = parts;
        let metrics = Arc::new(Metrics::default());
        let vendors = Vendors {
            mipush: mipush.clone(),
        };
        Self {
            dispatcher: Arc::new(Dispatcher::new(
                db.clone(),
                writer.clone(),
                clock.clone(),
                vendors,
                secrets.clone(),
                metrics.clone(),
                postgres,
                public_url,
            )),
            metrics,
            message_writes: message_writes::MessageWrites::start(
                db.clone(),
                writer.clone(),
                clock.clone(),
            ),
            clock,
            user_events: tokio::sync::broadcast::channel(1024).0,
            batchsend_max: 500,
            token_writes: token_writes::TokenWrites::start(writer.clone()),
            db,
            writer,
            secrets,
            passwords,
            throttle: Throttle::default(),
            set_up: AtomicBool::new(false),
            mipush,
            sandbox,
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

    /// The MiPush sandbox this server runs, if it does (its routes are mounted with it).
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_ref()
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
