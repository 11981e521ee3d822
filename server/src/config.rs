//! Settings from the environment, optionally from a TOML file with the same keys
//! (`PUSHDESK_CONFIG`, default `pushdesk.toml` when present); the environment wins.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use leptos::config::{Env, LeptosOptions};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub addr: SocketAddr,
    pub sandbox: bool,
    pub cert_activation_delay: Duration,
    pub secret_key_file: PathBuf,
    pub mipush_base_url: Option<String>,
    /// How long one MiPush call may take before it counts as failed and is retried (10 s).
    pub mipush_timeout: Duration,
    /// The most receivers a `/v4` batchsendmsg takes (Tencent's limit, 500, by default).
    pub batchsend_max: usize,
    /// Whether this instance sends queued offline pushes (off: it serves requests only, and
    /// other instances on the same database send).
    pub outbox_worker: bool,
    /// Where the vendors reach this deployment (`https://push.example.com`): receipts are asked
    /// for and received only when it is set.
    pub public_url: Option<String>,
    pub session: SessionSettings,
    pub leptos: LeptosOptions,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// SQLite only: wait for the disk at every commit (`full`, the default: a committed push
    /// decision survives a power cut) or only at checkpoints (`normal`: survives a crash of the
    /// process, not of the machine; several times the write rate).
    pub sqlite_sync_full: bool,
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// Signed-in sessions end after this long without a request.
    pub idle_timeout: Duration,
    /// Send the cookie over HTTPS only; on behind a TLS-terminating proxy.
    pub secure_cookie: bool,
}

const KEYS: [&str; 17] = [
    "DATABASE_URL",
    "PUSHDESK_ADDR",
    "PUSHDESK_SANDBOX",
    "PUSHDESK_CERT_ACTIVATION_DELAY",
    "PUSHDESK_SECRET_KEY_FILE",
    "PUSHDESK_MIPUSH_BASE_URL",
    "PUSHDESK_MIPUSH_TIMEOUT_MS",
    "PUSHDESK_SESSION_IDLE_SECS",
    "PUSHDESK_SECURE_COOKIE",
    "PUSHDESK_DB_MAX_CONNECTIONS",
    "PUSHDESK_BATCHSEND_MAX",
    "PUSHDESK_SQLITE_SYNC",
    "PUSHDESK_OUTBOX_WORKER",
    "PUSHDESK_PUBLIC_URL",
    "LEPTOS_SITE_ROOT",
    "LEPTOS_SITE_PKG_DIR",
    "LEPTOS_ENV",
];

impl Settings {
    /// Reads the process environment and the optional TOML file.
    pub fn load() -> anyhow::Result<Self> {
        let mut vars = read_file_vars()?;
        for key in KEYS {
            if let Ok(v) = std::env::var(key) {
                vars.insert(key.to_owned(), v);
            }
        }
        Self::from_vars(&vars)
    }

    /// Builds settings from `KEY → value` pairs; every key has a default.
    pub fn from_vars(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        let get = |k: &str| vars.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let addr: SocketAddr = get("PUSHDESK_ADDR")
            .unwrap_or("127.0.0.1:3000")
            .parse()
            .context("PUSHDESK_ADDR must be an address such as 127.0.0.1:3000")?;
        let delay = parse_u64(
            get("PUSHDESK_CERT_ACTIVATION_DELAY"),
            600,
            "PUSHDESK_CERT_ACTIVATION_DELAY",
        )?;
        let idle = parse_u64(
            get("PUSHDESK_SESSION_IDLE_SECS"),
            12 * 3600,
            "PUSHDESK_SESSION_IDLE_SECS",
        )?;
        let max_connections = parse_u64(
            get("PUSHDESK_DB_MAX_CONNECTIONS"),
            10,
            "PUSHDESK_DB_MAX_CONNECTIONS",
        )?;
        let sqlite_sync_full = match get("PUSHDESK_SQLITE_SYNC").map(str::to_ascii_lowercase) {
            None => true,
            Some(v) if v == "full" => true,
            Some(v) if v == "normal" => false,
            Some(_) => bail!("PUSHDESK_SQLITE_SYNC must be full or normal"),
        };
        let mipush_timeout_ms = parse_u64(
            get("PUSHDESK_MIPUSH_TIMEOUT_MS"),
            10_000,
            "PUSHDESK_MIPUSH_TIMEOUT_MS",
        )?;
        if !(100..=120_000).contains(&mipush_timeout_ms) {
            bail!("PUSHDESK_MIPUSH_TIMEOUT_MS must be between 100 and 120000");
        }
        let batchsend_max =
            parse_u64(get("PUSHDESK_BATCHSEND_MAX"), 500, "PUSHDESK_BATCHSEND_MAX")?;
        if !(1..=100_000).contains(&batchsend_max) {
            bail!("PUSHDESK_BATCHSEND_MAX must be between 1 and 100000");
        }
        let env = match get("LEPTOS_ENV") {
            Some(v) if v.eq_ignore_ascii_case("dev") || v.eq_ignore_ascii_case("development") => {
                Env::DEV
            }
            _ => Env::PROD,
        };
        let leptos = LeptosOptions::builder()
            .output_name("pushdesk")
            .site_root(get("LEPTOS_SITE_ROOT").unwrap_or("target/site"))
            .site_pkg_dir(get("LEPTOS_SITE_PKG_DIR").unwrap_or("pkg"))
            .site_addr(addr)
            .env(env)
            .build();
        Ok(Self {
            database: DatabaseSettings {
                url: get("DATABASE_URL")
                    .unwrap_or("sqlite://data/pushdesk.db?mode=rwc")
                    .to_owned(),
                max_connections: max_connections.clamp(1, 1000) as u32,
                sqlite_sync_full,
            },
            addr,
            sandbox: parse_flag(get("PUSHDESK_SANDBOX"), "PUSHDESK_SANDBOX")?,
            cert_activation_delay: Duration::from_secs(delay),
            secret_key_file: PathBuf::from(
                get("PUSHDESK_SECRET_KEY_FILE").unwrap_or("data/secret.key"),
            ),
            mipush_base_url: get("PUSHDESK_MIPUSH_BASE_URL").map(str::to_owned),
            mipush_timeout: Duration::from_millis(mipush_timeout_ms),
            batchsend_max: batchsend_max as usize,
            outbox_worker: match get("PUSHDESK_OUTBOX_WORKER") {
                None => true,
                v => parse_flag(v, "PUSHDESK_OUTBOX_WORKER")?,
            },
            public_url: public_url(get("PUSHDESK_PUBLIC_URL"))?,
            session: SessionSettings {
                idle_timeout: Duration::from_secs(idle),
                secure_cookie: parse_flag(get("PUSHDESK_SECURE_COOKIE"), "PUSHDESK_SECURE_COOKIE")?,
            },
            leptos,
        })
    }
}

/// `PUSHDESK_PUBLIC_URL`: an http(s) origin, maybe with a path, without a trailing slash.
fn public_url(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !raw.contains(['?', '#', ' ']) =>
        {
            Ok(Some(raw.trim_end_matches('/').to_owned()))
        }
        _ => bail!(
            "PUSHDESK_PUBLIC_URL must be an http:// or https:// URL without query or fragment \
             (e.g. https://push.example.com), not {raw:?}"
        ),
    }
}

fn read_file_vars() -> anyhow::Result<HashMap<String, String>> {
    let (path, required) = match std::env::var("PUSHDESK_CONFIG") {
        Ok(p) => (PathBuf::from(p), true),
        Err(_) => (PathBuf::from("pushdesk.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(HashMap::new());
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut vars = HashMap::new();
    for (k, v) in table {
        let key = k.to_ascii_uppercase();
        if !KEYS.contains(&key.as_str()) {
            bail!(
                "{}: unknown key `{k}` (known: {})",
                path.display(),
                KEYS.join(", ")
            );
        }
        let value = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => if b { "1" } else { "0" }.to_owned(),
            other => bail!(
                "{}: `{k}` must be a string, number or boolean, not {other}",
                path.display()
            ),
        };
        vars.insert(key, value);
    }
    Ok(vars)
}

fn parse_u64(raw: Option<&str>, default: u64, key: &str) -> anyhow::Result<u64> {
    raw.map_or(Ok(default), |s| {
        s.parse()
            .with_context(|| format!("{key} must be a whole number of seconds, not `{s}`"))
    })
}

fn parse_flag(raw: Option<&str>, key: &str) -> anyhow::Result<bool> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => bail!("{key} must be 1 or 0, not `{other}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_setting_has_a_default() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.database.url, "sqlite://data/pushdesk.db?mode=rwc");
        assert_eq!(s.cert_activation_delay, Duration::from_secs(600));
        assert!(!s.sandbox);
        assert_eq!(&*s.leptos.site_root, "target/site");
        assert_eq!(&*s.leptos.output_name, "pushdesk");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Settings::from_vars(&vars(&[("PUSHDESK_SANDBOX", "maybe")])).unwrap_err();
        assert!(e.to_string().contains("PUSHDESK_SANDBOX"), "{e}");
        let e =
            Settings::from_vars(&vars(&[("PUSHDESK_CERT_ACTIVATION_DELAY", "10m")])).unwrap_err();
        assert!(
            e.to_string().contains("PUSHDESK_CERT_ACTIVATION_DELAY"),
            "{e}"
        );
        let e = Settings::from_vars(&vars(&[("PUSHDESK_ADDR", "localhost")])).unwrap_err();
        assert!(format!("{e:#}").contains("PUSHDESK_ADDR"), "{e}");
        for bad in ["push.example.com", "ftp://x", "https://", "https://x/?a=1"] {
            let e = Settings::from_vars(&vars(&[("PUSHDESK_PUBLIC_URL", bad)])).unwrap_err();
            assert!(e.to_string().contains("PUSHDESK_PUBLIC_URL"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_public_url_is_kept_without_its_trailing_slash() {
        let s = Settings::from_vars(&vars(&[(
            "PUSHDESK_PUBLIC_URL",
            "https://push.example.com/",
        )]))
        .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://push.example.com"));
        assert_eq!(
            Settings::from_vars(&HashMap::new()).unwrap().public_url,
            None
        );
    }
}
