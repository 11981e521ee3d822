//! What every handler gets: the services, the database and Leptos' options.

use std::sync::Arc;

use app::api::Backend;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::services::Services;
use crate::store::Database;

#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub services: Arc<Services>,
    pub db: Database,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    pub fn backend(&self) -> Arc<dyn Backend> {
        self.services.clone()
    }
}
