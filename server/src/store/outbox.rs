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

/// Gives claimed rows back, due again at `due` (a vendor outage: they wait, they are not lost).
pub async fn release<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ids: &[i64],
    due: i64,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query(&format!(
        "UPDATE push_outbox SET lease_owner = NULL, lease_until = $1 WHERE id IN ({list})"
    ))
    .bind(due)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Releases every pending row leased to `owner`; returns how many.
pub async fn release_owner<'e, E: Executor<'e, Database = Any>>(
    db: E,
    owner: &str,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE push_outbox SET lease_owner = NULL, lease_until = 0 \
         WHERE lease_owner = $1 AND state = 'pending'",
    )
    .bind(owner)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected())
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

/// Rows per multi-row statement: well within either engine's parameter limit.
const CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which of `users` have an account.
pub async fn existing_accounts(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    users: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let mut found = std::collections::HashSet::new();
    for chunk in users.chunks(CHUNK) {
        let sql = format!(
            "SELECT user_id FROM im_accounts WHERE sdkappid = $1 AND user_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String,)>(&sql).bind(sdkappid);
        for u in chunk {
            q = q.bind(u.as_str());
        }
        let rows = q.fetch_all(db).await.map_err(StoreError::from_sqlx)?;
        found.extend(rows.into_iter().map(|(u,)| u));
    }
    Ok(found)
}

/// Messages sent again within the de-duplication window: content hash → (MsgSeq, MsgTime).
pub async fn duplicates(
    db: &sqlx::AnyPool,
    sdkappid: i64,
    from_account: &str,
    msg_random: i64,
    hashes: &[String],
    since: i64,
) -> StoreResult<std::collections::HashMap<String, (i64, i64)>> {
    let mut found = std::collections::HashMap::new();
    for chunk in hashes.chunks(CHUNK) {
        let sql = format!(
            "SELECT content_hash, msg_seq, msg_time FROM im_messages WHERE sdkappid = $1 \
             AND from_account = $2 AND msg_random = $3 AND msg_time >= $4 \
             AND content_hash IN ({}) ORDER BY id",
            placeholders(5, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql)
            .bind(sdkappid)
            .bind(from_account)
            .bind(msg_random)
            .bind(since);
        for h in chunk {
            q = q.bind(h.as_str());
        }
        for (hash, seq, time) in q.fetch_all(db).await.map_err(StoreError::from_sqlx)? {
            found.insert(hash, (seq, time));
        }
    }
    Ok(found)
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
    let mut out = Vec::new();
    for chunk in users.chunks(CHUNK) {
        let sql = format!(
            "SELECT d.user_id, d.certificate_id, d.token, d.bad_at, s.online_until \
             FROM device_tokens d JOIN im_sessions s ON s.token_digest = d.session_digest \
             WHERE d.sdkappid = $1 AND d.user_id IN ({}) ORDER BY d.certificate_id, d.token",
            placeholders(2, chunk.len())
        );
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
    for chunk in users.chunks(CHUNK) {
        let sql = format!(
            "SELECT user_id, state, online_until FROM im_sessions WHERE sdkappid = $1 \
             AND user_id IN ({}) ORDER BY id",
            placeholders(2, chunk.len())
        );
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

/// Writes messages in multi-row statements; returns their ids in the same order.
pub async fn insert_messages(
    tx: &mut sqlx::Transaction<'_, Any>,
    messages: &[NewMessage<'_>],
) -> StoreResult<Vec<i64>> {
    const COLUMNS: usize = 14;
    let mut ids = Vec::with_capacity(messages.len());
    let rows_max = super::rows_per_statement(tx, COLUMNS);
    for chunk in messages.chunks(rows_max) {
        let rows = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO im_messages (sdkappid, from_account, to_account, msg_seq, msg_random, \
             msg_time, content_hash, body, push_title, push_desc, push_ext, channel_id, sound, \
             notify_id) VALUES {rows} RETURNING id"
        );
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
        let mut got: Vec<i64> = q
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        // One statement's rows get ascending ids in VALUES order on both engines.
        got.sort_unstable();
        ids.extend(got);
    }
    Ok(ids)
}

/// An outbox row before it is written: (message id, certificate, user, token).
pub struct NewPush<'a> {
    pub message_id: i64,
    pub certificate_id: i64,
    pub user_id: &'a str,
    pub token: &'a str,
}

pub async fn enqueue_many(
    tx: &mut sqlx::Transaction<'_, Any>,
    pushes: &[NewPush<'_>],
    now: i64,
) -> StoreResult<()> {
    let rows_max = super::rows_per_statement(tx, 4);
    for chunk in pushes.chunks(rows_max) {
        let rows = (0..chunk.len())
            .map(|i| format!("({}, 'pending', 0, $1)", placeholders(i * 4 + 2, 4)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO push_outbox (message_id, certificate_id, user_id, token, state, \
             lease_until, created_at) VALUES {rows}"
        );
        let mut q = sqlx::query(&sql).bind(now);
        for p in chunk {
            q = q
                .bind(p.message_id)
                .bind(p.certificate_id)
                .bind(p.user_id)
                .bind(p.token);
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}
