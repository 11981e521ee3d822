use serde::{Deserialize, Serialize};

/// Where a MiPush app's devices are served. Overseas devices must be reached through their
/// region's host (OFF-1696); "sandbox" is this server's own stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    China,
    Global,
    Europe,
    Russia,
    India,
    Sandbox,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Self::China,
        Self::Global,
        Self::Europe,
        Self::Russia,
        Self::India,
        Self::Sandbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::China => "china",
            Self::Global => "global",
            Self::Europe => "europe",
            Self::Russia => "russia",
            Self::India => "india",
            Self::Sandbox => "sandbox",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    /// The vendor's documented origin; `None` for the sandbox.
    pub fn official_origin(self) -> Option<&'static str> {
        match self {
            Self::China => Some("https://api.xmpush.xiaomi.com"),
            Self::Global => Some("https://sgp-api.xmpush.global.xiaomi.com"),
            Self::Europe => Some("https://fr-api.xmpush.global.xiaomi.com"),
            Self::Russia => Some("https://ru-api.xmpush.global.xiaomi.com"),
            Self::India => Some("https://idmb-api.xmpush.global.xiaomi.com"),
            Self::Sandbox => None,
        }
    }
}

/// Region → base URL, with the deployment's overrides.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `PUSHDESK_MIPUSH_BASE_URL`: one origin for every region (tests, proxies).
    pub override_origin: Option<String>,
    /// This server's sandbox, e.g. `http://127.0.0.1:3000/sandbox/mipush`.
    pub sandbox_base: String,
}

impl Endpoints {
    pub fn base(&self, region: Region) -> String {
        let base = match (&self.override_origin, region.official_origin()) {
            (Some(origin), _) => origin.as_str(),
            (None, Some(official)) => official,
            (None, None) => self.sandbox_base.as_str(),
        };
        base.trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_documented_hosts_unless_overridden() {
        let e = Endpoints {
            override_origin: None,
            sandbox_base: "http://127.0.0.1:3000/sandbox/mipush".into(),
        };
        assert_eq!(e.base(Region::China), "https://api.xmpush.xiaomi.com");
        assert_eq!(
            e.base(Region::Global),
            "https://sgp-api.xmpush.global.xiaomi.com"
        );
        assert_eq!(
            e.base(Region::Europe),
            "https://fr-api.xmpush.global.xiaomi.com"
        );
        assert_eq!(
            e.base(Region::Russia),
            "https://ru-api.xmpush.global.xiaomi.com"
        );
        assert_eq!(
            e.base(Region::India),
            "https://idmb-api.xmpush.global.xiaomi.com"
        );
        assert_eq!(
            e.base(Region::Sandbox),
            "http://127.0.0.1:3000/sandbox/mipush"
        );
        let o = Endpoints {
            override_origin: Some("http://mock:9/".into()),
            ..e
        };
        for r in Region::ALL {
            assert_eq!(o.base(r), "http://mock:9");
        }
        assert_eq!(Region::parse("europe"), Some(Region::Europe));
        assert_eq!(Region::parse("mars"), None);
    }
}
