//! Security as tests: every admin mutation refused to viewers and developers (table-driven, the
//! API and the console's server functions), and the headers every answer carries.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_engines;
use crate::support::{OWNER, TestApp, im_fixture};

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
