use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use server::clock::Clock;
use server::config::Settings;
use server::dispatch::Dispatcher;
use server::startup::Application;
use sqlx::Connection;

#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub database_url: String,
    pub dir: PathBuf,
    /// The server's clock: a test moves it forward instead of sleeping.
    pub clock: Clock,
    /// The server's push pipeline, for a server in this process; its outbox worker is off, so
    /// the test runs it with [`TestApp::drain`].
    pub dispatcher: Option<Arc<Dispatcher>>,
}

/// The name tests claim outbox rows under.
const TEST_WORKER: &str = "test";

#[path = "../common/eventually.rs"]
mod wait;
pub use wait::eventually;

pub const OWNER: &str = "owner";
pub const OWNER_PASSWORD: &str = "correct horse battery";

fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// A fresh empty database: a new SQLite file, or a new PostgreSQL database on the local server
/// (`PUSHDESK_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432`).
pub async fn fresh_database(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite://{}/pushdesk.db?mode=rwc", dir.display()),
        Engine::Postgres => {
            let server = std::env::var("PUSHDESK_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            let name = format!("pushdesk_test_{}", unique());
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("PostgreSQL must run on 127.0.0.1:5432 for the tests (see README)");
            drop_old_test_databases(&mut admin).await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            format!("{server}/{name}")
        }
    }
}

/// Once per run, before the first new database: drop what earlier runs left behind.
async fn drop_old_test_databases(admin: &mut sqlx::PgConnection) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let prefix = format!("pushdesk_test_{}_", std::process::id());
        let old: Vec<(String,)> =
            sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'pushdesk_test_%'")
                .fetch_all(&mut *admin)
                .await
                .unwrap_or_default();
        for (name,) in old.into_iter().filter(|(n,)| !n.starts_with(&prefix)) {
            // Another run may still use it: then it stays, and a later run drops it.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut *admin)
                .await;
        }
    })
    .await;
}

pub fn test_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pushdesk-test-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn settings(database_url: &str, dir: &std::path::Path) -> Settings {
    settings_with(database_url, dir, &[])
}

/// Test settings with some keys set as an operator would in the environment.
pub fn settings_with(
    database_url: &str,
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Settings {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url.to_owned()),
        ("PUSHDESK_ADDR", "127.0.0.1:0".to_owned()),
        ("PUSHDESK_SANDBOX", "1".to_owned()),
        (
            "PUSHDESK_SECRET_KEY_FILE",
            dir.join("secret.key").display().to_string(),
        ),
        (
            "LEPTOS_SITE_ROOT",
            std::env::var("PUSHDESK_SITE_ROOT").unwrap_or_else(|_| "../target/site".into()),
        ),
        // Tests run the outbox themselves (`TestApp::drain`).
        ("PUSHDESK_OUTBOX_WORKER", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::from_vars(&vars).unwrap()
}

/// A server whose environment also holds `extra` (e.g. a short certificate activation delay).
/// `PUSHDESK_PUBLIC_URL = "self"` stands for the server's own address, so that its sandbox can
/// post receipts back to it.
pub async fn spawn_app_with(engine: Engine, extra: &[(&str, &str)]) -> TestApp {
    let dir = test_dir();
    let database_url = fresh_database(engine, &dir).await;
    let clock = Clock::system();
    let mut vars: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(public) = vars
        .iter_mut()
        .find(|(k, v)| k == "PUSHDESK_PUBLIC_URL" && v == "self")
    {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        public.1 = format!("http://127.0.0.1:{port}");
        vars.push(("PUSHDESK_ADDR".to_owned(), format!("127.0.0.1:{port}")));
    }
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = Application::build_with_clock(settings_with(&database_url, &dir, &extra), clock)
        .await
        .unwrap();
    serve(app, database_url, dir)
}

pub async fn spawn_on(database_url: String, dir: PathBuf) -> TestApp {
    let app = Application::build_with_clock(settings(&database_url, &dir), Clock::system())
        .await
        .unwrap();
    serve(app, database_url, dir)
}

fn serve(app: Application, database_url: String, dir: PathBuf) -> TestApp {
    capture_logs();
    let base = format!("http://{}", app.addr());
    let services = app.state().services.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: new_client(),
        database_url,
        dir,
        clock: services.clock().clone(),
        dispatcher: Some(services.dispatcher()),
    }
}

/// A client of the test server. No request of the suite takes more than a few seconds: one that
/// takes a minute fails the test instead of holding the run.
pub fn new_client() -> Client {
    server::install_tls_provider();
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    /// A client of a server in another process.
    pub fn remote(base: String, database_url: String, dir: PathBuf) -> Self {
        Self {
            base,
            client: new_client(),
            database_url,
            dir,
            clock: Clock::system(),
            dispatcher: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs the outbox until nothing is left to send, moving the clock over each retry's
    /// backoff instead of waiting it out. Returns the outbox rows handled.
    pub async fn drain(&self) -> usize {
        let dispatcher = self
            .dispatcher
            .as_ref()
            .expect("drain() drives a server in this process");
        let mut handled = 0;
        loop {
            handled += dispatcher.drain(TEST_WORKER).await.unwrap();
            match dispatcher.next_due().await.unwrap() {
                // A row is claimed once its time is past.
                Some(due) => self.clock.advance((due - self.clock.now() + 1).max(1)),
                None => return handled,
            }
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.client
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.client
            .patch(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Creates the owner through the setup API and signs in as them.
    pub async fn with_owner(&self) {
        let res = self
            .post(
                "/api/v1/setup",
                json!({"username": OWNER, "password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        self.sign_in(OWNER, OWNER_PASSWORD).await;
    }

    pub async fn sign_in(&self, username: &str, password: &str) {
        let res = self
            .post(
                "/api/v1/session",
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }

    /// Another browser: its own cookies, same server.
    pub fn other_client(&self) -> TestApp {
        TestApp {
            client: new_client(),
            ..self.clone_handles()
        }
    }

    fn clone_handles(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            client: self.client.clone(),
            database_url: self.database_url.clone(),
            dir: self.dir.clone(),
            clock: self.clock.clone(),
            dispatcher: self.dispatcher.clone(),
        }
    }

    pub async fn create_user(&self, username: &str, role: &str) -> TestApp {
        let res = self
            .post(
                "/api/v1/users",
                json!({"username": username, "password": "a long password", "role": role}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        let other = self.other_client();
        other.sign_in(username, "a long password").await;
        other
    }
}

/// Asserts an `/api/v1` error: status, code and (if any) field.
pub async fn assert_error(
    res: Response,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) -> Value {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["field"].as_str(), field, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    body
}

/// Writes the same test once per engine: `sqlite::name` and `postgres::name`. A test may set
/// environment keys for its server: `#[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "1")]`.
#[macro_export]
macro_rules! on_both_engines {
    ($( $(#[env($($k:literal = $v:literal),*)])? async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::support::spawn_app_with(
                        $crate::support::Engine::Sqlite,
                        &[$($(($k, $v)),*)?],
                    ).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::support::spawn_app_with(
                        $crate::support::Engine::Postgres,
                        &[$($(($k, $v)),*)?],
                    ).await;
                    $body
                }
            )*
        }
    };
}

/// What every server of this test binary logged, at debug level: tests search it for secrets.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=warn,hyper=info,hyper_util=info,h2=info,rustls=info")
            .with_ansi(false)
            .with_writer(|| LogSink)
            .try_init();
    });
}

/// An app 1400000001 with Android ticked, a Xiaomi certificate in the sandbox region (with
/// `channel_id` if given), `devices` sandbox phones, and the app's secret key, which the
/// customer's back end signs UserSigs with.
pub struct ImFixture {
    pub key: String,
    pub certificate_id: i64,
    pub reg_ids: Vec<String>,
    /// The sandbox app's credentials, as Xiaomi's console shows them.
    pub app_id: String,
    pub app_key: String,
    pub app_secret: String,
}

pub async fn im_fixture(app: &TestApp, devices: usize, channel_id: Option<&str>) -> ImFixture {
    app.with_owner().await;
    app.post("/api/v1/apps", json!({"name": "Demo"})).await;
    app.put(
        "/api/v1/apps/1400000001/platforms",
        json!({"platforms": ["android"]}),
    )
    .await;
    let sb: Value = app
        .post(
            "/sandbox/mipush/apps",
            json!({"package_name": "com.example.im"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut body = json!({"vendor": "xiaomi", "package_name": "com.example.im",
        "app_id": sb["app_id"], "app_secret": sb["app_secret"], "region": "sandbox"});
    if let Some(channel) = channel_id {
        body["channel_id"] = json!(channel);
    }
    let cert: Value = app
        .post("/api/v1/apps/1400000001/certificates", body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cert["check"]["state"], "passed", "{cert}");
    let mut reg_ids = Vec::new();
    let (app_id, app_key) = (
        sb["app_id"].as_str().unwrap(),
        sb["app_key"].as_str().unwrap(),
    );
    for _ in 0..devices {
        reg_ids.push(phone(app, "com.example.im", app_id, app_key).await);
    }
    let key: Value = app
        .post("/api/v1/apps/1400000001/secret-key/reveal", json!({}))
        .await
        .json()
        .await
        .unwrap();
    ImFixture {
        key: key["secret_key"].as_str().unwrap().to_owned(),
        certificate_id: cert["id"].as_i64().unwrap(),
        reg_ids,
        app_id: sb["app_id"].as_str().unwrap().to_owned(),
        app_key: sb["app_key"].as_str().unwrap().to_owned(),
        app_secret: sb["app_secret"].as_str().unwrap().to_owned(),
    }
}

/// A sandbox phone with the app of `package_name` installed (`registerPush`): its regId.
pub async fn phone(app: &TestApp, package_name: &str, app_id: &str, app_key: &str) -> String {
    let res = app
        .post(
            "/sandbox/mipush/devices",
            json!({"package_name": package_name, "app_id": app_id, "app_key": app_key}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    v["reg_id"].as_str().unwrap().to_owned()
}

/// A regId (or any value) as a path segment.
pub fn path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The actions of the newest 200 audit events.
pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    let res = app.get("/api/v1/audit?limit=200").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}
