//! The offline-push outbox: one row per device to push, written in its message's transaction,
//! leased by a worker, due again as the retry policy says.

use sqlx::{Any, AnyPool, Executor, FromRow};

use super::{Engine, StoreError, StoreResult};

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
    /// Attempts made in the current series (see `crate::dispatch::policy`).
    pub attempts: i64,
}

/// Leases up to `limit` pending rows to `owner` until `lease_until`, the earliest due first
/// (new rows are due at 0, then by id): rows whose lease ran out (a worker that died) are taken
/// again. That is the order of `push_outbox_due` (on SQLite an index entry ends with its row
/// id; on PostgreSQL migration 0017 adds it), so the claim reads `limit` index entries, not the
/// whole backlog.
/// On PostgreSQL several instances claim side by side (`FOR UPDATE SKIP LOCKED`); SQLite has one
/// writer at a time, so the UPDATE is the lock.
pub async fn claim<'e, E: Executor<'e, Database = Any>>(
    db: E,
    postgres: bool,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> StoreResult<u64> {
    let sql = if postgres {
        // The pick is a CTE, which PostgreSQL runs once whatever its statistics say (a CTE
        // with FOR UPDATE is never folded into the query), and the rows it locked are updated
        // by their physical address (a TID scan, the one plan for `ctid = ANY`). Statistics
        // from a quiet moment say the outbox is empty; then PostgreSQL joined the picked ids
        // to the table as a nested loop over every row (100,000 x 1,000 comparisons: 17 s a
        // claim, seen with auto_explain), and an `IN (subquery)` ran for minutes.
        "WITH picked AS (SELECT ctid FROM push_outbox WHERE state = 'pending' AND lease_until < $2 \
         ORDER BY lease_until, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         UPDATE push_outbox SET lease_owner = $1, lease_until = $3 \
         WHERE ctid = ANY(ARRAY(SELECT ctid FROM picked))"
    } else {
        "UPDATE push_outbox SET lease_owner = $1, lease_until = $3 WHERE id IN (\
         SELECT id FROM push_outbox WHERE state = 'pending' AND lease_until < $2 \
         ORDER BY lease_until, id LIMIT $4)"
    };
    let done = sqlx::query(sql)
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
         m.msg_seq, m.msg_random, m.msg_time, o.attempts \
         FROM push_outbox o JOIN im_messages m ON m.id = o.message_id \
         WHERE o.lease_owner = $1 AND o.state = 'pending' \
         ORDER BY o.certificate_id, m.notify_id, m.push_title, m.push_desc, m.push_ext, \
         m.channel_id, m.sound, o.attempts, o.id",
    )
    .bind(owner)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Takes rows whose push ended out of the outbox: their push records are the history.
pub async fn finish<'e, E: Executor<'e, Database = Any>>(db: E, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query(&format!("DELETE FROM push_outbox WHERE id IN ({list})"))
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Gives claimed rows back, due again at `due` after `attempts` attempts of their series (a
/// vendor outage: they wait, they are not lost).
pub async fn reschedule<'e, E: Executor<'e, Database = Any>>(
    db: E,
    ids: &[i64],
    attempts: i64,
    due: i64,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    sqlx::query(&format!(
        "UPDATE push_outbox SET lease_owner = NULL, lease_until = $1, attempts = $2 \
         WHERE id IN ({list})"
    ))
    .bind(due)
    .bind(attempts)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// When the soonest pending row that no worker holds is due.
pub async fn next_due<'e, E: Executor<'e, Database = Any>>(db: E) -> StoreResult<Option<i64>> {
    let (due,): (Option<i64>,) = sqlx::query_as(
        "SELECT MIN(lease_until) FROM push_outbox WHERE state = 'pending' AND lease_owner IS NULL",
    )
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(due)
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
    let engine = Engine::of(tx);
    for chunk in pushes.chunks(super::rows_per_statement(5)) {
        let sql = engine.sql(&format!(
            "INSERT INTO push_outbox (message_id, certificate_id, user_id, token, state, \
             lease_until, created_at) VALUES {}",
            super::rows("(?, ?, ?, ?, 'pending', 0, ?)", chunk.len())
        ));
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(p.message_id)
                .bind(p.certificate_id)
                .bind(p.user_id)
                .bind(p.token)
                .bind(now);
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// Rows a send must queue before [`refresh_statistics`] looks at all.
const LARGE_SEND: usize = 1000;

/// PostgreSQL plans each statement by the tables' statistics, which autovacuum refreshes about
/// a minute after a tenth of a table changed (and never where it is off). A fan-out can turn an
/// outbox analyzed empty into 100,000 rows at once; planned for the empty table, the worker's
/// read of its claim joined them as nested loops over every row (10 s a round, seen with
/// auto_explain). So autovacuum's rule is applied at once, to the tables the worker reads: each
/// is analyzed when the `added` rows are more than a tenth of what its statistics count.
/// Nothing to do on SQLite, whose planner reads the indexes, not row counts.
pub async fn refresh_statistics(db: &AnyPool, added: usize) -> StoreResult<()> {
    if Engine::of_pool(db) == Engine::Sqlite || added < LARGE_SEND {
        return Ok(());
    }
    for table in ["push_outbox", "im_messages"] {
        // -1 until the table was first analyzed.
        let (counted,): (f64,) = sqlx::query_as(&format!(
            "SELECT CAST(GREATEST(reltuples, 0) AS DOUBLE PRECISION) FROM pg_class \
             WHERE oid = '{table}'::regclass"
        ))
        .fetch_one(db)
        .await
        .map_err(StoreError::from_sqlx)?;
        if added as f64 > counted / 10.0 {
            sqlx::query(&format!("ANALYZE {table}"))
                .execute(db)
                .await
                .map_err(StoreError::from_sqlx)?;
        }
    }
    Ok(())
}
