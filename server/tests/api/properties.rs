//! Generated input against every parser and the HTTP bodies: no panic, no 5xx, a clear 4xx.

use app::domain::{
    AppName, CertificateDraft, PackageName, Password, Platform, PushRecordQuery, Role, Sdkappid,
    TestPushDraft, Username, Vendor, parse_device_token, parse_identifier, parse_time,
    parse_user_id,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use server::crypto::usersig;
use server::vendors::mipush::MiResponse;

use crate::on_both_engines;
use crate::support::{TestApp, im_fixture};

/// Text that looks like what people and programs send: mostly ASCII, some CJK, controls, emoji.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('Z'),
                Just('0'),
                Just('9'),
                Just('.'),
                Just('_'),
                Just('-'),
                Just(' '),
                Just('/'),
                Just(':'),
                Just('#'),
                Just(';'),
                Just('消'),
                Just('\n'),
                Just('\u{0}'),
                Just('😀'),
                Just('='),
                Just('*'),
            ],
            0..80,
        )
        .prop_map(|c| c.into_iter().collect()),
    ]
}

fn opt() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn domain_parsers_never_panic(s in text(), t in text()) {
        let _ = (AppName::parse(&s), PackageName::parse(&s), Password::parse(&s), Username::parse(&s));
        let _ = (Sdkappid::parse(&s), Platform::parse(&s), Role::parse(&s), Vendor::parse(&s));
        let _ = (parse_user_id(&s), parse_identifier("identifier", &s), parse_time("since", &s));
        for v in Vendor::ALL {
            let _ = parse_device_token(v, &s);
        }
        let _ = Password::parse_confirmed(&s, &t);
        let _ = Platform::parse_set(&[s.clone(), t.clone()]);
    }

    #[test]
    fn certificate_and_push_drafts_never_panic(
        a in opt(), b in opt(), c in opt(), d in opt(), e in opt(), f in opt(), g in opt(),
        vendor in proptest::option::of(prop_oneof![
            Just("xiaomi".to_owned()), Just("huawei".to_owned()), Just("honor".to_owned()),
            Just("oppo".to_owned()), Just("vivo".to_owned()), Just("meizu".to_owned()),
            Just("fcm".to_owned()), text(),
        ]),
    ) {
        let draft = CertificateDraft {
            vendor,
            package_name: a.clone(), app_id: b.clone(), app_key: c.clone(), client_id: d.clone(),
            app_secret: e.clone(), master_secret: f.clone(), client_secret: g.clone(),
            region: a.clone(), channel_id: b.clone(), public_channels: e.clone(), badge_class: c.clone(),
            click_action: d.clone(), click_url: e.clone(), click_intent: f.clone(),
            service_account: g.clone(),
        };
        let _ = (draft.parse(false), draft.parse(true), draft.errors(false));
        let push = TestPushDraft {
            certificate_id: a.clone(), reg_ids: b.clone(), user_id: c.clone(), title: d.clone(),
            description: e.clone(), payload: f.clone(), notify_type: g.clone(), notify_id: a,
            channel_id: b, click_action: c, click_url: d, click_intent: e, time_to_live: f,
        };
        let _ = push.parse();
        let _ = PushRecordQuery { since: g, ..PushRecordQuery::default() };
    }

    #[test]
    fn usersig_decoding_never_panics(s in text(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = usersig::verify(&s, 1_400_000_001, "key", "alice", 0);
        // Well-formed base64 of arbitrary bytes, and of a real signature with bytes flipped.
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes)
            .replace('+', "*").replace('/', "-").replace('=', "_");
        let _ = usersig::verify(&b64, 1_400_000_001, "key", "alice", 0);
        let mut real = usersig::generate(1_400_000_001, "key", "alice", 0, 60, None).into_bytes();
        for (i, b) in bytes.iter().enumerate().take(4) {
            let at = (*b as usize * 7 + i) % real.len();
            real[at] = b"AZaz09*-_"[*b as usize % 9];
        }
        let _ = usersig::verify(&String::from_utf8(real).unwrap(), 1_400_000_001, "key", "alice", 0);
    }

    #[test]
    fn mipush_answers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), s in text()) {
        let _ = MiResponse::parse(&bytes);
        let _ = MiResponse::parse(s.as_bytes());
        let shaped = format!(r#"{{"result":{s:?},"code":{},"data":{{"id":{s:?},"bad_regids":{s:?}}},"trace_id":{s:?}}}"#, bytes.len() as i64 - 200);
        let _ = MiResponse::parse(shaped.as_bytes());
    }
}

/// A JSON value of bounded depth made of what a REST body holds.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("To_Account".to_owned()),
                        Just("MsgBody".to_owned()),
                        Just("MsgRandom".to_owned()),
                        Just("MsgType".to_owned()),
                        Just("MsgContent".to_owned()),
                        Just("Text".to_owned()),
                        Just("OfflinePushInfo".to_owned()),
                        Just("From_Account".to_owned()),
                        Just("UserID".to_owned()),
                        Just("Accounts".to_owned()),
                        text(),
                    ],
                    inner,
                ),
                0..6,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// `n` generated values (no shrinking: the failing input is printed as it was).
fn samples<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

async fn v4_raw(app: &TestApp, key: &str, api: &str, body: &str) -> (u16, Value) {
    let sig = usersig::generate(
        1_400_000_001,
        key,
        "administrator",
        server::unix_now(),
        600,
        None,
    );
    let res = app
        .client
        .post(app.url(&format!(
            "/v4/{api}?sdkappid=1400000001&identifier=administrator&usersig={sig}&random=1&contenttype=json"
        )))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_engines! {
    async fn generated_rest_bodies_get_tencent_errors_never_a_5xx(app) {
        let f = im_fixture(&app, 0, None).await;
        let apis = ["openim/sendmsg", "openim/batchsendmsg", "openim/querystate",
                    "im_open_login_svc/account_import", "im_open_login_svc/multiaccount_import",
                    "im_open_login_svc/kick"];
        for (i, body) in samples(json_value(), 150).into_iter().enumerate() {
            let api = apis[i % apis.len()];
            let (status, answer) = v4_raw(&app, &f.key, api, &body.to_string()).await;
            assert_eq!(status, 200, "{api} {body}");
            assert!(answer["ActionStatus"] == "OK" || answer["ErrorCode"].as_i64().unwrap_or(0) > 0, "{api} {body} → {answer}");
        }
        for raw in samples(text(), 50) {
            let (status, answer) = v4_raw(&app, &f.key, "openim/sendmsg", &raw).await;
            assert_eq!(status, 200, "{raw:?}");
            assert_eq!(answer["ActionStatus"], "FAIL", "{raw:?} → {answer}");
        }
    }

    async fn generated_sandbox_forms_get_mipush_errors_never_a_5xx(app) {
        let f = im_fixture(&app, 1, None).await;
        let apps: Value = app.get("/sandbox/mipush/apps").await.json().await.unwrap();
        let secret = apps[0]["app_secret"].as_str().unwrap().to_owned();
        let fields = ["registration_id", "restricted_package_name", "title", "description",
                      "payload", "pass_through", "notify_type", "notify_id", "time_to_live",
                      "extra.channel_id", "extra.notify_effect", "extra.intent_uri"];
        let forms = samples(proptest::collection::vec((0..fields.len(), text()), 0..8), 150);
        for (i, form) in forms.into_iter().enumerate() {
            let mut pairs: Vec<(&str, String)> = form.into_iter().map(|(k, v)| (fields[k], v)).collect();
            if i % 2 == 0 {
                pairs.push(("registration_id", f.reg_ids[0].clone()));
                pairs.push(("restricted_package_name", "com.example.im".into()));
            }
            let res = app
                .client
                .post(app.url("/sandbox/mipush/v3/message/regid"))
                .header("authorization", format!("key={secret}"))
                .form(&pairs)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let answer: Value = res.json().await.unwrap_or(Value::Null);
            assert!(status.as_u16() < 500, "{pairs:?} → {status} {answer}");
            assert!(answer["code"].is_i64(), "{pairs:?} → {answer}");
        }
    }
}
