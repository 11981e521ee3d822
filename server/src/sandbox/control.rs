//! Xiaomi's developer console and the phones, as JSON endpoints. Open on purpose: they stand for
//! parties outside this deployment (see README: never enable the sandbox in public).

use app::domain::{AppError, Rule};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::http::{CallerLocale, ControlError, JsonBody};
use super::{FaultPlan, Limits, Sandbox};
use crate::store::StoreError;
use crate::store::sandbox::{self as store, SandboxAppRow};
use crate::unix_now;

type Result<T> = std::result::Result<T, ControlError>;

fn fail(locale: app::i18n::Locale) -> impl Fn(AppError) -> ControlError {
    move |e| ControlError::new(e, locale)
}

fn db(locale: app::i18n::Locale) -> impl Fn(StoreError) -> ControlError {
    move |e| ControlError::new(e.into(), locale)
}

#[derive(Serialize)]
pub struct AppCredentials {
    package_name: String,
    app_id: String,
    app_key: String,
    app_secret: String,
    channels: Vec<String>,
    created_at: i64,
}

impl From<SandboxAppRow> for AppCredentials {
    fn from(row: SandboxAppRow) -> Self {
        Self {
            channels: split_channels(&row.channels),
            package_name: row.package_name,
            app_id: row.app_id,
            app_key: row.app_key,
            app_secret: row.app_secret,
            created_at: row.created_at,
        }
    }
}

pub fn split_channels(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn parse_channels(raw: &[String]) -> std::result::Result<String, AppError> {
    let mut out: Vec<String> = Vec::new();
    for c in raw.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if c.len() > 200 || c.contains(',') || c.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "channels",
                Rule::Charset {
                    allowed: "printable".into(),
                },
            ));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    Ok(out.join(","))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewApp {
    package_name: String,
    /// Approved notification channels; none means every channel is accepted.
    channels: Vec<String>,
}

/// Xiaomi's console: a push app for a package, with AppID, AppKey and AppSecret.
pub async fn create_app(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    JsonBody(body): JsonBody<NewApp>,
) -> Result<impl IntoResponse> {
    let row = super::create_app(&sb.db, &body.package_name, &body.channels)
        .await
        .map_err(fail(l))?;
    Ok((StatusCode::CREATED, Json(AppCredentials::from(row))))
}

pub async fn list_apps(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
) -> Result<impl IntoResponse> {
    let rows = store::list_apps(&sb.db).await.map_err(db(l))?;
    Ok(Json(
        rows.into_iter()
            .map(AppCredentials::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Channels {
    channels: Vec<String>,
}

pub async fn set_channels(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(app_id): Path<String>,
    JsonBody(body): JsonBody<Channels>,
) -> Result<StatusCode> {
    let channels = parse_channels(&body.channels).map_err(fail(l))?;
    if !store::set_channels(&sb.db, &app_id, &channels)
        .await
        .map_err(db(l))?
    {
        return Err(ControlError::new(AppError::NotFound, l));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Xiaomi's console "reset AppSecret": a new secret; the old one is refused from now on (21301).
pub async fn reset_secret(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(app_id): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let secret = super::ids::app_secret();
    if !store::set_secret(&sb.db, &app_id, &secret)
        .await
        .map_err(db(l))?
    {
        return Err(ControlError::new(AppError::NotFound, l));
    }
    Ok(Json(
        serde_json::json!({ "app_id": app_id, "app_secret": secret }),
    ))
}

async fn require_app(sb: &Sandbox, app_id: &str, l: app::i18n::Locale) -> Result<()> {
    match store::app_by_id(&sb.db, app_id).await.map_err(db(l))? {
        Some(_) => Ok(()),
        None => Err(ControlError::new(AppError::NotFound, l)),
    }
}

/// Switches the optional QPS limit and daily quotas on or off for one app.
pub async fn set_limits(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(app_id): Path<String>,
    JsonBody(limits): JsonBody<Limits>,
) -> Result<impl IntoResponse> {
    require_app(&sb, &app_id, l).await?;
    sb.limits.set(&app_id, limits.clone());
    Ok(Json(limits))
}

pub async fn set_faults(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(app_id): Path<String>,
    JsonBody(plan): JsonBody<FaultPlan>,
) -> Result<impl IntoResponse> {
    require_app(&sb, &app_id, l).await?;
    sb.faults.set(&app_id, plan.clone());
    Ok(Json(plan))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewDevice {
    package_name: String,
    app_id: String,
    app_key: String,
}

#[derive(Serialize)]
pub struct Device {
    reg_id: String,
    app_id: String,
    registered_at: i64,
    uninstalled_at: Option<i64>,
}

/// What `MiPushClient.registerPush(context, appId, appKey)` does on a phone: a new regId.
pub async fn register_device(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    JsonBody(body): JsonBody<NewDevice>,
) -> Result<impl IntoResponse> {
    let reg_id = super::register_device(&sb.db, &body.package_name, &body.app_id, &body.app_key)
        .await
        .map_err(fail(l))?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "reg_id": reg_id })),
    ))
}

pub async fn list_devices(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
) -> Result<impl IntoResponse> {
    let rows = store::list_devices(&sb.db).await.map_err(db(l))?;
    Ok(Json(
        rows.into_iter()
            .map(|d| Device {
                reg_id: d.reg_id,
                app_id: d.app_id,
                registered_at: d.registered_at,
                uninstalled_at: d.uninstalled_at,
            })
            .collect::<Vec<_>>(),
    ))
}

/// The app is uninstalled: the regId becomes invalid.
pub async fn uninstall_device(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(reg_id): Path<String>,
) -> Result<StatusCode> {
    if store::uninstall(&sb.db, &reg_id, unix_now())
        .await
        .map_err(db(l))?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::new(AppError::NotFound, l))
    }
}

#[derive(Serialize)]
pub struct ShadeEntry {
    message_id: String,
    title: String,
    description: String,
    payload: Option<String>,
    notify_id: Option<i64>,
    channel_id: Option<String>,
    received_at: i64,
}

/// The device's notification shade, newest first.
pub async fn notifications(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(reg_id): Path<String>,
) -> Result<impl IntoResponse> {
    if store::device(&sb.db, &reg_id)
        .await
        .map_err(db(l))?
        .is_none()
    {
        return Err(ControlError::new(AppError::NotFound, l));
    }
    let rows = store::notifications(&sb.db, &reg_id).await.map_err(db(l))?;
    Ok(Json(
        rows.into_iter()
            .map(|n| ShadeEntry {
                message_id: n.message_id,
                title: n.title,
                description: n.description,
                payload: n.payload,
                notify_id: n.notify_id,
                channel_id: n.channel_id,
                received_at: n.received_at,
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    notifications_enabled: Option<bool>,
    online: Option<bool>,
}

/// The phone's settings, each optional: `{"notifications_enabled": false}` switches the app's
/// notifications off (the phone still takes pushes, shows none, and the vendor reports receipt
/// 32); `{"online": false}` takes the phone out of reach (pushes wait for it until their time to
/// live runs out: receipt 1024), `{"online": true}` brings it back and what waited lands.
pub async fn set_device(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path(reg_id): Path<String>,
    JsonBody(settings): JsonBody<DeviceSettings>,
) -> Result<StatusCode> {
    if store::device(&sb.db, &reg_id)
        .await
        .map_err(db(l))?
        .is_none()
    {
        return Err(ControlError::new(AppError::NotFound, l));
    }
    if settings.notifications_enabled.is_none() && settings.online.is_none() {
        let missing = AppError::invalid("notifications_enabled", Rule::Required);
        return Err(ControlError::new(missing, l));
    }
    if let Some(enabled) = settings.notifications_enabled {
        sb.receipts.set_notifications(&reg_id, enabled);
    }
    match settings.online {
        Some(false) => sb.receipts.set_online(&reg_id, false),
        Some(true) => sb
            .bring_online(&reg_id)
            .await
            .map_err(|e| ControlError::new(e, l))?,
        None => {}
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The user taps a notification in the phone's shade: a click receipt, if the push asked for one.
pub async fn click_notification(
    State(sb): State<Sandbox>,
    CallerLocale(l): CallerLocale,
    Path((reg_id, message_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    sb.tap(&reg_id, &message_id)
        .await
        .map_err(|e| ControlError::new(e, l))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts the queued receipts now, instead of at the next second: what tests and demos drive.
pub async fn flush_receipts(State(sb): State<Sandbox>) -> Json<super::receipts::Flushed> {
    Json(sb.flush_receipts().await)
}
