use leptos::prelude::*;

use crate::domain::{AppError, UserView};

#[server(prefix = "/fn", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;

    let result = async {
        let backend = super::backend()?;
        let ConnectInfo(addr) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map_err(|_| AppError::Internal)?;
        let client = super::ClientInfo { ip: addr.ip() };
        let user = backend.sign_in(&username, &password, client).await?;
        let session = super::session().await?;
        // A new id on sign-in: a session id planted before sign-in is worth nothing after it.
        session.cycle_id().await.map_err(|_| AppError::Internal)?;
        session
            .insert(super::SESSION_USER_KEY, user.id)
            .await
            .map_err(|_| AppError::Internal)?;
        Ok(())
    }
    .await;
    super::answer(result)?;
    leptos_axum::redirect("/apps");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let session = super::session().await?;
    if let Ok(Some(id)) = session.get::<i64>(super::SESSION_USER_KEY).await
        && let Ok(backend) = super::backend()
        && let Ok(user) = backend.active_user(id).await
    {
        backend.sign_out(&user).await?;
    }
    session.flush().await.map_err(|_| AppError::Internal)?;
    leptos_axum::redirect("/signin");
    Ok(())
}

#[server(prefix = "/fn", endpoint = "whoami")]
pub async fn whoami() -> Result<UserView, AppError> {
    super::as_user(|_, user| async move { Ok(user) }).await
}
