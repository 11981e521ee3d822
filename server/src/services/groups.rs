//! Work written in groups. A job waits for the commit that carries it, and one commit (on
//! SQLite, one wait for the disk and one trip to the database's thread per statement) carries
//! every job that arrived while the previous one ran: alone, a job is written at once; under
//! load, groups form by themselves.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

type Pending<J, R> = (J, oneshot::Sender<R>);

pub(crate) struct Groups<J, R> {
    queue: mpsc::Sender<Pending<J, R>>,
}

impl<J: Send + 'static, R: Send + 'static> Groups<J, R> {
    /// Starts the writer task (inside the runtime). `write` takes up to `max` jobs and answers
    /// each, in their order.
    pub fn start<F, Fut>(max: usize, mut write: F) -> Self
    where
        F: FnMut(Vec<J>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let (queue, mut pending) = mpsc::channel::<Pending<J, R>>(4 * max);
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(max);
            while pending.recv_many(&mut group, max).await > 0 {
                let (jobs, answers): (Vec<J>, Vec<oneshot::Sender<R>>) = group.drain(..).unzip();
                let results = write(jobs).await;
                debug_assert_eq!(results.len(), answers.len(), "one answer per job");
                for (done, result) in answers.into_iter().zip(results) {
                    let _ = done.send(result);
                }
            }
        });
        Self { queue }
    }

    /// The job's answer once its group is written; `None` if the writer is gone.
    pub async fn submit(&self, job: J) -> Option<R> {
        let (done, written) = oneshot::channel();
        self.queue.send((job, done)).await.ok()?;
        written.await.ok()
    }
}
