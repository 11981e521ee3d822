use app::api::SandboxBackend;
use app::domain::{
    AppError, Rule, SandboxAppView, SandboxDeviceView, SandboxSendResult, ShadeItem, UserView,
};
use async_trait::async_trait;

use super::{Services, require};
use crate::store::sandbox as store;
use crate::vendors::mipush::{AppSecret, Notification, Region, SendToRegIds, build_send};

impl Services {
    fn sandbox_on(&self) -> Result<(), AppError> {
        if self.sandbox.is_some() {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

#[async_trait]
impl SandboxBackend for Services {
    /// Developers and up (the page shows the sandbox apps' AppSecrets); `None` when it is off.
    async fn sandbox_apps(&self, by: &UserView) -> Result<Option<Vec<SandboxAppView>>, AppError> {
        require(by.role.can_test_push())?;
        if self.sandbox.is_none() {
            return Ok(None);
        }
        let apps = store::list_apps(&self.db).await?;
        let devices = store::list_devices(&self.db).await?;
        let mut out = Vec::new();
        for app in apps {
            let mut views = Vec::new();
            for d in devices.iter().filter(|d| d.app_id == app.app_id) {
                let shade = store::notifications(&self.db, &d.reg_id).await?;
                views.push(SandboxDeviceView {
                    reg_id: d.reg_id.clone(),
                    installed: d.uninstalled_at.is_none(),
                    notifications: shade
                        .into_iter()
                        .map(|n| ShadeItem {
                            message_id: n.message_id,
                            title: n.title,
                            description: n.description,
                            received_at_ms: n.received_at,
                        })
                        .collect(),
                });
            }
            out.push(SandboxAppView {
                package_name: app.package_name,
                app_id: app.app_id,
                app_key: app.app_key,
                app_secret: app.app_secret,
                devices: views,
            });
        }
        Ok(Some(out))
    }

    async fn sandbox_create_app(&self, by: &UserView, package_name: &str) -> Result<(), AppError> {
        require(by.role.can_test_push())?;
        self.sandbox_on()?;
        crate::sandbox::create_app(&self.db, package_name, &[])
            .await
            .map(|_| ())
    }

    async fn sandbox_add_device(
        &self,
        by: &UserView,
        package_name: &str,
    ) -> Result<String, AppError> {
        require(by.role.can_test_push())?;
        self.sandbox_on()?;
        let app = store::app_by_package(&self.db, package_name.trim())
            .await?
            .ok_or(AppError::NotFound)?;
        crate::sandbox::register_device(&self.db, &app.package_name, &app.app_id, &app.app_key)
            .await
    }

    /// One attempt through the MiPush client to the sandbox region; the vendor's answer is the
    /// result, whatever it is.
    async fn sandbox_send(
        &self,
        by: &UserView,
        reg_id: &str,
        title: &str,
        description: &str,
    ) -> Result<SandboxSendResult, AppError> {
        require(by.role.can_test_push())?;
        self.sandbox_on()?;
        let device = store::device(&self.db, reg_id.trim())
            .await?
            .ok_or_else(|| AppError::invalid("reg_id", Rule::Required))?;
        let app = store::app_by_id(&self.db, &device.app_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let send = SendToRegIds {
            reg_ids: vec![device.reg_id],
            message: Notification::new(&app.package_name, title, description),
        };
        let secret = AppSecret::new(app.app_secret);
        let Some(req) = build_send(&self.mipush.base(Region::Sandbox), &secret, &send).pop() else {
            return Err(AppError::Internal);
        };
        Ok(match self.mipush.execute(&req).await {
            Ok(r) => SandboxSendResult {
                code: r.code.code(),
                description: r.reason.or(r.description).unwrap_or_default(),
                message_id: r.message_id,
                attempts: 1,
            },
            Err(e) => SandboxSendResult {
                code: -1,
                description: e.to_string(),
                message_id: None,
                attempts: 1,
            },
        })
    }
}
