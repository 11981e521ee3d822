use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Engine, fresh_database, new_client, spawn_on, test_dir};

fn pushdesk(
    args: &[&str],
    database_url: &str,
    dir: &std::path::Path,
    stdin: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushdesk"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("PUSHDESK_SECRET_KEY_FILE", dir.join("secret.key"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn shell_creates_an_owner_and_a_token_that_the_api_accepts(engine: Engine) {
    let dir = test_dir();
    let url = fresh_database(engine, &dir).await;
    let out = pushdesk(
        &["admin", "create", "root_admin", "--role", "owner"],
        &url,
        &dir,
        "a long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pushdesk(&["admin", "create", "x"], &url, &dir, "a long password\n");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Username"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pushdesk(&["admin", "create", "nopass"], &url, &dir, "");
    assert!(!out.status.success());

    let out = pushdesk(&["token", "create", "root_admin"], &url, &dir, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let app = spawn_on(url, dir).await;
    // The shell-made owner ends the setup page too.
    assert_eq!(app.get("/setup").await.status(), StatusCode::NOT_FOUND);
    let me: Value = new_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "root_admin");
    assert_eq!(me["role"], "owner");
}

#[tokio::test]
async fn shell_commands_work_on_sqlite() {
    shell_creates_an_owner_and_a_token_that_the_api_accepts(Engine::Sqlite).await;
}

#[tokio::test]
async fn shell_commands_work_on_postgres() {
    shell_creates_an_owner_and_a_token_that_the_api_accepts(Engine::Postgres).await;
}
