//! Exact requests for MiPush's server API. Everything here is pure: the same input gives the same
//! bytes, which the tests pin down.

use std::fmt;

/// At most 1000 regIds per call (docs/mipush-server-api.md §2.4); longer lists are split.
pub const MAX_REG_IDS_PER_CALL: usize = 1000;

/// The MiPush AppSecret: sent only in the `Authorization` header, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(String);

impl AppSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(****)")
    }
}

/// What tapping the notification does: `extra.notify_effect` 1, 2 or 3.
pub use app::domain::ClickAction;

/// `extra.callback*`: where Xiaomi posts receipts (delivery, clicks, drops).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub url: String,
    /// Bit mask: 1 delivered, 2 clicked, 16 invalid target, 32 notifications off, 64 filtered,
    /// 128 over quota, 1024 expired (docs/mipush-server-api.md §6.1).
    pub kind: Option<u32>,
    pub param: Option<String>,
}

/// A notification-bar message (pass-through is not supported, as in the seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub package_name: String,
    pub title: String,
    pub description: String,
    /// Sent URL-encoded, as the service requires, so it arrives double-encoded on the wire.
    pub payload: Option<String>,
    /// `-1` for all defaults, otherwise an OR of 1 sound, 2 vibrate, 4 lights.
    pub notify_type: i32,
    /// Same id replaces the earlier notification on the phone; keeps retries from stacking up.
    pub notify_id: Option<u32>,
    pub time_to_live_ms: Option<u64>,
    pub channel_id: Option<String>,
    pub click: ClickAction,
    pub notify_foreground: Option<bool>,
    pub sound_uri: Option<String>,
    pub callback: Option<Callback>,
    /// Custom `extra.<key>` pairs (at most 10 on the service's side).
    pub extra: Vec<(String, String)>,
}

impl Notification {
    pub fn new(package_name: &str, title: &str, description: &str) -> Self {
        Self {
            package_name: package_name.to_owned(),
            title: title.to_owned(),
            description: description.to_owned(),
            payload: None,
            notify_type: -1,
            notify_id: None,
            time_to_live_ms: None,
            channel_id: None,
            click: ClickAction::OpenApp,
            notify_foreground: None,
            sound_uri: None,
            callback: None,
            extra: Vec::new(),
        }
    }

    /// The form fields after `registration_id`, in the order the official SDK sends them.
    fn fields(&self) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = vec![
            ("restricted_package_name".into(), self.package_name.clone()),
            ("pass_through".into(), "0".into()),
            ("title".into(), self.title.clone()),
            ("description".into(), self.description.clone()),
        ];
        if let Some(payload) = &self.payload {
            f.push(("payload".into(), url_encode(payload)));
        }
        f.push(("notify_type".into(), self.notify_type.to_string()));
        if let Some(id) = self.notify_id {
            f.push(("notify_id".into(), id.to_string()));
        }
        if let Some(ttl) = self.time_to_live_ms {
            f.push(("time_to_live".into(), ttl.to_string()));
        }
        if let Some(channel) = &self.channel_id {
            f.push(("extra.channel_id".into(), channel.clone()));
        }
        match &self.click {
            ClickAction::OpenApp => f.push(("extra.notify_effect".into(), "1".into())),
            ClickAction::OpenIntent { intent: uri } => {
                f.push(("extra.notify_effect".into(), "2".into()));
                f.push(("extra.intent_uri".into(), uri.clone()));
            }
            ClickAction::OpenUrl { url } => {
                f.push(("extra.notify_effect".into(), "3".into()));
                f.push(("extra.web_uri".into(), url.clone()));
            }
        }
        if let Some(fg) = self.notify_foreground {
            f.push((
                "extra.notify_foreground".into(),
                if fg { "1" } else { "0" }.into(),
            ));
        }
        if let Some(sound) = &self.sound_uri {
            f.push(("extra.sound_uri".into(), sound.clone()));
        }
        if let Some(cb) = &self.callback {
            f.push(("extra.callback".into(), cb.url.clone()));
            if let Some(kind) = cb.kind {
                f.push(("extra.callback.type".into(), kind.to_string()));
            }
            if let Some(param) = &cb.param {
                f.push(("extra.callback.param".into(), param.clone()));
            }
        }
        for (k, v) in &self.extra {
            f.push((format!("extra.{k}"), v.clone()));
        }
        f
    }
}

/// A notification to one or more regIds (`/v3/message/regid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendToRegIds {
    pub reg_ids: Vec<String>,
    pub message: Notification,
}

/// One HTTP request, ready for the wire. Its `Debug` is the redacted text.
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Form-encoded body for POST, empty for GET.
    pub body: String,
    /// How many regIds this request carries (0 for queries).
    pub targets: usize,
}

impl PreparedRequest {
    /// The request as text with the AppSecret hidden: safe to log and to show.
    pub fn redacted(&self) -> String {
        let mut out = format!("{} {}\n", self.method, self.url);
        for (k, v) in &self.headers {
            let v = if k.eq_ignore_ascii_case("authorization") {
                "key=****"
            } else {
                v.as_str()
            };
            out.push_str(&format!("{k}: {v}\n"));
        }
        if !self.body.is_empty() {
            out.push('\n');
            out.push_str(&self.body);
        }
        out
    }
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (space → `+`), as Java's
/// `URLEncoder`, which the official SDK uses.
fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn auth_headers(secret: &AppSecret, with_body: bool) -> Vec<(String, String)> {
    // The literal `key` must be lowercase (OFF-1559).
    let mut h = vec![(
        "Authorization".to_owned(),
        format!("key={}", secret.expose()),
    )];
    if with_body {
        h.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded;charset=UTF-8".to_owned(),
        ));
    }
    h
}

/// `/v3/message/regid`, one request per 1000 regIds.
pub fn build_send(base: &str, secret: &AppSecret, send: &SendToRegIds) -> Vec<PreparedRequest> {
    let fields = send.message.fields();
    send.reg_ids
        .chunks(MAX_REG_IDS_PER_CALL)
        .map(|chunk| {
            let mut pairs = vec![("registration_id".to_owned(), chunk.join(","))];
            pairs.extend(fields.iter().cloned());
            PreparedRequest {
                method: "POST",
                url: format!("{base}/v3/message/regid"),
                headers: auth_headers(secret, true),
                body: form(&pairs),
                targets: chunk.len(),
            }
        })
        .collect()
}

/// `/v1/trace/message/status`: delivery and clicks of one message.
pub fn build_trace_status(base: &str, secret: &AppSecret, msg_id: &str) -> PreparedRequest {
    PreparedRequest {
        method: "GET",
        url: format!(
            "{base}/v1/trace/message/status?{}",
            form(&[("msg_id".into(), msg_id.into())])
        ),
        headers: auth_headers(secret, false),
        body: String::new(),
        targets: 0,
    }
}

/// `/v1/stats/message/counters` for `yyyyMMdd` dates; also a cheap authenticated credential check.
pub fn build_counters(
    base: &str,
    secret: &AppSecret,
    package_name: &str,
    start_date: &str,
    end_date: &str,
) -> PreparedRequest {
    let query = form(&[
        ("start_date".into(), start_date.into()),
        ("end_date".into(), end_date.into()),
        ("restricted_package_name".into(), package_name.into()),
    ]);
    PreparedRequest {
        method: "GET",
        url: format!("{base}/v1/stats/message/counters?{query}"),
        headers: auth_headers(secret, false),
        body: String::new(),
        targets: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://api.xmpush.xiaomi.com";

    fn secret() -> AppSecret {
        AppSecret::new("c2VjcmV0LXNlY3JldA==")
    }

    fn one(reg_ids: &[&str], message: Notification) -> PreparedRequest {
        let send = SendToRegIds {
            reg_ids: reg_ids.iter().map(|s| s.to_string()).collect(),
            message,
        };
        let mut all = build_send(BASE, &secret(), &send);
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn a_minimal_notification_is_exactly_these_bytes() {
        let req = one(
            &["r1", "r2"],
            Notification::new("com.example.im", "a new message", "hi"),
        );
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://api.xmpush.xiaomi.com/v3/message/regid");
        assert_eq!(
            req.headers,
            vec![
                (
                    "Authorization".to_owned(),
                    "key=c2VjcmV0LXNlY3JldA==".to_owned()
                ),
                (
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded;charset=UTF-8".to_owned()
                ),
            ]
        );
        assert_eq!(
            req.body,
            "registration_id=r1%2Cr2&restricted_package_name=com.example.im&pass_through=0\
             &title=a+new+message&description=hi&notify_type=-1&extra.notify_effect=1"
        );
        assert_eq!(req.targets, 2);
    }

    #[test]
    fn payload_is_encoded_twice_and_cjk_text_once() {
        let mut n = Notification::new("com.example.im", "新消息", "你好 world");
        n.payload = Some(r#"{"a":"b c","d":"&"}"#.into());
        let req = one(&["r1"], n);
        assert!(
            req.body.contains("&title=%E6%96%B0%E6%B6%88%E6%81%AF&"),
            "{}",
            req.body
        );
        assert!(
            req.body.contains("&description=%E4%BD%A0%E5%A5%BD+world&"),
            "{}",
            req.body
        );
        // Once for the service's rule, once for the form: `{` → %7B → %257B, space → + → %2B.
        assert!(
            req.body.contains("&payload=%257B%2522a%2522%253A%2522b%2Bc%2522%252C%2522d%2522%253A%2522%2526%2522%257D&"),
            "{}",
            req.body
        );
        let decoded: Vec<(String, String)> = form_urlencoded::parse(req.body.as_bytes())
            .into_owned()
            .collect();
        let payload = &decoded.iter().find(|(k, _)| k == "payload").unwrap().1;
        assert_eq!(payload, "%7B%22a%22%3A%22b+c%22%2C%22d%22%3A%22%26%22%7D");
    }

    #[test]
    fn every_option_becomes_its_documented_field() {
        let mut n = Notification::new("com.example.im", "t", "d");
        n.notify_type = 1 | 2;
        n.notify_id = Some(42);
        n.time_to_live_ms = Some(86_400_000);
        n.channel_id = Some("im_channel".into());
        n.click = ClickAction::OpenUrl {
            url: "https://example.com/x?y=1".into(),
        };
        n.notify_foreground = Some(false);
        n.sound_uri = Some("android.resource://com.example.im/raw/ding".into());
        n.callback = Some(Callback {
            url: "https://cb.example.com/mi".into(),
            kind: Some(3),
            param: Some("p".into()),
        });
        n.extra = vec![("ext".into(), r#"{"k":1}"#.into())];
        let req = one(&["r1"], n);
        let fields: Vec<(String, String)> = form_urlencoded::parse(req.body.as_bytes())
            .into_owned()
            .collect();
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "registration_id",
                "restricted_package_name",
                "pass_through",
                "title",
                "description",
                "notify_type",
                "notify_id",
                "time_to_live",
                "extra.channel_id",
                "extra.notify_effect",
                "extra.web_uri",
                "extra.notify_foreground",
                "extra.sound_uri",
                "extra.callback",
                "extra.callback.type",
                "extra.callback.param",
                "extra.ext",
            ]
        );
        let get = |k: &str| fields.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(get("notify_type"), "3");
        assert_eq!(get("notify_id"), "42");
        assert_eq!(get("extra.notify_effect"), "3");
        assert_eq!(get("extra.web_uri"), "https://example.com/x?y=1");
        assert_eq!(get("extra.notify_foreground"), "0");
        assert_eq!(get("extra.ext"), r#"{"k":1}"#);

        let mut n = Notification::new("p", "t", "d");
        n.click = ClickAction::OpenIntent {
            intent: "intent:#Intent;component=p/.Chat;end".into(),
        };
        let req = one(&["r1"], n);
        assert!(req.body.contains("extra.notify_effect=2&extra.intent_uri=intent%3A%23Intent%3Bcomponent%3Dp%2F.Chat%3Bend"));
    }

    #[test]
    fn regids_are_batched_by_the_thousand() {
        let ids = |n: usize| (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>();
        let send = |n| SendToRegIds {
            reg_ids: ids(n),
            message: Notification::new("p", "t", "d"),
        };
        let exactly = build_send(BASE, &secret(), &send(1000));
        assert_eq!(exactly.len(), 1);
        assert_eq!(exactly[0].targets, 1000);
        let over = build_send(BASE, &secret(), &send(1001));
        assert_eq!(over.len(), 2);
        assert_eq!((over[0].targets, over[1].targets), (1000, 1));
        assert!(over[1].body.starts_with("registration_id=r1000&"));
        assert!(build_send(BASE, &secret(), &send(0)).is_empty());
    }

    #[test]
    fn queries_are_gets_with_the_key() {
        let t = build_trace_status(BASE, &secret(), "sdm57188602565449273KF");
        assert_eq!(t.method, "GET");
        assert_eq!(
            t.url,
            "https://api.xmpush.xiaomi.com/v1/trace/message/status?msg_id=sdm57188602565449273KF"
        );
        assert_eq!(
            t.headers,
            vec![(
                "Authorization".to_owned(),
                "key=c2VjcmV0LXNlY3JldA==".to_owned()
            )]
        );
        let c = build_counters(BASE, &secret(), "com.example.im", "20261101", "20261126");
        assert_eq!(
            c.url,
            "https://api.xmpush.xiaomi.com/v1/stats/message/counters?start_date=20261101&end_date=20261126&restricted_package_name=com.example.im"
        );
    }

    #[test]
    fn the_secret_never_shows() {
        assert_eq!(format!("{:?}", secret()), "AppSecret(****)");
        let req = one(&["r1"], Notification::new("p", "t", "d"));
        let shown = req.redacted();
        assert!(shown.contains("Authorization: key=****"));
        assert!(!shown.contains("c2VjcmV0"));
        assert!(!format!("{req:?}").contains("c2VjcmV0"));
    }
}
