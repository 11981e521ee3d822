//! Puts prepared requests on the wire and runs the retry policy.

use std::time::{Duration, Instant};

use super::{
    AppSecret, Attempt, Decision, Endpoints, MiResponse, PreparedRequest, Region, RetryPolicy,
    SendToRegIds, build_counters, build_send, build_trace_status,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("MiPush did not answer within the timeout")]
    Timeout,
    #[error("could not reach MiPush: {0}")]
    Connect(String),
    #[error("MiPush answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("MiPush's answer could not be read: {0}")]
    Unreadable(String),
}

/// One request's story: what was sent, what came back, how many tries, how long.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: PreparedRequest,
    pub outcome: Result<MiResponse, TransportError>,
    pub attempts: u32,
    /// The attempts that failed and were tried again.
    pub retried: Vec<Attempt>,
    pub latency: Duration,
}

#[derive(Debug, Clone)]
pub struct MiPushClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    policy: RetryPolicy,
}

impl MiPushClient {
    pub fn new(endpoints: Endpoints, timeout: Duration, policy: RetryPolicy) -> Self {
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("pushdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a plain reqwest client builds");
        Self {
            http,
            endpoints,
            policy,
        }
    }

    pub fn base(&self, region: Region) -> String {
        self.endpoints.base(region)
    }

    /// One attempt.
    pub async fn execute(&self, req: &PreparedRequest) -> Result<MiResponse, TransportError> {
        let mut builder = match req.method {
            "GET" => self.http.get(&req.url),
            _ => self.http.post(&req.url).body(req.body.clone()),
        };
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let res = builder.send().await.map_err(classify)?;
        let status = res.status().as_u16();
        let body = res.bytes().await.map_err(classify)?;
        if status != 200 {
            return Err(TransportError::Http {
                status,
                body: String::from_utf8_lossy(&body).chars().take(300).collect(),
            });
        }
        MiResponse::parse(&body).map_err(|e| TransportError::Unreadable(e.to_string()))
    }

    /// Attempts under the retry policy, sleeping between them. For callers that may wait (the
    /// dispatcher, tests); a page request should make one attempt and leave retries to the queue.
    pub async fn execute_with_retries(&self, req: PreparedRequest) -> Exchange {
        let start = Instant::now();
        let mut attempt = 0;
        let mut retried = Vec::new();
        loop {
            attempt += 1;
            let outcome = self.execute(&req).await;
            let seen = match &outcome {
                Ok(r) => Attempt::Answered {
                    status: 200,
                    code: Some(r.code),
                },
                Err(TransportError::Timeout) => Attempt::Timeout,
                Err(TransportError::Connect(_)) => Attempt::ConnectionFailed,
                Err(TransportError::Http { status, .. }) => Attempt::Answered {
                    status: *status,
                    code: None,
                },
                Err(TransportError::Unreadable(_)) => Attempt::Answered {
                    status: 200,
                    code: None,
                },
            };
            match self.policy.decide(seen, attempt, jitter()) {
                Decision::Retry { after } => {
                    tracing::warn!(url = %req.url, attempt, ?after, "MiPush attempt failed; retrying");
                    retried.push(seen);
                    tokio::time::sleep(after).await;
                }
                Decision::Done | Decision::GiveUp => {
                    return Exchange {
                        request: req,
                        outcome,
                        attempts: attempt,
                        retried,
                        latency: start.elapsed(),
                    };
                }
            }
        }
    }

    /// A notification to regIds, in calls of at most 1000, each under the retry policy.
    pub async fn send(
        &self,
        region: Region,
        secret: &AppSecret,
        send: &SendToRegIds,
    ) -> Vec<Exchange> {
        let mut out = Vec::new();
        for req in build_send(&self.base(region), secret, send) {
            out.push(self.execute_with_retries(req).await);
        }
        out
    }

    pub async fn trace_status(&self, region: Region, secret: &AppSecret, msg_id: &str) -> Exchange {
        let req = build_trace_status(&self.base(region), secret, msg_id);
        self.execute_with_retries(req).await
    }

    pub async fn counters(
        &self,
        region: Region,
        secret: &AppSecret,
        package_name: &str,
        start_date: &str,
        end_date: &str,
    ) -> Exchange {
        let req = build_counters(
            &self.base(region),
            secret,
            package_name,
            start_date,
            end_date,
        );
        self.execute_with_retries(req).await
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(e.to_string())
    } else {
        TransportError::Unreadable(e.to_string())
    }
}

/// A number in `[0, 1)` that differs between calls; jitter needs spread, not secrecy.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}
