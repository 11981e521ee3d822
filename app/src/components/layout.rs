use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::session::whoami;
use crate::i18n::{Locale, tr, use_locale};

/// The signed-in console: header with the user and language, left navigation, the page.
/// Provides the signed-in [`crate::domain::UserView`] as context to the page.
#[component]
pub fn ConsoleLayout(children: ChildrenFn) -> impl IntoView {
    let l = use_locale();
    let me = Resource::new(|| (), |_| whoami());
    let children = StoredValue::new(children);
    view! {
        <div class="console">
            <header class="topbar">
                <a class="brand" href="/apps">"pushdesk"</a>
                <span class="spacer"></span>
                <LanguageSwitch/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        me.await.ok().map(|u| view! {
                            <span class="whoami" data-role=u.role.as_str()>
                                {u.username.clone()} " · " {tr(l, &format!("role.{}", u.role))}
                            </span>
                            <SignOutButton/>
                        })
                    })}
                </Suspense>
            </header>
            <nav class="sidenav">
                <A href="/apps">{tr(l, "nav.apps")}</A>
                <A href="/users">{tr(l, "nav.users")}</A>
                <A href="/tokens">{tr(l, "nav.tokens")}</A>
                <A href="/audit">{tr(l, "nav.audit")}</A>
                <A href="/sandbox">{tr(l, "nav.sandbox")}</A>
            </nav>
            <main class="content">
                <Suspense fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(user) => {
                                provide_context(user);
                                Either::Left(children.with_value(|c| c()))
                            }
                            Err(e) => Either::Right(view! {
                                <div class="notice">
                                    <p>{e.message(l)}</p>
                                    <a href="/signin" rel="external">{tr(l, "signin.title")}</a>
                                </div>
                            }),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[component]
fn SignOutButton() -> impl IntoView {
    let l = use_locale();
    // A plain form: signing out reloads the page, dropping every piece of client state.
    view! {
        <form method="post" action="/fn/sign_out" class="signout">
            <button type="submit" class="link">{tr(l, "nav.sign_out")}</button>
        </form>
    }
}

/// Switches language with a full page load, so server and browser render the same strings.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let l = use_locale();
    let other = l.other();
    let label = match other {
        Locale::En => "English",
        Locale::Zh => "中文",
    };
    view! {
        <a class="lang" rel="external" href=format!("/locale/{}", other.as_str())>{label}</a>
    }
}
