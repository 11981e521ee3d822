use leptos::prelude::*;

use crate::domain::{AppError, SandboxAppView, SandboxSendResult};

#[server(prefix = "/fn", endpoint = "sandbox_apps")]
pub async fn sandbox_apps() -> Result<Option<Vec<SandboxAppView>>, AppError> {
    super::as_user(|backend, user| async move { backend.sandbox_apps(&user).await }).await
}

#[server(prefix = "/fn", endpoint = "sandbox_create_app")]
pub async fn sandbox_create_app(package_name: String) -> Result<(), AppError> {
    super::as_user(
        |backend, user| async move { backend.sandbox_create_app(&user, &package_name).await },
    )
    .await
}

#[server(prefix = "/fn", endpoint = "sandbox_add_device")]
pub async fn sandbox_add_device(package_name: String) -> Result<String, AppError> {
    super::as_user(
        |backend, user| async move { backend.sandbox_add_device(&user, &package_name).await },
    )
    .await
}

#[server(prefix = "/fn", endpoint = "sandbox_send")]
pub async fn sandbox_send(
    reg_id: String,
    title: String,
    description: String,
) -> Result<SandboxSendResult, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .sandbox_send(&user, &reg_id, &title, &description)
            .await
    })
    .await
}
