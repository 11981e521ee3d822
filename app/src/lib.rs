//! The pushdesk console: Leptos pages, server-function signatures and the shared domain.
#![recursion_limit = "256"]

/// `t!(key, locale = "en", name = value, …)`: the console's text for `key` in that language,
/// each `%{name}` replaced by its value (see [`i18n::translate`]).
macro_rules! t {
    ($key:expr, locale = $locale:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::translate(
            $locale,
            $key,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*],
        )
    };
}

pub mod api;
pub mod components;
pub mod domain;
pub mod i18n;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

use crate::i18n::{detect_locale, tr};
use crate::pages::NotFoundPage;

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
                <Route path=path!("/setup") ssr=SsrMode::Async view={Lazy::<Setup>::new()}/>
                // The first page most visitors see is in the main module: one file instead of
                // forty small chunks (281 → 253 KB for its first load).
                <Route path=path!("/signin") ssr=SsrMode::Async view=pages::SignInPage/>
                <Route path=path!("/apps") ssr=SsrMode::Async view={Lazy::<Apps>::new()}/>
                <Route path=path!("/apps/:sdkappid") ssr=SsrMode::Async view={Lazy::<AppSettings>::new()}/>
                <Route path=path!("/apps/:sdkappid/push") ssr=SsrMode::Async view={Lazy::<Certificates>::new()}/>
                <Route path=path!("/apps/:sdkappid/test-push") ssr=SsrMode::Async view={Lazy::<TestPush>::new()}/>
                <Route path=path!("/apps/:sdkappid/records") ssr=SsrMode::Async view={Lazy::<PushRecords>::new()}/>
                <Route path=path!("/apps/:sdkappid/devices") ssr=SsrMode::Async view={Lazy::<Devices>::new()}/>
                <Route path=path!("/apps/:sdkappid/diagnose") ssr=SsrMode::Async view={Lazy::<Diagnose>::new()}/>
                <Route path=path!("/apps/:sdkappid/phone") ssr=SsrMode::Async view={Lazy::<Phone>::new()}/>
                <Route path=path!("/users") ssr=SsrMode::Async view={Lazy::<Users>::new()}/>
                <Route path=path!("/tokens") ssr=SsrMode::Async view={Lazy::<Tokens>::new()}/>
                <Route path=path!("/audit") ssr=SsrMode::Async view={Lazy::<Audit>::new()}/>
                <Route path=path!("/sandbox") ssr=SsrMode::Async view={Lazy::<Sandbox>::new()}/>
            </Routes>
        </Router>
    }
}

/// Each page is a route whose view the browser fetches as its own WASM chunk, the first time it
/// is shown: a first load carries the runtime and one page, not the whole console.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <pages::$page/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    Setup => SetupPage,
    Apps => AppsPage,
    AppSettings => AppPage,
    Certificates => CertificatesPage,
    TestPush => TestPushPage,
    PushRecords => PushRecordsPage,
    Devices => DevicesPage,
    Diagnose => DiagnosePage,
    Phone => PhonePage,
    Users => UsersPage,
    Tokens => TokensPage,
    Audit => AuditPage,
    Sandbox => SandboxPage,
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    // Hydration waits for the page's chunk to arrive.
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), App)
            .await
            .forget();
        // Tests wait for this mark: it proves the page is live, not just rendered.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
