use leptos::prelude::*;

use crate::domain::{AppError, CertificateDraft, CertificateList, CertificateView};

#[cfg(feature = "ssr")]
use crate::domain::{CertificateId, Sdkappid};

#[server(prefix = "/fn", endpoint = "list_certificates")]
pub async fn list_certificates(sdkappid: String) -> Result<CertificateList, AppError> {
    super::as_user(|backend, user| async move {
        backend
            .list_certificates(&user, Sdkappid::parse(&sdkappid)?)
            .await
    })
    .await
}

/// The page that shows an app's certificates: its 离线推送 tab (`home` = `push`, the default) or
/// 基础配置 (`basic`), where the seed's Step2 adds the first one. Nothing else can be named, so a
/// form cannot send the browser elsewhere.
pub fn certificates_home(sdkappid: &str, home: &str) -> String {
    match home {
        "basic" => format!("/apps/{sdkappid}"),
        _ => format!("/apps/{sdkappid}/push"),
    }
}

/// The add and edit dialogs' one form: an empty `id` adds a certificate, otherwise it edits
/// that one (where an empty secret keeps the stored one).
#[server(prefix = "/fn", endpoint = "save_certificate")]
pub async fn save_certificate(
    sdkappid: String,
    #[server(default)] id: String,
    #[server(default)] draft: CertificateDraft,
    #[server(default)] home: String,
) -> Result<CertificateView, AppError> {
    let cert = super::as_user(|backend, user| async move {
        if id.trim().is_empty() {
            backend
                .add_certificate(&user, Sdkappid::parse(&sdkappid)?, &draft)
                .await
        } else {
            backend
                .edit_certificate(
                    &user,
                    Sdkappid::parse(&sdkappid)?,
                    CertificateId::parse(&id)?,
                    &draft,
                )
                .await
        }
    })
    .await?;
    leptos_axum::redirect(&certificates_home(&cert.sdkappid.to_string(), &home));
    Ok(cert)
}

#[server(prefix = "/fn", endpoint = "delete_certificate")]
pub async fn delete_certificate(
    sdkappid: String,
    id: String,
    #[server(default)] home: String,
) -> Result<(), AppError> {
    let back = certificates_home(&sdkappid, &home);
    super::as_user(|backend, user| async move {
        backend
            .delete_certificate(
                &user,
                Sdkappid::parse(&sdkappid)?,
                CertificateId::parse(&id)?,
            )
            .await
    })
    .await?;
    leptos_axum::redirect(&back);
    Ok(())
}
