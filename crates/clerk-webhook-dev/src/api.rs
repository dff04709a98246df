//! The JSON API on `--listen`: what the console page and scripts use.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;
pub use crate::endpoint::SecretInfo;
use crate::engine::{DevError, Engine};
use crate::loopback::is_loopback_host;
use crate::store::{Attempt, Delivery, Endpoint, Message, MessageQuery, MessageStatus, Trigger};

/// Messages a list returns when no `limit` is given.
const DEFAULT_LIST_LIMIT: u32 = 100;

#[derive(Debug, Clone)]
struct AppState {
    engine: Arc<Engine>,
    secret: SecretInfo,
}

/// The API (and, at `/`, the console page) over `engine`.
pub fn router(engine: Arc<Engine>, secret: SecretInfo) -> Router {
    Router::new()
        .route("/", get(crate::console::page))
        .route("/api/messages", get(list_messages).post(create_message))
        .route("/api/messages/{id}", get(show_message))
        .route("/api/messages/{id}/resend", post(resend))
        .route("/api/recover", post(recover))
        .route("/api/endpoint", get(show_endpoint))
        .route("/api/endpoint/enable", post(enable_endpoint))
        .route("/api/endpoints", get(list_endpoints))
        .route("/api/endpoints/{id}", get(show_endpoint_by_id))
        .route("/api/endpoints/{id}/enable", post(enable_endpoint_by_id))
        .route("/api/endpoints/{id}/disable", post(disable_endpoint_by_id))
        .route("/api/event-types", get(event_types))
        .route("/api/samples/{event_type}", get(sample))
        .route("/in", post(inject))
        .layer(middleware::from_fn(same_origin_only))
        .with_state(AppState { engine, secret })
}

/// Refuses requests a web page on another site (or a DNS-rebound name) makes from the
/// developer's browser: the API signs with the real secret and must not be a signing
/// oracle or an injection point for other origins.
async fn same_origin_only(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !is_loopback_host(host) {
        return ApiError::forbidden(format!(
            "Host {host:?} is not a loopback address; the dev server answers only 127.0.0.1, [::1] and localhost"
        ));
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
        if origin_host != host {
            return ApiError::forbidden(format!("cross-origin request from {origin:?} refused"));
        }
    }
    next.run(request).await
}

#[derive(Debug, Serialize)]
struct AttemptView<'a> {
    endpoint: &'a str,
    number: u32,
    at: String,
    trigger: Trigger,
    status_code: Option<u16>,
    error: Option<&'a str>,
    latency_ms: u64,
    response_body: &'a str,
    request_headers: &'a BTreeMap<String, String>,
    delivery_control: Option<&'a str>,
}

impl<'a> AttemptView<'a> {
    fn of(attempt: &'a Attempt) -> Self {
        Self {
            endpoint: &attempt.endpoint_id,
            number: attempt.number,
            at: rfc3339(attempt.at),
            trigger: attempt.trigger,
            status_code: attempt.status_code,
            error: attempt.error.as_deref(),
            latency_ms: attempt.latency_ms,
            response_body: &attempt.response_body,
            request_headers: &attempt.request_headers,
            delivery_control: attempt.delivery_control.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
struct MessageView<'a> {
    id: &'a str,
    event_type: Option<&'a str>,
    status: MessageStatus,
    created_at: String,
    next_attempt_at: Option<String>,
    attempts: Vec<AttemptView<'a>>,
    deliveries: Vec<DeliveryView<'a>>,
    payload: serde_json::Value,
}

/// A message's delivery to one endpoint.
#[derive(Debug, Serialize)]
struct DeliveryView<'a> {
    endpoint: &'a str,
    status: MessageStatus,
    next_attempt_at: Option<String>,
    attempts: usize,
}

impl<'a> DeliveryView<'a> {
    fn of(message: &'a Message, delivery: &'a Delivery) -> Self {
        Self {
            endpoint: &delivery.endpoint_id,
            status: delivery.status,
            next_attempt_at: delivery.next_attempt_at.map(rfc3339),
            attempts: message.attempts_to(&delivery.endpoint_id).count(),
        }
    }
}

impl<'a> MessageView<'a> {
    fn of(message: &'a Message) -> Self {
        Self {
            id: &message.id,
            event_type: message.event_type.as_deref(),
            status: message.status,
            created_at: rfc3339(message.created_at),
            next_attempt_at: message.next_attempt_at.map(rfc3339),
            attempts: message.attempts.iter().map(AttemptView::of).collect(),
            deliveries: message
                .deliveries
                .iter()
                .map(|delivery| DeliveryView::of(message, delivery))
                .collect(),
            payload: serde_json::from_slice(&message.payload).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&message.payload).into_owned())
            }),
        }
    }
}

#[derive(Debug, Serialize)]
struct EndpointView<'a> {
    id: &'a str,
    url: &'a str,
    filter_types: Option<&'a [String]>,
    enabled: bool,
    disabled_at: Option<String>,
    secret_hint: &'a str,
    development_secret: bool,
}

fn endpoint_view<'a>(endpoint: &'a Endpoint, state: &'a AppState) -> EndpointView<'a> {
    let secret = state
        .engine
        .secret_info(&endpoint.id)
        .unwrap_or(&state.secret);
    EndpointView {
        id: &endpoint.id,
        url: &endpoint.url,
        filter_types: endpoint.filter_types.as_deref(),
        enabled: endpoint.enabled,
        disabled_at: endpoint.disabled_at.map(rfc3339),
        secret_hint: &secret.hint,
        development_secret: secret.is_development_secret,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    event_type: Option<String>,
    payload: Option<Box<serde_json::value::RawValue>>,
}

async fn create_message(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: CreateRequest = parse_json(&body)?;
    let id = match (request.event_type, request.payload) {
        (Some(event_type), None) => state.engine.create_sample(&event_type).await?,
        (None, Some(payload)) => {
            state
                .engine
                .create(payload.get().as_bytes().to_vec())
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "send {\"event_type\": \"user.created\"} or {\"payload\": {…}}",
            ));
        }
    };
    Ok(created(&id))
}

async fn inject(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let id = state.engine.create(body.to_vec()).await?;
    Ok(created(&id))
}

fn created(id: &str) -> Response {
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({ "id": id })),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
    endpoint: Option<String>,
}

async fn list_messages(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("" | "all") => None,
        Some(text) => Some(MessageStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown status {text:?}: use pending, succeeded or failed"
            ))
        })?),
    };
    let endpoint_id = match query.endpoint.as_deref() {
        None | Some("" | "all") => None,
        Some(id) => Some(state.engine.endpoint_by_id(id).await?.id),
    };
    let query = MessageQuery {
        status,
        since: None,
        endpoint_id,
        limit: query.limit.unwrap_or(DEFAULT_LIST_LIMIT),
    };
    let messages = state
        .engine
        .store()
        .query(&query)
        .await
        .map_err(DevError::from)?;
    let views: Vec<MessageView<'_>> = messages.iter().map(MessageView::of).collect();
    Ok(axum::Json(views).into_response())
}

async fn show_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let message = find(&state, &id).await?;
    Ok(axum::Json(MessageView::of(&message)).into_response())
}

async fn find(state: &AppState, id: &str) -> Result<Message, ApiError> {
    Ok(state
        .engine
        .store()
        .message(id)
        .await
        .map_err(DevError::from)?
        .ok_or_else(|| DevError::NotFound(id.to_owned()))?)
}

#[derive(Debug, Deserialize)]
struct ResendQuery {
    endpoint: Option<String>,
}

async fn resend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ResendQuery>,
) -> Result<Response, ApiError> {
    match query.endpoint.as_deref() {
        None | Some("" | "all") => drop(state.engine.resend(&id).await?),
        Some(endpoint) => drop(state.engine.resend_to(&id, endpoint).await?),
    }
    let message = find(&state, &id).await?;
    Ok(axum::Json(MessageView::of(&message)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverRequest {
    since: i64,
}

async fn recover(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: RecoverRequest = parse_json(&body)?;
    let reports = state
        .engine
        .recover(request.since.saturating_mul(1000))
        .await?;
    let succeeded = reports.iter().filter(|r| r.attempt.succeeded()).count();
    Ok(axum::Json(serde_json::json!({
        "resent": reports.len(),
        "succeeded": succeeded,
        "ids": reports.iter().map(|r| r.message_id.as_str()).collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn show_endpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let endpoint = state.engine.endpoint().await?;
    Ok(axum::Json(endpoint_view(&endpoint, &state)).into_response())
}

async fn enable_endpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let endpoint = state.engine.enable().await?;
    Ok(axum::Json(endpoint_view(&endpoint, &state)).into_response())
}

async fn list_endpoints(State(state): State<AppState>) -> Result<Response, ApiError> {
    let endpoints = state.engine.endpoints().await?;
    let views: Vec<EndpointView<'_>> = endpoints
        .iter()
        .map(|endpoint| endpoint_view(endpoint, &state))
        .collect();
    Ok(axum::Json(views).into_response())
}

async fn show_endpoint_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let endpoint = state.engine.endpoint_by_id(&id).await?;
    Ok(axum::Json(endpoint_view(&endpoint, &state)).into_response())
}

async fn enable_endpoint_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let endpoint = state.engine.enable_endpoint(&id).await?;
    Ok(axum::Json(endpoint_view(&endpoint, &state)).into_response())
}

async fn disable_endpoint_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let endpoint = state.engine.disable_endpoint(&id).await?;
    Ok(axum::Json(endpoint_view(&endpoint, &state)).into_response())
}

async fn event_types() -> Response {
    axum::Json(clerk_webhook_core::EVENT_TYPES).into_response()
}

async fn sample(Path(event_type): Path<String>) -> Result<Response, ApiError> {
    let sample = clerk_webhook_core::samples::sample(&event_type).ok_or_else(|| ApiError {
        status: StatusCode::NOT_FOUND,
        message: DevError::UnknownEventType(event_type.clone()).to_string(),
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok((headers, sample).into_response())
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid JSON body: {error}")))
}

/// An error answer: `{"error": "…"}` with the status that fits.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn forbidden(message: String) -> Response {
        Self {
            status: StatusCode::FORBIDDEN,
            message,
        }
        .into_response()
    }
}

impl From<DevError> for ApiError {
    fn from(error: DevError) -> Self {
        let status = match &error {
            DevError::NotFound(_) | DevError::UnknownEndpoint(_) => StatusCode::NOT_FOUND,
            DevError::NotAnObject(_) | DevError::UnknownEventType(_) | DevError::Config(_) => {
                StatusCode::BAD_REQUEST
            }
            DevError::EndpointDisabled | DevError::NotRouted { .. } => StatusCode::CONFLICT,
            DevError::Store(_)
            | DevError::Random(_)
            | DevError::Client(_)
            | DevError::Timeout { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(%error, "dev API request failed");
        }
        Self {
            status,
            message: error.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
