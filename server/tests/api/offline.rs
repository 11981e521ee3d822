//! The seed's flow over real HTTP: `/v4` imports accounts and sends messages, `/sdk/v1` logs in
//! and reports the regId, and a message to a logged-in user whose app is gone arrives on the
//! sandbox phone as a MiPush notification — or is recorded as skipped, with the reason.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::crypto::usersig;

use crate::on_both_engines;
use crate::support::{ImFixture, TestApp, eventually, im_fixture};

async fn fixture(app: &TestApp, devices: usize) -> ImFixture {
    im_fixture(app, devices, Some("im_message")).await
}

/// A `/v4` call as a Tencent REST client makes it, signed as the administrator.
pub(crate) async fn v4(app: &TestApp, f: &ImFixture, api: &str, body: Value) -> Value {
    v4_as(app, f, api, "administrator", &f.key, &body.to_string()).await
}

async fn v4_as(
    app: &TestApp,
    _f: &ImFixture,
    api: &str,
    identifier: &str,
    key: &str,
    body: &str,
) -> Value {
    let sig = usersig::generate(
        1_400_000_001,
        key,
        identifier,
        server::unix_now(),
        86_400,
        None,
    );
    let url = app.url(&format!(
        "/v4/{api}?sdkappid=1400000001&identifier={identifier}&usersig={sig}&random=99999999&contenttype=json"
    ));
    let res = app
        .client
        .post(url)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{api}");
    res.json().await.unwrap()
}

pub(crate) async fn login(app: &TestApp, f: &ImFixture, user: &str, reg_id: &str) -> String {
    let sig = usersig::generate(
        1_400_000_001,
        &f.key,
        user,
        server::unix_now(),
        86_400,
        None,
    );
    let body: Value = app
        .post(
            "/sdk/v1/login",
            json!({"sdkappid": 1400000001, "user_id": user, "user_sig": sig}),
        )
        .await
        .json()
        .await
        .unwrap();
    let session = body["session"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/sdk/v1/push-token",
            json!({"session": session, "business_id": f.certificate_id, "token": reg_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    session
}

/// An IM app with `n` sandbox phones, each logged in as `user0000`, `user0001`, … with its regId
/// reported, and `bob` to send from; returns the fixture and the users.
pub(crate) async fn offline_users(app: &TestApp, n: usize) -> (ImFixture, Vec<String>) {
    let f = fixture(app, n).await;
    ok(&v4(
        app,
        &f,
        "im_open_login_svc/account_import",
        json!({"UserID": "bob"}),
    )
    .await);
    let users: Vec<String> = (0..n).map(|i| format!("user{i:04}")).collect();
    for (user, reg_id) in users.iter().zip(&f.reg_ids) {
        login(app, &f, user, reg_id).await;
    }
    (f, users)
}

/// Trouble for the (one) sandbox MiPush app's next calls: see the sandbox's `FaultPlan`.
pub(crate) async fn inject_faults(app: &TestApp, plan: Value) {
    let apps: Value = app.get("/sandbox/mipush/apps").await.json().await.unwrap();
    let app_id = apps[0]["app_id"].as_str().unwrap();
    let res = app
        .put(&format!("/sandbox/mipush/apps/{app_id}/faults"), plan)
        .await;
    assert!(res.status().is_success());
}

pub(crate) fn text_msg(to: &str, text: &str, random: u32) -> Value {
    json!({"SyncOtherMachine": 2, "From_Account": "bob", "To_Account": to, "MsgRandom": random,
           "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]})
}

pub(crate) async fn shade(app: &TestApp, reg_id: &str) -> Vec<Value> {
    let path = format!(
        "/sandbox/mipush/devices/{}/notifications",
        form_urlencoded::byte_serialize(reg_id.as_bytes()).collect::<String>()
    );
    app.get(&path).await.json().await.unwrap()
}

/// Runs the outbox, then reads the phone's shade, which shows `n` notifications or more.
async fn drained_shade(app: &TestApp, reg_id: &str, n: usize) -> Vec<Value> {
    app.drain().await;
    let items = shade(app, reg_id).await;
    assert!(items.len() >= n, "{} of {n} notifications", items.len());
    items
}

/// Runs the outbox, then finds `n` records or more for `query`.
async fn drained_records(app: &TestApp, query: &str, n: usize) -> Vec<Value> {
    app.drain().await;
    let items = records(app, query).await;
    assert!(items.len() >= n, "{} of {n} records", items.len());
    items
}

async fn records(app: &TestApp, query: &str) -> Vec<Value> {
    let page: Value = app
        .get(&format!("/api/v1/apps/1400000001/push-records?{query}"))
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Two numbers from one SQL query on the test's database.
pub(crate) async fn count(app: &TestApp, sql: &str) -> (i64, i64) {
    use sqlx::Connection;
    let mut db = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query_as(sql).fetch_one(&mut db).await.unwrap()
}

/// Runs the outbox, then checks that the sandbox delivered `n` notifications and `n` accepted
/// pushes are recorded: (vendor calls accepted, devices delivered to), as MiPush's side counts.
pub(crate) async fn drained_deliveries(app: &TestApp, n: i64) -> (i64, i64) {
    app.drain().await;
    let (calls, delivered) = count(
        app,
        "SELECT COUNT(*), CAST(COALESCE(SUM(delivered), 0) AS BIGINT) FROM sandbox_messages",
    )
    .await;
    let (recorded, _) = count(
        app,
        "SELECT COUNT(*), CAST(0 AS BIGINT) FROM push_records WHERE outcome = 'accepted'",
    )
    .await;
    assert!(
        delivered >= n && recorded >= n,
        "{delivered} delivered, {recorded} recorded of {n}"
    );
    (calls, delivered)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The app comes to the foreground: its connection opens.
async fn connect(app: &TestApp, session: &str) -> Socket {
    let url = format!(
        "{}/sdk/v1/connect?session={session}",
        app.base.replacen("http", "ws", 1)
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("WebSocket connect")
        .0
}

/// The next JSON frame the server sends (5 s at most).
async fn next_frame(socket: &mut Socket) -> Value {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("the connection is open")
            .expect("a valid frame");
        match frame {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Close(c) => return json!({"closed": c.map(|c| u16::from(c.code))}),
            _ => {}
        }
    }
}

/// Waits until querystate reports `status` for the user (10 s at most): the server notices a
/// connection open or close on its own task.
async fn wait_for_state(app: &TestApp, f: &ImFixture, user: &str, status: &str) {
    eventually(
        &format!("{user} is {status}"),
        Duration::from_secs(10),
        || async {
            let state = v4(app, f, "openim/querystate", json!({"To_Account": [user]})).await;
            (state["QueryResult"][0]["Status"] == status).then_some(())
        },
    )
    .await;
}

pub(crate) fn ok(v: &Value) {
    assert_eq!(v["ActionStatus"], "OK", "{v}");
    assert_eq!(v["ErrorCode"], 0, "{v}");
}

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_message_to_a_logged_in_user_with_the_app_killed_arrives_as_a_notification(app) {
        let f = fixture(&app, 1).await;
        for user in ["alice", "bob"] {
            ok(&v4(&app, &f, "im_open_login_svc/account_import", json!({"UserID": user, "Nick": user})).await);
        }
        login(&app, &f, "alice", &f.reg_ids[0]).await;
        let sent = v4(&app, &f, "openim/sendmsg", text_msg("alice", "你好，离线的 alice", 1001)).await;
        ok(&sent);
        let key = sent["MsgKey"].as_str().unwrap().to_owned();
        assert!(key.ends_with(&format!("_1001_{}", sent["MsgTime"])), "{key}");
        let shown = drained_shade(&app, &f.reg_ids[0], 1).await;
        assert_eq!(shown[0]["title"], "a new message");
        assert_eq!(shown[0]["description"], "你好，离线的 alice");
        assert_eq!(shown[0]["channel_id"], "im_message");

        // OfflinePushInfo shapes the push.
        let mut custom = text_msg("alice", "hidden", 1002);
        custom["OfflinePushInfo"] = json!({"PushFlag": 0, "Title": "Bob", "Desc": "sent you a photo",
            "Ext": "{\"chat\":\"bob\"}", "AndroidInfo": {"XiaoMiChannelID": "im_chat"}});
        ok(&v4(&app, &f, "openim/sendmsg", custom).await);
        let shown = drained_shade(&app, &f.reg_ids[0], 2).await;
        assert_eq!(shown[0]["title"], "Bob");
        assert_eq!(shown[0]["description"], "sent you a photo");
        assert_eq!(shown[0]["channel_id"], "im_chat");

        // PushFlag 1: no push, a skipped record saying why.
        let mut silent = text_msg("alice", "no push please", 1003);
        silent["OfflinePushInfo"] = json!({"PushFlag": 1});
        ok(&v4(&app, &f, "openim/sendmsg", silent).await);
        let skipped = records(&app, "outcome=skipped").await;
        assert_eq!(skipped[0]["reason"], "push_flag_off");

        // The same message again within 120 s: the same MsgKey, no second notification.
        let again = v4(&app, &f, "openim/sendmsg", text_msg("alice", "你好，离线的 alice", 1001)).await;
        assert_eq!(again["MsgKey"], key.as_str());
        let accepted = drained_records(&app, "outcome=accepted&user_id=alice", 2).await;
        assert_eq!(accepted.len(), 2, "{accepted:?}");
        assert_eq!(accepted[1]["msg_key"], key.as_str());
        assert_eq!(accepted[0]["kind"], "offline");
        assert_eq!(shade(&app, &f.reg_ids[0]).await.len(), 2);

        // A test push to the IM user reaches the device they reported.
        let test: Value = app.post("/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "user_id": "alice", "description": "to alice's phone"})).await.json().await.unwrap();
        assert_eq!(test["code"], 0, "{test}");
        assert_eq!(test["targets"], 1);
        assert_eq!(drained_shade(&app, &f.reg_ids[0], 3).await[0]["description"], "to alice's phone");
        let res = app.post("/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "user_id": "bob", "description": "bob has no phone"})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let state = v4(&app, &f, "openim/querystate", json!({"To_Account": ["alice", "bob", "nobody"]})).await;
        ok(&state);
        assert_eq!(state["QueryResult"][0]["Status"], "PushOnline");
        assert_eq!(state["QueryResult"][1]["Status"], "Offline");
        assert_eq!(state["ErrorList"][0]["To_Account"], "nobody");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn nothing_is_pushed_after_logout_or_a_kick_and_the_record_says_why(app) {
        let f = fixture(&app, 2).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &f.reg_ids[0]).await;
        assert_eq!(app.post("/sdk/v1/logout", json!({"session": session})).await.status(), StatusCode::NO_CONTENT);
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "after logout", 2001)).await);
        assert_eq!(records(&app, "user_id=alice").await[0]["reason"], "user_logged_out");

        // A second login on another phone: the first phone's token no longer receives.
        login(&app, &f, "alice", &f.reg_ids[0]).await;
        let sig = usersig::generate(1_400_000_001, &f.key, "alice", server::unix_now(), 600, None);
        let body: Value = app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig})).await.json().await.unwrap();
        assert_eq!(body["kicked"], 1);
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "to the second phone only", 2002)).await);
        assert_eq!(records(&app, "user_id=alice").await[0]["reason"], "no_token");

        // The back end kicks the user: nothing is pushed until they log in again.
        login(&app, &f, "alice", &f.reg_ids[1]).await;
        ok(&v4(&app, &f, "im_open_login_svc/kick", json!({"UserID": "alice"})).await);
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "after the kick", 2003)).await);
        assert_eq!(records(&app, "user_id=alice").await[0]["reason"], "kicked");
        assert!(shade(&app, &f.reg_ids[0]).await.is_empty());
        assert!(shade(&app, &f.reg_ids[1]).await.is_empty());
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_token_mipush_no_longer_knows_is_not_pushed_again(app) {
        let f = fixture(&app, 1).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &f.reg_ids[0]).await;
        // The app is uninstalled from the phone: MiPush answers 20301 for its regId.
        let path = format!("/sandbox/mipush/devices/{}", form_urlencoded::byte_serialize(f.reg_ids[0].as_bytes()).collect::<String>());
        assert!(app.client.delete(app.url(&path)).send().await.unwrap().status().is_success());
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "to an uninstalled app", 5001)).await);
        let rejected = drained_records(&app, "outcome=rejected", 1).await;
        assert_eq!(rejected[0]["code"], 20301);
        // The next message does not try it again, and says why.
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "again", 5002)).await);
        assert_eq!(records(&app, "user_id=alice").await[0]["reason"], "token_invalid");
        // Reported again (the app was reinstalled and registered anew): pushed again.
        let res = app.post("/sdk/v1/push-token", json!({"session": session, "business_id": f.certificate_id, "token": f.reg_ids[0]})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "after reporting again", 5003)).await);
        drained_records(&app, "outcome=rejected", 2).await;
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn an_open_app_gets_messages_in_band_and_a_killed_one_by_push(app) {
        let f = fixture(&app, 1).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &f.reg_ids[0]).await;
        let mut socket = connect(&app, &session).await;
        wait_for_state(&app, &f, "alice", "Online").await;

        // Alive: the message arrives on the connection, and no push is needed.
        let sent = v4(&app, &f, "openim/sendmsg", text_msg("alice", "while open", 6001)).await;
        ok(&sent);
        let frame = next_frame(&mut socket).await;
        assert_eq!(frame["type"], "message");
        assert_eq!(frame["msg_key"], sent["MsgKey"]);
        assert_eq!(frame["from_account"], "bob");
        assert_eq!(frame["msg_body"][0]["MsgContent"]["Text"], "while open");
        assert_eq!(records(&app, "user_id=alice").await[0]["reason"], "online");

        // Killed: the connection closes, the next message is pushed.
        socket.close(None).await.unwrap();
        wait_for_state(&app, &f, "alice", "PushOnline").await;
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "while killed", 6002)).await);
        assert_eq!(drained_shade(&app, &f.reg_ids[0], 1).await[0]["description"], "while killed");

        // Opened again: what came while away arrives in-band too, and only that.
        let mut socket = connect(&app, &session).await;
        let frame = next_frame(&mut socket).await;
        assert_eq!(frame["msg_body"][0]["MsgContent"]["Text"], "while killed");

        // A second login elsewhere kicks this one: it is told, and the connection closes.
        let sig = usersig::generate(1_400_000_001, &f.key, "alice", server::unix_now(), 600, None);
        app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig})).await;
        assert_eq!(next_frame(&mut socket).await, json!({"type": "kicked"}));
        assert_eq!(next_frame(&mut socket).await, json!({"closed": 4001}));

        // An ended or unknown login cannot connect: the answer says why.
        let mut messages = Vec::new();
        for session in [session.as_str(), "nope"] {
            let url = format!("{}/sdk/v1/connect?session={session}", app.base.replacen("http", "ws", 1));
            match tokio_tungstenite::connect_async(url).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
                    let body: Value = serde_json::from_slice(res.body().as_deref().unwrap()).unwrap();
                    assert_eq!(body["error"]["field"], "session");
                    messages.push(body["error"]["message"].as_str().unwrap().to_owned());
                }
                other => panic!("{session}: {other:?}"),
            }
        }
        assert!(messages[0].contains("kicked") && messages[1].contains("log in first"), "{messages:?}");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn the_diagnosis_explains_a_logged_out_users_missing_push(app) {
        let f = fixture(&app, 1).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &f.reg_ids[0]).await;
        let first = v4(&app, &f, "openim/sendmsg", text_msg("alice", "before logout", 7001)).await;
        drained_shade(&app, &f.reg_ids[0], 1).await;
        drained_records(&app, "outcome=accepted", 1).await;
        app.post("/sdk/v1/logout", json!({"session": session})).await;
        let second = v4(&app, &f, "openim/sendmsg", text_msg("alice", "after logout", 7002)).await;

        let d: Value = app.get("/api/v1/apps/1400000001/diagnose?user_id=alice").await.json().await.unwrap();
        let verdict = |id: &str| d["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(verdict("certificate")["verdict"], "pass", "{d}");
        assert_eq!(verdict("devices")["verdict"], "fail");
        assert!(verdict("devices")["fix"]["en"].as_str().unwrap().contains("log in again"));
        let login_check = verdict("login");
        assert_eq!(login_check["verdict"], "fail");
        assert!(login_check["fix"]["zh"].as_str().unwrap().contains("登出"), "{login_check}");
        assert!(login_check["facts"][0]["en"].as_str().unwrap().contains("logged out at"));
        assert_eq!(verdict("messages")["verdict"], "fail");
        assert_eq!(verdict("delivery")["verdict"], "pass");
        // Newest first: the message after logout was skipped and says why; the one before
        // was accepted and is in the phone's shade.
        assert_eq!(d["messages"][0]["msg_key"], second["MsgKey"]);
        assert_eq!(d["messages"][0]["pushes"][0]["record"]["reason"], "user_logged_out");
        assert!(d["messages"][0]["pushes"][0]["why"]["en"].as_str().unwrap().contains("logged out"));
        assert_eq!(d["messages"][1]["msg_key"], first["MsgKey"]);
        assert_eq!(d["messages"][1]["pushes"][0]["notification_arrived"], true);
        assert_eq!(d["devices"][0]["token"], f.reg_ids[0].as_str());
        assert_eq!(d["devices"][0]["logged_in"], false);
        let export = d["export"].as_str().unwrap();
        for needle in ["SDKAppID: 1400000001", "User ID: alice", &format!("Certificate ID: {}", f.certificate_id), second["MsgKey"].as_str().unwrap()] {
            assert!(export.contains(needle), "{needle} not in {export}");
        }

        // The devices list keeps the unbound token.
        let devices: Value = app.get("/api/v1/apps/1400000001/devices?user_id=alice").await.json().await.unwrap();
        assert_eq!(devices["devices"].as_array().unwrap().len(), 1);
        assert_eq!(devices["devices"][0]["certificate_id"], f.certificate_id);

        // Someone who never logged in: no devices, no login, nothing to judge in messages.
        let d: Value = app.get("/api/v1/apps/1400000001/diagnose?user_id=ghost").await.json().await.unwrap();
        assert_eq!(d["account_exists"], false);
        assert_eq!(d["checks"][1]["verdict"], "fail");
        assert!(d["checks"][1]["fix"]["en"].as_str().unwrap().contains(&format!("certificate ID {}", f.certificate_id)));
        assert_eq!(d["checks"][2]["facts"][0]["en"], "The user never logged in through the SDK.");
        assert_eq!(d["checks"][3]["verdict"], "none");

        // Bad input names the field.
        for (query, field) in [("", "user_id"), ("user_id=alice&since=yesterday", "since"), ("user_id=alice&until=2026-13-01", "until")] {
            let res = app.get(&format!("/api/v1/apps/1400000001/diagnose?{query}")).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["field"], field, "{body}");
        }
        assert_eq!(app.get("/api/v1/apps/1400009999/diagnose?user_id=alice").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/apps/1400000001/devices").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_BATCHSEND_MAX" = "2500")]
    async fn a_batch_to_2500_offline_users_goes_out_in_three_vendor_calls_once_each(app) {
        let (f, users) = offline_users(&app, 2500).await;
        let mut body = text_msg("x", "to all 2,500", 8001);
        body["To_Account"] = json!(users);
        ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
        let (calls, delivered) = drained_deliveries(&app, 2500).await;
        assert_eq!(calls, 3, "1000 + 1000 + 500 regIds");
        assert_eq!(delivered, 2500);
        let (records, devices) = count(&app, "SELECT COUNT(*), COUNT(DISTINCT reg_id) FROM push_records WHERE outcome = 'accepted'").await;
        assert_eq!((records, devices), (2500, 2500), "each device pushed once");
        let (shown, phones) = count(&app, "SELECT COUNT(*), COUNT(DISTINCT reg_id) FROM sandbox_notifications").await;
        assert_eq!((shown, phones), (2500, 2500));
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_vendor_outage_delays_pushes_and_loses_none(app) {
        let (f, users) = offline_users(&app, 20).await;
        // MiPush answers 503 to the next 7 calls: more than one call's 5 attempts.
        inject_faults(&app, json!({"fail_next": 7})).await;
        let mut body = text_msg("x", "through the outage", 9001);
        body["To_Account"] = json!(users);
        ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
        let (_, delivered) = drained_deliveries(&app, 20).await;
        assert_eq!(delivered, 20);
        let (failed, _) = count(&app, "SELECT COUNT(*), CAST(0 AS BIGINT) FROM push_records WHERE outcome = 'failed' AND attempts = 5").await;
        assert_eq!(failed, 20, "the first round gave up after the policy's 5 attempts");
        let (accepted, devices) = count(&app, "SELECT COUNT(*), COUNT(DISTINCT reg_id) FROM push_records WHERE outcome = 'accepted'").await;
        assert_eq!((accepted, devices), (20, 20));
        for reg_id in &f.reg_ids {
            assert_eq!(shade(&app, reg_id).await.len(), 1);
        }
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.lines().any(|l| l.starts_with("pushdesk_pushes_total") && l.contains("outcome=\"failed\"")), "{metrics}");
        assert!(metrics.lines().any(|l| l.starts_with("pushdesk_vendor_attempts_retried_total{vendor=\"xiaomi\",reason=\"http_503\"}")), "{metrics}");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_MIPUSH_TIMEOUT_MS" = "1200")]
    async fn vendor_timeouts_are_retried_and_deliver_each_push_once(app) {
        let (f, users) = offline_users(&app, 10).await;
        // MiPush hangs on the next 3 calls (past the 1.2 s timeout, which leaves a slow machine
        // room for the answering call), then answers again.
        inject_faults(&app, json!({"hang_next": 3, "hang_ms": 6000})).await;
        let mut body = text_msg("x", "through the timeouts", 9101);
        body["To_Account"] = json!(users);
        ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
        let (_, delivered) = drained_deliveries(&app, 10).await;
        assert_eq!(delivered, 10);
        // One vendor call for the 10 devices, answered at its 4th attempt: nothing twice.
        let (accepted, attempts) = count(&app, "SELECT COUNT(*), CAST(MAX(attempts) AS BIGINT) FROM push_records WHERE outcome = 'accepted'").await;
        assert_eq!((accepted, attempts), (10, 4));
        for reg_id in &f.reg_ids {
            assert_eq!(shade(&app, reg_id).await.len(), 1);
        }
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.lines().any(|l| l == "pushdesk_vendor_attempts_retried_total{vendor=\"xiaomi\",reason=\"timeout\"} 3"), "{metrics}");
    }

    async fn a_pending_certificate_sends_nothing_and_records_why(app) {
        let f = fixture(&app, 1).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        login(&app, &f, "alice", &f.reg_ids[0]).await;
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "too early", 3001)).await);
        let r = records(&app, "user_id=alice").await;
        assert_eq!(r[0]["reason"], "certificate_pending");
        assert_eq!(r[0]["certificate_id"], f.certificate_id);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn batchsendmsg_pushes_each_receiver_and_lists_the_unknown(app) {
        let f = fixture(&app, 2).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "carol", "bob"]})).await);
        login(&app, &f, "alice", &f.reg_ids[0]).await;
        login(&app, &f, "carol", &f.reg_ids[1]).await;
        let mut body = text_msg("x", "to everyone", 4001);
        body["To_Account"] = json!(["alice", "carol", "nobody"]);
        let sent = v4(&app, &f, "openim/batchsendmsg", body).await;
        ok(&sent);
        assert_eq!(sent["ErrorList"], json!([{"To_Account": "nobody", "ErrorCode": 90012}]));
        drained_shade(&app, &f.reg_ids[0], 1).await;
        drained_shade(&app, &f.reg_ids[1], 1).await;
        // Identical content to two devices of one certificate: one vendor call, one MsgKey.
        let r = drained_records(&app, "outcome=accepted", 2).await;
        assert_eq!(r[0]["request_id"], r[1]["request_id"]);
        assert_eq!(r[0]["msg_key"], sent["MsgKey"]);
        assert_eq!(r[1]["msg_key"], sent["MsgKey"]);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn messages_sent_at_once_are_each_stored_and_pushed_once(app) {
        let f = fixture(&app, 6).await;
        let users: Vec<String> = (0..6).map(|i| format!("u{i}")).collect();
        let accounts: Vec<&str> = users.iter().map(String::as_str).chain(["bob"]).collect();
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": accounts})).await);
        for (user, reg_id) in users.iter().zip(&f.reg_ids) {
            login(&app, &f, user, reg_id).await;
        }
        // Every user's message twice, and all of them at once, with an unknown receiver and an
        // unknown sender among them: whichever sends share a transaction, each answers alone.
        let mut bodies: Vec<Value> = users
            .iter()
            .enumerate()
            .flat_map(|(i, u)| {
                let m = text_msg(u, &format!("at once to {u}"), 8000 + i as u32);
                [m.clone(), m]
            })
            .collect();
        bodies.push(text_msg("nobody", "to no one", 8100));
        let mut stranger = text_msg("u0", "from a stranger", 8101);
        stranger["From_Account"] = json!("stranger");
        bodies.push(stranger);
        let answers = futures_util::future::join_all(
            bodies.iter().map(|b| v4(&app, &f, "openim/sendmsg", b.clone())),
        )
        .await;
        for pair in answers[..12].chunks(2) {
            ok(&pair[0]);
            ok(&pair[1]);
            assert_eq!(pair[0]["MsgKey"], pair[1]["MsgKey"], "a resend answers as the first");
            assert_eq!(pair[0]["MsgTime"], pair[1]["MsgTime"]);
        }
        assert_eq!(answers[12]["ErrorCode"], 90012, "{}", answers[12]);
        assert_eq!(answers[13]["ErrorCode"], 90008, "{}", answers[13]);
        assert_eq!(count(&app, "SELECT COUNT(*), CAST(0 AS BIGINT) FROM im_messages").await.0, 6);
        for (user, reg_id) in users.iter().zip(&f.reg_ids) {
            let shown = drained_shade(&app, reg_id, 1).await;
            assert_eq!(shown.len(), 1, "{shown:?}");
            assert_eq!(shown[0]["description"], format!("at once to {user}"));
        }
        let accepted = records(&app, "outcome=accepted").await;
        assert_eq!(accepted.len(), 6, "{accepted:?}");
    }

    async fn rest_errors_answer_with_tencents_codes(app) {
        let f = fixture(&app, 0).await;
        let fail = |v: &Value, code: i64| {
            assert_eq!(v["ActionStatus"], "FAIL", "{v}");
            assert_eq!(v["ErrorCode"], code, "{v}");
            assert!(!v["ErrorInfo"].as_str().unwrap().is_empty());
        };
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        fail(&v4(&app, &f, "openim/sendmsg", text_msg("nobody", "x", 1)).await, 90012);
        fail(&v4(&app, &f, "openim/sendmsg", json!({"To_Account": "alice", "MsgBody": []})).await, 90005);
        fail(&v4(&app, &f, "openim/sendmsg", json!({"To_Account": "alice", "MsgRandom": 1, "MsgBody": {}})).await, 90007);
        fail(&v4(&app, &f, "openim/sendmsg", json!({"To_Account": "alice", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem"}]})).await, 90010);
        fail(&v4(&app, &f, "openim/sendmsg", json!({"MsgRandom": 1, "MsgBody": []})).await, 90003);
        let mut from_nobody = text_msg("alice", "x", 5);
        from_nobody["From_Account"] = json!("ghost");
        fail(&v4(&app, &f, "openim/sendmsg", from_nobody).await, 90008);
        let mut long_life = text_msg("alice", "x", 6);
        long_life["MsgLifeTime"] = json!(8 * 86400);
        fail(&v4(&app, &f, "openim/sendmsg", long_life).await, 90026);
        fail(&v4_as(&app, &f, "openim/sendmsg", "administrator", &f.key, "{not json").await, 90001);
        fail(&v4_as(&app, &f, "openim/sendmsg", "alice", &f.key, "{}").await, 60010);
        fail(&v4_as(&app, &f, "openim/sendmsg", "administrator", &"0".repeat(64), "{}").await, 70009);
        fail(&v4(&app, &f, "im_open_login_svc/account_import", json!({"Nick": "no id"})).await, 70402);
        fail(&v4(&app, &f, "im_open_login_svc/kick", json!({"UserID": "ghost"})).await, 70107);
        fail(&v4(&app, &f, "openim/no_such_command", json!({})).await, 60009);
        let res = app.client.post(app.url("/v4/openim/sendmsg?identifier=administrator")).body("{}").send().await.unwrap();
        fail(&res.json::<Value>().await.unwrap(), 60012);
        let res = app.client.post(app.url("/v4/openim/sendmsg?sdkappid=1400009999&identifier=administrator&usersig=x")).body("{}").send().await.unwrap();
        fail(&res.json::<Value>().await.unwrap(), 60006);
        let big = json!({"To_Account": "alice", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x".repeat(9000)}}]});
        fail(&v4(&app, &f, "openim/sendmsg", big).await, 93000);
    }
}

/// PostgreSQL plans the worker's claims by the tables' statistics. Analyzed at a quiet moment,
/// they say the outbox is empty, and a claim of a 100,000-row backlog planned so was a nested
/// loop over every row. A send that queues more than a tenth of what they count (and at least
/// 1,000 rows) analyzes the outbox and the messages before the worker claims.
#[tokio::test]
async fn a_large_send_brings_the_outbox_statistics_up_to_date_on_postgres() {
    use sqlx::Connection;
    let app = crate::support::spawn_app_with(
        crate::support::Engine::Postgres,
        &[
            ("PUSHDESK_CERT_ACTIVATION_DELAY", "0"),
            ("PUSHDESK_BATCHSEND_MAX", "1500"),
        ],
    )
    .await;
    let (f, users) = offline_users(&app, 1500).await;
    let mut db = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("ANALYZE push_outbox, im_messages")
        .execute(&mut db)
        .await
        .unwrap();
    let counted = "SELECT CAST(o.reltuples AS BIGINT), CAST(m.reltuples AS BIGINT) \
                   FROM pg_class o, pg_class m \
                   WHERE o.relname = 'push_outbox' AND m.relname = 'im_messages'";
    assert_eq!(count(&app, counted).await, (0, 0), "analyzed while empty");

    // A send of 20 leaves the statistics be.
    let mut body = text_msg("x", "to a few", 8101);
    body["To_Account"] = json!(users[..20]);
    ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
    assert_eq!(count(&app, counted).await, (0, 0));

    let mut body = text_msg("x", "to all 1,500", 8102);
    body["To_Account"] = json!(users);
    ok(&v4(&app, &f, "openim/batchsendmsg", body).await);
    assert_eq!(count(&app, counted).await, (1520, 1520));
    let (_, delivered) = drained_deliveries(&app, 1520).await;
    assert_eq!(delivered, 1520);
}
