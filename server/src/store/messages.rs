//! IM messages as `/v4` accepted them, with what their offline push shows, and the inbox a
//! connection delivers from.

use sqlx::{Any, Executor, FromRow};

use super::{CHUNK, Engine, StoreError, StoreResult};

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

/// Writes messages in multi-row statements; returns their ids in the same order.
pub async fn insert_messages(
    tx: &mut sqlx::Transaction<'_, Any>,
    messages: &[NewMessage<'_>],
) -> StoreResult<Vec<i64>> {
    const COLUMNS: usize = 14;
    let mut ids = Vec::with_capacity(messages.len());
    let engine = Engine::of(tx);
    for chunk in messages.chunks(super::rows_per_statement(COLUMNS)) {
        let sql = engine.sql(&format!(
            "INSERT INTO im_messages (sdkappid, from_account, to_account, msg_seq, msg_random, \
             msg_time, content_hash, body, push_title, push_desc, push_ext, channel_id, sound, \
             notify_id) VALUES {} RETURNING id",
            super::rows(&format!("({})", super::params(COLUMNS)), chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        for m in chunk {
            q = q
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
                .bind(m.notify_id);
        }
        ids.extend(super::inserted_ids(q, tx).await?);
    }
    Ok(ids)
}

/// A message stored since the de-duplication window began, as a resend is matched against it.
#[derive(Debug, Clone, FromRow)]
pub struct RecentSend {
    pub content_hash: String,
    pub from_account: String,
    pub msg_random: i64,
    pub msg_seq: i64,
    pub msg_time: i64,
}

/// The app's messages since `since` with one of `hashes` (each names content and receiver),
/// oldest first; the caller matches sender and MsgRandom.
pub async fn recent(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    hashes: &[String],
    since: i64,
) -> StoreResult<Vec<RecentSend>> {
    let engine = Engine::of_pool(db);
    let mut found = Vec::new();
    for chunk in hashes.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "SELECT content_hash, from_account, msg_random, msg_seq, msg_time FROM im_messages \
             WHERE sdkappid = ? AND msg_time >= ? AND content_hash IN ({}) ORDER BY id",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, RecentSend>(&sql)
            .bind(sdkappid)
            .bind(since);
        for h in chunk {
            q = q.bind(h.as_str());
        }
        found.extend(q.fetch_all(db).await.map_err(StoreError::from_sqlx)?);
    }
    Ok(found)
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
