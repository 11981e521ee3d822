use app::api::{AuthBackend, TokensBackend};
use app::domain::{AppError, CreatedToken, TokenName, TokenView, UserView};
use async_trait::async_trait;

use super::{Services, db_err};
use crate::crypto::{new_api_token, token_digest};
use crate::store::audit::NewEvent;
use crate::store::{self, tokens::TokenRow};

fn token_view(row: TokenRow) -> TokenView {
    TokenView {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

impl Services {
    /// The console user a `Bearer` token stands for.
    pub async fn user_by_token(&self, token: &str) -> Result<UserView, AppError> {
        let row = store::tokens::by_digest(&self.db, &token_digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        store::tokens::touch(&self.db, row.id, self.clock.now()).await?;
        self.active_user(row.user_id).await
    }
}

#[async_trait]
impl TokensBackend for Services {
    async fn list_tokens(&self, by: &UserView) -> Result<Vec<TokenView>, AppError> {
        let rows = store::tokens::list_for_user(&self.db, by.id).await?;
        Ok(rows.into_iter().map(token_view).collect())
    }

    /// A token acts with its owner's role, so any signed-in user may make one for themself.
    async fn create_token(&self, by: &UserView, name: &str) -> Result<CreatedToken, AppError> {
        let name = TokenName::parse(name)?;
        let token = new_api_token();
        let prefix: String = token.expose().chars().take(12).collect();
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        let row = store::tokens::insert(
            &mut *tx,
            by.id,
            name.as_str(),
            &token_digest(token.expose()),
            &prefix,
            now,
        )
        .await?;
        let event = NewEvent {
            actor: &by.username,
            action: "token_created",
            object: &format!("token:{}", row.id),
            detail: name.as_str(),
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(CreatedToken {
            id: row.id,
            name: row.name,
            token: token.expose().to_owned(),
        })
    }

    async fn revoke_token(&self, by: &UserView, id: i64) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        let row = store::tokens::revoke(&mut *tx, id, by.id, now)
            .await?
            .ok_or(AppError::NotFound)?;
        let event = NewEvent {
            actor: &by.username,
            action: "token_revoked",
            object: &format!("token:{}", row.id),
            detail: &row.name,
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}
