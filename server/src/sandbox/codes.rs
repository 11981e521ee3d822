//! The result codes the sandbox answers with, written from Xiaomi's documentation
//! (docs/mipush-server-api.md §3: OFF-1560 "服务端错误码参考", the official Java server SDK's
//! `ErrorCode` table, and answers observed from the service), not from our client's table in
//! `vendors::mipush`: the client and the sandbox are two readings of the same documents, so a
//! wrong number on one side fails the tests that send between them instead of being agreed on.
//!
//! `description` is what the service puts in an answer's `description`, the Chinese text of the
//! code. Where the sources give none (OFF-1560 was only partly available), it is the meaning
//! §3.4 gives in English.

/// One result code: its number and the text that goes with it in an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    pub number: i64,
    pub description: &'static str,
}

const fn code(number: i64, description: &'static str) -> Code {
    Code {
        number,
        description,
    }
}

/// "成功" (§3.1: OFF, JSDK and every observed answer).
pub const SUCCESS: Code = code(0, "成功");
/// JSDK `SystemError`.
pub const SYSTEM_ERROR: Code = code(10001, "系统错误");
/// JSDK `MissRequiredParameter`.
pub const MISSING_REQUIRED_PARAMETER: Code = code(10016, "缺失必选参数");
/// JSDK `InvalidParameterValue`.
pub const ILLEGAL_PARAMETER_VALUE: Code = code(10017, "参数值非法");
/// JSDK `RequestApiNotFound`.
pub const API_NOT_FOUND: Code = code(10020, "接口不存在");
/// JSDK `ApplicationApiCallExceedQuota` (OFF: the app's API calls are too frequent).
pub const APP_API_TOO_FREQUENT: Code = code(10027, "应用的API调用太频繁");
/// §3.1's error example and OFF; reason [`NO_VALID_TARGETS`].
pub const SEND_FAILED: Code = code(20301, "发送消息失败");
/// OFF and an observed answer; reason [`INVALID_SECRET`].
pub const AUTHENTICATION_FAILED: Code = code(21301, "认证失败");
/// OFF and JSDK `InvalidPackageName`.
pub const ILLEGAL_PACKAGE_NAME: Code = code(22022, "应用程序package name不合法");
/// JSDK `InvalidNotifyId`.
pub const ILLEGAL_NOTIFY_ID: Code = code(22103, "应用通知ID不合法");
/// OFF; reason [`INVALID_CHANNEL`].
pub const CHANNEL_MISMATCH: Code = code(27001, "channel相关信息不匹配");
/// OFF (no Chinese text in the sources).
pub const MESSAGE_TOO_LONG: Code = code(65009, "Message content too long");
/// OFF and an observed answer; reason [`TITLE_OR_DESCRIPTION_EMPTY`].
pub const NO_PARAMETER: Code = code(65011, "未提供参数");
/// OFF (no Chinese text in the sources).
pub const TOO_MANY_EXTRAS: Code = code(65014, "Too many key-value pairs");
/// OFF (no Chinese text in the sources).
pub const EXTRAS_TOO_LONG: Code = code(65015, "Key-value pairs too long in total");
/// OFF (no Chinese text in the sources).
pub const MESSAGE_NOT_FOUND: Code = code(65028, "Message not found");
/// OFF-1656; reason from [`exceed_quota`].
pub const DAILY_QUOTA_EXCEEDED: Code = code(200001, "Daily quota exceeded");
/// One source (OCTO): more than 1000 targets in one request.
pub const TOO_MANY_TARGETS: Code = code(200002, "More than 1000 targets in one request");

/// The `reason` texts the documentation quotes from real answers.
pub const NO_VALID_TARGETS: &str = "No valid targets!";
pub const INVALID_SECRET: &str = "Invalid application secret.";
pub const INVALID_CHANNEL: &str = "invalid channel info!";
pub const TITLE_OR_DESCRIPTION_EMPTY: &str = "Title or Description is empty!";

/// 200001's reason: the day's quota and how many were delivered (OFF-1656).
pub fn exceed_quota(quota: u32, acked: u32) -> String {
    format!("exceed quota, quota: {quota}, have acked: {acked}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few rows of docs/mipush-server-api.md §3, copied by hand: a changed number or text
    /// here is a change against the documentation, not a refactoring.
    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(SUCCESS, code(0, "成功"));
        assert_eq!(SEND_FAILED, code(20301, "发送消息失败"));
        assert_eq!(AUTHENTICATION_FAILED, code(21301, "认证失败"));
        assert_eq!(
            ILLEGAL_PACKAGE_NAME,
            code(22022, "应用程序package name不合法")
        );
        assert_eq!(CHANNEL_MISMATCH, code(27001, "channel相关信息不匹配"));
        assert_eq!(NO_PARAMETER, code(65011, "未提供参数"));
        assert_eq!(MISSING_REQUIRED_PARAMETER.number, 10016);
        assert_eq!(ILLEGAL_PARAMETER_VALUE.number, 10017);
        assert_eq!(API_NOT_FOUND.number, 10020);
        assert_eq!(APP_API_TOO_FREQUENT.number, 10027);
        assert_eq!(ILLEGAL_NOTIFY_ID.number, 22103);
        assert_eq!(MESSAGE_TOO_LONG.number, 65009);
        assert_eq!(TOO_MANY_EXTRAS.number, 65014);
        assert_eq!(EXTRAS_TOO_LONG.number, 65015);
        assert_eq!(MESSAGE_NOT_FOUND.number, 65028);
        assert_eq!(DAILY_QUOTA_EXCEEDED.number, 200001);
        assert_eq!(TOO_MANY_TARGETS.number, 200002);
    }

    #[test]
    fn reasons_are_the_observed_ones() {
        assert_eq!(NO_VALID_TARGETS, "No valid targets!");
        assert_eq!(INVALID_SECRET, "Invalid application secret.");
        assert_eq!(INVALID_CHANNEL, "invalid channel info!");
        assert_eq!(TITLE_OR_DESCRIPTION_EMPTY, "Title or Description is empty!");
        assert_eq!(exceed_quota(1, 1), "exceed quota, quota: 1, have acked: 1");
    }

    #[test]
    fn no_two_codes_share_a_number() {
        let all = [
            SUCCESS,
            SYSTEM_ERROR,
            MISSING_REQUIRED_PARAMETER,
            ILLEGAL_PARAMETER_VALUE,
            API_NOT_FOUND,
            APP_API_TOO_FREQUENT,
            SEND_FAILED,
            AUTHENTICATION_FAILED,
            ILLEGAL_PACKAGE_NAME,
            ILLEGAL_NOTIFY_ID,
            CHANNEL_MISMATCH,
            MESSAGE_TOO_LONG,
            NO_PARAMETER,
            TOO_MANY_EXTRAS,
            EXTRAS_TOO_LONG,
            MESSAGE_NOT_FOUND,
            DAILY_QUOTA_EXCEEDED,
            TOO_MANY_TARGETS,
        ];
        let mut numbers: Vec<i64> = all.iter().map(|c| c.number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), all.len());
        assert!(all.iter().all(|c| !c.description.is_empty()));
    }

    /// The sandbox is written from the documentation: nothing of the client's, nor of the
    /// console's HTTP layer.
    #[test]
    fn the_sandbox_uses_nothing_of_the_client_or_the_console_http_layer() {
        let sources = [
            ("sandbox.rs", include_str!("../sandbox.rs")),
            ("codes.rs", include_str!("codes.rs")),
            ("control.rs", include_str!("control.rs")),
            ("faults.rs", include_str!("faults.rs")),
            ("http.rs", include_str!("http.rs")),
            ("ids.rs", include_str!("ids.rs")),
            ("limits.rs", include_str!("limits.rs")),
            ("server_api.rs", include_str!("server_api.rs")),
        ];
        for needle in [concat!("crate::", "vendors"), concat!("crate::", "http")] {
            for (file, text) in sources {
                assert!(!text.contains(needle), "sandbox/{file} uses {needle}");
            }
        }
    }
}
