//! Xiaomi Push (MiPush) server result codes, from §3.4 of `docs/mipush-server-api.md`.
//!
//! The texts follow Xiaomi's own `description` strings where the official table has them, so a
//! code shown next to the vendor's reply reads the same.

use std::fmt;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A MiPush result code (§3.4 of docs/mipush-server-api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// -1 — 未知错误 / Unknown error.
    UnknownError,
    /// 0 — 成功 / Success.
    Success,
    /// 1 — 内部错误 / Internal error.
    InternalError,
    /// 100 — 参数不能为空 / Parameter must not be empty.
    ParameterEmpty,
    /// 10001 — 系统错误 / System error.
    SystemError,
    /// 10002 — 系统繁忙，服务暂停 / System busy or service paused.
    SystemBusy,
    /// 10003 — 远程服务错误 / Remote service error.
    RemoteServiceError,
    /// 10004 — IP限制不能请求该资源 / IP not allowed to request this resource.
    IpRestricted,
    /// 10005 — 该资源需要appkey拥有授权 / Resource needs an authorized appkey.
    AppKeyNotAuthorized,
    /// 10006 — 缺少appkey参数 / Missing appkey.
    MissingAppKey,
    /// 10007 — 不支持的 mime type / Unsupported MIME type.
    UnsupportedMimeType,
    /// 10008 — 参数错误，请参考API文档 / Parameter error, see the API docs.
    ParameterError,
    /// 10009 — 系统繁忙 / System busy.
    SystemBusyRetry,
    /// 10010 — 任务超时 / Job expired.
    JobExpired,
    /// 10011 — RPC错误 / RPC error.
    RpcError,
    /// 10012 — 非法请求 / Illegal request.
    IllegalRequest,
    /// 10013 — 不合法的用户 / Invalid user.
    InvalidUser,
    /// 10014 — 应用的接口访问权限受限 / App API access restricted.
    AppApiAccessRestricted,
    /// 10016 — 缺失必选参数 / Missing required parameter.
    MissingRequiredParameter,
    /// 10017 — 参数值非法 / Illegal parameter value.
    IllegalParameterValue,
    /// 10018 — 请求长度超过限制 / Request too long.
    RequestTooLong,
    /// 10020 — 接口不存在 / API not found.
    ApiNotFound,
    /// 10021 — 请求的HTTP方法不支持 / HTTP method not supported.
    HttpMethodNotSupported,
    /// 10022 — IP请求频次超过上限 / IP request rate exceeded.
    IpRateExceeded,
    /// 10023 — 用户请求频次超过上限 / User request rate exceeded.
    UserRateExceeded,
    /// 10024 — 用户请求特殊接口频次超过上限 / Special API request rate exceeded.
    SpecialApiRateExceeded,
    /// 10025 — Callback连接不合法 / Illegal callback URL.
    IllegalCallback,
    /// 10026 — 应用被加入黑名单，不能调用API / App blacklisted, API calls refused.
    AppBlacklisted,
    /// 10027 — 应用的API调用太频繁 / App's API calls too frequent.
    AppApiTooFrequent,
    /// 10028 — 应用API调用总数太频繁 / App's total API calls too frequent.
    AppTotalApiTooFrequent,
    /// 10029 — 不合法的设备 / Invalid device.
    InvalidDevice,
    /// 10030 — 应用获取失效regid太频繁 / Fetching invalid regIds too often.
    InvalidRegIdFetchTooFrequent,
    /// 10031 — 应用在黑名单中，禁止发送消息 / App blacklisted, sending forbidden.
    AppBlacklistedForSend,
    /// 10032 — 应用获取失效alias太频繁 / Fetching invalid aliases too often.
    InvalidAliasFetchTooFrequent,
    /// 10033 — 应用在黑名单中，禁止发feedback请求 / App blacklisted for feedback.
    AppBlacklistedForFeedback,
    /// 10034 — 应用当日发送消息数量过多 / Too many messages today.
    TooManyMessagesToday,
    /// 10035 — 没有更多的失效alias可供拉取 / No more invalid aliases to fetch.
    NoMoreInvalidAliases,
    /// 10036 — 应用操作被禁止 / Operation forbidden.
    OperationForbidden,
    /// 10037 — 请求过期 / Request expired.
    RequestExpired,
    /// 10038 — 应用禁止访问统计和trace数据 / Stats/trace access forbidden.
    StatsAccessForbidden,
    /// 10039 — 应用获取消息统计和trace太过频繁 / Stats/trace calls too frequent.
    StatsTooFrequent,
    /// 20209 — 不合法的主题 / Illegal topic.
    IllegalTopic,
    /// 20215 — 订阅主题失败 / Subscribe failed.
    SubscribeFailed,
    /// 20216 — 退订主题失败 / Unsubscribe failed.
    UnsubscribeFailed,
    /// 20301 — 发送消息失败 / Send failed: no valid targets (unknown, uninstalled or another package's regId).
    NoValidTargets,
    /// 20315 — 删除广播消息失败 / Deleting broadcast failed.
    DeleteBroadcastFailed,
    /// 20607 — DB错误 / DB error.
    DbError,
    /// 21301 — 认证失败 / Authentication failed (reason `Invalid application secret.`).
    AuthenticationFailed,
    /// 21302 — token认证失败 / Token authentication failed.
    TokenAuthenticationFailed,
    /// 21303 — 被限制的请求 / Restricted request.
    RestrictedRequest,
    /// 21305 — 缺少必要的参数 / Missing required parameter.
    MissingNecessaryParameter,
    /// 22000 — 非法应用 / Illegal application.
    IllegalApplication,
    /// 22001 — 应用不存在 / App does not exist.
    AppNotFound,
    /// 22002 — 应用已经撤销 / App revoked.
    AppRevoked,
    /// 22003 — 更新应用程序失败 / Updating the app failed.
    AppUpdateFailed,
    /// 22004 — 缺少应用程序信息 / App info missing.
    AppInfoMissing,
    /// 22005 — 应用程序名字不合法 / Illegal app name.
    IllegalAppName,
    /// 22006 — 应用程序Id不合法 / Illegal app id.
    IllegalAppId,
    /// 22007 — 应用程序Key不合法 / Illegal app key.
    IllegalAppKey,
    /// 22008 — 应用程序Secret不合法 / Illegal app secret.
    IllegalAppSecret,
    /// 22020 — 应用程序描述信息不合法 / Illegal app description.
    IllegalAppDescription,
    /// 22021 — 用户没有授权给应用程序 / User has not authorized the app.
    AppNotAuthorizedByUser,
    /// 22022 — 应用程序package name不合法 / Illegal package name.
    IllegalPackageName,
    /// 22100 — 应用通知数据格式不合法 / Illegal notification format.
    IllegalNotificationFormat,
    /// 22101 — 太多应用通知消息 / Too many notifications.
    TooManyNotifications,
    /// 22102 — 发送应用通知消息失败 / Sending the app notification failed.
    NotificationSendFailed,
    /// 22103 — 应用通知ID不合法 / Illegal notify id.
    IllegalNotifyId,
    /// 26003 — 消息Push内部调用失败 / Internal push call failed.
    PushInternalCallFailed,
    /// 26004 — 广播消息发送太频繁 / Broadcasts too frequent.
    BroadcastTooFrequent,
    /// 26005 — account设置太频繁而被禁止 / Account set too often, banned.
    AccountSetTooFrequent,
    /// 26006 — 发送需要审核，请及时审核 / Send needs review.
    SendNeedsReview,
    /// 27001 — channel相关信息不匹配 / Channel info mismatch (reason `invalid channel info!`).
    ChannelMismatch,
    /// 65003 — 未找到device，通常是设备不在线导致 / Device not found, usually offline.
    DeviceNotFound,
    /// 65006 — 别名设置太频繁而被禁止 / Alias set too often, banned.
    AliasSetTooFrequent,
    /// 65007 — 别名在黑名单中 / Alias blacklisted.
    AliasBlacklisted,
    /// 65008 — 别名长度太长 / Alias too long.
    AliasTooLong,
    /// 65009 — 消息内容太长 / Message content too long.
    MessageTooLong,
    /// 65010 — 主题长度太长 / Topic too long.
    TopicTooLong,
    /// 65011 — 未提供参数 / No parameter provided (observed reason `Title or Description is empty!`).
    NoParameter,
    /// 65012 — 别名为空 / Alias empty.
    AliasEmpty,
    /// 65013 — 主题为空 / Topic empty.
    TopicEmpty,
    /// 65014 — 键值对数目太多 / Too many key-value pairs.
    TooManyExtras,
    /// 65015 — 键值对总长度太长 / Key-value pairs too long in total.
    ExtrasTooLong,
    /// 65016 — User account为空 / User account empty.
    UserAccountEmpty,
    /// 65017 — User account长度太长 / User account too long.
    UserAccountTooLong,
    /// 65028 — 未查询到相应消息 / Message not found.
    MessageNotFound,
    /// 65029 — 远程服务异常 / Remote service error.
    RemoteServiceException,
    /// 65030 — 构建json时出现异常 / Building JSON failed.
    JsonBuildFailed,
    /// 65035 — 主题数量太多 / Too many topics.
    TooManyTopics,
    /// 65036 — Callback参数太长 / Callback parameter too long.
    CallbackParamTooLong,
    /// 65037 — Callback url太长 / Callback URL too long.
    CallbackUrlTooLong,
    /// 65038 — Callback url非法 / Illegal callback URL.
    CallbackUrlIllegal,
    /// 65040 — 注销失败 / Unregister failed.
    UnregisterFailed,
    /// 65041 — ImeiMd5为空 / ImeiMd5 empty.
    ImeiMd5Empty,
    /// 66108 — 包名错误或与小米后台登记的不一致 / Package name wrong or not matching Xiaomi's record.
    PackageNameMismatch,
    /// 200001 — 超过当日推送配额 / Daily quota exceeded.
    DailyQuotaExceeded,
    /// 200002 — 单次请求目标数超过1000 / More than 1000 targets in one request.
    TooManyTargets,
    /// Any code not in the table.
    Unknown(i64),
}

impl ErrorCode {
    /// Every known code, for tests and tables.
    pub const ALL: &'static [ErrorCode] = &[
        Self::UnknownError,
        Self::Success,
        Self::InternalError,
        Self::ParameterEmpty,
        Self::SystemError,
        Self::SystemBusy,
        Self::RemoteServiceError,
        Self::IpRestricted,
        Self::AppKeyNotAuthorized,
        Self::MissingAppKey,
        Self::UnsupportedMimeType,
        Self::ParameterError,
        Self::SystemBusyRetry,
        Self::JobExpired,
        Self::RpcError,
        Self::IllegalRequest,
        Self::InvalidUser,
        Self::AppApiAccessRestricted,
        Self::MissingRequiredParameter,
        Self::IllegalParameterValue,
        Self::RequestTooLong,
        Self::ApiNotFound,
        Self::HttpMethodNotSupported,
        Self::IpRateExceeded,
        Self::UserRateExceeded,
        Self::SpecialApiRateExceeded,
        Self::IllegalCallback,
        Self::AppBlacklisted,
        Self::AppApiTooFrequent,
        Self::AppTotalApiTooFrequent,
        Self::InvalidDevice,
        Self::InvalidRegIdFetchTooFrequent,
        Self::AppBlacklistedForSend,
        Self::InvalidAliasFetchTooFrequent,
        Self::AppBlacklistedForFeedback,
        Self::TooManyMessagesToday,
        Self::NoMoreInvalidAliases,
        Self::OperationForbidden,
        Self::RequestExpired,
        Self::StatsAccessForbidden,
        Self::StatsTooFrequent,
        Self::IllegalTopic,
        Self::SubscribeFailed,
        Self::UnsubscribeFailed,
        Self::NoValidTargets,
        Self::DeleteBroadcastFailed,
        Self::DbError,
        Self::AuthenticationFailed,
        Self::TokenAuthenticationFailed,
        Self::RestrictedRequest,
        Self::MissingNecessaryParameter,
        Self::IllegalApplication,
        Self::AppNotFound,
        Self::AppRevoked,
        Self::AppUpdateFailed,
        Self::AppInfoMissing,
        Self::IllegalAppName,
        Self::IllegalAppId,
        Self::IllegalAppKey,
        Self::IllegalAppSecret,
        Self::IllegalAppDescription,
        Self::AppNotAuthorizedByUser,
        Self::IllegalPackageName,
        Self::IllegalNotificationFormat,
        Self::TooManyNotifications,
        Self::NotificationSendFailed,
        Self::IllegalNotifyId,
        Self::PushInternalCallFailed,
        Self::BroadcastTooFrequent,
        Self::AccountSetTooFrequent,
        Self::SendNeedsReview,
        Self::ChannelMismatch,
        Self::DeviceNotFound,
        Self::AliasSetTooFrequent,
        Self::AliasBlacklisted,
        Self::AliasTooLong,
        Self::MessageTooLong,
        Self::TopicTooLong,
        Self::NoParameter,
        Self::AliasEmpty,
        Self::TopicEmpty,
        Self::TooManyExtras,
        Self::ExtrasTooLong,
        Self::UserAccountEmpty,
        Self::UserAccountTooLong,
        Self::MessageNotFound,
        Self::RemoteServiceException,
        Self::JsonBuildFailed,
        Self::TooManyTopics,
        Self::CallbackParamTooLong,
        Self::CallbackUrlTooLong,
        Self::CallbackUrlIllegal,
        Self::UnregisterFailed,
        Self::ImeiMd5Empty,
        Self::PackageNameMismatch,
        Self::DailyQuotaExceeded,
        Self::TooManyTargets,
    ];

    pub fn from_code(code: i64) -> Self {
        // Driven by ALL so that a code added to the table cannot be missed in this direction.
        Self::ALL
            .iter()
            .copied()
            .find(|known| known.code() == code)
            .unwrap_or(Self::Unknown(code))
    }

    pub fn code(self) -> i64 {
        match self {
            Self::UnknownError => -1,
            Self::Success => 0,
            Self::InternalError => 1,
            Self::ParameterEmpty => 100,
            Self::SystemError => 10001,
            Self::SystemBusy => 10002,
            Self::RemoteServiceError => 10003,
            Self::IpRestricted => 10004,
            Self::AppKeyNotAuthorized => 10005,
            Self::MissingAppKey => 10006,
            Self::UnsupportedMimeType => 10007,
            Self::ParameterError => 10008,
            Self::SystemBusyRetry => 10009,
            Self::JobExpired => 10010,
            Self::RpcError => 10011,
            Self::IllegalRequest => 10012,
            Self::InvalidUser => 10013,
            Self::AppApiAccessRestricted => 10014,
            Self::MissingRequiredParameter => 10016,
            Self::IllegalParameterValue => 10017,
            Self::RequestTooLong => 10018,
            Self::ApiNotFound => 10020,
            Self::HttpMethodNotSupported => 10021,
            Self::IpRateExceeded => 10022,
            Self::UserRateExceeded => 10023,
            Self::SpecialApiRateExceeded => 10024,
            Self::IllegalCallback => 10025,
            Self::AppBlacklisted => 10026,
            Self::AppApiTooFrequent => 10027,
            Self::AppTotalApiTooFrequent => 10028,
            Self::InvalidDevice => 10029,
            Self::InvalidRegIdFetchTooFrequent => 10030,
            Self::AppBlacklistedForSend => 10031,
            Self::InvalidAliasFetchTooFrequent => 10032,
            Self::AppBlacklistedForFeedback => 10033,
            Self::TooManyMessagesToday => 10034,
            Self::NoMoreInvalidAliases => 10035,
            Self::OperationForbidden => 10036,
            Self::RequestExpired => 10037,
            Self::StatsAccessForbidden => 10038,
            Self::StatsTooFrequent => 10039,
            Self::IllegalTopic => 20209,
            Self::SubscribeFailed => 20215,
            Self::UnsubscribeFailed => 20216,
            Self::NoValidTargets => 20301,
            Self::DeleteBroadcastFailed => 20315,
            Self::DbError => 20607,
            Self::AuthenticationFailed => 21301,
            Self::TokenAuthenticationFailed => 21302,
            Self::RestrictedRequest => 21303,
            Self::MissingNecessaryParameter => 21305,
            Self::IllegalApplication => 22000,
            Self::AppNotFound => 22001,
            Self::AppRevoked => 22002,
            Self::AppUpdateFailed => 22003,
            Self::AppInfoMissing => 22004,
            Self::IllegalAppName => 22005,
            Self::IllegalAppId => 22006,
            Self::IllegalAppKey => 22007,
            Self::IllegalAppSecret => 22008,
            Self::IllegalAppDescription => 22020,
            Self::AppNotAuthorizedByUser => 22021,
            Self::IllegalPackageName => 22022,
            Self::IllegalNotificationFormat => 22100,
            Self::TooManyNotifications => 22101,
            Self::NotificationSendFailed => 22102,
            Self::IllegalNotifyId => 22103,
            Self::PushInternalCallFailed => 26003,
            Self::BroadcastTooFrequent => 26004,
            Self::AccountSetTooFrequent => 26005,
            Self::SendNeedsReview => 26006,
            Self::ChannelMismatch => 27001,
            Self::DeviceNotFound => 65003,
            Self::AliasSetTooFrequent => 65006,
            Self::AliasBlacklisted => 65007,
            Self::AliasTooLong => 65008,
            Self::MessageTooLong => 65009,
            Self::TopicTooLong => 65010,
            Self::NoParameter => 65011,
            Self::AliasEmpty => 65012,
            Self::TopicEmpty => 65013,
            Self::TooManyExtras => 65014,
            Self::ExtrasTooLong => 65015,
            Self::UserAccountEmpty => 65016,
            Self::UserAccountTooLong => 65017,
            Self::MessageNotFound => 65028,
            Self::RemoteServiceException => 65029,
            Self::JsonBuildFailed => 65030,
            Self::TooManyTopics => 65035,
            Self::CallbackParamTooLong => 65036,
            Self::CallbackUrlTooLong => 65037,
            Self::CallbackUrlIllegal => 65038,
            Self::UnregisterFailed => 65040,
            Self::ImeiMd5Empty => 65041,
            Self::PackageNameMismatch => 66108,
            Self::DailyQuotaExceeded => 200001,
            Self::TooManyTargets => 200002,
            Self::Unknown(code) => code,
        }
    }

    /// Chinese meaning (short, like the vendor's `description`, e.g. "认证失败").
    pub fn meaning_zh(self) -> &'static str {
        self.meanings().0
    }

    /// English meaning.
    pub fn meaning_en(self) -> &'static str {
        self.meanings().1
    }

    /// A suggested fix in Chinese, where one exists.
    pub fn fix_zh(self) -> Option<&'static str> {
        self.fixes().map(|(zh, _)| zh)
    }

    /// A suggested fix in English, where one exists.
    pub fn fix_en(self) -> Option<&'static str> {
        self.fixes().map(|(_, en)| en)
    }

    /// The service refused the credentials themselves: the AppSecret, the app or its package
    /// name. A certificate answered with one of these is invalid until edited.
    pub fn is_credential_error(self) -> bool {
        matches!(
            self,
            Self::AuthenticationFailed
                | Self::TokenAuthenticationFailed
                | Self::IllegalApplication
                | Self::AppNotFound
                | Self::AppRevoked
                | Self::IllegalAppId
                | Self::IllegalAppKey
                | Self::IllegalAppSecret
                | Self::IllegalPackageName
        )
    }

    /// Worth retrying later: the service was busy or rate-limited us (10002 system busy,
    /// 10009 system busy, 10001 system error, 10003 remote service error, 10027 app API calls too
    /// frequent, 10028, 10022, 10023, 10024 rate limits, 10037 request expired, 65029 remote
    /// service error, 1 internal error, 26003).
    /// Never authentication, package, parameter, quota or invalid-target errors.
    pub fn is_transient(self) -> bool {
        // Unknown codes stay false: retrying a rejection we cannot classify could loop forever.
        matches!(
            self,
            Self::InternalError
                | Self::SystemError
                | Self::SystemBusy
                | Self::RemoteServiceError
                | Self::SystemBusyRetry
                | Self::IpRateExceeded
                | Self::UserRateExceeded
                | Self::SpecialApiRateExceeded
                | Self::AppApiTooFrequent
                | Self::AppTotalApiTooFrequent
                | Self::RequestExpired
                | Self::PushInternalCallFailed
                | Self::RemoteServiceException
        )
    }

    // Kept as one (zh, en) row per code so the two languages cannot fall out of step.
    fn meanings(self) -> (&'static str, &'static str) {
        match self {
            Self::UnknownError => ("未知错误", "Unknown error"),
            Self::Success => ("成功", "Success"),
            Self::InternalError => ("内部错误", "Internal error"),
            Self::ParameterEmpty => ("参数不能为空", "Parameter must not be empty"),
            Self::SystemError => ("系统错误", "System error"),
            Self::SystemBusy => ("系统繁忙，服务暂停", "System busy or service paused"),
            Self::RemoteServiceError => ("远程服务错误", "Remote service error"),
            Self::IpRestricted => (
                "IP限制不能请求该资源",
                "IP not allowed to request this resource",
            ),
            Self::AppKeyNotAuthorized => (
                "该资源需要appkey拥有授权",
                "Resource needs an authorized appkey",
            ),
            Self::MissingAppKey => ("缺少appkey参数", "Missing appkey"),
            Self::UnsupportedMimeType => ("不支持的 mime type", "Unsupported MIME type"),
            Self::ParameterError => (
                "参数错误，请参考API文档",
                "Parameter error, see the API docs",
            ),
            Self::SystemBusyRetry => ("系统繁忙", "System busy"),
            Self::JobExpired => ("任务超时", "Job expired"),
            Self::RpcError => ("RPC错误", "RPC error"),
            Self::IllegalRequest => ("非法请求", "Illegal request"),
            Self::InvalidUser => ("不合法的用户", "Invalid user"),
            Self::AppApiAccessRestricted => ("应用的接口访问权限受限", "App API access restricted"),
            Self::MissingRequiredParameter => ("缺失必选参数", "Missing required parameter"),
            Self::IllegalParameterValue => ("参数值非法", "Illegal parameter value"),
            Self::RequestTooLong => ("请求长度超过限制", "Request too long"),
            Self::ApiNotFound => ("接口不存在", "API not found"),
            Self::HttpMethodNotSupported => ("请求的HTTP方法不支持", "HTTP method not supported"),
            Self::IpRateExceeded => ("IP请求频次超过上限", "IP request rate exceeded"),
            Self::UserRateExceeded => ("用户请求频次超过上限", "User request rate exceeded"),
            Self::SpecialApiRateExceeded => (
                "用户请求特殊接口频次超过上限",
                "Special API request rate exceeded",
            ),
            Self::IllegalCallback => ("Callback连接不合法", "Illegal callback URL"),
            Self::AppBlacklisted => (
                "应用被加入黑名单，不能调用API",
                "App blacklisted, API calls refused",
            ),
            Self::AppApiTooFrequent => ("应用的API调用太频繁", "App's API calls too frequent"),
            Self::AppTotalApiTooFrequent => (
                "应用API调用总数太频繁",
                "App's total API calls too frequent",
            ),
            Self::InvalidDevice => ("不合法的设备", "Invalid device"),
            Self::InvalidRegIdFetchTooFrequent => (
                "应用获取失效regid太频繁",
                "Fetching invalid regIds too often",
            ),
            Self::AppBlacklistedForSend => (
                "应用在黑名单中，禁止发送消息",
                "App blacklisted, sending forbidden",
            ),
            Self::InvalidAliasFetchTooFrequent => (
                "应用获取失效alias太频繁",
                "Fetching invalid aliases too often",
            ),
            Self::AppBlacklistedForFeedback => (
                "应用在黑名单中，禁止发feedback请求",
                "App blacklisted for feedback",
            ),
            Self::TooManyMessagesToday => ("应用当日发送消息数量过多", "Too many messages today"),
            Self::NoMoreInvalidAliases => (
                "没有更多的失效alias可供拉取",
                "No more invalid aliases to fetch",
            ),
            Self::OperationForbidden => ("应用操作被禁止", "Operation forbidden"),
            Self::RequestExpired => ("请求过期", "Request expired"),
            Self::StatsAccessForbidden => (
                "应用禁止访问统计和trace数据",
                "Stats/trace access forbidden",
            ),
            Self::StatsTooFrequent => (
                "应用获取消息统计和trace太过频繁",
                "Stats/trace calls too frequent",
            ),
            Self::IllegalTopic => ("不合法的主题", "Illegal topic"),
            Self::SubscribeFailed => ("订阅主题失败", "Subscribe failed"),
            Self::UnsubscribeFailed => ("退订主题失败", "Unsubscribe failed"),
            Self::NoValidTargets => ("发送消息失败", "Send failed: no valid targets"),
            Self::DeleteBroadcastFailed => ("删除广播消息失败", "Deleting broadcast failed"),
            Self::DbError => ("DB错误", "DB error"),
            Self::AuthenticationFailed => ("认证失败", "Authentication failed"),
            Self::TokenAuthenticationFailed => ("token认证失败", "Token authentication failed"),
            Self::RestrictedRequest => ("被限制的请求", "Restricted request"),
            Self::MissingNecessaryParameter => ("缺少必要的参数", "Missing required parameter"),
            Self::IllegalApplication => ("非法应用", "Illegal application"),
            Self::AppNotFound => ("应用不存在", "App does not exist"),
            Self::AppRevoked => ("应用已经撤销", "App revoked"),
            Self::AppUpdateFailed => ("更新应用程序失败", "Updating the app failed"),
            Self::AppInfoMissing => ("缺少应用程序信息", "App info missing"),
            Self::IllegalAppName => ("应用程序名字不合法", "Illegal app name"),
            Self::IllegalAppId => ("应用程序Id不合法", "Illegal app id"),
            Self::IllegalAppKey => ("应用程序Key不合法", "Illegal app key"),
            Self::IllegalAppSecret => ("应用程序Secret不合法", "Illegal app secret"),
            Self::IllegalAppDescription => ("应用程序描述信息不合法", "Illegal app description"),
            Self::AppNotAuthorizedByUser => {
                ("用户没有授权给应用程序", "User has not authorized the app")
            }
            Self::IllegalPackageName => ("应用程序package name不合法", "Illegal package name"),
            Self::IllegalNotificationFormat => {
                ("应用通知数据格式不合法", "Illegal notification format")
            }
            Self::TooManyNotifications => ("太多应用通知消息", "Too many notifications"),
            Self::NotificationSendFailed => (
                "发送应用通知消息失败",
                "Sending the app notification failed",
            ),
            Self::IllegalNotifyId => ("应用通知ID不合法", "Illegal notify id"),
            Self::PushInternalCallFailed => ("消息Push内部调用失败", "Internal push call failed"),
            Self::BroadcastTooFrequent => ("广播消息发送太频繁", "Broadcasts too frequent"),
            Self::AccountSetTooFrequent => {
                ("account设置太频繁而被禁止", "Account set too often, banned")
            }
            Self::SendNeedsReview => ("发送需要审核，请及时审核", "Send needs review"),
            Self::ChannelMismatch => ("channel相关信息不匹配", "Channel info mismatch"),
            Self::DeviceNotFound => (
                "未找到device，通常是设备不在线导致",
                "Device not found, usually offline",
            ),
            Self::AliasSetTooFrequent => ("别名设置太频繁而被禁止", "Alias set too often, banned"),
            Self::AliasBlacklisted => ("别名在黑名单中", "Alias blacklisted"),
            Self::AliasTooLong => ("别名长度太长", "Alias too long"),
            Self::MessageTooLong => ("消息内容太长", "Message content too long"),
            Self::TopicTooLong => ("主题长度太长", "Topic too long"),
            Self::NoParameter => ("未提供参数", "No parameter provided"),
            Self::AliasEmpty => ("别名为空", "Alias empty"),
            Self::TopicEmpty => ("主题为空", "Topic empty"),
            Self::TooManyExtras => ("键值对数目太多", "Too many key-value pairs"),
            Self::ExtrasTooLong => ("键值对总长度太长", "Key-value pairs too long in total"),
            Self::UserAccountEmpty => ("User account为空", "User account empty"),
            Self::UserAccountTooLong => ("User account长度太长", "User account too long"),
            Self::MessageNotFound => ("未查询到相应消息", "Message not found"),
            Self::RemoteServiceException => ("远程服务异常", "Remote service error"),
            Self::JsonBuildFailed => ("构建json时出现异常", "Building JSON failed"),
            Self::TooManyTopics => ("主题数量太多", "Too many topics"),
            Self::CallbackParamTooLong => ("Callback参数太长", "Callback parameter too long"),
            Self::CallbackUrlTooLong => ("Callback url太长", "Callback URL too long"),
            Self::CallbackUrlIllegal => ("Callback url非法", "Illegal callback URL"),
            Self::UnregisterFailed => ("注销失败", "Unregister failed"),
            Self::ImeiMd5Empty => ("ImeiMd5为空", "ImeiMd5 empty"),
            Self::PackageNameMismatch => (
                "包名错误或与小米后台登记的不一致",
                "Package name wrong or not matching Xiaomi's record",
            ),
            Self::DailyQuotaExceeded => ("超过当日推送配额", "Daily quota exceeded"),
            Self::TooManyTargets => (
                "单次请求目标数超过1000",
                "More than 1000 targets in one request",
            ),
            Self::Unknown(_) => ("未知错误码", "Unknown code"),
        }
    }

    fn fixes(self) -> Option<(&'static str, &'static str)> {
        let fix = match self {
            Self::AuthenticationFailed | Self::IllegalAppSecret => (
                "检查证书中的 AppSecret：必须是该包名在小米推送的 AppSecret，不是 AppKey 或 AppID。",
                "Check the AppSecret in the certificate: it must be the MiPush AppSecret of this package, not the AppKey or AppID.",
            ),
            Self::IllegalPackageName | Self::PackageNameMismatch => (
                "证书中的包名必须是在小米开放平台登记的应用主包名。",
                "The package name in the certificate must be the app's main package registered with Xiaomi.",
            ),
            Self::NoValidTargets => (
                "regId 未知、已卸载、已过期或属于其他包名：请让应用重新上报最新的 regId。",
                "The regId is unknown, uninstalled, expired or registered for another package: have the app report a fresh regId.",
            ),
            Self::ChannelMismatch => (
                "channel ID 缺失、错误或尚未在小米推送运营平台审核通过；请在证书中配置相同的 ChannelID。",
                "The channel ID is missing, wrong or not yet approved on Xiaomi's push operations platform; configure the same ChannelID in the certificate.",
            ),
            Self::NoParameter => (
                "标题（title）和描述（description）都不能为空。",
                "Title and description must not be empty.",
            ),
            Self::MessageTooLong => (
                "标题需少于 50 个字符，描述需少于 128 个字符。",
                "Shorten the title to under 50 characters and the description to under 128.",
            ),
            Self::TooManyExtras | Self::ExtrasTooLong => (
                "extra 自定义键值对最多 10 对，每个键和值最长 1024 个字符。",
                "Send at most 10 extra key/value pairs, each key and value at most 1024 characters.",
            ),
            Self::DailyQuotaExceeded => (
                "该设备在此消息类别的当日配额已用完（无通道每天 1 条，公信 5 条）：在小米推送运营平台把 IM 消息的通道登记为私信，并把该通道设为证书的 ChannelID。",
                "The device's daily quota in this message class is used up (1 a day without a channel, 5 on a 公信 channel): register an IM channel as 私信 (private) on Xiaomi's push operations platform and set it as the certificate's ChannelID.",
            ),
            Self::TooManyTargets => (
                "每次请求最多携带 1000 个 regId，请分批发送。",
                "Send at most 1000 regIds per request; split larger sends into batches.",
            ),
            Self::SystemBusy
            | Self::SystemBusyRetry
            | Self::AppApiTooFrequent
            | Self::AppTotalApiTooFrequent
            | Self::IpRateExceeded
            | Self::UserRateExceeded
            | Self::SpecialApiRateExceeded => (
                "会自动重试；若持续出现，请降低发送频率。",
                "Retried automatically; if it persists, lower the send rate.",
            ),
            Self::ParameterEmpty
            | Self::ParameterError
            | Self::MissingRequiredParameter
            | Self::IllegalParameterValue
            | Self::MissingNecessaryParameter => (
                "参数缺失或取值非法：请检查消息的各个字段。",
                "A parameter is missing or has an illegal value: check the message fields.",
            ),
            _ => return None,
        };
        Some(fix)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.meaning_en())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `any`, because some clients and servers send the code quoted ("code":"0").
        deserializer.deserialize_any(CodeVisitor)
    }
}

struct CodeVisitor;

impl Visitor<'_> for CodeVisitor {
    type Value = ErrorCode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MiPush result code: an integer, or a string holding one")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ErrorCode, E> {
        Ok(ErrorCode::from_code(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ErrorCode, E> {
        i64::try_from(v)
            .map(ErrorCode::from_code)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorCode, E> {
        v.parse::<i64>()
            .map(ErrorCode::from_code)
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The codes of the table in §3.4, listed apart from ALL so a variant left out of it shows up.
    const SPEC_CODES: &[i64] = &[
        -1, 0, 1, 100, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10009, 10010, 10011,
        10012, 10013, 10014, 10016, 10017, 10018, 10020, 10021, 10022, 10023, 10024, 10025, 10026,
        10027, 10028, 10029, 10030, 10031, 10032, 10033, 10034, 10035, 10036, 10037, 10038, 10039,
        20209, 20215, 20216, 20301, 20315, 20607, 21301, 21302, 21303, 21305, 22000, 22001, 22002,
        22003, 22004, 22005, 22006, 22007, 22008, 22020, 22021, 22022, 22100, 22101, 22102, 22103,
        26003, 26004, 26005, 26006, 27001, 65003, 65006, 65007, 65008, 65009, 65010, 65011, 65012,
        65013, 65014, 65015, 65016, 65017, 65028, 65029, 65030, 65035, 65036, 65037, 65038, 65040,
        65041, 66108, 200001, 200002,
    ];

    #[test]
    fn all_matches_the_reference_table() {
        let all: Vec<i64> = ErrorCode::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(all, SPEC_CODES);
    }

    #[test]
    fn every_known_code_round_trips() {
        for &e in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(e.code()), e, "{e:?}");
            assert!(!matches!(e, ErrorCode::Unknown(_)));
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        let e = ErrorCode::from_code(12345);
        assert_eq!(e, ErrorCode::Unknown(12345));
        assert_eq!(e.code(), 12345);
        assert_eq!(ErrorCode::from_code(e.code()), e);
        assert_eq!(e.to_string(), "12345 Unknown code");
        assert_eq!(e.fix_en(), None);
        assert!(!e.is_transient());
    }

    #[test]
    fn codes_and_names_are_distinct() {
        let codes: HashSet<i64> = ErrorCode::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        let variants: HashSet<ErrorCode> = ErrorCode::ALL.iter().copied().collect();
        assert_eq!(variants.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn every_code_has_both_meanings_and_fixes_come_in_pairs() {
        for &e in ErrorCode::ALL {
            assert!(!e.meaning_zh().is_empty(), "{e:?}");
            assert!(!e.meaning_en().is_empty(), "{e:?}");
            assert_eq!(e.fix_zh().is_some(), e.fix_en().is_some(), "{e:?}");
        }
    }

    #[test]
    fn required_fixes_exist() {
        for code in [
            21301, 22022, 66108, 20301, 27001, 65011, 65009, 65014, 65015, 200001, 200002, 10027,
            10002, 10009, 10016, 10017, 10008,
        ] {
            let e = ErrorCode::from_code(code);
            assert!(e.fix_zh().is_some() && e.fix_en().is_some(), "{code}");
        }
        assert!(
            ErrorCode::AuthenticationFailed
                .fix_en()
                .unwrap()
                .contains("AppSecret")
        );
        assert_eq!(ErrorCode::MessageNotFound.fix_en(), None);
    }

    #[test]
    fn transient_only_for_busy_and_rate_limits() {
        assert!(ErrorCode::from_code(10002).is_transient());
        assert!(ErrorCode::from_code(10027).is_transient());
        for code in [21301, 22022, 20301, 200001, 65011, 10017] {
            assert!(!ErrorCode::from_code(code).is_transient(), "{code}");
        }
    }

    #[test]
    fn display_shows_code_and_english_meaning() {
        assert_eq!(
            ErrorCode::AuthenticationFailed.to_string(),
            "21301 Authentication failed"
        );
        assert_eq!(ErrorCode::UnknownError.to_string(), "-1 Unknown error");
    }

    #[test]
    fn serde_accepts_integers_and_quoted_integers() {
        let quoted: ErrorCode = serde_json::from_str("\"21301\"").unwrap();
        let plain: ErrorCode = serde_json::from_str("21301").unwrap();
        assert_eq!(quoted, ErrorCode::AuthenticationFailed);
        assert_eq!(plain, ErrorCode::AuthenticationFailed);
        let negative: ErrorCode = serde_json::from_str("\"-1\"").unwrap();
        assert_eq!(negative, ErrorCode::UnknownError);
        assert_eq!(
            serde_json::to_string(&ErrorCode::AuthenticationFailed).unwrap(),
            "21301"
        );
        assert_eq!(
            serde_json::to_string(&ErrorCode::Unknown(12345)).unwrap(),
            "12345"
        );
    }

    #[test]
    fn serde_rejects_anything_else() {
        for bad in [
            "\"abc\"",
            "\"\"",
            "1.5",
            "true",
            "null",
            "[0]",
            "18446744073709551615",
        ] {
            assert!(serde_json::from_str::<ErrorCode>(bad).is_err(), "{bad}");
        }
    }
}
