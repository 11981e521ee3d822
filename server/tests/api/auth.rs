use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{OWNER, OWNER_PASSWORD, assert_error};

on_both_engines! {
    async fn setup_refuses_bad_input_then_creates_the_owner_once(app) {
        assert_eq!(app.get("/").await.headers()["location"], "/setup");
        assert_eq!(app.get("/setup").await.status(), StatusCode::OK);

        let cases = [
            (json!({"username": "", "password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD}), "username"),
            (json!({"username": "9lives", "password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD}), "username"),
            (json!({"username": "alice", "password": "short", "password_confirm": "short"}), "password"),
            (json!({"username": "alice", "password": OWNER_PASSWORD, "password_confirm": "other words"}), "password_confirm"),
            (json!({"password": OWNER_PASSWORD}), "username"),
        ];
        for (body, field) in cases {
            assert_error(app.post("/api/v1/setup", body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field)).await;
        }
        // Nothing was written: setup is still open.
        assert_eq!(app.get("/setup").await.status(), StatusCode::OK);

        let res = app.post("/api/v1/setup", json!({"username": "Alice", "password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let owner: Value = res.json().await.unwrap();
        assert_eq!(owner["username"], "alice");
        assert_eq!(owner["role"], "owner");

        // Gone for good, by page and by API.
        assert_eq!(app.get("/setup").await.status(), StatusCode::NOT_FOUND);
        let again = app.post("/api/v1/setup", json!({"username": "mallory", "password": OWNER_PASSWORD, "password_confirm": OWNER_PASSWORD})).await;
        assert_error(again, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_eq!(app.get("/apps").await.headers()["location"], "/signin");
    }

    async fn sign_in_checks_the_password_and_sign_out_ends_the_session(app) {
        app.with_owner().await;
        let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
        assert_eq!(me["username"], OWNER);
        assert_eq!(app.get("/signin").await.headers()["location"], "/apps");

        let stranger = app.other_client();
        let res = stranger.post("/api/v1/session", json!({"username": OWNER, "password": "not the password"})).await;
        let body = assert_error(res, StatusCode::UNAUTHORIZED, "bad_credentials", None).await;
        assert_eq!(body["error"]["message"], "Wrong username or password.");
        let res = stranger.post("/api/v1/session", json!({"username": "nobody", "password": "not the password"})).await;
        assert_error(res, StatusCode::UNAUTHORIZED, "bad_credentials", None).await;
        let res = stranger.post("/api/v1/session", json!({"username": OWNER, "password": ""})).await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("password")).await;
        assert_error(stranger.get("/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthenticated", None).await;

        let res = app.client.delete(app.url("/api/v1/session")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert_error(app.get("/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthenticated", None).await;
    }

    async fn the_session_cookie_is_http_only_and_cycled_on_sign_in(app) {
        app.with_owner().await;
        let other = app.other_client();
        let first = other.get("/signin").await;
        let res = other.post("/api/v1/session", json!({"username": OWNER, "password": OWNER_PASSWORD})).await;
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("pushdesk_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        if let Some(before) = first.headers().get("set-cookie") {
            assert_ne!(before.to_str().unwrap().split(';').next(), cookie.split(';').next());
        }
    }

    async fn repeated_failures_are_throttled_with_a_clear_wait(app) {
        app.with_owner().await;
        let attacker = app.other_client();
        for _ in 0..6 {
            let res = attacker.post("/api/v1/session", json!({"username": OWNER, "password": "guess guess guess"})).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = attacker
            .client
            .post(attacker.url("/api/v1/session"))
            .header("accept-language", "zh-CN")
            .json(&json!({"username": OWNER, "password": OWNER_PASSWORD}))
            .send()
            .await
            .unwrap();
        // 30 s from the sixth failure; a second may have passed since.
        let wait = res.headers()["retry-after"].to_str().unwrap().to_owned();
        assert!(wait == "30" || wait == "29", "{wait}");
        let body = assert_error(res, StatusCode::TOO_MANY_REQUESTS, "throttled", None).await;
        assert_eq!(body["error"]["message"], format!("尝试次数过多，请在 {wait} 秒后重试。"));
    }

    async fn sign_in_throttling_holds_under_a_thousand_wrong_attempts(app) {
        app.with_owner().await;
        app.create_user("colleague", "developer").await;
        let attacker = app.other_client();
        // 1,000 guesses, 50 in flight at a time: only the first six are ever judged.
        let statuses: Vec<StatusCode> = futures_util::stream::iter(0..1000)
            .map(|i| {
                let attacker = &attacker;
                async move {
                    let guess = json!({"username": OWNER, "password": format!("guess number {i}")});
                    attacker.post("/api/v1/session", guess).await.status()
                }
            })
            .buffer_unordered(50)
            .collect()
            .await;
        let count = |status| statuses.iter().filter(|s| **s == status).count();
        assert_eq!((count(StatusCode::UNAUTHORIZED), count(StatusCode::TOO_MANY_REQUESTS)), (6, 994));
        // The right password waits out the lock like any other.
        let res = attacker.post("/api/v1/session", json!({"username": OWNER, "password": OWNER_PASSWORD})).await;
        assert_error(res, StatusCode::TOO_MANY_REQUESTS, "throttled", None).await;
        // The audit log holds the six judged attempts, not a thousand rows.
        let audit: Value = app.get("/api/v1/audit").await.json().await.unwrap();
        let failed = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "sign_in_failed").count();
        assert_eq!(failed, 6);
        // Another account behind the same address still signs in.
        app.other_client().sign_in("colleague", "a long password").await;
    }

    async fn cross_site_posts_are_refused(app) {
        app.with_owner().await;
        let res = app.client.post(app.url("/api/v1/apps"))
            .header("origin", "http://evil.example")
            .json(&json!({"name": "Evil"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app.client.post(app.url("/api/v1/apps"))
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"name": "Evil"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let apps: Value = app.get("/api/v1/apps").await.json().await.unwrap();
        assert_eq!(apps, json!([]));

        let host = app.base.trim_start_matches("http://").to_owned();
        let res = app.client.post(app.url("/api/v1/apps"))
            .header("origin", format!("http://{host}"))
            .json(&json!({"name": "Fine"}))
            .send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    async fn malformed_bodies_get_a_clear_400(app) {
        app.with_owner().await;
        let res = app.client.post(app.url("/api/v1/apps"))
            .header("content-type", "application/json")
            .body("{not json")
            .send().await.unwrap();
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        let res = app.client.post(app.url("/api/v1/apps")).body("name=x").send().await.unwrap();
        let body = assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("application/json"));
        let res = app.post("/api/v1/apps", json!({"name": 42})).await;
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        assert_error(app.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND, "not_found", None).await;
    }

    async fn health_and_openapi_are_served(app) {
        let res = app.get("/healthz").await;
        assert_eq!(res.status(), StatusCode::OK);
        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for path in ["/apps", "/apps/{sdkappid}/platforms", "/apps/{sdkappid}/certificates", "/apps/{sdkappid}/certificates/{id}", "/apps/{sdkappid}/test-push", "/apps/{sdkappid}/push-records", "/users", "/tokens", "/audit"] {
            assert!(doc["paths"][path].is_object(), "{path} missing from openapi.json");
        }
    }
}
