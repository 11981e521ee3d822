//! Receipts (回执) as Xiaomi posts them: every vendor call asks for them at pushdesk's own
//! endpoint, each receipt is applied once to the records it is about, a forged one is refused,
//! and the ones that say a device is gone or muted change what pushdesk knows of it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::offline::{login, ok, text_msg, v4};
use crate::on_both_engines;
use crate::support::{
    ImFixture, TestApp, assert_error, audit_actions, im_fixture, path_segment, phone,
};

const RECORDS: &str = "/api/v1/apps/1400000001/push-records";

/// A test push to `reg_id`: the record's id and the vendor's message id.
pub(crate) async fn test_push(app: &TestApp, f: &ImFixture, reg_id: &str) -> (i64, String) {
    let res = app
        .post(
            "/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "reg_ids": [reg_id], "description": "hi"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["code"], 0, "{r}");
    (
        r["record_ids"][0].as_i64().unwrap(),
        r["message_id"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn record(app: &TestApp, id: i64) -> Value {
    app.get(&format!("{RECORDS}/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// The receipt URL pushdesk put in the call behind record `id` (`extra.callback`).
async fn callback_url(app: &TestApp, id: i64) -> String {
    let detail = record(app, id).await;
    let request = detail["request"].as_str().unwrap();
    let body = request.rsplit("\n\n").next().unwrap();
    let (_, url) = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "extra.callback")
        .unwrap_or_else(|| panic!("no extra.callback in {request}"));
    let (_, kind) = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "extra.callback.type")
        .unwrap();
    assert_eq!(kind, "1267", "every event: 1, 2, 16, 32, 64, 128 and 1024");
    url.into_owned()
}

/// Posts receipts as Xiaomi does: a form whose `data` is JSON keyed by message id.
async fn post_receipts(app: &TestApp, url: &str, data: Value) -> reqwest::Response {
    app.client
        .post(url)
        .form(&[("data", data.to_string())])
        .send()
        .await
        .unwrap()
}

fn receipt(kind: i64, targets: &str, bar: &str) -> Value {
    json!({"param": "", "type": kind, "targets": targets, "jobkey": "", "barStatus": bar,
           "timestamp": server::unix_now() * 1000})
}

/// The sandbox posts what it queued now, as it would within a second. (Its own timer may have
/// posted some of it already: what counts is what is left.)
pub(crate) async fn flush(app: &TestApp) -> Value {
    let res = app.post("/sandbox/mipush/receipts/flush", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn the_sandbox_reports_delivery_and_a_tap_like_xiaomi(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        let (id, message_id) = test_push(&app, &f, &f.reg_ids[0]).await;
        assert_eq!(flush(&app).await["pending"], 0);
        let detail = record(&app, id).await;
        assert!(detail["record"]["delivered_at"].as_i64().is_some(), "{detail}");
        assert_eq!(detail["receipts"][0]["bar_status"], "Enable");
        // The user taps the notification on the phone.
        let tap = format!("/sandbox/mipush/devices/{}/notifications/{message_id}/click", path_segment(&f.reg_ids[0]));
        assert_eq!(app.post(&tap, json!({})).await.status(), StatusCode::NO_CONTENT);
        assert_eq!(flush(&app).await["pending"], 0);
        assert!(record(&app, id).await["record"]["clicked_at"].as_i64().is_some());
        let unknown = format!("/sandbox/mipush/devices/{}/notifications/sdm00000000000000000XX/click", path_segment(&f.reg_ids[0]));
        assert_eq!(app.post(&unknown, json!({})).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(flush(&app).await["pending"], 0);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn a_muted_phone_and_an_uninstalled_app_come_back_as_receipts_32_and_16(app) {
        let f = im_fixture(&app, 3, Some("im_message")).await;
        let (muted, gone) = (&f.reg_ids[1], &f.reg_ids[2]);
        let res = app.put(&format!("/sandbox/mipush/devices/{}", path_segment(muted)), json!({"notifications_enabled": false})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let bad = app.put(&format!("/sandbox/mipush/devices/{}", path_segment(muted)), json!({"notifications": "off"})).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let res = app.client.delete(app.url(&format!("/sandbox/mipush/devices/{}", path_segment(gone)))).send().await.unwrap();
        assert!(res.status().is_success());
        let res = app.post("/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "reg_ids": f.reg_ids, "description": "to three"})).await;
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["code"], 0, "{r}");
        // Three events of one message: three POSTs, one event per message id in each.
        assert_eq!(flush(&app).await["pending"], 0);
        let ids: Vec<i64> = r["record_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let shown = record(&app, ids[0]).await;
        assert!(shown["record"]["delivered_at"].as_i64().is_some());
        let off = record(&app, ids[1]).await;
        assert_eq!(off["record"]["receipt_failure"]["type"], 32, "{off}");
        assert_eq!(off["receipts"][0]["bar_status"], "Disable");
        let gone_record = record(&app, ids[2]).await;
        assert_eq!(gone_record["record"]["receipt_failure"]["type"], 16, "{gone_record}");
        assert!(audit_actions(&app).await.contains(&"token_retired".to_owned()));
        // The muted phone shows nothing.
        let shade: Value = app.get(&format!("/sandbox/mipush/devices/{}/notifications", path_segment(muted))).await.json().await.unwrap();
        assert_eq!(shade, json!([]));
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn receipts_a_receiver_refuses_are_sent_again(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        // A push whose callback points nowhere: the receipt stays queued.
        let form = [
            ("registration_id", f.reg_ids[0].clone()),
            ("restricted_package_name", "com.example.im".to_owned()),
            ("title", "t".to_owned()),
            ("description", "d".to_owned()),
            ("extra.callback", format!("{}/receipts/mipush/1/{}", app.base, "0".repeat(64))),
        ];
        let res = app.client.post(app.url("/sandbox/mipush/v3/message/regid"))
            .header("authorization", format!("key={}", f.app_secret))
            .form(&form).send().await.unwrap();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["code"], 0, "{answer}");
        assert_eq!(flush(&app).await, json!({"sent": 0, "pending": 1}), "refused with 401: kept");
        assert_eq!(flush(&app).await, json!({"sent": 0, "pending": 1}), "and tried again");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn delivered_and_clicked_receipts_land_on_the_record_once(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        let (id, message_id) = test_push(&app, &f, &f.reg_ids[0]).await;
        let url = callback_url(&app, id).await;
        assert!(url.starts_with(&format!("{}/receipts/mipush/{}/", app.base, f.certificate_id)), "{url}");
        // The sandbox reports the delivery, as Xiaomi would.
        assert_eq!(flush(&app).await["pending"], 0);
        let at = record(&app, id).await["record"]["delivered_at"].as_i64().unwrap();
        assert!(at > 0);
        // Delivered again, as a vendor retrying its POST would: counted once.
        let delivered = json!({ &message_id: receipt(1, &f.reg_ids[0], "Enable") });
        let again = post_receipts(&app, &url, delivered).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(again.json::<Value>().await.unwrap(), json!({"received": 1, "applied": 0}));

        // Tapped, in a batch with a receipt for a message pushdesk never sent.
        let batch = json!({ &message_id: receipt(2, &f.reg_ids[0], "Enable"),
                            "sdm00000000000000000XX": receipt(1, "someone-else", "Enable") });
        let res = post_receipts(&app, &url, batch).await;
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"received": 2, "applied": 2}));
        let detail = record(&app, id).await;
        assert_eq!(detail["record"]["delivered_at"], at);
        assert!(detail["record"]["clicked_at"].as_i64().is_some());
        assert_eq!(detail["record"]["receipt_failure"], Value::Null);
        let events: Vec<&str> = detail["receipts"].as_array().unwrap().iter().map(|r| r["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["delivered", "clicked"]);
        assert_eq!(detail["receipts"][0]["bar_status"], "Enable");

        // The records page filters by receipt state, and names a bad one.
        let clicked: Value = app.get(&format!("{RECORDS}?receipt=clicked")).await.json().await.unwrap();
        assert_eq!(clicked["items"][0]["id"], id);
        let none: Value = app.get(&format!("{RECORDS}?receipt=none")).await.json().await.unwrap();
        assert_eq!(none["items"], json!([]));
        assert_error(app.get(&format!("{RECORDS}?receipt=seen")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("receipt")).await;

        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("pushdesk_receipts_total{vendor=\"xiaomi\",type=\"delivered\"} 2"), "{metrics}");
        assert!(metrics.contains("pushdesk_receipts_total{vendor=\"xiaomi\",type=\"clicked\"} 1"), "{metrics}");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn a_forged_receipt_is_refused_recorded_and_never_applied(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        let (id, message_id) = test_push(&app, &f, &f.reg_ids[0]).await;
        let url = callback_url(&app, id).await;
        flush(&app).await;
        let data = json!({ &message_id: receipt(16, &f.reg_ids[0], "Unknown") });
        let tag = url.rsplit('/').next().unwrap();
        let forged = [
            url.replacen(tag, &"0".repeat(64), 1),
            url.replacen(&format!("/{}/", f.certificate_id), "/999/", 1),
            format!("{}/receipts/mipush/abc/{tag}", app.base),
        ];
        for bad in &forged {
            let res = post_receipts(&app, bad, data.clone()).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad}");
        }
        assert_eq!(audit_actions(&app).await.iter().filter(|a| *a == "receipt_refused").count(), 3);
        let events = |d: &Value| -> Vec<String> {
            d["receipts"].as_array().unwrap().iter().map(|r| r["event"].as_str().unwrap().to_owned()).collect()
        };
        let detail = record(&app, id).await;
        assert_eq!(detail["record"]["receipt_failure"], Value::Null);
        assert_eq!(events(&detail), ["delivered"], "only the sandbox's own receipt");
        assert!(!audit_actions(&app).await.contains(&"token_retired".to_owned()));

        // Right tag, body not as Xiaomi sends it: 400, nothing applied.
        for body in ["data=%7Bnot+json", "other=1", "data=%5B%5D"] {
            let res = app.client.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        }
        assert_eq!(events(&record(&app, id).await), ["delivered"]);
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("pushdesk_receipts_total{vendor=\"xiaomi\",type=\"forged\"} 3"), "{metrics}");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn an_invalid_target_receipt_retires_the_token_until_it_is_reported_again(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &f.reg_ids[0]).await;
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "first", 1)).await);
        app.drain().await;
        let page: Value = app.get(&format!("{RECORDS}?outcome=accepted")).await.json().await.unwrap();
        let pushed = &page["items"][0];
        let id = pushed["id"].as_i64().unwrap();
        let url = callback_url(&app, id).await;
        let gone = json!({ pushed["message_id"].as_str().unwrap(): receipt(16, &f.reg_ids[0], "Unknown") });
        assert_eq!(post_receipts(&app, &url, gone).await.status(), StatusCode::OK);
        let detail = record(&app, id).await;
        assert_eq!(detail["record"]["receipt_failure"]["type"], 16);
        assert!(detail["record"]["receipt_failure"]["fix"]["en"].as_str().unwrap().contains("retired"));
        assert!(audit_actions(&app).await.contains(&"token_retired".to_owned()));
        // 排查 ⑥ says where it ended.
        let d: Value = app.get("/api/v1/apps/1400000001/diagnose?user_id=alice").await.json().await.unwrap();
        let sixth = d["checks"].as_array().unwrap().iter().find(|c| c["id"] == "receipts").unwrap().clone();
        assert_eq!(sixth["verdict"], "fail", "{sixth}");
        assert!(sixth["title"]["zh"].as_str().unwrap().starts_with("⑥"));
        assert!(sixth["facts"][0]["en"].as_str().unwrap().contains("was dropped: The target is invalid"), "{sixth}");
        assert!(sixth["fix"]["en"].as_str().unwrap().contains("retired"));

        // Not pushed again, and the record says why.
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "second", 2)).await);
        let latest: Value = app.get(&format!("{RECORDS}?user_id=alice")).await.json().await.unwrap();
        assert_eq!(latest["items"][0]["reason"], "token_invalid");
        // Reported again (the app registered anew): pushed again.
        let res = app.post("/sdk/v1/push-token", json!({"session": session, "business_id": f.certificate_id, "token": f.reg_ids[0]})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "third", 3)).await);
        app.drain().await;
        let accepted: Value = app.get(&format!("{RECORDS}?outcome=accepted")).await.json().await.unwrap();
        assert_eq!(accepted["items"].as_array().unwrap().len(), 2);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn a_notifications_off_receipt_marks_the_device_and_pushes_go_on(app) {
        let f = im_fixture(&app, 0, Some("im_message")).await;
        let reg = phone(&app, "com.example.im", &f.app_id, &f.app_key).await;
        ok(&v4(&app, &f, "im_open_login_svc/multiaccount_import", json!({"Accounts": ["alice", "bob"]})).await);
        let session = login(&app, &f, "alice", &reg).await;
        let (id, message_id) = test_push(&app, &f, &reg).await;
        let url = callback_url(&app, id).await;
        let off = json!({ &message_id: receipt(32, &reg, "Disable") });
        assert_eq!(post_receipts(&app, &url, off).await.status(), StatusCode::OK);
        let detail = record(&app, id).await;
        assert_eq!(detail["record"]["receipt_failure"]["type"], 32);
        assert!(detail["record"]["receipt_failure"]["meaning"]["zh"].as_str().unwrap().contains("通知"));
        let off_receipt = detail["receipts"].as_array().unwrap().iter()
            .find(|r| r["event"] == "notifications_off").unwrap().clone();
        assert_eq!(off_receipt["bar_status"], "Disable");
        assert!(audit_actions(&app).await.contains(&"notifications_off".to_owned()));
        let devices: Value = app.get("/api/v1/apps/1400000001/devices?user_id=alice").await.json().await.unwrap();
        assert!(devices["devices"][0]["notifications_off_at"].as_i64().is_some(), "{devices}");
        // Still pushed.
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("alice", "muted", 4)).await);
        app.drain().await;
        let page: Value = app.get(&format!("{RECORDS}?user_id=alice&outcome=accepted")).await.json().await.unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        // Reported again: the mark goes.
        app.post("/sdk/v1/push-token", json!({"session": session, "business_id": f.certificate_id, "token": reg})).await;
        let devices: Value = app.get("/api/v1/apps/1400000001/devices?user_id=alice").await.json().await.unwrap();
        assert_eq!(devices["devices"][0]["notifications_off_at"], Value::Null);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn without_a_public_url_no_receipts_are_asked_for(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        let (id, _) = test_push(&app, &f, &f.reg_ids[0]).await;
        let request = record(&app, id).await["request"].as_str().unwrap().to_owned();
        assert!(!request.contains("extra.callback"), "{request}");
        let stats: Value = app.get("/api/v1/apps/1400000001/push-stats").await.json().await.unwrap();
        assert_eq!(stats["receipts"], false, "the console says receipts are off");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn the_reach_funnel_counts_what_the_records_show(app) {
        let f = im_fixture(&app, 3, Some("im_message")).await;
        let (muted, gone) = (&f.reg_ids[1], &f.reg_ids[2]);
        app.put(&format!("/sandbox/mipush/devices/{}", path_segment(muted)), json!({"notifications_enabled": false})).await;
        app.client.delete(app.url(&format!("/sandbox/mipush/devices/{}", path_segment(gone)))).send().await.unwrap();
        let r: Value = app.post("/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "reg_ids": f.reg_ids, "description": "to three"})).await.json().await.unwrap();
        assert_eq!(r["code"], 0, "{r}");
        let message_id = r["message_id"].as_str().unwrap();
        let tap = format!("/sandbox/mipush/devices/{}/notifications/{message_id}/click", path_segment(&f.reg_ids[0]));
        assert_eq!(app.post(&tap, json!({})).await.status(), StatusCode::NO_CONTENT);
        // A message to a user who never logged in: skipped, for want of a token.
        for user in ["bob", "carol"] {
            ok(&v4(&app, &f, "im_open_login_svc/account_import", json!({"UserID": user})).await);
        }
        ok(&v4(&app, &f, "openim/sendmsg", text_msg("carol", "hi", 7)).await);
        app.drain().await;
        assert_eq!(flush(&app).await["pending"], 0);

        let stats: Value = app.get("/api/v1/apps/1400000001/push-stats?window=24h").await.json().await.unwrap();
        assert_eq!(stats["receipts"], true);
        let count = |filter: &'static str| {
            let app = &app;
            async move {
                let page: Value = app.get(&format!("{RECORDS}?limit=200{filter}")).await.json().await.unwrap();
                page["items"].as_array().unwrap().len() as i64
            }
        };
        let funnel = &stats["funnel"];
        assert_eq!(funnel["pushes"], count("").await);
        assert_eq!(funnel["accepted"], count("&outcome=accepted").await);
        assert_eq!(funnel["delivered"], count("&receipt=delivered").await);
        assert_eq!(funnel["clicked"], count("&receipt=clicked").await);
        // The uninstalled phone's regId comes back in the send's bad_regids: not accepted.
        assert_eq!((&funnel["pushes"], &funnel["accepted"], &funnel["delivered"], &funnel["clicked"]), (&json!(4), &json!(2), &json!(1), &json!(1)), "{stats}");
        assert_eq!(funnel["accepted_rate"], 0.5);
        assert_eq!(funnel["delivered_rate"], 0.5);
        assert_eq!(funnel["clicked_rate"], 1.0);
        // The hourly funnels add up to the window's.
        let hourly: i64 = stats["reach"].as_array().unwrap().iter().map(|b| b["pushes"].as_i64().unwrap()).sum();
        assert_eq!(hourly, 4);
        let cert = &stats["by_certificate"][0];
        assert_eq!(cert["certificate_id"], f.certificate_id);
        assert_eq!(cert["package_name"], "com.example.im");
        assert_eq!(cert["funnel"]["pushes"], 3);
        assert_eq!(stats["by_certificate"][1]["certificate_id"], Value::Null, "the skipped push had no device");
        let mut losses: Vec<(String, String, i64)> = stats["losses"].as_array().unwrap().iter()
            .map(|l| (l["stage"].as_str().unwrap().to_owned(), l["code"].as_str().unwrap().to_owned(), l["count"].as_i64().unwrap()))
            .collect();
        losses.sort();
        assert_eq!(losses, [
            ("receipt".to_owned(), "32".to_owned(), 1),
            ("skipped".to_owned(), "no_token".to_owned(), 1),
            ("vendor".to_owned(), "bad_regid".to_owned(), 1),
        ], "{stats}");
        let off = stats["losses"].as_array().unwrap().iter().find(|l| l["code"] == "32").unwrap();
        assert!(off["meaning"]["zh"].as_str().unwrap().contains("通知"), "{off}");
        assert!(off["fix"]["en"].as_str().is_some());
    }
}
