use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

/// One audit event; written in the same transaction as the change it records.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub detail: &'a str,
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    db: E,
    event: NewEvent<'_>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now)
    .bind(event.actor)
    .bind(event.action)
    .bind(event.object)
    .bind(event.detail)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Newest first; `before_id` continues a previous page (keyset pagination).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    db: E,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT id, at, actor, action, object, detail FROM audit_events \
         WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
