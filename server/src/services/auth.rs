use std::sync::atomic::Ordering;

use app::api::{AuthBackend, ClientInfo};
use app::domain::{AppError, Password, Role, Rule, UserView, Username};
use async_trait::async_trait;

use super::{Services, db_err, internal, user_view};
use crate::store::audit::NewEvent;
use crate::store::{self, StoreError};
use crate::throttle::Key;

#[async_trait]
impl AuthBackend for Services {
    async fn needs_setup(&self) -> Result<bool, AppError> {
        if self.set_up.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let exists = store::users::any_exists(&self.db).await?;
        if exists {
            self.set_up.store(true, Ordering::Relaxed);
        }
        Ok(!exists)
    }

    /// The one-time setup: creates the owner unless any console user exists.
    async fn create_owner(
        &self,
        username: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<UserView, AppError> {
        if !self.needs_setup().await? {
            return Err(AppError::NotFound);
        }
        let username = Username::parse(username)?;
        let password = Password::parse_confirmed(password, password_confirm)?;
        let hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| internal("hashing", e))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        match store::users::claim_setup(&mut *tx, now).await {
            Err(StoreError::Unique) => return Err(AppError::NotFound),
            other => other?,
        }
        let row = store::users::insert(
            &mut *tx,
            username.as_str(),
            &hash,
            Role::Owner.as_str(),
            now,
        )
        .await?;
        let event = NewEvent {
            actor: username.as_str(),
            action: "setup",
            object: &format!("user:{username}"),
            detail: "owner",
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.set_up.store(true, Ordering::Relaxed);
        Ok(user_view(&row))
    }

    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<UserView, AppError> {
        if username.trim().is_empty() {
            return Err(AppError::invalid(Username::FIELD, Rule::Required));
        }
        if password.is_empty() {
            return Err(AppError::invalid(Password::FIELD, Rule::Required));
        }
        let keys = [
            Key::User(username.trim().to_lowercase()),
            Key::Client(client.ip),
        ];
        let now = self.clock.now();
        if let Err(retry_after_secs) = self.throttle.attempt(&keys, now) {
            return Err(AppError::Throttled { retry_after_secs });
        }
        let judged = async {
            let row = match Username::parse(username) {
                Ok(name) => store::users::by_username(&self.db, name.as_str()).await?,
                Err(_) => None,
            };
            let matches = self
                .passwords
                .verify(row.as_ref().map(|r| r.password_hash.as_str()), password)
                .await
                .map_err(|e| internal("verifying", e))?;
            Ok::<_, AppError>((row, matches))
        };
        let (row, matches) = judged
            .await
            .inspect_err(|_| self.throttle.undo(&keys, now))?;
        let actor = username.trim().to_lowercase();
        match row {
            Some(row) if matches && row.disabled == 0 => {
                self.throttle.record_success(&keys, now);
                let event = NewEvent {
                    actor: &row.username,
                    action: "sign_in",
                    object: &format!("user:{}", row.username),
                    detail: &client.ip.to_string(),
                };
                store::audit::insert(&self.db, event, now).await?;
                Ok(user_view(&row))
            }
            _ => {
                let event = NewEvent {
                    actor: &actor,
                    action: "sign_in_failed",
                    object: &format!("user:{actor}"),
                    detail: &client.ip.to_string(),
                };
                store::audit::insert(&self.db, event, now).await?;
                Err(AppError::BadCredentials)
            }
        }
    }

    async fn sign_out(&self, user: &UserView) -> Result<(), AppError> {
        let event = NewEvent {
            actor: &user.username,
            action: "sign_out",
            object: &format!("user:{}", user.username),
            detail: "",
        };
        store::audit::insert(&self.db, event, self.clock.now()).await?;
        Ok(())
    }

    /// The user behind a session or token; a disabled or deleted user is signed out.
    async fn active_user(&self, id: i64) -> Result<UserView, AppError> {
        match store::users::by_id(&self.db, id).await? {
            Some(row) if row.disabled == 0 => Ok(user_view(&row)),
            _ => Err(AppError::Unauthenticated),
        }
    }
}
