#![doc = include_str!("../README.md")]
//!
//! The parts: [`schedule`] (Svix's delays), [`store`] (the SQLite file), [`sender`] (one
//! signed POST), [`engine`] (routing, and what happens after each answer), [`filter`]
//! (what an endpoint subscribes to), [`local`] (the test-facing [`LocalSvix`]), [`api`]
//! (HTTP and the console page), [`capture`] (the Clerk CLI's NDJSON lines), [`loopback`]
//! (who may talk to the API).

pub mod api;
pub mod capture;
pub mod clock;
mod console;
pub mod endpoint;
pub mod engine;
pub mod filter;
pub mod ids;
pub mod local;
pub mod loopback;
pub mod schedule;
pub mod sender;
pub mod store;

use std::future::Future;
use std::sync::Arc;

pub use api::router;
pub use capture::CaptureLine;
pub use clock::{Clock, ManualClock, SystemClock, UnixMillis};
pub use endpoint::{EndpointConfig, SecretInfo};
pub use engine::{AttemptObserver, AttemptReport, DevError, Engine};
pub use filter::{EventFilter, FilterError};
pub use local::{EndpointOptions, LocalSvix, LocalSvixBuilder};
pub use schedule::RETRY_SCHEDULE;
pub use sender::Sender;
pub use store::{Attempt, Delivery, DevStore, Endpoint, Message, MessageStatus, Trigger};

/// Serves the API (and the console page) on `listener` and delivers messages until
/// `shutdown` completes. `secret` is what the API shows for endpoints configured without
/// their own [`SecretInfo`].
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    engine: Arc<Engine>,
    secret: SecretInfo,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(Arc::clone(&engine).run({
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }
    }));
    let app = router(engine, secret);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await;
    let _ = worker.await;
    served
}
