//! The quota ledger: pushes the vendor accepted per device, message class and Beijing day, and
//! the warnings that come before Xiaomi's 200001.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{TestApp, assert_error, im_fixture};

const CERTIFICATES: &str = "/api/v1/apps/1400000001/certificates";

async fn test_push(app: &TestApp, certificate_id: i64, reg_id: &str) -> Value {
    let res = app
        .post(
            "/api/v1/apps/1400000001/test-push",
            json!({"certificate_id": certificate_id, "reg_ids": [reg_id], "description": "hi"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn certificate(app: &TestApp, id: i64) -> Value {
    app.get(&format!("{CERTIFICATES}/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn the_quota_warning_comes_before_the_sandbox_refuses(app) {
        // No ChannelID: Xiaomi's default class, one notification per device and day.
        let f = im_fixture(&app, 2, None).await;
        let res = app.put(&format!("/sandbox/mipush/apps/{}/limits", f.app_id), json!({"quotas": true})).await;
        assert!(res.status().is_success());
        let cert = certificate(&app, f.certificate_id).await;
        assert_eq!(cert["quota"], json!({"class": "default", "daily_cap": 1, "devices_at_cap": 0}));

        let first = test_push(&app, f.certificate_id, &f.reg_ids[0]).await;
        assert_eq!(first["code"], 0, "{first}");
        assert_eq!(first["warnings"], json!(["no_channel", "quota_reached"]), "the next one will be refused");
        assert_eq!(certificate(&app, f.certificate_id).await["quota"]["devices_at_cap"], 1);

        let second = test_push(&app, f.certificate_id, &f.reg_ids[0]).await;
        assert_eq!(second["code"], 200001, "{second}");
        assert_eq!(second["warnings"], json!(["no_channel", "over_quota"]));
        assert!(second["fix"]["en"].as_str().unwrap().contains("certificate's ChannelID"), "{second}");
        assert!(second["fix"]["zh"].as_str().unwrap().contains("私信"), "{second}");
        // A refused push is not counted; the other device has its own quota.
        assert_eq!(certificate(&app, f.certificate_id).await["quota"]["devices_at_cap"], 1);
        let other = test_push(&app, f.certificate_id, &f.reg_ids[1]).await;
        assert_eq!(other["code"], 0, "{other}");
        assert_eq!(certificate(&app, f.certificate_id).await["quota"]["devices_at_cap"], 2);
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn a_certificate_says_which_of_its_channels_are_public(app) {
        let f = im_fixture(&app, 1, Some("im_message")).await;
        assert_eq!(certificate(&app, f.certificate_id).await["quota"], Value::Null, "私信: no cap");
        let edit = |public: &str| json!({"vendor": "xiaomi", "package_name": "com.example.im",
            "app_id": f.app_id, "region": "sandbox", "channel_id": "im_message",
            "public_channels": public});
        let url = format!("{CERTIFICATES}/{}", f.certificate_id);
        assert_error(app.put(&url, edit("news, bad channel!")).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("public_channels")).await;
        let many: Vec<String> = (0..21).map(|i| format!("c{i}")).collect();
        assert_error(app.put(&url, edit(&many.join(","))).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("public_channels")).await;
        assert_eq!(certificate(&app, f.certificate_id).await["quota"], Value::Null, "nothing half-written");
        let res = app.put(&url, edit("news，im_message news")).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        let cert = certificate(&app, f.certificate_id).await;
        assert_eq!(cert["public_channels"], json!(["news", "im_message"]), "{cert}");
        assert_eq!(cert["quota"]["class"], "public");
        assert_eq!(cert["quota"]["daily_cap"], 5);
    }
}
