//! [`serve`]: a poem endpoint over hyper's HTTP/1.1 server, with a header-read timeout.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoEndpoint};
use tokio::net::TcpListener;

/// How long [`serve`] lets in-flight requests finish after `shutdown` resolves.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for up to [`SHUTDOWN_GRACE`].
///
/// Unlike poem's `Server`, a connection that has not sent a request's complete headers
/// within `header_timeout` is closed (slowloris). HTTP/1.1 only, as Svix delivers.
pub async fn serve(
    listener: TcpListener,
    app: impl IntoEndpoint<Endpoint: 'static>,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let app = Arc::new(app.into_endpoint());
    let local = listener
        .local_addr()
        .map(|addr| LocalAddr(addr.into()))
        .unwrap_or_default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, for example: back off, keep serving.
                    tracing::warn!(%error, "Could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, local, remote) = (app.clone(), local.clone(), RemoteAddr(peer.into()));
        let service = hyper::service::service_fn(move |request| {
            let parts = (request, local.clone(), remote.clone(), Scheme::HTTP);
            let app = app.clone();
            async move {
                let response = app.get_response(poem::Request::from(parts)).await;
                Ok::<_, Infallible>(hyper::Response::from(response))
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "Connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?SHUTDOWN_GRACE,
            "Shutdown: requests still running after the grace period were cut off"
        );
    }
}
