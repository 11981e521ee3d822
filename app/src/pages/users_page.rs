use leptos::either::Either;
use leptos::prelude::*;

use crate::api::users::{CreateUser, SetUserDisabled, SetUserRole, list_users};
use crate::components::{ConsoleLayout, FieldMessage, FormMessage};
use crate::domain::{Role, UserView, format_unix};
use crate::i18n::{Locale, tr, use_locale};

#[component]
pub fn UsersPage() -> impl IntoView {
    let l = use_locale();
    view! {
        <ConsoleLayout>
            <h1>{tr(l, "users.title")}</h1>
            <Users/>
        </ConsoleLayout>
    }
}

fn role_options(l: Locale, selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| {
            view! {
                <option value=r.as_str() selected=r == selected>{tr(l, &format!("role.{r}"))}</option>
            }
        })
        .collect_view()
}

#[component]
fn Users() -> impl IntoView {
    let l = use_locale();
    let can_manage = super::me().is_some_and(|u| u.role.can_manage_users());
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let create_error = super::action_error(create);
    let row_error = Signal::derive(move || {
        set_role
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| set_disabled.value().get().and_then(|r| r.err()))
    });
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |_| list_users(),
    );
    view! {
        <Show when=move || can_manage>
            <section class="card">
                <h2>{tr(l, "users.create")}</h2>
                <ActionForm action=create>
                    <div class="inline-form">
                        <label>{tr(l, "field.username")}<input name="username" required/></label>
                        <label>{tr(l, "field.password")}<input type="password" name="password" autocomplete="new-password" required/></label>
                        <label>{tr(l, "field.role")}<select name="role">{role_options(l, Role::Developer)}</select></label>
                        <button type="submit" class="primary">{tr(l, "users.create_submit")}</button>
                    </div>
                    <FieldMessage error=create_error field="username"/>
                    <FieldMessage error=create_error field="password"/>
                    <FieldMessage error=create_error field="role"/>
                    <FormMessage error=create_error/>
                </ActionForm>
            </section>
        </Show>
        <FormMessage error=row_error/>
        <FieldMessage error=row_error field="role"/>
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => Either::Left(view! {
                        <table class="table users">
                            <thead><tr>
                                <th>{tr(l, "field.username")}</th>
                                <th>{tr(l, "field.role")}</th>
                                <th>{tr(l, "users.status")}</th>
                                <th>{tr(l, "common.created_at")}</th>
                                <th></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| view! {
                                    <UserRow user=u can_manage=can_manage set_role=set_role set_disabled=set_disabled/>
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

#[component]
fn UserRow(
    user: UserView,
    can_manage: bool,
    set_role: ServerAction<SetUserRole>,
    set_disabled: ServerAction<SetUserDisabled>,
) -> impl IntoView {
    let l = use_locale();
    let status = if user.disabled {
        "users.disabled"
    } else {
        "users.active"
    };
    let username = user.username.clone();
    let role_username = user.username.clone();
    view! {
        <tr data-username=user.username.clone()>
            <td>{user.username.clone()}</td>
            <td>
                {if can_manage {
                    Either::Left(view! {
                        <ActionForm action=set_role>
                            <input type="hidden" name="username" value=role_username/>
                            <select name="role">{role_options(l, user.role)}</select>
                            <button type="submit" class="small">{tr(l, "common.save")}</button>
                        </ActionForm>
                    })
                } else {
                    Either::Right(tr(l, &format!("role.{}", user.role)))
                }}
            </td>
            <td class=if user.disabled { "status disabled" } else { "status active" }>{tr(l, status)}</td>
            <td>{format_unix(user.created_at)}</td>
            <td>
                {can_manage.then(|| view! {
                    <ActionForm action=set_disabled>
                        <input type="hidden" name="username" value=username.clone()/>
                        <input type="hidden" name="disabled" value=(!user.disabled).to_string()/>
                        <button type="submit" class="small">
                            {tr(l, if user.disabled { "users.enable" } else { "users.disable" })}
                        </button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
