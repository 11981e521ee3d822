use leptos::either::Either;
use leptos::prelude::*;

use crate::api::tokens::{CreateToken, RevokeToken, list_tokens};
use crate::components::{ConsoleLayout, FieldMessage, FormMessage};
use crate::domain::format_unix;
use crate::i18n::{tr, use_locale};

/// Personal API tokens for `/api/v1`: shown once at creation, then only their prefix.
#[component]
pub fn TokensPage() -> impl IntoView {
    let l = use_locale();
    view! {
        <ConsoleLayout>
            <h1>{tr(l, "tokens.title")}</h1>
            <p class="hint">{tr(l, "tokens.hint")}</p>
            <Tokens/>
        </ConsoleLayout>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let l = use_locale();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let error = super::action_error(create);
    let revoke_error = super::action_error(revoke);
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let created = move || create.value().get().and_then(|r| r.ok());
    view! {
        <section class="card">
            <ActionForm action=create>
                <div class="inline-form">
                    <label>{tr(l, "field.token_name")}<input name="name" maxlength="40" required/></label>
                    <button type="submit" class="primary">{tr(l, "tokens.create")}</button>
                </div>
                <FieldMessage error=error field="token_name"/>
                <FormMessage error=error/>
            </ActionForm>
            {move || created().map(|t| view! {
                <div class="notice">
                    <p>{tr(l, "tokens.once")}</p>
                    <code class="secret" id="new-token">{t.token}</code>
                </div>
            })}
        </section>
        <FormMessage error=revoke_error/>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => Either::Left(view! {
                        <table class="table tokens">
                            <thead><tr>
                                <th>{tr(l, "field.token_name")}</th>
                                <th>{tr(l, "tokens.prefix")}</th>
                                <th>{tr(l, "common.created_at")}</th>
                                <th>{tr(l, "tokens.last_used")}</th>
                                <th></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| view! {
                                    <tr>
                                        <td>{t.name}</td>
                                        <td><code>{t.prefix}"…"</code></td>
                                        <td>{format_unix(t.created_at)}</td>
                                        <td>{t.last_used_at.map(format_unix).unwrap_or_else(|| "—".into())}</td>
                                        <td>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=t.id.to_string()/>
                                                <button type="submit" class="small danger">{tr(l, "tokens.revoke")}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                    Err(e) => Either::Right(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}
