//! Test pushes and push records: what a developer may send, checked against MiPush's documented
//! limits (`docs/mipush-server-api.md` §2.2) before anything goes out, and what was recorded.

use serde::{Deserialize, Serialize};

use super::certificate::{ClickAction, parse_channel_id};
use super::{AppError, Rule};

/// MiPush's limits, as the vendor documents them.
pub mod limits {
    /// regIds in one `/v3/message/regid` call.
    pub const REG_IDS_PER_CALL: usize = 1000;
    /// `title`: "length < 50", every character counts 1.
    pub const TITLE_MAX: usize = 49;
    /// `description`: "length < 128".
    pub const DESCRIPTION_MAX: usize = 127;
    /// `payload`: the message body as a whole stays within 4 KB.
    pub const PAYLOAD_MAX_BYTES: usize = 4096;
    /// `notify_id`: `0..2147483647`.
    pub const NOTIFY_ID_MAX: i64 = 2_147_483_647;
    /// `time_to_live`: at most 10 days (私信; 公信 messages are cut at 1 day by the vendor).
    pub const TTL_MAX_SECS: i64 = 10 * 86_400;
}

/// The seed's default notification title.
pub const DEFAULT_TITLE: &str = "a new message";

/// A test push as typed into the form or sent to the API: raw values, every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TestPushDraft {
    pub certificate_id: Option<String>,
    /// One regId per line (the form), or the API's `reg_ids` array joined by lines.
    pub reg_ids: Option<String>,
    pub user_id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub payload: Option<String>,
    /// `-1` (all defaults) or an OR of 1 sound, 2 vibrate, 4 lights.
    pub notify_type: Option<String>,
    pub notify_id: Option<String>,
    /// Empty: the certificate's.
    pub channel_id: Option<String>,
    /// Empty: the certificate's.
    pub click_action: Option<String>,
    pub click_url: Option<String>,
    pub click_intent: Option<String>,
    /// Seconds.
    pub time_to_live: Option<String>,
}

/// Filters of the push records page and API, as typed; every one optional. Times are Unix
/// seconds or `YYYY-MM-DD HH:MM` (UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushRecordQuery {
    pub certificate_id: Option<String>,
    pub user_id: Option<String>,
    pub reg_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before_id: Option<String>,
    pub limit: Option<String>,
    /// `delivered`, `clicked`, `failed` (a receipt said it was dropped) or `none` (no receipt).
    pub receipt: Option<String>,
}

/// Who a test push goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    RegIds(Vec<String>),
    /// The regIds this IM user reported with the certificate.
    User(String),
}

/// A checked test push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPush {
    pub certificate_id: i64,
    pub target: PushTarget,
    pub title: String,
    pub description: String,
    pub payload: Option<String>,
    pub notify_type: i32,
    pub notify_id: Option<u32>,
    pub channel_id: Option<String>,
    pub click: Option<ClickAction>,
    pub time_to_live_secs: Option<i64>,
}

fn text(raw: &Option<String>) -> &str {
    raw.as_deref().unwrap_or_default()
}

fn vendor_too_long(field: &str, max: usize) -> AppError {
    AppError::invalid(
        field,
        Rule::VendorLimit {
            vendor: "MiPush".into(),
            max,
        },
    )
}

fn integer(field: &str, raw: &str, min: i64, max: i64) -> Result<Option<i64>, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let n: i64 = s.parse().map_err(|_| {
        AppError::invalid(
            field,
            Rule::Other {
                key: "rule.integer".into(),
            },
        )
    })?;
    if n < min || n > max {
        return Err(AppError::invalid(field, Rule::Range { min, max }));
    }
    Ok(Some(n))
}

/// A regId as MiPush hands it out: visible ASCII without spaces or commas (the list separator).
fn reg_id_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 512 && s.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// An IM user ID (Tencent's rule: at most 32 bytes, no control characters).
pub fn parse_user_id(raw: &str) -> Result<String, AppError> {
    parse_identifier("user_id", raw)
}

/// An IM user ID in a field of another name (`identifier` of the UserSig form, …).
pub fn parse_identifier(field: &str, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::invalid(field, Rule::Required));
    }
    if s.len() > 32 {
        return Err(AppError::invalid(field, Rule::TooLong { max: 32 }));
    }
    if s.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            Rule::Charset {
                allowed: "printable".into(),
            },
        ));
    }
    Ok(s.to_owned())
}

/// A device token as the client reports it with `setOfflinePushToken`. For Xiaomi it must look
/// like a MiPush regId (base64 alphabet, 40–100 characters): anything else is another vendor's
/// token reported with the wrong certificate ID, or no token at all.
pub fn parse_device_token(vendor: super::Vendor, raw: &str) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::invalid("token", Rule::Required));
    }
    if s.len() > 512 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "token",
            Rule::Other {
                key: "rule.token".into(),
            },
        ));
    }
    let xiaomi_like = (40..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    if vendor == super::Vendor::Xiaomi && !xiaomi_like {
        return Err(AppError::invalid(
            "token",
            Rule::Other {
                key: "rule.token_vendor".into(),
            },
        ));
    }
    Ok(s.to_owned())
}

impl TestPushDraft {
    /// A form with the seed's defaults.
    pub fn new() -> Self {
        Self {
            title: Some(DEFAULT_TITLE.into()),
            notify_type: Some("-1".into()),
            ..Self::default()
        }
    }

    /// Checks every field in the form's order; the first error is the answer.
    pub fn parse(&self) -> Result<TestPush, AppError> {
        let certificate_id = integer("certificate_id", text(&self.certificate_id), 1, i64::MAX)?
            .ok_or_else(|| AppError::invalid("certificate_id", Rule::Required))?;
        let target = self.target()?;
        // Omitted, the seed's default; given, it must say something.
        let title = self.title.as_deref().unwrap_or(DEFAULT_TITLE).trim();
        if title.is_empty() {
            return Err(AppError::invalid("title", Rule::Required));
        }
        if title.chars().count() > limits::TITLE_MAX {
            return Err(vendor_too_long("title", limits::TITLE_MAX));
        }
        let description = text(&self.description).trim();
        if description.is_empty() {
            return Err(AppError::invalid("description", Rule::Required));
        }
        if description.chars().count() > limits::DESCRIPTION_MAX {
            return Err(vendor_too_long("description", limits::DESCRIPTION_MAX));
        }
        let payload = Some(text(&self.payload)).filter(|p| !p.is_empty());
        if payload.is_some_and(|p| p.len() > limits::PAYLOAD_MAX_BYTES) {
            return Err(vendor_too_long("payload", limits::PAYLOAD_MAX_BYTES));
        }
        let notify_type = match integer("notify_type", text(&self.notify_type), -1, 7)? {
            None | Some(-1) => -1,
            Some(0) => {
                return Err(AppError::invalid(
                    "notify_type",
                    Rule::Other {
                        key: "rule.notify_type".into(),
                    },
                ));
            }
            Some(n) => n as i32,
        };
        let notify_id = integer("notify_id", text(&self.notify_id), 0, limits::NOTIFY_ID_MAX)?
            .map(|n| n as u32);
        let channel_id = Some(text(&self.channel_id).trim())
            .filter(|c| !c.is_empty())
            .map(parse_channel_id)
            .transpose()?;
        let click = match text(&self.click_action).trim() {
            "" => None,
            kind => Some(ClickAction::parse(
                kind,
                text(&self.click_url),
                text(&self.click_intent),
            )?),
        };
        let time_to_live_secs = integer(
            "time_to_live",
            text(&self.time_to_live),
            1,
            limits::TTL_MAX_SECS,
        )?;
        Ok(TestPush {
            certificate_id,
            target,
            title: title.to_owned(),
            description: description.to_owned(),
            payload: payload.map(str::to_owned),
            notify_type,
            notify_id,
            channel_id,
            click,
            time_to_live_secs,
        })
    }

    fn target(&self) -> Result<PushTarget, AppError> {
        let user = text(&self.user_id).trim();
        let lines: Vec<&str> = text(&self.reg_ids)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        match (lines.is_empty(), user.is_empty()) {
            (true, true) => Err(AppError::invalid("reg_ids", Rule::Required)),
            (false, false) => Err(AppError::invalid(
                "user_id",
                Rule::Other {
                    key: "rule.one_target".into(),
                },
            )),
            (true, false) => parse_user_id(user).map(PushTarget::User),
            (false, true) => {
                if lines.iter().any(|l| !reg_id_ok(l)) {
                    return Err(AppError::invalid(
                        "reg_ids",
                        Rule::Other {
                            key: "rule.reg_id".into(),
                        },
                    ));
                }
                let mut ids: Vec<String> = Vec::with_capacity(lines.len());
                for l in lines {
                    if !ids.iter().any(|i| i == l) {
                        ids.push(l.to_owned());
                    }
                }
                if ids.len() > limits::REG_IDS_PER_CALL {
                    return Err(AppError::invalid(
                        "reg_ids",
                        Rule::TooMany {
                            max: limits::REG_IDS_PER_CALL,
                        },
                    ));
                }
                Ok(PushTarget::RegIds(ids))
            }
        }
    }

    /// What the vendor is known to penalise, shown before sending (it does not stop a send).
    pub fn warnings(&self, certificate_channel: Option<&str>) -> Vec<PushWarning> {
        let mut out = Vec::new();
        let looks_like_test = |s: &str| {
            let lower = s.to_lowercase();
            lower.contains("test") || s.contains("测试")
        };
        if looks_like_test(text(&self.title)) || looks_like_test(text(&self.description)) {
            out.push(PushWarning::LooksLikeTest);
        }
        if text(&self.channel_id).trim().is_empty() && certificate_channel.is_none() {
            out.push(PushWarning::NoChannel);
        }
        out
    }
}

/// A known vendor penalty a test push would run into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushWarning {
    /// "test" or "测试" in the text: Xiaomi may class the message as unimportant.
    LooksLikeTest,
    /// No channel: the default class, at most 1 message per device per day.
    NoChannel,
    /// This push used a target's last notification of the day in its class (the quota ledger).
    QuotaReached,
    /// A target had already used up its class's daily quota before this push.
    OverQuota,
}

impl PushWarning {
    pub fn key(self) -> &'static str {
        match self {
            Self::LooksLikeTest => "push.warn_test",
            Self::NoChannel => "push.warn_no_channel",
            Self::QuotaReached => "push.warn_quota_reached",
            Self::OverQuota => "push.warn_over_quota",
        }
    }
}

/// How one push to one device ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// The vendor took it (code 0, the regId not among the bad ones).
    Accepted,
    /// The vendor refused it (an error code, or the regId reported bad).
    Rejected,
    /// No answer after the retries (timeouts, 5xx, unreadable answers).
    Failed,
    /// Not sent; the record's reason says why.
    Skipped,
}

impl PushOutcome {
    pub const ALL: [PushOutcome; 4] = [Self::Accepted, Self::Rejected, Self::Failed, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == raw.trim())
            .ok_or_else(|| {
                AppError::invalid(
                    "outcome",
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|o| o.as_str().to_owned()).collect(),
                    },
                )
            })
    }
}

impl TryFrom<String> for PushOutcome {
    type Error = AppError;

    fn try_from(raw: String) -> Result<Self, AppError> {
        Self::parse(&raw)
    }
}

/// Why a push was pushed at all: a console test push or an IM message's offline push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushKind {
    Test,
    Offline,
}

impl PushKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Offline => "offline",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Test, Self::Offline]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

impl TryFrom<String> for PushKind {
    type Error = AppError;

    fn try_from(raw: String) -> Result<Self, AppError> {
        Self::parse(&raw).ok_or_else(|| {
            AppError::invalid(
                "kind",
                Rule::OneOf {
                    allowed: vec!["test".into(), "offline".into()],
                },
            )
        })
    }
}

/// Why a device got no push for a message (a `skipped` record's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The app is alive on the device: the message arrives on its connection.
    Online,
    /// The user logged out; nothing is pushed until they log in again.
    UserLoggedOut,
    /// Another login (or `/v4` kick) ended the user's.
    Kicked,
    /// No device token was reported with a live login.
    NoToken,
    /// The vendor said the token is no longer valid; it comes back when reported again.
    TokenInvalid,
    /// `OfflinePushInfo.PushFlag` = 1.
    PushFlagOff,
    CertificateDeleted,
    CertificatePending,
    CertificateInvalid,
    /// Deleted or refused between the message's acceptance and its push.
    CertificateNotEffective,
    VendorNotSupported,
}

impl SkipReason {
    pub const ALL: [SkipReason; 11] = [
        Self::Online,
        Self::UserLoggedOut,
        Self::Kicked,
        Self::NoToken,
        Self::TokenInvalid,
        Self::PushFlagOff,
        Self::CertificateDeleted,
        Self::CertificatePending,
        Self::CertificateInvalid,
        Self::CertificateNotEffective,
        Self::VendorNotSupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::UserLoggedOut => "user_logged_out",
            Self::Kicked => "kicked",
            Self::NoToken => "no_token",
            Self::TokenInvalid => "token_invalid",
            Self::PushFlagOff => "push_flag_off",
            Self::CertificateDeleted => "certificate_deleted",
            Self::CertificatePending => "certificate_pending",
            Self::CertificateInvalid => "certificate_invalid",
            Self::CertificateNotEffective => "certificate_not_effective",
            Self::VendorNotSupported => "vendor_not_supported",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Why nothing was pushed and what to do, in both languages (the 排查 page's texts).
    pub fn explained(self) -> (super::Localized, Option<super::Localized>) {
        use crate::i18n::{Locale, tr};
        let both = |key: &str| super::Localized {
            zh: tr(Locale::Zh, key),
            en: tr(Locale::En, key),
        };
        let why = both(&format!("diag.why.{}", self.as_str()));
        let fix_key = format!("diag.fix.{}", self.as_str());
        let fix = both(&fix_key);
        (why, (fix.en != fix_key).then_some(fix))
    }
}

/// What the records can be filtered by, from the vendor's receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    Delivered,
    Clicked,
    Failed,
    /// No receipt yet.
    None,
}

impl ReceiptState {
    pub const ALL: [ReceiptState; 4] = [Self::Delivered, Self::Clicked, Self::Failed, Self::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Clicked => "clicked",
            Self::Failed => "failed",
            Self::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or_else(|| {
                AppError::invalid(
                    "receipt",
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
                    },
                )
            })
    }
}

/// A receipt event (one bit of MiPush's `extra.callback.type`), by name.
pub fn receipt_event(kind: i64) -> &'static str {
    match kind {
        1 => "delivered",
        2 => "clicked",
        16 => "invalid_target",
        32 => "notifications_off",
        64 => "filtered",
        128 => "over_quota",
        1024 => "expired",
        _ => "unknown",
    }
}

/// What a receipt that dropped a push means and what to do, in both languages.
pub fn receipt_failure(kind: i64) -> super::ReceiptFailure {
    let (mz, me, fz, fe) = match kind {
        16 => (
            "目标设备无效：应用已卸载，或 regId 已过期",
            "The target is invalid: the app was uninstalled or its regId expired.",
            "该 regId 已停用，不再推送；应用重新注册并上报 regId 后恢复。",
            "pushdesk retired the regId; pushes resume once the app registers again and reports it.",
        ),
        32 => (
            "设备上该应用的通知已被关闭",
            "Notifications for the app are switched off on the device.",
            "请用户在系统设置中打开该应用的通知；推送仍会照常发送。",
            "Ask the user to switch notifications on in the system settings; pushes are still sent.",
        ),
        64 => (
            "消息被小米过滤（内容或频率规则）",
            "Xiaomi filtered the message (content or frequency rules).",
            "避免营销或“测试”字样，降低发送频率，并使用已登记的通知类别。",
            "Avoid promotional or \"test\" wording, send less often, and use a registered channel.",
        ),
        128 => (
            "超出该设备当日的推送数量上限",
            "The device's daily quota for this message class was exceeded.",
            "在小米开放平台将 IM 消息的通道登记为私信，并把该通道设为证书的 ChannelID。",
            "Register an IM channel as 私信 (private messages) with Xiaomi and set it as the certificate's ChannelID.",
        ),
        1024 => (
            "消息已过期：在存活时间内未能送达设备",
            "The message expired: the device was not reached within its time to live.",
            "设备长时间离线；可适当延长 time_to_live。",
            "The device stayed offline; a longer time to live may help.",
        ),
        _ => (
            "厂商回执报告了未知事件",
            "The vendor reported an event pushdesk does not know.",
            "查看推送详情中的回执原文。",
            "See the receipts in the record's detail.",
        ),
    };
    super::ReceiptFailure {
        kind,
        meaning: super::Localized {
            zh: mz.into(),
            en: me.into(),
        },
        fix: super::Localized {
            zh: fz.into(),
            en: fe.into(),
        },
    }
}

/// Tencent's MsgKey of a one-to-one message: `{MsgSeq}_{MsgRandom}_{MsgTime}`.
pub fn msg_key(seq: i64, random: i64, time: i64) -> String {
    format!("{seq}_{random}_{time}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(reg_ids: &str) -> TestPushDraft {
        TestPushDraft {
            certificate_id: Some("7".into()),
            reg_ids: Some(reg_ids.into()),
            description: Some("你好".into()),
            ..TestPushDraft::new()
        }
    }

    fn field(e: AppError) -> String {
        e.field().unwrap_or_default().to_owned()
    }

    #[test]
    fn every_skip_reason_is_explained_in_both_languages() {
        for reason in SkipReason::ALL {
            let (why, fix) = reason.explained();
            assert!(
                !why.zh.starts_with("diag.") && !why.en.starts_with("diag."),
                "{reason:?}"
            );
            if let Some(fix) = fix {
                assert!(!fix.zh.starts_with("diag."), "{reason:?}");
            }
        }
        assert!(SkipReason::NoToken.explained().1.is_some());
    }

    #[test]
    fn a_test_push_defaults_to_the_seeds_title() {
        let push = draft("abc\n\n abc \ndef").parse().unwrap();
        assert_eq!(push.title, "a new message");
        assert_eq!(
            push.target,
            PushTarget::RegIds(vec!["abc".into(), "def".into()])
        );
        assert_eq!(push.notify_type, -1);
        assert_eq!(push.click, None);
    }

    #[test]
    fn a_thousand_reg_ids_is_the_limit() {
        let ids: Vec<String> = (0..1000).map(|i| format!("reg{i}")).collect();
        assert!(draft(&ids.join("\n")).parse().is_ok());
        let ids: Vec<String> = (0..1001).map(|i| format!("reg{i}")).collect();
        let e = draft(&ids.join("\n")).parse().unwrap_err();
        assert_eq!(e, AppError::invalid("reg_ids", Rule::TooMany { max: 1000 }));
    }

    #[test]
    fn vendor_limits_are_named() {
        let mut d = draft("abc");
        d.title = Some("标".repeat(50));
        let e = d.parse().unwrap_err();
        assert_eq!(field(e.clone()), "title");
        assert!(e.message(crate::i18n::Locale::En).contains("MiPush"));
        assert!(e.message(crate::i18n::Locale::Zh).contains("49"));
        d.title = Some("标".repeat(49));
        assert!(d.parse().is_ok());
        d.description = Some("x".repeat(128));
        assert_eq!(field(d.parse().unwrap_err()), "description");
    }

    #[test]
    fn every_field_is_checked() {
        let cases: [(&str, &str, &str); 12] = [
            ("certificate_id", "", "certificate_id"),
            ("certificate_id", "x", "certificate_id"),
            ("reg_ids", "", "reg_ids"),
            ("reg_ids", "a,b", "reg_ids"),
            ("title", "  ", "title"),
            ("description", "", "description"),
            ("notify_type", "8", "notify_type"),
            ("notify_type", "0", "notify_type"),
            ("notify_id", "2147483648", "notify_id"),
            ("channel_id", "bad channel", "channel_id"),
            ("click_action", "open_url", "click_url"),
            ("time_to_live", "864001", "time_to_live"),
        ];
        for (name, value, expected) in cases {
            let mut d = draft("abc");
            match name {
                "certificate_id" => d.certificate_id = Some(value.into()),
                "reg_ids" => d.reg_ids = Some(value.into()),
                "title" => d.title = Some(value.into()),
                "description" => d.description = Some(value.into()),
                "notify_type" => d.notify_type = Some(value.into()),
                "notify_id" => d.notify_id = Some(value.into()),
                "channel_id" => d.channel_id = Some(value.into()),
                "click_action" => d.click_action = Some(value.into()),
                _ => d.time_to_live = Some(value.into()),
            }
            assert_eq!(field(d.parse().unwrap_err()), expected, "{name}={value}");
        }
        let mut both = draft("abc");
        both.user_id = Some("alice".into());
        assert_eq!(field(both.parse().unwrap_err()), "user_id");
        let mut user = draft("");
        user.user_id = Some("alice".into());
        assert_eq!(
            user.parse().unwrap().target,
            PushTarget::User("alice".into())
        );
    }

    #[test]
    fn warnings_name_what_the_vendor_penalises() {
        let mut d = draft("abc");
        assert_eq!(d.warnings(Some("im")), vec![]);
        assert_eq!(d.warnings(None), vec![PushWarning::NoChannel]);
        d.title = Some("测试推送".into());
        assert_eq!(d.warnings(Some("im")), vec![PushWarning::LooksLikeTest]);
        d.title = Some("a TEST".into());
        assert_eq!(d.warnings(Some("im")), vec![PushWarning::LooksLikeTest]);
    }
}
