//! The sandbox's receipts for pushes that never show: filtered (64), over the daily quota (128),
//! expired on an offline phone (1024); and receipts its faults delay or drop.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::offline::shade;
use crate::on_both_engines;
use crate::receipts::{flush, record, test_push};
use crate::support::{ImFixture, TestApp, im_fixture, path_segment};

async fn set_device(app: &TestApp, reg_id: &str, settings: Value) {
    let res = app
        .put(
            &format!("/sandbox/mipush/devices/{}", path_segment(reg_id)),
            settings,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

async fn faults(app: &TestApp, f: &ImFixture, plan: Value) {
    let res = app
        .put(&format!("/sandbox/mipush/apps/{}/faults", f.app_id), plan)
        .await;
    assert!(res.status().is_success());
}

/// A test push with a time to live (seconds): the record's id.
async fn push_with_ttl(app: &TestApp, f: &ImFixture, reg_id: &str, ttl: i64) -> i64 {
    let r: Value = app
        .post(
            "/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "reg_ids": [reg_id], "description": "hi",
                   "time_to_live": ttl.to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["code"], 0, "{r}");
    r["record_ids"][0].as_i64().unwrap()
}

fn failure(detail: &Value) -> Value {
    detail["record"]["receipt_failure"]["type"].clone()
}

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn an_offline_phone_gets_what_waited_or_receipt_1024_once_the_ttl_ran_out(app) {
        let f = im_fixture(&app, 2, Some("im_message")).await;
        let (late, soon) = (&f.reg_ids[0], &f.reg_ids[1]);
        for reg in [late, soon] {
            set_device(&app, reg, json!({"online": false})).await;
        }
        let expires = push_with_ttl(&app, &f, late, 60).await;
        let lands = push_with_ttl(&app, &f, soon, 600).await;
        assert_eq!(flush(&app).await["pending"], 0);
        assert!(shade(&app, soon).await.is_empty(), "nothing shows while offline");
        // Back within its time to live: the notification lands and is reported delivered.
        set_device(&app, soon, json!({"online": true})).await;
        assert_eq!(shade(&app, soon).await.len(), 1);
        flush(&app).await;
        assert!(record(&app, lands).await["record"]["delivered_at"].as_i64().is_some());
        // The other stays away past its 60 s: 1024, and it never shows.
        app.clock.advance(61);
        assert_eq!(flush(&app).await["pending"], 0);
        let detail = record(&app, expires).await;
        assert_eq!(failure(&detail), 1024, "{detail}");
        assert!(detail["record"]["receipt_failure"]["meaning"]["en"].as_str().unwrap().contains("expired"));
        set_device(&app, late, json!({"online": true})).await;
        assert!(shade(&app, late).await.is_empty());
        // Settings are checked.
        let bad = app.put(&format!("/sandbox/mipush/devices/{}", path_segment(late)), json!({"online": "yes"})).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let empty = app.put(&format!("/sandbox/mipush/devices/{}", path_segment(late)), json!({})).await;
        assert!(empty.status().is_client_error());
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn a_filtered_push_and_one_over_the_quota_come_back_as_64_and_128(app) {
        // No channel: the default class, one a day.
        let f = im_fixture(&app, 1, None).await;
        let reg = &f.reg_ids[0];
        app.put(&format!("/sandbox/mipush/apps/{}/limits", f.app_id), json!({"quotas": true})).await;
        faults(&app, &f, json!({"filter_next": 1})).await;
        let (filtered, _) = test_push(&app, &f, reg).await;
        flush(&app).await;
        assert_eq!(failure(&record(&app, filtered).await), 64);
        assert!(shade(&app, reg).await.is_empty());
        let (shown, _) = test_push(&app, &f, reg).await;
        // pushdesk asks for receipt 128, so the sandbox takes the next push and drops it.
        let r: Value = app.post("/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": f.certificate_id, "reg_ids": [reg], "description": "third"})).await.json().await.unwrap();
        assert_eq!(r["code"], 0, "accepted, then dropped: {r}");
        assert_eq!(r["warnings"], json!(["no_channel", "over_quota"]));
        flush(&app).await;
        assert!(record(&app, shown).await["record"]["delivered_at"].as_i64().is_some());
        let dropped = record(&app, r["record_ids"][0].as_i64().unwrap()).await;
        assert_eq!(failure(&dropped), 128, "{dropped}");
        assert!(dropped["record"]["receipt_failure"]["fix"]["en"].as_str().unwrap().contains("ChannelID"));
        assert_eq!(shade(&app, reg).await.len(), 1);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn the_faults_endpoint_delays_and_drops_receipts(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        let reg = &f.reg_ids[0];
        // Ten minutes: on a slow machine a few seconds can pass before the first flush.
        faults(&app, &f, json!({"receipts_delay_ms": 600_000})).await;
        let (late, _) = test_push(&app, &f, reg).await;
        assert_eq!(flush(&app).await["pending"], 1, "not due yet");
        assert_eq!(record(&app, late).await["record"]["delivered_at"], Value::Null);
        app.clock.advance(601);
        assert_eq!(flush(&app).await["pending"], 0);
        assert!(record(&app, late).await["record"]["delivered_at"].as_i64().is_some());
        faults(&app, &f, json!({"drop_receipts_next": 1})).await;
        let (lost, _) = test_push(&app, &f, reg).await;
        assert_eq!(flush(&app).await["pending"], 0);
        assert_eq!(record(&app, lost).await["record"]["delivered_at"], Value::Null, "dropped");
        let (next, _) = test_push(&app, &f, reg).await;
        flush(&app).await;
        assert!(record(&app, next).await["record"]["delivered_at"].as_i64().is_some());
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn a_phone_back_online_takes_what_waited_as_it_is_now(app) {
        let f = im_fixture(&app, 2, Some("im_message")).await;
        let (muted, filtered) = (&f.reg_ids[0], &f.reg_ids[1]);
        for reg in [muted, filtered] {
            set_device(&app, reg, json!({"online": false})).await;
        }
        let off = push_with_ttl(&app, &f, muted, 600).await;
        let dropped = push_with_ttl(&app, &f, filtered, 600).await;
        // Notifications switched off while away: it arrives, shows nothing, and says 32.
        set_device(&app, muted, json!({"notifications_enabled": false, "online": true})).await;
        faults(&app, &f, json!({"filter_next": 1})).await;
        set_device(&app, filtered, json!({"online": true})).await;
        assert_eq!(flush(&app).await["pending"], 0);
        let detail = record(&app, off).await;
        assert_eq!(failure(&detail), 32, "{detail}");
        assert_eq!(detail["record"]["delivered_at"], Value::Null);
        assert!(shade(&app, muted).await.is_empty());
        assert_eq!(failure(&record(&app, dropped).await), 64, "filtered on arrival");
        assert!(shade(&app, filtered).await.is_empty());
        let (next, _) = test_push(&app, &f, filtered).await;
        flush(&app).await;
        assert!(record(&app, next).await["record"]["delivered_at"].as_i64().is_some(), "the fault was used up");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0", "PUSHDESK_PUBLIC_URL" = "self")]
    async fn what_lands_after_the_phone_is_back_counts_toward_the_quota(app) {
        // No channel: the default class, one a day.
        let f = im_fixture(&app, 1, None).await;
        let reg = &f.reg_ids[0];
        app.put(&format!("/sandbox/mipush/apps/{}/limits", f.app_id), json!({"quotas": true})).await;
        set_device(&app, reg, json!({"online": false})).await;
        let waited = push_with_ttl(&app, &f, reg, 600).await;
        set_device(&app, reg, json!({"online": true})).await;
        let (over, _) = test_push(&app, &f, reg).await;
        flush(&app).await;
        assert!(record(&app, waited).await["record"]["delivered_at"].as_i64().is_some());
        assert_eq!(failure(&record(&app, over).await), 128, "the day's one was the message that waited");
        assert_eq!(shade(&app, reg).await.len(), 1);
    }
}
