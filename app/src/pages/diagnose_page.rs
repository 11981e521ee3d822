use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::push::{diagnose, list_devices};
use crate::components::{AppHeader, AppTab, ConsoleLayout};
use crate::domain::{
    CertificateStatus, DeviceView, DiagnoseQuery, Diagnosis, DiagnosisCheck, MessageTrace,
    format_unix,
};
use crate::i18n::{Locale, field_label, tr, use_locale};

/// 排查: why a user's push did not arrive, as a checklist from recorded facts, with the
/// devices, the recent messages and a block for a support ticket.
#[component]
pub fn DiagnosePage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Diagnose/>
            <Diagnose/>
        </ConsoleLayout>
    }
}

/// 设备: every token a user reported, each with a test push to that device.
#[component]
pub fn DevicesPage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Devices/>
            <Devices/>
        </ConsoleLayout>
    }
}

fn sdkappid() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("sdkappid").unwrap_or_default()))
}

#[component]
fn Diagnose() -> impl IntoView {
    let l = use_locale();
    let sdkappid = sdkappid();
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        query.with(|q| DiagnoseQuery {
            user_id: q.get("user_id").filter(|u| !u.is_empty()),
            since: q.get("since"),
            until: q.get("until"),
        })
    });
    let diagnosis = Resource::new(
        move || (sdkappid.get(), asked.get()),
        |(app, q)| async move {
            match q.user_id {
                Some(_) => diagnose(app, q).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let value = move |f: &str| {
        asked.with(|q| {
            match f {
                "user_id" => q.user_id.clone(),
                "since" => q.since.clone(),
                _ => q.until.clone(),
            }
            .unwrap_or_default()
        })
    };
    view! {
        <section class="card">
            <h2>{tr(l, "diag.title")}</h2>
            <p class="hint">{tr(l, "diag.hint")}</p>
            <form method="get" class="inline-form" id="diagnose-form">
                <label>{tr(l, "diag.user")}<input name="user_id" value=value("user_id") required/></label>
                <label>{tr(l, "diag.since")}<input name="since" value=value("since") placeholder="2026-11-27 08:00"/></label>
                <label>{tr(l, "diag.until")}<input name="until" value=value("until") placeholder="2026-11-27 20:00"/></label>
                <button type="submit" class="primary" id="diagnose-submit">{tr(l, "diag.submit")}</button>
            </form>
        </section>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match diagnosis.await {
                    Ok(Some(d)) => Either::Left(view! { <DiagnosisView d=d sdkappid=sdkappid.get_untracked()/> }),
                    Ok(None) => Either::Right(None),
                    Err(e) => Either::Right(Some(view! { <p class="form-error" role="alert">{e.message(l)}</p> })),
                }
            })}
        </Transition>
    }
}

#[component]
fn DiagnosisView(d: Diagnosis, sdkappid: String) -> impl IntoView {
    let l = use_locale();
    view! {
        {(!d.account_exists).then(|| view! { <p class="notice" id="no-account">{tr(l, "diag.no_account")}</p> })}
        <ol class="card checklist" id="checklist">
            {d.checks.into_iter().map(|c| view! { <CheckItem c=c/> }).collect_view()}
        </ol>
        <section class="card">
            <h2>{tr(l, "diag.devices_title")}</h2>
            <DeviceTable devices=d.devices sdkappid=sdkappid.clone()/>
        </section>
        <section class="card">
            <h2>{tr(l, "diag.messages_title")}</h2>
            <MessageTable messages=d.messages sdkappid=sdkappid/>
        </section>
        <section class="card">
            <h2>{tr(l, "diag.export")}</h2>
            <pre class="export" id="export">{d.export}</pre>
        </section>
    }
}

#[component]
fn CheckItem(c: DiagnosisCheck) -> impl IntoView {
    let l = use_locale();
    let verdict = format!("{:?}", c.verdict).to_lowercase();
    view! {
        <li class=format!("check {verdict}") data-check=c.id.clone() data-verdict=verdict>
            <span class="mark">{c.verdict.mark()}</span>
            <strong>{c.title.get(l).to_owned()}</strong>
            <ul class="facts">
                {c.facts.iter().map(|f| view! { <li>{f.get(l).to_owned()}</li> }).collect_view()}
            </ul>
            {c.fix.map(|f| view! { <p class="fix"><strong>{tr(l, "diag.fix_label")}</strong>" "{f.get(l).to_owned()}</p> })}
        </li>
    }
}

fn status_label(l: Locale, status: Option<CertificateStatus>) -> String {
    match status {
        Some(CertificateStatus::Effective) => tr(l, "diag.status.effective"),
        Some(CertificateStatus::Pending) => tr(l, "diag.status.pending"),
        Some(CertificateStatus::Invalid) => tr(l, "diag.status.invalid"),
        None => tr(l, "diag.status.gone"),
    }
}

fn device_state(l: Locale, d: &DeviceView) -> String {
    let key = if d.invalid_at.is_some() {
        "diag.device.invalid"
    } else if d.notifications_off_at.is_some() {
        "diag.device.notifications_off"
    } else if d.online {
        "diag.device.online"
    } else if d.logged_in {
        "diag.device.logged_in"
    } else {
        "diag.device.unbound"
    };
    tr(l, key)
}

#[component]
fn DeviceTable(devices: Vec<DeviceView>, sdkappid: String) -> impl IntoView {
    let l = use_locale();
    if devices.is_empty() {
        return Either::Left(
            view! { <p class="muted" id="no-devices">{tr(l, "devices.none")}</p> },
        );
    }
    let can_send = super::me().is_some_and(|u| u.role.can_test_push());
    Either::Right(view! {
        <table class="table" id="devices">
            <thead>
                <tr>
                    <th>{tr(l, "devices.token")}</th>
                    <th>{tr(l, "cert.id")}</th>
                    <th>{tr(l, "devices.state")}</th>
                    <th>{tr(l, "devices.reported")}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {devices.into_iter().map(|d| {
                    let test = format!(
                        "/apps/{sdkappid}/test-push?certificate_id={}&reg_id={}",
                        d.certificate_id,
                        super::encode(&d.token)
                    );
                    let state = device_state(l, &d);
                    let bad = d.invalid_at.is_some();
                    view! {
                        <tr data-token=d.token.clone() class:invalid=bad>
                            <td><code class="token">{d.token.clone()}</code></td>
                            <td>{d.certificate_id}" · "{status_label(l, d.certificate_status)}</td>
                            <td class="state">{state}</td>
                            <td>{format_unix(d.reported_at)}</td>
                            <td class="actions">
                                {can_send.then(|| view! { <a class="button test-device" href=test>{tr(l, "devices.test_push")}</a> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    })
}

#[component]
fn MessageTable(messages: Vec<MessageTrace>, sdkappid: String) -> impl IntoView {
    let l = use_locale();
    if messages.is_empty() {
        return Either::Left(view! { <p class="muted">{tr(l, "diag.fact.no_messages")}</p> });
    }
    Either::Right(view! {
        <table class="table" id="messages">
            <thead>
                <tr>
                    <th>{tr(l, "records.time")}</th>
                    <th>"MsgKey"</th>
                    <th>{field_label("title", l)}</th>
                    <th>{tr(l, "diag.pushes")}</th>
                </tr>
            </thead>
            <tbody>
                {messages.into_iter().map(|m| {
                    let pushes = m.pushes.into_iter().map(|p| {
                        let r = p.record;
                        let href = format!("/apps/{sdkappid}/records?record={}", r.id);
                        let arrived = p.notification_arrived.map(|a| if a { "✔" } else { "✘" });
                        view! {
                            <li data-outcome=r.outcome.as_str() data-reason=r.reason.clone()>
                                <a href=href>{tr(l, &format!("push.outcome.{}", r.outcome.as_str()))}</a>
                                " · "{p.why.get(l).to_owned()}
                                {r.trace_id.map(|t| view! { " · trace " <code>{t}</code> })}
                                {arrived.map(|a| view! { " · 📱 " {a} })}
                                {p.fix.map(|f| view! { <div class="fix">{f.get(l).to_owned()}</div> })}
                            </li>
                        }
                    }).collect_view();
                    let in_band = m.delivered_in_band.then(|| view! { <li data-outcome="in_band">{tr(l, "diag.why.in_band")}</li> });
                    view! {
                        <tr data-msg-key=m.msg_key.clone()>
                            <td>{format_unix(m.at)}</td>
                            <td><code>{m.msg_key.clone()}</code></td>
                            <td>{m.title.clone()}<div class="muted">{m.description.clone()}</div></td>
                            <td><ul class="pushes">{in_band}{pushes}</ul></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    })
}

#[component]
fn Devices() -> impl IntoView {
    let l = use_locale();
    let sdkappid = sdkappid();
    let query = use_query_map();
    let user = Memo::new(move |_| query.with(|q| q.get("user_id").unwrap_or_default()));
    let devices = Resource::new(
        move || (sdkappid.get(), user.get()),
        |(app, user)| async move {
            if user.is_empty() {
                Ok(None)
            } else {
                list_devices(app, user).await.map(Some)
            }
        },
    );
    view! {
        <section class="card">
            <h2>{tr(l, "devices.title")}</h2>
            <p class="hint">{tr(l, "devices.hint")}</p>
            <form method="get" class="inline-form" id="devices-form">
                <label>{tr(l, "diag.user")}<input name="user_id" value=move || user.get() required/></label>
                <button type="submit" class="primary">{tr(l, "records.filter")}</button>
            </form>
        </section>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Ok(Some(list)) => Either::Left(view! {
                        <section class="card"><DeviceTable devices=list sdkappid=sdkappid.get_untracked()/></section>
                    }),
                    Ok(None) => Either::Right(None),
                    Err(e) => Either::Right(Some(view! { <p class="form-error" role="alert">{e.message(l)}</p> })),
                }
            })}
        </Transition>
    }
}
