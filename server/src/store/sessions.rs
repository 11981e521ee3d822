//! IM logins (`/sdk/v1/login`): their state, their connection's online lease, kicks.

use sqlx::{Any, Executor, FromRow};

use super::{CHUNK, Engine, StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub token_digest: String,
    pub sdkappid: i64,
    pub user_id: String,
    pub platform: String,
    pub state: String,
    /// The last message delivered in-band on this login.
    pub delivered_id: i64,
}

/// A new login; it continues in-band delivery where the user's last login on the platform
/// stopped.
pub async fn insert_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    sdkappid: i64,
    user_id: &str,
    platform: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO im_sessions (token_digest, sdkappid, user_id, platform, state, created_at, \
         delivered_id) SELECT $1, $2, $3, $4, 'active', $5, COALESCE(MAX(delivered_id), 0) \
         FROM im_sessions WHERE sdkappid = $2 AND user_id = $3 AND platform = $4",
    )
    .bind(token_digest)
    .bind(sdkappid)
    .bind(user_id)
    .bind(platform)
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
) -> StoreResult<Option<SessionRow>> {
    sqlx::query_as(
        "SELECT token_digest, sdkappid, user_id, platform, state, delivered_id FROM im_sessions \
         WHERE token_digest = $1",
    )
    .bind(token_digest)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn end_session<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE im_sessions SET state = 'logged_out', ended_at = $1 \
         WHERE token_digest = $2 AND state = 'active'",
    )
    .bind(now)
    .bind(token_digest)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Kicks the user's oldest active logins on `platform` so that at most `keep` remain (the app's
/// multi-device policy makes room for a new login); returns how many were kicked.
pub async fn kick_beyond<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    platform: &str,
    keep: i64,
    now: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE im_sessions SET state = 'kicked', ended_at = $1 \
         WHERE sdkappid = $2 AND user_id = $3 AND platform = $4 AND state = 'active' \
         AND id NOT IN (SELECT id FROM im_sessions WHERE sdkappid = $2 AND user_id = $3 \
         AND platform = $4 AND state = 'active' ORDER BY id DESC LIMIT $5)",
    )
    .bind(now)
    .bind(sdkappid)
    .bind(user_id)
    .bind(platform)
    .bind(keep)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected())
}

/// Ends every active session of the user (REST `kick`).
pub async fn kick_all<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    now: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE im_sessions SET state = 'kicked', ended_at = $1 \
         WHERE sdkappid = $2 AND user_id = $3 AND state = 'active'",
    )
    .bind(now)
    .bind(sdkappid)
    .bind(user_id)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected())
}

/// Marks the login online on connection `conn` until `until`; false when it is no longer
/// active.
pub async fn go_online<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    conn: &str,
    until: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE im_sessions SET online_conn = $1, online_until = $2 \
         WHERE token_digest = $3 AND state = 'active'",
    )
    .bind(conn)
    .bind(until)
    .bind(token_digest)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

/// Extends the connection's lease, unless a newer connection of the login took over.
pub async fn renew_online<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    conn: &str,
    until: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE im_sessions SET online_until = $1 WHERE token_digest = $2 AND online_conn = $3",
    )
    .bind(until)
    .bind(token_digest)
    .bind(conn)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// The connection closed: the login is offline, unless a newer connection took over.
pub async fn go_offline<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    conn: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE im_sessions SET online_conn = NULL, online_until = 0 \
         WHERE token_digest = $1 AND online_conn = $2",
    )
    .bind(token_digest)
    .bind(conn)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Whether any login of the user has a connection open at `now`.
pub async fn is_online<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM im_sessions WHERE sdkappid = $1 AND user_id = $2 AND state = 'active' \
         AND online_until > $3 LIMIT 1",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(now)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(row.is_some())
}

/// Where a user's logins stand: how the latest one ended, and whether any is connected.
#[derive(Debug, Clone, Default)]
pub struct LoginState {
    /// `active`, `logged_out` or `kicked`; None without any login.
    pub latest: Option<String>,
    pub online: bool,
}

pub async fn login_states(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    users: &[String],
    now: i64,
) -> StoreResult<std::collections::HashMap<String, LoginState>> {
    let mut out: std::collections::HashMap<String, LoginState> = Default::default();
    let engine = Engine::of_pool(db);
    for chunk in users.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "SELECT user_id, state, online_until FROM im_sessions WHERE sdkappid = ? \
             AND user_id IN ({}) ORDER BY id",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql).bind(sdkappid);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        for (user, state, online_until) in q.fetch_all(db).await.map_err(StoreError::from_sqlx)? {
            let entry = out.entry(user).or_default();
            entry.online |= state == "active" && online_until > now;
            entry.latest = Some(state);
        }
    }
    Ok(out)
}

/// A login of the user, as the diagnosis tells it.
#[derive(Debug, Clone, FromRow)]
pub struct LoginRow {
    pub platform: String,
    pub state: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub online_until: i64,
    pub delivered_id: i64,
}

/// The user's most recent logins, newest first.
pub async fn user_logins<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    limit: i64,
) -> StoreResult<Vec<LoginRow>> {
    sqlx::query_as(
        "SELECT platform, state, created_at, ended_at, online_until, delivered_id \
         FROM im_sessions WHERE sdkappid = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
