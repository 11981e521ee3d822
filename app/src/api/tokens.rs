use leptos::prelude::*;

use crate::domain::{AppError, CreatedToken, TokenView};

#[server(prefix = "/fn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenView>, AppError> {
    super::as_user(|backend, user| async move { backend.list_tokens(&user).await }).await
}

#[server(prefix = "/fn", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<CreatedToken, AppError> {
    super::as_user(|backend, user| async move { backend.create_token(&user, &name).await }).await
}

#[server(prefix = "/fn", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    super::as_user(|backend, user| async move { backend.revoke_token(&user, id).await }).await
}
