//! Device tokens written in groups ([`Groups`]): one transaction for every report that arrived
//! while the previous one was committed.

use app::domain::AppError;
use sqlx::AnyPool;

use super::groups::Groups;
use super::internal;
use crate::store::StoreError;
use crate::store::device_tokens;
use crate::store::sessions::SessionRow;

/// The most reports one commit carries.
const GROUP_MAX: usize = 512;

/// One `setOfflinePushToken`: the token, under its certificate, bound to the session's user.
pub(crate) struct TokenBinding {
    pub certificate_id: i64,
    pub token: String,
    pub session: SessionRow,
    pub now: i64,
}

pub(crate) struct TokenWrites {
    groups: Groups<TokenBinding, Result<(), AppError>>,
}

impl TokenWrites {
    /// Starts the writer task (inside the runtime).
    pub fn start(db: AnyPool) -> Self {
        let groups = Groups::start(GROUP_MAX, move |group| write_reports(db.clone(), group));
        Self { groups }
    }

    /// Returns once the binding is committed.
    pub async fn bind(&self, binding: TokenBinding) -> Result<(), AppError> {
        self.groups
            .submit(binding)
            .await
            .ok_or_else(|| internal("token writer", "stopped"))?
    }
}

async fn write_reports(db: AnyPool, group: Vec<TokenBinding>) -> Vec<Result<(), AppError>> {
    if write_group(&db, &group).await.is_ok() {
        return group.iter().map(|_| Ok(())).collect();
    }
    // One report that cannot be written must not fail the others: each on its own.
    let mut out = Vec::with_capacity(group.len());
    for b in &group {
        let written = device_tokens::bind_token(&db, b.certificate_id, &b.token, &b.session, b.now)
            .await
            .map_err(AppError::from);
        out.push(written);
    }
    out
}

async fn write_group(db: &AnyPool, group: &[TokenBinding]) -> Result<(), StoreError> {
    let mut tx = db.begin().await.map_err(StoreError::from_sqlx)?;
    for b in group {
        device_tokens::bind_token(&mut *tx, b.certificate_id, &b.token, &b.session, b.now).await?;
    }
    tx.commit().await.map_err(StoreError::from_sqlx)
}
