//! Xiaomi Push (MiPush) server API, as documented in `docs/mipush-server-api.md`.
//!
//! `request` builds exact HTTP requests (pure), `response` parses every documented answer,
//! `error` names the result codes, `attempt` tells what is worth another attempt, and `client`
//! puts them on the wire, one attempt at a time.

mod attempt;
mod client;
mod error;
mod region;
mod request;
mod response;

pub use attempt::Attempt;
pub use client::{Exchange, MiPushClient, TransportError};
pub use error::ErrorCode;
pub use region::{Endpoints, Region};
pub use request::{
    AppSecret, Callback, ClickAction, MAX_REG_IDS_PER_CALL, Notification, PreparedRequest,
    SendToRegIds, build_counters, build_send, build_trace_status,
};
pub use response::{MiResponse, ParseError};
