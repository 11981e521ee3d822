use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, Rule};

/// A client platform an IM app runs on (应用平台).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Android,
    Ios,
    Web,
    Windows,
    Macos,
    Linux,
    Miniprogram,
}

impl Platform {
    pub const FIELD: &'static str = "platforms";
    pub const ALL: [Platform; 7] = [
        Self::Android,
        Self::Ios,
        Self::Web,
        Self::Windows,
        Self::Macos,
        Self::Linux,
        Self::Miniprogram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
            Self::Web => "web",
            Self::Windows => "windows",
            Self::Macos => "macos",
            Self::Linux => "linux",
            Self::Miniprogram => "miniprogram",
        }
    }

    /// The label the console shows; the same in every language except the mini program.
    pub fn label(self, locale: crate::i18n::Locale) -> String {
        match self {
            Self::Android => "Android".into(),
            Self::Ios => "iOS".into(),
            Self::Web => "Web".into(),
            Self::Windows => "Windows".into(),
            Self::Macos => "macOS".into(),
            Self::Linux => "Linux".into(),
            Self::Miniprogram => t!("platform.miniprogram", locale = locale.as_str()).into_owned(),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                AppError::invalid(
                    Self::FIELD,
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|p| p.as_str().to_owned()).collect(),
                    },
                )
            })
    }

    /// A set of platforms from any list of names: de-duplicated and in canonical order.
    pub fn parse_set<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Self>, AppError> {
        let mut set = raw
            .iter()
            .map(|s| Self::parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        set.sort();
        set.dedup();
        Ok(set)
    }

    /// Stored form: comma-separated names in canonical order.
    pub fn join(set: &[Self]) -> String {
        set.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn split(stored: &str) -> Vec<Self> {
        stored
            .split(',')
            .filter_map(|s| Self::parse(s).ok())
            .collect()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_sets_are_canonical() {
        let set = Platform::parse_set(&["ios", "Android", "android"]).unwrap();
        assert_eq!(set, vec![Platform::Android, Platform::Ios]);
        assert_eq!(Platform::join(&set), "android,ios");
        assert_eq!(Platform::split("android,ios"), set);
        assert_eq!(Platform::split(""), vec![]);
        assert_eq!(
            Platform::parse("symbian").unwrap_err().field(),
            Some("platforms")
        );
    }
}
