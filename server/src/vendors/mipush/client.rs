//! Puts prepared requests on the wire: one attempt each. Whether and when to try again is the
//! pipeline's retry policy (`crate::dispatch::policy`), never a wait in here.

use std::time::{Duration, Instant};

use super::{
    AppSecret, Endpoints, MiResponse, PreparedRequest, Region, SendToRegIds, build_counters,
    build_send, build_trace_status,
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

/// One attempt's story: what was sent, what came back, how long it took.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: PreparedRequest,
    pub outcome: Result<MiResponse, TransportError>,
    pub latency: Duration,
}

#[derive(Debug, Clone)]
pub struct MiPushClient {
    http: reqwest::Client,
    endpoints: Endpoints,
}

impl MiPushClient {
    pub fn new(endpoints: Endpoints, timeout: Duration) -> Self {
        crate::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("pushdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a plain reqwest client builds");
        Self { http, endpoints }
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

    /// One attempt, timed.
    pub async fn exchange(&self, request: PreparedRequest) -> Exchange {
        let start = Instant::now();
        let outcome = self.execute(&request).await;
        Exchange {
            request,
            outcome,
            latency: start.elapsed(),
        }
    }

    /// A notification to regIds, in calls of at most 1000, one attempt each.
    pub async fn send(
        &self,
        region: Region,
        secret: &AppSecret,
        send: &SendToRegIds,
    ) -> Vec<Exchange> {
        let mut out = Vec::new();
        for req in build_send(&self.base(region), secret, send) {
            out.push(self.exchange(req).await);
        }
        out
    }

    pub async fn trace_status(&self, region: Region, secret: &AppSecret, msg_id: &str) -> Exchange {
        let req = build_trace_status(&self.base(region), secret, msg_id);
        self.exchange(req).await
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
        self.exchange(req).await
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
