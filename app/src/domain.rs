//! Pure types shared by the browser and the server: parsed values, views and errors.

mod certificate;
mod diagnosis;
mod error;
mod names;
mod platform;
mod push;
mod role;
mod time;
mod views;

pub use certificate::{
    CertificateDraft, CertificateInput, CertificateSettings, CertificateStatus, CheckState,
    ClickAction, MessageClass, ServiceAccount, Vendor, VendorSecret, XiaomiRegion, beijing_day,
    field,
};
pub use diagnosis::{
    DIAGNOSE_MESSAGES, DIAGNOSE_WINDOW, DeviceView, DiagnoseQuery, Diagnosis, DiagnosisCheck,
    MessagePush, MessageTrace, Verdict,
};
pub use error::{AppError, FieldError, Rule};
pub use names::{
    AppName, CertificateId, PackageName, Password, RecordId, Sdkappid, TokenName, Username,
};
pub use platform::Platform;
pub use push::{
    DEFAULT_TITLE, PushKind, PushOutcome, PushRecordQuery, PushTarget, PushWarning, ReceiptState,
    SkipReason, TestPush, TestPushDraft, limits, msg_key, parse_device_token, parse_identifier,
    parse_user_id, receipt_event, receipt_failure,
};
pub use role::Role;
pub use time::{days_from_civil, format_unix, parse_time};
pub use views::{
    AppDetail, AppSummary, AuditEntry, CertificateCheck, CertificateFunnel, CertificateList,
    CertificateView, CreatedToken, Funnel, GeneratedUserSig, Localized, Loss, LossStage, NewApp,
    OutcomeCounts, PhoneSession, PushRecordDetail, PushRecordPage, PushRecordView, PushStats,
    QuotaNote, ReceiptFailure, ReceiptView, SandboxAppView, SandboxDeviceView, SandboxSendResult,
    ShadeItem, TestPushResult, TokenView, UserView, VendorStatus,
};
