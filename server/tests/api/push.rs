//! Test pushes through `/api/v1`, against the MiPush sandbox over real HTTP, and the push records
//! and metrics they leave.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::on_both_engines;
use crate::support::{ImFixture, TestApp, assert_error, im_fixture, phone};

const PUSH: &str = "/api/v1/apps/1400000001/test-push";
const RECORDS: &str = "/api/v1/apps/1400000001/push-records";

/// An app with Android, a sandbox push app for com.example.im and a Xiaomi certificate in the
/// sandbox region (effective at once under a zero activation delay), no phones yet.
async fn fixture(app: &TestApp) -> ImFixture {
    im_fixture(app, 0, Some("im_message")).await
}

async fn shade(app: &TestApp, reg_id: &str) -> Vec<Value> {
    let path = format!(
        "/sandbox/mipush/devices/{}/notifications",
        form_urlencoded::byte_serialize(reg_id.as_bytes()).collect::<String>()
    );
    app.get(&path).await.json().await.unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut db = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut db)
        .await
        .unwrap();
    n
}

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_test_push_reaches_the_virtual_phone_and_leaves_a_record(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "你好，世界"})).await).await;
        assert_eq!(result["outcome"], "accepted", "{result}");
        assert_eq!(result["code"], 0);
        assert_eq!(result["attempts"], 1);
        assert_eq!(result["targets"], 1);
        assert_eq!(result["bad_reg_ids"], json!([]));
        assert_eq!(result["warnings"], json!([]));
        let message_id = result["message_id"].as_str().unwrap().to_owned();
        assert!(result["trace_id"].as_str().is_some());
        let request = result["request"].as_str().unwrap();
        assert!(request.contains("Authorization: key=****"), "{request}");
        assert!(!request.contains(&f.app_secret));
        assert!(request.contains("extra.channel_id=im_message"), "{request}");
        assert!(request.contains("title=a+new+message"), "{request}");

        let shown = shade(&app, &reg).await;
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0]["title"], "a new message");
        assert_eq!(shown[0]["description"], "你好，世界");
        assert_eq!(shown[0]["message_id"], message_id.as_str());

        let page = ok(app.get(RECORDS).await).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let record = &items[0];
        assert_eq!(record["outcome"], "accepted");
        assert_eq!(record["kind"], "test");
        assert_eq!(record["reg_id"], reg.as_str());
        assert_eq!(record["message_id"], message_id.as_str());
        assert_eq!(record["sent_by"], "owner");
        assert_eq!(record["certificate_id"], f.certificate_id);
        let id = record["id"].as_i64().unwrap();
        let detail = ok(app.get(&format!("{RECORDS}/{id}")).await).await;
        assert!(detail["request"].as_str().unwrap().contains("key=****"));
        assert!(detail["answer"].as_str().unwrap().contains(&message_id));

        let status = ok(app.post(&format!("{RECORDS}/{id}/vendor-status"), json!({})).await).await;
        assert_eq!(status["code"], 0, "{status}");
        assert!(status["data"].as_str().unwrap().contains(&message_id), "{status}");

        let audit = ok(app.get("/api/v1/audit").await).await;
        assert_eq!(audit["items"][0]["action"], "test_push_sent");

        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("pushdesk_pushes_total{vendor=\"xiaomi\",outcome=\"accepted\",code=\"0\"} 1"), "{metrics}");
        assert!(metrics.contains("pushdesk_vendor_request_seconds_count{vendor=\"xiaomi\"} 1"), "{metrics}");

        let stats = ok(app.get("/api/v1/apps/1400000001/push-stats?window=24h").await).await;
        let buckets = stats["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), 24);
        assert_eq!(buckets[23]["accepted"], 1);
        assert_eq!(ok(app.get("/api/v1/apps/1400000001/push-stats?window=30d").await).await["buckets"].as_array().unwrap().len(), 30);
        assert_error(app.get("/api/v1/apps/1400000001/push-stats?window=7d").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("window")).await;
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_thousand_reg_ids_go_in_one_vendor_call_and_a_thousand_and_one_are_refused(app) {
        let f = fixture(&app).await;
        let mut regs = Vec::new();
        for _ in 0..1000 {
            regs.push(phone(&app, "com.example.im", &f.app_id, &f.app_key).await);
        }
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": regs, "description": "to all"})).await).await;
        assert_eq!(result["code"], 0, "{}", result["reason"]);
        assert_eq!(result["targets"], 1000);
        assert_eq!(count(&app, "push_requests").await, 1);
        assert_eq!(count(&app, "push_records").await, 1000);
        assert_eq!(shade(&app, &regs[0]).await.len(), 1);
        assert_eq!(shade(&app, &regs[999]).await.len(), 1);

        let mut more = regs.clone();
        more.push("one-too-many".into());
        let body = assert_error(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": more, "description": "x"})).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("reg_ids")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("1000"), "{body}");
        assert_eq!(count(&app, "push_requests").await, 1);

        // Pages of records, newest first, by keyset.
        let first = ok(app.get(&format!("{RECORDS}?limit=500")).await).await;
        assert_eq!(first["items"].as_array().unwrap().len(), 200, "a page holds at most 200");
        let before = first["next_before_id"].as_i64().unwrap();
        let second = ok(app.get(&format!("{RECORDS}?limit=200&before_id={before}")).await).await;
        assert!(second["items"][0]["id"].as_i64().unwrap() < before);
        let one = ok(app.get(&format!("{RECORDS}?reg_id={}", form_urlencoded::byte_serialize(regs[7].as_bytes()).collect::<String>())).await).await;
        assert_eq!(one["items"].as_array().unwrap().len(), 1);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_reset_app_secret_answers_21301_with_its_explanation(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        // The developer resets the AppSecret on Xiaomi's console and forgets the certificate.
        let res = app.post(&format!("/sandbox/mipush/apps/{}/secret", f.app_id), json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x"})).await).await;
        assert_eq!(result["outcome"], "rejected");
        assert_eq!(result["code"], 21301);
        assert_eq!(result["reason"], "Invalid application secret.");
        assert!(result["fix"]["zh"].as_str().unwrap().contains("AppSecret"), "{result}");
        assert!(!result["meaning"]["en"].as_str().unwrap().is_empty());
        assert_eq!(result["attempts"], 1, "an authentication failure is not retried");
        let page = ok(app.get(&format!("{RECORDS}?outcome=rejected")).await).await;
        assert_eq!(page["items"][0]["code"], 21301);
        assert!(shade(&app, &reg).await.is_empty());
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn an_uninstalled_device_is_reported_as_a_bad_reg_id(app) {
        let f = fixture(&app).await;
        let good = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let gone = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let path = format!("/sandbox/mipush/devices/{}", form_urlencoded::byte_serialize(gone.as_bytes()).collect::<String>());
        assert!(app.client.delete(app.url(&path)).send().await.unwrap().status().is_success());
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": format!("{good}\n{gone}"), "description": "x"})).await).await;
        assert_eq!(result["code"], 0);
        assert_eq!(result["bad_reg_ids"], json!([gone]));
        let rejected = ok(app.get(&format!("{RECORDS}?outcome=rejected")).await).await;
        assert_eq!(rejected["items"].as_array().unwrap().len(), 1);
        assert_eq!(rejected["items"][0]["reg_id"], gone.as_str());
        assert_eq!(rejected["items"][0]["reason"], "bad regId");
        // Only the uninstalled one: MiPush refuses the whole call (20301).
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [gone], "description": "x"})).await).await;
        assert_eq!(result["code"], 20301);
        assert_eq!(result["outcome"], "rejected");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_vendor_5xx_is_one_attempt_that_offers_a_retry_and_the_retry_shows_one_notification(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let res = app.put(&format!("/sandbox/mipush/apps/{}/faults", f.app_id), json!({"fail_next": 1, "fail_status": 503})).await;
        assert!(res.status().is_success());
        let body = json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "after a 503", "notify_id": 42});
        // One attempt inside the request: the 503 is the answer, and it says a retry may work.
        let failed = ok(app.post(PUSH, body.clone()).await).await;
        assert_eq!(failed["outcome"], "failed", "{failed}");
        assert_eq!(failed["code"], Value::Null);
        assert_eq!(failed["attempts"], 1);
        assert_eq!(failed["retryable"], true);
        assert!(failed["reason"].as_str().unwrap().contains("503"), "{failed}");
        assert!(shade(&app, &reg).await.is_empty());
        // Sending again is the retry.
        let result = ok(app.post(PUSH, body).await).await;
        assert_eq!(result["code"], 0, "{result}");
        assert_eq!((result["attempts"].as_i64(), result["retryable"].as_bool()), (Some(1), Some(false)));
        assert_eq!(shade(&app, &reg).await.len(), 1);
        let page = ok(app.get(RECORDS).await).await;
        assert_eq!(page["items"][0]["outcome"], "accepted");
        assert_eq!(page["items"][1]["outcome"], "failed");
        assert_eq!(page["items"][1]["attempts"], 1);
    }

    async fn a_pending_certificate_and_a_viewer_are_refused(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let body = assert_error(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x"})).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("certificate_id")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("effective"), "{body}");
        let viewer = app.create_user("vera", "viewer").await;
        assert_error(viewer.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x"})).await,
            StatusCode::FORBIDDEN, "forbidden", None).await;
        assert_eq!(viewer.get(RECORDS).await.status(), StatusCode::OK);
        let developer = app.create_user("dev", "developer").await;
        assert_error(developer.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x"})).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("certificate_id")).await;
        assert_eq!(count(&app, "push_records").await, 0);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn every_bad_field_is_refused_and_nothing_is_recorded(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let good = json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x"});
        let cases: Vec<(&str, Value, &str)> = vec![
            ("certificate_id", json!(null), "certificate_id"),
            ("certificate_id", json!("x"), "certificate_id"),
            ("certificate_id", json!(999), "certificate_id"),
            ("reg_ids", json!([]), "reg_ids"),
            ("reg_ids", json!(["a b"]), "reg_ids"),
            ("title", json!("标".repeat(50)), "title"),
            ("title", json!(" "), "title"),
            ("description", json!("d".repeat(128)), "description"),
            ("description", json!(""), "description"),
            ("payload", json!("p".repeat(4097)), "payload"),
            ("notify_type", json!(9), "notify_type"),
            ("notify_id", json!(-1), "notify_id"),
            ("channel_id", json!("bad channel"), "channel_id"),
            ("click_action", json!("open_url"), "click_url"),
            ("time_to_live", json!(0), "time_to_live"),
            ("user_id", json!("alice"), "user_id"),
        ];
        for (name, value, field) in cases {
            let mut body = good.clone();
            body[name] = value.clone();
            assert_error(app.post(PUSH, body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field)).await;
        }
        // An IM user's devices come with the client SDK; until one reports, the answer says why.
        let body = assert_error(app.post(PUSH, json!({"certificate_id": f.certificate_id, "user_id": "alice", "description": "x"})).await,
            StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("user_id")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("token"), "{body}");
        assert_error(app.post(PUSH, json!({"certificate_id": [1]})).await, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        assert_error(app.get(&format!("{RECORDS}?since=yesterday")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("since")).await;
        assert_error(app.get(&format!("{RECORDS}?outcome=lost")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("outcome")).await;
        assert_error(app.get(&format!("{RECORDS}/12345")).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_eq!(count(&app, "push_records").await, 0);
        assert_eq!(count(&app, "push_requests").await, 0);
        assert!(shade(&app, &reg).await.is_empty());
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn warnings_name_what_xiaomi_penalises(app) {
        let f = fixture(&app).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        let result = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "title": "测试", "description": "x"})).await).await;
        assert_eq!(result["warnings"], json!(["looks_like_test"]));
        // The certificate's channel is used when the push names none.
        assert!(result["request"].as_str().unwrap().contains("extra.channel_id=im_message"));
        let mine = ok(app.post(PUSH, json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "x", "channel_id": "im_chat", "notify_id": 7})).await).await;
        let request = mine["request"].as_str().unwrap();
        assert!(request.contains("extra.channel_id=im_chat") && request.contains("notify_id=7"), "{request}");
    }
}
