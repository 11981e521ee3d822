use app::domain::CheckState;
use sqlx::{Any, Executor, FromRow};

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct CertificateRow {
    pub id: i64,
    pub sdkappid: i64,
    pub vendor: String,
    pub unique_key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    pub certificate_id: i64,
    pub version: i64,
    pub settings: String,
    /// Sealed; open with the deployment's `SecretBox`.
    pub secret: String,
    pub saved_at: i64,
    pub effective_at: i64,
    #[sqlx(try_from = "String")]
    pub check_state: CheckState,
    pub check_code: Option<i64>,
    pub check_detail: String,
    pub checked_at: i64,
}

/// The version that serves pushes at `now`: the newest one due and not refused by the vendor.
pub fn serving(versions: &[VersionRow], now: i64) -> Option<&VersionRow> {
    versions
        .iter()
        .rev()
        .find(|v| v.effective_at <= now && v.check_state != CheckState::Invalid)
}

const CERT_COLUMNS: &str = "id, sdkappid, vendor, unique_key, created_at, updated_at";
const VERSION_COLUMNS: &str = "certificate_id, version, settings, secret, saved_at, effective_at, \
     check_state, check_code, check_detail, checked_at";

/// A version to write; `announced` is set for versions whose audit event is written with them.
pub struct NewVersion<'a> {
    pub settings: &'a str,
    pub sealed_secret: &'a str,
    pub effective_at: i64,
    pub check_state: CheckState,
    pub check_code: Option<i64>,
    pub check_detail: &'a str,
    pub announced: bool,
}

/// A new certificate under the next id. [`StoreError::Unique`] when the app already has one of
/// this vendor for the same key.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    vendor: &str,
    unique_key: &str,
    created_by: i64,
    now: i64,
) -> StoreResult<CertificateRow> {
    sqlx::query_as(&format!(
        "INSERT INTO push_certificates (sdkappid, vendor, unique_key, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {CERT_COLUMNS}"
    ))
    .bind(sdkappid)
    .bind(vendor)
    .bind(unique_key)
    .bind(created_by)
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The live certificate of an app holding `unique_key` for `vendor`, if any.
pub async fn id_by_key<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    vendor: &str,
    unique_key: &str,
) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM push_certificates \
         WHERE sdkappid = $1 AND vendor = $2 AND unique_key = $3 AND deleted_at IS NULL",
    )
    .bind(sdkappid)
    .bind(vendor)
    .bind(unique_key)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(row.map(|(id,)| id))
}

pub async fn list<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
) -> StoreResult<Vec<CertificateRow>> {
    sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM push_certificates \
         WHERE sdkappid = $1 AND deleted_at IS NULL ORDER BY id"
    ))
    .bind(sdkappid)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    id: i64,
) -> StoreResult<Option<CertificateRow>> {
    sqlx::query_as(&format!(
        "SELECT {CERT_COLUMNS} FROM push_certificates \
         WHERE id = $1 AND sdkappid = $2 AND deleted_at IS NULL"
    ))
    .bind(id)
    .bind(sdkappid)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The app a live certificate belongs to.
pub async fn app_of<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT sdkappid FROM push_certificates WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(row.map(|(a,)| a))
}

/// The versions of an app's live certificates, oldest first within each certificate.
pub async fn versions_of_app<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
) -> StoreResult<Vec<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM certificate_versions WHERE certificate_id IN \
         (SELECT id FROM push_certificates WHERE sdkappid = $1 AND deleted_at IS NULL) \
         ORDER BY certificate_id, version"
    ))
    .bind(sdkappid)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// A version of a live certificate, with the certificate's vendor.
#[derive(Debug, Clone, FromRow)]
pub struct LiveVersion {
    pub vendor: String,
    #[sqlx(flatten)]
    pub version: VersionRow,
}

/// Every version of the app's live certificates among `ids`, by certificate and version: one
/// statement for what a send needs to know of its receivers' certificates.
pub async fn live_versions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    ids: &[i64],
) -> StoreResult<Vec<LiveVersion>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let columns = VERSION_COLUMNS
        .split(", ")
        .map(|c| format!("v.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "SELECT c.vendor, {columns} FROM push_certificates c \
         JOIN certificate_versions v ON v.certificate_id = c.id \
         WHERE c.sdkappid = $1 AND c.deleted_at IS NULL AND c.id IN ({list}) \
         ORDER BY v.certificate_id, v.version"
    ))
    .bind(sdkappid)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn versions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
) -> StoreResult<Vec<VersionRow>> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM certificate_versions WHERE certificate_id = $1 \
         ORDER BY version"
    ))
    .bind(certificate_id)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Appends a version after the newest one. [`StoreError::Unique`] when a concurrent save took
/// the same number.
pub async fn insert_version<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    v: NewVersion<'_>,
    now: i64,
) -> StoreResult<i64> {
    let (version,): (i64,) = sqlx::query_as(
        "INSERT INTO certificate_versions (certificate_id, version, settings, secret, saved_at, \
         effective_at, check_state, check_code, check_detail, checked_at, announced) \
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $4, $9 \
         FROM certificate_versions WHERE certificate_id = $1 RETURNING version",
    )
    .bind(certificate_id)
    .bind(v.settings)
    .bind(v.sealed_secret)
    .bind(now)
    .bind(v.effective_at)
    .bind(v.check_state.as_str())
    .bind(v.check_code)
    .bind(v.check_detail)
    .bind(i64::from(v.announced))
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(version)
}

/// Drops every version but `keep` (the one serving now; 0 keeps none): an older one can never
/// serve again, a newer one is replaced by the version being saved, and each holds a secret.
pub async fn keep_only_version<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    keep: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM certificate_versions WHERE certificate_id = $1 AND version <> $2")
        .bind(certificate_id)
        .bind(keep)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Moves the certificate to a new key (an edit may change the package name).
pub async fn touch<'e, E: Executor<'e, Database = Any>>(
    db: E,
    id: i64,
    unique_key: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE push_certificates SET unique_key = $1, updated_at = $2 WHERE id = $3")
        .bind(unique_key)
        .bind(now)
        .bind(id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Marks the certificate deleted (its id stays taken); false when there was none to delete.
pub async fn mark_deleted<'e, E: Executor<'e, Database = Any>>(
    db: E,
    sdkappid: i64,
    id: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE push_certificates SET deleted_at = $1, updated_at = $1 \
         WHERE id = $2 AND sdkappid = $3 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(sdkappid)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_versions<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM certificate_versions WHERE certificate_id = $1")
        .bind(certificate_id)
        .execute(db)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Versions whose effective time has come and whose audit event is not written yet.
pub async fn due_unannounced<'e, E: Executor<'e, Database = Any>>(
    db: E,
    now: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT certificate_id, version FROM certificate_versions \
         WHERE announced = 0 AND effective_at <= $1 ORDER BY effective_at LIMIT 100",
    )
    .bind(now)
    .fetch_all(db)
    .await
    .map_err(StoreError::from_sqlx)
}

/// Claims the announcement of one version; false when another instance already did.
pub async fn claim_announcement<'e, E: Executor<'e, Database = Any>>(
    db: E,
    certificate_id: i64,
    version: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE certificate_versions SET announced = 1 \
         WHERE certificate_id = $1 AND version = $2 AND announced = 0",
    )
    .bind(certificate_id)
    .bind(version)
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(done.rows_affected() == 1)
}
