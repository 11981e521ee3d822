//! The quota ledger: pushes the vendor accepted, per certificate, device, message class and
//! Beijing day, for the classes Xiaomi caps (docs/mipush-server-api.md §5.3). 私信 is not
//! counted: it has no cap, and IM traffic should cost no statement for it.

use std::collections::HashMap;

use app::domain::MessageClass;
use sqlx::{Any, Executor};

use super::{CHUNK, StoreError, StoreResult, placeholders};

/// Adds one accepted push for each of `reg_ids` (each counted once).
pub async fn count(
    tx: &mut sqlx::Transaction<'_, Any>,
    certificate_id: i64,
    reg_ids: &[&str],
    class: MessageClass,
    day: i64,
) -> StoreResult<()> {
    if class.daily_cap().is_none() {
        return Ok(());
    }
    let mut unique: Vec<&str> = reg_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    for chunk in unique.chunks(super::rows_per_statement(tx, 1).min(CHUNK)) {
        let values = (0..chunk.len())
            .map(|i| format!("($1, $2, $3, ${}, 1)", i + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO push_quota (certificate_id, day, class, reg_id, sent) VALUES {values} \
             ON CONFLICT (certificate_id, reg_id, day, class) \
             DO UPDATE SET sent = push_quota.sent + 1"
        );
        let mut q = sqlx::query(&sql)
            .bind(certificate_id)
            .bind(day)
            .bind(class.as_str());
        for reg_id in chunk {
            q = q.bind(*reg_id);
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// How many pushes each of `reg_ids` was sent in `class` on `day` (absent: none).
pub async fn sent<'e, E>(
    db: E,
    certificate_id: i64,
    reg_ids: &[String],
    class: MessageClass,
    day: i64,
) -> StoreResult<HashMap<String, i64>>
where
    E: Executor<'e, Database = Any> + Copy,
{
    let mut out = HashMap::new();
    for chunk in reg_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT reg_id, sent FROM push_quota WHERE certificate_id = $1 AND day = $2 \
             AND class = $3 AND reg_id IN ({})",
            placeholders(4, chunk.len())
        );
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
