use leptos::prelude::*;

use crate::domain::{AppError, AuditEntry};

/// One page of the audit log, newest first; `before_id` continues after the last entry shown.
#[server(prefix = "/fn", endpoint = "list_audit")]
pub async fn list_audit(before_id: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    super::as_user(|backend, user| async move { backend.list_audit(&user, before_id, 50).await })
        .await
}
