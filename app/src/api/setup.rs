use leptos::prelude::*;

use crate::domain::AppError;

/// Creates the first console user, the owner. Refused for good once anyone exists.
#[server(prefix = "/fn", endpoint = "create_owner")]
pub async fn create_owner(
    username: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let result = async {
        let backend = super::backend()?;
        backend
            .create_owner(&username, &password, &password_confirm)
            .await
    }
    .await;
    super::answer(result)?;
    leptos_axum::redirect("/signin?created=1");
    Ok(())
}
