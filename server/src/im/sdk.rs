//! `/sdk/v1`: what the app's client SDK calls — login with a UserSig, report the device token
//! (`setOfflinePushToken`), logout. JSON in and out; errors as in `/api/v1`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use crate::http::AppState;
use crate::http::api_v1::{ApiError, ApiLocale, Body};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/push-token", post(push_token))
        .route("/logout", post(logout))
}

/// A number or its text: SDKAppIDs and certificate IDs come either way.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Number(i64),
    Text(String),
}

fn text(v: Option<Scalar>) -> String {
    match v {
        Some(Scalar::Number(n)) => n.to_string(),
        Some(Scalar::Text(s)) => s,
        None => String::new(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginBody {
    sdkappid: Option<Scalar>,
    user_id: String,
    user_sig: String,
    platform: String,
}

async fn login(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let login = state
        .services
        .sdk_login(
            &text(body.sdkappid),
            &body.user_id,
            &body.user_sig,
            &body.platform,
        )
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(Json(login))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PushTokenBody {
    session: String,
    business_id: Option<Scalar>,
    token: String,
}

async fn push_token(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<PushTokenBody>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .sdk_push_token(&body.session, &text(body.business_id), &body.token)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionBody {
    session: String,
}

async fn logout(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<SessionBody>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .sdk_logout(&body.session)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(StatusCode::NO_CONTENT)
}
