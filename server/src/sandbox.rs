//! The MiPush sandbox: a stand-in for Xiaomi's push service, mounted at `/sandbox/mipush` when
//! `PUSHDESK_SANDBOX=1`. `control` plays Xiaomi's developer console and the phones (apps, virtual
//! devices, notification shades); `server_api` answers MiPush's documented server API with its
//! validation order and codes, so any MiPush client gets the answers the real service gives.
//! Its state lives in the project's database; injected faults live in the process.

mod codes;
mod control;
mod faults;
mod http;
mod ids;
mod limits;
mod receipts;
mod server_api;

use std::sync::Arc;

use app::domain::{AppError, FieldError, PackageName, Rule};
use axum::Router;
use axum::routing::{delete, get, post, put};
use sqlx::AnyPool;

use crate::store::StoreError;
use crate::store::sandbox::{self as store, SandboxAppRow};

pub use faults::FaultPlan;
pub use limits::Limits;

#[derive(Clone)]
pub struct Sandbox {
    db: AnyPool,
    faults: Arc<faults::Faults>,
    limits: Arc<limits::LimitBook>,
    receipts: Arc<receipts::Receipts>,
}

impl Sandbox {
    pub fn new(db: AnyPool) -> Self {
        Self {
            db,
            faults: Arc::default(),
            limits: Arc::default(),
            receipts: Arc::default(),
        }
    }

    /// The user taps notification `message_id` in the shade of phone `reg_id`: a click receipt
    /// is queued if the push asked for one. Not found unless the notification is on show.
    pub async fn tap(&self, reg_id: &str, message_id: &str) -> Result<(), AppError> {
        let shown = store::notifications(&self.db, reg_id)
            .await?
            .into_iter()
            .any(|n| n.message_id == message_id);
        let message = match store::device(&self.db, reg_id).await? {
            Some(d) if shown => store::message(&self.db, &d.app_id, message_id).await?,
            _ => None,
        };
        let message = message.ok_or(AppError::NotFound)?;
        // The extras as the send stored them: where its receipts go.
        let extras: Vec<(String, String)> =
            serde_json::from_str(&message.extras).unwrap_or_default();
        self.receipts
            .clicked(message_id, &extras, reg_id, crate::unix_now() * 1000);
        Ok(())
    }

    /// Posts queued receipts about once a second, as Xiaomi does; `POST /receipts/flush` does it
    /// at once.
    pub fn spawn_receipt_sender(&self) {
        let receipts = self.receipts.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                receipts.flush().await;
            }
        });
    }
}

/// Xiaomi's console: a push app for a package. Shared by the control API and the console page.
pub async fn create_app(
    db: &AnyPool,
    package_name: &str,
    channels: &[String],
) -> Result<SandboxAppRow, AppError> {
    let package = PackageName::parse(package_name)?;
    let channels = control::parse_channels(channels)?;
    let row = SandboxAppRow {
        app_id: ids::app_id(),
        package_name: package.as_str().to_owned(),
        app_key: ids::app_key(),
        app_secret: ids::app_secret(),
        channels,
        created_at: crate::unix_now(),
    };
    match store::insert_app(db, &row).await {
        Err(StoreError::Unique) => Err(AppError::Conflict(FieldError::new(
            PackageName::FIELD,
            Rule::Taken,
        ))),
        other => other.map(|()| row).map_err(AppError::from),
    }
}

/// `registerPush` on a phone: a new regId for the app with this package, AppID and AppKey.
pub async fn register_device(
    db: &AnyPool,
    package_name: &str,
    app_id: &str,
    app_key: &str,
) -> Result<String, AppError> {
    let package = PackageName::parse(package_name)?;
    for (field, value) in [("app_id", app_id), ("app_key", app_key)] {
        if value.trim().is_empty() {
            return Err(AppError::invalid(field, Rule::Required));
        }
    }
    let app = store::app_by_package(db, package.as_str())
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                PackageName::FIELD,
                Rule::Other {
                    key: "rule.sandbox_unknown_package".into(),
                },
            )
        })?;
    if app.app_id != app_id.trim() {
        return Err(AppError::invalid("app_id", Rule::Mismatch));
    }
    if app.app_key != app_key.trim() {
        return Err(AppError::invalid("app_key", Rule::Mismatch));
    }
    let reg_id = ids::reg_id();
    store::insert_device(db, &reg_id, &app.app_id, crate::unix_now()).await?;
    Ok(reg_id)
}

/// The sandbox's routes, relative to `/sandbox/mipush`.
pub fn router<S>(sandbox: Sandbox) -> Router<S> {
    Router::<Sandbox>::new()
        .route("/apps", post(control::create_app).get(control::list_apps))
        .route("/apps/{app_id}/faults", put(control::set_faults))
        .route("/apps/{app_id}/limits", put(control::set_limits))
        .route("/apps/{app_id}/channels", put(control::set_channels))
        .route("/apps/{app_id}/secret", post(control::reset_secret))
        .route(
            "/devices",
            post(control::register_device).get(control::list_devices),
        )
        .route(
            "/devices/{reg_id}",
            delete(control::uninstall_device).put(control::set_device),
        )
        .route(
            "/devices/{reg_id}/notifications",
            get(control::notifications),
        )
        .route(
            "/devices/{reg_id}/notifications/{message_id}/click",
            post(control::click_notification),
        )
        .route("/receipts/flush", post(control::flush_receipts))
        .route("/v2/message/regid", post(server_api::send_v2))
        .route("/v3/message/regid", post(server_api::send_v3))
        .route("/v1/trace/message/status", get(server_api::trace_status))
        .route("/v1/trace/messages/status", get(server_api::traces_status))
        .route(
            "/v1/feedback/fetch_invalid_regids",
            get(server_api::fetch_invalid_regids),
        )
        .route("/v1/stats/message/counters", get(server_api::counters))
        .fallback(server_api::unknown_api)
        .with_state(sandbox)
}
