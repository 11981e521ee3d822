//! 排查 (why no push): the checklist the console and `/api/v1/…/diagnose` answer from recorded
//! facts, following the seed guide's FAQ.

use serde::{Deserialize, Serialize};

use super::{CertificateStatus, Localized, PushRecordView, Vendor};

/// Whose pushes to look into, and over which time (default: the last 24 hours).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiagnoseQuery {
    pub user_id: Option<String>,
    /// Unix seconds or `YYYY-MM-DD HH:MM` (UTC).
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The look-back when the query names no `since`.
pub const DIAGNOSE_WINDOW: i64 = 24 * 3600;

/// At most this many of the user's most recent messages are traced.
pub const DIAGNOSE_MESSAGES: usize = 20;

/// ✔, ✘, or nothing to judge (·).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    None,
}

impl Verdict {
    pub fn mark(self) -> &'static str {
        match self {
            Self::Pass => "✔",
            Self::Fail => "✘",
            Self::None => "·",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisCheck {
    /// `certificate`, `devices`, `login`, `messages` or `delivery`.
    pub id: String,
    pub verdict: Verdict,
    pub title: Localized,
    /// The facts behind the verdict, one per line.
    pub facts: Vec<Localized>,
    /// What to do about a ✘.
    pub fix: Option<Localized>,
}

/// A device token the user reported, valid or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub certificate_id: i64,
    /// None when the certificate is gone.
    pub vendor: Option<Vendor>,
    pub certificate_status: Option<CertificateStatus>,
    pub token: String,
    /// Unix seconds.
    pub reported_at: i64,
    /// Bound to a login that is still active (false after logout or kick).
    pub logged_in: bool,
    /// The app is open on this device (its connection is up).
    pub online: bool,
    /// When MiPush said the token is no longer valid.
    pub invalid_at: Option<i64>,
    /// When a receipt said the app's notifications are switched off on the device (pushes are
    /// still sent).
    pub notifications_off_at: Option<i64>,
}

/// What became of one push of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePush {
    pub record: PushRecordView,
    /// The outcome and reason in words.
    pub why: Localized,
    pub fix: Option<Localized>,
    /// For sandbox devices: whether the notification is in the shade.
    pub notification_arrived: Option<bool>,
}

/// One recent message to the user and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTrace {
    pub msg_key: String,
    /// Unix seconds.
    pub at: i64,
    pub from_account: String,
    /// What the push would show.
    pub title: String,
    pub description: String,
    /// Sent in-band to a connection of the user.
    pub delivered_in_band: bool,
    pub pushes: Vec<MessagePush>,
}

/// The answer to "why did this user get no push?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub sdkappid: i64,
    pub user_id: String,
    /// Whether the account exists (imported or logged in once).
    pub account_exists: bool,
    pub since: i64,
    pub until: i64,
    pub generated_at: i64,
    pub checks: Vec<DiagnosisCheck>,
    pub devices: Vec<DeviceView>,
    pub messages: Vec<MessageTrace>,
    /// What a support ticket needs, as plain text.
    pub export: String,
}
