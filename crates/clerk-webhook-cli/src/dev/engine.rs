//! The delivery engine: Svix's schedule, its delivery-control headers, resend and recover.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clerk_webhook_core::testing::SignedDelivery;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::clock::{Clock, UnixMillis};
use super::schedule::delay_after_failure;
use super::sender::{Response, Sender};
use super::store::{Attempt, DevStore, Endpoint, Message, MessageStatus, StoreError, Trigger};
use crate::ids::message_id;

/// The `webhook-delivery` value that stops one message's retries.
pub const ABORT_MESSAGE: &str = "abort-message";
/// The `webhook-delivery` value that disables the endpoint.
pub const DISABLE: &str = "disable";

/// The longest the worker sleeps before looking for due messages again.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Attempts in flight at once, scheduled and manual together: a backlog (a restart after
/// a long stop, a large recovery) reaches your handler 32 at a time, not all at once.
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
    /// A payload that is not a JSON object.
    #[error("the payload is not a JSON object: {0}")]
    NotAnObject(String),
    /// An event type without a built-in sample.
    #[error("no sample for event type {0:?}; GET /api/event-types lists them")]
    UnknownEventType(String),
    /// Manual attempts wait for the endpoint too.
    #[error("the endpoint is disabled (it answered `webhook-delivery: disable`); enable it first")]
    EndpointDisabled,
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
    /// The attempt, numbered.
    pub attempt: Attempt,
    /// Exactly what was sent: headers and raw body.
    pub delivery: SignedDelivery,
    /// The message's status after the attempt.
    pub status: MessageStatus,
    /// When the next scheduled attempt is due.
    pub next_attempt_at: Option<UnixMillis>,
}

/// Called after every attempt.
pub type AttemptObserver = Arc<dyn Fn(&AttemptReport) + Send + Sync>;

/// Delivers messages to one endpoint as Svix would.
pub struct Engine {
    store: DevStore,
    sender: Sender,
    clock: Arc<dyn Clock>,
    time_scale: f64,
    wake: Notify,
    slots: Semaphore,
    observer: Option<AttemptObserver>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("clock", &self.clock)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine delivering the messages in `store` to `url`. Messages a stopped process
    /// was attempting are due again at once; the rest keep their schedule.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn start(
        store: DevStore,
        url: &str,
        sender: Sender,
        clock: Arc<dyn Clock>,
        time_scale: f64,
        observer: Option<AttemptObserver>,
    ) -> Result<Arc<Self>, DevError> {
        store.set_endpoint_url(url).await?;
        store.release_claims(clock.now()).await?;
        Ok(Arc::new(Self {
            store,
            sender,
            clock,
            time_scale,
            wake: Notify::new(),
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

    /// The endpoint.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn endpoint(&self) -> Result<Endpoint, DevError> {
        Ok(self.store.endpoint().await?)
    }

    /// Queues `payload` (a JSON object) as a new message, due at once.
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
        let id = message_id()?;
        self.store
            .insert_message(&id, event_type, &payload, self.clock.now())
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
    /// made. Nothing goes out while the endpoint is disabled.
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

    /// Claims the due messages and starts an attempt of each in `attempts`.
    async fn dispatch_due(
        self: &Arc<Self>,
        attempts: &mut JoinSet<Result<(), DevError>>,
    ) -> Result<(), DevError> {
        if !self.store.endpoint().await?.enabled {
            return Ok(());
        }
        for message in self.store.claim_due(self.clock.now()).await? {
            let engine = Arc::clone(self);
            attempts.spawn(async move {
                let outcome = engine.attempt(&message, Trigger::Scheduled).await;
                if let Err(error) = &outcome {
                    tracing::error!(svix_id = %message.id, %error, "could not record an attempt");
                }
                outcome.map(drop)
            });
        }
        Ok(())
    }

    /// One new attempt of message `id` now, with the same svix-id, whatever its status.
    /// A 2xx makes it Succeeded; a failure leaves a pending message's schedule as it was
    /// and marks any other Failed.
    ///
    /// # Errors
    /// [`DevError::NotFound`], [`DevError::EndpointDisabled`], or the store's.
    pub async fn resend(&self, id: &str) -> Result<AttemptReport, DevError> {
        if !self.store.endpoint().await?.enabled {
            return Err(DevError::EndpointDisabled);
        }
        let message = self
            .store
            .message(id)
            .await?
            .ok_or_else(|| DevError::NotFound(id.to_owned()))?;
        self.attempt(&message, Trigger::Manual).await
    }

    /// Resends every Failed message created at or after `since` (the Dashboard's "Recover
    /// failed messages"); returns the attempts made.
    ///
    /// # Errors
    /// [`DevError::EndpointDisabled`], or the store's.
    pub async fn recover(
        self: &Arc<Self>,
        since: UnixMillis,
    ) -> Result<Vec<AttemptReport>, DevError> {
        if !self.store.endpoint().await?.enabled {
            return Err(DevError::EndpointDisabled);
        }
        let failed = self
            .store
            .messages(Some(MessageStatus::Failed), Some(since), u32::MAX)
            .await?;
        let mut attempts = JoinSet::new();
        for message in failed {
            let engine = Arc::clone(self);
            attempts.spawn(async move { engine.attempt(&message, Trigger::Manual).await });
        }
        let mut reports = Vec::new();
        while let Some(joined) = attempts.join_next().await {
            if let Ok(report) = joined {
                reports.push(report?);
            }
        }
        Ok(reports)
    }

    /// Enables the endpoint; waiting messages go out.
    ///
    /// # Errors
    /// [`DevError::Store`].
    pub async fn enable(&self) -> Result<Endpoint, DevError> {
        self.store.set_enabled(true, self.clock.now()).await?;
        self.wake.notify_one();
        self.endpoint().await
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

    async fn wait_for_next(&self) -> Duration {
        let enabled = self.store.endpoint().await.is_ok_and(|e| e.enabled);
        match self.store.next_due().await {
            Ok(Some(due)) if enabled => {
                let millis = due.saturating_sub(self.clock.now()).max(0);
                Duration::from_millis(u64::try_from(millis).unwrap_or(0)).min(IDLE_POLL)
            }
            _ => IDLE_POLL,
        }
    }

    async fn attempt(
        &self,
        message: &Message,
        trigger: Trigger,
    ) -> Result<AttemptReport, DevError> {
        // The semaphore is never closed; were it, attempts would simply go unthrottled.
        let _slot = self.slots.acquire().await.ok();
        let url = self.store.endpoint().await?.url;
        let at = self.clock.now();
        let delivery = self
            .sender
            .sign(&message.id, at.div_euclid(1000), &message.payload);
        let response = self.sender.post(&url, &delivery).await;
        let control = response
            .delivery_control
            .as_deref()
            .map(str::to_ascii_lowercase);
        let mut attempt = attempt_from(at, trigger, &delivery, response);
        let (status, next_attempt_at, failures) = match trigger {
            Trigger::Scheduled => self.after_scheduled(message, &attempt, control.as_deref()),
            Trigger::Manual => {
                let current = self.store.message(&message.id).await?;
                let current = current.as_ref().unwrap_or(message);
                after_manual(current, &attempt, control.as_deref())
            }
        };
        if control.as_deref() == Some(DISABLE) {
            self.store.set_enabled(false, self.clock.now()).await?;
        }
        attempt.number = self
            .store
            .record_attempt(&message.id, &attempt, status, next_attempt_at, failures)
            .await?;
        if next_attempt_at.is_some() {
            // The worker computed its sleep while this message was claimed.
            self.wake.notify_one();
        }
        let report = AttemptReport {
            message_id: message.id.clone(),
            event_type: message.event_type.clone(),
            attempt,
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
        message: &Message,
        attempt: &Attempt,
        control: Option<&str>,
    ) -> (MessageStatus, Option<UnixMillis>, u32) {
        if attempt.succeeded() {
            return (MessageStatus::Succeeded, None, message.scheduled_failures);
        }
        let failures = message.scheduled_failures.saturating_add(1);
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
    current: &Message,
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
    at: UnixMillis,
    trigger: Trigger,
    delivery: &SignedDelivery,
    response: Response,
) -> Attempt {
    Attempt {
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
