//! Receipts (回执) the vendors post after a push: stored once per (message, target, event), and
//! applied to the push records they are about.

use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

/// The receipt event that says the notification reached the phone's shade.
pub const DELIVERED: i64 = 1;
/// The user tapped it.
pub const CLICKED: i64 = 2;

/// One receipt event, as received.
#[derive(Debug, Clone)]
pub struct NewReceipt<'a> {
    pub certificate_id: i64,
    pub message_id: &'a str,
    pub reg_id: &'a str,
    pub kind: i64,
    pub bar_status: &'a str,
    pub happened_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReceiptRow {
    pub kind: i64,
    pub bar_status: String,
    pub happened_at: i64,
    pub received_at: i64,
}

/// Stores the receipt unless it was stored before; whether it is new. A new one is applied to the
/// push records of its message and target: the first delivery and click times, and the first
/// receipt that said the push was dropped.
pub async fn record(
    tx: &mut sqlx::Transaction<'_, Any>,
    r: &NewReceipt<'_>,
    now: i64,
) -> StoreResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO push_receipts (certificate_id, message_id, reg_id, kind, bar_status, \
         happened_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (message_id, reg_id, kind) DO NOTHING",
    )
    .bind(r.certificate_id)
    .bind(r.message_id)
    .bind(r.reg_id)
    .bind(r.kind)
    .bind(r.bar_status)
    .bind(r.happened_at)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?
    .rows_affected()
        == 1;
    if !inserted {
        return Ok(false);
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
    sqlx::query(&format!(
        "UPDATE push_records SET {column} = $1 WHERE message_id = $2 AND reg_id = $3 \
         AND certificate_id = $4 AND {column} IS NULL"
    ))
    .bind(value)
    .bind(r.message_id)
    .bind(r.reg_id)
    .bind(r.certificate_id)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(true)
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
