//! The delivery engine: routing to endpoints by event type, Svix's schedule per endpoint,
//! its delivery-control headers, resend and recover.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clerk_webhook_core::testing::SignedDelivery;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::clock::{Clock, UnixMillis};
use crate::endpoint::{EndpointConfig, SecretInfo, endpoint_id};
use crate::ids::message_id;
use crate::schedule::delay_after_failure;
use crate::sender::{Response, Sender};
use crate::store::{
    Attempt, Delivery, DevStore, Due, Endpoint, EndpointSetup, Message, MessageStatus, StoreError,
    Trigger,
};

/// The `webhook-delivery` value that stops one message's retries.
pub const ABORT_MESSAGE: &str = "abort-message";
/// The `webhook-delivery` value that disables the endpoint.
pub const DISABLE: &str = "disable";

/// The longest the worker sleeps before looking for due messages again.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Attempts in flight at once, scheduled and manual together, to every endpoint: a backlog
/// (a restart after a long stop, a large recovery) reaches your handler 32 at a time, not
/// all at once.
pub const MAX_CONCURRENT_ATTEMPTS: usize = 32;

/// What went wrong with a request to the engine.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No message has this id.
    #[error("no message {0}")]
    NotFound(String),
    /// No configured endpoint has this id.
    #[error("no endpoint {0}; GET /api/endpoints lists them")]
    UnknownEndpoint(String),
    /// The message was not routed to this endpoint (its filter does not match).
    #[error("message {message} was not routed to {endpoint}: its filter does not match")]
    NotRouted {
        /// The message.
        message: String,
        /// The endpoint.
        endpoint: String,
    },
    /// A payload that is not a JSON object.
    #[error("the payload is not a JSON object: {0}")]
    NotAnObject(String),
    /// An event type without a built-in sample.
    #[error("no sample for event type {0:?}; GET /api/event-types lists them")]
    UnknownEventType(String),
    /// Manual attempts wait for the endpoint too.
    #[error("the endpoint is disabled (it answered `webhook-delivery: disable`); enable it first")]
    EndpointDisabled,
    /// A setting that cannot work: no endpoint, a bad URL, filter, secret or time scale.
    #[error("{0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built: {0}")]
    Client(#[from] reqwest::Error),
    /// A message was still pending when the wait ended.
    #[error("message {id} is still {status} after {waited:?} ({attempts} attempt(s) so far)")]
    Timeout {
        /// The message.
        id: String,
        /// Its status then.
        status: &'static str,
        /// Attempts made by then.
        attempts: usize,
        /// How long was waited.
        waited: Duration,
    },
    /// No random message id could be made.
    #[error("no random numbers available: {0}")]
    Random(#[from] getrandom::Error),
}

/// One attempt as it happened, for `--json` capture lines and progress output.
#[derive(Debug, Clone)]
pub struct AttemptReport {
    /// The message (its id is the `svix-id`).
    pub message_id: String,
    /// The payload's `type`.
    pub event_type: Option<String>,
    /// The attempt, numbered (its `endpoint_id` says where it went).
    pub attempt: Attempt,
    /// The URL it was POSTed to.
    pub url: String,
    /// Exactly what was sent: headers and raw body.
    pub delivery: SignedDelivery,
    /// The delivery's status at this endpoint after the attempt.
    pub status: MessageStatus,
    /// When the next scheduled attempt at this endpoint is due.
    pub next_attempt_at: Option<UnixMillis>,
}

/// Called after every attempt.
pub type AttemptObserver = Arc<dyn Fn(&AttemptReport) + Send + Sync>;

/// A configured endpoint and its id.
#[derive(Debug)]
struct Route {
    id: String,
    config: EndpointConfig,
}

/// Delivers messages to every endpoint whose filter matches, as Svix would.
pub struct Engine {
    store: DevStore,
    routes: Vec<Route>,
    clock: Arc<dyn Clock>,
    signing_clock: Arc<dyn Clock>,
    time_scale: f64,
    wake: Notify,
    attempted: Notify,
    slots: Semaphore,
    observer: Option<AttemptObserver>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("routes", &self.routes)
            .field("clock", &self.clock)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine delivering every message in `store` to one endpoint, `url`, receiving
    /// every event type. See [`Engine::start_endpoints`].
    ///
    /// # Errors
    /// As [`Engine::start_endpoints`].
    pub async fn start(
        store: DevStore,
        url: &str,
        sender: Sender,
        clock: Arc<dyn Clock>,
        time_scale: f64,
        observer: Option<AttemptObserver>,
    ) -> Result<Arc<Self>, DevError> {
        let endpoint = EndpointConfig::new(url, sender);
        Self::start_endpoints(store, vec![endpoint], clock, time_scale, observer).await
    }

    /// An engine delivering the messages in `store` to `endpoints` (`ep_1`, `ep_2`… in this
    /// order; a store written before keeps each one's disabled state and pending retries).
    /// Deliveries a stopped process was attempting are due again at once; the rest keep
    /// their schedule.
    ///
    /// # Errors
    /// [`DevError::Config`] without endpoints, [`DevError::Store`].
    pub async fn start_endpoints(
        store: DevStore,
        endpoints: Vec<EndpointConfig>,
        clock: Arc<dyn Clock>,
        time_scale: f64,
        observer: Option<AttemptObserver>,
    ) -> Result<Arc<Self>, DevError> {
        let signing_clock = Arc::clone(&clock);
        Self::start_with_clocks(store, endpoints, clock, signing_clock, time_scale, observer).await
    }

    /// As [`Engine::start_endpoints`], scheduling on `clock` but signing each attempt at
    /// `signing_clock`'s time: a [`ManualClock`](crate::ManualClock) moved hours ahead
    /// still makes signatures a real handler's ±5 minute check accepts when signing on
    /// the [`SystemClock`](crate::SystemClock).
    ///
    /// # Errors
    /// As [`Engine::start_endpoints`].
    pub async fn start_with_clocks(
        store: DevStore,
        endpoints: Vec<EndpointConfig>,
        clock: Arc<dyn Clock>,
        signing_clock: Arc<dyn Clock>,
        time_scale: f64,
        observer: Option<AttemptObserver>,
    ) -> Result<Arc<Self>, DevError> {
        if endpoints.is_empty() {
            return Err(DevError::Config("no endpoint to deliver to".to_owned()));
        }
        if !time_scale.is_finite() || time_scale < 0.0 {
            return Err(DevError::Config(format!(
                "the time scale must be a number ≥ 0 (1 is Svix's real schedule), not {time_scale}"
            )));
        }
        let routes: Vec<Route> = endpoints
            .into_iter()
            .enumerate()
            .map(|(index, config)| Route {
                id: endpoint_id(index),
                config,
            })
            .collect();
        let setups: Vec<EndpointSetup> = routes
            .iter()
            .map(|route| EndpointSetup {
                id: route.id.clone(),
                url: route.config.url.clone(),
                filter_types: route.config.filter.patterns().map(<[String]>::to_vec),
            })
            .collect();
        store.configure_endpoints(&setups).await?;
        store.release_claims(clock.now()).await?;
        Ok(Arc::new(Self {
            store,
            routes,
            clock,
            signing_clock,
            time_scale,
            wake: Notify::new(),
            attempted: Notify::new(),
            slots: Semaphore::new(MAX_CONCURRENT_ATTEMPTS),
            observer,
        }))
    }

    /// The store, for reading messages.
    #[must_use]
    pub fn store(&self) -> &DevStore {
        &self.store
    }

    /// Now, on the engine's clock.
    #[must_use]
    pub fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    /// The time scale every retry delay is multiplied by.
    #[must_use]
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// The first endpoint (the only one, unless several were given).
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn endpoint(&self) -> Result<Endpoint, DevError> {
        let first = self.first_route().id.clone();
        self.endpoint_by_id(&first).await
    }

    /// Endpoint `id`.
    ///
    /// # Errors
    /// [`DevError::UnknownEndpoint`], [`DevError::Store`].
    pub async fn endpoint_by_id(&self, id: &str) -> Result<Endpoint, DevError> {
        self.route(id)?;
        self.store
            .endpoint(id)
            .await?
            .ok_or_else(|| DevError::UnknownEndpoint(id.to_owned()))
    }

    /// Every endpoint, in order.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, DevError> {
        Ok(self.store.endpoints().await?)
    }

    /// What endpoint `id` was configured to show about its secret.
    #[must_use]
    pub fn secret_info(&self, id: &str) -> Option<&SecretInfo> {
        self.route(id).ok()?.config.secret.as_ref()
    }

    /// Queues `payload` (a JSON object) as a new message, due at once at every endpoint
    /// whose filter matches its `type`.
    ///
    /// # Errors
    /// [`DevError::NotAnObject`], or the store's.
    pub async fn create(&self, payload: Vec<u8>) -> Result<String, DevError> {
        let value: serde_json::Value = serde_json::from_slice(&payload)
            .map_err(|error| DevError::NotAnObject(error.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(DevError::NotAnObject("expected `{…}`".to_owned()));
        };
        let event_type = object.get("type").and_then(serde_json::Value::as_str);
        let endpoints: Vec<&str> = self
            .routes
            .iter()
            .filter(|route| route.config.filter.matches(event_type))
            .map(|route| route.id.as_str())
            .collect();
        let id = message_id()?;
        self.store
            .insert_message(&id, event_type, &payload, self.clock.now(), &endpoints)
            .await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Queues the built-in sample of `event_type`.
    ///
    /// # Errors
    /// [`DevError::UnknownEventType`], or as [`create`](Self::create).
    pub async fn create_sample(&self, event_type: &str) -> Result<String, DevError> {
        let sample = clerk_webhook_core::samples::sample(event_type)
            .ok_or_else(|| DevError::UnknownEventType(event_type.to_owned()))?;
        self.create(sample.as_bytes().to_vec()).await
    }

    /// Makes every due scheduled attempt and waits for them all; returns how many were
    /// made. Nothing goes to a disabled endpoint.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn run_due(self: &Arc<Self>) -> Result<usize, DevError> {
        let mut attempts = JoinSet::new();
        self.dispatch_due(&mut attempts).await?;
        let mut made = 0;
        while let Some(joined) = attempts.join_next().await {
            if matches!(joined, Ok(Ok(()))) {
                made += 1;
            }
        }
        Ok(made)
    }

    /// Claims the due deliveries and starts an attempt of each in `attempts`.
    async fn dispatch_due(
        self: &Arc<Self>,
        attempts: &mut JoinSet<Result<(), DevError>>,
    ) -> Result<(), DevError> {
        for due in self.store.claim_due(self.clock.now()).await? {
            let engine = Arc::clone(self);
            attempts.spawn(async move {
                let outcome = engine.attempt(&due, Trigger::Scheduled).await;
                if let Err(error) = &outcome {
                    tracing::error!(
                        svix_id = %due.message.id,
                        endpoint = %due.delivery.endpoint_id,
                        %error,
                        "could not record an attempt"
                    );
                }
                outcome.map(drop)
            });
        }
        Ok(())
    }

    /// One new attempt of message `id` now, with the same svix-id, whatever its status, at
    /// every enabled endpoint it was routed to. At each, a 2xx makes the delivery
    /// Succeeded; a failure leaves a pending delivery's schedule as it was and marks any
    /// other Failed.
    ///
    /// # Errors
    /// [`DevError::NotFound`], [`DevError::EndpointDisabled`] when every endpoint it was
    /// routed to is disabled, or the store's.
    pub async fn resend(self: &Arc<Self>, id: &str) -> Result<Vec<AttemptReport>, DevError> {
        let message = self
            .store
            .message(id)
            .await?
            .ok_or_else(|| DevError::NotFound(id.to_owned()))?;
        let mut due = Vec::new();
        for delivery in &message.deliveries {
            if self.route(&delivery.endpoint_id).is_err() {
                continue;
            }
            if self.endpoint_by_id(&delivery.endpoint_id).await?.enabled {
                due.push(Due {
                    message: message.clone(),
                    delivery: delivery.clone(),
                });
            }
        }
        if due.is_empty() && !message.deliveries.is_empty() {
            return Err(DevError::EndpointDisabled);
        }
        self.attempt_all(due).await
    }

    /// One new attempt of message `id` at `endpoint_id` now, as [`resend`](Self::resend).
    ///
    /// # Errors
    /// [`DevError::NotFound`], [`DevError::UnknownEndpoint`], [`DevError::NotRouted`],
    /// [`DevError::EndpointDisabled`], or the store's.
    pub async fn resend_to(&self, id: &str, endpoint_id: &str) -> Result<AttemptReport, DevError> {
        if !self.endpoint_by_id(endpoint_id).await?.enabled {
            return Err(DevError::EndpointDisabled);
        }
        let message = self
            .store
            .message(id)
            .await?
            .ok_or_else(|| DevError::NotFound(id.to_owned()))?;
        let delivery =
            message
                .delivery(endpoint_id)
                .cloned()
                .ok_or_else(|| DevError::NotRouted {
                    message: id.to_owned(),
                    endpoint: endpoint_id.to_owned(),
                })?;
        self.attempt(&Due { message, delivery }, Trigger::Manual)
            .await
    }

    /// Resends every Failed delivery, to every enabled endpoint, of the messages created at
    /// or after `since` (the Dashboard's "Recover failed messages"); returns the attempts
    /// made.
    ///
    /// # Errors
    /// [`DevError::EndpointDisabled`] when every endpoint is disabled, or the store's.
    pub async fn recover(
        self: &Arc<Self>,
        since: UnixMillis,
    ) -> Result<Vec<AttemptReport>, DevError> {
        if !self.endpoints().await?.iter().any(|e| e.enabled) {
            return Err(DevError::EndpointDisabled);
        }
        let failed = self.store.failed_since(since).await?;
        self.attempt_all(failed).await
    }

    async fn attempt_all(self: &Arc<Self>, due: Vec<Due>) -> Result<Vec<AttemptReport>, DevError> {
        let mut attempts = JoinSet::new();
        for due in due {
            let engine = Arc::clone(self);
            attempts.spawn(async move { engine.attempt(&due, Trigger::Manual).await });
        }
        let mut reports = Vec::new();
        while let Some(joined) = attempts.join_next().await {
            if let Ok(report) = joined {
                reports.push(report?);
            }
        }
        Ok(reports)
    }

    /// Enables the first endpoint; its waiting messages go out.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn enable(&self) -> Result<Endpoint, DevError> {
        let first = self.first_route().id.clone();
        self.enable_endpoint(&first).await
    }

    /// Enables endpoint `id`; its waiting messages go out.
    ///
    /// # Errors
    /// [`DevError::UnknownEndpoint`], [`DevError::Store`].
    pub async fn enable_endpoint(&self, id: &str) -> Result<Endpoint, DevError> {
        self.route(id)?;
        self.store.set_enabled(id, true, self.clock.now()).await?;
        self.wake.notify_one();
        self.endpoint_by_id(id).await
    }

    /// Disables endpoint `id`, as its `webhook-delivery: disable` answer would: its
    /// messages wait (the other endpoints' do not).
    ///
    /// # Errors
    /// [`DevError::UnknownEndpoint`], [`DevError::Store`].
    pub async fn disable_endpoint(&self, id: &str) -> Result<Endpoint, DevError> {
        self.route(id)?;
        self.store.set_enabled(id, false, self.clock.now()).await?;
        self.endpoint_by_id(id).await
    }

    /// Delivers due messages until `shutdown` completes. Attempts cut off by the shutdown
    /// are made again at the next start.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut in_flight = JoinSet::new();
        loop {
            let wait = match self.dispatch_due(&mut in_flight).await {
                Ok(()) => self.wait_for_next().await,
                Err(error) => {
                    tracing::error!(%error, "could not look for due messages");
                    IDLE_POLL
                }
            };
            while in_flight.try_join_next().is_some() {}
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
                () = &mut shutdown => break,
            }
        }
        in_flight.abort_all();
    }

    /// Waits until message `id` is no longer Pending at any endpoint, for at most `limit`;
    /// returns it with every attempt. Someone must be delivering: the worker
    /// ([`run`](Self::run)), or calls to [`run_due`](Self::run_due).
    ///
    /// # Errors
    /// [`DevError::Timeout`], [`DevError::NotFound`], or the store's.
    pub async fn wait_settled(&self, id: &str, limit: Duration) -> Result<Message, DevError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let attempted = self.attempted.notified();
            tokio::pin!(attempted);
            attempted.as_mut().enable();
            let message = self
                .store
                .message(id)
                .await?
                .ok_or_else(|| DevError::NotFound(id.to_owned()))?;
            if message.status != MessageStatus::Pending {
                return Ok(message);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DevError::Timeout {
                    id: id.to_owned(),
                    status: message.status.as_str(),
                    attempts: message.attempts.len(),
                    waited: limit,
                });
            }
            // An attempt anywhere wakes the wait; the sleep bounds it should one be missed.
            tokio::select! {
                () = &mut attempted => {}
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    async fn wait_for_next(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(due)) => {
                let millis = due.saturating_sub(self.clock.now()).max(0);
                Duration::from_millis(u64::try_from(millis).unwrap_or(0)).min(IDLE_POLL)
            }
            _ => IDLE_POLL,
        }
    }

    fn first_route(&self) -> &Route {
        // `start_endpoints` refuses an empty list, so there is always a first.
        &self.routes[0]
    }

    fn route(&self, id: &str) -> Result<&Route, DevError> {
        self.routes
            .iter()
            .find(|route| route.id == id)
            .ok_or_else(|| DevError::UnknownEndpoint(id.to_owned()))
    }

    async fn attempt(&self, due: &Due, trigger: Trigger) -> Result<AttemptReport, DevError> {
        let message = &due.message;
        let route = self.route(&due.delivery.endpoint_id)?;
        // The semaphore is never closed; were it, attempts would simply go unthrottled.
        let _slot = self.slots.acquire().await.ok();
        let at = self.clock.now();
        let sender = &route.config.sender;
        let signed_at = self.signing_clock.now().div_euclid(1000);
        let delivery = sender.sign(&message.id, signed_at, &message.payload);
        let response = sender.post(&route.config.url, &delivery).await;
        let control = response
            .delivery_control
            .as_deref()
            .map(str::to_ascii_lowercase);
        let mut attempt = attempt_from(&route.id, at, trigger, &delivery, response);
        let (status, next_attempt_at, failures) = match trigger {
            Trigger::Scheduled => self.after_scheduled(&due.delivery, &attempt, control.as_deref()),
            Trigger::Manual => {
                let current = self.store.delivery(&message.id, &route.id).await?;
                let current = current.as_ref().unwrap_or(&due.delivery);
                after_manual(current, &attempt, control.as_deref())
            }
        };
        if control.as_deref() == Some(DISABLE) {
            self.store
                .set_enabled(&route.id, false, self.clock.now())
                .await?;
        }
        attempt.number = self
            .store
            .record_attempt(&message.id, &attempt, status, next_attempt_at, failures)
            .await?;
        if next_attempt_at.is_some() {
            // The worker computed its sleep while this delivery was claimed.
            self.wake.notify_one();
        }
        self.attempted.notify_waiters();
        let report = AttemptReport {
            message_id: message.id.clone(),
            event_type: message.event_type.clone(),
            attempt,
            url: route.config.url.clone(),
            delivery,
            status,
            next_attempt_at,
        };
        if let Some(observer) = &self.observer {
            observer(&report);
        }
        Ok(report)
    }

    fn after_scheduled(
        &self,
        delivery: &Delivery,
        attempt: &Attempt,
        control: Option<&str>,
    ) -> (MessageStatus, Option<UnixMillis>, u32) {
        if attempt.succeeded() {
            return (MessageStatus::Succeeded, None, delivery.scheduled_failures);
        }
        let failures = delivery.scheduled_failures.saturating_add(1);
        if control == Some(ABORT_MESSAGE) {
            return (MessageStatus::Failed, None, failures);
        }
        match delay_after_failure(failures, self.time_scale) {
            Some(delay) => {
                let delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                let next = self.clock.now().saturating_add(delay);
                (MessageStatus::Pending, Some(next), failures)
            }
            None => (MessageStatus::Failed, None, failures),
        }
    }
}

fn after_manual(
    current: &Delivery,
    attempt: &Attempt,
    control: Option<&str>,
) -> (MessageStatus, Option<UnixMillis>, u32) {
    let failures = current.scheduled_failures;
    if attempt.succeeded() {
        (MessageStatus::Succeeded, None, failures)
    } else if control != Some(ABORT_MESSAGE) && current.status == MessageStatus::Pending {
        (MessageStatus::Pending, current.next_attempt_at, failures)
    } else {
        (MessageStatus::Failed, None, failures)
    }
}

fn attempt_from(
    endpoint_id: &str,
    at: UnixMillis,
    trigger: Trigger,
    delivery: &SignedDelivery,
    response: Response,
) -> Attempt {
    Attempt {
        endpoint_id: endpoint_id.to_owned(),
        number: 0,
        at,
        trigger,
        status_code: response.status_code,
        error: response.error,
        latency_ms: u64::try_from(response.latency.as_millis()).unwrap_or(u64::MAX),
        response_body: response.body,
        request_headers: Sender::request_headers(delivery),
        delivery_control: response.delivery_control,
    }
}
