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

use crate::clock::Clock;
use crate::store::StoreError;
use crate::store::sandbox::{self as store, NotificationRow, SandboxAppRow};

pub use faults::FaultPlan;
pub use limits::Limits;

#[derive(Clone)]
pub struct Sandbox {
    db: AnyPool,
    /// Where the calls' messages and notifications are written (see
    /// [`crate::store::Database::writer`]).
    writer: AnyPool,
    /// The service's clock (tests move it: time to live, receipt delays, the quota's day).
    clock: Clock,
    faults: Arc<faults::Faults>,
    limits: Arc<limits::LimitBook>,
    receipts: Arc<receipts::Receipts>,
}

impl Sandbox {
    pub fn new(db: AnyPool, writer: AnyPool, clock: Clock) -> Self {
        Self {
            db,
            writer,
            clock,
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
        let device = store::device(&self.db, reg_id).await?;
        let (app_id, message) = match device {
            Some(d) if shown => {
                let message = store::message(&self.db, &d.app_id, message_id).await?;
                (d.app_id, message)
            }
            _ => (String::new(), None),
        };
        let message = message.ok_or(AppError::NotFound)?;
        // The extras as the send stored them: where its receipts go.
        let extras: Vec<(String, String)> =
            serde_json::from_str(&message.extras).unwrap_or_default();
        let target = [reg_id.to_owned()];
        self.report(
            &app_id,
            message_id,
            &extras,
            receipts::CLICKED,
            &target,
            "Enable",
        );
        Ok(())
    }

    /// Queues a receipt as the message's `extras` asked, unless the app's faults drop it or
    /// hold it back.
    fn report(
        &self,
        app_id: &str,
        message_id: &str,
        extras: &[(String, String)],
        kind: u32,
        targets: &[String],
        bar_status: &'static str,
    ) {
        if targets.is_empty() || !receipts::Receipts::wants(extras, kind) {
            return;
        }
        let Some(delay) = self.faults.take_receipt(app_id) else {
            return;
        };
        let now = self.clock.now_ms();
        self.receipts.report(
            message_id,
            extras,
            kind,
            targets,
            bar_status,
            now,
            now + delay as i64,
        );
    }

    /// The phone comes back in reach (`online: true`): what was held for it arrives now, unless
    /// its time to live ran out (receipt 1024 then). It arrives as a push sent now would: a phone
    /// whose notifications are off shows nothing (32), a `filter_next` fault filters it (64), and
    /// what reached the phone counts toward today's quota.
    async fn bring_online(&self, reg_id: &str) -> Result<(), AppError> {
        self.receipts.set_online(reg_id, true);
        let now = self.clock.now_ms();
        let day = app::domain::beijing_day(now.div_euclid(1000));
        let target = [reg_id.to_owned()];
        let muted = !self.receipts.muted_among(&target).is_empty();
        for h in self.receipts.take_held(Some(reg_id), now) {
            let report =
                |kind, bar| self.report(&h.app_id, &h.message_id, &h.extras, kind, &target, bar);
            if h.expires_at_ms < now {
                report(receipts::EXPIRED, "Unknown");
                continue;
            }
            let channel = h.notification.channel_id.as_deref();
            if muted {
                self.limits
                    .record_delivery(&h.app_id, &target, channel, day);
                report(receipts::NOTIFICATIONS_OFF, "Disable");
                continue;
            }
            if !h.pass_through && self.faults.take_filtered(&h.app_id, 1) == 1 {
                report(receipts::FILTERED, "Enable");
                continue;
            }
            // Pass-through messages go to the app, not to the notification shade.
            if !h.pass_through {
                let shown = NotificationRow {
                    received_at: now,
                    ..h.notification.clone()
                };
                let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
                store::show_notifications(&mut tx, &[reg_id], &shown).await?;
                tx.commit().await.map_err(StoreError::from_sqlx)?;
            }
            self.limits
                .record_delivery(&h.app_id, &target, channel, day);
            report(receipts::DELIVERED, "Enable");
        }
        Ok(())
    }

    /// Held notifications whose time to live ran out: receipt 1024, never shown.
    fn expire_held(&self) {
        for h in self.receipts.take_held(None, self.clock.now_ms()) {
            let target = [h.reg_id.clone()];
            self.report(
                &h.app_id,
                &h.message_id,
                &h.extras,
                receipts::EXPIRED,
                &target,
                "Unknown",
            );
        }
    }

    /// Expires what is due, then posts the receipts that are due.
    async fn flush_receipts(&self) -> receipts::Flushed {
        self.expire_held();
        self.receipts.flush(self.clock.now_ms()).await
    }

    /// Posts queued receipts about once a second, as Xiaomi does; `POST /receipts/flush` does it
    /// at once.
    pub fn spawn_receipt_sender(&self) {
        let sandbox = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                sandbox.flush_receipts().await;
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
