//! [`LocalSvix`]: the engine in your own tests, on a temporary store, no port needed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clerk_webhook_core::WebhookVerifier;
use tokio::sync::watch;

use crate::clock::{Clock, ManualClock, SystemClock};
use crate::endpoint::{EndpointConfig, SecretInfo, check_url, endpoint_id};
use crate::engine::{AttemptObserver, AttemptReport, DevError, Engine};
use crate::filter::EventFilter;
use crate::sender::{ATTEMPT_TIMEOUT, Sender};
use crate::store::{DevStore, Endpoint, Message};

/// One endpoint for [`LocalSvixBuilder::endpoint`]: a URL (a `&str` or `String` is one
/// receiving every event type, signed with the builder's secret), optionally with the
/// event types it subscribes to and its own signing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOptions {
    url: String,
    filter_types: Option<Vec<String>>,
    secret: Option<String>,
}

impl EndpointOptions {
    /// An endpoint at `url`, receiving every event type.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            filter_types: None,
            secret: None,
        }
    }

    /// Receives only these event types: `user.created`, `user.*` or `*` each (Svix's
    /// `filterTypes`, the Dashboard's "Subscribe to events").
    #[must_use]
    pub fn filter_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filter_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Signs this endpoint's attempts with `secret` (`whsec_…`) instead of the builder's.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }
}

impl From<&str> for EndpointOptions {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for EndpointOptions {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

/// Settings for [`LocalSvix`]; [`start`](Self::start) checks them all.
#[derive(Clone)]
pub struct LocalSvixBuilder {
    endpoints: Vec<EndpointOptions>,
    secret: Option<String>,
    time_scale: f64,
    clock: Option<Arc<ManualClock>>,
    database: Option<PathBuf>,
    attempt_timeout: Duration,
    observer: Option<AttemptObserver>,
}

impl std::fmt::Debug for LocalSvixBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("LocalSvixBuilder")
            .field("endpoints", &self.endpoints.len())
            .field("time_scale", &self.time_scale)
            .field("manual_clock", &self.clock.is_some())
            .field("database", &self.database)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for LocalSvixBuilder {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            secret: None,
            time_scale: 1.0,
            clock: None,
            database: None,
            attempt_timeout: ATTEMPT_TIMEOUT,
            observer: None,
        }
    }
}

impl LocalSvixBuilder {
    /// Adds an endpoint (`ep_1` for the first, `ep_2`…): a URL, or [`EndpointOptions`]
    /// with a filter or its own secret. Every message goes to each enabled endpoint whose
    /// filter matches its type.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<EndpointOptions>) -> Self {
        self.endpoints.push(endpoint.into());
        self
    }

    /// The signing secret (`whsec_…` or bare base64) of every endpoint without its own.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Multiplies every retry delay: `0.001` turns Svix's 5 s, 5 min, 30 min… into 5 ms,
    /// 300 ms, 1.8 s…; `0.0` retries at once. Default 1 (Svix's real schedule).
    #[must_use]
    pub fn time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    /// Schedules on `clock`, and without a background worker: attempts are made only by
    /// [`LocalSvix::run_due`], so a test steps through the schedule with
    /// [`ManualClock::advance`] and never sleeps. Attempts are still signed at the
    /// system's time, so your handler's ±5 minute timestamp check passes.
    #[must_use]
    pub fn manual_clock(mut self, clock: Arc<ManualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Keeps messages in the SQLite file at `path` (default: in memory, gone with the
    /// [`LocalSvix`]).
    #[must_use]
    pub fn database(mut self, path: impl Into<PathBuf>) -> Self {
        self.database = Some(path.into());
        self
    }

    /// How long an attempt waits for an answer (default 15 s, as Svix).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Calls `observer` after every attempt.
    #[must_use]
    pub fn on_attempt(mut self, observer: impl Fn(&AttemptReport) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Checks the settings, opens the store and (unless on a manual clock) starts
    /// delivering in the background.
    ///
    /// # Errors
    /// [`DevError::Config`] for no endpoint, a bad URL, filter or secret, or a time scale
    /// below 0; [`DevError::Store`], [`DevError::Client`].
    pub async fn start(self) -> Result<LocalSvix, DevError> {
        if self.endpoints.is_empty() {
            return Err(DevError::Config(
                "no endpoint: call .endpoint(\"http://127.0.0.1:…/api/webhooks\")".to_owned(),
            ));
        }
        let mut configs = Vec::with_capacity(self.endpoints.len());
        let mut first_secret = None;
        for (index, options) in self.endpoints.iter().enumerate() {
            let id = endpoint_id(index);
            check_url(&options.url)
                .map_err(|reason| DevError::Config(format!("{id}: {reason}")))?;
            let secret = options
                .secret
                .as_ref()
                .or(self.secret.as_ref())
                .ok_or_else(|| {
                    DevError::Config(format!(
                        "{id} has no signing secret: call .secret(\"whsec_…\")"
                    ))
                })?;
            let signer = WebhookVerifier::new(secret)
                .map_err(|error| DevError::Config(format!("{id}: {error}")))?;
            let filter = match &options.filter_types {
                None => EventFilter::all(),
                Some(types) => EventFilter::only(types.clone())
                    .map_err(|error| DevError::Config(format!("{id}: {error}")))?,
            };
            let info = SecretInfo::of(secret);
            first_secret.get_or_insert_with(|| info.clone());
            let sender = Sender::new(signer, self.attempt_timeout)?;
            configs.push(
                EndpointConfig::new(&options.url, sender)
                    .filter(filter)
                    .secret_info(info),
            );
        }
        let store = match &self.database {
            Some(path) => DevStore::open(path).await?,
            None => DevStore::in_memory().await?,
        };
        let clock: Arc<dyn Clock> = match &self.clock {
            Some(manual) => Arc::clone(manual) as Arc<dyn Clock>,
            None => Arc::new(SystemClock),
        };
        // Attempts are signed at the system's time whatever a manual clock shows: your
        // handler checks the timestamp against its own clock.
        let engine = Engine::start_with_clocks(
            store,
            configs,
            clock,
            Arc::new(SystemClock),
            self.time_scale,
            self.observer,
        )
        .await?;
        let (stop, stopped) = watch::channel(false);
        if self.clock.is_none() {
            let mut stopped = stopped.clone();
            tokio::spawn(Arc::clone(&engine).run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
        }
        Ok(LocalSvix {
            engine,
            secret: first_secret.unwrap_or_else(|| SecretInfo::of("")),
            stop,
        })
    }
}

/// A local Svix for tests: signs and POSTs each message to your endpoints, retries on
/// Svix's schedule (sped up with [`time_scale`](LocalSvixBuilder::time_scale)), and keeps
/// every attempt. Stops delivering when dropped.
///
/// ```no_run
/// # async fn test() -> Result<(), clerk_webhook_dev::DevError> {
/// use std::time::Duration;
/// use clerk_webhook_dev::{LocalSvix, MessageStatus};
///
/// let svix = LocalSvix::builder()
///     .endpoint("http://127.0.0.1:3000/api/webhooks")
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .time_scale(0.001)
///     .start()
///     .await?;
/// let id = svix.send_example("user.created").await?;
/// let message = svix.wait_settled(&id, Duration::from_secs(10)).await?;
/// assert_eq!(message.status, MessageStatus::Succeeded);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct LocalSvix {
    engine: Arc<Engine>,
    secret: SecretInfo,
    stop: watch::Sender<bool>,
}

impl LocalSvix {
    /// Settings: at least one [`endpoint`](LocalSvixBuilder::endpoint) and a
    /// [`secret`](LocalSvixBuilder::secret).
    #[must_use]
    pub fn builder() -> LocalSvixBuilder {
        LocalSvixBuilder::default()
    }

    /// The engine underneath, for everything else (the store, resend to one endpoint…).
    #[must_use]
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Sends the built-in sample of `event_type` (`clerk_webhook_core::EVENT_TYPES`);
    /// returns the message id, the `svix-id` of every attempt.
    ///
    /// # Errors
    /// [`DevError::UnknownEventType`], or the store's.
    pub async fn send_example(&self, event_type: &str) -> Result<String, DevError> {
        self.engine.create_sample(event_type).await
    }

    /// Sends `payload` (serialized to a JSON object) as a message; returns its id.
    ///
    /// # Errors
    /// [`DevError::NotAnObject`], or the store's.
    pub async fn send(&self, payload: impl serde::Serialize) -> Result<String, DevError> {
        let bytes = serde_json::to_vec(&payload)
            .map_err(|error| DevError::NotAnObject(error.to_string()))?;
        self.engine.create(bytes).await
    }

    /// Sends `body` exactly as given (a JSON object); returns the message id.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_raw(&self, body: impl Into<Vec<u8>>) -> Result<String, DevError> {
        self.engine.create(body.into()).await
    }

    /// Message `id` now, with every attempt.
    ///
    /// # Errors
    /// [`DevError::NotFound`], or the store's.
    pub async fn message(&self, id: &str) -> Result<Message, DevError> {
        self.engine
            .store()
            .message(id)
            .await?
            .ok_or_else(|| DevError::NotFound(id.to_owned()))
    }

    /// Every message, newest first.
    ///
    /// # Errors
    /// The store's.
    pub async fn messages(&self) -> Result<Vec<Message>, DevError> {
        Ok(self.engine.store().messages(None, None, u32::MAX).await?)
    }

    /// Waits until message `id` is Succeeded or Failed at every endpoint it goes to, for at
    /// most `limit`; returns it with every attempt. On a manual clock nothing moves by
    /// itself: call [`run_due`](Self::run_due).
    ///
    /// # Errors
    /// [`DevError::Timeout`] (with the status and attempts so far), [`DevError::NotFound`].
    pub async fn wait_settled(&self, id: &str, limit: Duration) -> Result<Message, DevError> {
        self.engine.wait_settled(id, limit).await
    }

    /// Makes every attempt due now (on a manual clock: after
    /// [`advance`](ManualClock::advance)) and waits for the answers; returns how many.
    ///
    /// # Errors
    /// The store's.
    pub async fn run_due(&self) -> Result<usize, DevError> {
        self.engine.run_due().await
    }

    /// One new attempt of message `id` now, same `svix-id`, at every enabled endpoint it
    /// goes to (the Dashboard's Resend).
    ///
    /// # Errors
    /// As [`Engine::resend`].
    pub async fn resend(&self, id: &str) -> Result<Vec<AttemptReport>, DevError> {
        self.engine.resend(id).await
    }

    /// The endpoints, `ep_1` first.
    ///
    /// # Errors
    /// The store's.
    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, DevError> {
        self.engine.endpoints().await
    }

    /// Disables endpoint `id` (`ep_2`…): its messages wait; the others' go on.
    ///
    /// # Errors
    /// [`DevError::UnknownEndpoint`], or the store's.
    pub async fn disable(&self, id: &str) -> Result<Endpoint, DevError> {
        self.engine.disable_endpoint(id).await
    }

    /// Enables endpoint `id`; what waited goes out.
    ///
    /// # Errors
    /// [`DevError::UnknownEndpoint`], or the store's.
    pub async fn enable(&self, id: &str) -> Result<Endpoint, DevError> {
        self.engine.enable_endpoint(id).await
    }

    /// Serves the JSON API and the console page (as `clerk-webhook dev` does) on
    /// `listener` until this `LocalSvix` is dropped; returns the address.
    ///
    /// # Errors
    /// When the listener has no local address.
    pub fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<SocketAddr> {
        let address = listener.local_addr()?;
        let app = crate::router(Arc::clone(&self.engine), self.secret.clone());
        let mut stopped = self.stop.subscribe();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        Ok(address)
    }
}

impl Drop for LocalSvix {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
