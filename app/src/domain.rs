//! Pure types shared by the browser and the server: parsed values, views and errors.

mod certificate;
mod error;
mod names;
mod platform;
mod role;
mod time;
mod views;

pub use certificate::{
    CertificateDraft, CertificateInput, CertificateSettings, CertificateStatus, CheckState,
    ClickAction, ServiceAccount, Vendor, VendorSecret, XiaomiRegion, field,
};
pub use error::{AppError, FieldError, Rule};
pub use names::{AppName, PackageName, Password, Sdkappid, TokenName, Username};
pub use platform::Platform;
pub use role::Role;
pub use time::format_unix;
pub use views::{
    AppDetail, AppSummary, AuditEntry, CertificateCheck, CertificateList, CertificateView,
    CreatedToken, Localized, NewApp, SandboxAppView, SandboxDeviceView, SandboxSendResult,
    ShadeItem, TokenView, UserView,
};
