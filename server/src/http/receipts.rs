//! `/receipts`: where the vendors post receipts (回执) for pushes that asked for them. The path
//! names the certificate and carries a tag only this deployment can make; see
//! `Dispatcher::receipts_url`. Answers fast: the vendor stops sending to an endpoint that does not
//! answer 200.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use super::extract::{ApiError, ApiLocale};

pub fn router() -> Router<AppState> {
    Router::new().route("/mipush/{certificate_id}/{tag}", post(mipush))
}

async fn mipush(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Path((certificate_id, tag)): Path<(String, String)>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let intake = state
        .services
        .accept_receipts(&certificate_id, &tag, &body)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok((
        StatusCode::OK,
        Json(json!({"received": intake.received, "applied": intake.applied})),
    ))
}
