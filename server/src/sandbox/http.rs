//! The HTTP edges of the sandbox's control endpoints (its developer console and phones): the
//! caller's language, JSON bodies, and errors as `{"error": {"code", "message", "field"}}`, the
//! shape `/api/v1` uses. The sandbox keeps its own, so it depends on nothing of the console's
//! HTTP layer and could be served on its own.

use app::api::status_of;
use app::domain::AppError;
use app::i18n::Locale;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The caller's language, from `Accept-Language` (English when none matches).
pub struct CallerLocale(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for CallerLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(locale_of(parts)))
    }
}

fn locale_of(parts: &Parts) -> Locale {
    let header = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Locale::from_accept_language(header)
}

/// An [`AppError`] on its way out, in the caller's language.
pub struct ControlError {
    error: AppError,
    locale: Locale,
}

impl ControlError {
    pub fn new(error: AppError, locale: Locale) -> Self {
        Self { error, locale }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.error.code(),
                "message": self.error.message(self.locale),
                "field": self.error.field(),
            }
        });
        (status_of(&self.error), Json(body)).into_response()
    }
}

/// A JSON body; a missing content type, bad JSON or a wrong field type is a 400 `invalid_body`
/// that says what was wrong, in the caller's language.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ControlError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let locale = locale_of(&parts);
        let req = Request::from_parts(parts, body);
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ControlError::new(
                AppError::Malformed {
                    detail: detail(&rejection),
                },
                locale,
            )),
        }
    }
}

fn detail(r: &JsonRejection) -> String {
    match r {
        JsonRejection::MissingJsonContentType(_) => "Content-Type must be application/json".into(),
        other => other.body_text(),
    }
}
