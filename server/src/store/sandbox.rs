use sqlx::{Any, Executor, FromRow};

use super::{Engine, StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct SandboxAppRow {
    pub app_id: String,
    pub package_name: String,
    pub app_key: String,
    pub app_secret: String,
    pub channels: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct DeviceRow {
    pub reg_id: String,
    pub app_id: String,
    pub registered_at: i64,
    pub uninstalled_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: String,
    pub app_id: String,
    pub created_at: i64,
    pub time_to_live: i64,
    pub title: String,
    pub description: String,
    pub payload: Option<String>,
    pub notify_type: i64,
    pub notify_id: Option<i64>,
    pub channel_id: Option<String>,
    pub extras: String,
    pub targets: i64,
    pub delivered: i64,
    /// The message's `extra.jobkey`, if it had one.
    pub job_key: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub message_id: String,
    pub title: String,
    pub description: String,
    pub payload: Option<String>,
    pub notify_id: Option<i64>,
    pub channel_id: Option<String>,
    pub received_at: i64,
}

const APP_COLUMNS: &str = "app_id, package_name, app_key, app_secret, channels, created_at";
const DEVICE_COLUMNS: &str = "reg_id, app_id, registered_at, uninstalled_at";
const MESSAGE_COLUMNS: &str = "id, app_id, created_at, time_to_live, title, description, payload, \
     notify_type, notify_id, channel_id, extras, targets, delivered, job_key";

pub async fn insert_app<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app: &SandboxAppRow,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO sandbox_apps ({APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(&app.app_id)
    .bind(&app.package_name)
    .bind(&app.app_key)
    .bind(&app.app_secret)
    .bind(&app.channels)
    .bind(app.created_at)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn list_apps<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<Vec<SandboxAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sandbox_apps ORDER BY created_at, app_id"
    ))
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn app_by_secret<'e, E: Executor<'e, Database = Any>>(
    db: E,
    secret: &str,
) -> StoreResult<Option<SandboxAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sandbox_apps WHERE app_secret = $1"
    ))
    .bind(secret)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn app_by_id<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
) -> StoreResult<Option<SandboxAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sandbox_apps WHERE app_id = $1"
    ))
    .bind(app_id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn app_by_package<'e, E: Executor<'e, Database = Any>>(
    db: E,
    package_name: &str,
) -> StoreResult<Option<SandboxAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM sandbox_apps WHERE package_name = $1"
    ))
    .bind(package_name)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn set_channels<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    channels: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE sandbox_apps SET channels = $1 WHERE app_id = $2")
        .bind(channels)
        .bind(app_id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an app's AppSecret; false when there is no such app.
pub async fn set_secret<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    secret: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE sandbox_apps SET app_secret = $1 WHERE app_id = $2")
        .bind(secret)
        .bind(app_id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_device<'e, E: Executor<'e, Database = Any>>(
    db: E,
    reg_id: &str,
    app_id: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO sandbox_devices (reg_id, app_id, registered_at) VALUES ($1, $2, $3)")
        .bind(reg_id)
        .bind(app_id)
        .bind(now)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn device<'e, E: Executor<'e, Database = Any>>(
    db: E,
    reg_id: &str,
) -> StoreResult<Option<DeviceRow>> {
    sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS} FROM sandbox_devices WHERE reg_id = $1"
    ))
    .bind(reg_id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn list_devices<'e, E: Executor<'e, Database = Any>>(
    db: E,
) -> StoreResult<Vec<DeviceRow>> {
    sqlx::query_as(&format!(
        "SELECT {DEVICE_COLUMNS} FROM sandbox_devices ORDER BY registered_at, reg_id"
    ))
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The app is uninstalled: its regId stops being a valid target.
pub async fn uninstall<'e, E: Executor<'e, Database = Any>>(
    db: E,
    reg_id: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sandbox_devices SET uninstalled_at = $1 WHERE reg_id = $2 AND uninstalled_at IS NULL",
    )
    .bind(now)
    .bind(reg_id)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

/// Which of `reg_ids` are installed devices of `app_id`.
pub async fn installed_among(
    db: &sqlx::AnyPool,
    app_id: &str,
    reg_ids: &[String],
) -> StoreResult<Vec<String>> {
    if reg_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Found by regId alone, the app and install checked here: given `app_id = ?` as well,
    // SQLite searched the app's index and read every device of the app for each call (124 ms
    // a call at 100,000 devices) instead of probing the primary key once per regId.
    let engine = Engine::of_pool(db);
    let sql = engine.sql(&format!(
        "SELECT reg_id, app_id, uninstalled_at FROM sandbox_devices WHERE reg_id IN ({})",
        super::params(reg_ids.len())
    ));
    let mut q = sqlx::query_as::<_, (String, String, Option<i64>)>(&sql);
    for id in reg_ids {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db).await.map_err(StoreError::from_sqlx)?;
    Ok(rows
        .into_iter()
        .filter(|(_, app, uninstalled_at)| app == app_id && uninstalled_at.is_none())
        .map(|(reg_id, _, _)| reg_id)
        .collect())
}

pub async fn insert_message<'e, E: Executor<'e, Database = Any>>(
    db: E,
    m: &MessageRow,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO sandbox_messages ({MESSAGE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&m.id)
    .bind(&m.app_id)
    .bind(m.created_at)
    .bind(m.time_to_live)
    .bind(&m.title)
    .bind(&m.description)
    .bind(&m.payload)
    .bind(m.notify_type)
    .bind(m.notify_id)
    .bind(&m.channel_id)
    .bind(&m.extras)
    .bind(m.targets)
    .bind(m.delivered)
    .bind(&m.job_key)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

pub async fn message<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    id: &str,
) -> StoreResult<Option<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM sandbox_messages WHERE app_id = $1 AND id = $2"
    ))
    .bind(app_id)
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// An app's messages sent with this job key, oldest first.
pub async fn messages_by_job_key<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    job_key: &str,
) -> StoreResult<Vec<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM sandbox_messages WHERE app_id = $1 AND job_key = $2 \
         ORDER BY created_at, id"
    ))
    .bind(app_id)
    .bind(job_key)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// An app's messages created in `[from_ms, to_ms]` (both ends included), oldest first.
pub async fn messages_between<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM sandbox_messages \
         WHERE app_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY created_at, id"
    ))
    .bind(app_id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The feedback API: up to `limit` regIds of the app's uninstalled devices that it has not
/// handed out before, oldest uninstall first, each marked as handed out at `now` in the same
/// statement (so two calls at once never both get one).
pub async fn take_invalid_reg_ids<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    now: i64,
    limit: i64,
) -> StoreResult<Vec<String>> {
    let mut rows: Vec<(String, i64)> = sqlx::query_as(
        "UPDATE sandbox_devices SET invalid_fetched_at = $1 \
         WHERE invalid_fetched_at IS NULL AND reg_id IN (\
             SELECT reg_id FROM sandbox_devices \
             WHERE app_id = $2 AND uninstalled_at IS NOT NULL AND invalid_fetched_at IS NULL \
             ORDER BY uninstalled_at, reg_id LIMIT $3) \
         RETURNING reg_id, uninstalled_at",
    )
    .bind(now)
    .bind(app_id)
    .bind(limit)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    rows.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    Ok(rows.into_iter().map(|(reg_id, _)| reg_id).collect())
}

/// `(created_at ms, targets, delivered)` of an app's messages in `[from, to)`.
pub async fn message_counts<'e, E: Executor<'e, Database = Any>>(
    db: E,
    app_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<(i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT created_at, targets, delivered FROM sandbox_messages \
         WHERE app_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(app_id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The same notification on each of `reg_ids` (distinct): one slot per `notify_id` on a phone,
/// so the same id replaces what was there.
pub async fn show_notifications(
    tx: &mut sqlx::Transaction<'_, Any>,
    reg_ids: &[&str],
    n: &NotificationRow,
) -> StoreResult<()> {
    let engine = Engine::of(tx);
    for chunk in reg_ids.chunks(super::rows_per_statement(8)) {
        let sql = engine.sql(&format!(
            "INSERT INTO sandbox_notifications \
             (reg_id, message_id, title, description, payload, notify_id, channel_id, received_at) \
             VALUES {} \
             ON CONFLICT (reg_id, notify_id) DO UPDATE SET message_id = excluded.message_id, \
             title = excluded.title, description = excluded.description, payload = excluded.payload, \
             channel_id = excluded.channel_id, received_at = excluded.received_at",
            super::rows("(?, ?, ?, ?, ?, ?, ?, ?)", chunk.len())
        ));
        let mut q = sqlx::query(&sql);
        for reg_id in chunk {
            q = q
                .bind(*reg_id)
                .bind(&n.message_id)
                .bind(&n.title)
                .bind(&n.description)
                .bind(&n.payload)
                .bind(n.notify_id)
                .bind(&n.channel_id)
                .bind(n.received_at);
        }
        q.execute(&mut **tx).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

pub async fn notifications<'e, E: Executor<'e, Database = Any>>(
    db: E,
    reg_id: &str,
) -> StoreResult<Vec<NotificationRow>> {
    sqlx::query_as(
        "SELECT message_id, title, description, payload, notify_id, channel_id, received_at \
         FROM sandbox_notifications WHERE reg_id = $1 ORDER BY received_at DESC, id DESC",
    )
    .bind(reg_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}
