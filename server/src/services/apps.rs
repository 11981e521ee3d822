use app::api::AppsBackend;
use app::domain::{
    AppDetail, AppError, AppName, AppSummary, GeneratedUserSig, NewApp, Platform, Rule, Sdkappid,
    UserView, parse_identifier,
};
use async_trait::async_trait;

use super::{Services, db_err, internal, require};
use crate::crypto::random_hex;
use crate::store::apps::AppRow;
use crate::store::audit::NewEvent;
use crate::store::{self, StoreError};

fn sdkappid_of(row: &AppRow) -> Result<Sdkappid, AppError> {
    Sdkappid::from_i64(row.sdkappid).map_err(|_| internal("stored sdkappid", row.sdkappid))
}

/// Devices per platform the policy allows (Tencent's editions offer up to 10).
const MIN_DEVICES: i64 = 1;
const MAX_DEVICES: i64 = 10;

impl Services {
    pub(super) async fn app_row(&self, sdkappid: Sdkappid) -> Result<AppRow, AppError> {
        store::apps::get(&self.db, sdkappid.get())
            .await?
            .ok_or(AppError::NotFound)
    }

    fn detail(&self, row: &AppRow) -> Result<AppDetail, AppError> {
        let secret = self
            .secrets
            .open(&row.secret_key)
            .map_err(|e| internal("opening app secret key", format!("{e:#}")))?;
        Ok(AppDetail {
            sdkappid: sdkappid_of(row)?,
            name: row.name.clone(),
            platforms: Platform::split(&row.platforms),
            secret_key_masked: secret.masked(),
            created_at: row.created_at,
            devices_per_platform: row.devices_per_platform,
        })
    }
}

#[async_trait]
impl AppsBackend for Services {
    async fn list_apps(&self, _by: &UserView) -> Result<Vec<AppSummary>, AppError> {
        store::apps::list(&self.db)
            .await?
            .iter()
            .map(|row| {
                Ok(AppSummary {
                    sdkappid: sdkappid_of(row)?,
                    name: row.name.clone(),
                    platforms: Platform::split(&row.platforms),
                    created_at: row.created_at,
                })
            })
            .collect()
    }

    /// Creates an app with the next SDKAppID and a fresh secret key (64 hex characters,
    /// Tencent's format), returned in full this once.
    async fn create_app(&self, by: &UserView, name: &str) -> Result<NewApp, AppError> {
        require(by.role.can_configure())?;
        let name = AppName::parse(name)?;
        let secret_key = random_hex(32);
        let sealed = self.secrets.seal(&secret_key);
        for _ in 0..5 {
            let now = self.clock.now();
            let mut tx = self.db.begin().await.map_err(db_err)?;
            let row = match store::apps::insert(&mut *tx, name.as_str(), &sealed, Some(by.id), now)
                .await
            {
                Err(StoreError::Unique) => continue,
                other => other?,
            };
            let event = NewEvent {
                actor: &by.username,
                action: "app_created",
                object: &format!("app:{}", row.sdkappid),
                detail: name.as_str(),
            };
            store::audit::insert(&mut *tx, event, now).await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(NewApp {
                sdkappid: sdkappid_of(&row)?,
                name: row.name,
                platforms: vec![],
                secret_key,
            });
        }
        Err(internal(
            "creating app",
            "no free SDKAppID after 5 attempts",
        ))
    }

    async fn get_app(&self, _by: &UserView, sdkappid: Sdkappid) -> Result<AppDetail, AppError> {
        let row = self.app_row(sdkappid).await?;
        self.detail(&row)
    }

    async fn set_platforms(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        platforms: &[String],
    ) -> Result<AppDetail, AppError> {
        require(by.role.can_configure())?;
        let id = sdkappid;
        let platforms = Platform::parse_set(platforms)?;
        let joined = Platform::join(&platforms);
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        if !store::apps::set_platforms(&mut *tx, id.get(), &joined, now).await? {
            return Err(AppError::NotFound);
        }
        let event = NewEvent {
            actor: &by.username,
            action: "platforms_changed",
            object: &format!("app:{id}"),
            detail: &joined,
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.get_app(by, sdkappid).await
    }

    /// The multi-device policy: how many logins of one user may be active on one platform.
    async fn set_login_policy(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        devices_per_platform: &str,
    ) -> Result<AppDetail, AppError> {
        require(by.role.can_configure())?;
        let id = sdkappid;
        let range = Rule::Range {
            min: MIN_DEVICES,
            max: MAX_DEVICES,
        };
        let devices = match devices_per_platform.trim() {
            "" => return Err(AppError::invalid("devices_per_platform", Rule::Required)),
            raw => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (MIN_DEVICES..=MAX_DEVICES).contains(n))
                .ok_or_else(|| AppError::invalid("devices_per_platform", range))?,
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await.map_err(db_err)?;
        if !store::apps::set_devices_per_platform(&mut *tx, id.get(), devices, now).await? {
            return Err(AppError::NotFound);
        }
        let event = NewEvent {
            actor: &by.username,
            action: "login_policy_changed",
            object: &format!("app:{id}"),
            detail: &devices.to_string(),
        };
        store::audit::insert(&mut *tx, event, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.get_app(by, sdkappid).await
    }

    async fn reveal_secret_key(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
    ) -> Result<String, AppError> {
        require(by.role.can_reveal_secrets())?;
        let row = self.app_row(sdkappid).await?;
        let secret = self
            .secrets
            .open(&row.secret_key)
            .map_err(|e| internal("opening app secret key", format!("{e:#}")))?;
        let event = NewEvent {
            actor: &by.username,
            action: "secret_revealed",
            object: &format!("app:{}", row.sdkappid),
            detail: "",
        };
        store::audit::insert(&self.db, event, self.clock.now()).await?;
        Ok(secret.expose().to_owned())
    }

    /// A UserSig for `identifier`, valid for `expire` seconds (default 7 days, at most 180 days,
    /// as the generators allow), made exactly as `tls-sig-api-v2` makes it.
    async fn generate_usersig(
        &self,
        by: &UserView,
        sdkappid: Sdkappid,
        identifier: &str,
        expire: &str,
    ) -> Result<GeneratedUserSig, AppError> {
        require(by.role.can_reveal_secrets())?;
        let row = self.app_row(sdkappid).await?;
        let identifier = parse_identifier("identifier", identifier)?;
        let expire = match expire.trim() {
            "" => 7 * 86_400,
            raw => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (60..=180 * 86_400).contains(n))
                .ok_or_else(|| {
                    AppError::invalid(
                        "expire",
                        Rule::Range {
                            min: 60,
                            max: 180 * 86_400,
                        },
                    )
                })?,
        };
        let key = self
            .secrets
            .open(&row.secret_key)
            .map_err(|e| internal("opening app secret key", format!("{e:#}")))?;
        let now = self.clock.now();
        let usersig = crate::crypto::usersig::generate(
            row.sdkappid,
            key.expose(),
            &identifier,
            now,
            expire,
            None,
        );
        let event = NewEvent {
            actor: &by.username,
            action: "usersig_generated",
            object: &format!("app:{}", row.sdkappid),
            detail: &identifier,
        };
        store::audit::insert(&self.db, event, now).await?;
        Ok(GeneratedUserSig {
            identifier,
            usersig,
            expire_at: now + expire,
        })
    }
}
