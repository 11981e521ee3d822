//! Middleware that keeps the console's doors: which page a visitor may see, and that state
//! changes come from this site.

use app::api::AuthBackend;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tower_sessions::Session;

use super::AppState;
use app::api::SESSION_USER_KEY;
use app::domain::AppError;

/// Sends visitors to the page they may see: setup while no user exists (and never again after),
/// sign-in without a session, the apps once signed in.
pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if req.method() != Method::GET || !is_page(path) {
        return next.run(req).await;
    }
    let unavailable = || (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    let needs_setup = match state.services.needs_setup().await {
        Ok(v) => v,
        Err(_) => return unavailable(),
    };
    if needs_setup {
        return if path == "/setup" {
            next.run(req).await
        } else {
            Redirect::to("/setup").into_response()
        };
    }
    if path == "/setup" {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let signed_in = match req.extensions().get::<Session>() {
        // A session or user that cannot be read is an outage, not a signed-out visitor.
        Some(session) => match session.get::<i64>(SESSION_USER_KEY).await {
            Ok(Some(id)) => match state.services.active_user(id).await {
                Ok(_) => true,
                Err(AppError::Unavailable) => return unavailable(),
                Err(_) => false,
            },
            Ok(None) => false,
            Err(_) => return unavailable(),
        },
        None => false,
    };
    match (signed_in, path) {
        (false, "/signin") => next.run(req).await,
        (false, _) => Redirect::to("/signin").into_response(),
        (true, "/signin" | "/") => Redirect::to("/apps").into_response(),
        (true, _) => next.run(req).await,
    }
}

/// Console pages, as opposed to assets, server functions and APIs.
fn is_page(path: &str) -> bool {
    const NOT_PAGES: [&str; 10] = [
        "/fn/",
        "/api/",
        "/pkg/",
        "/locale/",
        "/receipts/",
        "/sandbox/",
        "/sdk/",
        "/v4/",
        "/healthz",
        "/metrics",
    ];
    let last = path.rsplit('/').next().unwrap_or("");
    !NOT_PAGES.iter().any(|p| path.starts_with(p)) && !last.contains('.')
}

/// Refuses cross-site state changes. Browsers name the page's origin on every POST; it must be
/// this host. Requests with a Bearer token carry no ambient credential and pass.
pub async fn same_origin(req: Request<Body>, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    // The sandbox, the client SDK API, the REST API and the vendors' receipts carry their own
    // credentials, never the console's cookie, so a request from any origin is as safe as one
    // from none.
    let path = req.uri().path();
    let own_credentials = ["/sandbox/", "/sdk/", "/v4/", "/receipts/"]
        .iter()
        .any(|p| path.starts_with(p));
    if safe || bearer || own_credentials {
        return next.run(req).await;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match (origin, fetch_site) {
        (Some(origin), _) => host.is_some_and(|h| origin_matches(origin, h)),
        (None, Some(site)) => matches!(site, "same-origin" | "none"),
        // Neither header: not a browser, so no cookie was sent on someone else's behalf.
        (None, None) => true,
    };
    if allowed {
        next.run(req).await
    } else {
        let body = r#"{"error":{"code":"cross_site","message":"cross-site request refused"}}"#;
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

fn origin_matches(origin: &str, host: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host)
}

/// A fresh value per response that the page's own inline scripts (the hydration starter, the
/// data rendered with the page) carry, so the policy allows them and nothing injected.
#[derive(Clone, Debug)]
pub struct ScriptNonce(pub String);

/// What every answer tells the browser: no sniffing, no framing, no referrer to other sites, and
/// a content policy that loads scripts, WASM, styles and connections from this site only, inline
/// scripts only with this response's [`ScriptNonce`].
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = STANDARD.encode(crate::crypto::random_bytes(18));
    req.extensions_mut().insert(ScriptNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    if let Ok(policy) = header::HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    res
}

/// Scripts: the site's own files, its WASM, and inline scripts with this response's nonce.
fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_told_from_assets_and_apis() {
        assert!(is_page("/apps/1400000001"));
        assert!(is_page("/"));
        assert!(!is_page("/pkg/pushdesk.wasm"));
        assert!(!is_page("/favicon.ico"));
        assert!(!is_page("/api/v1/apps"));
        assert!(!is_page("/fn/sign_in"));
    }

    #[test]
    fn origins_must_name_this_host() {
        assert!(origin_matches("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(!origin_matches("http://evil.example", "127.0.0.1:3000"));
        assert!(!origin_matches("null", "127.0.0.1:3000"));
    }
}
