//! The reach funnel of `push-stats`: grouped push records folded into outcome buckets, funnels
//! (pushed → accepted → delivered → clicked) per bucket and per certificate, and the loss
//! reasons ranked by count with their meaning and fix.

use std::collections::HashMap;

use app::domain::{
    CertificateFunnel, Funnel, Localized, Loss, LossStage, OutcomeCounts, PushOutcome, PushStats,
    SkipReason, receipt_failure,
};

use super::push::meaning_and_fix;
use crate::store::push::ReachRow;

/// The funnel of one group of records.
fn funnel_of(r: &ReachRow) -> Funnel {
    let accepted = if r.outcome == PushOutcome::Accepted {
        r.pushes
    } else {
        0
    };
    Funnel::new(r.pushes, accepted, r.delivered, r.clicked)
}

/// What a group of records lost, if anything: the skip reason, the vendor's code, or the
/// receipt that said the accepted push was dropped.
fn loss_of(r: &ReachRow) -> Option<(LossStage, String)> {
    match r.outcome {
        PushOutcome::Skipped => Some((LossStage::Skipped, r.reason.clone())),
        PushOutcome::Rejected | PushOutcome::Failed => Some((
            LossStage::Vendor,
            match r.vendor_code {
                None => UNREACHABLE.to_owned(),
                // The call succeeded, but this target was among its `bad_regids`.
                Some(0) => BAD_REG_ID.to_owned(),
                Some(code) => code.to_string(),
            },
        )),
        PushOutcome::Accepted => r
            .receipt_failure
            .map(|bit| (LossStage::Receipt, bit.to_string())),
    }
}

/// The loss code of a push that failed without a vendor answer.
const UNREACHABLE: &str = "unreachable";
/// The loss code of a target the vendor reported invalid in a successful call.
const BAD_REG_ID: &str = "bad_regid";

fn explain_loss(stage: LossStage, code: &str) -> (Localized, Option<Localized>) {
    match stage {
        LossStage::Skipped => SkipReason::parse(code).map_or_else(
            || {
                let text = Localized {
                    zh: code.to_owned(),
                    en: code.to_owned(),
                };
                (text, None)
            },
            SkipReason::explained,
        ),
        LossStage::Vendor if code == UNREACHABLE => (
            Localized {
                zh: "厂商未应答（超时或连接失败），重试次数已用尽".into(),
                en: "The vendor did not answer (timeout or connection failure) and the retries ran out."
                    .into(),
            },
            Some(Localized {
                zh: "检查服务器到厂商的网络，以及 /metrics 中的厂商请求耗时。".into(),
                en: "Check the network from the server to the vendor and the vendor request times in /metrics."
                    .into(),
            }),
        ),
        LossStage::Vendor if code == BAD_REG_ID => (
            Localized {
                zh: "厂商在 bad_regids 中报告该 regId 无效（应用已卸载或 regId 已过期）".into(),
                en: "The vendor listed the regId in bad_regids (the app was uninstalled or the regId expired)."
                    .into(),
            },
            SkipReason::TokenInvalid.explained().1,
        ),
        LossStage::Vendor => {
            let (meaning, fix) = meaning_and_fix(code.parse().ok());
            (meaning.unwrap_or_else(|| Localized { zh: code.into(), en: code.into() }), fix)
        }
        LossStage::Receipt => {
            let failure = receipt_failure(code.parse().unwrap_or_default());
            (failure.meaning, Some(failure.fix))
        }
    }
}

/// Folds the grouped records into the chart's buckets, the funnels and the ranked losses.
pub(super) fn reach_stats(
    start: i64,
    bucket_secs: i64,
    buckets: usize,
    rows: &[ReachRow],
    names: &HashMap<i64, String>,
) -> PushStats {
    let mut outcomes = vec![OutcomeCounts::default(); buckets];
    let mut reach = vec![Funnel::default(); buckets];
    let mut by_certificate: HashMap<Option<i64>, Funnel> = HashMap::new();
    let mut losses: HashMap<(LossStage, String), i64> = HashMap::new();
    for r in rows {
        let Some(slot) = usize::try_from(r.bucket).ok().filter(|b| *b < buckets) else {
            continue;
        };
        let funnel = funnel_of(r);
        outcomes[slot].add(r.outcome, r.pushes);
        reach[slot] = reach[slot].plus(&funnel);
        let cert = by_certificate.entry(r.certificate_id).or_default();
        *cert = cert.plus(&funnel);
        if let Some(key) = loss_of(r) {
            *losses.entry(key).or_default() += r.pushes;
        }
    }
    let funnel = reach.iter().fold(Funnel::default(), |sum, f| sum.plus(f));
    let mut by_certificate: Vec<CertificateFunnel> = by_certificate
        .into_iter()
        .map(|(certificate_id, funnel)| CertificateFunnel {
            certificate_id,
            package_name: certificate_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default(),
            funnel,
        })
        .collect();
    by_certificate.sort_by_key(|c| (std::cmp::Reverse(c.funnel.pushes), c.certificate_id));
    let mut losses: Vec<Loss> = losses
        .into_iter()
        .map(|((stage, code), count)| {
            let (meaning, fix) = explain_loss(stage, &code);
            Loss {
                stage,
                code,
                count,
                meaning,
                fix,
            }
        })
        .collect();
    losses.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.stage.cmp(&b.stage))
            .then(a.code.cmp(&b.code))
    });
    PushStats {
        start,
        bucket_secs,
        buckets: outcomes,
        reach,
        funnel,
        by_certificate,
        losses,
        receipts: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bucket: i64, outcome: PushOutcome, pushes: i64) -> ReachRow {
        ReachRow {
            bucket,
            certificate_id: Some(7),
            outcome,
            reason: String::new(),
            vendor_code: None,
            receipt_failure: None,
            pushes,
            delivered: 0,
            clicked: 0,
        }
    }

    #[test]
    fn the_funnel_adds_up_and_losses_rank_by_count() {
        let rows = [
            ReachRow {
                delivered: 5,
                clicked: 2,
                ..row(0, PushOutcome::Accepted, 6)
            },
            ReachRow {
                receipt_failure: Some(128),
                ..row(1, PushOutcome::Accepted, 3)
            },
            ReachRow {
                reason: "no_token".into(),
                certificate_id: None,
                ..row(1, PushOutcome::Skipped, 4)
            },
            ReachRow {
                vendor_code: Some(21301),
                ..row(1, PushOutcome::Rejected, 1)
            },
            row(2, PushOutcome::Failed, 1),
            // Outside the window's buckets: ignored.
            row(9, PushOutcome::Accepted, 100),
        ];
        let names = HashMap::from([(7, "com.example.im".to_owned())]);
        let s = reach_stats(0, 3600, 3, &rows, &names);
        assert_eq!(s.funnel, Funnel::new(15, 9, 5, 2));
        assert_eq!(s.funnel.accepted_rate, Some(0.6));
        assert_eq!(s.reach[1], Funnel::new(8, 3, 0, 0));
        assert_eq!(s.buckets[1].skipped, 4);
        assert_eq!(s.by_certificate[0].package_name, "com.example.im");
        assert_eq!(s.by_certificate[0].funnel.pushes, 11);
        assert_eq!(s.by_certificate[1].certificate_id, None);
        let ranked: Vec<(LossStage, &str, i64)> = s
            .losses
            .iter()
            .map(|l| (l.stage, l.code.as_str(), l.count))
            .collect();
        assert_eq!(
            ranked,
            [
                (LossStage::Skipped, "no_token", 4),
                (LossStage::Receipt, "128", 3),
                (LossStage::Vendor, "21301", 1),
                (LossStage::Vendor, UNREACHABLE, 1),
            ]
        );
        assert!(s.losses[1].fix.as_ref().unwrap().en.contains("ChannelID"));
        assert_eq!(Funnel::new(0, 0, 0, 0).accepted_rate, None);
    }
}
