//! IM accounts (`/v4` account_import) as the message path reads them.

use sqlx::{Any, Executor};

use super::{CHUNK, Engine, StoreError, StoreResult};

/// Creates the account unless it exists; true when it was created.
pub async fn ensure_account<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO im_accounts (sdkappid, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sdkappid, user_id) DO NOTHING",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

/// Imports an account, or updates its profile when it exists (importing again is allowed).
pub async fn upsert_account<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    nick: &str,
    face_url: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO im_accounts (sdkappid, user_id, nick, face_url, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sdkappid, user_id) \
         DO UPDATE SET nick = EXCLUDED.nick, face_url = EXCLUDED.face_url",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(nick)
    .bind(face_url)
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn account_exists<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
) -> StoreResult<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM im_accounts WHERE sdkappid = $1 AND user_id = $2")
            .bind(sdkappid)
            .bind(user_id)
            .fetch_optional(db)
            .await
            .map_err(StoreError::from_sqlx)?;
    Ok(row.is_some())
}

/// Which of `users` have an account.
pub async fn existing_accounts(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    users: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    let engine = Engine::of_pool(db);
    for chunk in users.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "SELECT user_id FROM im_accounts WHERE sdkappid = ? AND user_id IN ({})",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (String,)>(&sql).bind(sdkappid);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        let rows = q.fetch_all(db).await.map_err(StoreError::from_sqlx)?;
        found.extend(rows.into_iter().map(|(u,)| u));
    }
    Ok(found)
}
