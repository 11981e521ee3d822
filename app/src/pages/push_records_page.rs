use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::push::{QueryVendorStatus, get_push_record, list_push_records};
use crate::components::{AppHeader, AppTab, ConsoleLayout, FormMessage};
use crate::domain::{
    PushOutcome, PushRecordDetail, PushRecordQuery, PushRecordView, ReceiptState, format_unix,
};
use crate::i18n::{field_label, tr, use_locale};

/// 推送记录: every push attempt with what the vendor said and what its receipts reported since,
/// filtered and paged newest first; a record opens (`?record=<id>`) with its whole path —
/// the request as sent, the answer, the receipts — and a live status query to MiPush.
#[component]
pub fn PushRecordsPage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Records/>
            <Records/>
        </ConsoleLayout>
    }
}

const FILTERS: [&str; 7] = [
    "certificate_id",
    "user_id",
    "reg_id",
    "outcome",
    "receipt",
    "since",
    "until",
];

#[component]
fn Records() -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let query = use_query_map();
    let sdkappid = Memo::new(move |_| params.with(|p| p.get("sdkappid").unwrap_or_default()));
    let filters = Memo::new(move |_| {
        query.with(|q| PushRecordQuery {
            certificate_id: q.get("certificate_id"),
            user_id: q.get("user_id"),
            reg_id: q.get("reg_id"),
            outcome: q.get("outcome"),
            since: q.get("since"),
            until: q.get("until"),
            before_id: q.get("before_id"),
            limit: None,
            receipt: q.get("receipt"),
        })
    });
    let record = Memo::new(move |_| query.with(|q| q.get("record")));
    let page = Resource::new(
        move || (sdkappid.get(), filters.get()),
        |(id, q)| list_push_records(id, q),
    );
    let detail = Resource::new(
        move || (sdkappid.get(), record.get()),
        |(app, id)| async move {
            match id {
                Some(id) => get_push_record(app, id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let value = move |f: &str| {
        filters.with(|q| {
            match f {
                "certificate_id" => q.certificate_id.clone(),
                "user_id" => q.user_id.clone(),
                "reg_id" => q.reg_id.clone(),
                "outcome" => q.outcome.clone(),
                "receipt" => q.receipt.clone(),
                "since" => q.since.clone(),
                "until" => q.until.clone(),
                _ => None,
            }
            .unwrap_or_default()
        })
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                detail.await.ok().flatten().map(|d| view! { <RecordDetail detail=d sdkappid=sdkappid.get_untracked()/> })
            })}
        </Transition>
        <form method="get" class="card filters" id="record-filters">
            <div class="inline-form">
                {FILTERS.into_iter().filter(|f| *f != "outcome" && *f != "receipt").map(|f| view! {
                    <label>{field_label(f, l)}
                        <input name=f value=value(f) placeholder=if f == "since" || f == "until" { "2026-11-27 08:00" } else { "" }/>
                    </label>
                }).collect_view()}
                <label>{field_label("outcome", l)}
                    <select name="outcome">
                        <option value="">{tr(l, "records.any")}</option>
                        {PushOutcome::ALL.into_iter().map(|o| view! {
                            <option value=o.as_str() selected=value("outcome") == o.as_str()>{tr(l, &format!("push.outcome.{}", o.as_str()))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{field_label("receipt", l)}
                    <select name="receipt">
                        <option value="">{tr(l, "records.any")}</option>
                        {ReceiptState::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=value("receipt") == r.as_str()>{tr(l, &format!("receipt.state.{}", r.as_str()))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">{tr(l, "records.filter")}</button>
                <a class="button" href=move || format!("/apps/{}/records", sdkappid.get())>{tr(l, "records.clear")}</a>
            </div>
        </form>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => Either::Left(view! { <RecordTable items=page.items next=page.next_before_id/> }),
                    Err(e) => Either::Right(view! { <p class="form-error" role="alert">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}

/// The current query with some keys replaced (`None` drops the key).
fn with_query(pairs: &[(&str, Option<String>)]) -> String {
    let query = use_query_map().get_untracked();
    let mut out: Vec<(String, String)> = FILTERS
        .iter()
        .filter_map(|k| query.get(k).map(|v| ((*k).to_owned(), v)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    for (k, v) in pairs {
        out.retain(|(key, _)| key != k);
        if let Some(v) = v {
            out.push(((*k).to_owned(), v.clone()));
        }
    }
    let encoded: Vec<String> = out
        .into_iter()
        .map(|(k, v)| format!("{k}={}", super::encode(&v)))
        .collect();
    format!("?{}", encoded.join("&"))
}

#[component]
fn RecordTable(items: Vec<PushRecordView>, next: Option<i64>) -> impl IntoView {
    let l = use_locale();
    if items.is_empty() {
        return Either::Left(
            view! { <p class="muted" id="no-records">{tr(l, "records.none")}</p> },
        );
    }
    let more = next.map(|id| with_query(&[("before_id", Some(id.to_string())), ("record", None)]));
    Either::Right(view! {
        <table class="table" id="records">
            <thead>
                <tr>
                    <th>{tr(l, "records.time")}</th>
                    <th>{tr(l, "cert.id")}</th>
                    <th>{field_label("user_id", l)}</th>
                    <th>"regId"</th>
                    <th>{field_label("title", l)}</th>
                    <th>{field_label("outcome", l)}</th>
                    <th>"code"</th>
                    <th>{field_label("receipt", l)}</th>
                    <th>{tr(l, "push.attempts")}</th>
                    <th>{tr(l, "push.latency")}</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|r| {
                    let open = with_query(&[("record", Some(r.id.to_string()))]);
                    let short: String = r.reg_id.chars().take(16).collect();
                    view! {
                        <tr data-record=r.id data-outcome=r.outcome.as_str()>
                            <td><a href=open class="open-record">{format_unix(r.at)}</a></td>
                            <td>{r.certificate_id.map(|c| c.to_string()).unwrap_or_default()}</td>
                            <td>{r.user_id.clone().unwrap_or_default()}</td>
                            <td><code title=r.reg_id.clone()>{short}"…"</code></td>
                            <td>{r.title.clone()}</td>
                            <td><span class=format!("badge {}", outcome_class(r.outcome))>{tr(l, &format!("push.outcome.{}", r.outcome.as_str()))}</span></td>
                            <td>{r.code.map(|c| c.to_string()).unwrap_or_default()}</td>
                            <td class="receipt">{receipt_label(l, &r)}</td>
                            <td>{r.attempts}</td>
                            <td>{format!("{} ms", r.latency_ms)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {more.map(|href| view! { <p><a class="button" id="older-records" href=href>{tr(l, "common.more")}</a></p> })}
    })
}

/// What the receipts said of a push, in one word.
fn receipt_label(l: crate::i18n::Locale, r: &PushRecordView) -> String {
    let state = if r.receipt_failure.is_some() {
        ReceiptState::Failed
    } else if r.clicked_at.is_some() {
        ReceiptState::Clicked
    } else if r.delivered_at.is_some() {
        ReceiptState::Delivered
    } else {
        return String::new();
    };
    tr(l, &format!("receipt.state.{}", state.as_str()))
}

fn outcome_class(o: PushOutcome) -> &'static str {
    match o {
        PushOutcome::Accepted => "effective",
        PushOutcome::Skipped => "pending",
        PushOutcome::Rejected | PushOutcome::Failed => "invalid",
    }
}

#[component]
fn RecordDetail(detail: PushRecordDetail, sdkappid: String) -> impl IntoView {
    let l = use_locale();
    let can_query = super::me().is_some_and(|u| u.role.can_test_push());
    let status = ServerAction::<QueryVendorStatus>::new();
    let error = super::action_error(status);
    let r = detail.record;
    let close = with_query(&[("record", None)]);
    let code = r.code.map_or_else(|| "—".to_owned(), |c| c.to_string());
    let meaning = detail
        .meaning
        .as_ref()
        .map(|m| m.get(l).to_owned())
        .unwrap_or_default();
    view! {
        <section class="card record-detail" id="record-detail" data-record=r.id>
            <div class="card-head">
                <h2>{tr(l, "records.detail")} " #" {r.id}</h2>
                <a class="button small" href=close>{tr(l, "common.close")}</a>
            </div>
            <dl class="credentials">
                <dt>{tr(l, "records.time")}</dt><dd>{format_unix(r.at)}</dd>
                <dt>{field_label("outcome", l)}</dt>
                <dd><span class=format!("badge {}", outcome_class(r.outcome))>{tr(l, &format!("push.outcome.{}", r.outcome.as_str()))}</span></dd>
                <dt>"code"</dt><dd><code>{code}</code> " " {meaning}</dd>
                <dt>{tr(l, "push.reason")}</dt><dd>{r.reason.clone()}</dd>
                {detail.fix.as_ref().map(|f| view! { <dt>{tr(l, "push.fix")}</dt><dd class="fix">{f.get(l).to_owned()}</dd> })}
                <dt>{tr(l, "cert.id")}</dt><dd>{r.certificate_id.map(|c| c.to_string()).unwrap_or_default()}</dd>
                <dt>"MsgKey"</dt><dd><code>{r.msg_key.clone().unwrap_or_default()}</code></dd>
                <dt>{tr(l, "records.kind")}</dt><dd>{tr(l, &format!("records.kind_{}", r.kind))}</dd>
                <dt>"regId"</dt><dd><code class="secret">{r.reg_id.clone()}</code></dd>
                <dt>{field_label("user_id", l)}</dt><dd>{r.user_id.clone().unwrap_or_default()}</dd>
                <dt>{field_label("title", l)}</dt><dd>{r.title.clone()}</dd>
                <dt>{field_label("description", l)}</dt><dd>{r.description.clone()}</dd>
                <dt>"message id"</dt><dd><code id="record-message-id">{r.message_id.clone().unwrap_or_default()}</code></dd>
                <dt>"trace id"</dt><dd><code>{r.trace_id.clone().unwrap_or_default()}</code></dd>
                <dt>{tr(l, "push.attempts")}</dt><dd>{r.attempts}</dd>
                <dt>{tr(l, "push.latency")}</dt><dd>{format!("{} ms", r.latency_ms)}</dd>
                <dt>{tr(l, "records.sent_by")}</dt><dd>{r.sent_by.clone().unwrap_or_default()}</dd>
            </dl>
            <h3>{tr(l, "push.request")}</h3>
            <pre class="request">{detail.request}</pre>
            <h3>{tr(l, "records.answer")}</h3>
            <pre class="request">{detail.answer}</pre>
            <h3>{tr(l, "records.receipts")}</h3>
            {r.receipt_failure.as_ref().map(|f| view! {
                <p class="form-error" id="receipt-failure">
                    {format!("{} ({}) ", f.meaning.get(l), f.kind)}
                    <span class="fix">{f.fix.get(l).to_owned()}</span>
                </p>
            })}
            {if detail.receipts.is_empty() {
                Either::Left(view! { <p class="muted" id="no-receipts">{tr(l, "records.no_receipts")}</p> })
            } else {
                Either::Right(view! {
                    <ol class="timeline" id="receipts">
                        {detail.receipts.into_iter().map(|e| view! {
                            <li data-event=e.event.clone()>
                                {format_unix(e.at)} " · " {tr(l, &format!("receipt.event.{}", e.event))}
                                {(!e.bar_status.is_empty()).then(|| format!(" · barStatus {}", e.bar_status))}
                            </li>
                        }).collect_view()}
                    </ol>
                })
            }}
            {(can_query && r.message_id.is_some()).then(|| view! {
                <ActionForm action=status>
                    <input type="hidden" name="sdkappid" value=sdkappid.clone()/>
                    <input type="hidden" name="id" value=r.id.to_string()/>
                    <button type="submit" id="query-vendor-status">{tr(l, "records.query_status")}</button>
                </ActionForm>
            })}
            <FormMessage error=error/>
            {move || status.value().get().and_then(|s| s.ok()).map(|s| view! {
                <div id="vendor-status">
                    <p>{format!("MiPush code {} {}", s.code.map(|c| c.to_string()).unwrap_or_else(|| "—".into()), s.reason)}</p>
                    <pre class="request">{s.data}</pre>
                </div>
            })}
        </section>
    }
}
