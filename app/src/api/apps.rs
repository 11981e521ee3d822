use leptos::prelude::*;

use crate::domain::{AppDetail, AppError, AppSummary, GeneratedUserSig, NewApp};

#[cfg(feature = "ssr")]
use crate::domain::Sdkappid;

#[server(prefix = "/fn", endpoint = "list_apps")]
pub async fn list_apps() -> Result<Vec<AppSummary>, AppError> {
    super::as_user(|backend, user| async move { backend.list_apps(&user).await }).await
}

#[server(prefix = "/fn", endpoint = "create_app")]
pub async fn create_app(name: String) -> Result<NewApp, AppError> {
    super::as_user(|backend, user| async move { backend.create_app(&user, &name).await }).await
}

#[server(prefix = "/fn", endpoint = "get_app")]
pub async fn get_app(sdkappid: String) -> Result<AppDetail, AppError> {
    super::as_user(|backend, user| async move {
        backend.get_app(&user, Sdkappid::parse(&sdkappid)?).await
    })
    .await
}

/// Saves the ticked platforms; no box ticked means none.
#[server(prefix = "/fn", endpoint = "save_platforms")]
pub async fn save_platforms(
    sdkappid: String,
    #[server(default)] platforms: Vec<String>,
) -> Result<AppDetail, AppError> {
    let app = super::as_user(|backend, user| async move {
        backend
            .set_platforms(&user, Sdkappid::parse(&sdkappid)?, &platforms)
            .await
    })
    .await?;
    leptos_axum::redirect(&format!("/apps/{}", app.sdkappid));
    Ok(app)
}

/// The multi-device policy: logins of one user active on one platform at once.
#[server(prefix = "/fn", endpoint = "save_login_policy")]
pub async fn save_login_policy(
    sdkappid: String,
    devices_per_platform: String,
) -> Result<AppDetail, AppError> {
    let app = super::as_user(|backend, user| async move {
        backend
            .set_login_policy(&user, Sdkappid::parse(&sdkappid)?, &devices_per_platform)
            .await
    })
    .await?;
    if super::from_html_form() {
        leptos_axum::redirect(&format!("/apps/{}", app.sdkappid));
    }
    Ok(app)
}

#[server(prefix = "/fn", endpoint = "reveal_secret_key")]
pub async fn reveal_secret_key(sdkappid: String) -> Result<String, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .reveal_secret_key(&user, Sdkappid::parse(&sdkappid)?)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "generate_usersig")]
pub async fn generate_usersig(
    sdkappid: String,
    identifier: String,
    #[server(default)] expire: String,
) -> Result<GeneratedUserSig, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .generate_usersig(&user, Sdkappid::parse(&sdkappid)?, &identifier, &expire)
            .await
    })
    .await
}
