//! MiPush's server API as Xiaomi answers it (docs/mipush-server-api.md §1–§4): HTTP 200 with `"result":"error"`
//! for business errors, checks in the service's order — authentication, package, targets,
//! content, extras, channel, then the targets' validity.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

use super::codes::{self, Code};
use super::faults::Fault;
use super::receipts::{self, Held, Receipts};
use super::{Sandbox, control::split_channels, ids};
use crate::store::sandbox::{self as store, MessageRow, NotificationRow, SandboxAppRow};
use app::domain::beijing_day;

/// `extra.*` keys with a documented meaning; the rest are the app's own pairs (at most 10).
const SYSTEM_EXTRAS: [&str; 22] = [
    "channel_id",
    "channel_name",
    "channel_description",
    "notify_effect",
    "intent_uri",
    "web_uri",
    "class_name",
    "intent_flag",
    "notify_foreground",
    "sound_uri",
    "ticker",
    "badge",
    "flow_control",
    "jobkey",
    "callback",
    "callback.type",
    "callback.param",
    "locale",
    "model",
    "app_version",
    "only_send_once",
    "template_id",
];
const MAX_CUSTOM_EXTRAS: usize = 10;
const MAX_EXTRA_LEN: usize = 1024;
const MAX_TARGETS: usize = 1000;
/// Title and description lengths must stay *below* these (OFF-1559).
const TITLE_LIMIT: usize = 50;
const DESCRIPTION_LIMIT: usize = 128;
/// Two weeks: the older documented default for offline caching.
const DEFAULT_TTL_MS: i64 = 14 * 24 * 3600 * 1000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn answer(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// A business error, as HTTP 200.
fn refuse(code: Code, reason: &str) -> Response {
    answer(json!({
        "result": "error",
        "code": code.number,
        "reason": reason,
        "description": code.description,
        "trace_id": ids::trace_id(now_ms()),
    }))
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sandbox");
    refuse(codes::SYSTEM_ERROR, "System error")
}

/// `Authorization: key=<AppSecret>`, with `key` in lower case, naming a sandbox app.
async fn authenticate(sb: &Sandbox, headers: &HeaderMap) -> Result<SandboxAppRow, Response> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("key="))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let refused = || refuse(codes::AUTHENTICATION_FAILED, codes::INVALID_SECRET);
    let Some(secret) = secret else {
        return Err(refused());
    };
    match store::app_by_secret(&sb.db, secret).await {
        Ok(Some(app)) => Ok(app),
        Ok(None) => Err(refused()),
        Err(e) => Err(internal(e)),
    }
}

/// Injected latency and faults (none unless a test asked for them).
async fn apply_faults(sb: &Sandbox, app: &SandboxAppRow) -> Option<Response> {
    let (fault, latency) = sb.faults.take(&app.app_id);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => None,
        Fault::Fail(status) => Some(
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                "Service Temporarily Unavailable",
            )
                .into_response(),
        ),
        Fault::Hang(d) => {
            tokio::time::sleep(d).await;
            Some((StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response())
        }
    }
}

struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn split_list(values: &[&str]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn send_v2(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    send(sb, headers, body, 2).await
}

pub async fn send_v3(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    send(sb, headers, body, 3).await
}

async fn send(sb: Sandbox, headers: HeaderMap, body: Bytes, version: u8) -> Response {
    let app = match authenticate(&sb, &headers).await {
        Ok(app) => app,
        Err(r) => return r,
    };
    if let Some(r) = apply_faults(&sb, &app).await {
        return r;
    }
    if !sb.limits.admit(&app.app_id, sb.clock.now_ms()) {
        return refuse(codes::APP_API_TOO_FREQUENT, "app api call too frequent");
    }
    let form = Form::parse(&body);
    match validate(&form, &app, version) {
        Ok(message) => deliver(&sb, &app, message).await,
        Err((code, reason)) => refuse(code, &reason),
    }
}

struct Validated {
    reg_ids: Vec<String>,
    pass_through: bool,
    title: String,
    description: String,
    payload: Option<String>,
    notify_type: i64,
    notify_id: Option<i64>,
    time_to_live: i64,
    channel_id: Option<String>,
    extras: Vec<(String, String)>,
    job_key: Option<String>,
}

type Refusal = (Code, String);

/// An optional integer field: absent or empty is `None`; anything else must parse and pass `ok`.
fn number(
    form: &Form,
    key: &str,
    ok: impl Fn(i64) -> bool,
    code: Code,
) -> Result<Option<i64>, Refusal> {
    match form.get(key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if ok(n) => Ok(Some(n)),
            _ => Err((code, format!("Illegal {key}: {v}"))),
        },
    }
}

fn validate(form: &Form, app: &SandboxAppRow, version: u8) -> Result<Validated, Refusal> {
    // v2 names exactly one package; v3 may name several or none.
    let packages = split_list(&form.all("restricted_package_name"));
    if version == 2 && packages.len() != 1 {
        return Err((
            codes::ILLEGAL_PACKAGE_NAME,
            "Invalid package name: restricted_package_name is required".into(),
        ));
    }
    if let Some(other) = packages.iter().find(|p| **p != app.package_name) {
        return Err((
            codes::ILLEGAL_PACKAGE_NAME,
            format!("Invalid package name: {other}"),
        ));
    }
    let reg_ids = split_list(&form.all("registration_id"));
    if reg_ids.is_empty() {
        return Err((
            codes::MISSING_REQUIRED_PARAMETER,
            "Missing required parameter: registration_id".into(),
        ));
    }
    if reg_ids.len() > MAX_TARGETS {
        return Err((
            codes::TOO_MANY_TARGETS,
            format!("too many targets: {} > {MAX_TARGETS}", reg_ids.len()),
        ));
    }
    let pass_through = match form.get("pass_through").map(str::trim) {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err((
                codes::ILLEGAL_PARAMETER_VALUE,
                format!("Illegal pass_through: {other}"),
            ));
        }
    };
    let title = form.get("title").unwrap_or("").to_owned();
    let description = form.get("description").unwrap_or("").to_owned();
    if !pass_through {
        if title.trim().is_empty() || description.trim().is_empty() {
            return Err((
                codes::NO_PARAMETER,
                codes::TITLE_OR_DESCRIPTION_EMPTY.into(),
            ));
        }
        if title.chars().count() >= TITLE_LIMIT {
            return Err((
                codes::MESSAGE_TOO_LONG,
                format!("title is too long: must be under {TITLE_LIMIT} characters"),
            ));
        }
        if description.chars().count() >= DESCRIPTION_LIMIT {
            return Err((
                codes::MESSAGE_TOO_LONG,
                format!("description is too long: must be under {DESCRIPTION_LIMIT} characters"),
            ));
        }
    }
    let notify_type = number(
        form,
        "notify_type",
        |n| n == -1 || (0..=7).contains(&n),
        codes::ILLEGAL_PARAMETER_VALUE,
    )?
    .unwrap_or(-1);
    // Any non-negative integer that fits in 64 bits, as the service takes it (a published client
    // sends the time in milliseconds); Xiaomi's table says 0–2147483647 (§5.1).
    let notify_id = number(form, "notify_id", |n| n >= 0, codes::ILLEGAL_NOTIFY_ID)?;
    let time_to_live = number(
        form,
        "time_to_live",
        |n| n > 0,
        codes::ILLEGAL_PARAMETER_VALUE,
    )?
    .unwrap_or(DEFAULT_TTL_MS);
    let extras: Vec<(String, String)> = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("extra.").map(|k| (k.to_owned(), v.clone())))
        .collect();
    let custom: Vec<&(String, String)> = extras
        .iter()
        .filter(|(k, _)| !SYSTEM_EXTRAS.contains(&k.as_str()))
        .collect();
    if custom.len() > MAX_CUSTOM_EXTRAS {
        return Err((
            codes::TOO_MANY_EXTRAS,
            format!(
                "too many extra pairs: {} > {MAX_CUSTOM_EXTRAS}",
                custom.len()
            ),
        ));
    }
    if extras
        .iter()
        .any(|(k, v)| k.chars().count() > MAX_EXTRA_LEN || v.chars().count() > MAX_EXTRA_LEN)
    {
        return Err((
            codes::EXTRAS_TOO_LONG,
            format!("an extra key or value is over {MAX_EXTRA_LEN} characters"),
        ));
    }
    let extra = |key: &str| {
        extras
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let channel_id = extra("channel_id");
    let job_key = extra("jobkey").filter(|k| !k.is_empty());
    let approved = split_channels(&app.channels);
    if !approved.is_empty() && !channel_id.as_ref().is_some_and(|c| approved.contains(c)) {
        return Err((codes::CHANNEL_MISMATCH, codes::INVALID_CHANNEL.into()));
    }
    Ok(Validated {
        reg_ids,
        pass_through,
        title,
        description,
        payload: form.get("payload").map(str::to_owned),
        notify_type,
        notify_id,
        time_to_live,
        channel_id,
        extras,
        job_key,
    })
}

async fn deliver(sb: &Sandbox, app: &SandboxAppRow, m: Validated) -> Response {
    let valid = match store::installed_among(&sb.db, &app.app_id, &m.reg_ids).await {
        Ok(v) => v,
        Err(e) => return internal(e),
    };
    if valid.is_empty() {
        return refuse(codes::SEND_FAILED, codes::NO_VALID_TARGETS);
    }
    let installed: HashSet<&String> = valid.iter().collect();
    let bad: Vec<&String> = m
        .reg_ids
        .iter()
        .filter(|r| !installed.contains(r))
        .collect();
    let now = sb.clock.now_ms();
    let day = beijing_day(now.div_euclid(1000));
    let channel = m.channel_id.as_deref();
    // Over the daily quota: refused with 200001, or, when the push asked for receipt 128,
    // taken and dropped for those targets with that receipt (docs §5.3).
    let over = if Receipts::wants(&m.extras, receipts::OVER_QUOTA) {
        sb.limits.over_quota(&app.app_id, &valid, channel, day)
    } else {
        if let Err((quota, acked)) = sb.limits.check_quota(&app.app_id, &valid, channel, day) {
            return refuse(
                codes::DAILY_QUOTA_EXCEEDED,
                &codes::exceed_quota(quota, acked),
            );
        }
        Vec::new()
    };
    let over_set: HashSet<&String> = over.iter().collect();
    // A phone with the app's notifications off takes the message but shows nothing; an offline
    // phone gets it when it is back within the time to live.
    let muted = sb.receipts.muted_among(&valid);
    let offline = sb.receipts.offline_among(&valid);
    let reached: Vec<String> = valid
        .iter()
        .filter(|r| !over_set.contains(r) && !offline.contains(*r))
        .cloned()
        .collect();
    let showing: Vec<String> = reached
        .iter()
        .filter(|r| !muted.contains(*r))
        .cloned()
        .collect();
    let filtered_n = if m.pass_through {
        0
    } else {
        sb.faults.take_filtered(&app.app_id, showing.len())
    };
    let (filtered, shown_on) = showing.split_at(filtered_n);
    let id = ids::message_id(now);
    let row = MessageRow {
        id: id.clone(),
        app_id: app.app_id.clone(),
        created_at: now,
        time_to_live: m.time_to_live,
        title: m.title.clone(),
        description: m.description.clone(),
        payload: m.payload.clone(),
        notify_type: m.notify_type,
        notify_id: m.notify_id,
        channel_id: m.channel_id.clone(),
        extras: serde_json::to_string(&m.extras).unwrap_or_default(),
        targets: m.reg_ids.len() as i64,
        delivered: valid.len() as i64,
        job_key: m.job_key.clone(),
    };
    let notification = NotificationRow {
        message_id: id.clone(),
        title: m.title.clone(),
        description: m.description.clone(),
        payload: m.payload.clone(),
        notify_id: m.notify_id,
        channel_id: m.channel_id.clone(),
        received_at: now,
    };
    let stored = async {
        let mut tx = sb.writer.begin().await?;
        store::insert_message(&mut *tx, &row).await?;
        // Pass-through messages go to the app, not to the notification shade.
        if !m.pass_through {
            let reg_ids: Vec<&str> = shown_on.iter().map(String::as_str).collect();
            store::show_notifications(&mut tx, &reg_ids, &notification).await?;
        }
        tx.commit().await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Err(e) = stored {
        return internal(e);
    }
    // The quota counts what reached the phone (muted phones too); a filtered push did not.
    let delivered: Vec<String> = reached
        .iter()
        .filter(|r| !filtered.contains(*r))
        .cloned()
        .collect();
    sb.limits
        .record_delivery(&app.app_id, &delivered, channel, day);
    // Pass-through messages wait for an offline phone too; one over the quota was dropped.
    for reg_id in offline.iter().filter(|r| !over_set.contains(r)) {
        sb.receipts.hold(Held {
            app_id: app.app_id.clone(),
            reg_id: reg_id.clone(),
            message_id: id.clone(),
            extras: m.extras.clone(),
            notification: notification.clone(),
            pass_through: m.pass_through,
            expires_at_ms: now + m.time_to_live,
        });
    }
    let muted: Vec<String> = reached
        .iter()
        .filter(|r| muted.contains(*r))
        .cloned()
        .collect();
    let invalid: Vec<String> = bad.iter().map(|r| (*r).clone()).collect();
    for (kind, targets, bar) in [
        (receipts::DELIVERED, shown_on, "Enable"),
        (receipts::NOTIFICATIONS_OFF, &muted[..], "Disable"),
        (receipts::INVALID_TARGET, &invalid[..], "Unknown"),
        (receipts::FILTERED, filtered, "Enable"),
        (receipts::OVER_QUOTA, &over[..], "Enable"),
    ] {
        sb.report(&app.app_id, &id, &m.extras, kind, targets, bar);
    }
    let mut data = json!({ "id": id });
    if !bad.is_empty() {
        data["bad_regids"] = json!(bad.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
    }
    answer(json!({
        "result": "ok",
        "code": codes::SUCCESS.number,
        "description": codes::SUCCESS.description,
        "info": format!("Received push messages for {} REGID", valid.len()),
        "trace_id": ids::trace_id(now),
        "data": data,
    }))
}

/// What a trace call asks about (§4.1, §4.2): one message, a batch by its job key, or every
/// message created in a time range (milliseconds, both ends included).
enum TraceQuery<'a> {
    Message(&'a str),
    JobKey(&'a str),
    Between(i64, i64),
}

fn trace_query(q: &HashMap<String, String>) -> Result<TraceQuery<'_>, Refusal> {
    let given = |key: &str| q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty());
    if let Some(id) = given("msg_id") {
        return Ok(TraceQuery::Message(id));
    }
    if let Some(key) = given("job_key") {
        return Ok(TraceQuery::JobKey(key));
    }
    let (Some(begin), Some(end)) = (given("begin_time"), given("end_time")) else {
        return Err((
            codes::MISSING_REQUIRED_PARAMETER,
            "Missing required parameter: msg_id, job_key, or begin_time and end_time".into(),
        ));
    };
    let ms = |key: &str, v: &str| {
        v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            (
                codes::ILLEGAL_PARAMETER_VALUE,
                format!("Illegal {key}: {v}"),
            )
        })
    };
    let (begin, end) = (ms("begin_time", begin)?, ms("end_time", end)?);
    if begin > end {
        return Err((
            codes::ILLEGAL_PARAMETER_VALUE,
            "Illegal time range: begin_time is after end_time".into(),
        ));
    }
    Ok(TraceQuery::Between(begin, end))
}

/// One message's status, shaped as the service answers it: counts are numbers, rates and
/// `time_to_live` strings.
fn trace_record(m: &MessageRow) -> Value {
    let rate = |n: i64| {
        if m.targets == 0 {
            "0%".to_owned()
        } else {
            format!("{}%", n * 100 / m.targets)
        }
    };
    json!({
        "id": m.id,
        "create_time": app::domain::format_unix(m.created_at / 1000),
        "create_timestamp": m.created_at,
        "time_to_live": m.time_to_live.to_string(),
        "msg_type": "Notification",
        "delivery_rate": rate(m.delivered),
        "delivered": m.delivered,
        "click": 0,
        "click_rate": "0%",
        "resolved": m.targets,
    })
}

fn traced(data: Value) -> Response {
    answer(json!({
        "result": "ok",
        "code": codes::SUCCESS.number,
        "description": codes::SUCCESS.description,
        "trace_id": ids::trace_id(now_ms()),
        "data": { "data": data },
    }))
}

/// `/v1/trace/message/status`: with `msg_id`, that message's record (`data.data` an object);
/// with `job_key`, or `begin_time` and `end_time`, the list of matching records, which is what
/// the official SDK asks this path for (`Tracer.getMessageGroupStatus`, and the time range).
pub async fn trace_status(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    trace(sb, headers, q, false).await
}

/// `/v1/trace/messages/status`: always a list in `data.data`, whatever selects the messages.
pub async fn traces_status(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    trace(sb, headers, q, true).await
}

async fn trace(
    sb: Sandbox,
    headers: HeaderMap,
    q: HashMap<String, String>,
    list: bool,
) -> Response {
    let app = match authenticate(&sb, &headers).await {
        Ok(app) => app,
        Err(r) => return r,
    };
    let query = match trace_query(&q) {
        Ok(query) => query,
        Err((code, reason)) => return refuse(code, &reason),
    };
    let found = match query {
        TraceQuery::Message(id) => match store::message(&sb.db, &app.app_id, id).await {
            Ok(Some(m)) if !list => return traced(trace_record(&m)),
            Ok(None) if !list => return refuse(codes::MESSAGE_NOT_FOUND, "message not found"),
            Ok(m) => Ok(m.into_iter().collect()),
            Err(e) => Err(e),
        },
        TraceQuery::JobKey(key) => store::messages_by_job_key(&sb.db, &app.app_id, key).await,
        TraceQuery::Between(begin, end) => {
            store::messages_between(&sb.db, &app.app_id, begin, end).await
        }
    };
    match found {
        Ok(rows) => traced(Value::Array(rows.iter().map(trace_record).collect())),
        Err(e) => internal(e),
    }
}

/// At most this many regIds per feedback call (§4.4).
const FEEDBACK_BATCH: i64 = 1000;

/// `/v1/feedback/fetch_invalid_regids`: the app's regIds that stopped being valid (here: the app
/// was uninstalled), at most 1000 a call, each returned once: what one call returns, the next
/// does not (§4.4).
pub async fn fetch_invalid_regids(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    let app = match authenticate(&sb, &headers).await {
        Ok(app) => app,
        Err(r) => return r,
    };
    match store::take_invalid_reg_ids(&sb.db, &app.app_id, now_ms(), FEEDBACK_BATCH).await {
        Ok(list) => answer(json!({
            "result": "ok",
            "code": codes::SUCCESS.number,
            "description": codes::SUCCESS.description,
            "trace_id": ids::trace_id(now_ms()),
            "data": { "list": list },
        })),
        Err(e) => internal(e),
    }
}

/// `yyyyMMdd` → days since the Unix epoch.
fn parse_date(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..].parse().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(app::domain::days_from_civil(y, m, d))
}

/// `/v1/stats/message/counters?start_date=&end_date=&restricted_package_name=`.
pub async fn counters(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let app = match authenticate(&sb, &headers).await {
        Ok(app) => app,
        Err(r) => return r,
    };
    let (Some(start), Some(end)) = (q.get("start_date"), q.get("end_date")) else {
        return refuse(
            codes::MISSING_REQUIRED_PARAMETER,
            "Missing required parameter: start_date, end_date",
        );
    };
    let (Some(first), Some(last)) = (parse_date(start), parse_date(end)) else {
        return refuse(codes::ILLEGAL_PARAMETER_VALUE, "Illegal date: use yyyyMMdd");
    };
    if last < first || last - first > 366 {
        return refuse(codes::ILLEGAL_PARAMETER_VALUE, "Illegal date range");
    }
    if let Some(p) = q.get("restricted_package_name")
        && !p.is_empty()
        && *p != app.package_name
    {
        return refuse(
            codes::ILLEGAL_PACKAGE_NAME,
            &format!("Invalid package name: {p}"),
        );
    }
    let rows = match store::message_counts(
        &sb.db,
        &app.app_id,
        first * 86_400_000,
        (last + 1) * 86_400_000,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let days: Vec<Value> = (first..=last)
        .map(|day| {
            let (targets, delivered) = rows
                .iter()
                .filter(|(at, _, _)| at.div_euclid(86_400_000) == day)
                .fold((0, 0), |(t, d), (_, rt, rd)| (t + rt, d + rd));
            let date = app::domain::format_unix(day * 86_400)[..10].replace('-', "");
            json!({
                "date": date,
                "single_recipients": targets,
                "regid_recipients": targets,
                "alias_recipients": 0,
                "useraccount_recipients": 0,
                "broadcast_recipients": 0,
                "received": delivered,
                "click": 0,
            })
        })
        .collect();
    answer(json!({
        "result": "ok",
        "code": codes::SUCCESS.number,
        "description": codes::SUCCESS.description,
        "trace_id": ids::trace_id(now_ms()),
        "data": { "data": days },
    }))
}

/// Paths the service does not have: its "API not found" code, never a panic.
pub async fn unknown_api() -> Response {
    let mut r = refuse(codes::API_NOT_FOUND, "API not found");
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_are_yyyymmdd() {
        assert_eq!(parse_date("19700101"), Some(0));
        assert_eq!(parse_date("20261126"), Some(1_795_651_200 / 86_400));
        assert_eq!(parse_date("2026-11-26"), None);
        assert_eq!(parse_date("20261326"), None);
    }
}
