//! The one bounded wait of the test suites, for waits that are real — another process, a
//! browser, a background task's tick — never for work a test can drive (the outbox: `drain()`;
//! time: the server's clock).

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` every 50 ms until it gives a value; `None` once `limit` has passed.
pub async fn poll_until<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if start.elapsed() >= limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Like [`poll_until`], failing the test with `what` when `limit` passes.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll_until(limit, check)
        .await
        .unwrap_or_else(|| panic!("{what}: not so after {} s", limit.as_secs()))
}
