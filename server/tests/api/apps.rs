use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::on_both_engines;
use crate::support::assert_error;

on_both_engines! {
    async fn apps_get_sequential_sdkappids_and_a_secret_key(app) {
        app.with_owner().await;
        let res = app.post("/api/v1/apps", json!({"name": "  即时通信 Demo "})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let first: Value = res.json().await.unwrap();
        assert_eq!(first["sdkappid"], 1400000001);
        assert_eq!(first["name"], "即时通信 Demo");
        assert_eq!(first["platforms"], json!([]));
        let key = first["secret_key"].as_str().unwrap().to_owned();
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));

        let second: Value = app.post("/api/v1/apps", json!({"name": "Second"})).await.json().await.unwrap();
        assert_eq!(second["sdkappid"], 1400000002);

        let list: Value = app.get("/api/v1/apps").await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);

        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["secret_key_masked"], format!("****{}", &key[60..]));
        assert!(detail.get("secret_key").is_none());

        let revealed: Value = app.post("/api/v1/apps/1400000001/secret-key/reveal", json!({})).await.json().await.unwrap();
        assert_eq!(revealed["secret_key"], key);

        // At rest the key is sealed, not stored as written.
        let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
        let (stored,): (String,) = sqlx::query_as("SELECT secret_key FROM apps WHERE sdkappid = 1400000001")
            .fetch_one(&mut db).await.unwrap();
        assert!(stored.starts_with("v1.") && !stored.contains(&key), "{stored}");
    }

    async fn bad_app_names_are_refused_and_nothing_is_written(app) {
        app.with_owner().await;
        let too_long = "名".repeat(41);
        for (name, rule) in [("", "required"), ("   ", "required"), (too_long.as_str(), "too_long"), ("a\u{1}b", "charset")] {
            let body = assert_error(app.post("/api/v1/apps", json!({"name": name})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("name")).await;
            assert!(!body["error"]["message"].as_str().unwrap().is_empty(), "{rule}");
        }
        let body = assert_error(app.post("/api/v1/apps", json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("name")).await;
        assert_eq!(body["error"]["message"], "App name is required.");
        let apps: Value = app.get("/api/v1/apps").await.json().await.unwrap();
        assert_eq!(apps, json!([]));
    }

    async fn platforms_are_saved_and_bad_ones_change_nothing(app) {
        app.with_owner().await;
        app.post("/api/v1/apps", json!({"name": "Demo"})).await;
        let res = app.put("/api/v1/apps/1400000001/platforms", json!({"platforms": ["ios", "Android", "android"]})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["platforms"], json!(["android", "ios"]));

        let body = assert_error(
            app.put("/api/v1/apps/1400000001/platforms", json!({"platforms": ["android", "symbian"]})).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("platforms"),
        ).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("android"));
        assert_error(app.put("/api/v1/apps/1400000001/platforms", json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("platforms")).await;
        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["platforms"], json!(["android", "ios"]));

        let res = app.put("/api/v1/apps/1400000001/platforms", json!({"platforms": []})).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_error(app.put("/api/v1/apps/1400009999/platforms", json!({"platforms": []})).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_error(app.get("/api/v1/apps/14000").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("sdkappid")).await;
        assert_error(app.get("/api/v1/apps/1400009999").await, StatusCode::NOT_FOUND, "not_found", None).await;
    }

    async fn console_server_functions_share_the_rules(app) {
        app.with_owner().await;
        // The console posts forms to server functions; same services, same field errors.
        let res = app.client.post(app.url("/fn/create_app")).form(&[("name", "")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["kind"], "invalid");
        assert_eq!(body["field"], "name");
        let res = app.client.post(app.url("/fn/create_app")).form(&[("name", "From console")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.client.post(app.url("/fn/save_platforms"))
            .form(&[("sdkappid", "1400000001"), ("platforms[0]", "android"), ("platforms[2]", "web")])
            .send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["platforms"], json!(["android", "web"]));
        // No box ticked means no platform.
        let res = app.client.post(app.url("/fn/save_platforms")).form(&[("sdkappid", "1400000001")]).send().await.unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let detail: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(detail["platforms"], json!([]));
    }
}
