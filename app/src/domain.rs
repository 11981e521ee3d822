//! Pure types shared by the browser and the server: parsed values, views and errors.

mod error;
mod names;
mod platform;
mod role;
mod time;
mod views;

pub use error::{AppError, FieldError, Rule};
pub use names::{AppName, PackageName, Password, Sdkappid, TokenName, Username};
pub use platform::Platform;
pub use role::Role;
pub use time::format_unix;
pub use views::{
    AppDetail, AppSummary, AuditEntry, CreatedToken, NewApp, SandboxAppView, SandboxDeviceView,
    SandboxSendResult, ShadeItem, TokenView, UserView,
};
