use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, Rule};

/// A console user's role. Ordered by power: viewer < developer < admin < owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Developer,
    Admin,
    Owner,
}

impl Role {
    pub const FIELD: &'static str = "role";
    pub const ALL: [Role; 4] = [Self::Owner, Self::Admin, Self::Developer, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Developer => "developer",
            Self::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                AppError::invalid(
                    Self::FIELD,
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
                    },
                )
            })
    }

    /// Creating apps, editing platforms and (later) certificates.
    pub fn can_configure(self) -> bool {
        self >= Self::Admin
    }

    /// Creating users, changing roles, disabling users.
    pub fn can_manage_users(self) -> bool {
        self >= Self::Admin
    }

    /// Sending test pushes.
    pub fn can_test_push(self) -> bool {
        self >= Self::Developer
    }

    /// Whether a user of this role may give `target` to someone or take it away.
    /// Only an owner hands out or removes ownership.
    pub fn can_assign(self, target: Role) -> bool {
        self.can_manage_users() && (target < Self::Owner || self == Self::Owner)
    }

    /// Revealing an app's secret key in full.
    pub fn can_reveal_secrets(self) -> bool {
        self >= Self::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_their_rank_allows() {
        assert!(Role::Owner.can_configure() && Role::Admin.can_configure());
        assert!(!Role::Developer.can_configure() && !Role::Viewer.can_configure());
        assert!(Role::Developer.can_test_push() && !Role::Viewer.can_test_push());
        assert!(Role::Admin.can_assign(Role::Admin) && !Role::Admin.can_assign(Role::Owner));
        assert!(Role::Owner.can_assign(Role::Owner));
        assert!(!Role::Viewer.can_assign(Role::Viewer));
        assert!(!Role::Developer.can_manage_users());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse(" Admin ").unwrap(), Role::Admin);
        assert_eq!(Role::parse("root").unwrap_err().field(), Some("role"));
    }
}
