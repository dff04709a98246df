//! Serving a public webhook URL with the connection limits it needs.
//!
//! `axum::serve`, `warp::serve` and poem's `Server` all run hyper without a timer, so
//! hyper's header-read timeout never fires: a client that drips one header byte a second
//! (slowloris) holds its connection, a task and its buffers for as long as it likes.
//! [`serve`] is the accept loop those three examples share instead: hyper's HTTP/1.1
//! server with a timer and [`header_read_timeout`](hyper::server::conn::http1::Builder::header_read_timeout),
//! so a request head must arrive within the header timeout (an idle keep-alive connection
//! is closed after it too), and a graceful shutdown that lets in-flight requests finish.
//! The body is bounded separately, by the integrations' body timeout.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long in-flight requests may take to finish once shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves HTTP/1.1 on `listener` until Ctrl-C or SIGTERM, calling `make_service` with each
/// connection's peer address. A request head that takes longer than `header_timeout` to
/// arrive closes its connection.
pub async fn serve<M, S, B>(listener: TcpListener, header_timeout: Duration, make_service: M)
where
    M: Fn(SocketAddr) -> S,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(crate::shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!("Could not accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are written whole; waiting for more to coalesce only adds latency.
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), make_service(peer));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("Connection from {peer} ended: {error}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "Shutdown: requests still running after {}s were cut off",
            SHUTDOWN_GRACE.as_secs()
        );
    }
}
