//! 排查: why a user did (not) get a push, answered from what was recorded — certificates,
//! reported tokens, logins, each message's decision and vendor answer, and for sandbox phones
//! the notification shade.

use app::api::{CertificatesBackend, DiagnoseBackend};
use app::domain::{
    AppError, CertificateStatus, CertificateView, DIAGNOSE_MESSAGES, DIAGNOSE_WINDOW, DeviceView,
    DiagnoseQuery, Diagnosis, DiagnosisCheck, Localized, MessagePush, MessageTrace, PushOutcome,
    Sdkappid, UserView, Verdict, format_unix, msg_key, parse_time, parse_user_id,
};
use app::i18n::{Locale, tr};
use async_trait::async_trait;

use super::Services;
use super::push::{meaning_and_fix, record_view};
use crate::store::messages;
use crate::store::push::{self as records, RecordFilter};
use crate::store::sandbox;
use crate::store::sessions::{self, LoginRow};

/// A sentence in both languages from the locale file, `%{name}` filled in.
fn say(key: &str, args: &[(&str, &str)]) -> Localized {
    let fill = |locale| {
        args.iter().fold(tr(locale, key), |text, (name, value)| {
            text.replace(&format!("%{{{name}}}"), value)
        })
    };
    Localized {
        zh: fill(Locale::Zh),
        en: fill(Locale::En),
    }
}

fn check(
    id: &str,
    verdict: Verdict,
    facts: Vec<Localized>,
    fix: Option<Localized>,
) -> DiagnosisCheck {
    DiagnosisCheck {
        id: id.to_owned(),
        verdict,
        title: say(&format!("diag.{id}"), &[]),
        facts,
        fix,
    }
}

/// The end of a regId, enough to tell devices apart without filling the page.
fn short(token: &str) -> String {
    let tail: String = token
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if tail.len() < token.len() {
        format!("…{tail}")
    } else {
        tail
    }
}

fn time(unix: i64) -> String {
    format!("{} UTC", format_unix(unix))
}

impl Services {
    async fn devices_of(
        &self,
        sdkappid: i64,
        user: &str,
        certificates: &[CertificateView],
        now: i64,
    ) -> Result<Vec<DeviceView>, AppError> {
        let rows = crate::store::device_tokens::user_devices(&self.db, sdkappid, user).await?;
        Ok(rows
            .into_iter()
            .map(|d| {
                let cert = certificates.iter().find(|c| c.id == d.certificate_id);
                DeviceView {
                    certificate_id: d.certificate_id,
                    vendor: cert.map(|c| c.settings.vendor),
                    certificate_status: cert.map(|c| c.status),
                    token: d.token,
                    reported_at: d.reported_at,
                    logged_in: d.session_state.as_deref() == Some("active"),
                    online: d.online_until.is_some_and(|t| t > now),
                    invalid_at: d.bad_at,
                    notifications_off_at: d.notifications_off_at,
                }
            })
            .collect())
    }

    /// The user's recent messages with their push records (matched by MsgKey) and, for
    /// sandbox phones, whether the notification is there.
    async fn trace_messages(
        &self,
        sdkappid: i64,
        user: &str,
        since: i64,
        until: i64,
        logins: &[LoginRow],
    ) -> Result<Vec<MessageTrace>, AppError> {
        let rows = messages::recent_messages(
            &self.db,
            sdkappid,
            user,
            since,
            until,
            DIAGNOSE_MESSAGES as i64,
        )
        .await?;
        let Some(oldest) = rows.last().map(|m| m.msg_time) else {
            return Ok(Vec::new());
        };
        let filter = RecordFilter {
            user_id: Some(user.to_owned()),
            since: Some(oldest),
            ..RecordFilter::default()
        };
        let pushes = records::list(&self.db, sdkappid, &filter, None, 500).await?;
        let delivered = logins.iter().map(|l| l.delivered_id).max().unwrap_or(0);
        let mut traces = Vec::with_capacity(rows.len());
        for m in rows {
            let msg_key = msg_key(m.msg_seq, m.msg_random, m.msg_time);
            let mut mine = Vec::new();
            for r in pushes
                .iter()
                .filter(|r| r.msg_key.as_deref() == Some(msg_key.as_str()))
            {
                let record = record_view(r.clone());
                let (why, fix) = explain(&record);
                let notification_arrived = self.arrived(&record).await?;
                mine.push(MessagePush {
                    record,
                    why,
                    fix,
                    notification_arrived,
                });
            }
            traces.push(MessageTrace {
                msg_key,
                at: m.msg_time,
                from_account: m.from_account,
                title: m.push_title,
                description: m.push_desc,
                delivered_in_band: m.id <= delivered,
                pushes: mine,
            });
        }
        Ok(traces)
    }

    /// Whether an accepted push shows on a sandbox phone; None for real devices.
    async fn arrived(
        &self,
        record: &app::domain::PushRecordView,
    ) -> Result<Option<bool>, AppError> {
        if self.sandbox.is_none() || record.outcome != PushOutcome::Accepted {
            return Ok(None);
        }
        if sandbox::device(&self.db, &record.reg_id).await?.is_none() {
            return Ok(None);
        }
        let shade = sandbox::notifications(&self.db, &record.reg_id).await?;
        Ok(Some(shade.iter().any(|n| {
            Some(&n.message_id) == record.message_id.as_ref()
        })))
    }
}

/// A record's outcome in words, and what to do when it is not what was wanted.
fn explain(record: &app::domain::PushRecordView) -> (Localized, Option<Localized>) {
    match record.outcome {
        PushOutcome::Accepted => (say("diag.why.accepted", &[]), None),
        PushOutcome::Skipped => {
            let reason = record.reason.as_str();
            let fix = match reason {
                "online" | "push_flag_off" => None,
                _ => Some(say(&format!("diag.fix.{reason}"), &[])),
            };
            (say(&format!("diag.why.{reason}"), &[]), fix)
        }
        PushOutcome::Rejected | PushOutcome::Failed => {
            let (meaning, fix) = meaning_and_fix(record.code);
            let code = record.code.map(|c| c.to_string()).unwrap_or_default();
            let mut why = say("diag.why.refused", &[("code", &code)]);
            if let Some(m) = meaning {
                why.zh = format!("{}{}", why.zh, m.zh);
                why.en = format!("{} {}", why.en, m.en);
            }
            (why, fix)
        }
    }
}

fn status_word(status: Option<CertificateStatus>) -> Localized {
    let key = match status {
        Some(CertificateStatus::Effective) => "diag.status.effective",
        Some(CertificateStatus::Pending) => "diag.status.pending",
        Some(CertificateStatus::Invalid) => "diag.status.invalid",
        None => "diag.status.gone",
    };
    say(key, &[])
}

/// Whether a certificate is one pushes can go through now.
fn serving(c: &CertificateView) -> bool {
    c.sending_supported && (c.status == CertificateStatus::Effective || c.previous_version_serving)
}

/// ① The app has a certificate, effective, for the vendor of each device.
fn certificate_check(certificates: &[CertificateView], devices: &[DeviceView]) -> DiagnosisCheck {
    let facts: Vec<Localized> = certificates
        .iter()
        .map(|c| {
            let status = status_word(Some(c.status));
            let id = c.id.to_string();
            let package = c.settings.package_name.clone().unwrap_or_default();
            let mut line = say(
                "diag.fact.certificate",
                &[("id", &id), ("package", &package)],
            );
            line.zh = format!(
                "{} · {} · {}",
                line.zh,
                c.settings.vendor.label(Locale::Zh),
                status.zh
            );
            line.en = format!(
                "{} · {} · {}",
                line.en,
                c.settings.vendor.label(Locale::En),
                status.en
            );
            line
        })
        .collect();
    if certificates.is_empty() {
        return check(
            "certificate",
            Verdict::Fail,
            vec![say("diag.fact.no_certificate", &[])],
            Some(say("diag.fix.add_certificate", &[])),
        );
    }
    // The certificates the user's live devices report with; all of the app's when none does
    // (a token under another app's or a deleted certificate is ②'s to explain).
    let reported: Vec<&CertificateView> = certificates
        .iter()
        .filter(|c| {
            devices
                .iter()
                .any(|d| d.logged_in && d.certificate_id == c.id)
        })
        .collect();
    let used = if reported.is_empty() {
        certificates.iter().collect()
    } else {
        reported
    };
    if let Some(c) = used
        .iter()
        .find(|c| c.status == CertificateStatus::Invalid && !serving(c))
    {
        let fix = c
            .check
            .fix
            .clone()
            .unwrap_or_else(|| say("diag.fix.certificate_invalid", &[]));
        return check("certificate", Verdict::Fail, facts, Some(fix));
    }
    if !used.iter().any(|c| serving(c)) {
        let fix = match used.iter().find(|c| c.status == CertificateStatus::Pending) {
            Some(c) => say("diag.fix.wait_effective", &[("at", &time(c.effective_at))]),
            None => say("diag.fix.vendor_not_supported", &[]),
        };
        return check("certificate", Verdict::Fail, facts, Some(fix));
    }
    check("certificate", Verdict::Pass, facts, None)
}

/// ② The user reported a token, after logging in, with a certificate of this app that works.
fn devices_check(certificates: &[CertificateView], devices: &[DeviceView]) -> DiagnosisCheck {
    let facts: Vec<Localized> = devices
        .iter()
        .map(|d| {
            let state = if d.invalid_at.is_some() {
                "diag.device.invalid"
            } else if d.online {
                "diag.device.online"
            } else if d.logged_in {
                "diag.device.logged_in"
            } else {
                "diag.device.unbound"
            };
            let id = d.certificate_id.to_string();
            let mut line = say(
                "diag.fact.device",
                &[
                    ("token", &short(&d.token)),
                    ("id", &id),
                    ("at", &time(d.reported_at)),
                ],
            );
            let state = say(state, &[]);
            let status = status_word(d.certificate_status);
            line.zh = format!("{} · {} · {}", line.zh, state.zh, status.zh);
            line.en = format!("{} · {} · {}", line.en, state.en, status.en);
            line
        })
        .collect();
    let suggested = certificates
        .iter()
        .find(|c| serving(c))
        .or(certificates.first())
        .map(|c| c.id.to_string())
        .unwrap_or_else(|| "—".into());
    if devices.is_empty() {
        return check(
            "devices",
            Verdict::Fail,
            vec![say("diag.fact.no_devices", &[])],
            Some(say("diag.fix.report_token", &[("id", &suggested)])),
        );
    }
    let live: Vec<&DeviceView> = devices.iter().filter(|d| d.logged_in).collect();
    if live.is_empty() {
        return check(
            "devices",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.login_again", &[])),
        );
    }
    if live.iter().all(|d| d.invalid_at.is_some()) {
        return check(
            "devices",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.token_invalid", &[])),
        );
    }
    if live.iter().all(|d| d.certificate_status.is_none()) {
        return check(
            "devices",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.certificate_mismatch", &[("id", &suggested)])),
        );
    }
    check("devices", Verdict::Pass, facts, None)
}

/// ③ Logged in now (not logged out, not kicked); online means no push is needed.
fn login_check(logins: &[LoginRow], now: i64) -> DiagnosisCheck {
    let Some(latest) = logins.first() else {
        return check(
            "login",
            Verdict::Fail,
            vec![say("diag.fact.never_logged_in", &[])],
            Some(say("diag.fix.never_logged_in", &[])),
        );
    };
    let facts: Vec<Localized> = logins
        .iter()
        .map(|l| {
            let key = match l.state.as_str() {
                "active" if l.online_until > now => "diag.login.online",
                "active" => "diag.login.active",
                "kicked" => "diag.login.kicked",
                _ => "diag.login.logged_out",
            };
            let ended = l.ended_at.map(time).unwrap_or_default();
            say(
                key,
                &[
                    ("platform", &l.platform),
                    ("at", &time(l.created_at)),
                    ("ended", &ended),
                ],
            )
        })
        .collect();
    match latest.state.as_str() {
        "active" => check("login", Verdict::Pass, facts, None),
        "kicked" => check(
            "login",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.kicked", &[])),
        ),
        _ => check(
            "login",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.user_logged_out", &[])),
        ),
    }
}

/// ④ Each recent message: pushed, delivered in-band, or why not.
fn messages_check(messages: &[MessageTrace]) -> DiagnosisCheck {
    if messages.is_empty() {
        return check(
            "messages",
            Verdict::None,
            vec![say("diag.fact.no_messages", &[])],
            None,
        );
    }
    let mut facts = Vec::new();
    let mut fix = None;
    for m in messages {
        let head = format!("{} · MsgKey {} · {}", time(m.at), m.msg_key, m.from_account);
        let reached = m.delivered_in_band
            || m.pushes.iter().any(|p| {
                p.record.outcome == PushOutcome::Accepted
                    || matches!(p.record.reason.as_str(), "online" | "push_flag_off")
            });
        if m.pushes.is_empty() {
            let why = if m.delivered_in_band {
                say("diag.why.in_band", &[])
            } else {
                say("diag.why.queued", &[])
            };
            facts.push(Localized {
                zh: format!("{head} · {}", why.zh),
                en: format!("{head} · {}", why.en),
            });
        }
        for p in &m.pushes {
            facts.push(Localized {
                zh: format!("{head} · {}", p.why.zh),
                en: format!("{head} · {}", p.why.en),
            });
            if !reached && fix.is_none() {
                fix = p.fix.clone();
            }
        }
        if !reached && fix.is_none() {
            fix = Some(say("diag.fix.queued", &[]));
        }
    }
    let verdict = if fix.is_some() {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    check("messages", verdict, facts, fix)
}

/// ⑤ For sandbox phones: the accepted pushes are in the notification shade.
fn delivery_check(messages: &[MessageTrace]) -> DiagnosisCheck {
    let pushes: Vec<&MessagePush> = messages
        .iter()
        .flat_map(|m| &m.pushes)
        .filter(|p| p.record.outcome == PushOutcome::Accepted)
        .collect();
    let judged: Vec<&&MessagePush> = pushes
        .iter()
        .filter(|p| p.notification_arrived.is_some())
        .collect();
    if judged.is_empty() {
        let fact = if pushes.is_empty() {
            say("diag.fact.nothing_accepted", &[])
        } else {
            say("diag.fact.real_devices", &[])
        };
        return check("delivery", Verdict::None, vec![fact], None);
    }
    let facts = judged
        .iter()
        .map(|p| {
            let key = if p.notification_arrived == Some(true) {
                "diag.fact.arrived"
            } else {
                "diag.fact.not_arrived"
            };
            say(
                key,
                &[
                    ("token", &short(&p.record.reg_id)),
                    ("id", p.record.message_id.as_deref().unwrap_or_default()),
                ],
            )
        })
        .collect();
    if judged.iter().all(|p| p.notification_arrived == Some(true)) {
        check("delivery", Verdict::Pass, facts, None)
    } else {
        check(
            "delivery",
            Verdict::Fail,
            facts,
            Some(say("diag.fix.not_arrived", &[])),
        )
    }
}

/// ⑥ What the vendor's receipts said about the accepted pushes: reached the phone, was tapped,
/// or was dropped and why.
fn receipts_check(messages: &[MessageTrace], receipts_enabled: bool) -> DiagnosisCheck {
    if !receipts_enabled {
        return check(
            "receipts",
            Verdict::None,
            vec![say("diag.fact.receipts_off", &[])],
            None,
        );
    }
    let pushes: Vec<&MessagePush> = messages
        .iter()
        .flat_map(|m| &m.pushes)
        .filter(|p| p.record.outcome == PushOutcome::Accepted)
        .collect();
    if pushes.is_empty() {
        let facts = vec![say("diag.fact.nothing_accepted", &[])];
        return check("receipts", Verdict::None, facts, None);
    }
    let facts = pushes
        .iter()
        .map(|p| {
            let r = &p.record;
            let token = short(&r.reg_id);
            let id = r.message_id.as_deref().unwrap_or_default();
            let base = [("token", token.as_str()), ("id", id)];
            match (&r.receipt_failure, r.clicked_at, r.delivered_at) {
                (Some(f), _, _) => {
                    let mut fact = say("diag.fact.receipt_dropped", &base);
                    fact.zh.push_str(&f.meaning.zh);
                    fact.en.push(' ');
                    fact.en.push_str(&f.meaning.en);
                    fact
                }
                (None, Some(at), _) => say(
                    "diag.fact.receipt_clicked",
                    &[base[0], base[1], ("at", &time(at))],
                ),
                (None, None, Some(at)) => say(
                    "diag.fact.receipt_delivered",
                    &[base[0], base[1], ("at", &time(at))],
                ),
                (None, None, None) => say("diag.fact.receipt_none", &base),
            }
        })
        .collect();
    let dropped = pushes
        .iter()
        .find_map(|p| p.record.receipt_failure.as_ref());
    if let Some(failure) = dropped {
        return check("receipts", Verdict::Fail, facts, Some(failure.fix.clone()));
    }
    let reached = pushes
        .iter()
        .all(|p| p.record.delivered_at.is_some() || p.record.clicked_at.is_some());
    let verdict = if reached {
        Verdict::Pass
    } else {
        Verdict::None
    };
    check("receipts", verdict, facts, None)
}

/// The block to paste into a support ticket (Tencent's FAQ asks for these): plain English.
fn export(
    sdkappid: i64,
    user: &str,
    now: i64,
    certificates: &[CertificateView],
    devices: &[DeviceView],
    messages: &[MessageTrace],
) -> String {
    let mut out = format!(
        "pushdesk push diagnosis, {}\nSDKAppID: {sdkappid}\nUser ID: {user}\n",
        time(now)
    );
    for c in certificates {
        out.push_str(&format!(
            "Certificate ID: {} ({}, {}, {})\n",
            c.id,
            c.settings.vendor.as_str(),
            c.settings.package_name.as_deref().unwrap_or("-"),
            c.status.as_str()
        ));
    }
    for d in devices {
        out.push_str(&format!(
            "Device token: {} (certificate ID {}, reported {}, {})\n",
            d.token,
            d.certificate_id,
            time(d.reported_at),
            if d.invalid_at.is_some() {
                "invalid"
            } else if d.logged_in {
                "logged in"
            } else {
                "not bound: logged out or kicked"
            }
        ));
    }
    for m in messages {
        out.push_str(&format!(
            "Message {} at {} from {}\n",
            m.msg_key,
            time(m.at),
            m.from_account
        ));
        if m.delivered_in_band {
            out.push_str("  delivered in-band\n");
        }
        for p in &m.pushes {
            let r = &p.record;
            out.push_str(&format!(
                "  push: certificate ID {}, regId {}, {}{}, code {}, message id {}, trace id {}\n",
                r.certificate_id
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                if r.reg_id.is_empty() { "-" } else { &r.reg_id },
                r.outcome.as_str(),
                if r.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", r.reason)
                },
                r.code.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                r.message_id.as_deref().unwrap_or("-"),
                r.trace_id.as_deref().unwrap_or("-"),
            ));
        }
    }
    out
}

#[async_trait]
impl DiagnoseBackend for Services {
    async fn diagnose(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        query: &DiagnoseQuery,
    ) -> Result<Diagnosis, AppError> {
        let app = self.app_row(sdkappid).await?;
        let user = parse_user_id(query.user_id.as_deref().unwrap_or_default())?;
        let now = self.clock.now();
        let until =
            parse_time("until", query.until.as_deref().unwrap_or_default())?.unwrap_or(now + 1);
        let since = parse_time("since", query.since.as_deref().unwrap_or_default())?
            .unwrap_or(until - DIAGNOSE_WINDOW);
        let account_exists =
            crate::store::accounts::account_exists(&self.db, app.sdkappid, &user).await?;
        let certificates = self.list_certificates(by, sdkappid).await?.certificates;
        let devices = self
            .devices_of(app.sdkappid, &user, &certificates, now)
            .await?;
        let logins = sessions::user_logins(&self.db, app.sdkappid, &user, 5).await?;
        let messages = self
            .trace_messages(app.sdkappid, &user, since, until, &logins)
            .await?;
        let checks = vec![
            certificate_check(&certificates, &devices),
            devices_check(&certificates, &devices),
            login_check(&logins, now),
            messages_check(&messages),
            delivery_check(&messages),
            receipts_check(&messages, self.dispatcher.receipts_enabled()),
        ];
        let export = export(app.sdkappid, &user, now, &certificates, &devices, &messages);
        Ok(Diagnosis {
            sdkappid: app.sdkappid,
            user_id: user,
            account_exists,
            since,
            until,
            generated_at: now,
            checks,
            devices,
            messages,
            export,
        })
    }

    /// Every token the user reported (unbound and invalid ones too), newest first.
    async fn list_devices(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        user_id: &str,
    ) -> Result<Vec<DeviceView>, AppError> {
        let app = self.app_row(sdkappid).await?;
        let user = parse_user_id(user_id)?;
        let certificates = self.list_certificates(by, sdkappid).await?.certificates;
        self.devices_of(app.sdkappid, &user, &certificates, self.clock.now())
            .await
    }
}
