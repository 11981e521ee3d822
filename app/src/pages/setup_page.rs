use leptos::prelude::*;

use crate::api::setup::CreateOwner;
use crate::components::{FieldMessage, FormMessage};
use crate::i18n::{tr, use_locale};

/// The one-time page that creates the owner; the server answers 404 here once anyone exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let l = use_locale();
    let create = ServerAction::<CreateOwner>::new();
    let error = super::action_error(create);
    view! {
        <div class="center-card">
            <h1>{tr(l, "setup.title")}</h1>
            <p class="hint">{tr(l, "setup.hint")}</p>
            <ActionForm action=create>
                <label>
                    {tr(l, "field.username")}
                    <input name="username" autocomplete="username" required/>
                </label>
                <FieldMessage error=error field="username"/>
                <label>
                    {tr(l, "field.password")}
                    <input type="password" name="password" autocomplete="new-password" required/>
                </label>
                <FieldMessage error=error field="password"/>
                <label>
                    {tr(l, "field.password_confirm")}
                    <input type="password" name="password_confirm" autocomplete="new-password" required/>
                </label>
                <FieldMessage error=error field="password_confirm"/>
                <FormMessage error=error/>
                <button type="submit" class="primary">{tr(l, "setup.submit")}</button>
            </ActionForm>
        </div>
    }
}
