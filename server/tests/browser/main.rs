//! The browser suite: the real `pushdesk` binary, Debian's Chromium through chromedriver.
//! Needs the site built (`make site`; `make test` does it) and `chromium` + `chromium-driver`.

#[path = "../common/eventually.rs"]
mod eventually;
mod webdriver;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventually::eventually;
use serde_json::json;
use webdriver::Browser;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "pushdesk-browser-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process killed when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_ready(url: &str, what: &str) {
    server::install_tls_provider();
    let client = reqwest::Client::new();
    let ready = || async {
        let res = client.get(url).send().await.ok()?;
        res.status().is_success().then_some(())
    };
    eventually(
        &format!("{what} answers at {url}"),
        Duration::from_secs(30),
        ready,
    )
    .await;
}

struct Server {
    base: String,
    _process: Running,
}

/// The release binary as a service manager would run it: its own directory, a fresh database.
async fn start_server() -> Server {
    let site = std::env::var("PUSHDESK_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"));
    assert!(
        site.join("pkg/pushdesk.wasm").exists(),
        "no site at {}: run `make site` first",
        site.display()
    );
    let dir = temp_dir("server");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_pushdesk"))
        .current_dir(&dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/pushdesk.db?mode=rwc", dir.display()),
        )
        .env("PUSHDESK_ADDR", format!("127.0.0.1:{port}"))
        .env("PUSHDESK_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", &site)
        .env("PUSHDESK_SANDBOX", "1")
        .env("PUSHDESK_CERT_ACTIVATION_DELAY", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the pushdesk binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let process = Running(child);
    wait_until_ready(&format!("{base}/healthz"), "pushdesk").await;
    Server {
        base,
        _process: process,
    }
}

struct Driver {
    url: String,
    _process: Running,
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (apt-get install chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    let process = Running(child);
    wait_until_ready(&format!("{url}/status"), "chromedriver").await;
    Driver {
        url,
        _process: process,
    }
}

/// The owner, through the setup API (the browser journey does it through the page).
async fn create_owner(api: &reqwest::Client, base: &str) {
    let res = api
        .post(format!("{base}/api/v1/setup"))
        .json(&json!({"username": "owner", "password": "correct horse battery", "password_confirm": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn sign_in(b: &Browser, base: &str, username: &str, password: &str) {
    b.goto(&format!("{base}/signin")).await;
    b.fill("input[name=username]", username).await;
    b.fill("input[name=password]", password).await;
    b.click("button[type=submit]").await;
}

#[tokio::test]
async fn an_owner_sets_up_signs_in_creates_an_app_and_ticks_platforms() {
    let server = start_server().await;
    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile"), true).await;
    let base = &server.base;

    // 1. With no user yet, every page leads to the one-time setup.
    b.goto(&format!("{base}/")).await;
    b.wait_for_url("/setup").await;
    b.wait_hydrated().await;
    b.assert_console_clean().await;
    b.fill("input[name=username]", "owner").await;
    b.fill("input[name=password]", "correct horse battery")
        .await;
    b.fill("input[name=password_confirm]", "correct horse battery!")
        .await;
    b.click("button[type=submit]").await;
    b.wait_for("p.field-error[data-field=password_confirm]")
        .await;
    b.wait_for_text("两次输入的密码不一致").await;
    b.fill("input[name=password_confirm]", "correct horse battery")
        .await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/signin?created=1").await;
    b.wait_for_text("所有者已创建").await;

    // 2. The setup page is gone for good.
    b.goto(&format!("{base}/setup")).await;
    b.wait_for_text("not found").await;

    // 3. A wrong password says so; the right one opens the app list.
    sign_in(&b, base, "owner", "wrong password!!").await;
    b.wait_for_text("用户名或密码错误").await;
    b.wait_hydrated().await;
    b.fill("input[name=password]", "correct horse battery")
        .await;
    b.click("button[type=submit]").await;
    b.wait_for_url("/apps").await;
    b.wait_for_text("创建应用").await;

    // 4. Create an app; it gets the first SDKAppID.
    b.fill("input[name=name]", "Demo 应用").await;
    b.click("button[type=submit].primary").await;
    b.wait_for("tr[data-sdkappid='1400000001']").await;
    b.wait_for_text("仅显示这一次").await;
    b.click("tr[data-sdkappid='1400000001'] a").await;
    b.wait_for_url("/apps/1400000001").await;
    b.wait_for_text("基础配置").await;
    b.wait_for_text("未选择平台").await;
    assert!(
        b.find("#certificates").await.is_none(),
        "no Android push certificates area before Android is ticked"
    );

    // 5. 基础配置 → 应用平台 【编辑】 → tick Android and iOS → 【保存】, and it survives a reload;
    // the 【Android推送证书】 area with 【添加证书】 appears below the platforms (the seed's Step2).
    b.click("#edit-platforms").await;
    b.click("input[value=android]").await;
    b.click("input[value=ios]").await;
    assert!(b.is_selected("input[value=android]").await);
    b.click("#save-platforms").await;
    b.wait_for("ul#platforms li[data-platform=ios]").await;
    b.wait_for("#certificates").await;
    b.wait_for("#add-certificate").await;
    b.refresh().await;
    b.wait_for("ul#platforms li[data-platform=android]").await;
    let shown = b.text("ul#platforms").await;
    assert!(
        shown.contains("Android") && shown.contains("iOS"),
        "{shown}"
    );
    b.wait_hydrated().await;
    b.assert_console_clean().await;

    // 6. Add a viewer, sign out, sign in as the viewer.
    b.goto(&format!("{base}/users")).await;
    b.wait_hydrated().await;
    b.fill("form input[name=username]", "vera").await;
    b.fill("form input[name=password]", "a long password").await;
    b.select("form select[name=role]", "viewer").await;
    b.click("form button[type=submit].primary").await;
    b.wait_for("tr[data-username=vera]").await;
    b.click("form.signout button").await;
    b.wait_for_url("/signin").await;

    sign_in(&b, base, "vera", "a long password").await;
    b.wait_for_url("/apps").await;
    b.goto(&format!("{base}/apps/1400000001?edit=platforms"))
        .await;
    b.wait_for_text("基础配置").await;
    b.wait_hydrated().await;
    assert!(
        b.find("#edit-platforms").await.is_none(),
        "a viewer sees no 编辑"
    );
    assert!(
        b.find("#save-platforms").await.is_none(),
        "a viewer gets no platform form"
    );
    assert!(
        b.find("#reveal-secret").await.is_none(),
        "a viewer cannot reveal the key"
    );

    // The server refuses, not just the page.
    let status = b
        .script(
            "const done = arguments[arguments.length - 1];
             fetch('/fn/save_platforms', {method: 'POST',
               headers: {'Content-Type': 'application/x-www-form-urlencoded'},
               body: 'sdkappid=1400000001&platforms[0]=web'}).then(r => done(r.status));",
        )
        .await;
    assert_eq!(status, json!(403));

    // 7. English, remembered across pages.
    b.click("a.lang").await;
    b.wait_for_text("Basic configuration").await;
    b.goto(&format!("{base}/apps")).await;
    b.wait_for_text("App name").await;
    b.wait_hydrated().await;
    b.assert_console_clean().await;
    b.quit().await;
}

#[tokio::test]
async fn sign_in_and_app_creation_work_with_javascript_disabled() {
    let server = start_server().await;
    let base = &server.base;
    let api = reqwest::Client::new();
    create_owner(&api, base).await;

    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile-nojs"), false).await;
    sign_in(&b, base, "owner", "wrong password!!").await;
    b.wait_for_text("用户名或密码错误").await;
    sign_in(&b, base, "owner", "correct horse battery").await;
    b.wait_for_url("/apps").await;
    b.fill("input[name=name]", "No script").await;
    b.click("button[type=submit].primary").await;
    b.wait_for("tr[data-sdkappid='1400000001']").await;

    // Tick Android, then add a certificate through the dialog: plain HTML forms all the way.
    b.goto(&format!("{base}/apps/1400000001?edit=platforms"))
        .await;
    b.click("input[value=android]").await;
    b.click("#save-platforms").await;
    b.wait_for("ul#platforms li[data-platform=android]").await;
    b.goto(&format!("{base}/apps/1400000001/push?add=xiaomi"))
        .await;
    b.fill("input[name='draft[package_name]']", "not a package")
        .await;
    b.fill("input[name='draft[app_id]']", "2882303761517473625")
        .await;
    b.fill(
        "input[name='draft[app_secret]']",
        "Zm9vYmFyYmF6cXV4MTIzNA==",
    )
    .await;
    b.click("#save-certificate").await;
    b.wait_for_text("应用包名称须为 Android 包名").await;
    // Without JavaScript the answer is a new page: the form comes back empty.
    b.fill("input[name='draft[package_name]']", "com.example.im")
        .await;
    b.fill("input[name='draft[app_id]']", "2882303761517473625")
        .await;
    b.fill(
        "input[name='draft[app_secret]']",
        "Zm9vYmFyYmF6cXV4MTIzNA==",
    )
    .await;
    b.select("select[name='draft[region]']", "sandbox").await;
    b.click("#save-certificate").await;
    b.wait_for("tr[data-status=invalid]").await;
    b.wait_for_text("凭据无效").await;
    assert!(
        b.find("body[data-hydrated]").await.is_none(),
        "JavaScript was meant to be off"
    );
    b.quit().await;
}

#[tokio::test]
async fn a_notification_sent_to_a_virtual_phone_shows_in_its_shade() {
    let server = start_server().await;
    let base = &server.base;
    let api = reqwest::Client::new();
    create_owner(&api, base).await;
    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile-sandbox"), true).await;
    sign_in(&b, base, "owner", "correct horse battery").await;
    b.wait_for_url("/apps").await;

    b.goto(&format!("{base}/sandbox")).await;
    b.wait_hydrated().await;
    b.fill("input[name=package_name]", "not a package").await;
    b.click("#create-sandbox-app").await;
    b.wait_for("p.field-error[data-field=package_name]").await;
    b.fill("input[name=package_name]", "com.example.im").await;
    b.click("#create-sandbox-app").await;
    b.wait_for(".sandbox-app[data-package='com.example.im']")
        .await;
    b.click("button.add-device").await;
    b.wait_for(".phone input[name=description]").await;

    // Through the console: the server's MiPush client sends to the sandbox region.
    b.fill(".phone input[name=description]", "来自控制台的问候")
        .await;
    b.click(".phone button.send").await;
    b.wait_for("#send-result").await;
    assert!(
        b.text("#send-result").await.contains("code 0"),
        "{}",
        b.text("#send-result").await
    );
    b.wait_for(".phone .notification").await;
    b.wait_for_text("来自控制台的问候").await;

    // From outside, as a third-party MiPush SDK would: the shade updates without a reload.
    let apps: serde_json::Value = api
        .get(format!("{base}/sandbox/mipush/apps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = apps[0]["app_secret"].as_str().unwrap().to_owned();
    let devices: serde_json::Value = api
        .get(format!("{base}/sandbox/mipush/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reg_id = devices[0]["reg_id"].as_str().unwrap().to_owned();
    let res = api
        .post(format!("{base}/sandbox/mipush/v3/message/regid"))
        .header("authorization", format!("key={secret}"))
        .form(&[
            ("registration_id", reg_id.as_str()),
            ("restricted_package_name", "com.example.im"),
            ("title", "a new message"),
            ("description", "from a third-party SDK"),
        ])
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = res.json().await.unwrap();
    assert_eq!(answer["code"], 0, "{answer}");
    b.wait_for_text("from a third-party SDK").await;
    b.assert_console_clean().await;

    // Leaving by client-side navigation stops the refresh: nothing touches the old page. An
    // absence takes time to see: two refresh periods of the browser's real clock.
    b.click("nav.sidenav a[href='/apps']").await;
    b.wait_for_url("/apps").await;
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// App 1400000001 with Android ticked, and a sandbox push app, made through the API.
struct AndroidApp {
    /// Signed in as the owner.
    api: reqwest::Client,
    /// The app's secret key (what the customer's back end signs UserSigs with).
    key: String,
    /// The sandbox push app's AppID and AppSecret.
    app_id: String,
    secret: String,
}

async fn android_app_with_sandbox_credentials(base: &str) -> AndroidApp {
    let api = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    create_owner(&api, base).await;
    let ok = |res: reqwest::Response| {
        assert!(res.status().is_success(), "{}", res.status());
        res
    };
    ok(api
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "owner", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap());
    let app: serde_json::Value = ok(api
        .post(format!("{base}/api/v1/apps"))
        .json(&json!({"name": "Demo"}))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    ok(api
        .put(format!("{base}/api/v1/apps/1400000001/platforms"))
        .json(&json!({"platforms": ["android"]}))
        .send()
        .await
        .unwrap());
    let sandbox: serde_json::Value = ok(api
        .post(format!("{base}/sandbox/mipush/apps"))
        .json(&json!({"package_name": "com.example.im"}))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    AndroidApp {
        api,
        key: app["secret_key"].as_str().unwrap().to_owned(),
        app_id: sandbox["app_id"].as_str().unwrap().to_owned(),
        secret: sandbox["app_secret"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn an_owner_adds_a_xiaomi_certificate_and_reads_its_id_once_effective() {
    let server = start_server().await;
    let base = &server.base;
    let AndroidApp { app_id, secret, .. } = android_app_with_sandbox_credentials(base).await;
    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile-certs"), true).await;
    sign_in(&b, base, "owner", "correct horse battery").await;
    b.wait_for_url("/apps").await;

    // 基础配置 → 【Android推送证书】 → 【添加证书】, as the seed's Step2 has it on one tab:
    // 推送平台 小米 is preselected.
    b.goto(&format!("{base}/apps/1400000001")).await;
    b.wait_hydrated().await;
    b.wait_for_text("Android 推送证书").await;
    b.click("#add-certificate").await;
    b.wait_for_url("/apps/1400000001?add=xiaomi").await;
    b.wait_for_text("推送平台").await;
    assert!(b.text(".segment.active").await.contains("小米"));
    for label in ["应用包名称", "APPID", "AppSecret", "服务区域", "点击通知后"] {
        b.wait_for_text(label).await;
    }

    // A bad package name is refused in the browser, before any submit.
    let package = "input[name='draft[package_name]']";
    b.fill(package, "not a package").await;
    b.wait_for("p.field-error[data-field=package_name]").await;
    b.wait_for_text("应用包名称须为 Android 包名").await;
    b.wait_for("#save-certificate[disabled]").await;
    // Forced past the page, the server refuses it too.
    let forced = b
        .script(
            "const done = arguments[arguments.length - 1];
             fetch('/fn/save_certificate', {method: 'POST',
               headers: {'Content-Type': 'application/x-www-form-urlencoded'},
               body: 'sdkappid=1400000001&draft[vendor]=xiaomi&draft[package_name]=not%20a%20package'
                 + '&draft[app_id]=2882303761517473625&draft[app_secret]=Zm9vYmFyYmF6cXV4MTIzNA=='})
               .then(r => r.json().then(b => done([r.status, b.field])));",
        )
        .await;
    assert_eq!(forced, json!([422, "package_name"]));

    b.fill(package, "com.example.im").await;
    b.fill("input[name='draft[app_id]']", &app_id).await;
    b.fill("input[name='draft[app_secret]']", &secret).await;
    b.select("select[name='draft[region]']", "sandbox").await;
    assert!(b.find("p.field-error").await.is_none());
    b.click("#save-certificate").await;
    // Saved on 基础配置, the dialog closes there.
    b.wait_for_url("/apps/1400000001").await;

    // 生效中 with a countdown, then 已生效 and the ID, without a reload.
    b.wait_for("tr[data-status=pending]").await;
    b.wait_for_text("生效中").await;
    let countdown = b.text("tr[data-status=pending] .countdown").await;
    assert!(countdown.starts_with("00:0"), "{countdown}");
    assert!(b.text(".cert-id").await.contains("生效后显示"));
    b.wait_for("tr[data-status=effective]").await;
    b.wait_for_text("已生效").await;
    let id = b.text("tr[data-status=effective] .cert-id code").await;
    assert!(id.parse::<i64>().unwrap() > 0, "{id}");
    assert!(
        b.find("tr[data-status=effective] button.copy")
            .await
            .is_some()
    );
    assert!(
        !b.text("body").await.contains(&secret),
        "the page shows the secret"
    );

    // 【编辑】 keeps the ID; the secret shows masked and stays when left empty.
    b.click("a.edit").await;
    b.wait_for_text("编辑证书").await;
    let masked = format!("****{}", &secret[secret.len() - 4..]);
    let placeholder = b
        .script(
            "const done = arguments[arguments.length - 1];
             done(document.querySelector(\"input[name='draft[app_secret]']\").placeholder);",
        )
        .await;
    assert!(
        placeholder.as_str().unwrap().contains(&masked),
        "{placeholder}"
    );
    b.fill("input[name='draft[channel_id]']", "im_chat").await;
    b.click("#save-certificate").await;
    b.wait_for("tr[data-status=pending]").await;
    // The previous version keeps serving, so its ID stays on show.
    assert_eq!(b.text("tr[data-status=pending] .cert-id code").await, id);
    b.wait_for_text("上一版本仍在使用").await;
    b.wait_for("tr[data-status=effective]").await;
    assert_eq!(b.text("tr[data-status=effective] .cert-id code").await, id);
    b.assert_console_clean().await;

    // The 离线推送 tab shows the same area and the same certificate.
    b.click("#tab-push").await;
    b.wait_for_url("/apps/1400000001/push").await;
    b.wait_for("tr[data-status=effective]").await;
    assert_eq!(b.text("tr[data-status=effective] .cert-id code").await, id);
    b.assert_console_clean().await;
    b.quit().await;
}

/// The developers' journey in the console alone, after the app exists: a sandbox push app and
/// phone, a certificate, a test push, the notification on the phone, its record and the vendor's
/// status; then a reset AppSecret explained.
#[tokio::test]
async fn a_test_push_from_the_console_reaches_the_sandbox_phone_and_is_recorded() {
    let server = start_server().await;
    let base = &server.base;
    let api = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    create_owner(&api, base).await;
    for (path, body) in [
        (
            "/api/v1/session",
            json!({"username": "owner", "password": "correct horse battery"}),
        ),
        ("/api/v1/apps", json!({"name": "Demo"})),
    ] {
        let res = api
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
    let res = api
        .put(format!("{base}/api/v1/apps/1400000001/platforms"))
        .json(&json!({"platforms": ["android"]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile-push"), true).await;
    let started = Instant::now();
    sign_in(&b, base, "owner", "correct horse battery").await;
    b.wait_for_url("/apps").await;

    // Xiaomi's side: a push app and a phone, in the sandbox page.
    b.goto(&format!("{base}/sandbox")).await;
    b.wait_hydrated().await;
    b.fill("input[name=package_name]", "com.example.im").await;
    b.click("#create-sandbox-app").await;
    b.wait_for(".sandbox-app[data-package='com.example.im']")
        .await;
    let app_id = b
        .text(".sandbox-app dl.credentials dd:nth-of-type(1) code")
        .await;
    let secret = b
        .text(".sandbox-app dl.credentials dd:nth-of-type(3) code")
        .await;
    b.click("button.add-device").await;
    b.wait_for(".phone .reg-id code").await;
    let reg_id = b.text(".phone .reg-id code").await;
    assert!(!reg_id.is_empty() && !app_id.is_empty() && !secret.is_empty());

    // The certificate, in the sandbox region, with a channel.
    b.goto(&format!("{base}/apps/1400000001/push?add=xiaomi"))
        .await;
    b.wait_hydrated().await;
    b.fill("input[name='draft[package_name]']", "com.example.im")
        .await;
    b.fill("input[name='draft[app_id]']", &app_id).await;
    b.fill("input[name='draft[app_secret]']", &secret).await;
    b.select("select[name='draft[region]']", "sandbox").await;
    b.fill("input[name='draft[channel_id]']", "im_message")
        .await;
    b.click("#save-certificate").await;
    b.wait_for("tr[data-status=pending]").await;
    b.wait_for("tr[data-status=effective]").await;

    // 测试推送: a warning while the title says 测试, then the send and MiPush's answer.
    b.click("#tab-test-push").await;
    b.wait_for_url("/apps/1400000001/test-push").await;
    b.wait_hydrated().await;
    b.fill("textarea[name='draft[reg_ids]']", &reg_id).await;
    b.fill("input[name='draft[title]']", "测试").await;
    b.wait_for("#push-warnings li").await;
    b.wait_for_text("可能将其归为不重要的消息").await;
    b.fill("input[name='draft[title]']", "a new message").await;
    b.fill("input[name='draft[description]']", "来自测试推送页")
        .await;
    b.click("#send-test-push").await;
    b.wait_for("#push-result").await;
    assert_eq!(b.text("#result-code").await, "0");
    let message_id = b.text("#result-message-id").await;
    assert!(!message_id.is_empty());
    assert!(b.text("#result-request").await.contains("key=****"));
    assert!(
        !b.text("body").await.contains(&secret),
        "the page shows the AppSecret"
    );

    // The phone shows it.
    b.goto(&format!("{base}/sandbox")).await;
    b.wait_for_text("来自测试推送页").await;
    let journey = started.elapsed();
    println!("console journey, sign-in to notification: {journey:?}");

    // 推送记录: the record, its request, and MiPush's status for the message.
    b.goto(&format!("{base}/apps/1400000001/records")).await;
    b.wait_hydrated().await;
    b.wait_for("tr[data-outcome=accepted]").await;
    b.click("tr[data-outcome=accepted] a.open-record").await;
    b.wait_for("#record-detail").await;
    assert_eq!(b.text("#record-message-id").await, message_id);
    b.click("#query-vendor-status").await;
    b.wait_for("#vendor-status").await;
    assert!(b.text("#vendor-status").await.contains("code 0"));

    // Receipts arrive at the URL the push named (the sandbox sends the delivery within a second;
    // here also as a third party would, and a tap): the record's timeline shows them.
    let request = b.text("#record-detail pre.request").await;
    let body = request
        .rsplit('\n')
        .find(|l| l.contains("extra.callback="))
        .unwrap();
    let (_, callback) = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "extra.callback")
        .unwrap();
    let at = server::unix_now() * 1000;
    let receipts = json!({ &message_id: {"type": 1, "targets": reg_id, "barStatus": "Enable", "timestamp": at} });
    let clicked = json!({ &message_id: {"type": 2, "targets": reg_id, "barStatus": "Enable", "timestamp": at} });
    for data in [receipts, clicked] {
        let res = api
            .post(callback.as_ref())
            .form(&[("data", data.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK);
    }
    b.refresh().await;
    b.wait_for("#receipts li[data-event=clicked]").await;
    assert!(b.text("#receipts").await.contains("送达设备"));
    assert!(
        b.text("tr[data-outcome=accepted] td.receipt")
            .await
            .contains("已点击")
    );

    // 基础配置: the reach funnel draws the same push, pushed → accepted → delivered → clicked.
    b.goto(&format!("{base}/apps/1400000001")).await;
    b.wait_hydrated().await;
    b.wait_for("#reach-funnel li[data-step=clicked][data-count='1']")
        .await;
    for step in ["pushes", "accepted", "delivered"] {
        let bar = format!("#reach-funnel li[data-step={step}] .funnel-count");
        assert_eq!(b.text(&bar).await, "1", "{step}");
    }
    assert!(b.text("#reach-funnel").await.contains("送达率"));
    assert!(b.find("#receipts-off").await.is_none(), "receipts are on");

    // The AppSecret reset on Xiaomi's side: the answer says what is wrong and what to do.
    let sandbox_apps: serde_json::Value = api
        .get(format!("{base}/sandbox/mipush/apps"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sandbox_app_id = sandbox_apps[0]["app_id"].as_str().unwrap();
    let res = api
        .post(format!(
            "{base}/sandbox/mipush/apps/{sandbox_app_id}/secret"
        ))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    b.goto(&format!("{base}/apps/1400000001/test-push")).await;
    b.wait_hydrated().await;
    b.fill("textarea[name='draft[reg_ids]']", &reg_id).await;
    b.fill("input[name='draft[description]']", "after the reset")
        .await;
    b.click("#send-test-push").await;
    b.wait_for("#push-result").await;
    assert_eq!(b.text("#result-code").await, "21301");
    b.wait_for_text("检查证书中的 AppSecret").await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// A `/v4` call as the customer's back end makes it, signed as the administrator: the answer.
async fn v4_answer(
    api: &reqwest::Client,
    base: &str,
    key: &str,
    command: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let sig = server::crypto::usersig::generate(
        1_400_000_001,
        key,
        "administrator",
        server::unix_now(),
        3600,
        None,
    );
    api.post(format!(
        "{base}/v4/{command}?sdkappid=1400000001&identifier=administrator&usersig={sig}&random=1&contenttype=json"
    ))
    .body(body.to_string())
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// A `/v4` call that must succeed.
async fn v4(api: &reqwest::Client, base: &str, key: &str, command: &str, body: serde_json::Value) {
    let answer = v4_answer(api, base, key, command, body).await;
    assert_eq!(answer["ActionStatus"], "OK", "{command}: {answer}");
}

async fn send_text(api: &reqwest::Client, base: &str, key: &str, text: &str, random: u32) {
    let body = json!({"From_Account": "bob", "To_Account": "alice", "MsgRandom": random,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]});
    v4(api, base, key, "openim/sendmsg", body).await;
}

/// Waits until the user's state, as `/v4` reports it, is `status`.
async fn wait_for_state(api: &reqwest::Client, base: &str, key: &str, status: &str) {
    let query = json!({"To_Account": ["alice"]});
    eventually(
        &format!("alice is {status}"),
        Duration::from_secs(10),
        || async {
            let answer = v4_answer(api, base, key, "openim/querystate", query.clone()).await;
            (answer["QueryResult"][0]["Status"] == status).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_virtual_phone_shows_step5_and_the_troubleshooter_explains_a_logout() {
    let server = start_server().await;
    let base = &server.base;
    let AndroidApp {
        api,
        key,
        app_id,
        secret,
    } = android_app_with_sandbox_credentials(base).await;
    let cert: serde_json::Value = api
        .post(format!("{base}/api/v1/apps/1400000001/certificates"))
        .json(
            &json!({"vendor": "xiaomi", "package_name": "com.example.im",
            "app_id": app_id, "app_secret": secret, "region": "sandbox"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cert_id = cert["id"].as_i64().unwrap();
    v4(
        &api,
        base,
        &key,
        "im_open_login_svc/account_import",
        json!({"UserID": "bob"}),
    )
    .await;

    let driver = start_driver().await;
    let b = Browser::start(&driver.url, &temp_dir("profile-phone"), true).await;
    sign_in(&b, base, "owner", "correct horse battery").await;
    b.wait_for_url("/apps").await;

    // Step4: the phone registers, logs alice in, reports its regId with the certificate ID.
    b.goto(&format!("{base}/apps/1400000001/phone")).await;
    b.wait_hydrated().await;
    b.select("#phone-certificate", &cert_id.to_string()).await;
    b.fill("#phone-user", "alice").await;
    b.click("#phone-sign-in").await;
    b.wait_for("#phone[data-running=true]").await;
    let reg_id = b.text("#phone-reg-id").await;

    // The app is open: the message arrives in it.
    send_text(&api, base, &key, "hello while open", 1).await;
    b.wait_for_text("hello while open").await;
    assert!(
        b.find("#phone-shade").await.is_none(),
        "no push while the app is open"
    );

    // Step5: the app is killed, the user still logged in; the certificate becomes effective
    // (4 s here); the next message arrives as a notification.
    b.click("#kill-app").await;
    b.wait_for("#phone[data-running=false]").await;
    wait_for_state(&api, base, &key, "PushOnline").await;
    let cert_url = format!("{base}/api/v1/apps/1400000001/certificates/{cert_id}");
    eventually(
        "the certificate is effective",
        Duration::from_secs(10),
        || async {
            let c: serde_json::Value = api.get(&cert_url).send().await.ok()?.json().await.ok()?;
            (c["status"] == "effective").then_some(())
        },
    )
    .await;
    send_text(&api, base, &key, "hello while killed", 2).await;
    b.wait_for("#phone-shade").await;
    b.wait_for_text("hello while killed").await;
    assert!(b.text("#phone-shade").await.contains("a new message"));

    // The user taps the notification: the sandbox reports the click at the receipt URL the push
    // named, and the record shows it. (The shade redraws every second, hence the retries.)
    eventually("the tap is taken", Duration::from_secs(10), || async {
        b.click("#phone-shade li button.tap").await;
        b.text("#phone-shade li button.tap")
            .await
            .contains("已点击")
            .then_some(())
    })
    .await;
    let clicked = format!("{base}/api/v1/apps/1400000001/push-records?receipt=clicked");
    eventually(
        "the click receipt reaches the record",
        Duration::from_secs(10),
        || async {
            let page: serde_json::Value = api.get(&clicked).send().await.ok()?.json().await.ok()?;
            (page["items"].as_array()?.len() == 1).then_some(())
        },
    )
    .await;

    // Opened again: the app catches up in-band.
    b.click("#open-app").await;
    b.wait_for("#phone[data-running=true]").await;
    eventually(
        "the open app shows the message",
        Duration::from_secs(10),
        || async {
            b.text("#in-app")
                .await
                .contains("hello while killed")
                .then_some(())
        },
    )
    .await;

    // Logged out: no push for the next message, and 排查 says why.
    b.click("#phone-logout").await;
    b.wait_for_text("已登出").await;
    send_text(&api, base, &key, "after logout", 3).await;
    b.goto(&format!("{base}/apps/1400000001/diagnose?user_id=alice"))
        .await;
    b.wait_hydrated().await;
    b.wait_for("li[data-check=login][data-verdict=fail]").await;
    assert!(
        b.text("li[data-check=login]")
            .await
            .contains("登出的用户不接收离线推送")
    );
    b.wait_for("#messages li[data-reason=user_logged_out]")
        .await;
    assert!(b.text("li[data-check=certificate]").await.contains("✔"));
    assert!(b.text("li[data-check=delivery]").await.contains("✔"));
    let export = b.text("#export").await;
    assert!(
        export.contains("User ID: alice") && export.contains(&format!("Certificate ID: {cert_id}")),
        "{export}"
    );

    // The devices page keeps the unbound token, with a test push to that device.
    b.goto(&format!("{base}/apps/1400000001/devices?user_id=alice"))
        .await;
    b.wait_hydrated().await;
    assert!(b.text("#devices").await.contains("已解绑"));
    b.click("a.test-device").await;
    b.wait_for("#send-test-push").await;
    b.wait_hydrated().await;
    let prefilled = b
        .script("const done = arguments[0]; done(document.querySelector(\"textarea[name='draft[reg_ids]']\").value)")
        .await;
    assert_eq!(
        prefilled.as_str().unwrap_or_default(),
        reg_id,
        "{prefilled}"
    );
    b.assert_console_clean().await;
    b.quit().await;
}

/// `make bench`: the compressed bytes a browser receives to show and hydrate a page it has never
/// seen (goal ≤ 250 KB): the page, the main WASM module, the page's chunks, scripts and style.
/// Read from the browser's own resource timing, so it counts exactly what was fetched.
#[tokio::test]
#[ignore = "a benchmark: make bench"]
async fn first_load_bytes() {
    let server = start_server().await;
    let base = &server.base;
    let AndroidApp {
        api,
        app_id,
        secret,
        ..
    } = android_app_with_sandbox_credentials(base).await;
    let res = api
        .post(format!("{base}/api/v1/apps/1400000001/certificates"))
        .json(&json!({"vendor": "xiaomi", "package_name": "com.example.im", "app_id": app_id, "app_secret": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let driver = start_driver().await;
    for (name, path) in [
        ("sign-in", "/signin"),
        ("certificates", "/apps/1400000001/push"),
    ] {
        let b = Browser::start(&driver.url, &temp_dir("profile-bytes"), true).await;
        if name != "sign-in" {
            sign_in(&b, base, "owner", "correct horse battery").await;
            b.wait_for_url("/apps").await;
        }
        b.goto(&format!("{base}{path}")).await;
        b.wait_hydrated().await;
        b.assert_console_clean().await;
        // encodedBodySize: the body as sent (after Content-Encoding), also for files the
        // sign-in already cached, so both pages count as first loads.
        let entries = b
            .script(
                "const done = arguments[arguments.length - 1];
                 const all = [...performance.getEntriesByType('navigation'),
                              ...performance.getEntriesByType('resource')];
                 done(all.map(e => [e.name, e.encodedBodySize, e.decodedBodySize]));",
            )
            .await;
        let entries = entries.as_array().unwrap();
        let (mut sent, mut raw, mut wasm_files) = (0, 0, 0);
        for e in entries {
            let url = e[0].as_str().unwrap();
            sent += e[1].as_u64().unwrap();
            raw += e[2].as_u64().unwrap();
            wasm_files += usize::from(url.ends_with(".wasm"));
            if std::env::var("PUSHDESK_BENCH_FILES").is_ok() {
                println!("  {:>8} {:>8} {url}", e[1], e[2]);
            }
        }
        println!(
            "first load of the {name} page: {} KB compressed ({} requests, {wasm_files} of them WASM; {} KB uncompressed; goal ≤ 250 KB)",
            sent / 1000,
            entries.len(),
            raw / 1000
        );
        b.quit().await;
    }
}
