/// Where a MiPush app's devices are served; the certificate's region.
pub use app::domain::XiaomiRegion as Region;

/// The vendor's documented origin of a region (OFF-1696: overseas devices must be reached
/// through their region's host); `None` for the sandbox, this server's own stand-in.
pub fn official_origin(region: Region) -> Option<&'static str> {
    match region {
        Region::China => Some("https://api.xmpush.xiaomi.com"),
        Region::Global => Some("https://sgp-api.xmpush.global.xiaomi.com"),
        Region::Europe => Some("https://fr-api.xmpush.global.xiaomi.com"),
        Region::Russia => Some("https://ru-api.xmpush.global.xiaomi.com"),
        Region::India => Some("https://idmb-api.xmpush.global.xiaomi.com"),
        Region::Sandbox => None,
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
        let base = match (&self.override_origin, official_origin(region)) {
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
        assert_eq!(Region::parse("europe"), Ok(Region::Europe));
        assert!(Region::parse("mars").is_err());
    }
}
