//! `clerk-webhook dev`: a local stand-in for Svix. Messages are signed and POSTed to your
//! handler as Svix sends them, retried on Svix's schedule (optionally sped up), stopped
//! by `webhook-delivery: abort-message`, held by `webhook-delivery: disable`, and kept in
//! an SQLite file so pending retries survive a restart. A JSON API (and the console page
//! at `/`) shows every attempt and resends.
//!
//! The parts: [`schedule`] (Svix's delays), [`store`] (the SQLite file), [`sender`] (one
//! signed POST), [`engine`] (what happens after each answer), [`api`] (HTTP), [`capture`]
//! (the Clerk CLI's NDJSON lines).

pub mod api;
pub mod capture;
pub mod clock;
mod console;
pub mod engine;
pub mod schedule;
pub mod sender;
pub mod store;

use std::future::Future;
use std::sync::Arc;

pub use api::{SecretInfo, router};
pub use capture::CaptureLine;
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{AttemptObserver, AttemptReport, DevError, Engine};
pub use schedule::RETRY_SCHEDULE;
pub use sender::Sender;
pub use store::{Attempt, DevStore, Endpoint, Message, MessageStatus, Trigger};

/// Serves the API on `listener` and delivers messages until `shutdown` completes.
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
