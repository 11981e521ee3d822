use app::domain::{PushKind, PushOutcome, ReceiptState, SkipReason};
use sqlx::{Any, Executor, FromRow};

use super::{Engine, StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct RecordRow {
    pub id: i64,
    pub created_at: i64,
    pub sdkappid: i64,
    pub certificate_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub kind: PushKind,
    pub user_id: Option<String>,
    pub reg_id: String,
    pub title: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub outcome: PushOutcome,
    pub reason: String,
    pub vendor_code: Option<i64>,
    pub message_id: Option<String>,
    pub trace_id: Option<String>,
    pub attempts: i64,
    pub latency_ms: i64,
    pub sent_by: Option<String>,
    pub request_id: Option<i64>,
    pub msg_key: Option<String>,
    pub delivered_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub receipt_failure: Option<i64>,
}

const RECORD_COLUMNS: &str = "id, created_at, sdkappid, certificate_id, kind, user_id, reg_id, \
     title, description, outcome, reason, vendor_code, message_id, trace_id, attempts, latency_ms, \
     sent_by, request_id, msg_key, delivered_at, clicked_at, receipt_failure";

/// One push to one device, before it is written.
#[derive(Debug, Clone)]
pub struct NewRecord<'a> {
    pub sdkappid: i64,
    pub certificate_id: Option<i64>,
    pub kind: PushKind,
    pub user_id: Option<&'a str>,
    pub reg_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub outcome: PushOutcome,
    pub reason: &'a str,
    pub vendor_code: Option<i64>,
    pub message_id: Option<&'a str>,
    pub trace_id: Option<&'a str>,
    pub attempts: i64,
    pub latency_ms: i64,
    pub sent_by: Option<&'a str>,
    pub request_id: Option<i64>,
    pub msg_key: Option<&'a str>,
}

impl<'a> NewRecord<'a> {
    /// The one way records start: a push of `kind` to `reg_id` showing `title`/`description`,
    /// yet without an outcome (skipped) or anything the vendor said; callers fill in the rest
    /// with struct update syntax.
    pub fn of(
        sdkappid: i64,
        certificate_id: Option<i64>,
        kind: PushKind,
        reg_id: &'a str,
        title: &'a str,
        description: &'a str,
    ) -> Self {
        Self {
            sdkappid,
            certificate_id,
            kind,
            user_id: None,
            reg_id,
            title,
            description,
            outcome: PushOutcome::Skipped,
            reason: "",
            vendor_code: None,
            message_id: None,
            trace_id: None,
            attempts: 0,
            latency_ms: 0,
            sent_by: None,
            request_id: None,
            msg_key: None,
        }
    }

    /// This push was not sent, for `reason`.
    pub fn skipped(self, reason: SkipReason) -> Self {
        Self {
            outcome: PushOutcome::Skipped,
            reason: reason.as_str(),
            ..self
        }
    }
}

/// One vendor call as stored: the request with its secret hidden, and the answer's body.
pub struct NewRequest<'a> {
    pub sdkappid: i64,
    pub certificate_id: i64,
    pub request: String,
    pub answer: &'a str,
}

/// Writes vendor calls in multi-row statements; returns their ids in order.
pub async fn insert_requests(
    tx: &mut sqlx::Transaction<'_, Any>,
    requests: &[NewRequest<'_>],
    now: i64,
) -> StoreResult<Vec<i64>> {
    let engine = Engine::of(tx);
    let mut ids = Vec::with_capacity(requests.len());
    for chunk in requests.chunks(super::rows_per_statement(5)) {
        let sql = engine.sql(&format!(
            "INSERT INTO push_requests (sdkappid, certificate_id, request, answer, created_at) \
             VALUES {} RETURNING id",
            super::rows("(?, ?, ?, ?, ?)", chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        for r in chunk {
            q = q
                .bind(r.sdkappid)
                .bind(r.certificate_id)
                .bind(r.request.as_str())
                .bind(r.answer)
                .bind(now);
        }
        ids.extend(super::inserted_ids(q, tx).await?);
    }
    Ok(ids)
}

/// Writes records in multi-row statements; returns their ids in order.
pub async fn insert_records(
    tx: &mut sqlx::Transaction<'_, Any>,
    records: &[NewRecord<'_>],
    now: i64,
) -> StoreResult<Vec<i64>> {
    const COLUMNS: usize = 18;
    let engine = Engine::of(tx);
    let mut ids = Vec::with_capacity(records.len());
    for chunk in records.chunks(super::rows_per_statement(COLUMNS)) {
        let sql = engine.sql(&format!(
            "INSERT INTO push_records (created_at, sdkappid, certificate_id, kind, user_id, reg_id, \
             title, description, outcome, reason, vendor_code, message_id, trace_id, attempts, \
             latency_ms, sent_by, request_id, msg_key) VALUES {} RETURNING id",
            super::rows(&format!("({})", super::params(COLUMNS)), chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        for r in chunk {
            q = q
                .bind(now)
                .bind(r.sdkappid)
                .bind(r.certificate_id)
                .bind(r.kind.as_str())
                .bind(r.user_id)
                .bind(r.reg_id)
                .bind(r.title)
                .bind(r.description)
                .bind(r.outcome.as_str())
                .bind(r.reason)
                .bind(r.vendor_code)
                .bind(r.message_id)
                .bind(r.trace_id)
                .bind(r.attempts)
                .bind(r.latency_ms)
                .bind(r.sent_by)
                .bind(r.request_id)
                .bind(r.msg_key);
        }
        ids.extend(super::inserted_ids(q, tx).await?);
    }
    Ok(ids)
}

/// Filters of the records page; each is optional.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub certificate_id: Option<i64>,
    pub user_id: Option<String>,
    pub reg_id: Option<String>,
    pub outcome: Option<PushOutcome>,
    pub receipt: Option<ReceiptState>,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Newest first, `limit` rows older than `before_id` (keyset pagination).
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    filter: &RecordFilter,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<RecordRow>> {
    let mut sql =
        format!("SELECT {RECORD_COLUMNS} FROM push_records WHERE sdkappid = $1 AND id < $2");
    let mut n = 2;
    let mut clause = |sql: &mut String, column: &str, op: &str| {
        n += 1;
        sql.push_str(&format!(" AND {column} {op} ${n}"));
    };
    if filter.certificate_id.is_some() {
        clause(&mut sql, "certificate_id", "=");
    }
    if filter.user_id.is_some() {
        clause(&mut sql, "user_id", "=");
    }
    if filter.reg_id.is_some() {
        clause(&mut sql, "reg_id", "=");
    }
    if filter.outcome.is_some() {
        clause(&mut sql, "outcome", "=");
    }
    // Fixed clauses, no parameter.
    match filter.receipt {
        Some(ReceiptState::Delivered) => sql.push_str(" AND delivered_at IS NOT NULL"),
        Some(ReceiptState::Clicked) => sql.push_str(" AND clicked_at IS NOT NULL"),
        Some(ReceiptState::Failed) => sql.push_str(" AND receipt_failure IS NOT NULL"),
        Some(ReceiptState::None) => sql.push_str(
            " AND delivered_at IS NULL AND clicked_at IS NULL AND receipt_failure IS NULL",
        ),
        None => {}
    }
    if filter.since.is_some() {
        clause(&mut sql, "created_at", ">=");
    }
    if filter.until.is_some() {
        clause(&mut sql, "created_at", "<");
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${n}"));
    let mut q = sqlx::query_as::<_, RecordRow>(&sql)
        .bind(sdkappid)
        .bind(before_id.unwrap_or(i64::MAX));
    if let Some(v) = filter.certificate_id {
        q = q.bind(v);
    }
    if let Some(v) = &filter.user_id {
        q = q.bind(v.clone());
    }
    if let Some(v) = &filter.reg_id {
        q = q.bind(v.clone());
    }
    if let Some(v) = filter.outcome {
        q = q.bind(v.as_str());
    }
    if let Some(v) = filter.since {
        q = q.bind(v);
    }
    if let Some(v) = filter.until {
        q = q.bind(v);
    }
    q.bind(limit)
        .fetch_all(db)
        .await
        .map_err(StoreError::from_sqlx)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    id: i64,
) -> StoreResult<Option<RecordRow>> {
    sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM push_records WHERE sdkappid = $1 AND id = $2"
    ))
    .bind(sdkappid)
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The request and answer of one vendor call.
pub async fn request<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
) -> StoreResult<Option<(String, String)>> {
    sqlx::query_as("SELECT request, answer FROM push_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .map_err(StoreError::from_sqlx)
}

/// Pushes since `since` grouped by what the funnel and its losses need: time bucket, certificate,
/// outcome, skip reason, vendor code and receipt failure, with how many of them were delivered
/// and clicked. One statement; the groups are few (buckets × certificates × reasons).
#[derive(Debug, Clone, FromRow)]
pub struct ReachRow {
    pub bucket: i64,
    pub certificate_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub outcome: PushOutcome,
    /// The skip reason of skipped pushes; empty for the others.
    pub reason: String,
    pub vendor_code: Option<i64>,
    pub receipt_failure: Option<i64>,
    pub pushes: i64,
    pub delivered: i64,
    pub clicked: i64,
}

pub async fn reach<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    since: i64,
    bucket_secs: i64,
) -> StoreResult<Vec<ReachRow>> {
    sqlx::query_as(
        "SELECT (created_at - $2) / $3 AS bucket, certificate_id, outcome, \
         CASE WHEN outcome = 'skipped' THEN reason ELSE '' END AS reason, vendor_code, \
         receipt_failure, COUNT(*) AS pushes, COUNT(delivered_at) AS delivered, \
         COUNT(clicked_at) AS clicked FROM push_records \
         WHERE sdkappid = $1 AND created_at >= $2 GROUP BY 1, 2, 3, 4, 5, 6",
    )
    .bind(sdkappid)
    .bind(since)
    .bind(bucket_secs)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
