//! What the server shows: serializable read models, never carrying a secret in full.

use serde::{Deserialize, Serialize};

use super::{Platform, Role, Sdkappid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    pub sdkappid: Sdkappid,
    pub name: String,
    pub platforms: Vec<Platform>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetail {
    pub sdkappid: Sdkappid,
    pub name: String,
    pub platforms: Vec<Platform>,
    /// The app secret key with all but its last four characters hidden.
    pub secret_key_masked: String,
    pub created_at: i64,
}

/// A newly created app: the one answer that carries its secret key in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApp {
    pub sdkappid: Sdkappid,
    pub name: String,
    pub platforms: Vec<Platform>,
    pub secret_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A newly created API token: the one answer that carries it in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

/// A MiPush sandbox app as the sandbox page shows it: the credentials a developer copies into
/// a certificate, and its virtual devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxAppView {
    pub package_name: String,
    pub app_id: String,
    pub app_key: String,
    pub app_secret: String,
    pub devices: Vec<SandboxDeviceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxDeviceView {
    pub reg_id: String,
    pub installed: bool,
    pub notifications: Vec<ShadeItem>,
}

/// One entry of a virtual phone's notification shade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadeItem {
    pub title: String,
    pub description: String,
    pub received_at_ms: i64,
}

/// What MiPush answered to a send from the sandbox page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSendResult {
    pub code: i64,
    pub description: String,
    pub message_id: Option<String>,
    pub attempts: u32,
}
