//! The IM side: UserSig, and (next) the client SDK API `/sdk/v1` and the REST API `/v4`.

pub mod sdk;
pub mod usersig;
