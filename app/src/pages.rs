mod app_page;
mod apps_page;
mod audit_page;
mod certificates_page;
mod diagnose_page;
mod not_found_page;
mod phone_page;
mod push_records_page;
mod sandbox_page;
mod setup_page;
mod sign_in_page;
mod test_push_page;
mod tokens_page;
mod users_page;

pub use app_page::AppPage;
pub use apps_page::AppsPage;
pub use audit_page::AuditPage;
pub use certificates_page::CertificatesPage;
pub use diagnose_page::{DevicesPage, DiagnosePage};
pub use not_found_page::NotFoundPage;
pub use phone_page::PhonePage;
pub use push_records_page::PushRecordsPage;
pub use sandbox_page::SandboxPage;
pub use setup_page::SetupPage;
pub use sign_in_page::SignInPage;
pub use test_push_page::TestPushPage;
pub use tokens_page::TokensPage;
pub use users_page::UsersPage;

use leptos::prelude::*;

use crate::domain::{AppError, UserView};

/// The last error of a server action, for [`crate::components::FieldMessage`].
fn action_error<S, T>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// The signed-in user, provided by [`crate::components::ConsoleLayout`].
fn me() -> Option<UserView> {
    use_context::<UserView>()
}

/// Browser only: which `draft[…]` field of a form an input event changed, and its new value.
fn changed_draft_field(ev: &leptos::ev::Event) -> Option<(String, String)> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let el = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
        let name = el.get_attribute("name")?;
        let f = name.strip_prefix("draft[")?.strip_suffix(']')?.to_owned();
        Some((f, event_target_value(ev)))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
