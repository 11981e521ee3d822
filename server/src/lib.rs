//! The pushdesk server: axum wiring, sessions, store, services and the command line.

pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dispatch;
pub mod http;
pub mod metrics;
pub mod passwords;
pub mod sandbox;
pub mod services;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod vendors;

/// rustls with ring for every HTTPS client in the process (reqwest is built without a default
/// provider). Idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Seconds since the Unix epoch by the system clock; the services read it through
/// [`clock::Clock`], which tests can move forward.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
