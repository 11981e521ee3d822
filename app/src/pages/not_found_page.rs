use leptos::prelude::*;

use crate::i18n::{tr, use_locale};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let l = use_locale();
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="center-card">
            <h1>"404"</h1>
            <p>{tr(l, "error.not_found")}</p>
            <a href="/apps">{tr(l, "nav.apps")}</a>
        </div>
    }
}
