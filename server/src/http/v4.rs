//! `/v4`: the Tencent-IM-compatible REST subset an app's back end calls.
//! `POST /v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`,
//! answered like Tencent: HTTP 200 with `ActionStatus`, `ErrorCode`, `ErrorInfo`, also for
//! business errors, so existing Tencent client libraries work with only the host changed.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use crate::services::{ImError, OfflinePush, OutgoingMessage};

pub fn router() -> Router<AppState> {
    Router::new().route("/{service}/{command}", post(call))
}

/// A `/v4` refusal: Tencent's code and text, answered as HTTP 200 with `ActionStatus: FAIL`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RestError {
    code: i64,
    info: String,
}

impl RestError {
    fn new(code: i64, info: impl Into<String>) -> Self {
        Self {
            code,
            info: info.into(),
        }
    }
}

impl From<ImError> for RestError {
    fn from(e: ImError) -> Self {
        Self::new(tencent_code(&e), e.to_string())
    }
}

/// Tencent's code for each refusal (the table is in docs/tencent-rest-v4.md).
fn tencent_code(e: &ImError) -> i64 {
    match e {
        ImError::UnknownApp => 60006,
        ImError::NotAdministrator => 60010,
        ImError::UserSig(sig) => sig.code(),
        ImError::InvalidUserId | ImError::ProfileTooLong => 70402,
        ImError::UnknownAccount => 70107,
        ImError::UnknownSender => 90008,
        ImError::UnknownReceiver => 90012,
        ImError::Internal => 70500,
    }
}

/// Tencent refuses a message body (`MsgBody`) over 8 KB (93000); the receiver list does not count.
const MAX_MSG_BODY: usize = 8 * 1024;

fn ok(extra: Value) -> Json<Value> {
    let mut v = json!({"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""});
    if let (Some(out), Value::Object(more)) = (v.as_object_mut(), extra) {
        out.extend(more);
    }
    Json(v)
}

fn fail(e: RestError) -> Json<Value> {
    Json(json!({"ActionStatus": "FAIL", "ErrorCode": e.code, "ErrorInfo": e.info}))
}

async fn call(
    State(state): State<AppState>,
    Path((service, command)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    match run(&state, &service, &command, &query, &body).await {
        Ok(v) => ok(v),
        Err(e) => fail(e),
    }
}

fn string_field<'a>(body: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| body.get(*n).and_then(Value::as_str))
}

async fn run(
    state: &AppState,
    service: &str,
    command: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Result<Value, RestError> {
    let arg = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    if arg("sdkappid").is_empty() {
        return Err(RestError::new(
            60012,
            "REST API requires sdkappid in the URL",
        ));
    }
    let sdkappid = state
        .services
        .rest_auth(arg("sdkappid"), arg("identifier"), arg("usersig"))
        .await?;
    let openim = service == "openim";
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        RestError::new(
            if openim { 90001 } else { 60003 },
            format!("JSON parse error: {e}"),
        )
    })?;
    if !body.is_object() {
        return Err(RestError::new(
            if openim { 90001 } else { 60003 },
            "the body must be a JSON object",
        ));
    }
    let s = &state.services;
    match (service, command) {
        ("im_open_login_svc", "account_import") => {
            let user = string_field(&body, &["UserID", "Identifier"])
                .ok_or_else(|| RestError::new(70402, "UserID is required and must be a string"))?;
            let nick = string_field(&body, &["Nick"]).unwrap_or_default();
            let face = string_field(&body, &["FaceUrl"]).unwrap_or_default();
            s.rest_account_import(sdkappid, user, nick, face).await?;
            Ok(json!({}))
        }
        ("im_open_login_svc", "multiaccount_import") => {
            let accounts = body
                .get("Accounts")
                .and_then(Value::as_array)
                .ok_or_else(|| RestError::new(70402, "Accounts must be an array of UserIDs"))?;
            if accounts.len() > 100 {
                return Err(RestError::new(70402, "at most 100 Accounts per call"));
            }
            let mut failed = Vec::new();
            for a in accounts {
                let imported = match a.as_str() {
                    Some(user) => s.rest_account_import(sdkappid, user, "", "").await.is_ok(),
                    None => false,
                };
                if !imported {
                    failed.push(a.clone());
                }
            }
            Ok(json!({ "FailAccounts": failed }))
        }
        ("im_open_login_svc", "kick") => {
            let user = string_field(&body, &["UserID", "Identifier"])
                .ok_or_else(|| RestError::new(70402, "UserID is required and must be a string"))?;
            s.rest_kick(sdkappid, user).await?;
            Ok(json!({}))
        }
        ("openim", "querystate") => {
            let users: Vec<String> = body
                .get("To_Account")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(str::to_owned))
                        .collect()
                })
                .ok_or_else(|| RestError::new(90003, "To_Account must be an array of UserIDs"))?;
            if users.len() > 500 {
                return Err(RestError::new(90011, "at most 500 To_Account per call"));
            }
            let (found, missing) = s.rest_query_state(sdkappid, &users).await?;
            let result: Vec<Value> = found
                .into_iter()
                .map(|(user, status)| json!({"To_Account": user, "Status": status}))
                .collect();
            let errors: Vec<Value> = missing
                .into_iter()
                .map(|user| json!({"To_Account": user, "ErrorCode": 70107}))
                .collect();
            Ok(json!({ "QueryResult": result, "ErrorList": errors }))
        }
        ("openim", "sendmsg") => {
            let to = string_field(&body, &["To_Account"])
                .ok_or_else(|| RestError::new(90003, "To_Account is missing or not a string"))?;
            let msg = outgoing(&body)?;
            let ack = s.rest_send(sdkappid, &[to.to_owned()], &msg).await?;
            let (time, key) = ack
                .into_iter()
                .next()
                .map(|a| (a.msg_time, a.msg_key))
                .unwrap_or_default();
            Ok(json!({ "MsgTime": time, "MsgKey": key }))
        }
        ("openim", "batchsendmsg") => {
            let to: Vec<String> = body
                .get("To_Account")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(str::to_owned))
                        .collect()
                })
                .filter(|v: &Vec<String>| !v.is_empty())
                .ok_or_else(|| RestError::new(90003, "To_Account must be an array of UserIDs"))?;
            if to.len() > s.batchsend_max() {
                return Err(RestError::new(
                    90011,
                    format!("at most {} To_Account per call", s.batchsend_max()),
                ));
            }
            let msg = outgoing(&body)?;
            let acks = s.rest_send(sdkappid, &to, &msg).await?;
            let key = acks
                .iter()
                .find_map(|a| (!a.msg_key.is_empty()).then(|| a.msg_key.clone()));
            let errors: Vec<Value> = acks
                .iter()
                .filter_map(|a| {
                    a.error
                        .as_ref()
                        .map(|e| json!({"To_Account": a.to_account, "ErrorCode": tencent_code(e)}))
                })
                .collect();
            Ok(json!({ "MsgKey": key.unwrap_or_default(), "ErrorList": errors }))
        }
        _ => Err(RestError::new(
            60009,
            format!("no such REST API: v4/{service}/{command}"),
        )),
    }
}

/// The message part of a `sendmsg`/`batchsendmsg` body, checked as Tencent checks it.
fn outgoing(body: &Value) -> Result<OutgoingMessage, RestError> {
    let random = body
        .get("MsgRandom")
        .and_then(Value::as_i64)
        .filter(|r| (0..=u32::MAX as i64).contains(r))
        .ok_or_else(|| RestError::new(90005, "MsgRandom is missing or not a 32-bit integer"))?;
    let seq = match body.get("MsgSeq") {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| RestError::new(90001, "MsgSeq must be an integer"))?,
        ),
    };
    if let Some(life) = body.get("MsgLifeTime") {
        let life = life
            .as_i64()
            .ok_or_else(|| RestError::new(90044, "MsgLifeTime must be an integer"))?;
        if !(0..=7 * 86_400).contains(&life) {
            return Err(RestError::new(90026, "MsgLifeTime may be at most 7 days"));
        }
    }
    let from = match body.get("From_Account") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(RestError::new(90008, "From_Account must be a string")),
    };
    let elems = body
        .get("MsgBody")
        .and_then(Value::as_array)
        .ok_or_else(|| RestError::new(90007, "MsgBody must be an array"))?;
    if elems.is_empty() {
        return Err(RestError::new(90002, "MsgBody is empty"));
    }
    if body["MsgBody"].to_string().len() > MAX_MSG_BODY {
        return Err(RestError::new(93000, "MsgBody longer than 8 KB"));
    }
    let mut text = String::new();
    for e in elems {
        let kind = e.get("MsgType").and_then(Value::as_str).unwrap_or_default();
        let content = e
            .get("MsgContent")
            .filter(|c| c.is_object())
            .ok_or_else(|| {
                RestError::new(
                    90010,
                    "each MsgBody element needs MsgType and a MsgContent object",
                )
            })?;
        match kind {
            "TIMTextElem" => {
                let t = content.get("Text").and_then(Value::as_str).ok_or_else(|| {
                    RestError::new(90010, "TIMTextElem needs MsgContent.Text as a string")
                })?;
                text.push_str(t);
            }
            "TIMCustomElem" => {
                if let Some(d) = content.get("Desc").and_then(Value::as_str) {
                    text.push_str(d);
                }
            }
            "TIMLocationElem" | "TIMFaceElem" | "TIMSoundElem" | "TIMImageElem" | "TIMFileElem"
            | "TIMVideoFileElem" => {}
            _ => {
                return Err(RestError::new(90010, format!("unknown MsgType {kind:?}")));
            }
        }
    }
    let push = body.get("OfflinePushInfo").cloned().unwrap_or(Value::Null);
    let text_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let android = push.get("AndroidInfo").cloned().unwrap_or(Value::Null);
    let offline = OfflinePush {
        push_flag: push.get("PushFlag").and_then(Value::as_i64).unwrap_or(0),
        title: text_of(&push, "Title"),
        desc: text_of(&push, "Desc"),
        ext: text_of(&push, "Ext"),
        channel_id: text_of(&android, "XiaoMiChannelID"),
        sound: text_of(&android, "Sound"),
    };
    Ok(OutgoingMessage {
        from,
        random,
        seq,
        body: Value::Array(elems.clone()).to_string(),
        text,
        push: offline,
    })
}
