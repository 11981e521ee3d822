//! IM messages and the offline-push outbox written with them.

use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

/// A message as `/v4` accepted it.
pub struct NewMessage<'a> {
    pub sdkappid: i64,
    pub from_account: &'a str,
    pub to_account: &'a str,
    pub msg_seq: i64,
    pub msg_random: i64,
    pub msg_time: i64,
    pub content_hash: &'a str,
    pub body: &'a str,
    pub push_title: &'a str,
    pub push_desc: &'a str,
    pub push_ext: &'a str,
    pub channel_id: Option<&'a str>,
    pub sound: Option<&'a str>,
    pub notify_id: i64,
}

pub async fn insert_message<'e, E: Executor<'e, Database = Any>>(
    db: E,
    m: &NewMessage<'_>,
) -> StoreResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO im_messages (sdkappid, from_account, to_account, msg_seq, msg_random, \
         msg_time, content_hash, body, push_title, push_desc, push_ext, channel_id, sound, \
         notify_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
    )
    .bind(m.sdkappid)
    .bind(m.from_account)
    .bind(m.to_account)
    .bind(m.msg_seq)
    .bind(m.msg_random)
    .bind(m.msg_time)
    .bind(m.content_hash)
    .bind(m.body)
    .bind(m.push_title)
    .bind(m.push_desc)
    .bind(m.push_ext)
    .bind(m.channel_id)
    .bind(m.sound)
    .bind(m.notify_id)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(id)
}

/// The same message sent again within the de-duplication window: its (MsgSeq, MsgTime).
pub async fn duplicate<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    from_account: &str,
    msg_random: i64,
    content_hash: &str,
    since: i64,
) -> StoreResult<Option<(i64, i64)>> {
    sqlx::query_as(
        "SELECT msg_seq, msg_time FROM im_messages WHERE sdkappid = $1 AND from_account = $2 \
         AND msg_random = $3 AND content_hash = $4 AND msg_time >= $5 ORDER BY id DESC LIMIT 1",
    )
    .bind(sdkappid)
    .bind(from_account)
    .bind(msg_random)
    .bind(content_hash)
    .bind(since)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

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

/// Marks tokens MiPush refused as invalid, so they are not pushed again until reported anew.
pub async fn mark_bad<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    tokens: &[String],
    now: i64,
) -> StoreResult<()> {
    if tokens.is_empty() {
        return Ok(());
    }
    // At most a claim's worth (5000) of parameters: within either engine's limit.
    let list = (0..tokens.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE device_tokens SET bad_at = $1 WHERE certificate_id = $2 AND token IN ({list})"
    );
    let mut q = sqlx::query(&sql).bind(now).bind(certificate_id);
    for t in tokens {
        q = q.bind(t.as_str());
    }
    q.execute(db).await.map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// How the user's most recent session ended (`active`, `logged_out`, `kicked`), if any.
pub async fn last_session_state<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
) -> StoreResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT state FROM im_sessions WHERE sdkappid = $1 AND user_id = $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(sdkappid)
    .bind(user_id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(row.map(|(s,)| s))
}

pub async fn enqueue<'e, E: Executor<'e, Database = Any>>(
    db: E,
    message_id: i64,
    certificate_id: i64,
    user_id: &str,
    token: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO push_outbox (message_id, certificate_id, user_id, token, state, lease_until, \
         created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5)",
    )
    .bind(message_id)
    .bind(certificate_id)
    .bind(user_id)
    .bind(token)
    .bind(now)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// A claimed outbox row with what its push needs.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub message_id: i64,
    pub certificate_id: i64,
    pub user_id: String,
    pub token: String,
    pub sdkappid: i64,
    pub push_title: String,
    pub push_desc: String,
    pub push_ext: String,
    pub channel_id: Option<String>,
    pub sound: Option<String>,
    pub notify_id: i64,
    pub msg_seq: i64,
    pub msg_random: i64,
    pub msg_time: i64,
}

/// Leases up to `limit` pending rows to `owner` until `lease_until`: rows whose lease ran out
/// (a worker that died) are taken again. On PostgreSQL several instances claim side by side
/// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the UPDATE is the lock.
pub async fn claim<'e, E: Executor<'e, Database = Any>>(
    db: E,
    postgres: bool,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> StoreResult<u64> {
    let pick = if postgres {
        "SELECT id FROM push_outbox WHERE state = 'pending' AND lease_until < $2 \
         ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED"
    } else {
        "SELECT id FROM push_outbox WHERE state = 'pending' AND lease_until < $2 \
         ORDER BY id LIMIT $4"
    };
    let done = sqlx::query(&format!(
        "UPDATE push_outbox SET lease_owner = $1, lease_until = $3 WHERE id IN ({pick})"
    ))
    .bind(owner)
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected())
}

pub async fn claimed<'e, E: Executor<'e, Database = Any>>(
    db: E,
    owner: &str,
) -> StoreResult<Vec<Claimed>> {
    sqlx::query_as(
        "SELECT o.id, o.message_id, o.certificate_id, o.user_id, o.token, m.sdkappid, \
         m.push_title, m.push_desc, m.push_ext, m.channel_id, m.sound, m.notify_id, \
         m.msg_seq, m.msg_random, m.msg_time \
         FROM push_outbox o JOIN im_messages m ON m.id = o.message_id \
         WHERE o.lease_owner = $1 AND o.state = 'pending' \
         ORDER BY o.certificate_id, m.notify_id, m.push_title, m.push_desc, m.push_ext, \
         m.channel_id, m.sound, o.id",
    )
    .bind(owner)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn mark_done<'e, E: Executor<'e, Database = Any>>(db: E, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query(&format!(
        "UPDATE push_outbox SET state = 'done' WHERE id IN ({list})"
    ))
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// A message to the user as the diagnosis traces it.
#[derive(Debug, Clone, FromRow)]
pub struct RecentMessage {
    pub id: i64,
    pub from_account: String,
    pub msg_seq: i64,
    pub msg_random: i64,
    pub msg_time: i64,
    pub push_title: String,
    pub push_desc: String,
}

/// The user's newest messages in `[since, until)`, newest first.
pub async fn recent_messages<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    user_id: &str,
    since: i64,
    until: i64,
    limit: i64,
) -> StoreResult<Vec<RecentMessage>> {
    sqlx::query_as(
        "SELECT id, from_account, msg_seq, msg_random, msg_time, push_title, push_desc \
         FROM im_messages WHERE sdkappid = $1 AND to_account = $2 AND msg_time >= $3 \
         AND msg_time < $4 ORDER BY id DESC LIMIT $5",
    )
    .bind(sdkappid)
    .bind(user_id)
    .bind(since)
    .bind(until)
    .bind(limit)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
