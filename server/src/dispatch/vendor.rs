//! The pipeline's one door to the vendors: a push's content and credentials become vendor calls,
//! and one attempt of a call becomes an [`Answer`] the rest of the pipeline reads without knowing
//! the vendor. A second vendor is one client module under `vendors/` plus one arm in
//! [`Vendors::calls`] and [`Vendors::attempt`].

use std::time::{Duration, Instant};

use app::domain::{CertificateSettings, ClickAction, Vendor};

use crate::crypto::SecretString;
use crate::vendors::mipush::{
    self, AppSecret, Attempt, Callback, MiPushClient, MiResponse, Notification, PreparedRequest,
    SendToRegIds, TransportError,
};

/// What a push shows and how, whatever the vendor.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: String,
    pub description: String,
    pub payload: Option<String>,
    /// `-1` for all defaults, otherwise an OR of 1 sound, 2 vibrate, 4 lights.
    pub notify_type: Option<i32>,
    /// The same on every attempt, so that a retry replaces rather than adds a notification.
    pub notify_id: u32,
    pub time_to_live_secs: Option<i64>,
    /// Falls back to the certificate's.
    pub channel_id: Option<String>,
    /// Falls back to the certificate's.
    pub click: Option<ClickAction>,
    /// A sound file in the app's `res/raw`.
    pub sound: Option<String>,
    /// `OfflinePushInfo.Ext`, handed to the app.
    pub ext: Option<String>,
    /// Where the vendor reports delivery, clicks and drops (receipts), when this deployment
    /// receives them.
    pub receipts_url: Option<String>,
}

/// Every receipt event MiPush reports (`extra.callback.type`, a bit mask): 1 delivered, 2 clicked,
/// 16 invalid target, 32 notifications off, 64 filtered, 128 daily quota, 1024 expired.
pub const RECEIPT_EVENTS: u32 = 1 | 2 | 16 | 32 | 64 | 128 | 1024;

/// A certificate's serving version, opened: what a vendor call is signed with.
pub struct Credentials {
    pub settings: CertificateSettings,
    pub secret: SecretString,
}

/// One vendor request for some of a push's targets, ready to send as often as needed.
#[derive(Debug, Clone)]
pub enum Call {
    MiPush(PreparedRequest),
}

impl Call {
    /// How many targets it carries.
    pub fn targets(&self) -> usize {
        match self {
            Self::MiPush(req) => req.targets,
        }
    }

    /// The request as text with its secret hidden: safe to store and to show.
    pub fn redacted(&self) -> String {
        match self {
            Self::MiPush(req) => req.redacted(),
        }
    }
}

/// How the vendor answered one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Taken (some targets may still be refused, see [`Answer::refused`]).
    Accepted,
    /// Refused for a reason another attempt cannot fix.
    Refused,
    /// Worth another attempt: timeout, unreachable, 5xx or 429, the vendor's "busy".
    Transient,
}

/// One attempt's answer, vendor-neutral.
#[derive(Debug, Clone)]
pub struct Answer {
    pub verdict: Verdict,
    /// The vendor's result code, when it answered with one.
    pub code: Option<i64>,
    /// The vendor's words, or what went wrong on the way.
    pub reason: String,
    pub message_id: Option<String>,
    pub trace_id: Option<String>,
    /// Targets refused inside an accepted call.
    pub refused: Vec<String>,
    /// Targets the vendor no longer knows (uninstalled, expired): not pushed again until
    /// reported anew. `all_gone` when the whole call was refused for that.
    pub gone: Vec<String>,
    pub all_gone: bool,
    /// The answer as received (pretty JSON) or the transport error, for the record's detail.
    pub body: String,
    /// What went wrong, as a metric label (`timeout`, `http_503`, `code_10001`), or `ok`.
    pub label: String,
    pub latency: Duration,
}

impl Answer {
    /// Whether MiPush said this regId is no longer valid.
    pub fn is_gone(&self, target: &str) -> bool {
        self.all_gone || self.gone.iter().any(|g| g == target)
    }
}

#[derive(Debug, Clone)]
pub struct Vendors {
    pub mipush: MiPushClient,
}

impl Vendors {
    /// The calls that carry `content` to `targets`, split as the vendor requires; none for a
    /// vendor this deployment cannot send with.
    pub fn calls(&self, creds: &Credentials, content: &Content, targets: Vec<String>) -> Vec<Call> {
        match creds.settings.vendor {
            Vendor::Xiaomi => {
                let send = SendToRegIds {
                    reg_ids: targets,
                    message: notification(&creds.settings, content),
                };
                let base = self.mipush.base(creds.settings.region.unwrap_or_default());
                let secret = AppSecret::new(creds.secret.expose());
                mipush::build_send(&base, &secret, &send)
                    .into_iter()
                    .map(Call::MiPush)
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// One attempt, never retried here: the dispatcher decides what comes next.
    pub async fn attempt(&self, call: &Call) -> Answer {
        let start = Instant::now();
        match call {
            Call::MiPush(req) => {
                let outcome = self.mipush.execute(req).await;
                mipush_answer(outcome, start.elapsed())
            }
        }
    }
}

/// The MiPush message for `content`, with the certificate's package, channel and click action.
fn notification(settings: &CertificateSettings, content: &Content) -> Notification {
    let package = settings.package_name.clone().unwrap_or_default();
    let mut n = Notification::new(&package, &content.title, &content.description);
    n.payload = content.payload.clone();
    if let Some(t) = content.notify_type {
        n.notify_type = t;
    }
    n.notify_id = Some(content.notify_id);
    n.time_to_live_ms = content.time_to_live_secs.map(|s| s as u64 * 1000);
    n.channel_id = content
        .channel_id
        .clone()
        .or_else(|| settings.channel_id.clone());
    n.click = content
        .click
        .clone()
        .or_else(|| settings.click.clone())
        .unwrap_or_default();
    if let Some(sound) = &content.sound {
        n.sound_uri = Some(format!("android.resource://{package}/raw/{sound}"));
    }
    if let Some(ext) = content.ext.as_ref().filter(|e| !e.is_empty()) {
        n.extra.push(("ext".into(), ext.clone()));
    }
    n.callback = content.receipts_url.as_ref().map(|url| Callback {
        url: url.clone(),
        kind: Some(RECEIPT_EVENTS),
        param: None,
    });
    n
}

fn mipush_answer(outcome: Result<MiResponse, TransportError>, latency: Duration) -> Answer {
    let attempt = Attempt::of(&outcome);
    let label = attempt.label();
    match outcome {
        Ok(r) => {
            let verdict = if r.is_ok() {
                Verdict::Accepted
            } else if r.code.is_transient() {
                Verdict::Transient
            } else {
                Verdict::Refused
            };
            Answer {
                verdict,
                code: Some(r.code.code()),
                reason: r
                    .reason
                    .clone()
                    .or_else(|| r.description.clone())
                    .unwrap_or_default(),
                message_id: r.message_id.clone(),
                trace_id: r.trace_id.clone(),
                refused: if r.is_ok() {
                    r.bad_regids.clone()
                } else {
                    Vec::new()
                },
                all_gone: r.code == mipush::ErrorCode::NoValidTargets,
                gone: r.bad_regids.clone(),
                body: serde_json::to_string_pretty(&r).unwrap_or_default(),
                label,
                latency,
            }
        }
        Err(e) => Answer {
            verdict: if attempt.is_transient() {
                Verdict::Transient
            } else {
                Verdict::Refused
            },
            code: None,
            reason: e.to_string(),
            message_id: None,
            trace_id: None,
            refused: Vec::new(),
            gone: Vec::new(),
            all_gone: false,
            body: e.to_string(),
            label,
            latency,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &[u8]) -> Answer {
        mipush_answer(
            Ok(MiResponse::parse(body).unwrap()),
            Duration::from_millis(5),
        )
    }

    #[test]
    fn bad_reg_ids_are_refused_and_gone_inside_an_accepted_call() {
        let a = answer(
            br#"{"result":"ok","code":0,"data":{"id":"m1","bad_regids":"b"},"trace_id":"t"}"#,
        );
        assert_eq!(a.verdict, Verdict::Accepted);
        assert_eq!(a.refused, ["b"]);
        assert!(a.is_gone("b") && !a.is_gone("a"));
        assert_eq!(a.message_id.as_deref(), Some("m1"));
    }

    #[test]
    fn final_refusals_transient_codes_and_transport_errors_are_told_apart() {
        let refused =
            answer(br#"{"result":"error","code":21301,"reason":"Invalid application secret."}"#);
        assert_eq!(refused.verdict, Verdict::Refused);
        assert_eq!(refused.reason, "Invalid application secret.");
        assert_eq!(refused.label, "code_21301");
        let none_valid = answer(br#"{"result":"error","code":20301,"reason":"No valid targets!"}"#);
        assert!(none_valid.is_gone("anything"));
        let busy = answer(br#"{"result":"error","code":10002,"reason":"busy"}"#);
        assert_eq!(busy.verdict, Verdict::Transient);
        let timeout = mipush_answer(Err(TransportError::Timeout), Duration::ZERO);
        assert_eq!(
            (timeout.verdict, timeout.label.as_str()),
            (Verdict::Transient, "timeout")
        );
        assert!(!timeout.is_gone("a"));
        let http = |status| {
            mipush_answer(
                Err(TransportError::Http {
                    status,
                    body: String::new(),
                }),
                Duration::ZERO,
            )
            .verdict
        };
        assert_eq!(http(503), Verdict::Transient);
        assert_eq!(http(429), Verdict::Transient);
        assert_eq!(http(404), Verdict::Refused);
    }
}
