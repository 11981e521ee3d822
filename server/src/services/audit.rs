use app::api::AuditBackend;
use app::domain::{AppError, AuditEntry, UserView};
use async_trait::async_trait;

use super::Services;
use crate::store;

#[async_trait]
impl AuditBackend for Services {
    /// Every role may read the log; one page is at most 200 entries.
    async fn list_audit(
        &self,
        _by: &UserView,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, AppError> {
        let rows = store::audit::list(&self.db, before_id, limit.clamp(1, 200)).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                object: r.object,
                detail: r.detail,
            })
            .collect())
    }
}
