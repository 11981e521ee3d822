//! What every JSON edge (`/api/v1`, `/sdk/v1`) shares: errors as `{"error": {code, message,
//! field}}` in the caller's language, the caller's language itself, a JSON body whose defects
//! are clear 400s, and ids that come as numbers or as text.

use std::collections::HashMap;

use app::api::status_of;
use app::domain::{AppError, CertificateId, RecordId, Sdkappid};
use app::i18n::Locale;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// An [`AppError`] on its way out, in the caller's language.
pub struct ApiError {
    error: AppError,
    locale: Locale,
}

impl ApiError {
    pub fn new(error: AppError, locale: Locale) -> Self {
        Self { error, locale }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "code": self.error.code(),
                "message": self.error.message(self.locale),
                "field": self.error.field(),
            }
        });
        let mut res = (status_of(&self.error), Json(body)).into_response();
        if let AppError::Throttled { retry_after_secs } = self.error
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The caller's language, from `Accept-Language` (English when none matches).
pub struct ApiLocale(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for ApiLocale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(Self(Locale::from_accept_language(header)))
    }
}

/// A JSON body whose every defect is a clear 400 in the caller's language.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ApiLocale(locale) = ApiLocale::from_request_parts(&mut parts, state)
            .await
            .unwrap_or(ApiLocale(Locale::En));
        let req = Request::from_parts(parts, body);
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::new(
                AppError::Malformed {
                    detail: rejection_detail(&rejection),
                },
                locale,
            )),
        }
    }
}

fn rejection_detail(r: &JsonRejection) -> String {
    match r {
        JsonRejection::MissingJsonContentType(_) => "Content-Type must be application/json".into(),
        other => other.body_text(),
    }
}

/// A number or its text: clients send ids and counts either way.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(i64),
    Text(String),
}

impl Scalar {
    pub fn text(self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s,
        }
    }
}

/// `{sdkappid}` of the path, parsed once here (a malformed one is a field error).
pub struct AppPath(pub Sdkappid);

/// `{sdkappid}` and `{id}` of the path: an object of the app (a malformed id names nothing: 404).
pub struct ObjectPath<T>(pub Sdkappid, pub T);

/// Ids that come in a path.
pub trait PathId: Sized {
    fn parse(raw: &str) -> Result<Self, AppError>;
}

impl PathId for CertificateId {
    fn parse(raw: &str) -> Result<Self, AppError> {
        CertificateId::parse(raw)
    }
}

impl PathId for RecordId {
    fn parse(raw: &str) -> Result<Self, AppError> {
        RecordId::parse(raw)
    }
}

async fn path_params<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Locale, HashMap<String, String>), ApiError> {
    let ApiLocale(locale) = ApiLocale::from_request_parts(parts, state)
        .await
        .unwrap_or(ApiLocale(Locale::En));
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::new(AppError::NotFound, locale))?;
    Ok((locale, params))
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for AppPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (locale, params) = path_params(parts, state).await?;
        Sdkappid::parse(param(&params, "sdkappid"))
            .map(Self)
            .map_err(|e| ApiError::new(e, locale))
    }
}

impl<S: Send + Sync, T: PathId> FromRequestParts<S> for ObjectPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (locale, params) = path_params(parts, state).await?;
        let fail = |e| ApiError::new(e, locale);
        let sdkappid = Sdkappid::parse(param(&params, "sdkappid")).map_err(fail)?;
        let id = T::parse(param(&params, "id")).map_err(fail)?;
        Ok(Self(sdkappid, id))
    }
}
