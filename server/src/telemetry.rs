use tracing_subscriber::EnvFilter;

/// Structured logs to stderr; `RUST_LOG` filters (default: info for pushdesk, warn elsewhere).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,server=info,pushdesk=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
