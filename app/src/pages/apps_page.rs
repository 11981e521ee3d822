use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::apps::{CreateApp, list_apps};
use crate::components::{ConsoleLayout, FieldMessage, FormMessage};
use crate::domain::format_unix;
use crate::i18n::{tr, use_locale};

#[component]
pub fn AppsPage() -> impl IntoView {
    let l = use_locale();
    view! {
        <ConsoleLayout>
            <h1>{tr(l, "apps.title")}</h1>
            <AppList/>
        </ConsoleLayout>
    }
}

#[component]
fn AppList() -> impl IntoView {
    let l = use_locale();
    let can_configure = super::me().is_some_and(|u| u.role.can_configure());
    let create = ServerAction::<CreateApp>::new();
    let error = super::action_error(create);
    let apps = Resource::new(move || create.version().get(), |_| list_apps());
    let created = move || create.value().get().and_then(|r| r.ok());
    view! {
        <Show when=move || can_configure>
            <section class="card">
                <h2>{tr(l, "apps.create")}</h2>
                <ActionForm action=create>
                    <div class="inline-form">
                        <label>
                            {tr(l, "field.name")}
                            <input name="name" maxlength="40" required/>
                        </label>
                        <button type="submit" class="primary">{tr(l, "apps.create_submit")}</button>
                    </div>
                    <FieldMessage error=error field="name"/>
                    <FormMessage error=error/>
                </ActionForm>
                {move || created().map(|app| view! {
                    <div class="notice created-app">
                        <p>
                            {tr(l, "apps.created")} " "
                            <A href=format!("/apps/{}", app.sdkappid)>{app.name.clone()}</A>
                            " · SDKAppID " <code class="sdkappid">{app.sdkappid.to_string()}</code>
                        </p>
                        <p>{tr(l, "apps.secret_once")} " " <code class="secret">{app.secret_key.clone()}</code></p>
                    </div>
                })}
            </section>
        </Show>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Ok(list) if list.is_empty() => Either::Left(view! {
                        <p class="empty">{tr(l, "apps.empty")}</p>
                    }.into_any()),
                    Ok(list) => Either::Left(view! {
                        <table class="table apps">
                            <thead><tr>
                                <th>{tr(l, "apps.col_name")}</th>
                                <th>"SDKAppID"</th>
                                <th>{tr(l, "apps.col_platforms")}</th>
                                <th>{tr(l, "common.created_at")}</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|app| view! {
                                    <tr data-sdkappid=app.sdkappid.to_string()>
                                        <td><A href=format!("/apps/{}", app.sdkappid)>{app.name.clone()}</A></td>
                                        <td><code>{app.sdkappid.to_string()}</code></td>
                                        <td>{app.platforms.iter().map(|p| p.label(l)).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{format_unix(app.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()),
                    Err(e) => Either::Right(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}
