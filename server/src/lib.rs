//! The pushdesk server: axum wiring, sessions, store, services and the command line.

pub mod cli;
pub mod config;
pub mod crypto;
pub mod http;
pub mod passwords;
pub mod services;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod throttle;

/// Seconds since the Unix epoch: the one clock of the store and the audit log.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
