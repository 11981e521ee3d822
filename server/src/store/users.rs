use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, username, password_hash, role, disabled, created_at";

pub async fn any_exists<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM console_users LIMIT 1")
        .fetch_optional(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(row.is_some())
}

/// Marks the installation as set up; fails with [`StoreError::Unique`] the second time.
pub async fn claim_setup<'e, E: Executor<'e, Database = Any>>(db: E, now: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO installation (id, set_up_at) VALUES (1, $1)")
        .bind(now)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Marks the installation as set up if it is not yet (a user created from the shell).
pub async fn mark_set_up<'e, E: Executor<'e, Database = Any>>(db: E, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO installation (id, set_up_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    db: E,
    username: &str,
    password_hash: &str,
    role: &str,
    now: i64,
) -> StoreResult<UserRow> {
    sqlx::query_as(&format!(
        "INSERT INTO console_users (username, password_hash, role, disabled, created_at) \
         VALUES ($1, $2, $3, 0, $4) RETURNING {COLUMNS}"
    ))
    .bind(username)
    .bind(password_hash)
    .bind(role)
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
) -> StoreResult<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM console_users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn by_username<'e, E: Executor<'e, Database = Any>>(
    db: E,
    username: &str,
) -> StoreResult<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM console_users WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<Vec<UserRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM console_users ORDER BY id"))
        .fetch_all(db)
        .await
        .map_err(StoreError::from_sqlx)
}

pub async fn set_role<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
    role: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE console_users SET role = $1 WHERE id = $2")
        .bind(role)
        .bind(id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn set_disabled<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
    disabled: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE console_users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn count_active_owners<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM console_users WHERE role = 'owner' AND disabled = 0")
            .fetch_one(db)
            .await
            .map_err(StoreError::from_sqlx)?;
    Ok(n)
}
