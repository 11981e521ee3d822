//! The pushdesk console: Leptos pages, server-function signatures and the shared domain.
#![recursion_limit = "256"]

#[macro_use]
extern crate rust_i18n;

i18n!("locales", fallback = "zh-CN");

pub mod api;
pub mod components;
pub mod domain;
pub mod i18n;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::i18n::{detect_locale, tr};
use crate::pages::{
    AppPage, AppsPage, AuditPage, CertificatesPage, DevicesPage, DiagnosePage, NotFoundPage,
    PhonePage, PushRecordsPage, SandboxPage, SetupPage, SignInPage, TestPushPage, TokensPage,
    UsersPage,
};

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = detect_locale();
    view! {
        <!DOCTYPE html>
        <html lang=locale.as_str()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = detect_locale();
    provide_context(locale);
    view! {
        <Stylesheet id="leptos" href="/pkg/pushdesk.css"/>
        <Title text=tr(locale, "common.product")/>
        <Router>
            // Async: the server sends complete pages, so the console works without JavaScript.
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") ssr=SsrMode::Async view=|| view! { <Redirect path="/apps"/> }/>
                <Route path=path!("/setup") ssr=SsrMode::Async view=SetupPage/>
                <Route path=path!("/signin") ssr=SsrMode::Async view=SignInPage/>
                <Route path=path!("/apps") ssr=SsrMode::Async view=AppsPage/>
                <Route path=path!("/apps/:sdkappid") ssr=SsrMode::Async view=AppPage/>
                <Route path=path!("/apps/:sdkappid/push") ssr=SsrMode::Async view=CertificatesPage/>
                <Route path=path!("/apps/:sdkappid/test-push") ssr=SsrMode::Async view=TestPushPage/>
                <Route path=path!("/apps/:sdkappid/records") ssr=SsrMode::Async view=PushRecordsPage/>
                <Route path=path!("/apps/:sdkappid/devices") ssr=SsrMode::Async view=DevicesPage/>
                <Route path=path!("/apps/:sdkappid/diagnose") ssr=SsrMode::Async view=DiagnosePage/>
                <Route path=path!("/apps/:sdkappid/phone") ssr=SsrMode::Async view=PhonePage/>
                <Route path=path!("/users") ssr=SsrMode::Async view=UsersPage/>
                <Route path=path!("/tokens") ssr=SsrMode::Async view=TokensPage/>
                <Route path=path!("/audit") ssr=SsrMode::Async view=AuditPage/>
                <Route path=path!("/sandbox") ssr=SsrMode::Async view=SandboxPage/>
            </Routes>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Tests wait for this mark: it proves the page is live, not just rendered.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
