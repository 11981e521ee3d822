//! The client SDK API over real HTTP: UserSig login, the device token report, logout and kick.

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::crypto::usersig;
use sqlx::Connection;

use crate::on_both_engines;
use crate::support::{ImFixture, TestApp, assert_error, im_fixture};

/// An app with Android and a Xiaomi certificate in the sandbox region, two sandbox phones, and
/// the app's secret key (what the customer's back end signs UserSigs with).
async fn fixture(app: &TestApp) -> ImFixture {
    im_fixture(app, 2, None).await
}

fn now() -> i64 {
    server::unix_now()
}

async fn login(app: &TestApp, f: &ImFixture, user: &str) -> String {
    let sig = usersig::generate(1_400_000_001, &f.key, user, now(), 86_400, None);
    let res = app
        .post(
            "/sdk/v1/login",
            json!({"sdkappid": 1400000001, "user_id": user, "user_sig": sig}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["session"].as_str().unwrap().to_owned()
}

async fn report(
    app: &TestApp,
    session: &str,
    business_id: Value,
    token: &str,
) -> reqwest::Response {
    app.post(
        "/sdk/v1/push-token",
        json!({"session": session, "business_id": business_id, "token": token}),
    )
    .await
}

/// (user, bound to a live session) for every stored token.
async fn tokens(app: &TestApp) -> Vec<(String, String, bool)> {
    let mut db = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT token, user_id, session_digest FROM device_tokens ORDER BY token")
            .fetch_all(&mut db)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(t, u, s)| (t, u, s.is_some()))
        .collect()
}

on_both_engines! {
    async fn a_test_usersig_is_made_for_owners_and_verifies(app) {
        let f = fixture(&app).await;
        let res = app.post("/api/v1/apps/1400000001/usersig", json!({"identifier": "小明_01", "expire": 600})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let made: Value = res.json().await.unwrap();
        let sig = made["usersig"].as_str().unwrap();
        let claims = usersig::verify(sig, 1_400_000_001, &f.key, "小明_01", now()).unwrap();
        assert_eq!(claims.expire, 600);
        assert_error(app.post("/api/v1/apps/1400000001/usersig", json!({"identifier": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("identifier")).await;
        assert_error(app.post("/api/v1/apps/1400000001/usersig", json!({"identifier": "a", "expire": 10})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("expire")).await;
        let dev = app.create_user("dev", "developer").await;
        assert_error(dev.post("/api/v1/apps/1400000001/usersig", json!({"identifier": "a"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        let audit: Value = app.get("/api/v1/audit").await.json().await.unwrap();
        assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "usersig_generated"));
    }

    async fn a_login_needs_a_usersig_of_this_app_user_and_time(app) {
        let f = fixture(&app).await;
        let cases = [
            (usersig::generate(1_400_000_001, &"0".repeat(64), "alice", now(), 600, None), "alice", "70009"),
            (usersig::generate(1_400_000_001, &f.key, "alice", now() - 1000, 600, None), "alice", "70001"),
            (usersig::generate(1_400_000_001, &f.key, "bob", now(), 600, None), "alice", "70013"),
            (usersig::generate(1_400_000_002, &f.key, "alice", now(), 600, None), "alice", "70014"),
            ("garbage".to_owned(), "alice", "70003"),
        ];
        for (sig, user, code) in cases {
            let body = assert_error(app.post("/sdk/v1/login", json!({"sdkappid": "1400000001", "user_id": user, "user_sig": sig})).await,
                StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("user_sig")).await;
            assert!(body["error"]["message"].as_str().unwrap().contains(code), "{body}");
        }
        assert_error(app.post("/sdk/v1/login", json!({"sdkappid": 1400009999, "user_id": "a", "user_sig": "x"})).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_error(app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "", "user_sig": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("user_id")).await;
        assert_error(app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "a", "user_sig": "x", "platform": "symbian"})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("platform")).await;
        let _ = f.certificate_id;
    }

    async fn a_usersig_that_worked_is_refused_once_it_expired(app) {
        let f = fixture(&app).await;
        let login_body = json!({"sdkappid": 1400000001, "user_id": "alice",
            "user_sig": usersig::generate(1_400_000_001, &f.key, "alice", now(), 3600, None)});
        let admin = usersig::generate(1_400_000_001, &f.key, "administrator", now(), 3600, None);
        let query = format!("/v4/openim/querystate?sdkappid=1400000001&identifier=administrator&usersig={admin}&random=7&contenttype=json");
        let querystate = || async {
            let res = app.client.post(app.url(&query)).body(r#"{"To_Account":["alice"]}"#).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        };
        // Valid: the login and the REST call are accepted.
        assert_eq!(app.post("/sdk/v1/login", login_body.clone()).await.status(), StatusCode::OK);
        assert_eq!(querystate().await["ErrorCode"], 0);
        // The same signatures replayed after their hour (an hour, so that a slow machine never
        // sees them expire before the clock is moved): refused with Tencent's 70001, nothing done.
        app.clock.advance(3601);
        let body = assert_error(app.post("/sdk/v1/login", login_body).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("user_sig")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("70001"), "{body}");
        let answer = querystate().await;
        assert_eq!((answer["ActionStatus"].as_str(), answer["ErrorCode"].as_i64()), (Some("FAIL"), Some(70001)), "{answer}");
    }

    async fn a_reported_token_is_bound_once_and_refused_when_wrong(app) {
        let f = fixture(&app).await;
        let session = login(&app, &f, "alice").await;
        let id = json!(f.certificate_id);
        assert_eq!(report(&app, &session, id.clone(), &f.reg_ids[0]).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(report(&app, &session, json!(f.certificate_id.to_string()), &f.reg_ids[0]).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(tokens(&app).await, vec![(f.reg_ids[0].clone(), "alice".into(), true)]);

        // A certificate of another app.
        app.post("/api/v1/apps", json!({"name": "Other"})).await;
        app.put("/api/v1/apps/1400000002/platforms", json!({"platforms": ["android"]})).await;
        let other: Value = app.post("/api/v1/apps/1400000002/certificates",
            json!({"vendor": "vivo", "app_key": "abcd1234", "app_id": "105512", "app_secret": "vivo-secret-1234"})).await.json().await.unwrap();
        let body = assert_error(report(&app, &session, other["id"].clone(), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("business_id")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("another app"), "{body}");
        let body = assert_error(report(&app, &session, json!(99999), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("business_id")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("no certificate"), "{body}");
        assert_error(report(&app, &session, json!("x"), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("business_id")).await;
        assert_error(report(&app, &session, json!(null), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("business_id")).await;
        assert_error(report(&app, &session, id.clone(), "").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("token")).await;
        assert_error(report(&app, &session, id.clone(), "has space").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("token")).await;
        // An FCM token with a Xiaomi certificate ID.
        let fcm = "dGhpcyBpcyBub3QgYSByZWFs:APA91bH-example_token-0123456789abcdefghijklmnopqrstuvwxyz";
        let body = assert_error(report(&app, &session, id.clone(), fcm).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("token")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("Xiaomi regId"), "{body}");
        assert_error(report(&app, "no-such-session", id.clone(), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("session")).await;
        assert_error(report(&app, "", id.clone(), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("session")).await;
        assert_eq!(tokens(&app).await.len(), 1, "nothing written by a refusal");

        // The same regId reported by another user moves to them: never two owners.
        let bob = login(&app, &f, "bob").await;
        assert_eq!(report(&app, &bob, id.clone(), &f.reg_ids[0]).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(tokens(&app).await, vec![(f.reg_ids[0].clone(), "bob".into(), true)]);
    }

    async fn logout_and_a_second_login_unbind_the_device(app) {
        let f = fixture(&app).await;
        let id = json!(f.certificate_id);
        let first = login(&app, &f, "alice").await;
        assert_eq!(report(&app, &first, id.clone(), &f.reg_ids[0]).await.status(), StatusCode::NO_CONTENT);

        // A login on a second Android device kicks the first (Tencent's default policy).
        let sig = usersig::generate(1_400_000_001, &f.key, "alice", now(), 600, None);
        let second: Value = app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig})).await.json().await.unwrap();
        assert_eq!(second["kicked"], 1);
        assert_eq!(tokens(&app).await, vec![(f.reg_ids[0].clone(), "alice".into(), false)]);
        let body = assert_error(report(&app, &first, id.clone(), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("session")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("kicked"), "{body}");
        // An iOS login does not kick the Android one.
        let ios: Value = app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig, "platform": "ios"})).await.json().await.unwrap();
        assert_eq!(ios["kicked"], 0);

        let second = second["session"].as_str().unwrap();
        assert_eq!(report(&app, second, id.clone(), &f.reg_ids[1]).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(app.post("/sdk/v1/logout", json!({"session": second})).await.status(), StatusCode::NO_CONTENT);
        assert!(tokens(&app).await.iter().all(|(_, _, bound)| !bound), "{:?}", tokens(&app).await);
        let body = assert_error(app.post("/sdk/v1/logout", json!({"session": second})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("session")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("logged out"), "{body}");
        assert_error(app.post("/sdk/v1/logout", json!("not an object")).await, StatusCode::BAD_REQUEST, "invalid_body", None).await;
    }

    async fn the_multi_device_policy_decides_which_login_is_kicked(app) {
        let f = fixture(&app).await;
        let id = json!(f.certificate_id);
        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["devices_per_platform"], 1);
        for bad in [json!(0), json!(11), json!("two"), json!(null)] {
            let res = app.put("/api/v1/apps/1400000001/login-policy", json!({"devices_per_platform": bad})).await;
            assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("devices_per_platform")).await;
        }
        let developer = app.create_user("dev_user", "developer").await;
        let res = developer.put("/api/v1/apps/1400000001/login-policy", json!({"devices_per_platform": 2})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let saved: Value = app.put("/api/v1/apps/1400000001/login-policy", json!({"devices_per_platform": "2"})).await.json().await.unwrap();
        assert_eq!(saved["devices_per_platform"], 2);

        // Two Android devices stay logged in together; a third login kicks the oldest.
        let first = login(&app, &f, "alice").await;
        assert_eq!(report(&app, &first, id.clone(), &f.reg_ids[0]).await.status(), StatusCode::NO_CONTENT);
        let sig = usersig::generate(1_400_000_001, &f.key, "alice", now(), 600, None);
        let second: Value = app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig})).await.json().await.unwrap();
        assert_eq!(second["kicked"], 0);
        assert_eq!(report(&app, second["session"].as_str().unwrap(), id.clone(), &f.reg_ids[1]).await.status(), StatusCode::NO_CONTENT);
        assert!(tokens(&app).await.iter().all(|(_, _, bound)| *bound));
        let third: Value = app.post("/sdk/v1/login", json!({"sdkappid": 1400000001, "user_id": "alice", "user_sig": sig})).await.json().await.unwrap();
        assert_eq!(third["kicked"], 1);
        assert_error(report(&app, &first, id.clone(), &f.reg_ids[0]).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("session")).await;
        assert_eq!(report(&app, second["session"].as_str().unwrap(), id, &f.reg_ids[1]).await.status(), StatusCode::NO_CONTENT);
        let bound: Vec<bool> = tokens(&app).await.into_iter().map(|(t, _, b)| b && t == f.reg_ids[1]).collect();
        assert_eq!(bound.iter().filter(|b| **b).count(), 1, "only the second device's token is still bound");
    }
}
