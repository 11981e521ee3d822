use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

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

/// Unbinds the tokens of sessions no longer active for this user (logged out, kicked).
pub async fn unbind_ended<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE device_tokens SET session_digest = NULL WHERE sdkappid = $1 AND user_id = $2 \
         AND session_digest IN (SELECT token_digest FROM im_sessions \
         WHERE sdkappid = $1 AND user_id = $2 AND state <> 'active')",
    )
    .bind(sdkappid)
    .bind(user_id)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Binds a token to the session's user: a token reported again is the same row, a token that
/// moves to another user moves (one owner).
pub async fn bind_token<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    token: &str,
    session: &SessionRow,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO device_tokens (certificate_id, token, sdkappid, user_id, session_digest, reported_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (certificate_id, token) DO UPDATE SET sdkappid = EXCLUDED.sdkappid, \
         user_id = EXCLUDED.user_id, session_digest = EXCLUDED.session_digest, \
         reported_at = EXCLUDED.reported_at, bad_at = NULL",
    )
    .bind(certificate_id)
    .bind(token)
    .bind(session.sdkappid)
    .bind(&session.user_id)
    .bind(&session.token_digest)
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
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

/// A message waiting for in-band delivery.
#[derive(Debug, Clone, FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub from_account: String,
    pub msg_seq: i64,
    pub msg_random: i64,
    pub msg_time: i64,
    pub body: String,
}

/// The user's messages after `after_id`, not older than `since`, oldest first.
pub async fn inbox<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    after_id: i64,
    since: i64,
    limit: i64,
) -> StoreResult<Vec<InboxRow>> {
    sqlx::query_as(
        "SELECT id, from_account, msg_seq, msg_random, msg_time, body FROM im_messages \
         WHERE sdkappid = $1 AND to_account = $2 AND id > $3 AND msg_time >= $4 \
         ORDER BY id LIMIT $5",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(after_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Records that the login received every message up to `id`.
pub async fn delivered<'e, E: Executor<'e, Database = Any>>(
    db: E,
    token_digest: &str,
    id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE im_sessions SET delivered_id = $1 WHERE token_digest = $2 AND delivered_id < $1",
    )
    .bind(id)
    .bind(token_digest)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Every token the user reported, bound or not, newest report first.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub certificate_id: i64,
    pub token: String,
    pub reported_at: i64,
    pub bad_at: Option<i64>,
    /// The state of the login that reported it, while it is bound.
    pub session_state: Option<String>,
    pub online_until: Option<i64>,
}

pub async fn user_devices<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
) -> StoreResult<Vec<DeviceRow>> {
    sqlx::query_as(
        "SELECT d.certificate_id, d.token, d.reported_at, d.bad_at, s.state AS session_state, \
         s.online_until FROM device_tokens d \
         LEFT JOIN im_sessions s ON s.token_digest = d.session_digest \
         WHERE d.sdkappid = $1 AND d.user_id = $2 ORDER BY d.reported_at DESC, d.token",
    )
    .bind(sdkappid)
    .bind(user_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
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
