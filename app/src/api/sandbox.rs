use leptos::prelude::*;

use crate::domain::{AppError, PhoneSession, SandboxAppView, SandboxSendResult, ShadeItem};

#[cfg(feature = "ssr")]
use crate::domain::Sdkappid;

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

/// The virtual phone: a new sandbox device, logged in as `user_id`, its regId reported.
#[server(prefix = "/fn", endpoint = "phone_sign_in")]
pub async fn phone_sign_in(
    sdkappid: String,
    certificate_id: String,
    user_id: String,
) -> Result<PhoneSession, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .phone_sign_in(
                &user,
                Sdkappid::parse(&sdkappid)?,
                &certificate_id,
                &user_id,
            )
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "phone_shade")]
pub async fn phone_shade(reg_id: String) -> Result<Vec<ShadeItem>, AppError> {
    super::as_user(|backend, user| async move { backend.phone_shade(&user, &reg_id).await }).await
}

/// The phone's user taps a notification in its shade.
#[server(prefix = "/fn", endpoint = "phone_tap")]
pub async fn phone_tap(reg_id: String, message_id: String) -> Result<(), AppError> {
    super::as_user(
        |backend, user| async move { backend.phone_tap(&user, &reg_id, &message_id).await },
    )
    .await
}

/// The phone's user logs out: its regId gets no push afterwards.
#[server(prefix = "/fn", endpoint = "phone_logout")]
pub async fn phone_logout(session: String) -> Result<(), AppError> {
    super::as_user(|backend, _| async move { backend.phone_logout(&session).await }).await
}
