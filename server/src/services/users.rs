use app::api::UsersBackend;
use app::domain::{AppError, Password, Role, Rule, UserView, Username};
use async_trait::async_trait;

use super::{Services, db_err, internal, require, user_view};
use crate::store::audit::NewEvent;
use crate::store::users::UserRow;
use crate::store::{self, StoreError};

fn self_change(field: &str) -> AppError {
    AppError::invalid(
        field,
        Rule::Other {
            key: "rule.self_change".into(),
        },
    )
}

fn last_owner(field: &str) -> AppError {
    AppError::invalid(
        field,
        Rule::Other {
            key: "rule.last_owner".into(),
        },
    )
}

impl Services {
    /// `pushdesk admin create`: the shell is trusted; creating the first user ends the setup page.
    pub async fn create_user_from_shell(
        &self,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<UserView, AppError> {
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| internal("hashing", e))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        store::users::mark_set_up(&mut *tx, now).await?;
        let row = match store::users::insert(&mut *tx, username.as_str(), &hash, role.as_str(), now)
            .await
        {
            Err(StoreError::Unique) => {
                return Err(AppError::Conflict(app::domain::FieldError::new(
                    Username::FIELD,
                    Rule::Taken,
                )));
            }
            other => other?,
        };
        let event = NewEvent {
            actor: "cli",
            action: "user_created",
            object: &format!("user:{username}"),
            detail: role.as_str(),
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user_view(&row))
    }

    /// The target user, after checking that `by` may manage someone of that role.
    async fn managed_user(
        &self,
        by: &UserView,
        username: &str,
        field: &str,
    ) -> Result<UserRow, AppError> {
        require(by.role.can_manage_users())?;
        let username = Username::parse(username)?;
        let target = store::users::by_username(&self.db, username.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        if target.id == by.id {
            return Err(self_change(field));
        }
        require(by.role.can_assign(user_view(&target).role))?;
        Ok(target)
    }

    async fn user_row(&self, id: i64) -> Result<UserView, AppError> {
        store::users::by_id(&self.db, id)
            .await?
            .map(|r| user_view(&r))
            .ok_or(AppError::NotFound)
    }
}

#[async_trait]
impl UsersBackend for Services {
    /// Every role sees the list of console users.
    async fn list_users(&self, _by: &UserView) -> Result<Vec<UserView>, AppError> {
        let rows = store::users::list(&self.db).await?;
        Ok(rows.iter().map(user_view).collect())
    }

    async fn create_user(
        &self,
        by: &UserView,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<UserView, AppError> {
        require(by.role.can_manage_users())?;
        let username = Username::parse(username)?;
        let password = Password::parse(password)?;
        let role = Role::parse(role)?;
        require(by.role.can_assign(role))?;
        let hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| internal("hashing", e))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        let row = match store::users::insert(&mut *tx, username.as_str(), &hash, role.as_str(), now)
            .await
        {
            Err(StoreError::Unique) => {
                return Err(AppError::Conflict(app::domain::FieldError::new(
                    Username::FIELD,
                    Rule::Taken,
                )));
            }
            other => other?,
        };
        let event = NewEvent {
            actor: &by.username,
            action: "user_created",
            object: &format!("user:{username}"),
            detail: role.as_str(),
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user_view(&row))
    }

    async fn set_role(
        &self,
        by: &UserView,
        username: &str,
        role: &str,
    ) -> Result<UserView, AppError> {
        let target = self.managed_user(by, username, Role::FIELD).await?;
        let role = Role::parse(role)?;
        require(by.role.can_assign(role))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        store::users::set_role(&mut *tx, target.id, role.as_str()).await?;
        if store::users::count_active_owners(&mut *tx).await? == 0 {
            return Err(last_owner(Role::FIELD));
        }
        let event = NewEvent {
            actor: &by.username,
            action: "role_changed",
            object: &format!("user:{}", target.username),
            detail: &format!("{} → {role}", target.role),
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.user_row(target.id).await
    }

    async fn set_disabled(
        &self,
        by: &UserView,
        username: &str,
        disabled: bool,
    ) -> Result<UserView, AppError> {
        let target = self.managed_user(by, username, "disabled").await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        store::users::set_disabled(&mut *tx, target.id, disabled).await?;
        if store::users::count_active_owners(&mut *tx).await? == 0 {
            return Err(last_owner("disabled"));
        }
        let event = NewEvent {
            actor: &by.username,
            action: if disabled {
                "user_disabled"
            } else {
                "user_enabled"
            },
            object: &format!("user:{}", target.username),
            detail: "",
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.user_row(target.id).await
    }
}
