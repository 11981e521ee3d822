//! The quota ledger: pushes the vendor accepted, per certificate, device, message class and
//! Beijing day, for the classes Xiaomi caps (docs/mipush-server-api.md §5.3). 私信 is not
//! counted: it has no cap, and IM traffic should cost no statement for it.

use std::collections::HashMap;

use app::domain::MessageClass;
use sqlx::{Any, Executor};

use super::{CHUNK, Engine, StoreError, StoreResult};

/// Accepted pushes to one device in one class, to add to the ledger.
pub struct Accepted<'a> {
    pub certificate_id: i64,
    pub class: MessageClass,
    pub reg_id: &'a str,
}

/// Adds each accepted push on `day`, in multi-row statements (one row per device and class,
/// however many pushes it had). Classes without a cap are not counted.
pub async fn count(
    tx: &mut sqlx::Transaction<'_, Any>,
    pushes: &[Accepted<'_>],
    day: i64,
) -> StoreResult<()> {
    let mut sums: HashMap<(i64, MessageClass, &str), i64> = HashMap::new();
    for p in pushes.iter().filter(|p| p.class.daily_cap().is_some()) {
        *sums
            .entry((p.certificate_id, p.class, p.reg_id))
            .or_default() += 1;
    }
    let mut rows: Vec<_> = sums.into_iter().collect();
    rows.sort_unstable_by_key(|((cert, class, reg_id), _)| (*cert, class.as_str(), *reg_id));
    let engine = Engine::of(tx);
    for chunk in rows.chunks(super::rows_per_statement(5)) {
        let sql = engine.sql(&format!(
            "INSERT INTO push_quota (certificate_id, day, class, reg_id, sent) VALUES {} \
             ON CONFLICT (certificate_id, reg_id, day, class) \
             DO UPDATE SET sent = push_quota.sent + excluded.sent",
            super::rows("(?, ?, ?, ?, ?)", chunk.len())
        ));
        let mut q = sqlx::query(&sql);
        for ((certificate_id, class, reg_id), n) in chunk {
            q = q
                .bind(*certificate_id)
                .bind(day)
                .bind(class.as_str())
                .bind(*reg_id)
                .bind(*n);
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// How many pushes each of `reg_ids` was sent in `class` on `day` (absent: none).
pub async fn sent(
    db: &sqlx::AnyPool,
    certificate_id: i64,
    reg_ids: &[String],
    class: MessageClass,
    day: i64,
) -> StoreResult<HashMap<String, i64>> {
    let engine = Engine::of_pool(db);
    let mut out = HashMap::new();
    for chunk in reg_ids.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "SELECT reg_id, sent FROM push_quota WHERE certificate_id = ? AND day = ? \
             AND class = ? AND reg_id IN ({})",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql)
            .bind(certificate_id)
            .bind(day)
            .bind(class.as_str());
        for reg_id in chunk {
            q = q.bind(reg_id.as_str());
        }
        out.extend(q.fetch_all(db).await.map_err(StoreError::from_sqlx)?);
    }
    Ok(out)
}

/// For each certificate of the app, the devices that used up their class's cap on `day`:
/// `(certificate_id, class) → devices`. One statement for a whole certificate list.
pub async fn devices_at_cap<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    day: i64,
) -> StoreResult<HashMap<(i64, MessageClass), i64>> {
    let cap = |c: MessageClass| c.daily_cap().unwrap_or(i64::MAX);
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT q.certificate_id, q.class, COUNT(*) FROM push_quota q \
         JOIN push_certificates c ON c.id = q.certificate_id \
         WHERE c.sdkappid = $1 AND q.day = $2 \
         AND ((q.class = $3 AND q.sent >= $4) OR (q.class = $5 AND q.sent >= $6)) \
         GROUP BY q.certificate_id, q.class",
    )
    .bind(sdkappid)
    .bind(day)
    .bind(MessageClass::Default.as_str())
    .bind(cap(MessageClass::Default))
    .bind(MessageClass::Public.as_str())
    .bind(cap(MessageClass::Public))
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, class, n)| Some(((id, MessageClass::parse(&class)?), n)))
        .collect())
}
