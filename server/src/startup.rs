//! Builds the application from settings: database, migrations, secrets, sessions, router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::dispatch::Dispatcher;
use crate::http::{self, AppState};
use crate::passwords::Passwords;
use crate::sandbox::Sandbox;
use crate::services::{ServiceParts, Services};
use crate::store::{Database, SessionPool};
use crate::vendors::mipush::{Endpoints, MiPushClient};

pub const SESSION_COOKIE: &str = "pushdesk_session";

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// What every entry point (server, command line, tests) shares. `addr` is where this server
/// listens, for reaching its own MiPush sandbox.
pub async fn services(
    settings: &Settings,
    addr: SocketAddr,
    clock: Clock,
) -> anyhow::Result<(Database, Arc<Services>)> {
    let db = Database::connect(&settings.database).await?;
    let secrets = Arc::new(SecretBox::load_or_create(&settings.secret_key_file)?);
    let hashing = std::thread::available_parallelism().map_or(2, |n| n.get());
    let host = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let endpoints = Endpoints {
        override_origin: settings.mipush_base_url.clone(),
        sandbox_base: format!("http://{host}/sandbox/mipush"),
    };
    let mipush = MiPushClient::new(endpoints, settings.mipush_timeout);
    let services = Arc::new(
        Services::new(ServiceParts {
            db: db.pool.clone(),
            writer: db.writer.clone(),
            secrets,
            passwords: Passwords::new(hashing),
            mipush,
            sandbox: settings
                .sandbox
                .then(|| Sandbox::new(db.pool.clone(), db.writer.clone(), clock.clone())),
            activation_delay: settings.cert_activation_delay,
            postgres: settings.database.url.starts_with("postgres"),
            clock,
            public_url: settings.public_url.clone(),
        })
        .with_batchsend_max(settings.batchsend_max),
    );
    Ok((db, services))
}

impl Application {
    /// Binds `settings.addr` (port 0 picks a free port) and assembles the app; nothing runs yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// The same, on a clock the caller can move forward (tests).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("listening on {}", settings.addr))?;
        let (db, services) = services(&settings, listener.local_addr()?, clock).await?;
        spawn_certificate_announcer(services.clone());
        if settings.outbox_worker {
            spawn_outbox_worker(services.dispatcher(), worker_name(listener.local_addr()?));
        }
        let sandbox = services.sandbox().cloned();
        let state = AppState {
            leptos: settings.leptos.clone(),
            services,
            db: db.clone(),
        };
        if let Some(sandbox) = &sandbox {
            sandbox.spawn_receipt_sender();
        }
        let idle = CookieDuration::seconds(settings.session.idle_timeout.as_secs() as i64);
        let router = match &db.sessions {
            SessionPool::Sqlite(pool) => {
                let store = SqliteStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .context("creating the session table")?;
                spawn_cleanup(store.clone());
                http::router(state.clone(), sandbox.clone())
                    .layer(session_layer(store, idle, &settings))
            }
            SessionPool::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone());
                store
                    .migrate()
                    .await
                    .context("creating the session table")?;
                spawn_cleanup(store.clone());
                http::router(state.clone(), sandbox.clone())
                    .layer(session_layer(store, idle, &settings))
            }
        };
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr(), "pushdesk console listening");
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")
    }
}

fn session_layer<S: tower_sessions::SessionStore + Clone>(
    store: S,
    idle: CookieDuration,
    settings: &Settings,
) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.session.secure_cookie)
        .with_expiry(Expiry::OnInactivity(idle))
}

fn spawn_cleanup<S: ExpiredDeletion + Clone + 'static>(store: S) {
    tokio::spawn(async move {
        if let Err(e) = store
            .continuously_delete_expired(std::time::Duration::from_secs(600))
            .await
        {
            tracing::warn!(error = %e, "expired-session cleanup stopped");
        }
    });
}

/// Writes "certificate became effective" to the audit log as activation delays run out.
fn spawn_certificate_announcer(services: Arc<Services>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Failures are logged by the service; the next tick tries again.
            let _ = services.announce_effective_certificates().await;
        }
    });
}

/// The name this instance claims outbox rows under: host and port, the same across a restart,
/// so a restarted instance takes back at once what it held when it died.
pub fn worker_name(addr: SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    format!("{host}:{}", addr.port())
}

/// Runs the outbox: at once when a message queues pushes, and every second for rows due again
/// (a retry's backoff ran out, or another worker died). Each instance claims under its own name.
fn spawn_outbox_worker(dispatcher: Arc<Dispatcher>, owner: String) {
    let wake = dispatcher.wake_signal();
    tokio::spawn(async move {
        match dispatcher.reclaim(&owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "resuming offline pushes left by the last run"),
            Err(e) => tracing::warn!(error = %e, "reclaiming the outbox"),
        }
        loop {
            tokio::select! {
                () = wake.notified() => {},
                () = tokio::time::sleep(Duration::from_secs(1)) => {},
            }
            // Rows whose round failed stay leased and are taken again when the lease runs out.
            if let Err(e) = dispatcher.drain(&owner).await {
                tracing::warn!(error = %e, "an outbox round failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
