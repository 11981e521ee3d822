//! Push certificates (Android 推送证书): the vendors, their form fields and the parsers both the
//! browser (instant field errors) and the server (authority) run.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AppError, FieldError, PackageName, Rule};
use crate::i18n::Locale;

/// A push vendor whose certificate an Android app can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Xiaomi,
    Huawei,
    Honor,
    Oppo,
    Vivo,
    Meizu,
    Fcm,
}

impl Vendor {
    pub const FIELD: &'static str = "vendor";
    pub const ALL: [Vendor; 7] = [
        Self::Xiaomi,
        Self::Huawei,
        Self::Honor,
        Self::Oppo,
        Self::Vivo,
        Self::Meizu,
        Self::Fcm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xiaomi => "xiaomi",
            Self::Huawei => "huawei",
            Self::Honor => "honor",
            Self::Oppo => "oppo",
            Self::Vivo => "vivo",
            Self::Meizu => "meizu",
            Self::Fcm => "fcm",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err(AppError::invalid(Self::FIELD, Rule::Required));
        }
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                AppError::invalid(
                    Self::FIELD,
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|v| v.as_str().to_owned()).collect(),
                    },
                )
            })
    }

    /// The name the console shows (小米, 华为, …).
    pub fn label(self, locale: Locale) -> String {
        let key = format!("vendor.{}", self.as_str());
        t!(key.as_str(), locale = locale.as_str()).into_owned()
    }

    /// Whether pushdesk sends through this vendor yet; the others' certificates are kept ready.
    pub fn sends(self) -> bool {
        self == Self::Xiaomi
    }

    /// The form fields of this vendor's certificate, in the order the console asks for them
    /// (the Tencent IM console's, `docs/mipush-server-api.md` §7.1).
    pub fn fields(self) -> &'static [&'static str] {
        use field::*;
        match self {
            Self::Xiaomi => &[
                PACKAGE_NAME,
                APP_ID,
                APP_SECRET,
                REGION,
                CHANNEL_ID,
                PUBLIC_CHANNELS,
                CLICK_ACTION,
            ],
            Self::Huawei => &[PACKAGE_NAME, APP_ID, APP_SECRET, BADGE_CLASS, CLICK_ACTION],
            Self::Honor => &[APP_ID, CLIENT_ID, CLIENT_SECRET, BADGE_CLASS, CLICK_ACTION],
            Self::Oppo => &[APP_KEY, APP_ID, MASTER_SECRET, CHANNEL_ID, CLICK_ACTION],
            Self::Vivo => &[APP_KEY, APP_ID, APP_SECRET, CLICK_ACTION],
            Self::Meizu => &[PACKAGE_NAME, APP_ID, APP_SECRET, CLICK_ACTION],
            Self::Fcm => &[SERVICE_ACCOUNT],
        }
    }

    /// The field that holds this vendor's secret.
    pub fn secret_field(self) -> &'static str {
        match self {
            Self::Honor => field::CLIENT_SECRET,
            Self::Oppo => field::MASTER_SECRET,
            Self::Fcm => field::SERVICE_ACCOUNT,
            _ => field::APP_SECRET,
        }
    }

    /// The field that tells two certificates of one vendor apart within an app.
    pub fn key_field(self) -> &'static str {
        match self {
            Self::Xiaomi | Self::Huawei | Self::Meizu => field::PACKAGE_NAME,
            Self::Honor | Self::Oppo | Self::Vivo => field::APP_ID,
            Self::Fcm => field::SERVICE_ACCOUNT,
        }
    }

    fn channel_required(self) -> bool {
        self == Self::Oppo
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Form and API field names of a certificate.
pub mod field {
    pub const PACKAGE_NAME: &str = "package_name";
    pub const APP_ID: &str = "app_id";
    pub const APP_KEY: &str = "app_key";
    pub const CLIENT_ID: &str = "client_id";
    pub const APP_SECRET: &str = "app_secret";
    pub const MASTER_SECRET: &str = "master_secret";
    pub const CLIENT_SECRET: &str = "client_secret";
    pub const REGION: &str = "region";
    pub const CHANNEL_ID: &str = "channel_id";
    pub const PUBLIC_CHANNELS: &str = "public_channels";
    pub const BADGE_CLASS: &str = "badge_class";
    pub const CLICK_ACTION: &str = "click_action";
    pub const CLICK_URL: &str = "click_url";
    pub const CLICK_INTENT: &str = "click_intent";
    pub const SERVICE_ACCOUNT: &str = "service_account";
}

/// Where a Xiaomi app's devices are served. Overseas devices must be reached through their
/// region's host; `sandbox` is this server's own MiPush stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum XiaomiRegion {
    #[default]
    China,
    Global,
    Europe,
    Russia,
    India,
    Sandbox,
}

impl XiaomiRegion {
    pub const ALL: [XiaomiRegion; 6] = [
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

    /// Empty means the default, mainland China (what a Tencent IM certificate implies).
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Ok(Self::default());
        }
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                AppError::invalid(
                    field::REGION,
                    Rule::OneOf {
                        allowed: Self::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
                    },
                )
            })
    }

    pub fn label(self, locale: Locale) -> String {
        let key = format!("region.{}", self.as_str());
        t!(key.as_str(), locale = locale.as_str()).into_owned()
    }
}

/// What tapping the notification does (点击通知后). Serialized with the form's and the API's
/// field names (`click_action`, `click_url`, `click_intent`), so what is read can be written back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "click_action", rename_all = "snake_case")]
pub enum ClickAction {
    /// 打开应用: the app's launcher Activity.
    #[default]
    OpenApp,
    /// 打开应用内指定界面: an Activity named by an intent URI.
    OpenIntent {
        #[serde(rename = "click_intent")]
        intent: String,
    },
    /// 打开网页: a web page.
    OpenUrl {
        #[serde(rename = "click_url")]
        url: String,
    },
}

impl ClickAction {
    pub const KINDS: [&'static str; 3] = ["open_app", "open_url", "open_intent"];

    pub fn kind(&self) -> &'static str {
        match self {
            Self::OpenApp => "open_app",
            Self::OpenUrl { .. } => "open_url",
            Self::OpenIntent { .. } => "open_intent",
        }
    }

    /// `kind` empty means open the app; the URL or intent is read only for its kind.
    pub fn parse(kind: &str, url: &str, intent: &str) -> Result<Self, AppError> {
        match kind.trim() {
            "" | "open_app" => Ok(Self::OpenApp),
            "open_url" => parse_url(url).map(|url| Self::OpenUrl { url }),
            "open_intent" => parse_intent(intent).map(|intent| Self::OpenIntent { intent }),
            _ => Err(AppError::invalid(
                field::CLICK_ACTION,
                Rule::OneOf {
                    allowed: Self::KINDS.iter().map(|k| (*k).to_owned()).collect(),
                },
            )),
        }
    }
}

fn other(field: &str, key: &str) -> AppError {
    AppError::invalid(field, Rule::Other { key: key.into() })
}

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

fn length(field: &str, s: &str, min: usize, max: usize) -> Result<(), AppError> {
    let n = s.chars().count();
    if n < min {
        return Err(AppError::invalid(field, Rule::TooShort { min }));
    }
    if n > max {
        return Err(AppError::invalid(field, Rule::TooLong { max }));
    }
    Ok(())
}

/// A vendor AppID: digits only (Xiaomi's have 19, Huawei's 8–9, vivo's 5–6).
pub fn parse_vendor_app_id(raw: &str) -> Result<String, AppError> {
    let f = field::APP_ID;
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(
            f,
            Rule::Charset {
                allowed: "digits".into(),
            },
        ));
    }
    length(f, s, 4, 32)?;
    Ok(s.to_owned())
}

/// An identifier issued by a vendor console (OPPO/vivo AppKey, Honor Client ID): letters,
/// digits, `_` and `-`.
fn parse_vendor_token(f: &str, raw: &str) -> Result<String, AppError> {
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(AppError::invalid(
            f,
            Rule::Charset {
                allowed: "token".into(),
            },
        ));
    }
    length(f, s, 4, 64)?;
    Ok(s.to_owned())
}

/// A notification channel id (Xiaomi 通知类别 ChannelID, OPPO ChannelID).
pub fn parse_channel_id(raw: &str) -> Result<String, AppError> {
    channel_in(field::CHANNEL_ID, raw)
}

/// At most this many channels are listed as 公信.
pub const MAX_PUBLIC_CHANNELS: usize = 20;

/// 公信通道: the certificate's channels Xiaomi approved as 公信 (public), separated by commas,
/// spaces or new lines; the other channels are taken as 私信 (private).
pub fn parse_public_channels(raw: &str) -> Result<Vec<String>, AppError> {
    let f = field::PUBLIC_CHANNELS;
    let mut out: Vec<String> = Vec::new();
    for c in raw
        .split(|ch: char| ch == ',' || ch == '，' || ch.is_whitespace())
        .filter(|c| !c.is_empty())
    {
        let c = channel_in(f, c)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.len() > MAX_PUBLIC_CHANNELS {
        return Err(AppError::invalid(
            f,
            Rule::TooMany {
                max: MAX_PUBLIC_CHANNELS,
            },
        ));
    }
    Ok(out)
}

fn channel_in(f: &'static str, raw: &str) -> Result<String, AppError> {
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
    {
        return Err(AppError::invalid(
            f,
            Rule::Charset {
                allowed: "channel".into(),
            },
        ));
    }
    length(f, s, 1, 64)?;
    Ok(s.to_owned())
}

/// 角标参数: the fully qualified class name of the app's entry Activity.
pub fn parse_badge_class(raw: &str) -> Result<String, AppError> {
    let f = field::BADGE_CLASS;
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    length(f, s, 3, 255)?;
    let ident = |seg: &str| {
        seg.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    let segments: Vec<&str> = s.split('.').collect();
    if segments.len() < 2 || !segments.iter().all(|seg| ident(seg)) {
        return Err(other(f, "rule.class_name"));
    }
    Ok(s.to_owned())
}

/// An http(s) address with a host, no spaces, at most 1024 characters.
pub fn parse_url(raw: &str) -> Result<String, AppError> {
    let f = field::CLICK_URL;
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    length(f, s, 8, 1024)?;
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| other(f, "rule.url"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', ':', '@'])
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || "-.:[]@_".contains(c));
    if !host_ok || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(other(f, "rule.url"));
    }
    Ok(s.to_owned())
}

/// An Android intent URI as `Intent.toUri(Intent.URI_INTENT_SCHEME)` writes it:
/// `intent:#Intent;component=com.example.im/.ChatActivity;end`.
pub fn parse_intent(raw: &str) -> Result<String, AppError> {
    let f = field::CLICK_INTENT;
    let s = present(Some(raw)).ok_or_else(|| AppError::invalid(f, Rule::Required))?;
    length(f, s, 16, 1024)?;
    let well_formed = s.starts_with("intent:")
        && s.contains("#Intent;")
        && s.ends_with(";end")
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(other(f, "rule.intent"));
    }
    Ok(s.to_owned())
}

/// A vendor secret (AppSecret, MasterSecret, Client Secret): printable ASCII without spaces.
/// Never serialized; its `Debug` shows only that it is there.
#[derive(Clone, PartialEq, Eq)]
pub struct VendorSecret(String);

impl VendorSecret {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        if raw.trim().is_empty() {
            return Err(AppError::invalid(field, Rule::Required));
        }
        if raw.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(AppError::invalid(
                field,
                Rule::Charset {
                    allowed: "secret".into(),
                },
            ));
        }
        length(field, raw, 8, 256)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VendorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VendorSecret(****)")
    }
}

/// The parts of a Firebase service-account key file pushdesk shows; the file itself is the
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key_id: String,
    json: VendorSecret,
}

impl ServiceAccount {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let f = field::SERVICE_ACCOUNT;
        if raw.trim().is_empty() {
            return Err(AppError::invalid(f, Rule::Required));
        }
        if raw.len() > 16 * 1024 {
            return Err(AppError::invalid(f, Rule::TooLong { max: 16 * 1024 }));
        }
        let doc: serde_json::Value =
            serde_json::from_str(raw).map_err(|_| other(f, "rule.service_account"))?;
        let text = |key: &str| {
            doc.get(key)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let wrong_type = text("type").is_some_and(|t| t != "service_account");
        let (Some(project_id), Some(client_email), Some(private_key)) = (
            text("project_id"),
            text("client_email"),
            text("private_key"),
        ) else {
            return Err(other(f, "rule.service_account"));
        };
        if wrong_type
            || !client_email.contains('@')
            || !private_key.starts_with("-----BEGIN PRIVATE KEY-----")
        {
            return Err(other(f, "rule.service_account"));
        }
        Ok(Self {
            project_id: project_id.to_owned(),
            client_email: client_email.to_owned(),
            private_key_id: text("private_key_id").unwrap_or_default().to_owned(),
            json: VendorSecret(raw.trim().to_owned()),
        })
    }

    pub fn into_secret(self) -> VendorSecret {
        self.json
    }
}

/// A certificate's fields as typed into the form or the API: raw text, every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertificateDraft {
    pub vendor: Option<String>,
    pub package_name: Option<String>,
    pub app_id: Option<String>,
    pub app_key: Option<String>,
    pub client_id: Option<String>,
    pub app_secret: Option<String>,
    pub master_secret: Option<String>,
    pub client_secret: Option<String>,
    pub region: Option<String>,
    pub channel_id: Option<String>,
    pub public_channels: Option<String>,
    pub badge_class: Option<String>,
    pub click_action: Option<String>,
    pub click_url: Option<String>,
    pub click_intent: Option<String>,
    pub service_account: Option<String>,
}

/// A certificate's vendor settings, checked; everything but the secret. Stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSettings {
    pub vendor: Vendor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<XiaomiRegion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// Channels Xiaomi approved as 公信 (capped per device and day); other channels are 私信.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_channels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge_class: Option<String>,
    #[serde(flatten)]
    pub click: Option<ClickAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_email: Option<String>,
}

impl CertificateSettings {
    /// What tells two certificates of one vendor apart within an app (see [`Vendor::key_field`]).
    pub fn unique_key(&self) -> String {
        let key = match self.vendor {
            Vendor::Xiaomi | Vendor::Huawei | Vendor::Meizu => &self.package_name,
            Vendor::Honor | Vendor::Oppo | Vendor::Vivo => &self.app_id,
            Vendor::Fcm => &self.project_id,
        };
        key.clone().unwrap_or_default()
    }

    /// The class Xiaomi counts a push on `channel` in (the certificate's ChannelID when the
    /// push names none): no channel is the default class, a listed 公信 channel is public, any
    /// other channel is taken as an approved 私信 one (docs/mipush-server-api.md §5.3).
    pub fn message_class(&self, channel: Option<&str>) -> MessageClass {
        match channel.or(self.channel_id.as_deref()) {
            None => MessageClass::Default,
            Some(c) if self.public_channels.iter().any(|p| p == c) => MessageClass::Public,
            Some(_) => MessageClass::Private,
        }
    }
}

/// Xiaomi's message classes since 2023, by the channel a push is sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// No channel (or one never approved): 1 notification per device and day.
    Default,
    /// 公信: 5 per device and day.
    Public,
    /// 私信: IM and personal messages, unlimited.
    Private,
}

impl MessageClass {
    pub const ALL: [MessageClass; 3] = [Self::Default, Self::Public, Self::Private];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// Notifications Xiaomi delivers per device, app and day in this class; `None`: no cap.
    pub fn daily_cap(self) -> Option<i64> {
        match self {
            Self::Default => Some(1),
            Self::Public => Some(5),
            Self::Private => None,
        }
    }
}

/// The quota's day: Xiaomi counts by the calendar day in Beijing (UTC+8).
pub fn beijing_day(unix_secs: i64) -> i64 {
    (unix_secs + 8 * 3600).div_euclid(86_400)
}

/// A checked certificate. `secret` is `None` when an edit keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    pub settings: CertificateSettings,
    pub secret: Option<VendorSecret>,
}

impl CertificateDraft {
    /// An empty form for `vendor`, with the defaults the console preselects.
    pub fn new(vendor: Vendor) -> Self {
        Self {
            vendor: Some(vendor.as_str().into()),
            region: (vendor == Vendor::Xiaomi).then(|| "china".into()),
            click_action: Some("open_app".into()),
            ..Self::default()
        }
    }

    /// The form of a stored certificate; secrets stay empty (an empty secret keeps the stored one).
    pub fn from_settings(s: &CertificateSettings) -> Self {
        let (click_url, click_intent) = match &s.click {
            Some(ClickAction::OpenUrl { url }) => (Some(url.clone()), None),
            Some(ClickAction::OpenIntent { intent }) => (None, Some(intent.clone())),
            _ => (None, None),
        };
        Self {
            vendor: Some(s.vendor.as_str().into()),
            package_name: s.package_name.clone(),
            app_id: s.app_id.clone(),
            app_key: s.app_key.clone(),
            client_id: s.client_id.clone(),
            region: s.region.map(|r| r.as_str().into()),
            channel_id: s.channel_id.clone(),
            public_channels: (!s.public_channels.is_empty()).then(|| s.public_channels.join(", ")),
            badge_class: s.badge_class.clone(),
            click_action: s.click.as_ref().map(|c| c.kind().into()),
            click_url,
            click_intent,
            ..Self::default()
        }
    }

    /// The raw value of a field, for binding form inputs.
    pub fn get(&self, name: &str) -> &str {
        self.slot(name)
            .and_then(|s| s.as_deref())
            .unwrap_or_default()
    }

    /// Sets a field by its form name; unknown names are ignored.
    pub fn set(&mut self, name: &str, value: String) {
        if let Some(slot) = self.slot_mut(name) {
            *slot = Some(value);
        }
    }

    fn slot(&self, name: &str) -> Option<&Option<String>> {
        Some(match name {
            "vendor" => &self.vendor,
            field::PACKAGE_NAME => &self.package_name,
            field::APP_ID => &self.app_id,
            field::APP_KEY => &self.app_key,
            field::CLIENT_ID => &self.client_id,
            field::APP_SECRET => &self.app_secret,
            field::MASTER_SECRET => &self.master_secret,
            field::CLIENT_SECRET => &self.client_secret,
            field::REGION => &self.region,
            field::CHANNEL_ID => &self.channel_id,
            field::PUBLIC_CHANNELS => &self.public_channels,
            field::BADGE_CLASS => &self.badge_class,
            field::CLICK_ACTION => &self.click_action,
            field::CLICK_URL => &self.click_url,
            field::CLICK_INTENT => &self.click_intent,
            field::SERVICE_ACCOUNT => &self.service_account,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "vendor" => &mut self.vendor,
            field::PACKAGE_NAME => &mut self.package_name,
            field::APP_ID => &mut self.app_id,
            field::APP_KEY => &mut self.app_key,
            field::CLIENT_ID => &mut self.client_id,
            field::APP_SECRET => &mut self.app_secret,
            field::MASTER_SECRET => &mut self.master_secret,
            field::CLIENT_SECRET => &mut self.client_secret,
            field::REGION => &mut self.region,
            field::CHANNEL_ID => &mut self.channel_id,
            field::PUBLIC_CHANNELS => &mut self.public_channels,
            field::BADGE_CLASS => &mut self.badge_class,
            field::CLICK_ACTION => &mut self.click_action,
            field::CLICK_URL => &mut self.click_url,
            field::CLICK_INTENT => &mut self.click_intent,
            field::SERVICE_ACCOUNT => &mut self.service_account,
            _ => return None,
        })
    }

    /// Checks every field of the vendor's form. `editing`: an empty secret keeps the stored one.
    /// The first error is the answer; [`Self::errors`] gives all of them to the form.
    pub fn parse(&self, editing: bool) -> Result<CertificateInput, AppError> {
        let vendor = Vendor::parse(self.get("vendor"))?;
        let v = |name: &str| self.get(name);
        let mut s = CertificateSettings {
            vendor,
            package_name: None,
            app_id: None,
            app_key: None,
            client_id: None,
            region: None,
            channel_id: None,
            public_channels: Vec::new(),
            badge_class: None,
            click: None,
            project_id: None,
            client_email: None,
        };
        let mut secret = None;
        for &name in vendor.fields() {
            match name {
                field::PACKAGE_NAME => {
                    s.package_name = Some(PackageName::parse(v(name))?.as_str().to_owned());
                }
                field::APP_ID => s.app_id = Some(parse_vendor_app_id(v(name))?),
                field::APP_KEY | field::CLIENT_ID => {
                    let token = Some(parse_vendor_token(name, v(name))?);
                    if name == field::APP_KEY {
                        s.app_key = token;
                    } else {
                        s.client_id = token;
                    }
                }
                field::REGION => s.region = Some(XiaomiRegion::parse(v(name))?),
                field::CHANNEL_ID => {
                    s.channel_id = match present(Some(v(name))) {
                        None if !vendor.channel_required() => None,
                        _ => Some(parse_channel_id(v(name))?),
                    };
                }
                field::PUBLIC_CHANNELS => s.public_channels = parse_public_channels(v(name))?,
                field::BADGE_CLASS => {
                    s.badge_class = present(Some(v(name))).map(parse_badge_class).transpose()?;
                }
                field::CLICK_ACTION => {
                    s.click = Some(ClickAction::parse(
                        v(name),
                        v(field::CLICK_URL),
                        v(field::CLICK_INTENT),
                    )?);
                }
                field::SERVICE_ACCOUNT => {
                    if editing && v(name).trim().is_empty() {
                        continue;
                    }
                    let account = ServiceAccount::parse(v(name))?;
                    s.project_id = Some(account.project_id.clone());
                    s.client_email = Some(account.client_email.clone());
                    secret = Some(account.into_secret());
                }
                secret_field => {
                    if editing && v(secret_field).is_empty() {
                        continue;
                    }
                    secret = Some(VendorSecret::parse(secret_field, v(secret_field))?);
                }
            }
        }
        Ok(CertificateInput {
            settings: s,
            secret,
        })
    }

    /// Every field's error at once, for showing next to each input while the user types.
    pub fn errors(&self, editing: bool) -> Vec<FieldError> {
        let Ok(vendor) = Vendor::parse(self.get("vendor")) else {
            return self
                .parse(editing)
                .err()
                .into_iter()
                .filter_map(field_error)
                .collect();
        };
        let mut out = Vec::new();
        for &name in vendor.fields() {
            // Each field alone: the draft with only that field filled from this one.
            let mut alone = Self::valid_sample(vendor);
            alone.set(name, self.get(name).to_owned());
            if name == field::CLICK_ACTION {
                alone.click_url = self.click_url.clone();
                alone.click_intent = self.click_intent.clone();
            }
            if let Some(e) = alone.parse(editing).err().and_then(field_error) {
                out.push(e);
            }
        }
        out
    }

    /// A draft that passes for `vendor`, used to check one field at a time.
    fn valid_sample(vendor: Vendor) -> Self {
        let mut d = Self::new(vendor);
        d.package_name = Some("com.example.im".into());
        d.app_id = Some("2882303761517".into());
        d.app_key = Some("sampleKey".into());
        d.client_id = Some("sampleClient".into());
        d.channel_id = Some("im".into());
        for f in [
            field::APP_SECRET,
            field::MASTER_SECRET,
            field::CLIENT_SECRET,
        ] {
            d.set(f, "sample-secret".into());
        }
        d.service_account = Some(
            r#"{"type":"service_account","project_id":"p","client_email":"a@p","private_key":"-----BEGIN PRIVATE KEY-----"}"#
                .into(),
        );
        d
    }
}

fn field_error(e: AppError) -> Option<FieldError> {
    match e {
        AppError::Invalid(f) => Some(f),
        _ => None,
    }
}

/// Where a certificate stands (生效中 / 已生效 / 凭据无效).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Pending,
    Effective,
    Invalid,
}

impl CertificateStatus {
    /// The status at `now` of a version effective from `effective_at`: pending before that
    /// second, effective from it on, invalid whenever the vendor refused its credentials.
    pub fn at(now: i64, effective_at: i64, check: CheckState) -> Self {
        if check == CheckState::Invalid {
            Self::Invalid
        } else if now < effective_at {
            Self::Pending
        } else {
            Self::Effective
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Effective => "effective",
            Self::Invalid => "invalid",
        }
    }
}

/// What the credential check on save found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// The vendor accepted the credentials.
    Passed,
    /// The vendor refused them (wrong secret, wrong package name).
    Invalid,
    /// The vendor could not be reached or gave no clear answer; saved anyway.
    Unverified,
    /// Not checked: pushdesk does not talk to this vendor yet.
    NotApplicable,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Invalid => "invalid",
            Self::Unverified => "unverified",
            Self::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Passed,
            Self::Invalid,
            Self::Unverified,
            Self::NotApplicable,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

impl TryFrom<String> for CheckState {
    type Error = AppError;

    fn try_from(raw: String) -> Result<Self, AppError> {
        Self::parse(&raw).ok_or_else(|| {
            AppError::invalid(
                "check_state",
                Rule::OneOf {
                    allowed: ["passed", "invalid", "unverified", "not_applicable"]
                        .map(String::from)
                        .to_vec(),
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(e: AppError) -> (String, Rule) {
        match e {
            AppError::Invalid(f) => (f.field, f.rule),
            other => panic!("not a field error: {other:?}"),
        }
    }

    fn xiaomi() -> CertificateDraft {
        let mut d = CertificateDraft::new(Vendor::Xiaomi);
        d.package_name = Some(" com.example.im ".into());
        d.app_id = Some("2882303761517473625".into());
        d.app_secret = Some("Zm9vYmFyYmF6cXV4MTIzNA==".into());
        d
    }

    #[test]
    fn a_xiaomi_certificate_parses_with_its_defaults() {
        let input = xiaomi().parse(false).unwrap();
        let s = input.settings;
        assert_eq!(s.vendor, Vendor::Xiaomi);
        assert_eq!(s.package_name.as_deref(), Some("com.example.im"));
        assert_eq!(s.region, Some(XiaomiRegion::China));
        assert_eq!(s.click, Some(ClickAction::OpenApp));
        assert_eq!(s.channel_id, None);
        assert_eq!(s.unique_key(), "com.example.im");
        assert_eq!(input.secret.unwrap().expose(), "Zm9vYmFyYmF6cXV4MTIzNA==");
    }

    #[test]
    fn each_vendor_asks_for_its_own_secret_and_key() {
        let mut oppo = CertificateDraft::new(Vendor::Oppo);
        oppo.app_key = Some("a1b2c3d4e5".into());
        oppo.app_id = Some("30012345".into());
        oppo.channel_id = Some("tuikit".into());
        assert_eq!(
            rule(oppo.parse(false).unwrap_err()),
            ("master_secret".into(), Rule::Required)
        );
        oppo.master_secret = Some("0123456789abcdef".into());
        let s = oppo.parse(false).unwrap().settings;
        assert_eq!(s.unique_key(), "30012345");
        assert_eq!(s.package_name, None);
        oppo.channel_id = None;
        assert_eq!(rule(oppo.parse(false).unwrap_err()).0, "channel_id");

        let mut honor = CertificateDraft::new(Vendor::Honor);
        honor.app_id = Some("104412345".into());
        honor.client_id = Some("1044123456".into());
        honor.client_secret = Some("honor-client-secret".into());
        honor.badge_class = Some("com.example.im.MainActivity".into());
        assert!(honor.parse(false).is_ok());
        honor.badge_class = Some("MainActivity".into());
        assert_eq!(rule(honor.parse(false).unwrap_err()).0, "badge_class");
    }

    #[test]
    fn an_edit_may_leave_the_secret_empty() {
        let mut d = xiaomi();
        d.app_secret = Some(String::new());
        assert_eq!(
            rule(d.parse(false).unwrap_err()),
            ("app_secret".into(), Rule::Required)
        );
        assert_eq!(d.parse(true).unwrap().secret, None);
    }

    #[test]
    fn bad_fields_name_the_field_and_the_rule() {
        let cases: [(&str, &str, &str); 14] = [
            ("vendor", "nokia", "vendor"),
            ("vendor", "", "vendor"),
            ("package_name", "example", "package_name"),
            ("package_name", "", "package_name"),
            ("app_id", "28823x", "app_id"),
            ("app_id", "123", "app_id"),
            ("app_secret", "has space in it", "app_secret"),
            ("app_secret", "short", "app_secret"),
            ("region", "mars", "region"),
            ("channel_id", "bad channel", "channel_id"),
            ("click_action", "open_door", "click_action"),
            ("click_action", "open_url", "click_url"),
            ("click_action", "open_intent", "click_intent"),
            ("app_secret", &"x".repeat(257), "app_secret"),
        ];
        for (name, value, field) in cases {
            let mut d = xiaomi();
            d.set(name, value.to_owned());
            let e = d.parse(false).unwrap_err();
            assert_eq!(e.field(), Some(field), "{name}={value}");
            for locale in [Locale::Zh, Locale::En] {
                let m = e.message(locale);
                assert!(!m.contains("rule.") && !m.contains("field."), "{m}");
            }
        }
    }

    #[test]
    fn click_targets_are_checked() {
        assert_eq!(
            ClickAction::parse("open_url", "https://example.com/a?b=1", "").unwrap(),
            ClickAction::OpenUrl {
                url: "https://example.com/a?b=1".into()
            }
        );
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://exa mple.com",
            "javascript:alert(1)",
        ] {
            assert!(ClickAction::parse("open_url", bad, "").is_err(), "{bad}");
        }
        let intent = "intent:#Intent;component=com.example.im/.ChatActivity;end";
        assert_eq!(
            ClickAction::parse("open_intent", "", intent).unwrap(),
            ClickAction::OpenIntent {
                intent: intent.into()
            }
        );
        for bad in [
            "com.example.im.ChatActivity",
            "intent:#Intent;component=com.example.im/.Chat",
            "intent:#Intent; component=x;end",
        ] {
            assert!(ClickAction::parse("open_intent", "", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_read_back_with_the_fields_they_were_written_with() {
        let mut d = xiaomi();
        d.click_action = Some("open_url".into());
        d.click_url = Some("https://example.com/chat".into());
        let s = d.parse(false).unwrap().settings;
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["click_action"], "open_url");
        assert_eq!(json["click_url"], "https://example.com/chat");
        assert_eq!(json.get("click_intent"), None);
        let back: CertificateSettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            CertificateDraft::from_settings(&back)
                .parse(true)
                .unwrap()
                .settings,
            s
        );
        let fcm: CertificateSettings =
            serde_json::from_str(r#"{"vendor":"fcm","project_id":"p"}"#).unwrap();
        assert_eq!(fcm.click, None);
    }

    #[test]
    fn fcm_takes_a_service_account_file() {
        let mut d = CertificateDraft::new(Vendor::Fcm);
        d.service_account = Some(
            r#"{"type":"service_account","project_id":"im-demo","private_key_id":"abc123",
                "private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
                "client_email":"push@im-demo.iam.gserviceaccount.com"}"#
                .into(),
        );
        let input = d.parse(false).unwrap();
        assert_eq!(input.settings.project_id.as_deref(), Some("im-demo"));
        assert_eq!(input.settings.unique_key(), "im-demo");
        assert!(input.secret.unwrap().expose().contains("PRIVATE KEY"));
        for bad in [
            "not json",
            "{}",
            r#"{"project_id":"p","client_email":"x","private_key":"-----BEGIN PRIVATE KEY-----"}"#,
            r#"{"type":"user","project_id":"p","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----"}"#,
        ] {
            d.service_account = Some(bad.into());
            assert_eq!(d.parse(false).unwrap_err().field(), Some("service_account"));
        }
    }

    #[test]
    fn errors_lists_every_bad_field_of_the_form() {
        let mut d = CertificateDraft::new(Vendor::Xiaomi);
        d.package_name = Some("bad".into());
        d.app_id = Some("12ab".into());
        let fields: Vec<String> = d.errors(false).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["package_name", "app_id", "app_secret"]);
        assert!(xiaomi().errors(false).is_empty());
    }

    #[test]
    fn status_turns_effective_at_the_second_it_is_due() {
        let at = 1_000;
        assert_eq!(
            CertificateStatus::at(999, at, CheckState::Passed),
            CertificateStatus::Pending
        );
        assert_eq!(
            CertificateStatus::at(1_000, at, CheckState::Passed),
            CertificateStatus::Effective
        );
        assert_eq!(
            CertificateStatus::at(1_001, at, CheckState::Unverified),
            CertificateStatus::Effective
        );
        assert_eq!(
            CertificateStatus::at(2_000, at, CheckState::Invalid),
            CertificateStatus::Invalid
        );
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let input = xiaomi().parse(false).unwrap();
        assert!(!format!("{input:?}").contains("Zm9vYmFy"));
    }

    #[test]
    fn a_push_falls_in_the_class_of_its_channel() {
        let mut d = CertificateDraft::valid_sample(Vendor::Xiaomi);
        d.channel_id = None;
        d.public_channels = Some("news，promo news".into());
        let s = d.parse(false).unwrap().settings;
        assert_eq!(s.public_channels, ["news", "promo"]);
        assert_eq!(s.message_class(None), MessageClass::Default);
        assert_eq!(s.message_class(Some("news")), MessageClass::Public);
        assert_eq!(s.message_class(Some("im")), MessageClass::Private);
        assert_eq!(MessageClass::Default.daily_cap(), Some(1));
        assert_eq!(MessageClass::Private.daily_cap(), None);
        d.public_channels = Some("a b!".into());
        assert_eq!(
            d.parse(false).unwrap_err().field(),
            Some(field::PUBLIC_CHANNELS)
        );
    }

    #[test]
    fn the_quota_day_turns_at_midnight_in_beijing() {
        // 2026-12-03 15:59:59 UTC is 23:59:59 in Beijing; a second later the next day begins.
        let before = 1_796_313_599;
        assert_eq!(beijing_day(before) + 1, beijing_day(before + 1));
        assert_eq!(beijing_day(0), 0);
    }
}
