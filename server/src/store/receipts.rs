//! Receipts (回执) the vendors post after a push: stored once per (message, target, event), and
//! applied to the push records they are about.

use sqlx::{Any, Executor, FromRow};

use super::{CHUNK, Engine, StoreError, StoreResult};

/// The receipt event that says the notification reached the phone's shade.
pub const DELIVERED: i64 = 1;
/// The user tapped it.
pub const CLICKED: i64 = 2;

/// One receipt event for some targets of a message, as received.
#[derive(Debug, Clone)]
pub struct NewReceipts<'a> {
    pub certificate_id: i64,
    pub message_id: &'a str,
    pub kind: i64,
    pub bar_status: &'a str,
    pub happened_at: i64,
    pub reg_ids: &'a [String],
}

#[derive(Debug, Clone, FromRow)]
pub struct ReceiptRow {
    pub kind: i64,
    pub bar_status: String,
    pub happened_at: i64,
    pub received_at: i64,
}

/// Stores the event for each target it was not stored for before, and returns those targets.
/// The new ones are applied to the push records of the message and target: the first delivery
/// and click times, and the first receipt that said the push was dropped. A few multi-row
/// statements, however many targets (Xiaomi sends up to a thousand in one entry).
pub async fn record(
    tx: &mut sqlx::Transaction<'_, Any>,
    r: &NewReceipts<'_>,
    now: i64,
) -> StoreResult<Vec<String>> {
    let engine = Engine::of(tx);
    let mut unique: Vec<&str> = r.reg_ids.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut fresh = Vec::new();
    for chunk in unique.chunks(super::rows_per_statement(7)) {
        let sql = engine.sql(&format!(
            "INSERT INTO push_receipts (certificate_id, message_id, reg_id, kind, bar_status, \
             happened_at, received_at) VALUES {} \
             ON CONFLICT (message_id, reg_id, kind) DO NOTHING RETURNING reg_id",
            super::rows("(?, ?, ?, ?, ?, ?, ?)", chunk.len())
        ));
        let mut q = sqlx::query_as::<_, (String,)>(&sql);
        for reg_id in chunk {
            q = q
                .bind(r.certificate_id)
                .bind(r.message_id)
                .bind(*reg_id)
                .bind(r.kind)
                .bind(r.bar_status)
                .bind(r.happened_at)
                .bind(now);
        }
        let rows = q
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        fresh.extend(rows.into_iter().map(|(reg_id,)| reg_id));
    }
    let column = match r.kind {
        DELIVERED => "delivered_at",
        CLICKED => "clicked_at",
        _ => "receipt_failure",
    };
    let value = if column == "receipt_failure" {
        r.kind
    } else {
        r.happened_at
    };
    for chunk in fresh.chunks(CHUNK) {
        let sql = engine.sql(&format!(
            "UPDATE push_records SET {column} = ? WHERE message_id = ? AND certificate_id = ? \
             AND {column} IS NULL AND reg_id IN ({})",
            super::params(chunk.len())
        ));
        let mut q = sqlx::query(&sql)
            .bind(value)
            .bind(r.message_id)
            .bind(r.certificate_id);
        for reg_id in chunk {
            q = q.bind(reg_id.as_str());
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(fresh)
}

/// The receipts of one push (message and target), oldest first.
pub async fn of_push<'e, E: Executor<'e, Database = Any>>(
    db: E,
    message_id: &str,
    reg_id: &str,
) -> StoreResult<Vec<ReceiptRow>> {
    sqlx::query_as(
        "SELECT kind, bar_status, happened_at, received_at FROM push_receipts \
         WHERE message_id = $1 AND reg_id = $2 ORDER BY happened_at, id",
    )
    .bind(message_id)
    .bind(reg_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
