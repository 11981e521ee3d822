use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, name, prefix, created_at, last_used_at";

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: i64,
    name: &str,
    digest: &str,
    prefix: &str,
    now: i64,
) -> StoreResult<TokenRow> {
    sqlx::query_as(&format!(
        "INSERT INTO api_tokens (user_id, name, token_digest, prefix, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(user_id)
    .bind(name)
    .bind(digest)
    .bind(prefix)
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn list_for_user<'e, E: Executor<'e, Database = Any>>(
    db: E,
    user_id: i64,
) -> StoreResult<Vec<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn by_digest<'e, E: Executor<'e, Database = Any>>(
    db: E,
    digest: &str,
) -> StoreResult<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_digest = $1 AND revoked_at IS NULL"
    ))
    .bind(digest)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Notes a use, at most once a minute per token, to keep reads from turning into writes.
pub async fn touch<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - 60)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
    user_id: i64,
    now: i64,
) -> StoreResult<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "UPDATE api_tokens SET revoked_at = $1 \
         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}
