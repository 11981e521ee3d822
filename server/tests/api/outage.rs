//! The database unreachable for a while (a TCP proxy in front of PostgreSQL is cut): requests
//! fail cleanly with 503 and a message, nothing is half-written, and service resumes by itself.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::support::{Engine, fresh_database, new_client, spawn_on, test_dir};

/// Forwards a local port to PostgreSQL until cut; can be restored on the same port.
struct Proxy {
    port: u16,
    upstream: String,
    /// Bumped on every cut: open connections end.
    generation: Arc<watch::Sender<u64>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Self {
            port: listener.local_addr().unwrap().port(),
            upstream: upstream.to_owned(),
            generation: Arc::new(watch::channel(0).0),
            accept: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let (upstream, generation) = (self.upstream.clone(), self.generation.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut cut = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        }));
    }

    /// The network to the database goes away: open connections drop, new ones are refused.
    fn cut(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        self.generation.send_modify(|g| *g += 1);
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

#[tokio::test]
async fn an_unreachable_database_gives_503_writes_nothing_and_service_resumes() {
    let dir = test_dir();
    let direct = fresh_database(Engine::Postgres, &dir).await;
    // postgres://user@host:port/name → the proxy in place of host:port.
    let (head, name) = direct.rsplit_once('/').unwrap();
    let upstream = head
        .rsplit_once('@')
        .map_or(head, |(_, h)| h)
        .trim_start_matches("postgres://");
    let mut proxy = Proxy::start(upstream).await;
    let via_proxy = direct.replacen(upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let app = spawn_on(via_proxy, dir).await;
    app.with_owner().await;
    let created: Value = app
        .post("/api/v1/tokens", json!({"name": "ci"}))
        .await
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let api = new_client();
    let create = |name: &str| {
        api.post(app.url("/api/v1/apps"))
            .bearer_auth(&token)
            .header("accept-language", "en")
            .json(&json!({"name": name}))
            .send()
    };
    assert_eq!(
        create("Before").await.unwrap().status(),
        StatusCode::CREATED
    );

    proxy.cut();
    let res = create("During").await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{body}"
    );
    let page = app.client.get(app.url("/apps")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore().await;
    let start = std::time::Instant::now();
    let res = loop {
        let res = create("After").await.unwrap();
        if res.status() != StatusCode::SERVICE_UNAVAILABLE
            || start.elapsed() > Duration::from_secs(30)
        {
            break res;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "service resumes without a restart"
    );
    // Checked straight in the database: the app refused during the outage was never written.
    use sqlx::Connection;
    let mut db = sqlx::AnyConnection::connect(&direct).await.unwrap();
    let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM apps ORDER BY sdkappid")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let names: Vec<&str> = names.iter().map(|(n,)| n.as_str()).collect();
    assert_eq!(names, ["Before", "After"], "database {name}");
}
