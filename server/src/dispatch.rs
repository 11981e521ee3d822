//! Delivery to a vendor: the one path every push takes, test pushes now and IM offline pushes
//! later. It sends through the MiPush client (in calls of at most 1000 regIds, each under the
//! written retry policy), records every target's outcome with the vendor call behind it, and
//! counts it for `/metrics`.

use std::sync::Arc;

use app::domain::PushOutcome;
use sqlx::AnyPool;

use crate::metrics::Metrics;
use crate::store::StoreResult;
use crate::store::push::{self as records, NewRecord};
use crate::vendors::mipush::{
    AppSecret, Exchange, MiPushClient, Notification, Region, SendToRegIds, TransportError,
    build_send,
};

/// One device to reach, whose it is when known, and for which IM message.
#[derive(Debug, Clone)]
pub struct Target {
    pub reg_id: String,
    pub user_id: Option<String>,
    pub msg_key: Option<String>,
    /// The outbox row this push comes from: done in the transaction that records the answer,
    /// so a crash after it never sends the push again.
    pub outbox_id: Option<i64>,
}

/// Everything one delivery needs: where, with which credentials, what, to whom, and why.
pub struct Delivery<'a> {
    pub sdkappid: i64,
    pub certificate_id: i64,
    pub region: Region,
    pub secret: &'a AppSecret,
    pub message: Notification,
    pub targets: Vec<Target>,
    /// `test` or `offline`.
    pub kind: &'a str,
    pub sent_by: Option<&'a str>,
}

/// One vendor call and the records it left.
#[derive(Debug)]
pub struct CallReport {
    pub exchange: Exchange,
    pub request_id: i64,
    pub record_ids: Vec<i64>,
}

pub struct Dispatcher {
    db: AnyPool,
    mipush: MiPushClient,
    metrics: Arc<Metrics>,
}

impl Dispatcher {
    pub fn new(db: AnyPool, mipush: MiPushClient, metrics: Arc<Metrics>) -> Self {
        Self {
            db,
            mipush,
            metrics,
        }
    }

    /// Sends and records. A vendor refusal or an outage is an outcome, not an error; only a
    /// database failure is.
    pub async fn deliver(&self, d: Delivery<'_>) -> StoreResult<Vec<CallReport>> {
        let reg_ids: Vec<String> = d.targets.iter().map(|t| t.reg_id.clone()).collect();
        let send = SendToRegIds {
            reg_ids,
            message: d.message.clone(),
        };
        let requests = build_send(&self.mipush.base(d.region), d.secret, &send);
        let mut reports = Vec::with_capacity(requests.len());
        let mut offset = 0;
        for req in requests {
            let targets = &d.targets[offset..offset + req.targets];
            offset += req.targets;
            let exchange = self.mipush.execute_with_retries(req).await;
            let report = self.record(&d, targets, exchange).await?;
            reports.push(report);
        }
        Ok(reports)
    }

    async fn record(
        &self,
        d: &Delivery<'_>,
        targets: &[Target],
        exchange: Exchange,
    ) -> StoreResult<CallReport> {
        let now = crate::unix_now();
        let latency_ms = exchange.latency.as_millis() as i64;
        let answer = match &exchange.outcome {
            Ok(r) => serde_json::to_string_pretty(r).unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        let code = exchange.outcome.as_ref().ok().map(|r| r.code.code());
        let (message_id, trace_id) = match &exchange.outcome {
            Ok(r) => (r.message_id.as_deref(), r.trace_id.as_deref()),
            Err(_) => (None, None),
        };
        let outcomes: Vec<(PushOutcome, String)> = targets
            .iter()
            .map(|t| outcome_of(&exchange.outcome, &t.reg_id))
            .collect();
        let mut tx = self.db.begin().await?;
        let request_id = records::insert_request(
            &mut *tx,
            d.sdkappid,
            d.certificate_id,
            &exchange.request.redacted(),
            &answer,
            now,
        )
        .await?;
        let rows: Vec<NewRecord> = targets
            .iter()
            .zip(&outcomes)
            .map(|(t, (outcome, reason))| NewRecord {
                sdkappid: d.sdkappid,
                certificate_id: Some(d.certificate_id),
                kind: d.kind,
                user_id: t.user_id.as_deref(),
                reg_id: &t.reg_id,
                title: &d.message.title,
                description: &d.message.description,
                outcome: outcome.as_str(),
                reason,
                vendor_code: code,
                message_id,
                trace_id,
                attempts: i64::from(exchange.attempts),
                latency_ms,
                sent_by: d.sent_by,
                request_id: Some(request_id),
                msg_key: t.msg_key.as_deref(),
            })
            .collect();
        let record_ids = records::insert_records(&mut tx, &rows, now).await?;
        // Tokens MiPush no longer knows (uninstalled, expired) are not pushed again until the
        // app reports them anew; marked with the records, so whoever reads one sees the other.
        let gone: Vec<String> = targets
            .iter()
            .filter(|t| token_gone(&exchange.outcome, &t.reg_id))
            .map(|t| t.reg_id.clone())
            .collect();
        crate::store::outbox::mark_bad(&mut *tx, d.certificate_id, &gone, now).await?;
        if !worth_retrying(&exchange.outcome) {
            let done: Vec<i64> = targets.iter().filter_map(|t| t.outbox_id).collect();
            crate::store::outbox::mark_done(&mut *tx, &done).await?;
        }
        tx.commit().await?;
        for (outcome, _) in &outcomes {
            self.metrics.count_push("xiaomi", *outcome, code);
        }
        self.metrics
            .observe_vendor_latency("xiaomi", exchange.latency);
        self.metrics
            .count_retried("xiaomi", exchange.retried.iter().map(|a| a.label()));
        Ok(CallReport {
            exchange,
            request_id,
            record_ids,
        })
    }
}

/// Whether MiPush said this regId is no longer valid: listed bad, or the only kind of target of
/// a call refused with 20301 (no valid targets).
/// Whether a call that failed is worth making again later: the vendor was unreachable, slow,
/// overloaded or said "try again" — not when it refused the request.
pub fn worth_retrying(
    outcome: &Result<crate::vendors::mipush::MiResponse, TransportError>,
) -> bool {
    match outcome {
        Ok(r) => !r.is_ok() && r.code.is_transient(),
        Err(TransportError::Http { status, .. }) => *status >= 500 || *status == 429,
        Err(_) => true,
    }
}

fn token_gone(
    outcome: &Result<crate::vendors::mipush::MiResponse, TransportError>,
    reg_id: &str,
) -> bool {
    match outcome {
        Ok(r) => {
            r.code == crate::vendors::mipush::ErrorCode::NoValidTargets
                || r.bad_regids.iter().any(|b| b == reg_id)
        }
        Err(_) => false,
    }
}

/// How the push to `reg_id` ended, given the call's outcome, and why.
fn outcome_of(
    outcome: &Result<crate::vendors::mipush::MiResponse, TransportError>,
    reg_id: &str,
) -> (PushOutcome, String) {
    match outcome {
        Ok(r) if r.is_ok() && r.bad_regids.iter().any(|b| b == reg_id) => {
            (PushOutcome::Rejected, "bad regId".into())
        }
        Ok(r) if r.is_ok() => (PushOutcome::Accepted, String::new()),
        Ok(r) => {
            let reason = r.reason.clone().or_else(|| r.description.clone());
            let text = reason.unwrap_or_default();
            if r.code.is_transient() {
                (PushOutcome::Failed, text)
            } else {
                (PushOutcome::Rejected, text)
            }
        }
        Err(e) => (PushOutcome::Failed, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::mipush::MiResponse;

    #[test]
    fn bad_reg_ids_are_rejected_inside_an_accepted_call() {
        let r = MiResponse::parse(
            br#"{"result":"ok","code":0,"data":{"id":"m1","bad_regids":"b"},"trace_id":"t"}"#,
        )
        .unwrap();
        assert!(token_gone(&Ok(r.clone()), "b") && !token_gone(&Ok(r.clone()), "a"));
        assert_eq!(outcome_of(&Ok(r.clone()), "a").0, PushOutcome::Accepted);
        assert_eq!(outcome_of(&Ok(r), "b").0, PushOutcome::Rejected);
        let refused = MiResponse::parse(
            br#"{"result":"error","code":21301,"reason":"Invalid application secret."}"#,
        )
        .unwrap();
        assert_eq!(
            outcome_of(&Ok(refused), "a"),
            (PushOutcome::Rejected, "Invalid application secret.".into())
        );
        assert_eq!(
            outcome_of(&Err(TransportError::Timeout), "a").0,
            PushOutcome::Failed
        );
        let none_valid =
            MiResponse::parse(br#"{"result":"error","code":20301,"reason":"No valid targets!"}"#)
                .unwrap();
        assert!(token_gone(&Ok(none_valid), "a"));
        assert!(!token_gone(&Err(TransportError::Timeout), "a"));
    }
}
