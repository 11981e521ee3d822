//! `/api/v1`: everything the console does, as JSON, for automation and tests. Authenticated by
//! the console session or `Authorization: Bearer <token>`; errors are
//! `{"error": {"code", "message", "field"}}` in the caller's `Accept-Language`.

use std::net::SocketAddr;

use app::api::{ClientInfo, SESSION_USER_KEY};
use app::domain::{
    AppError, CertificateDraft, CertificateId, DiagnoseQuery, PushRecordQuery, RecordId, Rule,
    TestPushDraft, UserView,
};
use app::i18n::Locale;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use tower_sessions::Session;

use super::AppState;
use super::extract::{ApiError, ApiLocale, ApiResult, AppPath, Body, ObjectPath, Scalar};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/setup", post(setup))
        .route("/session", post(sign_in).delete(sign_out))
        .route("/me", get(me))
        .route("/apps", get(list_apps).post(create_app))
        .route("/apps/{sdkappid}", get(get_app))
        .route("/apps/{sdkappid}/platforms", put(set_platforms))
        .route("/apps/{sdkappid}/login-policy", put(set_login_policy))
        .route(
            "/apps/{sdkappid}/secret-key/reveal",
            post(reveal_secret_key),
        )
        .route(
            "/apps/{sdkappid}/certificates",
            get(list_certificates).post(add_certificate),
        )
        .route(
            "/apps/{sdkappid}/certificates/{id}",
            get(get_certificate)
                .put(edit_certificate)
                .delete(delete_certificate),
        )
        .route("/apps/{sdkappid}/usersig", post(generate_usersig))
        .route("/apps/{sdkappid}/test-push", post(send_test_push))
        .route("/apps/{sdkappid}/push-records", get(list_push_records))
        .route("/apps/{sdkappid}/diagnose", get(diagnose))
        .route("/apps/{sdkappid}/devices", get(list_devices))
        .route("/apps/{sdkappid}/push-records/{id}", get(get_push_record))
        .route(
            "/apps/{sdkappid}/push-records/{id}/vendor-status",
            post(query_vendor_status),
        )
        .route("/apps/{sdkappid}/push-stats", get(push_stats))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{username}", patch(update_user))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/audit", get(list_audit))
        .fallback(not_found)
}

/// The authenticated console user.
pub struct Caller {
    user: UserView,
    locale: Locale,
}

impl Caller {
    fn fail(&self, error: AppError) -> ApiError {
        ApiError::new(error, self.locale)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiLocale(locale) = ApiLocale::from_request_parts(parts, state)
            .await
            .unwrap_or(ApiLocale(Locale::En));
        let fail = |error| ApiError::new(error, locale);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| fail(AppError::Unauthenticated))?;
            let user = state
                .services
                .user_by_token(token.trim())
                .await
                .map_err(fail)?;
            return Ok(Self { user, locale });
        }
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| fail(AppError::Internal))?;
        let id = session
            .get::<i64>(SESSION_USER_KEY)
            .await
            .map_err(|_| fail(AppError::Internal))?
            .ok_or_else(|| fail(AppError::Unauthenticated))?;
        let user = state.backend().active_user(id).await.map_err(fail)?;
        Ok(Self { user, locale })
    }
}

async fn not_found(ApiLocale(locale): ApiLocale) -> ApiError {
    ApiError::new(AppError::NotFound, locale)
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupBody {
    username: String,
    password: String,
    password_confirm: String,
}

async fn setup(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<SetupBody>,
) -> ApiResult<impl IntoResponse> {
    let user = state
        .backend()
        .create_owner(&body.username, &body.password, &body.password_confirm)
        .await
        .map_err(|error| ApiError::new(error, locale))?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInBody {
    username: String,
    password: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    session: Session,
    Body(body): Body<SignInBody>,
) -> ApiResult<Json<UserView>> {
    let fail = |error| ApiError::new(error, locale);
    let client = ClientInfo { ip: addr.ip() };
    let user = state
        .backend()
        .sign_in(&body.username, &body.password, client)
        .await
        .map_err(fail)?;
    session
        .cycle_id()
        .await
        .map_err(|_| fail(AppError::Internal))?;
    session
        .insert(SESSION_USER_KEY, user.id)
        .await
        .map_err(|_| fail(AppError::Internal))?;
    Ok(Json(user))
}

async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    session: Session,
) -> ApiResult<StatusCode> {
    state
        .backend()
        .sign_out(&caller.user)
        .await
        .map_err(|e| caller.fail(e))?;
    session
        .flush()
        .await
        .map_err(|_| caller.fail(AppError::Internal))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(caller: Caller) -> Json<UserView> {
    Json(caller.user)
}

async fn list_apps(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let apps = state
        .backend()
        .list_apps(&caller.user)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(apps))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateAppBody {
    name: String,
}

async fn create_app(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateAppBody>,
) -> ApiResult<impl IntoResponse> {
    let app = state
        .backend()
        .create_app(&caller.user, &body.name)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(app)))
}

async fn get_app(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
) -> ApiResult<impl IntoResponse> {
    let app = state
        .backend()
        .get_app(&caller.user, sdkappid)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(app))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlatformsBody {
    platforms: Option<Vec<String>>,
}

async fn set_platforms(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Body(body): Body<PlatformsBody>,
) -> ApiResult<impl IntoResponse> {
    let platforms = body
        .platforms
        .ok_or_else(|| caller.fail(AppError::invalid("platforms", Rule::Required)))?;
    let app = state
        .backend()
        .set_platforms(&caller.user, sdkappid, &platforms)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(app))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginPolicyBody {
    devices_per_platform: Option<Scalar>,
}

async fn set_login_policy(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Body(body): Body<LoginPolicyBody>,
) -> ApiResult<impl IntoResponse> {
    let devices = match body.devices_per_platform {
        Some(v) => v.text(),
        None => String::new(),
    };
    let app = state
        .backend()
        .set_login_policy(&caller.user, sdkappid, &devices)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(app))
}

async fn reveal_secret_key(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
) -> ApiResult<impl IntoResponse> {
    let secret_key = state
        .backend()
        .reveal_secret_key(&caller.user, sdkappid)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(json!({ "secret_key": secret_key })))
}

async fn list_certificates(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
) -> ApiResult<impl IntoResponse> {
    let list = state
        .backend()
        .list_certificates(&caller.user, sdkappid)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(list.certificates))
}

async fn add_certificate(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Body(draft): Body<CertificateDraft>,
) -> ApiResult<impl IntoResponse> {
    let cert = state
        .backend()
        .add_certificate(&caller.user, sdkappid, &draft)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(cert)))
}

async fn get_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ObjectPath(sdkappid, id): ObjectPath<CertificateId>,
) -> ApiResult<impl IntoResponse> {
    let cert = state
        .backend()
        .get_certificate(&caller.user, sdkappid, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(cert))
}

async fn edit_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ObjectPath(sdkappid, id): ObjectPath<CertificateId>,
    Body(draft): Body<CertificateDraft>,
) -> ApiResult<impl IntoResponse> {
    let cert = state
        .backend()
        .edit_certificate(&caller.user, sdkappid, id, &draft)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(cert))
}

async fn delete_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ObjectPath(sdkappid, id): ObjectPath<CertificateId>,
) -> ApiResult<StatusCode> {
    state
        .backend()
        .delete_certificate(&caller.user, sdkappid, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserSigBody {
    identifier: String,
    expire: Option<Scalar>,
}

async fn generate_usersig(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Body(body): Body<UserSigBody>,
) -> ApiResult<impl IntoResponse> {
    let expire = body.expire.map(Scalar::text).unwrap_or_default();
    let sig = state
        .backend()
        .generate_usersig(&caller.user, sdkappid, &body.identifier, &expire)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(sig))
}

/// regIds as a JSON array, or as text with one per line.
#[derive(Deserialize)]
#[serde(untagged)]
enum RegIds {
    List(Vec<String>),
    Text(String),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TestPushBody {
    certificate_id: Option<Scalar>,
    reg_ids: Option<RegIds>,
    user_id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    payload: Option<String>,
    notify_type: Option<Scalar>,
    notify_id: Option<Scalar>,
    channel_id: Option<String>,
    click_action: Option<String>,
    click_url: Option<String>,
    click_intent: Option<String>,
    time_to_live: Option<Scalar>,
}

impl From<TestPushBody> for TestPushDraft {
    fn from(b: TestPushBody) -> Self {
        Self {
            certificate_id: b.certificate_id.map(Scalar::text),
            reg_ids: b.reg_ids.map(|r| match r {
                RegIds::List(ids) => ids.join("\n"),
                RegIds::Text(text) => text,
            }),
            user_id: b.user_id,
            title: b.title,
            description: b.description,
            payload: b.payload,
            notify_type: b.notify_type.map(Scalar::text),
            notify_id: b.notify_id.map(Scalar::text),
            channel_id: b.channel_id,
            click_action: b.click_action,
            click_url: b.click_url,
            click_intent: b.click_intent,
            time_to_live: b.time_to_live.map(Scalar::text),
        }
    }
}

async fn send_test_push(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Body(body): Body<TestPushBody>,
) -> ApiResult<impl IntoResponse> {
    let result = state
        .backend()
        .send_test_push(&caller.user, sdkappid, &body.into())
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(result))
}

async fn list_push_records(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Query(query): Query<PushRecordQuery>,
) -> ApiResult<impl IntoResponse> {
    let page = state
        .backend()
        .list_push_records(&caller.user, sdkappid, &query)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(page))
}

async fn diagnose(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Query(query): Query<DiagnoseQuery>,
) -> ApiResult<impl IntoResponse> {
    let diagnosis = state
        .backend()
        .diagnose(&caller.user, sdkappid, &query)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(diagnosis))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DevicesQuery {
    user_id: String,
}

async fn list_devices(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Query(query): Query<DevicesQuery>,
) -> ApiResult<impl IntoResponse> {
    let devices = state
        .backend()
        .list_devices(&caller.user, sdkappid, &query.user_id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(
        serde_json::json!({ "user_id": query.user_id, "devices": devices }),
    ))
}

async fn get_push_record(
    State(state): State<AppState>,
    caller: Caller,
    ObjectPath(sdkappid, id): ObjectPath<RecordId>,
) -> ApiResult<impl IntoResponse> {
    let detail = state
        .backend()
        .get_push_record(&caller.user, sdkappid, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(detail))
}

async fn query_vendor_status(
    State(state): State<AppState>,
    caller: Caller,
    ObjectPath(sdkappid, id): ObjectPath<RecordId>,
) -> ApiResult<impl IntoResponse> {
    let status = state
        .backend()
        .query_vendor_status(&caller.user, sdkappid, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(status))
}

async fn push_stats(
    State(state): State<AppState>,
    caller: Caller,
    AppPath(sdkappid): AppPath,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<impl IntoResponse> {
    let window = query.get("window").map(String::as_str).unwrap_or("24h");
    let stats = state
        .backend()
        .push_stats(&caller.user, sdkappid, window)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(stats))
}

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let users = state
        .backend()
        .list_users(&caller.user)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(users))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateUserBody {
    username: String,
    password: String,
    role: String,
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateUserBody>,
) -> ApiResult<impl IntoResponse> {
    let user = state
        .backend()
        .create_user(&caller.user, &body.username, &body.password, &body.role)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateUserBody {
    role: Option<String>,
    disabled: Option<bool>,
}

async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    Body(body): Body<UpdateUserBody>,
) -> ApiResult<impl IntoResponse> {
    if body.role.is_none() && body.disabled.is_none() {
        return Err(caller.fail(AppError::invalid("role", Rule::Required)));
    }
    let mut user = None;
    if let Some(role) = &body.role {
        user = Some(
            state
                .backend()
                .set_role(&caller.user, &username, role)
                .await
                .map_err(|e| caller.fail(e))?,
        );
    }
    if let Some(disabled) = body.disabled {
        user = Some(
            state
                .backend()
                .set_disabled(&caller.user, &username, disabled)
                .await
                .map_err(|e| caller.fail(e))?,
        );
    }
    Ok(Json(user))
}

async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    let tokens = state
        .backend()
        .list_tokens(&caller.user)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(Json(tokens))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateTokenBody {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<CreateTokenBody>,
) -> ApiResult<impl IntoResponse> {
    let token = state
        .backend()
        .create_token(&caller.user, &body.name)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok((StatusCode::CREATED, Json(token)))
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = id
        .parse::<i64>()
        .map_err(|_| caller.fail(AppError::NotFound))?;
    state
        .backend()
        .revoke_token(&caller.user, id)
        .await
        .map_err(|e| caller.fail(e))?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<impl IntoResponse> {
    let number = |field: &str| -> ApiResult<Option<i64>> {
        query
            .get(field)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    caller.fail(AppError::invalid(
                        field,
                        Rule::Other {
                            key: "rule.integer".into(),
                        },
                    ))
                })
            })
            .transpose()
    };
    let before_id = number("before_id")?;
    let limit = number("limit")?.unwrap_or(50);
    let items = state
        .backend()
        .list_audit(&caller.user, before_id, limit)
        .await
        .map_err(|e| caller.fail(e))?;
    let next_before_id = (items.len() as i64 == limit.clamp(1, 200))
        .then(|| items.last().map(|e| e.id))
        .flatten();
    Ok(Json(
        json!({ "items": items, "next_before_id": next_before_id }),
    ))
}
