//! Security as tests: every admin mutation refused to viewers and developers (table-driven, the
//! API and the console's server functions), the headers every answer carries, and no secret in
//! any page, answer or log line.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::offline::{drained_deliveries, offline_users, ok, text_msg, v4};
use crate::on_both_engines;
use crate::support::{OWNER, TestApp, captured_logs, im_fixture};

/// Every change only an owner or admin may make: (method, path, body).
fn admin_mutations(certificate_id: i64) -> Vec<(Method, String, Value)> {
    let app = "/api/v1/apps/1400000001";
    vec![
        (Method::POST, "/api/v1/apps".into(), json!({"name": "Nope"})),
        (
            Method::PUT,
            format!("{app}/platforms"),
            json!({"platforms": ["ios"]}),
        ),
        (
            Method::PUT,
            format!("{app}/login-policy"),
            json!({"devices_per_platform": 3}),
        ),
        (Method::POST, format!("{app}/secret-key/reveal"), json!({})),
        (
            Method::POST,
            format!("{app}/usersig"),
            json!({"identifier": "administrator"}),
        ),
        (
            Method::POST,
            format!("{app}/certificates"),
            json!({"vendor": "xiaomi", "package_name": "com.example.other", "app_id": "2882303761517000000",
                   "app_secret": "c2VjcmV0c2VjcmV0c2VjcmV0", "region": "china"}),
        ),
        (
            Method::PUT,
            format!("{app}/certificates/{certificate_id}"),
            json!({"vendor": "xiaomi", "package_name": "com.example.renamed", "region": "sandbox"}),
        ),
        (
            Method::DELETE,
            format!("{app}/certificates/{certificate_id}"),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"username": "eve", "password": "a long password", "role": "admin"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{OWNER}"),
            json!({"disabled": true}),
        ),
    ]
}

async fn call(app: &TestApp, method: &Method, path: &str, body: &Value) -> StatusCode {
    let mut req = app.client.request(method.clone(), app.url(path));
    if !body.is_null() {
        req = req.json(body);
    }
    req.send().await.unwrap().status()
}

on_both_engines! {
    async fn viewers_and_developers_are_refused_every_admin_mutation(app) {
        let f = im_fixture(&app, 0, None).await;
        let before: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        let audit_before: Value = app.get("/api/v1/audit").await.json().await.unwrap();
        for role in ["viewer", "developer"] {
            let user = app.create_user(&format!("{role}_user"), role).await;
            for (method, path, body) in admin_mutations(f.certificate_id) {
                assert_eq!(call(&user, &method, &path, &body).await, StatusCode::FORBIDDEN, "{role}: {method} {path}");
            }
        }
        // A viewer may not send test pushes either; a developer may try (and gets an answer).
        let viewer = app.create_user("viewer_two", "viewer").await;
        let push = json!({"certificate_id": f.certificate_id, "reg_ids": ["x"], "description": "hi"});
        assert_eq!(call(&viewer, &Method::POST, "/api/v1/apps/1400000001/test-push", &push).await, StatusCode::FORBIDDEN);
        // Nothing changed: the app, its certificate, the users (the three made here aside).
        let after: Value = app.get("/api/v1/apps/1400000001").await.json().await.unwrap();
        assert_eq!(before, after);
        assert_eq!(app.get(&format!("/api/v1/apps/1400000001/certificates/{}", f.certificate_id)).await.status(), StatusCode::OK);
        let apps: Value = app.get("/api/v1/apps").await.json().await.unwrap();
        assert_eq!(apps.as_array().unwrap().len(), 1);
        let users: Value = app.get("/api/v1/users").await.json().await.unwrap();
        assert_eq!(users.as_array().unwrap().len(), 4);
        let audit_after: Value = app.get("/api/v1/audit").await.json().await.unwrap();
        // The audit log gained the three users and their sign-ins, nothing else.
        let changes = |v: &Value| {
            v["items"].as_array().map_or(0, |a| {
                a.iter().filter(|e| e["action"] != "user_created" && e["action"] != "sign_in").count()
            })
        };
        assert_eq!(changes(&audit_before), changes(&audit_after));
    }

    #[env("PUSHDESK_CERT_ACTIVATION_DELAY" = "0")]
    async fn no_page_answer_or_log_line_carries_a_secret(app) {
        let (f, users) = offline_users(&app, 3).await;
        let sandbox: Value = app.get("/sandbox/mipush/apps").await.json().await.unwrap();
        let vendor_secret = sandbox[0]["app_secret"].as_str().unwrap().to_owned();
        // Traffic that uses both secrets: signed /v4 calls, offline pushes, a test push.
        let mut seen = String::new();
        let mut body = text_msg("x", "hello", 77);
        body["To_Account"] = json!(users);
        let sent = v4(&app, &f, "openim/batchsendmsg", body).await;
        ok(&sent);
        seen.push_str(&sent.to_string());
        seen.push_str(&v4(&app, &f, "openim/querystate", json!({"To_Account": users})).await.to_string());
        drained_deliveries(&app, 3).await;
        let test_push = json!({"certificate_id": f.certificate_id, "reg_ids": [f.reg_ids[0]], "description": "hi"});
        seen.push_str(&app.post("/api/v1/apps/1400000001/test-push", test_push).await.text().await.unwrap());

        // Every GET of the API (from its OpenAPI document), every console page, the metrics.
        let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let mut paths: Vec<String> = spec["paths"].as_object().unwrap().iter()
            .filter(|(_, ops)| ops.get("get").is_some())
            .map(|(p, _)| {
                let p = p.replace("{sdkappid}", "1400000001").replace("certificates/{id}", &format!("certificates/{}", f.certificate_id)).replace("{id}", "1");
                format!("/api/v1{p}?user_id={}", users[0])
            })
            .collect();
        for page in ["", "/push", &format!("/push?edit={}", f.certificate_id), "/test-push", "/records", "/phone",
                     &format!("/devices?user_id={}", users[0]), &format!("/diagnose?user_id={}", users[0])] {
            paths.push(format!("/apps/1400000001{page}"));
        }
        paths.extend(["/apps", "/users", "/tokens", "/audit", "/metrics"].map(String::from));
        for path in &paths {
            let res = app.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            seen.push_str(&res.text().await.unwrap());
        }
        assert!(seen.contains(&f.reg_ids[0]) && seen.contains("com.example.im"), "the crawl saw the app");
        let logs = captured_logs();
        for (name, secret) in [("the app's secret key", &f.key), ("the AppSecret", &vendor_secret)] {
            assert!(!seen.contains(secret.as_str()), "a page or answer carries {name}");
            assert!(!logs.contains(secret.as_str()), "the log carries {name}");
        }
    }

    async fn every_answer_carries_the_security_headers(app) {
        app.with_owner().await;
        for path in ["/signin", "/apps", "/api/v1/me", "/healthz", "/pkg/pushdesk.css", "/nope"] {
            let res = app.get(path).await;
            let h = res.headers();
            let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(get("x-frame-options"), "DENY", "{path}");
            assert_eq!(get("referrer-policy"), "same-origin", "{path}");
            let csp = get("content-security-policy");
            for rule in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "script-src 'self' 'nonce-"] {
                assert!(csp.contains(rule), "{path}: {csp}");
            }
            let scripts = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
            assert!(!scripts.contains("unsafe-inline"), "{path}: {csp}");
        }
    }

    async fn inline_scripts_run_only_with_the_nonce_of_their_own_response(app) {
        app.with_owner().await;
        let mut seen = Vec::new();
        for _ in 0..2 {
            let res = app.get("/apps").await;
            let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
            let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_owned();
            assert!(nonce.len() >= 22, "{csp}");
            let html = res.text().await.unwrap();
            let scripts = html.matches("<script").count();
            assert!(scripts >= 1, "{html}");
            // Every inline or module script of the page carries exactly this response's nonce.
            assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
            seen.push(nonce);
        }
        assert_ne!(seen[0], seen[1], "a nonce is never reused");
    }
}
