//! Every HTTP edge: the console (Leptos pages and server functions), `/api/v1`, the client
//! SDK's `/sdk/v1`, the Tencent-compatible `/v4`, the vendors' `/receipts`, the small routes, and
//! where the MiPush sandbox is mounted. Edges only extract, call one service and map the answer.

mod api_v1;
mod extract;
mod guard;
mod misc;
mod receipts;
mod sdk_v1;
mod state;
mod v4;

pub use state::AppState;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::{Extensions, HeaderMap, StatusCode, Version};
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::services::ServeDir;

use crate::sandbox::Sandbox;

/// Everything but the session layer, which startup adds around it. The MiPush sandbox is
/// mounted only when given.
pub fn router(state: AppState, sandbox: Option<Sandbox>) -> Router {
    let routes = generate_route_list(app::App);
    let context = {
        let backend = state.backend();
        move || {
            provide_context(backend.clone());
            provide_script_nonce();
        }
    };
    let shell = {
        let options = state.leptos.clone();
        move || app::shell(options.clone())
    };
    let mut router = Router::new();
    if let Some(sandbox) = sandbox {
        router = router.nest("/sandbox/mipush", crate::sandbox::router(sandbox));
    }
    router
        .route("/healthz", get(misc::healthz))
        .route("/metrics", get(misc::metrics))
        .route("/locale/{lang}", get(misc::set_locale))
        .route("/fn/{*name}", post(server_fn))
        .nest("/api/v1", api_v1::router())
        .nest("/sdk/v1", sdk_v1::router())
        .nest("/v4", v4::router())
        .nest("/receipts", receipts::router())
        .nest_service("/pkg", site_files(&state.leptos))
        .leptos_routes_with_context(&state, routes, context, shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_script_nonce, app::shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard::pages))
        .layer(middleware::from_fn(guard::same_origin))
        .layer(middleware::from_fn(guard::security_headers))
        .layer(compression())
        .with_state(state)
}

/// Hands the response's script nonce (see [`guard::security_headers`]) to Leptos, which puts it
/// on every inline script of the page.
fn provide_script_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<guard::ScriptNonce>().cloned());
    if let Some(guard::ScriptNonce(nonce)) = nonce {
        provide_context(Nonce::from_value(nonce));
    }
}

/// `/pkg`: the browser's code and style, each sent in the brotli or gzip form the build stored
/// beside it when the browser accepts one.
fn site_files(options: &LeptosOptions) -> ServeDir {
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// Gzip for pages and API answers when the client accepts it; never for a WebSocket upgrade.
fn compression() -> CompressionLayer<impl Predicate> {
    let not_upgrade = |status: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| {
        status != StatusCode::SWITCHING_PROTOCOLS
    };
    CompressionLayer::new().compress_when(DefaultPredicate::new().and(not_upgrade))
}

async fn server_fn(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let backend = state.backend();
    handle_server_fns_with_context(move || provide_context(backend.clone()), req).await
}
