use leptos::prelude::*;

use crate::domain::{AppError, UserView};

#[server(prefix = "/fn", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    super::as_user(|backend, user| async move { backend.list_users(&user).await }).await
}

#[server(prefix = "/fn", endpoint = "create_user")]
pub async fn create_user(
    username: String,
    password: String,
    role: String,
) -> Result<UserView, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .create_user(&user, &username, &password, &role)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "set_user_role")]
pub async fn set_user_role(username: String, role: String) -> Result<UserView, AppError> {
    super::as_user(|backend, user| async move { backend.set_role(&user, &username, &role).await })
        .await
}

#[server(prefix = "/fn", endpoint = "set_user_disabled")]
pub async fn set_user_disabled(username: String, disabled: bool) -> Result<UserView, AppError> {
    super::as_user(
        |backend, user| async move { backend.set_disabled(&user, &username, disabled).await },
    )
    .await
}
