//! Device tokens written in groups. A report waits for the commit that carries it, and one commit
//! (on SQLite, one wait for the disk) carries every report that arrived while the previous one
//! ran: alone, a report is written at once; under load, groups form by themselves.

use app::domain::AppError;
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

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

type Pending = (TokenBinding, oneshot::Sender<Result<(), AppError>>);

pub(crate) struct TokenWrites {
    queue: mpsc::Sender<Pending>,
}

impl TokenWrites {
    /// Starts the writer task (inside the runtime).
    pub fn start(db: AnyPool) -> Self {
        let (queue, pending) = mpsc::channel(4 * GROUP_MAX);
        tokio::spawn(write_groups(db, pending));
        Self { queue }
    }

    /// Returns once the binding is committed.
    pub async fn bind(&self, binding: TokenBinding) -> Result<(), AppError> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send((binding, done))
            .await
            .map_err(|_| internal("token writer", "stopped"))?;
        committed
            .await
            .map_err(|_| internal("token writer", "dropped a report"))?
    }
}

async fn write_groups(db: AnyPool, mut pending: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    while pending.recv_many(&mut group, GROUP_MAX).await > 0 {
        if write_group(&db, &group).await.is_ok() {
            for (_, done) in group.drain(..) {
                let _ = done.send(Ok(()));
            }
            continue;
        }
        // One report that cannot be written must not fail the others: each on its own.
        for (b, done) in group.drain(..) {
            let written =
                device_tokens::bind_token(&db, b.certificate_id, &b.token, &b.session, b.now)
                    .await
                    .map_err(AppError::from);
            let _ = done.send(written);
        }
    }
}

async fn write_group(db: &AnyPool, group: &[Pending]) -> Result<(), StoreError> {
    let mut tx = db.begin().await.map_err(StoreError::from_sqlx)?;
    for (b, _) in group {
        device_tokens::bind_token(&mut *tx, b.certificate_id, &b.token, &b.session, b.now).await?;
    }
    tx.commit().await.map_err(StoreError::from_sqlx)
}
