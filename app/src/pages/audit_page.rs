use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::audit::list_audit;
use crate::components::ConsoleLayout;
use crate::domain::format_unix;
use crate::i18n::{tr, use_locale};

#[component]
pub fn AuditPage() -> impl IntoView {
    let l = use_locale();
    view! {
        <ConsoleLayout>
            <h1>{tr(l, "audit.title")}</h1>
            <AuditLog/>
        </ConsoleLayout>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let l = use_locale();
    let query = use_query_map();
    let before = move || query.with(|q| q.get("before").and_then(|b| b.parse::<i64>().ok()));
    let entries = Resource::new(before, list_audit);
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) => {
                        let next = (list.len() == 50).then(|| list.last().map(|e| e.id)).flatten();
                        Either::Left(view! {
                            <table class="table audit">
                                <thead><tr>
                                    <th>{tr(l, "audit.at")}</th>
                                    <th>{tr(l, "audit.actor")}</th>
                                    <th>{tr(l, "audit.action")}</th>
                                    <th>{tr(l, "audit.object")}</th>
                                    <th>{tr(l, "audit.detail")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr data-action=e.action.clone()>
                                            <td>{format_unix(e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td>{tr(l, &format!("audit.event.{}", e.action))}</td>
                                            <td>{e.object}</td>
                                            <td>{e.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {next.map(|id| view! {
                                <a class="button" href=format!("/audit?before={id}")>{tr(l, "common.more")}</a>
                            })}
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}
