use leptos::prelude::*;

use crate::domain::{
    AppError, DeviceView, DiagnoseQuery, Diagnosis, PushRecordDetail, PushRecordPage,
    PushRecordQuery, PushStats, TestPushDraft, TestPushResult, VendorStatus,
};

#[cfg(feature = "ssr")]
use crate::domain::{RecordId, Sdkappid};

/// The page shows the answer; a plain HTML form (no JavaScript) is sent to the record it left,
/// which shows the same answer.
#[server(prefix = "/fn", endpoint = "send_test_push")]
pub async fn send_test_push(
    sdkappid: String,
    #[server(default)] draft: TestPushDraft,
) -> Result<TestPushResult, AppError> {
    let back = format!("/apps/{sdkappid}/records");
    let result = super::as_user(|backend, user| async move {
        backend
            .send_test_push(&user, Sdkappid::parse(&sdkappid)?, &draft)
            .await
    })
    .await?;
    if super::from_html_form()
        && let Some(id) = result.record_ids.first()
    {
        leptos_axum::redirect(&format!("{back}?record={id}"));
    }
    Ok(result)
}

#[server(prefix = "/fn", endpoint = "list_push_records")]
pub async fn list_push_records(
    sdkappid: String,
    #[server(default)] query: PushRecordQuery,
) -> Result<PushRecordPage, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .list_push_records(&user, Sdkappid::parse(&sdkappid)?, &query)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "get_push_record")]
pub async fn get_push_record(sdkappid: String, id: String) -> Result<PushRecordDetail, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .get_push_record(&user, Sdkappid::parse(&sdkappid)?, RecordId::parse(&id)?)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "query_vendor_status")]
pub async fn query_vendor_status(sdkappid: String, id: String) -> Result<VendorStatus, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .query_vendor_status(&user, Sdkappid::parse(&sdkappid)?, RecordId::parse(&id)?)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "push_stats")]
pub async fn load_push_stats(sdkappid: String, window: String) -> Result<PushStats, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .push_stats(&user, Sdkappid::parse(&sdkappid)?, &window)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "diagnose")]
pub async fn diagnose(
    sdkappid: String,
    #[server(default)] query: DiagnoseQuery,
) -> Result<Diagnosis, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .diagnose(&user, Sdkappid::parse(&sdkappid)?, &query)
            .await
    })
    .await
}

#[server(prefix = "/fn", endpoint = "list_devices")]
pub async fn list_devices(sdkappid: String, user_id: String) -> Result<Vec<DeviceView>, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .list_devices(&user, Sdkappid::parse(&sdkappid)?, &user_id)
            .await
    })
    .await
}
