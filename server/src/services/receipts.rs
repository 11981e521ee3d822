//! Receipts (回执): what a vendor reports once it has accepted a push — the notification reached
//! the phone, was tapped, or was dropped and why (docs/mipush-server-api.md §6). Each event is
//! applied once, however often it arrives; a regId the vendor calls invalid (16) is retired, a
//! device with notifications off (32) is marked; both leave an audit row.

use app::domain::{AppError, CertificateId, receipt_event};
use serde_json::Value;

use super::Services;
use crate::store;
use crate::store::audit::NewEvent;
use crate::store::device_tokens;
use crate::store::receipts::{self, NewReceipts};

/// The receipt event that retires a regId: the target is invalid (uninstalled, expired).
const INVALID_TARGET: i64 = 16;
/// The device has the app's notifications switched off.
const NOTIFICATIONS_OFF: i64 = 32;

/// What one POST of receipts did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptIntake {
    /// (message, target, event) triples in the POST.
    pub received: usize,
    /// Those not seen before, now applied.
    pub applied: usize,
}

/// One event of a receipt POST, for every target it names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    message_id: String,
    kind: i64,
    targets: Vec<String>,
    bar_status: String,
    /// Unix seconds; the time of receipt when the vendor gave none.
    at: Option<i64>,
}

impl Services {
    /// Applies a vendor's receipt POST for `certificate_id`, if `tag` is the one pushdesk put in
    /// that certificate's callback URL; a forged one is refused (and audited) before anything is
    /// read. No vendor call happens here: the vendor waits for this answer.
    pub async fn accept_receipts(
        &self,
        certificate_id: &str,
        tag: &str,
        body: &[u8],
    ) -> Result<ReceiptIntake, AppError> {
        let now = self.clock.now();
        let id = CertificateId::parse(certificate_id)
            .ok()
            .filter(|id| self.dispatcher.receipt_tag_is_valid(id.get(), tag));
        let Some(id) = id else {
            self.metrics.count_receipt("xiaomi", "forged");
            let detail =
                format!("a receipt POST for certificate {certificate_id:?} with a wrong tag");
            let event = NewEvent {
                actor: "xiaomi",
                action: "receipt_refused",
                object: &format!("certificate:{certificate_id}"),
                detail: &detail,
            };
            store::audit::insert(&self.db, event, now).await?;
            return Err(AppError::Unauthenticated);
        };
        let events = parse(body, now).map_err(|detail| AppError::Malformed { detail })?;
        let mut intake = ReceiptIntake {
            received: 0,
            applied: 0,
        };
        let mut applied = Vec::new();
        let mut tx = self.writer.begin().await.map_err(super::db_err)?;
        for e in &events {
            intake.received += e.targets.len();
            let receipts = NewReceipts {
                certificate_id: id.get(),
                message_id: &e.message_id,
                kind: e.kind,
                bar_status: &e.bar_status,
                happened_at: e.at.unwrap_or(now),
                reg_ids: &e.targets,
            };
            for target in &receipts::record(&mut tx, &receipts, now).await? {
                intake.applied += 1;
                applied.push(e.kind);
                let (action, what) = match e.kind {
                    INVALID_TARGET => {
                        device_tokens::retire(&mut tx, id.get(), std::slice::from_ref(target), now)
                            .await?;
                        ("token_retired", "the target is invalid (receipt 16)")
                    }
                    NOTIFICATIONS_OFF => {
                        device_tokens::notifications_off(&mut *tx, id.get(), target, now).await?;
                        (
                            "notifications_off",
                            "notifications are off on the device (receipt 32)",
                        )
                    }
                    _ => continue,
                };
                let detail = format!("regId {target} · message {} · {what}", e.message_id);
                let event = NewEvent {
                    actor: "xiaomi",
                    action,
                    object: &format!("certificate:{}", id.get()),
                    detail: &detail,
                };
                store::audit::insert(&mut *tx, event, now).await?;
            }
        }
        tx.commit().await.map_err(super::db_err)?;
        for kind in applied {
            self.metrics.count_receipt("xiaomi", receipt_event(kind));
        }
        Ok(intake)
    }
}

/// Xiaomi's receipt POST: a form whose field `data` is a JSON object keyed by message id, each
/// value `{"type", "targets" (comma-separated), "barStatus", "timestamp" (ms), "param",
/// "jobkey"}`. Numbers may come as text. `Err` names what is wrong.
fn parse(body: &[u8], now: i64) -> Result<Vec<Event>, String> {
    let data = form_urlencoded::parse(body)
        .find(|(k, _)| k == "data")
        .map(|(_, v)| v.into_owned())
        .ok_or("the form has no field `data`")?;
    let json: Value =
        serde_json::from_str(&data).map_err(|e| format!("`data` is not JSON: {e}"))?;
    let messages = json
        .as_object()
        .ok_or("`data` must be a JSON object keyed by message id")?;
    let number = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let mut events = Vec::new();
    for (message_id, r) in messages {
        let kind = r
            .get("type")
            .and_then(number)
            .filter(|k| *k > 0)
            .ok_or_else(|| format!("{message_id}: `type` must be a positive number"))?;
        let targets: Vec<String> = r
            .get("targets")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if targets.is_empty() || message_id.is_empty() {
            return Err(format!("{message_id}: `targets` names no regId"));
        }
        let at = r
            .get("timestamp")
            .and_then(number)
            .map(|ms| ms / 1000)
            .filter(|s| *s > 0 && *s <= now + 86_400);
        events.push(Event {
            message_id: message_id.clone(),
            kind,
            targets,
            bar_status: r
                .get("barStatus")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(16)
                .collect(),
            at,
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(data: &str) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("data", data)
            .finish()
            .into_bytes()
    }

    #[test]
    fn a_batch_names_each_message_and_its_targets() {
        let body = form(
            r#"{"sdm1":{"param":"p","type":1,"targets":"r1,r2","jobkey":"","barStatus":"Enable","timestamp":1764640000123},
                "sdm2":{"type":"32","targets":"r3","barStatus":"Disable"}}"#,
        );
        let events = parse(&body, 1_764_700_000).unwrap();
        assert_eq!(events.len(), 2);
        let first = events.iter().find(|e| e.message_id == "sdm1").unwrap();
        assert_eq!(first.kind, 1);
        assert_eq!(first.targets, ["r1", "r2"]);
        assert_eq!(first.at, Some(1_764_640_000));
        assert_eq!(first.bar_status, "Enable");
        let second = events.iter().find(|e| e.message_id == "sdm2").unwrap();
        assert_eq!((second.kind, second.at), (32, None));
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        assert!(parse(b"nothing=1", 0).unwrap_err().contains("data"));
        assert!(parse(&form("{not json"), 0).unwrap_err().contains("JSON"));
        assert!(parse(&form("[1]"), 0).unwrap_err().contains("object"));
        assert!(
            parse(&form(r#"{"m":{"targets":"r"}}"#), 0)
                .unwrap_err()
                .contains("type")
        );
        assert!(
            parse(&form(r#"{"m":{"type":1,"targets":" , "}}"#), 0)
                .unwrap_err()
                .contains("targets")
        );
    }
}
