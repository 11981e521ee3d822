//! Clients for the push vendors' server APIs. Each is written like a standalone crate: no
//! database, no axum; requests are built by pure functions and tested on their exact bytes.

pub mod mipush;
