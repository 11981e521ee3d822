use leptos::prelude::*;

use crate::domain::AppError;
use crate::i18n::use_locale;

/// The error of one form field, shown under its input.
#[component]
pub fn FieldMessage(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl IntoView {
    let locale = use_locale();
    move || {
        error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| view! { <p class="field-error" data-field=field>{e.message(locale)}</p> })
    }
}

/// An error that belongs to no single field (forbidden, throttled, not signed in, …).
#[component]
pub fn FormMessage(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let locale = use_locale();
    move || {
        error
            .get()
            .filter(|e| e.field().is_none())
            .map(|e| view! { <p class="form-error" role="alert">{e.message(locale)}</p> })
    }
}
