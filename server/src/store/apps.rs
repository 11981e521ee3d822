use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct AppRow {
    pub sdkappid: i64,
    pub name: String,
    pub platforms: String,
    pub secret_key: String,
    pub created_at: i64,
    /// Logins of one user that may be active on one platform at once.
    pub devices_per_platform: i64,
}

const COLUMNS: &str = "sdkappid, name, platforms, secret_key, created_at, devices_per_platform";

/// Inserts an app under the next free SDKAppID (from 1400000001). Two concurrent inserts may
/// pick the same id; the loser gets [`StoreError::Unique`] and the caller tries again.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    db: E,
    name: &str,
    sealed_secret_key: &str,
    created_by: Option<i64>,
    now: i64,
) -> StoreResult<AppRow> {
    sqlx::query_as(&format!(
        "INSERT INTO apps (sdkappid, name, platforms, secret_key, created_by, created_at, updated_at) \
         SELECT COALESCE(MAX(sdkappid), 1400000000) + 1, $1, '', $2, $3, $4, $4 FROM apps \
         RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(sealed_secret_key)
    .bind(created_by)
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<Vec<AppRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM apps ORDER BY sdkappid"))
        .fetch_all(db)
        .await
        .map_err(StoreError::from_sqlx)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
) -> StoreResult<Option<AppRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM apps WHERE sdkappid = $1"))
        .bind(sdkappid)
        .fetch_optional(db)
        .await
        .map_err(StoreError::from_sqlx)
}

pub async fn set_platforms<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    platforms: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE apps SET platforms = $1, updated_at = $2 WHERE sdkappid = $3")
        .bind(platforms)
        .bind(now)
        .bind(sdkappid)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_devices_per_platform<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    devices: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE apps SET devices_per_platform = $1, updated_at = $2 WHERE sdkappid = $3",
    )
    .bind(devices)
    .bind(now)
    .bind(sdkappid)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}
