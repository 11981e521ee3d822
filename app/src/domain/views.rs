//! What the server shows: serializable read models, never carrying a secret in full.

use serde::{Deserialize, Serialize};

use super::{
    CertificateSettings, CertificateStatus, CheckState, MessageClass, Platform, PushOutcome,
    PushWarning, Role, Sdkappid,
};
use crate::i18n::Locale;

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
    /// The multi-device policy: logins of one user active on one platform at once (1–10).
    pub devices_per_platform: i64,
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
    /// The vendor's message id (what a tap reports).
    pub message_id: String,
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

/// A text the server has in both languages (a vendor code's meaning, its fix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Zh => &self.zh,
            Locale::En => &self.en,
        }
    }
}

/// What the credential check on save found, with the vendor's own words when it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateCheck {
    pub state: CheckState,
    /// The vendor's result code, when it answered.
    pub code: Option<i64>,
    /// The vendor's reason, or why it could not be reached.
    pub detail: String,
    pub meaning: Option<Localized>,
    pub fix: Option<Localized>,
    pub checked_at: i64,
}

/// A push certificate as the console and the API show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateView {
    /// The certificate ID the client app reports with its token.
    pub id: i64,
    pub sdkappid: Sdkappid,
    pub platform: Platform,
    #[serde(flatten)]
    pub settings: CertificateSettings,
    /// The secret with all but its last four characters hidden.
    pub secret_masked: String,
    pub status: CertificateStatus,
    pub effective_at: i64,
    pub check: CertificateCheck,
    /// Whether pushdesk sends through this vendor yet.
    pub sending_supported: bool,
    /// While this version is pending or invalid, whether an earlier one still serves.
    pub previous_version_serving: bool,
    /// The daily cap its pushes fall under when they name no channel of their own, and how
    /// many devices reached it today; `None` when that is 私信 (no cap) or pushdesk does not
    /// send through the vendor.
    pub quota: Option<QuotaNote>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A certificate's standing in the quota ledger (Xiaomi's per-device daily caps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaNote {
    pub class: MessageClass,
    pub daily_cap: i64,
    /// Devices that used up the cap on the current Beijing day.
    pub devices_at_cap: i64,
}

/// An app's certificates, with the server's clock for the countdowns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateList {
    pub now: i64,
    pub android_enabled: bool,
    pub certificates: Vec<CertificateView>,
}

/// A UserSig made by the console for testing, with when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedUserSig {
    pub identifier: String,
    pub usersig: String,
    /// Unix seconds.
    pub expire_at: i64,
}

/// What a test push did: the vendor's answer in full and the records it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPushResult {
    /// `accepted` when MiPush answered code 0 (some regIds may still be bad).
    pub outcome: PushOutcome,
    pub code: Option<i64>,
    /// MiPush's reason or description, or why it could not be reached.
    pub reason: String,
    pub meaning: Option<Localized>,
    pub fix: Option<Localized>,
    pub message_id: Option<String>,
    pub trace_id: Option<String>,
    pub bad_reg_ids: Vec<String>,
    /// Always 1: a test push makes one attempt in its request.
    pub attempts: u32,
    /// The vendor could not take it now (timeout, 5xx, busy): sending again may succeed.
    pub retryable: bool,
    pub latency_ms: i64,
    /// The request as sent, with the AppSecret shown as `key=****`.
    pub request: String,
    pub targets: usize,
    pub request_id: i64,
    pub record_ids: Vec<i64>,
    pub warnings: Vec<PushWarning>,
}

/// One push to one device, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecordView {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// None when the push was skipped before a device was known.
    pub certificate_id: Option<i64>,
    /// `test` or `offline`.
    pub kind: String,
    pub user_id: Option<String>,
    pub reg_id: String,
    pub title: String,
    pub description: String,
    pub outcome: PushOutcome,
    /// Why it was skipped, refused or failed.
    pub reason: String,
    pub code: Option<i64>,
    pub message_id: Option<String>,
    pub trace_id: Option<String>,
    pub attempts: i64,
    pub latency_ms: i64,
    pub sent_by: Option<String>,
    pub request_id: Option<i64>,
    /// The IM message's MsgKey, for offline pushes.
    pub msg_key: Option<String>,
    /// From the vendor's receipts (Unix seconds): the notification reached the shade, was tapped.
    pub delivered_at: Option<i64>,
    pub clicked_at: Option<i64>,
    /// The first receipt that said the push was dropped, and why.
    pub receipt_failure: Option<ReceiptFailure>,
}

/// A receipt that says a push accepted by the vendor never showed: its event bit (MiPush's
/// `extra.callback.type`), what it means and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptFailure {
    #[serde(rename = "type")]
    pub kind: i64,
    pub meaning: Localized,
    pub fix: Localized,
}

/// One receipt of a push, in its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptView {
    #[serde(rename = "type")]
    pub kind: i64,
    /// `delivered`, `clicked`, `invalid_target`, `notifications_off`, `filtered`, `over_quota`,
    /// `expired` or `unknown`.
    pub event: String,
    /// The device's notification switch as the vendor saw it: `Enable`, `Disable`, `Unknown`.
    pub bar_status: String,
    /// When it happened, by the vendor; when pushdesk received it (Unix seconds).
    pub at: i64,
    pub received_at: i64,
}

/// A record with the vendor call behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecordDetail {
    pub record: PushRecordView,
    pub meaning: Option<Localized>,
    pub fix: Option<Localized>,
    /// The request as sent (AppSecret as `key=****`).
    pub request: String,
    /// The vendor's answer as received, or the transport error.
    pub answer: String,
    /// What the vendor reported afterwards, oldest first.
    pub receipts: Vec<ReceiptView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecordPage {
    pub items: Vec<PushRecordView>,
    /// Pass as `before_id` for the next, older page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

/// What MiPush's `/v1/trace/message/status` says about one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorStatus {
    pub code: Option<i64>,
    pub reason: String,
    /// `data` as MiPush sent it, pretty-printed.
    pub data: String,
}

/// Pushes over time by outcome (`buckets` of `bucket_secs` from `start`), and how far they got:
/// the reach funnel for the whole window, per bucket and per certificate, and what was lost where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushStats {
    pub start: i64,
    pub bucket_secs: i64,
    pub buckets: Vec<OutcomeCounts>,
    /// The funnel of the pushes made in each bucket, in the order of `buckets`.
    pub reach: Vec<Funnel>,
    pub funnel: Funnel,
    /// Busiest certificate first; pushes skipped before a certificate was known have none.
    pub by_certificate: Vec<CertificateFunnel>,
    /// Why pushes went no further, most frequent first.
    pub losses: Vec<Loss>,
    /// Whether receipts are asked for (a public URL is configured); without them nothing is
    /// ever counted as delivered or clicked.
    pub receipts: bool,
}

/// Pushes to devices → accepted by the vendor → delivered to the shade → tapped (by receipts).
/// Each rate is of the step before (0–1), `None` when that step is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub pushes: i64,
    pub accepted: i64,
    pub delivered: i64,
    pub clicked: i64,
    pub accepted_rate: Option<f64>,
    pub delivered_rate: Option<f64>,
    pub clicked_rate: Option<f64>,
}

impl Funnel {
    pub fn new(pushes: i64, accepted: i64, delivered: i64, clicked: i64) -> Self {
        let rate = |part: i64, whole: i64| {
            (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
        };
        Self {
            pushes,
            accepted,
            delivered,
            clicked,
            accepted_rate: rate(accepted, pushes),
            delivered_rate: rate(delivered, accepted),
            clicked_rate: rate(clicked, delivered),
        }
    }

    /// This funnel and `other`'s counts together, rates recomputed.
    pub fn plus(&self, other: &Funnel) -> Self {
        Self::new(
            self.pushes + other.pushes,
            self.accepted + other.accepted,
            self.delivered + other.delivered,
            self.clicked + other.clicked,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateFunnel {
    pub certificate_id: Option<i64>,
    /// The certificate's package name; empty when there is no certificate or it was deleted.
    pub package_name: String,
    pub funnel: Funnel,
}

/// Where in the path a push stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossStage {
    /// Never sent (the skip reason).
    Skipped,
    /// Refused or failed at the vendor (its result code, or `unreachable`).
    Vendor,
    /// Accepted, then dropped on the way to the phone (the receipt's event bit).
    Receipt,
}

/// One reason pushes were lost, with how many, what it means and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    pub stage: LossStage,
    /// The skip reason (`no_token`, …), the vendor's code (`21301`, …) or the receipt bit (`128`).
    pub code: String,
    pub count: i64,
    pub meaning: Localized,
    pub fix: Option<Localized>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    pub accepted: i64,
    pub rejected: i64,
    pub failed: i64,
    pub skipped: i64,
}

impl OutcomeCounts {
    pub fn add(&mut self, outcome: PushOutcome, n: i64) {
        match outcome {
            PushOutcome::Accepted => self.accepted += n,
            PushOutcome::Rejected => self.rejected += n,
            PushOutcome::Failed => self.failed += n,
            PushOutcome::Skipped => self.skipped += n,
        }
    }

    pub fn total(&self) -> i64 {
        self.accepted + self.rejected + self.failed + self.skipped
    }
}

/// A virtual phone signed in from the console: a sandbox device registered with the
/// certificate's app, logged in as the user, its regId reported with the certificate ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneSession {
    pub user_id: String,
    pub certificate_id: i64,
    pub reg_id: String,
    /// The `/sdk/v1` session: what the phone's connection and logout present.
    pub session: String,
}
