use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::certificates::list_certificates;
use crate::api::push::SendTestPush;
use crate::components::{AppHeader, AppTab, ConsoleLayout, FormMessage};
use crate::domain::{
    CertificateList, CertificateStatus, DEFAULT_TITLE, PushOutcome, TestPushDraft, TestPushResult,
    Vendor,
};
use crate::i18n::{Locale, field_label, tr, use_locale};

/// 测试推送: a notification through the server's MiPush client to regIds, with MiPush's answer in
/// full. Developers, admins and owners send; viewers see the form disabled.
#[component]
pub fn TestPushPage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::TestPush/>
            <TestPush/>
        </ConsoleLayout>
    }
}

#[component]
fn TestPush() -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let sdkappid = Memo::new(move |_| params.with(|p| p.get("sdkappid").unwrap_or_default()));
    let certs = Resource::new(move || sdkappid.get(), list_certificates);
    let send = ServerAction::<SendTestPush>::new();
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match certs.await {
                    Ok(list) => Either::Left(view! {
                        <TestPushForm list=list sdkappid=sdkappid.get_untracked() send=send/>
                    }),
                    Err(e) => Either::Right(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
        <SendResult send=send/>
    }
}

fn set(draft: &mut TestPushDraft, name: &str, value: String) {
    let slot = match name {
        "certificate_id" => &mut draft.certificate_id,
        "reg_ids" => &mut draft.reg_ids,
        "user_id" => &mut draft.user_id,
        "title" => &mut draft.title,
        "description" => &mut draft.description,
        "payload" => &mut draft.payload,
        "notify_type" => &mut draft.notify_type,
        "notify_id" => &mut draft.notify_id,
        "channel_id" => &mut draft.channel_id,
        "click_action" => &mut draft.click_action,
        "click_url" => &mut draft.click_url,
        "click_intent" => &mut draft.click_intent,
        "time_to_live" => &mut draft.time_to_live,
        _ => return,
    };
    *slot = Some(value);
}

/// The label of a certificate in the picker: usable ones plainly, the others with why not.
fn certificate_option(l: Locale, c: &crate::domain::CertificateView, now: i64) -> (String, bool) {
    let key = c.settings.unique_key();
    let name = format!("{} · {} · {}", c.id, c.settings.vendor.label(l), key);
    if c.settings.vendor != Vendor::Xiaomi {
        return (
            format!("{name} · {}", tr(l, "cert.sending_not_supported")),
            false,
        );
    }
    let usable = c.status == CertificateStatus::Effective || c.previous_version_serving;
    match c.status {
        _ if usable => (name, true),
        CertificateStatus::Invalid => {
            let why = c
                .check
                .fix
                .as_ref()
                .map(|f| f.get(l).to_owned())
                .unwrap_or_default();
            (format!("{name} · {} {why}", tr(l, "cert.invalid")), false)
        }
        _ => {
            let left = (c.effective_at - now).max(0);
            (
                format!(
                    "{name} · {} {:02}:{:02}",
                    tr(l, "cert.pending"),
                    left / 60,
                    left % 60
                ),
                false,
            )
        }
    }
}

#[component]
fn TestPushForm(
    list: CertificateList,
    sdkappid: String,
    send: ServerAction<SendTestPush>,
) -> impl IntoView {
    let l = use_locale();
    let can_send = super::me().is_some_and(|u| u.role.can_test_push());
    // `?certificate_id=&reg_id=`: a test push to one device, from the devices page.
    let asked = use_query_map().get_untracked();
    let usable = |c: &&crate::domain::CertificateView| certificate_option(l, c, list.now).1;
    let first_usable = list
        .certificates
        .iter()
        .filter(usable)
        .find(|c| asked.get("certificate_id") == Some(c.id.to_string()))
        .or_else(|| list.certificates.iter().find(usable))
        .map(|c| c.id.to_string());
    let asked_reg_id = asked.get("reg_id").unwrap_or_default();
    let draft = RwSignal::new(TestPushDraft {
        certificate_id: first_usable.clone(),
        reg_ids: (!asked_reg_id.is_empty()).then(|| asked_reg_id.clone()),
        ..TestPushDraft::new()
    });
    let touched = RwSignal::new(Vec::<String>::new());
    let server_error = super::action_error(send);
    Effect::watch(
        move || send.pending().get(),
        move |pending, _, _| {
            if *pending {
                touched.set(Vec::new());
            }
        },
        false,
    );
    let channels: Vec<(String, Option<String>)> = list
        .certificates
        .iter()
        .map(|c| (c.id.to_string(), c.settings.channel_id.clone()))
        .collect();
    let warnings = Memo::new(move |_| {
        draft.with(|d| {
            let channel = channels
                .iter()
                .find(|(id, _)| Some(id) == d.certificate_id.as_ref())
                .and_then(|(_, ch)| ch.clone());
            d.warnings(channel.as_deref())
        })
    });
    let client_error = Memo::new(move |_| draft.with(|d| d.parse().err()));
    let message = move |f: &'static str| {
        move || {
            let typed = touched.with(|t| t.iter().any(|x| x == f));
            let e = if typed {
                client_error.get().filter(|e| e.field() == Some(f))
            } else {
                server_error.get().filter(|e| e.field() == Some(f))
            };
            e.map(|e| view! { <p class="field-error" data-field=f>{e.message(l)}</p> })
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        if let Some((f, value)) = super::changed_draft_field(&ev) {
            draft.update(|d| set(d, &f, value));
            touched.update(|t| {
                if !t.contains(&f) {
                    t.push(f);
                }
            });
        }
    };
    let options = list
        .certificates
        .iter()
        .map(|c| {
            let (label, usable) = certificate_option(l, c, list.now);
            let selected = first_usable.as_deref() == Some(c.id.to_string().as_str());
            view! { <option value=c.id.to_string() disabled=!usable selected=selected>{label}</option> }
        })
        .collect_view();
    let no_certificate = first_usable.is_none();
    let label = move |f: &str| field_label(f, l);
    view! {
        <section class="card test-push">
            <h2>{tr(l, "push.title")}</h2>
            <p class="hint">{tr(l, "push.hint")}</p>
            {(!can_send).then(|| view! { <p class="notice" id="cannot-send">{tr(l, "push.viewer")}</p> })}
            {no_certificate.then(|| view! { <p class="notice" id="no-usable-certificate">{tr(l, "push.no_certificate")}</p> })}
            <ActionForm action=send>
                <input type="hidden" name="sdkappid" value=sdkappid/>
                <div class="form-grid" on:input=on_input>
                    <label class="field">
                        <span class="label">{label("certificate_id")}</span>
                        <select name="draft[certificate_id]">{options}</select>
                        {message("certificate_id")}
                    </label>
                    <label class="field">
                        <span class="label">{label("reg_ids")} <small class="muted">{tr(l, "push.reg_ids_hint")}</small></span>
                        <textarea name="draft[reg_ids]" rows="3">{asked_reg_id}</textarea>
                        {message("reg_ids")}
                    </label>
                    <label class="field">
                        <span class="label">{label("user_id")} <small class="muted">{tr(l, "push.user_hint")}</small></span>
                        <input name="draft[user_id]" autocomplete="off"/>
                        {message("user_id")}
                    </label>
                    <label class="field">
                        <span class="label">{label("title")}</span>
                        <input name="draft[title]" value=DEFAULT_TITLE maxlength="49"/>
                        {message("title")}
                    </label>
                    <label class="field">
                        <span class="label">{label("description")}</span>
                        <input name="draft[description]" maxlength="127"/>
                        {message("description")}
                    </label>
                    <label class="field">
                        <span class="label">{label("payload")} <small class="muted">{tr(l, "common.optional")}</small></span>
                        <textarea name="draft[payload]" rows="2"></textarea>
                        {message("payload")}
                    </label>
                    <div class="field-row">
                        <label class="field">
                            <span class="label">{label("notify_type")}</span>
                            <select name="draft[notify_type]">
                                {[-1, 1, 2, 3, 4, 5, 6, 7].into_iter().map(|n| view! {
                                    <option value=n.to_string() selected=n == -1>{tr(l, &format!("push.notify.{}", if n < 0 { "all".to_owned() } else { n.to_string() }))}</option>
                                }).collect_view()}
                            </select>
                            {message("notify_type")}
                        </label>
                        <label class="field">
                            <span class="label">{label("notify_id")} <small class="muted">{tr(l, "common.optional")}</small></span>
                            <input name="draft[notify_id]" inputmode="numeric"/>
                            {message("notify_id")}
                        </label>
                        <label class="field">
                            <span class="label">{label("time_to_live")} <small class="muted">{tr(l, "common.optional")}</small></span>
                            <input name="draft[time_to_live]" inputmode="numeric"/>
                            {message("time_to_live")}
                        </label>
                    </div>
                    <label class="field">
                        <span class="label">{label("channel_id")} <small class="muted">{tr(l, "push.from_certificate")}</small></span>
                        <input name="draft[channel_id]" autocomplete="off"/>
                        {message("channel_id")}
                    </label>
                    <fieldset class="field click-action">
                        <legend class="label">{label("click_action")} <small class="muted">{tr(l, "push.from_certificate")}</small></legend>
                        <select name="draft[click_action]">
                            <option value="" selected>{tr(l, "push.click_certificate")}</option>
                            {["open_app", "open_url", "open_intent"].into_iter().map(|k| view! {
                                <option value=k>{tr(l, &format!("cert.click.{k}"))}</option>
                            }).collect_view()}
                        </select>
                        <input name="draft[click_url]" placeholder="https://example.com/" aria-label=label("click_url")/>
                        {message("click_url")}
                        <input name="draft[click_intent]" placeholder="intent:#Intent;component=com.example.im/.ChatActivity;end" aria-label=label("click_intent")/>
                        {message("click_intent")}
                        {message("click_action")}
                    </fieldset>
                </div>
                <ul class="warnings" id="push-warnings">
                    {move || warnings.get().into_iter().map(|w| view! { <li class="warning">{tr(l, w.key())}</li> }).collect_view()}
                </ul>
                <FormMessage error=server_error/>
                <div class="actions">
                    <button type="submit" class="primary" id="send-test-push" disabled=move || !can_send || send.pending().get()>
                        {move || tr(l, if send.pending().get() { "push.sending" } else { "push.send" })}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn SendResult(send: ServerAction<SendTestPush>) -> impl IntoView {
    move || {
        send.value()
            .get()
            .and_then(|r| r.ok())
            .map(|r| view! { <ResultCard result=r/> })
    }
}

#[component]
fn ResultCard(result: TestPushResult) -> impl IntoView {
    let l = use_locale();
    let r = result;
    let ok = r.outcome == PushOutcome::Accepted;
    let code = r.code.map_or_else(|| "—".to_owned(), |c| c.to_string());
    let meaning = r
        .meaning
        .as_ref()
        .map(|m| m.get(l).to_owned())
        .unwrap_or_default();
    view! {
        <section class="card push-result" id="push-result" data-outcome=r.outcome.as_str()>
            <h2>
                {tr(l, "push.result")} " "
                <span class=if ok { "badge effective" } else { "badge invalid" }>{tr(l, &format!("push.outcome.{}", r.outcome.as_str()))}</span>
            </h2>
            <dl class="credentials">
                <dt>"code"</dt><dd><code id="result-code">{code}</code> " " {meaning}</dd>
                <dt>{tr(l, "push.reason")}</dt><dd id="result-reason">{r.reason.clone()}</dd>
                {r.fix.as_ref().map(|f| view! { <dt>{tr(l, "push.fix")}</dt><dd class="fix" id="result-fix">{f.get(l).to_owned()}</dd> })}
                <dt>"message id"</dt><dd><code id="result-message-id">{r.message_id.clone().unwrap_or_default()}</code></dd>
                <dt>"trace id"</dt><dd><code>{r.trace_id.clone().unwrap_or_default()}</code></dd>
                <dt>{tr(l, "push.targets")}</dt><dd>{r.targets}</dd>
                {(!r.bad_reg_ids.is_empty()).then(|| view! {
                    <dt>{tr(l, "push.bad_reg_ids")}</dt>
                    <dd id="result-bad"><ul>{r.bad_reg_ids.iter().map(|b| view! { <li><code>{b.clone()}</code></li> }).collect_view()}</ul></dd>
                })}
                <dt>{tr(l, "push.attempts")}</dt><dd id="result-attempts">{r.attempts}</dd>
                <dt>{tr(l, "push.latency")}</dt><dd>{format!("{} ms", r.latency_ms)}</dd>
            </dl>
            {r.retryable.then(|| view! {
                <p class="warning" id="result-retryable">{tr(l, "push.retryable")}</p>
            })}
            {(!r.warnings.is_empty()).then(|| view! {
                <ul class="warnings">{r.warnings.iter().map(|w| view! { <li class="warning">{tr(l, w.key())}</li> }).collect_view()}</ul>
            })}
            <h3>{tr(l, "push.request")}</h3>
            <pre class="request" id="result-request">{r.request.clone()}</pre>
            {r.record_ids.first().map(|id| view! {
                <p><a href=format!("records?record={id}") id="result-record">{tr(l, "push.see_record")}</a></p>
            })}
        </section>
    }
}
