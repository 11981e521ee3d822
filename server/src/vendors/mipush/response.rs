//! MiPush answers. Business errors come back as HTTP 200 with `"result":"error"`; fields vary
//! between samples (numbers as strings, `bad_regIds`), so parsing is lenient where the sources
//! disagree and strict where they agree.

use serde::Serialize;
use serde_json::Value;

use super::ErrorCode;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MiResponse {
    /// `"ok"` or `"error"`.
    pub result: String,
    pub code: ErrorCode,
    /// Chinese text for the code.
    pub description: Option<String>,
    /// English detail, on errors.
    pub reason: Option<String>,
    /// e.g. `Received push messages for 1 REGID`.
    pub info: Option<String>,
    pub trace_id: Option<String>,
    /// `data.id`: the message id.
    pub message_id: Option<String>,
    /// `data.bad_regids`: targets refused inside an otherwise successful call.
    pub bad_regids: Vec<String>,
    pub day_quota: Option<i64>,
    pub day_acked: Option<i64>,
    /// `data` as sent, for the query endpoints (trace, counters).
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("the answer has no `{0}`")]
    Missing(&'static str),
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl MiResponse {
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
        let code = number(&v, "code").ok_or(ParseError::Missing("code"))?;
        let result =
            text(&v, "result").unwrap_or_else(|| if code == 0 { "ok" } else { "error" }.to_owned());
        let data = v.get("data").cloned().unwrap_or(Value::Null);
        let bad = data
            .get("bad_regids")
            .or_else(|| data.get("bad_regIds"))
            .cloned()
            .unwrap_or(Value::Null);
        let bad_regids = match bad {
            Value::String(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let trace_id = text(&v, "trace_id");
        Ok(Self {
            result,
            code: ErrorCode::from_code(code),
            description: text(&v, "description"),
            reason: text(&v, "reason"),
            info: text(&v, "info"),
            // The official SDK falls back to the trace id when there is no message id.
            message_id: text(&data, "id"),
            trace_id,
            bad_regids,
            day_quota: number(&data, "day_quota"),
            day_acked: number(&data, "day_acked"),
            data,
        })
    }

    pub fn is_ok(&self) -> bool {
        self.result == "ok" && self.code == ErrorCode::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_success_parses() {
        let r = MiResponse::parse(
            r#"{"result":"ok","trace_id":"Xlm12b34488763708227kX","code":0,
               "data":{"id":"alm12b34488763708232Vy"},
               "description":"成功","info":"Received push messages for 1 ALIAS"}"#
                .as_bytes(),
        )
        .unwrap();
        assert!(r.is_ok());
        assert_eq!(r.message_id.as_deref(), Some("alm12b34488763708232Vy"));
        assert_eq!(r.trace_id.as_deref(), Some("Xlm12b34488763708227kX"));
        assert_eq!(r.description.as_deref(), Some("成功"));
        assert_eq!(
            r.info.as_deref(),
            Some("Received push messages for 1 ALIAS")
        );
        assert!(r.bad_regids.is_empty());
    }

    #[test]
    fn the_documented_error_parses() {
        let r = MiResponse::parse(
            r#"{"result":"error","reason":"No valid targets!","trace_id":"Xcm07b77488763663927bm",
               "code":20301,"description":"发送消息失败"}"#
                .as_bytes(),
        )
        .unwrap();
        assert!(!r.is_ok());
        assert_eq!(r.code, ErrorCode::from_code(20301));
        assert_eq!(r.reason.as_deref(), Some("No valid targets!"));
        assert_eq!(r.message_id, None);
    }

    #[test]
    fn quota_counters_and_bad_regids_in_every_spelling() {
        let r = MiResponse::parse(
            br#"{"result":"ok","code":"0","data":{"id":"sdm1","day_acked":"3","day_quota":"50000","bad_regids":"a, b,"}}"#,
        )
        .unwrap();
        assert!(r.is_ok());
        assert_eq!((r.day_quota, r.day_acked), (Some(50000), Some(3)));
        assert_eq!(r.bad_regids, vec!["a", "b"]);
        let r =
            MiResponse::parse(br#"{"result":"ok","code":0,"data":{"bad_regIds":["x"]}}"#).unwrap();
        assert_eq!(r.bad_regids, vec!["x"]);
    }

    #[test]
    fn unknown_codes_and_broken_bodies() {
        let r = MiResponse::parse(br#"{"result":"error","code":99999}"#).unwrap();
        assert_eq!(r.code, ErrorCode::Unknown(99999));
        assert!(matches!(
            MiResponse::parse(b"<html>502</html>"),
            Err(ParseError::NotJson(_))
        ));
        assert_eq!(MiResponse::parse(b"{}"), Err(ParseError::Missing("code")));
    }
}
