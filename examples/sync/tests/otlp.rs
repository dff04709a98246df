//! `example-sync --features otlp` exports its spans over OTLP (HTTP/protobuf) to
//! `OTEL_EXPORTER_OTLP_ENDPOINT`: a receiver inside this test decodes the export and finds
//! the delivery's span by its `svix_id`. The feature is off in the default build, so the
//! test builds the binary with it (same target directory: only the exporter's crates are
//! new).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_core::testing::{SignedDelivery, unix_now};
use clerk_webhook_testkit::TEST_SECRET;
use common::{free_port, start_with, wait_for};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message as _;

type Spans = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// An OTLP/HTTP receiver on loopback: every span it is sent, with its attributes as text.
fn receiver() -> (u16, Spans) {
    let spans: Spans = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let app = Router::new()
        .route(
            "/v1/traces",
            post(|State(spans): State<Spans>, body: Bytes| async move {
                let request = ExportTraceServiceRequest::decode(body).unwrap();
                for span in request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .flat_map(|s| &s.spans)
                {
                    let attributes = span
                        .attributes
                        .iter()
                        .map(|kv| {
                            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                                Some(AnyValue::StringValue(text)) => text.clone(),
                                Some(AnyValue::IntValue(number)) => number.to_string(),
                                other => format!("{other:?}"),
                            };
                            (kv.key.clone(), value)
                        })
                        .collect();
                    spans.lock().unwrap().push((span.name.clone(), attributes));
                }
                ""
            }),
        )
        .with_state(Arc::clone(&spans));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (port, spans)
}

/// The example built with `--features otlp`, copied out of the target directory (a later
/// build puts the default one back there).
fn otlp_binary(dir: &std::path::Path) -> std::path::PathBuf {
    let built = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--locked",
            "-p",
            "example-sync",
            "--features",
            "otlp",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let copy = dir.join("example-sync-otlp");
    std::fs::copy(env!("CARGO_BIN_EXE_example-sync"), &copy).unwrap();
    copy
}

#[test]
fn spans_are_exported_over_otlp_with_the_svix_id() {
    let dir = tempfile::tempdir().unwrap();
    let binary = otlp_binary(dir.path());
    let (collector, spans) = receiver();
    let url = format!("sqlite://{}/otlp.db", dir.path().display());
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{collector}");
    let mut server = start_with(
        binary.to_str().unwrap(),
        &url,
        port,
        // RUST_LOG filters what is exported too: the delivery span is at info.
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("RUST_LOG", "info"),
        ],
    );
    wait_for(port);
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let body = serde_json::json!({"type": "user.created", "object": "event", "timestamp": unix_now(),
        "data": {"object": "user", "id": "user_otlp", "email_addresses": [], "created_at": 1, "updated_at": 1}});
    let delivery = SignedDelivery::sign(&verifier, "msg_otlp_1", unix_now(), body.to_string());
    assert_eq!(common::post(port, &delivery), Some(200));
    // SIGTERM: a graceful stop flushes the exporter.
    let term = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let span = loop {
        let found = spans
            .lock()
            .unwrap()
            .iter()
            .find(|(_, attributes)| {
                attributes
                    .iter()
                    .any(|(k, v)| k == "svix_id" && v == "msg_otlp_1")
            })
            .cloned();
        if let Some(span) = found {
            break span;
        }
        assert!(
            Instant::now() < deadline,
            "no span with svix_id msg_otlp_1: {:?}",
            spans.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = server.wait();
    let attribute = |key: &str| {
        span.1
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(span.0, "webhook");
    assert_eq!(attribute("event_type").as_deref(), Some("user.created"));
    assert_eq!(attribute("outcome").as_deref(), Some("accepted"));
    assert_eq!(attribute("status").as_deref(), Some("200"));
}
