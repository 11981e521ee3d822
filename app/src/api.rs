//! Server functions, one file per resource. Each body wires: who is asking, the ids parsed, one
//! call into the resource's backend trait the server provides, the answer.

pub mod apps;
pub mod audit;
pub mod certificates;
pub mod push;
pub mod sandbox;
pub mod session;
pub mod setup;
pub mod tokens;
pub mod users;

#[cfg(feature = "ssr")]
mod backend;
#[cfg(feature = "ssr")]
pub use backend::{
    AppsBackend, AuditBackend, AuthBackend, Backend, CertificatesBackend, ClientInfo,
    DiagnoseBackend, PhoneBackend, PushBackend, SESSION_USER_KEY, SandboxBackend, TokensBackend,
    UsersBackend,
};

#[cfg(feature = "ssr")]
pub(crate) use context::{answer, as_user, backend, from_html_form, session};

#[cfg(feature = "ssr")]
mod context {
    use std::future::Future;
    use std::sync::Arc;

    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use super::{Backend, SESSION_USER_KEY};
    use crate::domain::{AppError, UserView};

    pub(crate) fn backend() -> Result<Arc<dyn Backend>, AppError> {
        use_context::<Arc<dyn Backend>>().ok_or(AppError::Internal)
    }

    pub(crate) async fn session() -> Result<tower_sessions::Session, AppError> {
        leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|_| AppError::Internal)
    }

    async fn signed_in(backend: &dyn Backend) -> Result<UserView, AppError> {
        let session = session().await?;
        let id: Option<i64> = session
            .get(SESSION_USER_KEY)
            .await
            .map_err(|_| AppError::Internal)?;
        let id = id.ok_or(AppError::Unauthenticated)?;
        backend.active_user(id).await
    }

    /// Runs `f` for the signed-in console user and answers with the right HTTP status.
    pub(crate) async fn as_user<T, F, Fut>(f: F) -> Result<T, AppError>
    where
        F: FnOnce(Arc<dyn Backend>, UserView) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let result = async {
            let backend = backend()?;
            let user = signed_in(backend.as_ref()).await?;
            f(backend, user).await
        }
        .await;
        answer(result)
    }

    /// Gives an error its HTTP status, unless a plain HTML form posted it: that answer must stay
    /// the redirect which carries the error back to the form.
    pub(crate) fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result
            && !from_html_form()
            && let Some(opts) = use_context::<ResponseOptions>()
        {
            opts.set_status(status_of(e));
        }
        result
    }

    /// A plain HTML form posted this (no JavaScript): it wants a page, not data.
    pub(crate) fn from_html_form() -> bool {
        use_context::<http::request::Parts>().is_some_and(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        })
    }

    pub fn status_of(e: &AppError) -> http::StatusCode {
        use http::StatusCode as S;
        match e {
            AppError::Invalid(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::Unauthenticated | AppError::BadCredentials => S::UNAUTHORIZED,
            AppError::Throttled { .. } => S::TOO_MANY_REQUESTS,
            AppError::Forbidden => S::FORBIDDEN,
            AppError::NotFound => S::NOT_FOUND,
            AppError::Malformed { .. } | AppError::Transport { .. } => S::BAD_REQUEST,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
            AppError::Unavailable => S::SERVICE_UNAVAILABLE,
        }
    }
}

#[cfg(feature = "ssr")]
pub use context::status_of;
