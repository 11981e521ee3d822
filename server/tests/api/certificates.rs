//! Push certificates through `/api/v1` (and the console's server function), with the credential
//! check against the MiPush sandbox over real HTTP.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::on_both_engines;
use crate::support::{TestApp, assert_error, audit_actions, captured_logs, eventually};

const CERTS: &str = "/api/v1/apps/1400000001/certificates";

/// An app with Android ticked, as Step2 of the seed leaves it.
async fn android_app(app: &TestApp) {
    app.with_owner().await;
    let res = app.post("/api/v1/apps", json!({"name": "Demo"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .put(
            "/api/v1/apps/1400000001/platforms",
            json!({"platforms": ["android"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A push app registered with the sandbox ("Xiaomi's developer platform"): (AppID, AppSecret).
async fn sandbox_credentials(app: &TestApp, package: &str) -> (String, String) {
    let res = app
        .post("/sandbox/mipush/apps", json!({"package_name": package}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    (
        v["app_id"].as_str().unwrap().into(),
        v["app_secret"].as_str().unwrap().into(),
    )
}

fn xiaomi(package: &str, app_id: &str, secret: &str) -> Value {
    json!({
        "vendor": "xiaomi",
        "package_name": package,
        "app_id": app_id,
        "app_secret": secret,
        "region": "sandbox",
        "channel_id": "im_message",
        "click_action": "open_intent",
        "click_intent": "intent:#Intent;component=com.example.im/.ChatActivity;end",
    })
}

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    res.json().await.unwrap()
}

/// The activation delay of these tests. An hour, not a second: the clock runs on its own too,
/// and a slow machine once took more than a second between saving a certificate and answering,
/// so a one-second delay let a new certificate read "effective" before any test moved the clock.
const DELAY: i64 = 3600;

/// Moves the server's clock past the activation delay, then reads the certificate, which has
/// `status`.
async fn after_activation(app: &TestApp, id: i64, status: &str) -> Value {
    app.clock.advance(DELAY);
    let cert = json_of(app.get(&format!("{CERTS}/{id}")).await, StatusCode::OK).await;
    assert_eq!(cert["status"], status, "{cert}");
    cert
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

on_both_engines! {
    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "3600")]
    async fn a_xiaomi_certificate_gets_an_id_and_turns_effective_after_the_delay(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let cert = json_of(app.post(CERTS, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::CREATED).await;
        let id = cert["id"].as_i64().unwrap();
        assert!(id > 0);
        assert_eq!(cert["vendor"], "xiaomi");
        assert_eq!(cert["platform"], "android");
        assert_eq!(cert["package_name"], "com.example.im");
        assert_eq!(cert["region"], "sandbox");
        assert_eq!(cert["status"], "pending");
        assert_eq!(cert["check"]["state"], "passed", "{cert}");
        assert_eq!(cert["check"]["code"], 0);
        assert_eq!(cert["effective_at"].as_i64().unwrap() - cert["created_at"].as_i64().unwrap(), DELAY);
        assert_eq!(cert["secret_masked"], format!("****{}", &secret[secret.len() - 4..]));
        assert_eq!(cert["sending_supported"], true);
        assert!(cert.get("app_secret").is_none());
        assert_eq!(cert["click_action"], "open_intent");
        assert_eq!(cert["click_intent"], "intent:#Intent;component=com.example.im/.ChatActivity;end");
        assert_eq!(cert["channel_id"], "im_message");

        let effective = after_activation(&app, id, "effective").await;
        assert_eq!(effective["id"], id);
        let list = json_of(app.get(CERTS).await, StatusCode::OK).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["status"], "effective");

        // The background announcer writes "became effective" once.
        eventually("a certificate_effective event", Duration::from_secs(20), || async {
            audit_actions(&app).await.contains(&"certificate_effective".to_owned()).then_some(())
        })
        .await;
        let actions = audit_actions(&app).await;
        assert_eq!(actions.iter().filter(|a| *a == "certificate_effective").count(), 1);
        assert!(actions.contains(&"certificate_created".to_owned()));

        // At rest the secret is sealed.
        let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
        let (stored,): (String,) = sqlx::query_as("SELECT secret FROM certificate_versions")
            .fetch_one(&mut db).await.unwrap();
        assert!(stored.starts_with("v1.") && !stored.contains(&secret), "{stored}");
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "3600")]
    async fn an_edit_keeps_the_id_and_waits_again_while_the_old_version_serves(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let cert = json_of(app.post(CERTS, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::CREATED).await;
        let id = cert["id"].as_i64().unwrap();
        after_activation(&app, id, "effective").await;

        // What GET answers can be PUT back as is, and then nothing changes.
        let read = json_of(app.get(&format!("{CERTS}/{id}")).await, StatusCode::OK).await;
        let unchanged = json_of(app.put(&format!("{CERTS}/{id}"), read).await, StatusCode::OK).await;
        assert_eq!(unchanged["status"], "effective");
        assert_eq!(unchanged["click_action"], "open_intent");
        let mut same = xiaomi("com.example.im", &app_id, "");

        // An empty secret keeps the stored one: the check still passes against the sandbox.
        same["channel_id"] = json!("im_chat");
        let edited = json_of(app.put(&format!("{CERTS}/{id}"), same).await, StatusCode::OK).await;
        assert_eq!(edited["id"], id);
        assert_eq!(edited["channel_id"], "im_chat");
        assert_eq!(edited["status"], "pending");
        assert_eq!(edited["previous_version_serving"], true);
        assert_eq!(edited["check"]["state"], "passed", "{edited}");
        let again = after_activation(&app, id, "effective").await;
        assert_eq!(again["previous_version_serving"], false);
        assert_eq!(again["channel_id"], "im_chat");
        assert!(audit_actions(&app).await.contains(&"certificate_edited".to_owned()));
        // Only the serving version is kept.
        assert_eq!(count(&app, "certificate_versions").await, 2);

        // The vendor of a saved certificate is fixed.
        let mut other = xiaomi("com.example.im", &app_id, "");
        other["vendor"] = json!("huawei");
        assert_error(app.put(&format!("{CERTS}/{id}"), other).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("vendor")).await;
        assert_error(app.put(&format!("{CERTS}/999"), xiaomi("com.example.im", &app_id, "")).await, StatusCode::NOT_FOUND, "not_found", None).await;
    }

    async fn a_wrong_secret_or_package_marks_the_certificate_invalid(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let wrong = json_of(app.post(CERTS, xiaomi("com.example.im", &app_id, "d3Jvbmctc2VjcmV0")).await, StatusCode::CREATED).await;
        assert_eq!(wrong["status"], "invalid");
        assert_eq!(wrong["check"]["state"], "invalid");
        assert_eq!(wrong["check"]["code"], 21301);
        assert_eq!(wrong["check"]["detail"], "Invalid application secret.");
        assert!(!wrong["check"]["fix"]["zh"].as_str().unwrap().is_empty());
        assert!(!wrong["check"]["meaning"]["en"].as_str().unwrap().is_empty());
        assert!(audit_actions(&app).await.contains(&"certificate_invalid".to_owned()));

        // The right secret with another package: the sandbox refuses the package (22022).
        let package = json_of(app.post(CERTS, xiaomi("com.example.other", &app_id, &secret)).await, StatusCode::CREATED).await;
        assert_eq!(package["status"], "invalid");
        assert_eq!(package["check"]["code"], 22022);

        // Fixing the secret by an edit makes it valid (pending, then effective).
        let id = wrong["id"].as_i64().unwrap();
        let fixed = json_of(app.put(&format!("{CERTS}/{id}"), xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::OK).await;
        assert_eq!(fixed["status"], "pending");
        assert_eq!(fixed["check"]["state"], "passed");
        assert_eq!(fixed["previous_version_serving"], false);
    }

    #[env("PUSHDESK_MIPUSH_BASE_URL" = "http://127.0.0.1:9")]
    async fn an_unreachable_mipush_saves_the_certificate_with_a_warning(app) {
        android_app(&app).await;
        let mut body = xiaomi("com.example.im", "2882303761517473625", "Zm9vYmFyYmF6cXV4MTIzNA==");
        body["region"] = json!("china");
        let started = Instant::now();
        let cert = json_of(app.post(CERTS, body).await, StatusCode::CREATED).await;
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(cert["status"], "pending");
        assert_eq!(cert["check"]["state"], "unverified");
        assert!(cert["check"]["detail"].as_str().unwrap().contains("reach"), "{cert}");
        assert_eq!(cert["check"]["code"], Value::Null);
    }

    async fn every_vendor_is_stored_and_only_xiaomi_is_checked(app) {
        android_app(&app).await;
        let service_account = json!({
            "type": "service_account",
            "project_id": "im-demo",
            "private_key_id": "4f1c9a0b2d",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n",
            "client_email": "push@im-demo.iam.gserviceaccount.com"
        }).to_string();
        let bodies = [
            json!({"vendor": "huawei", "package_name": "com.example.im", "app_id": "104523456", "app_secret": "huawei-app-secret-0123", "badge_class": "com.example.im.MainActivity"}),
            json!({"vendor": "honor", "app_id": "104412345", "client_id": "1044123456", "client_secret": "honor-client-secret"}),
            json!({"vendor": "oppo", "app_key": "a1b2c3d4e5f6", "app_id": "30012345", "master_secret": "0123456789abcdef0123", "channel_id": "tuikit"}),
            json!({"vendor": "vivo", "app_key": "b2c3d4e5-f6a7", "app_id": "105512", "app_secret": "vivo-secret-12345"}),
            json!({"vendor": "meizu", "package_name": "com.example.im", "app_id": "132456", "app_secret": "meizu-secret-0123456789"}),
            json!({"vendor": "fcm", "service_account": service_account}),
        ];
        for body in bodies {
            let cert = json_of(app.post(CERTS, body.clone()).await, StatusCode::CREATED).await;
            assert_eq!(cert["vendor"], body["vendor"]);
            assert_eq!(cert["check"]["state"], "not_applicable", "{cert}");
            assert_eq!(cert["sending_supported"], false);
            assert_eq!(cert["status"], "pending");
        }
        let list = json_of(app.get(CERTS).await, StatusCode::OK).await;
        let fcm = list.as_array().unwrap().iter().find(|c| c["vendor"] == "fcm").unwrap();
        assert_eq!(fcm["project_id"], "im-demo");
        assert_eq!(fcm["secret_masked"], "****0b2d");
        let oppo = list.as_array().unwrap().iter().find(|c| c["vendor"] == "oppo").unwrap();
        assert_eq!(oppo["secret_masked"], "****0123");
        assert_eq!(oppo["channel_id"], "tuikit");
        // Certificate IDs are distinct and increasing.
        let ids: Vec<i64> = list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    async fn one_certificate_per_package_and_deleted_ids_are_never_reused(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let first = json_of(app.post(CERTS, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::CREATED).await;
        let id = first["id"].as_i64().unwrap();
        let body = assert_error(app.post(CERTS, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::CONFLICT, "conflict", Some("package_name")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains(&id.to_string()), "{body}");
        // The same package under another vendor is another certificate.
        let huawei = json!({"vendor": "huawei", "package_name": "com.example.im", "app_id": "104523456", "app_secret": "huawei-app-secret-0123"});
        let second = json_of(app.post(CERTS, huawei).await, StatusCode::CREATED).await;
        let second_id = second["id"].as_i64().unwrap();
        assert!(second_id > id);

        // Delete the newest, then add again: a new, higher ID.
        assert_eq!(app.client.delete(app.url(&format!("{CERTS}/{second_id}"))).send().await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_error(app.get(&format!("{CERTS}/{second_id}")).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_error(app.client.delete(app.url(&format!("{CERTS}/{second_id}"))).send().await.unwrap(), StatusCode::NOT_FOUND, "not_found", None).await;
        let huawei = json!({"vendor": "huawei", "package_name": "com.example.im", "app_id": "104523456", "app_secret": "huawei-app-secret-0123"});
        let third = json_of(app.post(CERTS, huawei).await, StatusCode::CREATED).await;
        assert!(third["id"].as_i64().unwrap() > second_id, "{third}");
        assert!(audit_actions(&app).await.contains(&"certificate_deleted".to_owned()));
        // A deleted certificate's secrets are gone.
        let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
        let (left,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM certificate_versions WHERE certificate_id = {second_id}"))
            .fetch_one(&mut db).await.unwrap();
        assert_eq!(left, 0);
    }

    async fn only_owners_and_admins_change_certificates(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let cert = json_of(app.post(CERTS, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::CREATED).await;
        let path = format!("{CERTS}/{}", cert["id"]);
        for role in ["developer", "viewer"] {
            let user = app.create_user(&format!("a{role}"), role).await;
            assert_eq!(user.get(CERTS).await.status(), StatusCode::OK);
            assert_eq!(user.get(&path).await.status(), StatusCode::OK);
            assert_error(user.post(CERTS, xiaomi("com.example.two", &app_id, &secret)).await, StatusCode::FORBIDDEN, "forbidden", None).await;
            assert_error(user.put(&path, xiaomi("com.example.im", &app_id, &secret)).await, StatusCode::FORBIDDEN, "forbidden", None).await;
            assert_error(user.client.delete(user.url(&path)).send().await.unwrap(), StatusCode::FORBIDDEN, "forbidden", None).await;
        }
        let admin = app.create_user("anadmin", "admin").await;
        let res = admin.post(CERTS, json!({"vendor": "vivo", "app_key": "b2c3d4e5", "app_id": "105512", "app_secret": "vivo-secret-12345"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(count(&app, "push_certificates").await, 2);
    }

    async fn bad_input_on_every_field_is_refused_and_nothing_is_written(app) {
        android_app(&app).await;
        let good = xiaomi("com.example.im", "2882303761517473625", "Zm9vYmFyYmF6cXV4MTIzNA==");
        let long = "x".repeat(257);
        let cases: Vec<(&str, Value, &str)> = vec![
            ("vendor", json!("nokia"), "vendor"),
            ("vendor", json!(null), "vendor"),
            ("package_name", json!("example"), "package_name"),
            ("package_name", json!(""), "package_name"),
            ("package_name", json!("com.1example"), "package_name"),
            ("app_id", json!("28823037x"), "app_id"),
            ("app_id", json!(""), "app_id"),
            ("app_secret", json!(""), "app_secret"),
            ("app_secret", json!("has a space"), "app_secret"),
            ("app_secret", json!(long), "app_secret"),
            ("region", json!("mars"), "region"),
            ("channel_id", json!("bad channel"), "channel_id"),
            ("click_action", json!("open_door"), "click_action"),
            ("click_intent", json!("com.example.im.ChatActivity"), "click_intent"),
        ];
        for (name, value, field) in cases {
            let mut body = good.clone();
            body[name] = value.clone();
            assert_error(app.post(CERTS, body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field)).await;
        }
        let mut url = good.clone();
        url["click_action"] = json!("open_url");
        url["click_url"] = json!("ftp://example.com");
        assert_error(app.post(CERTS, url).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("click_url")).await;
        let others = [
            (json!({"vendor": "oppo", "app_key": "a b", "app_id": "30012345", "master_secret": "0123456789abcdef", "channel_id": "tuikit"}), "app_key"),
            (json!({"vendor": "oppo", "app_key": "a1b2c3d4", "app_id": "30012345", "master_secret": "0123456789abcdef"}), "channel_id"),
            (json!({"vendor": "oppo", "app_key": "a1b2c3d4", "app_id": "30012345", "channel_id": "tuikit"}), "master_secret"),
            (json!({"vendor": "honor", "app_id": "104412345", "client_id": "", "client_secret": "honor-client-secret"}), "client_id"),
            (json!({"vendor": "huawei", "package_name": "com.example.im", "app_id": "104523456", "app_secret": "huawei-app-secret", "badge_class": "Main Activity"}), "badge_class"),
            (json!({"vendor": "fcm", "service_account": "{\"project_id\": \"p\"}"}), "service_account"),
            (json!({"vendor": "fcm", "service_account": "not json"}), "service_account"),
        ];
        for (body, field) in others {
            assert_error(app.post(CERTS, body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field)).await;
        }
        // Malformed bodies: a clear 400.
        let mut numeric = good.clone();
        numeric["app_id"] = json!(2882303761517473625u64);
        assert_error(app.post(CERTS, numeric).await, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        let res = app.client.post(app.url(CERTS)).body("vendor=xiaomi").send().await.unwrap();
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_body", None).await;
        // Unknown app, malformed ids.
        assert_error(app.post("/api/v1/apps/1400009999/certificates", good.clone()).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_error(app.get(&format!("{CERTS}/abc")).await, StatusCode::NOT_FOUND, "not_found", None).await;
        assert_error(app.get(&format!("{CERTS}/0")).await, StatusCode::NOT_FOUND, "not_found", None).await;

        assert_eq!(count(&app, "push_certificates").await, 0);
        assert_eq!(count(&app, "certificate_versions").await, 0);
        assert_eq!(json_of(app.get(CERTS).await, StatusCode::OK).await, json!([]));
    }

    async fn an_app_without_android_gets_no_certificate(app) {
        app.with_owner().await;
        app.post("/api/v1/apps", json!({"name": "No Android"})).await;
        let res = app.client.post(app.url(CERTS))
            .header("Accept-Language", "zh-CN")
            .json(&xiaomi("com.example.im", "2882303761517473625", "Zm9vYmFyYmF6cXV4MTIzNA=="))
            .send().await.unwrap();
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some("platforms")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("基础配置"), "{body}");
        assert_eq!(count(&app, "push_certificates").await, 0);
    }

    async fn the_console_form_saves_through_the_same_rules(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let form = |package: &str| vec![
            ("sdkappid", "1400000001".to_owned()),
            ("id", String::new()),
            ("draft[vendor]", "xiaomi".to_owned()),
            ("draft[package_name]", package.to_owned()),
            ("draft[app_id]", app_id.clone()),
            ("draft[app_secret]", secret.clone()),
            ("draft[region]", "sandbox".to_owned()),
            ("draft[channel_id]", String::new()),
            ("draft[click_action]", "open_app".to_owned()),
            ("draft[click_url]", String::new()),
            ("draft[click_intent]", String::new()),
        ];
        let res = app.client.post(app.url("/fn/save_certificate")).form(&form("example")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["field"], "package_name", "{body}");
        let res = app.client.post(app.url("/fn/save_certificate")).form(&form("com.example.im")).send().await.unwrap();
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
        let list = json_of(app.get(CERTS).await, StatusCode::OK).await;
        assert_eq!(list[0]["channel_id"], Value::Null);
        assert_eq!(list[0]["check"]["state"], "passed");
        // Editing through the form with an empty secret keeps it.
        let id = list[0]["id"].as_i64().unwrap().to_string();
        let mut edit = form("com.example.im");
        edit[1] = ("id", id.clone());
        edit[5] = ("draft[app_secret]", String::new());
        edit[7] = ("draft[channel_id]", "im_chat".to_owned());
        let res = app.client.post(app.url("/fn/save_certificate")).form(&edit).send().await.unwrap();
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
        let cert = json_of(app.get(&format!("{CERTS}/{id}")).await, StatusCode::OK).await;
        assert_eq!(cert["channel_id"], "im_chat");
        assert_eq!(cert["check"]["state"], "passed");
    }

    async fn no_secret_leaves_the_server(app) {
        android_app(&app).await;
        let (app_id, secret) = sandbox_credentials(&app, "com.example.im").await;
        let private_key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
        let master = "oppo-master-secret-7f3e9c";
        let mut seen = String::new();
        let mut keep = |text: String| seen.push_str(&text);
        let fcm = json!({"vendor": "fcm", "service_account": json!({
            "type": "service_account", "project_id": "im-demo", "private_key_id": "k1",
            "private_key": private_key, "client_email": "push@im-demo.iam.gserviceaccount.com"}).to_string()});
        let oppo = json!({"vendor": "oppo", "app_key": "a1b2c3d4e5", "app_id": "30012345", "master_secret": master, "channel_id": "tuikit"});
        let wrong = xiaomi("com.example.wrong", &app_id, "wrong-secret-a1b2c3");
        for body in [xiaomi("com.example.im", &app_id, &secret), fcm, oppo, wrong] {
            keep(app.post(CERTS, body).await.text().await.unwrap());
        }
        keep(app.put(&format!("{CERTS}/1"), xiaomi("com.example.im", &app_id, &secret)).await.text().await.unwrap());
        keep(app.get(CERTS).await.text().await.unwrap());
        keep(app.get(&format!("{CERTS}/1")).await.text().await.unwrap());
        keep(app.get("/api/v1/audit?limit=200").await.text().await.unwrap());
        keep(app.client.post(app.url("/fn/list_certificates")).form(&[("sdkappid", "1400000001")]).send().await.unwrap().text().await.unwrap());
        for page in ["/apps/1400000001/push", "/apps/1400000001/push?edit=1", "/apps/1400000001/push?edit=3"] {
            let html = app.get(page).await.text().await.unwrap();
            assert!(html.contains("com.example.im"), "{page} did not render the list");
            keep(html);
        }
        let logs = captured_logs();
        for needle in [secret.as_str(), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7", master, "wrong-secret-a1b2c3"] {
            assert!(!seen.contains(needle), "a response carries a secret");
            assert!(!logs.contains(needle), "the log carries a secret");
        }
        assert!(seen.contains(&format!("****{}", &secret[secret.len() - 4..])));
    }
}
