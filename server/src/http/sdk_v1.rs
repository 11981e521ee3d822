//! `/sdk/v1`: what the app's client SDK calls — login with a UserSig, the connection that keeps
//! the device online (`connect`, a WebSocket), report the device token (`setOfflinePushToken`),
//! logout. JSON in and out; errors as in `/api/v1`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};

use super::AppState;
use super::extract::{ApiError, ApiLocale, Body, Scalar};
use crate::services::Services;
use crate::services::im::{Connection, INBOX_BATCH, Inbox, ONLINE_LEASE};
use crate::store::sessions::SessionRow;

/// How often a connection looks at the database for what another instance changed.
const POLL: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/connect", get(connect))
        .route("/push-token", post(push_token))
        .route("/logout", post(logout))
}

fn text(v: Option<Scalar>) -> String {
    v.map(Scalar::text).unwrap_or_default()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginBody {
    sdkappid: Option<Scalar>,
    user_id: String,
    user_sig: String,
    platform: String,
}

async fn login(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let login = state
        .services
        .sdk_login(
            &text(body.sdkappid),
            &body.user_id,
            &body.user_sig,
            &body.platform,
        )
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(Json(login))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PushTokenBody {
    session: String,
    business_id: Option<Scalar>,
    token: String,
}

async fn push_token(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<PushTokenBody>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .sdk_push_token(&body.session, &text(body.business_id), &body.token)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionBody {
    session: String,
}

async fn logout(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Body(body): Body<SessionBody>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .sdk_logout(&body.session)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectQuery {
    session: String,
}

/// `GET /sdk/v1/connect?session=…`: the app is alive (online) while this WebSocket is open.
/// The server sends JSON text frames: `{"type":"message", msg_key, from_account, msg_seq,
/// msg_random, msg_time, msg_body}` for each message (those sent while away first), and
/// `{"type":"kicked"}` or `{"type":"logged_out"}` before closing when the login ends.
async fn connect(
    State(state): State<AppState>,
    ApiLocale(locale): ApiLocale,
    Query(query): Query<ConnectQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<impl IntoResponse, ApiError> {
    let login = state
        .services
        .sdk_connect(&query.session)
        .await
        .map_err(|e| ApiError::new(e, locale))?;
    let services = state.services.clone();
    Ok(upgrade.on_upgrade(move |socket| serve(services, login, socket)))
}

async fn serve(services: Arc<Services>, login: SessionRow, mut socket: WebSocket) {
    let mut events = services.user_events();
    let Ok(Some(conn)) = services.sdk_online(&login).await else {
        let _ = socket.send(ended("logged_out")).await;
        return;
    };
    tracing::debug!(sdkappid = conn.sdkappid, user = %conn.user_id, "connected");
    let mut poll = tokio::time::interval(POLL);
    let renew_every = Duration::from_secs((ONLINE_LEASE / 3) as u64);
    let mut renewed = tokio::time::Instant::now();
    loop {
        match deliver(&services, &conn, &mut socket).await {
            Step::More => continue,
            Step::Wait => {}
            Step::Close => break,
        }
        tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = next_event(&mut events, &conn) => {}
            _ = poll.tick() => {
                if renewed.elapsed() >= renew_every {
                    renewed = tokio::time::Instant::now();
                    // A ping finds a peer that vanished without closing.
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                    let _ = services.sdk_renew(&conn).await;
                }
            }
        }
    }
    if let Err(e) = services.sdk_offline(&conn).await {
        tracing::warn!(error = %e, "marking a closed connection offline");
    }
    tracing::debug!(sdkappid = conn.sdkappid, user = %conn.user_id, "disconnected");
}

/// What a connection does after a delivery.
enum Step {
    /// A full batch went out: there may be more.
    More,
    /// Everything was sent: wait for news.
    Wait,
    /// The login ended, the peer is gone, or the database failed (the client reconnects and
    /// gets what it missed).
    Close,
}

/// Sends what waits for this login, then records how far it got.
async fn deliver(services: &Services, conn: &Connection, socket: &mut WebSocket) -> Step {
    let messages = match services.sdk_inbox(conn).await {
        Ok(Inbox::Messages(m)) => m,
        Ok(Inbox::Ended(why)) => {
            let _ = socket
                .send(Message::text(format!(r#"{{"type":"{why}"}}"#)))
                .await;
            let _ = socket.send(ended(why)).await;
            return Step::Close;
        }
        Err(e) => {
            tracing::warn!(error = ?e, "reading a connection's inbox");
            let _ = socket.send(Message::Close(None)).await;
            return Step::Close;
        }
    };
    let mut sent = 0;
    for m in &messages {
        let Ok(text) = serde_json::to_string(m) else {
            break;
        };
        if socket.send(Message::text(text)).await.is_err() {
            break;
        }
        sent += 1;
    }
    if sent > 0
        && services
            .sdk_delivered(conn, messages[sent - 1].id)
            .await
            .is_err()
    {
        return Step::Close;
    }
    match sent {
        n if n < messages.len() => Step::Close,
        INBOX_BATCH => Step::More,
        _ => Step::Wait,
    }
}

/// The close frame for a login that ended (4001 kicked, 4002 logged out).
fn ended(why: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code: if why == "kicked" { 4001 } else { 4002 },
        reason: why.into(),
    }))
}

/// Waits for an event about this connection's user; a lagging receiver looks anyway.
async fn next_event(events: &mut broadcast::Receiver<(i64, String)>, conn: &Connection) {
    loop {
        match events.recv().await {
            Ok((sdkappid, user)) if sdkappid == conn.sdkappid && user == conn.user_id => return,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}
