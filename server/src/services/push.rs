//! Test pushes through the delivery path every push takes, and the push records it leaves.

use std::collections::HashMap;
use std::time::Duration;

use app::api::PushBackend;
use app::domain::{
    AppError, CheckState, Localized, PushKind, PushOutcome, PushRecordDetail, PushRecordPage,
    PushRecordQuery, PushRecordView, PushStats, PushTarget, PushWarning, ReceiptState, ReceiptView,
    RecordId, Rule, Sdkappid, TestPushDraft, TestPushResult, UserView, Vendor, VendorStatus,
    beijing_day, parse_time, parse_user_id, receipt_event, receipt_failure,
};
use async_trait::async_trait;

use super::{Services, internal, require, stats};
use crate::dispatch::{self, Content, Push, Target, Verdict};
use crate::store;
use crate::store::audit::NewEvent;
use crate::store::certificates::{self as certs, serving};
use crate::store::device_tokens;
use crate::store::push::{self as records, RecordFilter, RecordRow};
use crate::store::quota;
use crate::store::receipts;
use crate::vendors::mipush::{AppSecret, ErrorCode, build_trace_status};

fn text(raw: &Option<String>) -> &str {
    raw.as_deref().map(str::trim).unwrap_or_default()
}

fn integer(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        AppError::invalid(
            field,
            Rule::Other {
                key: "rule.integer".into(),
            },
        )
    })
}

/// The page's and the API's raw filters, checked.
/// The page's and the API's raw filters, checked.
fn parse_query(q: &PushRecordQuery) -> Result<(RecordFilter, Option<i64>, i64), AppError> {
    let filter = RecordFilter {
        certificate_id: integer("certificate_id", text(&q.certificate_id))?,
        user_id: Some(text(&q.user_id))
            .filter(|s| !s.is_empty())
            .map(parse_user_id)
            .transpose()?,
        reg_id: Some(text(&q.reg_id))
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        outcome: Some(text(&q.outcome))
            .filter(|s| !s.is_empty())
            .map(PushOutcome::parse)
            .transpose()?,
        receipt: Some(text(&q.receipt))
            .filter(|s| !s.is_empty())
            .map(ReceiptState::parse)
            .transpose()?,
        since: parse_time("since", text(&q.since))?,
        until: parse_time("until", text(&q.until))?,
    };
    let before_id = integer("before_id", text(&q.before_id))?;
    let limit = integer("limit", text(&q.limit))?
        .unwrap_or(50)
        .clamp(1, 200);
    Ok((filter, before_id, limit))
}

pub(super) fn meaning_and_fix(code: Option<i64>) -> (Option<Localized>, Option<Localized>) {
    let Some(code) = code.map(ErrorCode::from_code) else {
        return (None, None);
    };
    let meaning = Localized {
        zh: code.meaning_zh().into(),
        en: code.meaning_en().into(),
    };
    let fix = code.fix_zh().zip(code.fix_en()).map(|(zh, en)| Localized {
        zh: zh.into(),
        en: en.into(),
    });
    (Some(meaning), fix)
}

pub(super) fn record_view(r: RecordRow) -> PushRecordView {
    PushRecordView {
        id: r.id,
        at: r.created_at,
        certificate_id: r.certificate_id,
        kind: r.kind.as_str().to_owned(),
        user_id: r.user_id,
        reg_id: r.reg_id,
        title: r.title,
        description: r.description,
        outcome: r.outcome,
        reason: r.reason,
        code: r.vendor_code,
        message_id: r.message_id,
        trace_id: r.trace_id,
        attempts: r.attempts,
        latency_ms: r.latency_ms,
        sent_by: r.sent_by,
        request_id: r.request_id,
        msg_key: r.msg_key,
        delivered_at: r.delivered_at,
        clicked_at: r.clicked_at,
        receipt_failure: r.receipt_failure.map(receipt_failure),
    }
}

#[async_trait]
impl PushBackend for Services {
    /// Sends a test push through the pipeline the IM's offline pushes take, with the
    /// certificate's serving version: one attempt, in this request, answered with everything
    /// the vendor said (and whether trying again could help).
    async fn send_test_push(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        draft: &TestPushDraft,
    ) -> Result<TestPushResult, AppError> {
        require(by.role.can_test_push())?;
        let app = self.app_row(sdkappid).await?;
        let push = draft.parse()?;
        let refuse = |key: &str| {
            AppError::invalid(
                "certificate_id",
                Rule::Other {
                    key: key.to_owned(),
                },
            )
        };
        let cert = certs::get(&self.db, app.sdkappid, push.certificate_id)
            .await?
            .ok_or_else(|| refuse("rule.unknown_certificate"))?;
        if !Vendor::parse(&cert.vendor).is_ok_and(Vendor::sends) {
            return Err(refuse("rule.vendor_not_supported"));
        }
        let versions = certs::versions(&self.db, cert.id).await?;
        let Some(version) = serving(&versions, self.clock.now()) else {
            let refused = versions
                .last()
                .is_some_and(|v| v.check_state == CheckState::Invalid);
            return Err(refuse(if refused {
                "rule.certificate_invalid"
            } else {
                "rule.certificate_pending"
            }));
        };
        let creds = self.dispatcher.credentials(version)?;
        let targets: Vec<Target> = match push.target {
            PushTarget::RegIds(ids) => ids
                .into_iter()
                .map(|reg_id| Target {
                    reg_id,
                    user_id: None,
                    msg_key: None,
                })
                .collect(),
            // The devices this user reported with this certificate and is still logged in on.
            PushTarget::User(user) => {
                let tokens: Vec<Target> =
                    device_tokens::bound_tokens(&self.db, app.sdkappid, &user)
                        .await?
                        .into_iter()
                        .filter(|t| t.certificate_id == cert.id)
                        .map(|t| Target {
                            reg_id: t.token,
                            user_id: Some(user.clone()),
                            msg_key: None,
                        })
                        .collect();
                if tokens.is_empty() {
                    return Err(AppError::invalid(
                        "user_id",
                        Rule::Other {
                            key: "rule.no_tokens".into(),
                        },
                    ));
                }
                tokens
            }
        };
        let mut warnings = draft.warnings(creds.settings.channel_id.as_deref());
        // The quota ledger before this push: whether a target is already at its class's cap.
        let class = creds.settings.message_class(push.channel_id.as_deref());
        let reg_ids: Vec<String> = targets.iter().map(|t| t.reg_id.clone()).collect();
        let used = match class.daily_cap() {
            Some(_) => {
                let day = beijing_day(self.clock.now());
                quota::sent(&self.db, cert.id, &reg_ids, class, day).await?
            }
            None => HashMap::new(),
        };
        let send = Push {
            sdkappid: app.sdkappid,
            certificate_id: cert.id,
            kind: PushKind::Test,
            content: Content {
                title: push.title,
                description: push.description,
                payload: push.payload,
                notify_type: Some(push.notify_type),
                notify_id: push.notify_id.unwrap_or_else(dispatch::notify_id),
                time_to_live_secs: push.time_to_live_secs,
                channel_id: push.channel_id,
                click: push.click,
                ..Content::default()
            },
            sent_by: Some(&by.username),
        };
        let report = self
            .dispatcher
            .send_once(&send, &creds, &targets)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| internal("test push", "no vendor call was made"))?;
        let answer = &report.answer;
        let outcome = match answer.verdict {
            Verdict::Accepted => PushOutcome::Accepted,
            Verdict::Refused => PushOutcome::Rejected,
            Verdict::Transient => PushOutcome::Failed,
        };
        if let Some(cap) = class.daily_cap() {
            let used = |r: &String| used.get(r).copied().unwrap_or(0);
            if reg_ids.iter().any(|r| used(r) >= cap) {
                warnings.push(PushWarning::OverQuota);
            } else if outcome == PushOutcome::Accepted && reg_ids.iter().any(|r| used(r) + 1 >= cap)
            {
                warnings.push(PushWarning::QuotaReached);
            }
        }
        let code = answer.code;
        let object = format!("certificate:{}", cert.id);
        let detail = format!(
            "test push to {} regId(s) · {} · code {}",
            report.call.targets(),
            outcome.as_str(),
            code.map_or_else(|| "none".to_owned(), |c| c.to_string())
        );
        let event = NewEvent {
            actor: &by.username,
            action: "test_push_sent",
            object: &object,
            detail: &detail,
        };
        store::audit::insert(&self.db, event, self.clock.now()).await?;
        let (meaning, fix) = meaning_and_fix(code);
        Ok(TestPushResult {
            outcome,
            code,
            reason: answer.reason.clone(),
            meaning,
            fix,
            message_id: answer.message_id.clone(),
            trace_id: answer.trace_id.clone(),
            bad_reg_ids: answer.refused.clone(),
            attempts: 1,
            retryable: answer.verdict == Verdict::Transient,
            latency_ms: answer.latency.as_millis() as i64,
            request: report.call.redacted(),
            targets: report.call.targets(),
            request_id: report.request_id,
            record_ids: report.record_ids,
            warnings,
        })
    }

    async fn list_push_records(
        &self,
        _by: &UserView,
        sdkappid: Sdkappid,
        query: &PushRecordQuery,
    ) -> Result<PushRecordPage, AppError> {
        let app = self.app_row(sdkappid).await?;
        let (filter, before_id, limit) = parse_query(query)?;
        let rows = records::list(&self.db, app.sdkappid, &filter, before_id, limit).await?;
        let next_before_id = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        Ok(PushRecordPage {
            items: rows.into_iter().map(record_view).collect(),
            next_before_id,
        })
    }

    async fn get_push_record(
        &self,
        _by: &UserView,
        sdkappid: Sdkappid,
        id: RecordId,
    ) -> Result<PushRecordDetail, AppError> {
        let app = self.app_row(sdkappid).await?;
        let row = records::get(&self.db, app.sdkappid, id.get())
            .await?
            .ok_or(AppError::NotFound)?;
        let (request, answer) = match row.request_id {
            Some(rid) => records::request(&self.db, rid).await?.unwrap_or_default(),
            None => Default::default(),
        };
        let receipts = match &row.message_id {
            Some(message_id) => receipts::of_push(&self.db, message_id, &row.reg_id)
                .await?
                .into_iter()
                .map(|r| ReceiptView {
                    kind: r.kind,
                    event: receipt_event(r.kind).to_owned(),
                    bar_status: r.bar_status,
                    at: r.happened_at,
                    received_at: r.received_at,
                })
                .collect(),
            None => Vec::new(),
        };
        let (meaning, fix) = meaning_and_fix(row.vendor_code);
        Ok(PushRecordDetail {
            record: record_view(row),
            meaning,
            fix,
            request,
            answer,
            receipts,
        })
    }

    /// Asks MiPush's `/v1/trace/message/status` about a record's message (one attempt, 5 s).
    async fn query_vendor_status(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: RecordId,
    ) -> Result<VendorStatus, AppError> {
        require(by.role.can_test_push())?;
        let app = self.app_row(sdkappid).await?;
        let row = records::get(&self.db, app.sdkappid, id.get())
            .await?
            .ok_or(AppError::NotFound)?;
        let message_id = row.message_id.ok_or_else(|| {
            AppError::invalid(
                "id",
                Rule::Other {
                    key: "rule.no_message_id".into(),
                },
            )
        })?;
        let versions =
            certs::versions(&self.db, row.certificate_id.ok_or(AppError::NotFound)?).await?;
        let version = serving(&versions, self.clock.now())
            .or(versions.last())
            .ok_or(AppError::NotFound)?;
        let creds = self.dispatcher.credentials(version)?;
        let secret = AppSecret::new(creds.secret.expose());
        let req = build_trace_status(
            &self.mipush.base(creds.settings.region.unwrap_or_default()),
            &secret,
            &message_id,
        );
        let answer = tokio::time::timeout(Duration::from_secs(5), self.mipush.execute(&req)).await;
        Ok(match answer {
            Err(_) => VendorStatus {
                code: None,
                reason: "MiPush did not answer within 5 s".into(),
                data: String::new(),
            },
            Ok(Err(e)) => VendorStatus {
                code: None,
                reason: e.to_string(),
                data: String::new(),
            },
            Ok(Ok(r)) => VendorStatus {
                code: Some(r.code.code()),
                reason: r.reason.or(r.description).unwrap_or_default(),
                data: serde_json::to_string_pretty(&r.data).unwrap_or_default(),
            },
        })
    }

    /// Pushes by outcome and the reach funnel: the last 24 hours by hour (`24h`) or the last
    /// 30 days by day (`30d`).
    async fn push_stats(
        &self,
        _by: &UserView,
        sdkappid: Sdkappid,
        window: &str,
    ) -> Result<PushStats, AppError> {
        let app = self.app_row(sdkappid).await?;
        let (bucket_secs, buckets) = match window.trim() {
            "" | "24h" => (3600, 24),
            "30d" => (86_400, 30),
            _ => {
                return Err(AppError::invalid(
                    "window",
                    Rule::OneOf {
                        allowed: vec!["24h".into(), "30d".into()],
                    },
                ));
            }
        };
        let now = self.clock.now();
        let start = (now / bucket_secs + 1 - buckets) * bucket_secs;
        let rows = records::reach(&self.db, app.sdkappid, start, bucket_secs).await?;
        let names: HashMap<i64, String> = certs::list(&self.db, app.sdkappid)
            .await?
            .into_iter()
            .map(|c| (c.id, c.unique_key))
            .collect();
        Ok(PushStats {
            receipts: self.dispatcher.receipts_enabled(),
            ..stats::reach_stats(start, bucket_secs, buckets as usize, &rows, &names)
        })
    }
}
