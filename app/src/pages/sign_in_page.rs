use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::session::SignIn;
use crate::components::{FieldMessage, FormMessage};
use crate::i18n::{tr, use_locale};

#[component]
pub fn SignInPage() -> impl IntoView {
    let l = use_locale();
    let sign_in = ServerAction::<SignIn>::new();
    let error = super::action_error(sign_in);
    let query = use_query_map();
    let created = move || query.with(|q| q.get("created").is_some());
    view! {
        <div class="center-card">
            <h1>{tr(l, "signin.title")}</h1>
            <Show when=created>
                <p class="notice">{tr(l, "setup.done")}</p>
            </Show>
            <ActionForm action=sign_in>
                <label>
                    {tr(l, "field.username")}
                    <input name="username" autocomplete="username" required/>
                </label>
                <FieldMessage error=error field="username"/>
                <label>
                    {tr(l, "field.password")}
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <FieldMessage error=error field="password"/>
                <FormMessage error=error/>
                <button type="submit" class="primary">{tr(l, "signin.submit")}</button>
            </ActionForm>
            <p class="lang-line"><crate::components::LanguageSwitch/></p>
        </div>
    }
}
