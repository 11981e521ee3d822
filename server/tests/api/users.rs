use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{OWNER, assert_error};

on_both_engines! {
    async fn a_viewer_sees_but_the_server_refuses_every_change(app) {
        app.with_owner().await;
        app.post("/api/v1/apps", json!({"name": "Demo"})).await;
        let viewer = app.create_user("vera", "viewer").await;

        assert_eq!(viewer.get("/api/v1/apps").await.status(), StatusCode::OK);
        assert_eq!(viewer.get("/api/v1/apps/1400000001").await.status(), StatusCode::OK);
        assert_eq!(viewer.get("/api/v1/users").await.status(), StatusCode::OK);
        assert_eq!(viewer.get("/api/v1/audit").await.status(), StatusCode::OK);

        assert_error(viewer.post("/api/v1/apps", json!({"name": "Nope"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        assert_error(viewer.put("/api/v1/apps/1400000001/platforms", json!({"platforms": ["android"]})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        assert_error(viewer.post("/api/v1/apps/1400000001/secret-key/reveal", json!({})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        assert_error(viewer.post("/api/v1/users", json!({"username": "eve", "password": "a long password", "role": "viewer"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        assert_error(viewer.patch(&format!("/api/v1/users/{OWNER}"), json!({"disabled": true})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        // The console's server functions refuse too.
        let res = viewer.client.post(viewer.url("/fn/save_platforms")).form(&[("sdkappid", "1400000001"), ("platforms[0]", "ios")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["platforms"], json!([]));
        let users: Value = app.get("/api/v1/users").await.json().await.unwrap();
        assert_eq!(users.as_array().unwrap().len(), 2);
    }

    async fn admins_manage_users_below_owner(app) {
        app.with_owner().await;
        let admin = app.create_user("adam", "admin").await;
        assert_error(admin.post("/api/v1/users", json!({"username": "olga", "password": "a long password", "role": "owner"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
        let res = admin.post("/api/v1/users", json!({"username": "dev", "password": "a long password", "role": "developer"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_error(admin.patch(&format!("/api/v1/users/{OWNER}"), json!({"role": "viewer"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;

        let res = admin.patch("/api/v1/users/dev", json!({"role": "viewer"})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let dev: Value = res.json().await.unwrap();
        assert_eq!(dev["role"], "viewer");
        let developer = admin.create_user("dora", "developer").await;
        assert_error(developer.post("/api/v1/users", json!({"username": "x", "password": "a long password", "role": "viewer"})).await, StatusCode::FORBIDDEN, "forbidden", None).await;
    }

    async fn user_fields_are_checked_and_duplicates_refused(app) {
        app.with_owner().await;
        let cases = [
            (json!({"username": "", "password": "a long password", "role": "viewer"}), "username"),
            (json!({"username": "bob", "password": "short", "role": "viewer"}), "password"),
            (json!({"username": "bob", "password": "a long password", "role": "root"}), "role"),
            (json!({"username": "bob", "password": "a long password"}), "role"),
        ];
        for (body, field) in cases {
            assert_error(app.post("/api/v1/users", body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field)).await;
        }
        app.create_user("bob", "viewer").await;
        let res = app.post("/api/v1/users", json!({"username": "BOB", "password": "a long password", "role": "admin"})).await;
        assert_error(res, StatusCode::CONFLICT, "conflict", Some("username")).await;
        assert_error(app.patch("/api/v1/users/bob", json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("role")).await;
        assert_error(app.patch("/api/v1/users/nobody", json!({"role": "admin"})).await, StatusCode::NOT_FOUND, "not_found", None).await;
        let users: Value = app.get("/api/v1/users").await.json().await.unwrap();
        assert_eq!(users.as_array().unwrap().len(), 2);
    }

    async fn disabled_users_are_signed_out_and_cannot_sign_in(app) {
        app.with_owner().await;
        let dev = app.create_user("dev", "developer").await;
        assert_eq!(dev.get("/api/v1/me").await.status(), StatusCode::OK);
        let res = app.patch("/api/v1/users/dev", json!({"disabled": true})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_error(dev.get("/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthenticated", None).await;
        let res = dev.post("/api/v1/session", json!({"username": "dev", "password": "a long password"})).await;
        assert_error(res, StatusCode::UNAUTHORIZED, "bad_credentials", None).await;
        app.patch("/api/v1/users/dev", json!({"disabled": false})).await;
        dev.sign_in("dev", "a long password").await;
    }

    async fn the_last_owner_and_oneself_are_protected(app) {
        app.with_owner().await;
        assert_error(app.patch(&format!("/api/v1/users/{OWNER}"), json!({"role": "admin"})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("role")).await;
        assert_error(app.patch(&format!("/api/v1/users/{OWNER}"), json!({"disabled": true})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("disabled")).await;
        let second = app.create_user("second", "owner").await;
        // With two owners, one may demote the other.
        let res = second.patch(&format!("/api/v1/users/{OWNER}"), json!({"role": "admin"})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn api_tokens_authenticate_until_revoked(app) {
        app.with_owner().await;
        assert_error(app.post("/api/v1/tokens", json!({"name": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("token_name")).await;
        let res = app.post("/api/v1/tokens", json!({"name": "ci"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        assert!(token.starts_with("pdt_"));

        let bare = crate::support::new_client();
        let me: Value = bare.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["username"], OWNER);
        // Bearer requests need no Origin check: they carry no ambient credential.
        let res = bare.post(app.url("/api/v1/apps")).bearer_auth(&token).header("origin", "http://elsewhere.example").json(&json!({"name": "Via token"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);

        let list: Value = app.get("/api/v1/tokens").await.json().await.unwrap();
        assert_eq!(list[0]["prefix"], &token[..12]);
        assert!(list[0]["last_used_at"].is_i64());
        assert!(list[0].get("token").is_none());

        let id = created["id"].as_i64().unwrap();
        let res = app.client.delete(app.url(&format!("/api/v1/tokens/{id}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = bare.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        assert_error(res, StatusCode::UNAUTHORIZED, "unauthenticated", None).await;
        let res = bare.get(app.url("/api/v1/me")).bearer_auth("pdt_made_up").send().await.unwrap();
        assert_error(res, StatusCode::UNAUTHORIZED, "unauthenticated", None).await;
    }

    async fn the_audit_log_records_who_did_what(app) {
        app.with_owner().await;
        app.post("/api/v1/apps", json!({"name": "Demo"})).await;
        app.put("/api/v1/apps/1400000001/platforms", json!({"platforms": ["android"]})).await;
        app.create_user("vera", "viewer").await;
        app.patch("/api/v1/users/vera", json!({"role": "developer"})).await;
        let page: Value = app.get("/api/v1/audit?limit=200").await.json().await.unwrap();
        let actions: Vec<&str> = page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for expected in ["setup", "sign_in", "app_created", "platforms_changed", "user_created", "role_changed"] {
            assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
        }
        let changed = page["items"].as_array().unwrap().iter().find(|e| e["action"] == "platforms_changed").unwrap();
        assert_eq!(changed["actor"], OWNER);
        assert_eq!(changed["object"], "app:1400000001");
        assert_eq!(changed["detail"], "android");

        let first: Value = app.get("/api/v1/audit?limit=2").await.json().await.unwrap();
        let next = first["next_before_id"].as_i64().unwrap();
        let second: Value = app.get(&format!("/api/v1/audit?limit=2&before_id={next}")).await.json().await.unwrap();
        assert!(second["items"][0]["id"].as_i64().unwrap() < next);
        assert_error(app.get("/api/v1/audit?before_id=abc").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("before_id")).await;
    }
}
