//! The IM side: UserSig, and (next) the client SDK API `/sdk/v1` and the REST API `/v4`.

pub mod rest;
pub mod sdk;
pub mod usersig;

/// A `/v4` refusal: Tencent's code and text, answered as HTTP 200 with `ActionStatus: FAIL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    pub code: i64,
    pub info: String,
}

impl RestError {
    pub fn new(code: i64, info: impl Into<String>) -> Self {
        Self {
            code,
            info: info.into(),
        }
    }
}
