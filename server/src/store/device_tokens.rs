//! Device tokens (regIds) reported with a certificate ID after login, bound to the login that
//! reported them; retired when the vendor says they are gone.

use sqlx::{Any, Executor, FromRow};

use super::sessions::SessionRow;
use super::{CHUNK, Engine, StoreError, StoreResult};

/// The receiving devices of a user: bound tokens with their certificate's vendor.
#[derive(Debug, Clone, FromRow)]
pub struct Receiver {
    pub certificate_id: i64,
    pub token: String,
    /// When MiPush said the token is no longer valid.
    pub bad_at: Option<i64>,
    /// Until when the login that reported it has a connection open (0: none).
    pub online_until: i64,
}

pub async fn bound_tokens<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
) -> StoreResult<Vec<Receiver>> {
    sqlx::query_as(
        "SELECT d.certificate_id, d.token, d.bad_at, s.online_until FROM device_tokens d \
         JOIN im_sessions s ON s.token_digest = d.session_digest \
         WHERE d.sdkappid = $1 AND d.user_id = $2 ORDER BY d.certificate_id, d.token",
    )
    .bind(sdkappid)
    .bind(user_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The bound tokens of many users at once, as (user, receiver).
pub async fn receivers_of(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    users: &[String],
) -> StoreResult<Vec<(String, Receiver)>> {
    #[derive(FromRow)]
    struct Row {
        user_id: String,
        certificate_id: i64,
        token: String,
        bad_at: Option<i64>,
        online_until: i64,
    }
    let engine = Engine::of_pool(db);
    let mut out = Vec::new();
    for chunk in users.chunks(CHUNK) {
        // Each device's login is looked up by its digest (a scalar subquery: one index probe a
        // device). As a join, PostgreSQL hashed all of im_sessions for every chunk of 500
        // users (42-72 ms a chunk at 100,000 logins: 17 s of reads for a send to 100,000).
        let sql = engine.sql(&format!(
            "SELECT user_id, certificate_id, token, bad_at, online_until FROM ( \
             SELECT d.user_id, d.certificate_id, d.token, d.bad_at, \
             (SELECT s.online_until FROM im_sessions s WHERE s.token_digest = d.session_digest) \
             AS online_until FROM device_tokens d WHERE d.sdkappid = ? AND d.user_id IN ({})) r \
             WHERE online_until IS NOT NULL ORDER BY certificate_id, token",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, Row>(&sql).bind(sdkappid);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        for r in q.fetch_all(db).await.map_err(StoreError::from_sqlx)? {
            out.push((
                r.user_id,
                Receiver {
                    certificate_id: r.certificate_id,
                    token: r.token,
                    bad_at: r.bad_at,
                    online_until: r.online_until,
                },
            ));
        }
    }
    Ok(out)
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
         reported_at = EXCLUDED.reported_at, bad_at = NULL, notifications_off_at = NULL",
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

/// Marks tokens MiPush refused as invalid, so they are not pushed again until reported anew.
pub async fn retire(
    conn: &mut sqlx::AnyConnection,
    certificate_id: i64,
    tokens: &[String],
    now: i64,
) -> StoreResult<()> {
    let engine = Engine::of(conn);
    for chunk in tokens.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "UPDATE device_tokens SET bad_at = ? WHERE certificate_id = ? AND token IN ({})",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query(&sql).bind(now).bind(certificate_id);
        for t in chunk {
            q = q.bind(t.as_str());
        }
        q.execute(&mut *conn).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// Every token the user reported, bound or not, newest report first.
#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub certificate_id: i64,
    pub token: String,
    pub reported_at: i64,
    pub bad_at: Option<i64>,
    pub notifications_off_at: Option<i64>,
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
        "SELECT d.certificate_id, d.token, d.reported_at, d.bad_at, d.notifications_off_at, \
         s.state AS session_state, \
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

/// The device said its notifications are off for the app (receipt 32): shown on the devices page
/// and in the diagnosis; pushes are still sent. Reporting the token again clears it.
pub async fn notifications_off<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    token: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE device_tokens SET notifications_off_at = $1 WHERE certificate_id = $2 AND token = $3",
    )
    .bind(now)
    .bind(certificate_id)
    .bind(token)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}
