//! The real binary as processes: killed with SIGKILL while offline pushes are on their way to
//! MiPush, then started again on the same database and address (every push arrives, none shows
//! twice); and two instances sharing one PostgreSQL database and one backlog.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::offline::{count, inject_faults, offline_users, ok, shade, text_msg, v4};
use crate::support::{Engine, TestApp, eventually, fresh_database, new_client, test_dir};

/// A free port, the same for both runs (the worker's name is host and port).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(
    database_url: &str,
    dir: &std::path::Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_pushdesk"))
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("PUSHDESK_ADDR", format!("127.0.0.1:{port}"))
        .env("PUSHDESK_SANDBOX", "1")
        .env("PUSHDESK_CERT_ACTIVATION_DELAY", "0")
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the pushdesk binary starts");
    let client = new_client();
    let health = format!("http://127.0.0.1:{port}/healthz");
    eventually(
        "pushdesk answers /healthz",
        Duration::from_secs(20),
        || async { client.get(&health).send().await.ok().map(|_| ()) },
    )
    .await;
    Running(child)
}

/// A client of the instance on `port` (its database at `url`, its files in `dir`).
fn app_at(port: u16, url: &str, dir: &std::path::Path) -> TestApp {
    TestApp::remote(
        format!("http://127.0.0.1:{port}"),
        url.to_owned(),
        dir.to_owned(),
    )
}

/// Outbox rows not sent yet.
async fn pending(app: &TestApp) -> i64 {
    let sql = "SELECT COUNT(*), CAST(0 AS BIGINT) FROM push_outbox WHERE state = 'pending'";
    count(app, sql).await.0
}

/// Waits (a minute at most) until the other processes sent every outbox row.
async fn wait_until_all_sent(app: &TestApp) {
    eventually("every push sent", Duration::from_secs(60), || async {
        (pending(app).await == 0).then_some(())
    })
    .await;
}

/// 10,000 pushes: 2,000 phones, 5 messages (each a vendor call of 1,000 regIds, twice).
async fn killed_mid_dispatch_and_restarted_delivers_every_push_once(engine: Engine) {
    const PHONES: usize = 2_000;
    const TEXTS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];
    const PUSHES: i64 = (PHONES * TEXTS.len()) as i64;
    sqlx::any::install_default_drivers();
    let dir = test_dir();
    let url = fresh_database(engine, &dir).await;
    let port = free_port();
    let mut process = start(&url, &dir, port, &[]).await;
    let app = app_at(port, &url, &dir);
    let (f, users) = offline_users(&app, PHONES).await;
    // Every MiPush call takes 1.5 s, so the kill finds calls on the wire and rows not sent.
    inject_faults(&app, json!({"latency_ms": 1500})).await;
    for (i, text) in TEXTS.into_iter().enumerate() {
        // Tencent's batchsendmsg takes 500 receivers.
        for (j, receivers) in users.chunks(500).enumerate() {
            let mut body = text_msg("x", text, 10_000 + (i * 10 + j) as u32);
            body["To_Account"] = json!(receivers);
            ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
        }
    }

    // Calls answered and recorded, and none delivered but not yet recorded (on PostgreSQL the
    // worker's two lanes record at different times); the next calls are on the wire: kill -9.
    eventually(
        "a vendor call answered and every answered call recorded",
        Duration::from_secs(30),
        || async {
            let sql =
                "SELECT COUNT(*), CAST(0 AS BIGINT) FROM push_records WHERE outcome = 'accepted'";
            let recorded = count(&app, sql).await.0;
            let sql = "SELECT CAST(COALESCE(SUM(delivered), 0) AS BIGINT), CAST(0 AS BIGINT) \
                       FROM sandbox_messages";
            let delivered = count(&app, sql).await.0;
            (recorded > 0 && recorded == delivered).then_some(())
        },
    )
    .await;
    process.0.kill().unwrap();
    process.0.wait().unwrap();
    assert!(pending(&app).await > 0, "the kill came after the last call");

    // Started again: it takes back what it held and sends it.
    let _process = start(&url, &dir, port, &[]).await;
    wait_until_all_sent(&app).await;
    let (left, _) = count(&app, "SELECT COUNT(*), CAST(0 AS BIGINT) FROM push_outbox").await;
    assert_eq!(left, 0, "a push that ended leaves the outbox");
    // On the phones: every (phone, text) once. Counted from what MiPush delivered, which a
    // second send of the same push would raise even where the phone replaces a notification.
    let (delivered_calls, delivered) = count(
        &app,
        "SELECT COUNT(*), CAST(COALESCE(SUM(delivered), 0) AS BIGINT) FROM sandbox_messages",
    )
    .await;
    assert_eq!(delivered, PUSHES, "{delivered_calls} calls");
    let (shown, distinct) = count(
        &app,
        "SELECT COUNT(*), COUNT(DISTINCT reg_id || description) FROM sandbox_notifications",
    )
    .await;
    assert_eq!((shown, distinct), (PUSHES, PUSHES));
    for reg_id in f.reg_ids.iter().step_by(397) {
        let items = shade(&app, reg_id).await;
        let mut texts: Vec<&str> = items
            .iter()
            .map(|n| n["description"].as_str().unwrap())
            .collect();
        texts.sort_unstable();
        let mut expected = TEXTS;
        expected.sort_unstable();
        assert_eq!(texts, expected, "{reg_id}");
    }
    let (accepted, distinct) = count(
        &app,
        "SELECT COUNT(*), COUNT(DISTINCT reg_id || msg_key) FROM push_records WHERE outcome = 'accepted'",
    )
    .await;
    assert_eq!((accepted, distinct), (PUSHES, PUSHES));
}

#[tokio::test]
async fn a_killed_server_resumes_its_pushes_on_sqlite() {
    killed_mid_dispatch_and_restarted_delivers_every_push_once(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_killed_server_resumes_its_pushes_on_postgres() {
    killed_mid_dispatch_and_restarted_delivers_every_push_once(Engine::Postgres).await;
}

/// One instance takes the traffic with its worker off; two others on the same PostgreSQL database
/// send the backlog between them, each push once, send with a certificate as soon as it is
/// edited on the first, and honour each other's console sessions.
#[tokio::test]
async fn two_instances_share_one_postgres_backlog() {
    const PHONES: usize = 300;
    const MESSAGES: usize = 10;
    sqlx::any::install_default_drivers();
    let dir = test_dir();
    let url = fresh_database(Engine::Postgres, &dir).await;
    let port = free_port();
    let _front = start(&url, &dir, port, &[("PUSHDESK_OUTBOX_WORKER", "0")]).await;
    let app = app_at(port, &url, &dir);
    let (f, users) = offline_users(&app, PHONES).await;
    for i in 0..MESSAGES {
        let mut body = text_msg("x", &format!("message {i}"), 20_000 + i as u32);
        body["To_Account"] = json!(users);
        ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
    }
    let total = (PHONES * MESSAGES) as i64;
    assert_eq!(
        pending(&app).await,
        total,
        "nothing is sent without a worker"
    );

    // Two workers start side by side on the backlog.
    let (a, b) = (free_port(), free_port());
    let (_a, _b) = tokio::join!(start(&url, &dir, a, &[]), start(&url, &dir, b, &[]));
    wait_until_all_sent(&app).await;
    let (accepted, distinct) = count(
        &app,
        "SELECT COUNT(*), COUNT(DISTINCT reg_id || msg_key) FROM push_records WHERE outcome = 'accepted'",
    )
    .await;
    assert_eq!((accepted, distinct), (total, total), "each push sent once");
    let (delivered, _) = count(
        &app,
        "SELECT CAST(SUM(delivered) AS BIGINT), CAST(0 AS BIGINT) FROM sandbox_messages",
    )
    .await;
    assert_eq!(delivered, total);
    // What each instance sent, by its own /metrics (the outbox keeps no finished rows).
    let sent_by = |worker: u16| async move {
        let metrics = new_client()
            .get(format!("http://127.0.0.1:{worker}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metrics
            .lines()
            .filter(|l| {
                l.starts_with("pushdesk_pushes_total{") && l.contains("outcome=\"accepted\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<i64>().ok())
            .sum::<i64>()
    };
    let before = (sent_by(a).await, sent_by(b).await);
    assert!(
        before.0 > 0 && before.1 > 0,
        "both workers sent: {before:?}"
    );

    // A certificate edited on the front is what both workers send with from then on.
    let path = format!("/api/v1/apps/1400000001/certificates/{}", f.certificate_id);
    let mut cert: serde_json::Value = app.get(&path).await.json().await.unwrap();
    cert["channel_id"] = json!("edited_channel");
    assert_eq!(app.put(&path, cert).await.status(), reqwest::StatusCode::OK);
    // Twice as many messages as before, over several polls of the two workers.
    for i in 0..2 * MESSAGES {
        let mut body = text_msg("x", &format!("after the edit {i}"), 30_000 + i as u32);
        body["To_Account"] = json!(users);
        ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
    }
    wait_until_all_sent(&app).await;
    let (calls, edited) = count(
        &app,
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN channel_id = 'edited_channel' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM sandbox_messages WHERE description LIKE 'after the edit%'",
    )
    .await;
    assert!(calls >= 2 * MESSAGES as i64, "{calls} calls");
    assert_eq!(
        edited, calls,
        "every call after the edit used the edited certificate"
    );
    let after = (sent_by(a).await, sent_by(b).await);
    assert!(
        after.0 > before.0 && after.1 > before.1,
        "both workers sent after the edit: {before:?} → {after:?}"
    );

    // A console session made on one instance is valid on the others.
    let other = TestApp {
        base: format!("http://127.0.0.1:{a}"),
        ..app
    };
    let me = other.get("/api/v1/me").await;
    assert_eq!(me.status(), reqwest::StatusCode::OK);
}
