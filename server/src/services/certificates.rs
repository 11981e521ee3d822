//! Push certificates: add, edit, delete, the credential check on save, and the versions that
//! make an edit wait for its activation delay while the previous one keeps serving.

use std::collections::HashMap;
use std::time::Duration;

use app::api::CertificatesBackend;
use app::domain::{
    AppError, CertificateCheck, CertificateDraft, CertificateId, CertificateList,
    CertificateSettings, CertificateStatus, CertificateView, CheckState, FieldError, MessageClass,
    Platform, QuotaNote, Rule, Sdkappid, UserView, Vendor, beijing_day,
};
use async_trait::async_trait;

use super::push::meaning_and_fix;
use super::{Services, db_err, internal, require};
use crate::crypto::SecretString;
use crate::store::audit::NewEvent;
use crate::store::certificates::{self as certs, CertificateRow, NewVersion, VersionRow, serving};
use crate::store::quota;
use crate::store::{self, StoreError};
use crate::vendors::mipush::{AppSecret, build_counters};

/// The credential check must not hold the page up: one attempt, this long at most.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// What the credential check found, before it is stored.
struct Check {
    state: CheckState,
    code: Option<i64>,
    detail: String,
}

impl Check {
    fn of(state: CheckState, code: Option<i64>, detail: impl Into<String>) -> Self {
        Self {
            state,
            code,
            detail: detail.into(),
        }
    }
}

fn taken(vendor: Vendor, id: i64) -> AppError {
    AppError::Conflict(FieldError::new(
        vendor.key_field(),
        Rule::CertificateExists { id },
    ))
}

/// Mainland China's calendar day (the vendor's), as MiPush's statistics want it: `yyyyMMdd`.
fn china_date(unix: i64) -> String {
    app::domain::format_unix(unix + 8 * 3600)[..10].replace('-', "")
}

impl Services {
    async fn load_view(&self, sdkappid: Sdkappid, id: i64) -> Result<CertificateView, AppError> {
        let cert = certs::get(&self.db, sdkappid.get(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let versions = certs::versions(&self.db, id).await?;
        let view = self.certificate_view(&cert, &versions, self.clock.now())?;
        Ok(Self::with_quota(
            view,
            &self.devices_at_cap(cert.sdkappid).await?,
        ))
    }

    /// The view with its standing in the quota ledger: the class its pushes fall in without a
    /// channel of their own, that class's daily cap and the devices at it today (`at_cap`, from
    /// [`quota::devices_at_cap`] for the app).
    fn with_quota(
        mut view: CertificateView,
        at_cap: &HashMap<(i64, MessageClass), i64>,
    ) -> CertificateView {
        let class = view.settings.message_class(None);
        if let (true, Some(cap)) = (view.sending_supported, class.daily_cap()) {
            view.quota = Some(QuotaNote {
                class,
                daily_cap: cap,
                devices_at_cap: at_cap.get(&(view.id, class)).copied().unwrap_or(0),
            });
        }
        view
    }

    async fn devices_at_cap(
        &self,
        sdkappid: i64,
    ) -> Result<HashMap<(i64, MessageClass), i64>, AppError> {
        let day = beijing_day(self.clock.now());
        Ok(quota::devices_at_cap(&self.db, sdkappid, day).await?)
    }

    /// Writes "became effective" to the audit log for every version whose time has come; safe
    /// to run on several instances at once (each version is claimed once). Returns how many.
    pub async fn announce_effective_certificates(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let mut announced = 0;
        for (id, version) in certs::due_unannounced(&self.db, now).await? {
            let mut tx = self.db.begin().await.map_err(db_err)?;
            if certs::claim_announcement(&mut *tx, id, version).await? {
                let object = format!("certificate:{id}");
                let detail = format!("version {version}");
                let event = NewEvent {
                    actor: "system",
                    action: "certificate_effective",
                    object: &object,
                    detail: &detail,
                };
                store::audit::insert(&mut *tx, event, now).await?;
                announced += 1;
            }
            tx.commit().await.map_err(db_err)?;
        }
        Ok(announced)
    }

    async fn audit_refusal(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        object: &str,
        check: &Check,
        now: i64,
    ) -> Result<(), AppError> {
        if check.state != CheckState::Invalid {
            return Ok(());
        }
        let detail = format!(
            "MiPush {} {}",
            check.code.map(|c| c.to_string()).unwrap_or_default(),
            check.detail
        );
        let event = NewEvent {
            actor: "system",
            action: "certificate_invalid",
            object,
            detail: &detail,
        };
        store::audit::insert(&mut **tx, event, now).await?;
        Ok(())
    }

    /// Asks the vendor whether it accepts these credentials. For Xiaomi: one read of the
    /// message counters (`/v1/stats/message/counters`) for today, through the push client.
    /// It needs the AppSecret and checks the package name against the app, and it sends
    /// nothing to any device and uses no push quota.
    async fn check_credentials(&self, settings: &CertificateSettings, secret: &str) -> Check {
        if !settings.vendor.sends() {
            return Check::of(CheckState::NotApplicable, None, "");
        }
        let region = settings.region.unwrap_or_default();
        let package = settings.package_name.as_deref().unwrap_or_default();
        let today = china_date(self.clock.now());
        let req = build_counters(
            &self.mipush.base(region),
            &AppSecret::new(secret),
            package,
            &today,
            &today,
        );
        match tokio::time::timeout(CHECK_TIMEOUT, self.mipush.execute(&req)).await {
            Err(_) => Check::of(
                CheckState::Unverified,
                None,
                format!("MiPush did not answer within {} s", CHECK_TIMEOUT.as_secs()),
            ),
            Ok(Err(e)) => Check::of(CheckState::Unverified, None, e.to_string()),
            Ok(Ok(r)) => {
                let state = if r.is_ok() {
                    CheckState::Passed
                } else if r.code.is_credential_error() {
                    CheckState::Invalid
                } else {
                    CheckState::Unverified
                };
                let detail = r.reason.or(r.description).unwrap_or_default();
                Check::of(state, Some(r.code.code()), detail)
            }
        }
    }

    pub(super) fn open(&self, sealed: &str) -> Result<SecretString, AppError> {
        self.secrets
            .open(sealed)
            .map_err(|e| internal("opening a certificate secret", format!("{e:#}")))
    }

    fn certificate_view(
        &self,
        cert: &CertificateRow,
        versions: &[VersionRow],
        now: i64,
    ) -> Result<CertificateView, AppError> {
        let latest = versions
            .last()
            .ok_or_else(|| internal("certificate without a version", cert.id))?;
        let settings: CertificateSettings = serde_json::from_str(&latest.settings)
            .map_err(|e| internal("stored certificate settings", e))?;
        let state = latest.check_state;
        let status = CertificateStatus::at(now, latest.effective_at, state);
        let secret = self.open(&latest.secret)?;
        let secret_masked = if settings.vendor == Vendor::Fcm {
            let key_id = serde_json::from_str::<serde_json::Value>(secret.expose())
                .ok()
                .and_then(|v| v["private_key_id"].as_str().map(str::to_owned))
                .unwrap_or_default();
            SecretString::new(key_id).masked()
        } else {
            secret.masked()
        };
        let (meaning, fix) = meaning_and_fix(latest.check_code);
        let check = CertificateCheck {
            state,
            code: latest.check_code,
            detail: latest.check_detail.clone(),
            meaning,
            fix,
            checked_at: latest.checked_at,
        };
        let previous_version_serving = status != CertificateStatus::Effective
            && serving(versions, now).is_some_and(|v| v.version != latest.version);
        Ok(CertificateView {
            id: cert.id,
            sdkappid: Sdkappid::from_i64(cert.sdkappid)?,
            platform: Platform::Android,
            sending_supported: settings.vendor.sends(),
            settings,
            secret_masked,
            status,
            effective_at: latest.effective_at,
            check,
            previous_version_serving,
            quota: None,
            created_at: cert.created_at,
            updated_at: cert.updated_at,
        })
    }
}

#[async_trait]
impl CertificatesBackend for Services {
    async fn list_certificates(
        &self,
        _by: &UserView,
        sdkappid: Sdkappid,
    ) -> Result<CertificateList, AppError> {
        let app = self.app_row(sdkappid).await?;
        let rows = certs::list(&self.db, app.sdkappid).await?;
        let versions = certs::versions_of_app(&self.db, app.sdkappid).await?;
        let now = self.clock.now();
        let at_cap = self.devices_at_cap(app.sdkappid).await?;
        let mut certificates = Vec::with_capacity(rows.len());
        for cert in &rows {
            let mine: Vec<VersionRow> = versions
                .iter()
                .filter(|v| v.certificate_id == cert.id)
                .cloned()
                .collect();
            let view = self.certificate_view(cert, &mine, now)?;
            certificates.push(Self::with_quota(view, &at_cap));
        }
        Ok(CertificateList {
            now,
            android_enabled: Platform::split(&app.platforms).contains(&Platform::Android),
            certificates,
        })
    }

    async fn get_certificate(
        &self,
        _by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
    ) -> Result<CertificateView, AppError> {
        self.load_view(sdkappid, id.get()).await
    }

    /// Saves a new certificate under a fresh ID, pending until the activation delay has passed
    /// (or invalid, if the vendor refuses its credentials).
    async fn add_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError> {
        require(by.role.can_configure())?;
        let app = self.app_row(sdkappid).await?;
        if !Platform::split(&app.platforms).contains(&Platform::Android) {
            return Err(AppError::invalid(
                Platform::FIELD,
                Rule::Other {
                    key: "rule.needs_android".into(),
                },
            ));
        }
        let input = draft.parse(false)?;
        let vendor = input.settings.vendor;
        let secret = input
            .secret
            .ok_or_else(|| AppError::invalid(vendor.secret_field(), Rule::Required))?;
        let key = input.settings.unique_key();
        if let Some(id) = certs::id_by_key(&self.db, app.sdkappid, vendor.as_str(), &key).await? {
            return Err(taken(vendor, id));
        }
        let check = self
            .check_credentials(&input.settings, secret.expose())
            .await;
        let settings = serde_json::to_string(&input.settings)
            .map_err(|e| internal("encoding certificate settings", e))?;
        let sealed = self.secrets.seal(secret.expose());
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        let cert = match certs::insert(&mut *tx, app.sdkappid, vendor.as_str(), &key, by.id, now)
            .await
        {
            Err(StoreError::Unique) => {
                drop(tx);
                let id = certs::id_by_key(&self.db, app.sdkappid, vendor.as_str(), &key).await?;
                return Err(taken(vendor, id.unwrap_or_default()));
            }
            other => other?,
        };
        let version = NewVersion {
            settings: &settings,
            sealed_secret: &sealed,
            effective_at: now + self.activation_delay.as_secs() as i64,
            check_state: check.state,
            check_code: check.code,
            check_detail: &check.detail,
            announced: check.state == CheckState::Invalid,
        };
        certs::insert_version(&mut *tx, cert.id, version, now).await?;
        let object = format!("certificate:{}", cert.id);
        let detail = format!("app {} · {vendor} {key}", app.sdkappid);
        let event = NewEvent {
            actor: &by.username,
            action: "certificate_created",
            object: &object,
            detail: &detail,
        };
        store::audit::insert(&mut *tx, event, now).await?;
        self.audit_refusal(&mut tx, &object, &check, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.load_view(Sdkappid::from_i64(app.sdkappid)?, cert.id)
            .await
    }

    /// Saves an edit as a new version, pending again, while the version serving now keeps
    /// serving until the new one is effective. Empty secrets keep the stored one; an edit that
    /// changes nothing saves nothing.
    async fn edit_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
        draft: &CertificateDraft,
    ) -> Result<CertificateView, AppError> {
        require(by.role.can_configure())?;
        let id = id.get();
        let cert = certs::get(&self.db, sdkappid.get(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let vendor =
            Vendor::parse(&cert.vendor).map_err(|_| internal("stored vendor", &cert.vendor))?;
        let mut draft = draft.clone();
        match draft
            .vendor
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(v) if Vendor::parse(v)? != vendor => {
                return Err(AppError::invalid(
                    Vendor::FIELD,
                    Rule::Other {
                        key: "rule.vendor_fixed".into(),
                    },
                ));
            }
            _ => draft.vendor = Some(vendor.as_str().into()),
        }
        let mut input = draft.parse(true)?;
        let versions = certs::versions(&self.db, id).await?;
        let latest = versions
            .last()
            .ok_or_else(|| internal("certificate without a version", id))?;
        let stored: CertificateSettings = serde_json::from_str(&latest.settings)
            .map_err(|e| internal("stored certificate settings", e))?;
        let stored_secret = self.open(&latest.secret)?;
        if vendor == Vendor::Fcm && input.secret.is_none() {
            input.settings.project_id = stored.project_id.clone();
            input.settings.client_email = stored.client_email.clone();
        }
        let secret = match &input.secret {
            Some(s) => SecretString::new(s.expose().to_owned()),
            None => stored_secret.clone(),
        };
        if input.settings == stored && secret == stored_secret {
            return self.load_view(sdkappid, id).await;
        }
        let key = input.settings.unique_key();
        if key != cert.unique_key
            && let Some(other) =
                certs::id_by_key(&self.db, sdkappid.get(), vendor.as_str(), &key).await?
        {
            return Err(taken(vendor, other));
        }
        let check = self
            .check_credentials(&input.settings, secret.expose())
            .await;
        let settings = serde_json::to_string(&input.settings)
            .map_err(|e| internal("encoding certificate settings", e))?;
        let sealed = self.secrets.seal(secret.expose());
        let now = self.clock.now();
        let keep = serving(&versions, now).map_or(0, |v| v.version);
        let mut tx = self.db.begin().await.map_err(db_err)?;
        match certs::touch(&mut *tx, id, &key, now).await {
            Err(StoreError::Unique) => {
                drop(tx);
                let other =
                    certs::id_by_key(&self.db, sdkappid.get(), vendor.as_str(), &key).await?;
                return Err(taken(vendor, other.unwrap_or_default()));
            }
            other => other?,
        }
        certs::keep_only_version(&mut *tx, id, keep).await?;
        let version = NewVersion {
            settings: &settings,
            sealed_secret: &sealed,
            effective_at: now + self.activation_delay.as_secs() as i64,
            check_state: check.state,
            check_code: check.code,
            check_detail: &check.detail,
            announced: check.state == CheckState::Invalid,
        };
        match certs::insert_version(&mut *tx, id, version, now).await {
            Err(StoreError::Unique) => {
                return Err(AppError::Conflict(FieldError::new(
                    "id",
                    Rule::Other {
                        key: "rule.edited_concurrently".into(),
                    },
                )));
            }
            other => other?,
        };
        let object = format!("certificate:{id}");
        let changed = if secret == stored_secret {
            "settings"
        } else {
            "settings and secret"
        };
        let detail = format!("app {sdkappid} · {vendor} {key} · {changed}");
        let event = NewEvent {
            actor: &by.username,
            action: "certificate_edited",
            object: &object,
            detail: &detail,
        };
        store::audit::insert(&mut *tx, event, now).await?;
        self.audit_refusal(&mut tx, &object, &check, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.load_view(sdkappid, id).await
    }

    /// Deletes a certificate; its ID is never handed out again and its secrets are erased.
    async fn delete_certificate(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        id: CertificateId,
    ) -> Result<(), AppError> {
        require(by.role.can_configure())?;
        let id = id.get();
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        if !certs::mark_deleted(&mut *tx, sdkappid.get(), id, now).await? {
            return Err(AppError::NotFound);
        }
        certs::delete_versions(&mut *tx, id).await?;
        let object = format!("certificate:{id}");
        let detail = format!("app {sdkappid}");
        let event = NewEvent {
            actor: &by.username,
            action: "certificate_deleted",
            object: &object,
            detail: &detail,
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::field;

    fn version(n: i64, effective_at: i64, state: CheckState) -> VersionRow {
        VersionRow {
            certificate_id: 1,
            version: n,
            settings: String::new(),
            secret: String::new(),
            saved_at: 0,
            effective_at,
            check_state: state,
            check_code: None,
            check_detail: String::new(),
            checked_at: 0,
        }
    }

    #[test]
    fn the_previous_version_serves_until_the_edit_is_effective() {
        let v = [
            version(1, 100, CheckState::Passed),
            version(2, 200, CheckState::Passed),
        ];
        assert_eq!(serving(&v, 99).map(|v| v.version), None);
        assert_eq!(serving(&v, 100).map(|v| v.version), Some(1));
        assert_eq!(serving(&v, 199).map(|v| v.version), Some(1));
        assert_eq!(serving(&v, 200).map(|v| v.version), Some(2));
        let refused = [
            version(1, 100, CheckState::Passed),
            version(2, 200, CheckState::Invalid),
        ];
        assert_eq!(serving(&refused, 500).map(|v| v.version), Some(1));
    }

    #[test]
    fn statistics_dates_are_beijing_days() {
        // 2026-11-26 20:00 UTC is already the 27th in Beijing.
        assert_eq!(china_date(1_795_723_200), "20261127");
        assert_eq!(china_date(1_795_651_200), "20261126");
    }

    #[test]
    fn fields_named_in_conflicts_are_form_fields() {
        for vendor in Vendor::ALL {
            assert!(vendor.fields().contains(&vendor.key_field()), "{vendor}");
        }
        assert_eq!(taken(Vendor::Xiaomi, 7).field(), Some(field::PACKAGE_NAME));
    }
}
