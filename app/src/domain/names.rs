//! Values that enter through forms and the API; each can only be built by parsing.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, Rule};

fn required_trimmed<'a>(field: &str, raw: &'a str) -> Result<&'a str, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, Rule::Required));
    }
    Ok(s)
}

fn bounded(field: &str, s: &str, min: usize, max: usize) -> Result<(), AppError> {
    let n = s.chars().count();
    if n < min {
        return Err(AppError::invalid(field, Rule::TooShort { min }));
    }
    if n > max {
        return Err(AppError::invalid(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// A console user's sign-in name: 3–32 of `a-z 0-9 . _ -`, starting with a letter, case-folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub const FIELD: &'static str = "username";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = required_trimmed(Self::FIELD, raw)?.to_lowercase();
        bounded(Self::FIELD, &s, 3, 32)?;
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !ok_chars || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(AppError::invalid(
                Self::FIELD,
                Rule::Charset {
                    allowed: "username".into(),
                },
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 10–128 characters (NIST SP 800-63B length rules; no composition rules).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const FIELD: &'static str = "password";
    pub const MIN: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.is_empty() {
            return Err(AppError::invalid(Self::FIELD, Rule::Required));
        }
        bounded(Self::FIELD, raw, Self::MIN, 128)?;
        Ok(Self(raw.to_owned()))
    }

    /// A new password typed twice.
    pub fn parse_confirmed(raw: &str, confirm: &str) -> Result<Self, AppError> {
        let p = Self::parse(raw)?;
        if raw != confirm {
            return Err(AppError::invalid("password_confirm", Rule::Mismatch));
        }
        Ok(p)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(****)")
    }
}

/// An IM app's display name: 1–40 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppName(String);

impl AppName {
    pub const FIELD: &'static str = "name";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = required_trimmed(Self::FIELD, raw)?;
        bounded(Self::FIELD, s, 1, 40)?;
        if s.chars().any(char::is_control) {
            return Err(AppError::invalid(
                Self::FIELD,
                Rule::Charset {
                    allowed: "printable".into(),
                },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A personal API token's label: 1–40 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenName(String);

impl TokenName {
    pub const FIELD: &'static str = "token_name";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = required_trimmed(Self::FIELD, raw)?;
        bounded(Self::FIELD, s, 1, 40)?;
        if s.chars().any(char::is_control) {
            return Err(AppError::invalid(
                Self::FIELD,
                Rule::Charset {
                    allowed: "printable".into(),
                },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Android application id such as `com.example.im`: at least two dot-separated segments,
/// each a letter followed by letters, digits or `_`; at most 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PackageName(String);

impl PackageName {
    pub const FIELD: &'static str = "package_name";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = required_trimmed(Self::FIELD, raw)?;
        bounded(Self::FIELD, s, 3, 255)?;
        let segment_ok = |seg: &str| {
            seg.starts_with(|c: char| c.is_ascii_alphabetic())
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let segments: Vec<&str> = s.split('.').collect();
        if segments.len() < 2 || !segments.iter().all(|seg| segment_ok(seg)) {
            return Err(AppError::invalid(
                Self::FIELD,
                Rule::Other {
                    key: "rule.package_name".into(),
                },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IM app's SDKAppID: a 10-digit number such as 1400000001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sdkappid(i64);

impl Sdkappid {
    pub const FIELD: &'static str = "sdkappid";
    pub const FIRST: Sdkappid = Sdkappid(1_400_000_001);

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = required_trimmed(Self::FIELD, raw)?;
        if s.len() != 10 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
            return Err(AppError::invalid(Self::FIELD, Rule::Digits { len: 10 }));
        }
        s.parse()
            .map(Self)
            .map_err(|_| AppError::invalid(Self::FIELD, Rule::Digits { len: 10 }))
    }

    pub fn from_i64(v: i64) -> Result<Self, AppError> {
        Self::parse(&v.to_string())
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Sdkappid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A positive integer from a path or a form; anything else names nothing there is.
fn positive(raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

/// A push certificate's ID: a positive integer, unique in the deployment, stable across edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CertificateId(i64);

impl CertificateId {
    /// Not found unless a positive integer.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        positive(raw).map(Self)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A push record's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(i64);

impl RecordId {
    /// Not found unless a positive integer.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        positive(raw).map(Self)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(e: AppError) -> Rule {
        match e {
            AppError::Invalid(f) => f.rule,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn ids_from_paths_are_positive_integers_or_not_found() {
        assert_eq!(CertificateId::parse(" 6297 ").unwrap().get(), 6297);
        assert_eq!(RecordId::parse("1").unwrap().get(), 1);
        for bad in [
            "",
            "0",
            "-1",
            "-3",
            "abc",
            "7x",
            "9223372036854775808",
            "99999999999999999999",
        ] {
            assert_eq!(
                CertificateId::parse(bad).unwrap_err(),
                AppError::NotFound,
                "{bad}"
            );
            assert_eq!(
                RecordId::parse(bad).unwrap_err(),
                AppError::NotFound,
                "{bad}"
            );
        }
    }

    #[test]
    fn usernames_are_folded_and_checked() {
        assert_eq!(Username::parse("  Alice_1 ").unwrap().as_str(), "alice_1");
        assert_eq!(rule(Username::parse("").unwrap_err()), Rule::Required);
        assert_eq!(
            rule(Username::parse("ab").unwrap_err()),
            Rule::TooShort { min: 3 }
        );
        assert!(matches!(
            rule(Username::parse("1abc").unwrap_err()),
            Rule::Charset { .. }
        ));
        assert!(matches!(
            rule(Username::parse("a b c").unwrap_err()),
            Rule::Charset { .. }
        ));
        assert_eq!(
            rule(Username::parse(&"a".repeat(33)).unwrap_err()),
            Rule::TooLong { max: 32 }
        );
    }

    #[test]
    fn passwords_need_length_and_a_matching_confirmation() {
        assert_eq!(
            rule(Password::parse("short").unwrap_err()),
            Rule::TooShort { min: 10 }
        );
        assert_eq!(
            Password::parse_confirmed("long enough pw", "long enough pX")
                .unwrap_err()
                .field(),
            Some("password_confirm")
        );
        assert!(Password::parse_confirmed("密码密码密码密码密码", "密码密码密码密码密码").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret-secret").unwrap()),
            "Password(****)"
        );
    }

    #[test]
    fn app_names_are_trimmed_and_bounded() {
        assert_eq!(AppName::parse(" 即时通信 ").unwrap().as_str(), "即时通信");
        assert_eq!(rule(AppName::parse("   ").unwrap_err()), Rule::Required);
        assert_eq!(
            rule(AppName::parse(&"名".repeat(41)).unwrap_err()),
            Rule::TooLong { max: 40 }
        );
        assert!(matches!(
            rule(AppName::parse("a\u{7}b").unwrap_err()),
            Rule::Charset { .. }
        ));
    }

    #[test]
    fn package_names_follow_androids_rule() {
        assert_eq!(
            PackageName::parse(" com.example.im ").unwrap().as_str(),
            "com.example.im"
        );
        assert_eq!(rule(PackageName::parse("").unwrap_err()), Rule::Required);
        for bad in [
            "example",
            "com..im",
            "com.1im",
            "com.ex-ample",
            "com.例子",
            ".com.x",
        ] {
            assert!(PackageName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sdkappids_have_ten_digits() {
        assert_eq!(Sdkappid::parse("1400000001").unwrap().get(), 1_400_000_001);
        assert_eq!(
            rule(Sdkappid::parse("140000000").unwrap_err()),
            Rule::Digits { len: 10 }
        );
        assert_eq!(
            rule(Sdkappid::parse("0400000001").unwrap_err()),
            Rule::Digits { len: 10 }
        );
        assert_eq!(
            rule(Sdkappid::parse("14000000x1").unwrap_err()),
            Rule::Digits { len: 10 }
        );
        assert_eq!(rule(Sdkappid::parse("").unwrap_err()), Rule::Required);
    }
}
