//! Our MiPush client against the sandbox over real HTTP, and the sandbox against the rules of
//! docs/mipush-server-api.md §2–§4 and §8 (requests built here by hand, not by the client).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::dispatch::{Next, RetryPolicy};
use server::vendors::mipush::{
    AppSecret, Attempt, Endpoints, ErrorCode, Exchange, MiPushClient, Notification, Region,
    SendToRegIds,
};

use crate::on_both_engines;
use crate::support::{TestApp, assert_error, path_segment, phone};

struct SandboxApp {
    package: String,
    app_id: String,
    app_key: String,
    secret: String,
}

async fn sandbox_app(app: &TestApp, package: &str) -> SandboxApp {
    let res = app
        .post("/sandbox/mipush/apps", json!({"package_name": package}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    SandboxApp {
        package: v["package_name"].as_str().unwrap().into(),
        app_id: v["app_id"].as_str().unwrap().into(),
        app_key: v["app_key"].as_str().unwrap().into(),
        secret: v["app_secret"].as_str().unwrap().into(),
    }
}

async fn shade(app: &TestApp, reg_id: &str) -> Vec<Value> {
    let path = format!(
        "/sandbox/mipush/devices/{}/notifications",
        path_segment(reg_id)
    );
    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn client(app: &TestApp, timeout: Duration) -> MiPushClient {
    let endpoints = Endpoints {
        override_origin: None,
        sandbox_base: app.url("/sandbox/mipush"),
    };
    MiPushClient::new(endpoints, timeout)
}

/// Sends as the dispatcher would, attempt after attempt while its policy (4 attempts a series
/// here) says so, without waiting out the backoff: (the last exchange, attempts made).
async fn send_under_policy(
    c: &MiPushClient,
    secret: &AppSecret,
    send: &SendToRegIds,
) -> (Exchange, u32) {
    let policy = RetryPolicy {
        attempts_per_series: 4,
        ..RetryPolicy::default()
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let ex = c.send(Region::Sandbox, secret, send).await.remove(0);
        let seen = Attempt::of(&ex.outcome);
        match policy.decide(seen.is_transient(), attempt, 0, 0.0) {
            Next::Retry { .. } => continue,
            Next::Record | Next::RecordFailure { .. } => return (ex, attempt),
        }
    }
}

fn to(reg_ids: &[&str], message: Notification) -> SendToRegIds {
    SendToRegIds {
        reg_ids: reg_ids.iter().map(|s| s.to_string()).collect(),
        message,
    }
}

/// A POST to the sandbox's server API with this body, byte for byte, and this `Content-Type`.
async fn post_body(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/sandbox/mipush{path}")))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// The `Content-Type` the official SDK sends on every call.
const FORM: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// A raw form POST to the sandbox's server API, as any MiPush SDK would send it.
async fn raw(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    form: &[(&str, String)],
) -> (StatusCode, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    post_body(app, path, auth, Some(FORM), body).await
}

/// A GET of the sandbox's server API with these query parameters, as the official SDK sends it.
async fn query(app: &TestApp, path: &str, auth: &str, pairs: &[(&str, String)]) -> Value {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let res = app
        .client
        .get(app.url(&format!("/sandbox/mipush{path}?{query}")))
        .header("content-type", FORM)
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

/// The phone's app is uninstalled: its regId stops being valid.
async fn uninstall(app: &TestApp, reg_id: &str) {
    let res = app
        .client
        .delete(app.url(&format!("/sandbox/mipush/devices/{}", path_segment(reg_id))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The message ids in a trace answer's `data.data` list, in its order.
fn sorted(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}

/// The ids of a trace list, after checking it is oldest first. Messages sent within the same
/// millisecond have no order between them, so the ids come back sorted.
fn traced_ids(v: &Value) -> Vec<String> {
    let records = v["data"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("data.data is not a list: {v}"));
    let times: Vec<i64> = records
        .iter()
        .map(|r| r["create_timestamp"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first: {v}");
    let mut ids: Vec<String> = records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

const TRACE_ONE: &str = "/v1/trace/message/status";
const TRACE_MANY: &str = "/v1/trace/messages/status";
const FEEDBACK: &str = "/v1/feedback/fetch_invalid_regids";

/// A refusal from the reference: name, path, `Authorization`, form, code, reason (if pinned).
type Case = (
    &'static str,
    &'static str,
    Option<String>,
    Vec<(&'static str, String)>,
    i64,
    &'static str,
);

/// A valid notification form for `reg_id`, with some fields replaced or added.
fn form_with(reg_id: &str, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = vec![
        ("registration_id", reg_id.to_owned()),
        ("restricted_package_name", "com.example.im".into()),
        ("pass_through", "0".into()),
        ("title", "t".into()),
        ("description", "d".into()),
    ];
    for (k, v) in extra {
        if let Some(slot) = f.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v.clone();
        } else {
            f.push((k, v.clone()));
        }
    }
    f
}

on_both_engines! {
    async fn the_sandbox_issues_credentials_and_regids_in_xiaomis_formats(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        assert_eq!(sb.app_id.len(), 19);
        assert_eq!(sb.app_key.len(), 13);
        assert_eq!(sb.secret.len(), 24);
        let res = app.post("/sandbox/mipush/apps", json!({"package_name": "com.example.im"})).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let res = app.post("/sandbox/mipush/apps", json!({"package_name": "not a package"})).await;
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["field"], "package_name");

        let res = app.post("/sandbox/mipush/devices", json!({"package_name": "com.example.im", "app_id": sb.app_id, "app_key": "123"})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["field"], "app_key");
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        assert_eq!(reg.len(), 64);
        assert!(reg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        assert!(shade(&app, &reg).await.is_empty());
        assert_eq!(app.get("/sandbox/mipush/devices/unknown/notifications").await.status(), StatusCode::NOT_FOUND);

        // A body that is not JSON: a 400 saying why, in the caller's language, shaped as /api/v1's.
        let res = app.client.post(app.url("/sandbox/mipush/apps"))
            .header("content-type", "application/json")
            .body("{not json")
            .send().await.unwrap();
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        let res = app.client.post(app.url("/sandbox/mipush/devices"))
            .header("accept-language", "zh-CN")
            .body("package_name=com.example.im")
            .send().await.unwrap();
        let body = assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("请求格式错误") && message.contains("application/json"), "{message}");
        let res = app.put(&format!("/sandbox/mipush/apps/{}/limits", sb.app_id), json!({"qps": "ten"})).await;
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
    }

    async fn our_client_delivers_to_a_virtual_device_and_notify_id_replaces(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let c = client(&app, Duration::from_secs(5));
        let secret = AppSecret::new(sb.secret.clone());

        let mut n = Notification::new("com.example.im", "a new message", "你好，世界");
        n.payload = Some(r#"{"conv":"c2c_alice"}"#.into());
        n.notify_id = Some(7);
        let sent = c.send(Region::Sandbox, &secret, &to(&[&reg], n.clone())).await;
        assert_eq!(sent.len(), 1);
        let answer = sent[0].outcome.as_ref().unwrap();
        assert!(answer.is_ok(), "{answer:?}");
        let msg_id = answer.message_id.clone().unwrap();
        assert_eq!(msg_id.len(), 22);
        assert_eq!(answer.trace_id.as_ref().unwrap().len(), 22);
        assert_eq!(answer.info.as_deref(), Some("Received push messages for 1 REGID"));

        let shown = shade(&app, &reg).await;
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0]["title"], "a new message");
        assert_eq!(shown[0]["description"], "你好，世界");
        // Stored as the service keeps it: the caller's URL-encoding, the form's undone.
        assert_eq!(shown[0]["payload"], "%7B%22conv%22%3A%22c2c_alice%22%7D");
        assert_eq!(shown[0]["message_id"], msg_id.as_str());

        n.title = "second".into();
        c.send(Region::Sandbox, &secret, &to(&[&reg], n.clone())).await;
        let shown = shade(&app, &reg).await;
        assert_eq!(shown.len(), 1, "the same notify_id replaces");
        assert_eq!(shown[0]["title"], "second");
        n.notify_id = None;
        c.send(Region::Sandbox, &secret, &to(&[&reg], n.clone())).await;
        assert_eq!(shade(&app, &reg).await.len(), 2);

        // Delivery is traceable and counted.
        let trace = c.trace_status(Region::Sandbox, &secret, &msg_id).await;
        let t = trace.outcome.unwrap();
        assert!(t.is_ok());
        assert_eq!(t.data["data"]["delivered"], 1);
        let today = app::domain::format_unix(server::unix_now())[..10].replace('-', "");
        let counters = c.counters(Region::Sandbox, &secret, "com.example.im", &today, &today).await;
        let counted = counters.outcome.unwrap();
        assert_eq!(counted.data["data"][0]["received"], 3);
        let missing = c.trace_status(Region::Sandbox, &secret, "sdm00000000000000000XX").await;
        assert_eq!(missing.outcome.unwrap().code, ErrorCode::MessageNotFound);

        // Some unknown regIds: success with bad_regids. An uninstalled app: no valid targets.
        let other = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let mixed = c.send(Region::Sandbox, &secret, &to(&[&reg, "made-up-regid", &other], Notification::new("com.example.im", "t", "d"))).await;
        let mixed = mixed[0].outcome.as_ref().unwrap();
        assert!(mixed.is_ok());
        assert_eq!(mixed.bad_regids, vec!["made-up-regid"]);
        let res = app.client.delete(app.url(&format!("/sandbox/mipush/devices/{}", path_segment(&other)))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let gone = c.send(Region::Sandbox, &secret, &to(&[&other], Notification::new("com.example.im", "t", "d"))).await;
        let gone = gone[0].outcome.as_ref().unwrap();
        assert_eq!(gone.code, ErrorCode::NoValidTargets);
        assert_eq!(gone.reason.as_deref(), Some("No valid targets!"));
        assert_eq!(gone.description.as_deref(), Some("发送消息失败"));
    }

    async fn the_sandbox_refuses_what_xiaomi_refuses(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let other = sandbox_app(&app, "com.example.other").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let foreign = phone(&app, &other.package, &other.app_id, &other.app_key).await;
        let key = format!("key={}", sb.secret);
        let base = |extra: &[(&'static str, String)]| form_with(&reg, extra);
        let many: Vec<String> = (0..1001).map(|i| format!("r{i}")).collect();
        const KEYS: [&str; 11] = ["extra.k0", "extra.k1", "extra.k2", "extra.k3", "extra.k4", "extra.k5", "extra.k6", "extra.k7", "extra.k8", "extra.k9", "extra.k10"];
        let custom: Vec<(&'static str, String)> = KEYS.iter().map(|k| (*k, "v".to_owned())).collect();
        let cases: Vec<Case> = vec![
            ("no key", "/v3/message/regid", None, base(&[]), 21301, "Invalid application secret."),
            ("Key in capitals", "/v3/message/regid", Some(format!("Key={}", sb.secret)), base(&[]), 21301, "Invalid application secret."),
            ("wrong secret", "/v3/message/regid", Some("key=bm90IGEgc2VjcmV0".into()), base(&[]), 21301, "Invalid application secret."),
            ("another package", "/v3/message/regid", Some(key.clone()), base(&[("restricted_package_name", "com.example.other".into())]), 22022, ""),
            ("v2 without package", "/v2/message/regid", Some(key.clone()), base(&[("restricted_package_name", String::new())]), 22022, ""),
            ("no target", "/v3/message/regid", Some(key.clone()), base(&[("registration_id", String::new())]), 10016, ""),
            ("1001 targets", "/v3/message/regid", Some(key.clone()), base(&[("registration_id", many.join(","))]), 200002, ""),
            ("empty title", "/v3/message/regid", Some(key.clone()), base(&[("title", " ".into())]), 65011, "Title or Description is empty!"),
            ("empty description", "/v3/message/regid", Some(key.clone()), base(&[("description", String::new())]), 65011, "Title or Description is empty!"),
            ("title of 50", "/v3/message/regid", Some(key.clone()), base(&[("title", "标".repeat(50))]), 65009, ""),
            ("description of 128", "/v3/message/regid", Some(key.clone()), base(&[("description", "d".repeat(128))]), 65009, ""),
            ("11 extra pairs", "/v3/message/regid", Some(key.clone()), base(&custom), 65014, ""),
            ("extra of 1025", "/v3/message/regid", Some(key.clone()), base(&[("extra.ext", "x".repeat(1025))]), 65015, ""),
            ("notify_id over 64 bits", "/v3/message/regid", Some(key.clone()), base(&[("notify_id", "9223372036854775808".into())]), 22103, ""),
            ("notify_id not a number", "/v3/message/regid", Some(key.clone()), base(&[("notify_id", "1e3".into())]), 22103, ""),
            ("notify_id negative", "/v3/message/regid", Some(key.clone()), base(&[("notify_id", "-1".into())]), 22103, ""),
            ("bad notify_type", "/v3/message/regid", Some(key.clone()), base(&[("notify_type", "loud".into())]), 10017, ""),
            ("another package's regId", "/v3/message/regid", Some(key.clone()), base(&[("registration_id", foreign.clone())]), 20301, "No valid targets!"),
            ("unknown regId", "/v3/message/regid", Some(key.clone()), base(&[("registration_id", "x".repeat(64))]), 20301, "No valid targets!"),
        ];
        for (name, path, auth, form, code, reason) in cases {
            let (status, v) = raw(&app, path, auth.as_deref(), &form).await;
            assert_eq!(status, StatusCode::OK, "{name}: business errors are HTTP 200");
            assert_eq!(v["result"], "error", "{name}: {v}");
            assert_eq!(v["code"], code, "{name}: {v}");
            assert!(v["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}: {v}");
            assert_eq!(v["trace_id"].as_str().map(str::len), Some(22), "{name}: {v}");
            if !reason.is_empty() {
                assert_eq!(v["reason"], reason, "{name}");
            }
        }
        // At the limits, accepted: a title of 49, a description of 127, ten extras, v2 with its package.
        let mut ok = base(&[("title", "标".repeat(49)), ("description", "d".repeat(127))]);
        ok.extend(KEYS[..10].iter().map(|k| (*k, "v".to_owned())));
        for path in ["/v3/message/regid", "/v2/message/regid"] {
            let (status, v) = raw(&app, path, Some(&key), &ok).await;
            assert_eq!((status, v["code"].clone()), (StatusCode::OK, json!(0)), "{path}: {v}");
            assert_eq!(v["data"]["id"].as_str().map(str::len), Some(22));
        }
        // Channels: once the app has approved ones, a message must name one of them.
        let res = app.put(&format!("/sandbox/mipush/apps/{}/channels", sb.app_id), json!({"channels": ["im_private"]})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &base(&[])).await;
        assert_eq!((v["code"].clone(), v["reason"].clone()), (json!(27001), json!("invalid channel info!")));
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &base(&[("extra.channel_id", "im_private".into())])).await;
        assert_eq!(v["code"], 0, "{v}");
        // Paths the service does not have.
        let res = app.client.post(app.url("/sandbox/mipush/v9/nothing")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 10020);
    }

    async fn the_policy_retries_5xx_and_timeouts_and_the_phone_shows_one_notification(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let c = client(&app, Duration::from_millis(1500));
        let secret = AppSecret::new(sb.secret.clone());
        let res = app.put(&format!("/sandbox/mipush/apps/{}/faults", sb.app_id), json!({"fail_next": 2, "hang_next": 1, "hang_ms": 6000})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut n = Notification::new("com.example.im", "a new message", "hello");
        n.notify_id = Some(1);
        let (sent, attempts) = send_under_policy(&c, &secret, &to(&[&reg], n)).await;
        assert!(sent.outcome.as_ref().unwrap().is_ok(), "{:?}", sent.outcome);
        assert_eq!(attempts, 4, "two 503s, one timeout, then success");
        assert_eq!(shade(&app, &reg).await.len(), 1);

        // A refusal that another attempt cannot fix is not retried.
        let (wrong, attempts) = send_under_policy(&c, &AppSecret::new("bm9wZQ=="), &to(&[&reg], Notification::new("com.example.im", "t", "d"))).await;
        assert_eq!(attempts, 1);
        assert_eq!(wrong.outcome.as_ref().unwrap().code, ErrorCode::AuthenticationFailed);
        // Nor is a server that stays down retried forever.
        app.put(&format!("/sandbox/mipush/apps/{}/faults", sb.app_id), json!({"fail_next": 10})).await;
        let (down, attempts) = send_under_policy(&c, &secret, &to(&[&reg], Notification::new("com.example.im", "t", "d"))).await;
        assert_eq!(attempts, 4);
        assert!(down.outcome.is_err());
        assert_eq!(shade(&app, &reg).await.len(), 1);
    }

    async fn the_console_sends_through_the_servers_own_client_to_its_sandbox(app) {
        app.with_owner().await;
        let post = |path: &'static str, form: Vec<(&'static str, String)>| {
            let req = app.client.post(app.url(path)).header("accept", "application/json").form(&form);
            async move { req.send().await.unwrap() }
        };
        let res = post("/fn/sandbox_create_app", vec![("package_name", "com.example.im".into())]).await;
        assert!(res.status().is_success(), "{}", res.status());
        let res = post("/fn/sandbox_add_device", vec![("package_name", "com.example.im".into())]).await;
        let reg_id: String = res.json().await.unwrap();
        let res = post("/fn/sandbox_send", vec![("reg_id", reg_id.clone()), ("title", "a new message".into()), ("description", "hi".into())]).await;
        let sent: Value = res.json().await.unwrap();
        assert_eq!(sent["code"], 0, "{sent}");
        assert_eq!(sent["message_id"].as_str().map(str::len), Some(22));
        assert_eq!(shade(&app, &reg_id).await.len(), 1);
        // The vendor's refusal comes back as the answer, not as a failure of the page.
        let res = post("/fn/sandbox_send", vec![("reg_id", reg_id.clone()), ("title", " ".into()), ("description", "hi".into())]).await;
        let refused: Value = res.json().await.unwrap();
        assert_eq!(refused["code"], 65011, "{refused}");

        let viewer = app.create_user("vera", "viewer").await;
        let res = viewer.client.post(viewer.url("/fn/sandbox_apps")).header("accept", "application/json").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = viewer.client.post(viewer.url("/fn/sandbox_send")).header("accept", "application/json")
            .form(&[("reg_id", reg_id.as_str()), ("title", "t"), ("description", "d")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(shade(&app, &reg_id).await.len(), 1);
    }

    async fn qps_limits_and_daily_quotas_are_enforced_once_switched_on(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        let plain = form_with(&reg, &[]);
        // Off by default: any number of messages without a channel.
        for _ in 0..3 {
            let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &plain).await;
            assert_eq!(v["code"], 0, "{v}");
        }
        let res = app.put(&format!("/sandbox/mipush/apps/{}/limits", sb.app_id), json!({"quotas": true, "public_channels": ["news"]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &plain).await;
        assert_eq!(v["code"], 0, "the first default-class message of the day: {v}");
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &plain).await;
        assert_eq!((v["code"].clone(), v["reason"].clone()), (json!(200001), json!("exceed quota, quota: 1, have acked: 1")));
        for _ in 0..5 {
            let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form_with(&reg, &[("extra.channel_id", "news".into())])).await;
            assert_eq!(v["code"], 0, "{v}");
        }
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form_with(&reg, &[("extra.channel_id", "news".into())])).await;
        assert_eq!(v["code"], 200001, "公信: five a day: {v}");
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form_with(&reg, &[("extra.channel_id", "im".into())])).await;
        assert_eq!(v["code"], 0, "私信: unlimited: {v}");

        let res = app.put(&format!("/sandbox/mipush/apps/{}/limits", sb.app_id), json!({"qps": 1})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let (_, first) = raw(&app, "/v3/message/regid", Some(&key), &plain).await;
        let (_, second) = raw(&app, "/v3/message/regid", Some(&key), &plain).await;
        assert_eq!(first["code"], 0, "{first}");
        assert_eq!(second["code"], 10027, "{second}");
        assert_eq!(app.put("/sandbox/mipush/apps/0000/limits", json!({})).await.status(), StatusCode::NOT_FOUND);
    }

    async fn notify_id_is_any_non_negative_64_bit_integer_and_still_replaces(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        let send = |notify_id: &str, title: &str| form_with(&reg, &[("notify_id", notify_id.to_owned()), ("title", title.to_owned())]);
        // What a published client sends on every push: the time in milliseconds, 13 digits.
        for title in ["first", "second"] {
            let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &send("1767225600123", title)).await;
            assert_eq!(v["code"], 0, "{v}");
        }
        let shown = shade(&app, &reg).await;
        assert_eq!(shown.len(), 1, "the same large notify_id replaces: {shown:?}");
        assert_eq!(shown[0]["title"], "second");
        assert_eq!(shown[0]["notify_id"], json!(1_767_225_600_123_i64));
        // The same low 32 bits, 2^32 apart: two notifications, so nothing keeps only 32 bits.
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &send(&(1_767_225_600_123_i64 + (1 << 32)).to_string(), "apart")).await;
        assert_eq!(v["code"], 0, "{v}");
        assert_eq!(shade(&app, &reg).await.len(), 2);
        // The largest 64-bit one is kept exactly and replaces too.
        for title in ["max", "max again"] {
            let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &send(&i64::MAX.to_string(), title)).await;
            assert_eq!(v["code"], 0, "{v}");
        }
        let shown = shade(&app, &reg).await;
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert_eq!(shown[0]["notify_id"], json!(i64::MAX));
        assert_eq!(shown[0]["title"], "max again");
        // Zero is an id like any other; beyond 64 bits, below zero or not a number: 22103.
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &send("0", "zero")).await;
        assert_eq!(v["code"], 0, "{v}");
        for bad in ["9223372036854775808", "18446744073709551615", "-1", "12abc"] {
            let (status, v) = raw(&app, "/v3/message/regid", Some(&key), &send(bad, "bad")).await;
            assert_eq!((status, v["code"].clone()), (StatusCode::OK, json!(22103)), "{bad}: {v}");
        }
        assert_eq!(shade(&app, &reg).await.len(), 4);
    }

    async fn trace_answers_by_message_job_key_and_time_range_on_both_paths(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let other = sandbox_app(&app, "com.example.other").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let foreign = phone(&app, &other.package, &other.app_id, &other.app_key).await;
        let key = format!("key={}", sb.secret);
        let begin = now_ms();
        let mut ids = Vec::new();
        for job in ["batch_1", "batch_1", "other", ""] {
            let form = if job.is_empty() { form_with(&reg, &[]) } else { form_with(&reg, &[("extra.jobkey", job.to_owned())]) };
            let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form).await;
            assert_eq!(v["code"], 0, "{v}");
            ids.push(v["data"]["id"].as_str().unwrap().to_owned());
        }
        // Another app's batch of the same name is not this app's.
        let mut theirs = form_with(&foreign, &[("extra.jobkey", "batch_1".into())]);
        theirs[1].1 = "com.example.other".into();
        let (_, v) = raw(&app, "/v3/message/regid", Some(&format!("key={}", other.secret)), &theirs).await;
        assert_eq!(v["code"], 0, "{v}");
        let end = now_ms();

        // By msg_id on the one-message path: that message's record, an object.
        let v = query(&app, TRACE_ONE, &key, &[("msg_id", ids[0].clone())]).await;
        assert_eq!(v["code"], 0, "{v}");
        assert!(v["data"]["data"].is_object(), "{v}");
        assert_eq!(v["data"]["data"]["id"], ids[0].as_str());
        // By job key (Tracer.getMessageGroupStatus asks the one-message path) and by time range
        // (Tracer.getMessageStatus(begin, end) asks it too): lists, on both paths, oldest first.
        for path in [TRACE_ONE, TRACE_MANY] {
            let v = query(&app, path, &key, &[("job_key", "batch_1".into())]).await;
            assert_eq!(v["code"], 0, "{path}: {v}");
            assert_eq!(traced_ids(&v), sorted(&ids[..2]), "{path}");
            let v = query(&app, path, &key, &[("begin_time", begin.to_string()), ("end_time", end.to_string())]).await;
            assert_eq!(traced_ids(&v), sorted(&ids), "{path}");
            let v = query(&app, path, &key, &[("begin_time", (begin - 60_000).to_string()), ("end_time", (begin - 1).to_string())]).await;
            assert_eq!((v["code"].clone(), traced_ids(&v)), (json!(0), vec![]), "{path}: nothing then");
            let v = query(&app, path, &key, &[("job_key", "no_such_batch".into())]).await;
            assert_eq!((v["code"].clone(), traced_ids(&v)), (json!(0), vec![]), "{path}");
            // What the caller must give, and in which form.
            for (pairs, code) in [
                (vec![], 10016),
                (vec![("begin_time", begin.to_string())], 10016),
                (vec![("begin_time", "yesterday".to_owned()), ("end_time", end.to_string())], 10017),
                (vec![("begin_time", end.to_string()), ("end_time", begin.to_string())], 10017),
            ] {
                let v = query(&app, path, &key, &pairs).await;
                assert_eq!(v["code"], code, "{path} {pairs:?}: {v}");
            }
        }
        // The many-messages path answers a message id with a list of one.
        let v = query(&app, TRACE_MANY, &key, &[("msg_id", ids[3].clone())]).await;
        assert_eq!(traced_ids(&v), vec![ids[3].clone()]);
        let v = query(&app, TRACE_ONE, &key, &[("msg_id", "sdm00000000000000000XX".into())]).await;
        assert_eq!(v["code"], 65028, "{v}");
        let v = query(&app, TRACE_MANY, &key, &[("msg_id", "sdm00000000000000000XX".into())]).await;
        assert_eq!((v["code"].clone(), traced_ids(&v)), (json!(0), vec![]));
        let v = query(&app, TRACE_MANY, "key=bm90IGEgc2VjcmV0", &[("job_key", "batch_1".into())]).await;
        assert_eq!(v["code"], 21301, "{v}");
    }

    async fn the_feedback_api_hands_out_uninstalled_regids_once_at_most_1000_a_call(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let other = sandbox_app(&app, "com.example.other").await;
        let key = format!("key={}", sb.secret);
        let list = |v: &Value| -> Vec<String> {
            v["data"]["list"].as_array().unwrap_or_else(|| panic!("no data.list: {v}"))
                .iter().map(|r| r.as_str().unwrap().to_owned()).collect()
        };
        let v = query(&app, FEEDBACK, &key, &[]).await;
        assert_eq!((v["code"].clone(), list(&v)), (json!(0), vec![]), "nothing uninstalled yet");

        // 1001 phones uninstall the app, one keeps it, and a phone of another app uninstalls it.
        let mut phones = Vec::new();
        for _ in 0..26 {
            phones.extend(futures_util::future::join_all((0..39).map(|_| phone(&app, &sb.package, &sb.app_id, &sb.app_key))).await);
        }
        let kept = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        for chunk in phones.chunks(39) {
            futures_util::future::join_all(chunk.iter().map(|r| uninstall(&app, r))).await;
        }
        assert_eq!(phones.len(), 1014);
        let foreign = phone(&app, &other.package, &other.app_id, &other.app_key).await;
        uninstall(&app, &foreign).await;

        let first = list(&query(&app, FEEDBACK, &key, &[]).await);
        assert_eq!(first.len(), 1000, "at most 1000 a call");
        let second = list(&query(&app, FEEDBACK, &key, &[]).await);
        assert_eq!(second.len(), 14, "then the rest, none of them again");
        let mut all: Vec<String> = first.into_iter().chain(second).collect();
        all.sort();
        let mut expected = phones.clone();
        expected.sort();
        assert_eq!(all, expected, "every uninstalled regId once, and only those");
        assert!(!all.contains(&kept) && !all.contains(&foreign));
        assert_eq!(list(&query(&app, FEEDBACK, &key, &[]).await), Vec::<String>::new());

        // Per app, by its AppSecret.
        let theirs = format!("key={}", other.secret);
        assert_eq!(list(&query(&app, FEEDBACK, &theirs, &[]).await), vec![foreign]);
        assert_eq!(list(&query(&app, FEEDBACK, &theirs, &[]).await), Vec::<String>::new());
        let v = query(&app, FEEDBACK, "key=bm90IGEgc2VjcmV0", &[]).await;
        assert_eq!((v["result"].clone(), v["code"].clone()), (json!("error"), json!(21301)), "{v}");
        let res = app.client.get(app.url(&format!("/sandbox/mipush{FEEDBACK}"))).send().await.unwrap();
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 21301, "no Authorization: {v}");
    }

    async fn answers_have_the_json_types_clients_rely_on(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        // A success: `code` a number, `data` an object, `data.bad_regids` one comma-separated string.
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form_with(&format!("{reg},made-up-1,made-up-2"), &[])).await;
        assert_eq!(v["code"].as_i64(), Some(0), "{v}");
        assert!(v["data"].is_object(), "{v}");
        assert_eq!(v["data"]["bad_regids"], json!("made-up-1,made-up-2"), "a string, not a list: {v}");
        assert!(v["data"]["id"].is_string() && v["trace_id"].is_string() && v["info"].is_string(), "{v}");
        assert_eq!((v["result"].clone(), v["description"].clone()), (json!("ok"), json!("成功")));
        let msg_id = v["data"]["id"].as_str().unwrap().to_owned();
        let (_, v) = raw(&app, "/v3/message/regid", Some(&key), &form_with(&reg, &[])).await;
        assert!(v["data"].is_object() && v["data"].get("bad_regids").is_none(), "no bad_regids when none: {v}");
        // A refusal: `code` still a number; `reason` and `description` strings.
        let (_, v) = raw(&app, "/v3/message/regid", Some("key=bm90IGEgc2VjcmV0"), &form_with(&reg, &[])).await;
        assert_eq!(v["code"].as_i64(), Some(21301), "{v}");
        assert!(v["reason"].is_string() && v["description"].is_string(), "{v}");
        // Trace: counts and the timestamp are numbers; rates and time_to_live strings.
        let v = query(&app, TRACE_ONE, &key, &[("msg_id", msg_id.clone())]).await;
        assert_eq!(v["code"].as_i64(), Some(0));
        let t = &v["data"]["data"];
        assert_eq!((t["delivered"].as_i64(), t["click"].as_i64(), t["resolved"].as_i64()), (Some(1), Some(0), Some(3)), "{t}");
        assert!(t["create_timestamp"].is_i64(), "{t}");
        for field in ["id", "create_time", "time_to_live", "msg_type", "delivery_rate", "click_rate"] {
            assert!(t[field].is_string(), "{field}: {t}");
        }
        let v = query(&app, TRACE_MANY, &key, &[("msg_id", msg_id)]).await;
        assert!(v["data"]["data"][0]["delivered"].is_i64() && v["data"]["data"][0]["click"].is_i64(), "{v}");
        // Counters: numbers per day; the date a yyyyMMdd string.
        let today = app::domain::format_unix(server::unix_now())[..10].replace('-', "");
        let v = query(&app, "/v1/stats/message/counters", &key, &[("start_date", today.clone()), ("end_date", today), ("restricted_package_name", "com.example.im".into())]).await;
        let day = &v["data"]["data"][0];
        assert_eq!((v["code"].as_i64(), day["received"].as_i64(), day["click"].as_i64()), (Some(0), Some(2), Some(0)), "{v}");
        assert!(day["date"].is_string());
        // Feedback: `data.list` a list of strings.
        uninstall(&app, &reg).await;
        let v = query(&app, FEEDBACK, &key, &[]).await;
        assert_eq!(v["code"].as_i64(), Some(0));
        assert_eq!(v["data"]["list"], json!([reg]));
    }

    async fn the_official_sdks_request_headers_are_accepted(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        // What xmpush-server-api's PushSender puts on a first call (X-PUSH-REMOTEIP still empty,
        // X-PUSH-HOST-LIST asking for hosts), and adds on the next (the last call's metrics and
        // trace_id).
        let first: Vec<(&str, String)> = vec![
            ("X-PUSH-SDK-VERSION", "JAVA_SDK_V1.0.3".into()),
            ("X-PUSH-JDK-VERSION", "1.8.0_402".into()),
            ("X-PUSH-OS", "linux".into()),
            ("X-PUSH-REMOTEIP", String::new()),
            ("X-PUSH-CLIENT-HOST", "build-01".into()),
            ("X-PUSH-CLIENT-IP", "10.0.0.7".into()),
            ("X-PUSH-LAST-ERROR", "SUCCESS".into()),
            ("X-PUSH-HOST-LIST", "true".into()),
        ];
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form_with(&reg, &[])).finish();
        let mut req = app.client.post(app.url("/sandbox/mipush/v3/message/regid"))
            .header("content-type", FORM).header("authorization", &key).body(body);
        for (k, v) in &first {
            req = req.header(*k, v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("x-push-host-list").is_none(), "no host list: the SDK keeps the host it was given");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], 0, "{v}");
        let msg_id = v["data"]["id"].as_str().unwrap().to_owned();
        let mut next = first.clone();
        next.extend([
            ("X-PUSH-LAST-REQUEST-DURATION", "12".to_owned()),
            ("X-PUSH-LAST-REQUEST-ID", v["trace_id"].as_str().unwrap().to_owned()),
            ("X-PUSH-LAST-REQUEST-URL", "/v3/message/regid".into()),
            ("X-PUSH-LAST-REQUEST-HOST", "api.xmpush.xiaomi.com".into()),
            ("X-PUSH-AUDIT-TOKEN", "audit".into()),
        ]);
        for path in [format!("{TRACE_ONE}?msg_id={msg_id}"), FEEDBACK.to_owned(), format!("{TRACE_MANY}?job_key=none")] {
            let mut req = app.client.get(app.url(&format!("/sandbox/mipush{path}")))
                .header("content-type", FORM).header("authorization", &key);
            for (k, v) in &next {
                req = req.header(*k, v);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["code"], 0, "{path}: {v}");
        }
        assert_eq!(shade(&app, &reg).await.len(), 1);
    }

    async fn a_space_in_a_form_may_be_plus_or_percent_20(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        // A regId is base64: its `+` and `/` travel percent-encoded, or `+` would read as a space.
        let to = form_urlencoded::byte_serialize(reg.as_bytes()).collect::<String>();
        for (n, space) in [(1, "+"), (2, "%20")] {
            let title = ["a", "new", "message"].join(space);
            let description = ["hello", "there"].join(space);
            let body = format!("registration_id={to}&restricted_package_name=com.example.im&pass_through=0&title={title}&description={description}&notify_id={n}&extra.ext=k{space}v");
            let (_, v) = post_body(&app, "/v3/message/regid", Some(&key), Some(FORM), body).await;
            assert_eq!(v["code"], 0, "{space}: {v}");
            let shown = shade(&app, &reg).await;
            assert_eq!((shown[0]["title"].clone(), shown[0]["description"].clone()), (json!("a new message"), json!("hello there")), "{space}");
        }
        assert_eq!(shade(&app, &reg).await.len(), 2);
    }

    async fn the_form_content_type_may_leave_out_its_charset(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        let types = [
            "application/x-www-form-urlencoded;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
        ];
        for (n, ct) in types.iter().enumerate() {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form_with(&reg, &[("title", "新消息".into()), ("notify_id", n.to_string())]))
                .finish();
            let (status, v) = post_body(&app, "/v3/message/regid", Some(&key), Some(ct), body).await;
            assert_eq!((status, v["code"].clone()), (StatusCode::OK, json!(0)), "{ct}: {v}");
            assert_eq!(shade(&app, &reg).await[0]["title"], "新消息", "{ct}: read as UTF-8");
        }
        assert_eq!(shade(&app, &reg).await.len(), types.len());
    }

    async fn empty_extra_values_are_accepted(app) {
        let sb = sandbox_app(&app, "com.example.im").await;
        let reg = phone(&app, &sb.package, &sb.app_id, &sb.app_key).await;
        let key = format!("key={}", sb.secret);
        // A client that always writes its callback fields, empty when no receipt is wanted.
        let empty = ["extra.callback", "extra.callback.type", "extra.callback.param", "extra.sound_uri", "extra.ext"];
        let form = form_with(&reg, &empty.map(|k| (k, String::new())));
        let (status, v) = raw(&app, "/v3/message/regid", Some(&key), &form).await;
        assert_eq!((status, v["code"].clone()), (StatusCode::OK, json!(0)), "{v}");
        // And as raw bytes: `extra.callback=` with nothing after the `=`, or not even an `=`.
        let to = form_urlencoded::byte_serialize(reg.as_bytes()).collect::<String>();
        for tail in ["extra.callback=&extra.jobkey=", "extra.callback"] {
            let body = format!("registration_id={to}&restricted_package_name=com.example.im&title=t&description=d&{tail}");
            let (_, v) = post_body(&app, "/v3/message/regid", Some(&key), Some(FORM), body).await;
            assert_eq!(v["code"], 0, "{tail}: {v}");
        }
        assert_eq!(shade(&app, &reg).await.len(), 3);
    }
}
