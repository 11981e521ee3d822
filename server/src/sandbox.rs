//! The MiPush sandbox: a stand-in for Xiaomi's push service, mounted at `/sandbox/mipush` when
//! `PUSHDESK_SANDBOX=1`. `control` plays Xiaomi's developer console and the phones (apps, virtual
//! devices, notification shades); `server_api` answers MiPush's documented server API with its
//! validation order and codes, so any MiPush client gets the answers the real service gives.
//! Its state lives in the project's database; injected faults live in the process.

mod control;
mod faults;
mod ids;
mod server_api;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post, put};
use sqlx::AnyPool;

pub use faults::FaultPlan;

#[derive(Clone)]
pub struct Sandbox {
    db: AnyPool,
    faults: Arc<faults::Faults>,
}

impl Sandbox {
    pub fn new(db: AnyPool) -> Self {
        Self {
            db,
            faults: Arc::default(),
        }
    }
}

/// The sandbox's routes, relative to `/sandbox/mipush`.
pub fn router<S>(sandbox: Sandbox) -> Router<S> {
    Router::<Sandbox>::new()
        .route("/apps", post(control::create_app).get(control::list_apps))
        .route("/apps/{app_id}/faults", put(control::set_faults))
        .route("/apps/{app_id}/channels", put(control::set_channels))
        .route(
            "/devices",
            post(control::register_device).get(control::list_devices),
        )
        .route("/devices/{reg_id}", delete(control::uninstall_device))
        .route(
            "/devices/{reg_id}/notifications",
            get(control::notifications),
        )
        .route("/v2/message/regid", post(server_api::send_v2))
        .route("/v3/message/regid", post(server_api::send_v3))
        .route("/v1/trace/message/status", get(server_api::trace_status))
        .route("/v1/stats/message/counters", get(server_api::counters))
        .fallback(server_api::unknown_api)
        .with_state(sandbox)
}
