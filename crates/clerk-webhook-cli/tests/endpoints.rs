//! `send` and `check` over loopback, against a correct endpoint and two broken ones.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clerk_webhook_axum::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_cli::check::{self, CASES};
use clerk_webhook_cli::send::{self, Payload, SendPlan};
use clerk_webhook_cli::soak;
use clerk_webhook_cli::{Answer, Deliverer};
use clerk_webhook_core::EVENT_TYPES;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api/webhooks")
}

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SECRET).unwrap()
}

/// Correct: the axum integration.
fn correct() -> Router {
    async fn ok(_: ClerkWebhook) -> &'static str {
        "Webhook received"
    }
    Router::new()
        .route("/api/webhooks", post(ok))
        .with_state(WebhookConfig::new(verifier()))
}

/// Broken: accepts everything without verifying (and without a body limit).
fn skips_verification() -> Router {
    async fn ok(_: Bytes) -> &'static str {
        "ok"
    }
    Router::new()
        .route("/api/webhooks", post(ok))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Broken: parses the JSON and verifies its re-serialization, as a `Json<Value>` extractor
/// followed by `serde_json::to_vec` would.
fn reserializes_before_verifying() -> Router {
    async fn handler(headers: HeaderMap, body: Bytes) -> StatusCode {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return StatusCode::BAD_REQUEST;
        };
        let reserialized = serde_json::to_vec(&value).unwrap();
        match verifier().verify(&headers, reserialized) {
            Ok(_) => StatusCode::OK,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    Router::new().route("/api/webhooks", post(handler))
}

async fn check(app: Router) -> Vec<check::CheckRow> {
    let deliverer = Deliverer::new(&serve(app).await).unwrap();
    check::run(&deliverer, &verifier()).await.unwrap()
}

fn failing(rows: &[check::CheckRow]) -> Vec<&str> {
    rows.iter()
        .filter(|row| !row.passed)
        .map(|row| row.case)
        .collect()
}

#[tokio::test]
async fn send_of_every_event_type_gets_200() {
    let deliverer = Deliverer::new(&serve(correct()).await).unwrap();
    let payloads = EVENT_TYPES
        .iter()
        .map(|t| Payload::sample(t).unwrap())
        .collect::<Vec<_>>();
    let plan = SendPlan {
        count: payloads.len() * 2,
        payloads,
        concurrency: 8,
        progress: false,
        fresh_ids: false,
    };
    let report = send::run(&deliverer, &verifier(), &plan).await.unwrap();
    assert_eq!(report.deliveries.len(), 92);
    assert!(report.all_succeeded(), "{}", report.summary());
    assert_eq!(report.status_counts().get("200"), Some(&92));
    let mut sent: Vec<&str> = report
        .deliveries
        .iter()
        .map(|d| d.event_type.as_str())
        .collect();
    sent.sort_unstable();
    sent.dedup();
    assert_eq!(sent.len(), 46);
    assert!(report.latency_quantile(0.5) <= report.latency_quantile(0.99));
}

#[tokio::test]
async fn send_reports_a_refused_delivery() {
    let other = WebhookVerifier::new("whsec_plJ3nmyCDGBKInavdOK15jsl").unwrap();
    let deliverer = Deliverer::new(&serve(correct()).await).unwrap();
    let plan = SendPlan {
        payloads: vec![Payload::sample("user.created").unwrap()],
        count: 1,
        concurrency: 1,
        progress: false,
        fresh_ids: false,
    };
    let report = send::run(&deliverer, &other, &plan).await.unwrap();
    assert!(!report.all_succeeded());
    assert_eq!(
        report.deliveries[0].outcome.answer,
        Answer::Status {
            code: 400,
            body: "Error verifying webhook".to_owned()
        }
    );
}

#[tokio::test]
async fn check_passes_a_correct_endpoint() {
    let rows = check(correct()).await;
    assert_eq!(rows.len(), CASES.len());
    assert!(failing(&rows).is_empty(), "{}", check::table(&rows));
    assert!(check::table(&rows).ends_with("All 11 checks pass.\n"));
}

#[tokio::test]
async fn check_flags_an_endpoint_that_skips_verification() {
    let rows = check(skips_verification()).await;
    assert_eq!(
        failing(&rows),
        CASES[2..].to_vec(),
        "{}",
        check::table(&rows)
    );
    assert!(rows.iter().filter(|r| !r.passed).all(|r| r.hint.is_some()));
    assert!(check::table(&rows).contains("9 of 11 checks FAIL."));
}

#[tokio::test]
async fn check_flags_an_endpoint_that_reserializes_before_verifying() {
    let rows = check(reserializes_before_verifying()).await;
    // The published (pretty-printed) delivery fails; its compact twin passes.
    assert_eq!(
        failing(&rows),
        ["valid delivery"],
        "{}",
        check::table(&rows)
    );
    let hint = rows[0].hint.unwrap();
    assert!(
        hint.contains("parsed and re-serialized the JSON before verifying"),
        "{hint}"
    );
}

#[test]
fn fresh_ids_make_distinct_rows() {
    let payload = Payload::sample("user.created").unwrap();
    let a: serde_json::Value = serde_json::from_slice(&payload.body_with_fresh_id("a_1")).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&payload.body_with_fresh_id("a_2")).unwrap();
    assert_eq!(a["data"]["id"], "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S_a_1");
    assert_ne!(a["data"]["id"], b["data"]["id"]);
    assert_eq!(a["data"]["first_name"], "John");
}

async fn soak(app: Router, count: usize) -> soak::SoakReport {
    let deliverer = Deliverer::new(&serve(app).await).unwrap();
    let plan = soak::SoakPlan {
        count,
        concurrency: 8,
        pid: Some(std::process::id()),
    };
    soak::run(&deliverer, &verifier(), &plan).await.unwrap()
}

#[tokio::test]
async fn soak_of_a_correct_endpoint_passes() {
    let report = soak(correct(), 500).await;
    assert_eq!(report.total(), 500);
    let sent: Vec<usize> = soak::Kind::ALL
        .iter()
        .map(|kind| report.kinds[kind].sent)
        .collect();
    assert_eq!(sent, [295, 100, 50, 50, 5], "{}", report.summary());
    assert!(
        report.kinds.values().all(|tally| tally.wrong == 0),
        "{}",
        report.summary()
    );
    assert_eq!(report.server_errors(), 0);
    assert_eq!(report.rss.len(), 11, "RSS sampled before and every tenth");
}

#[tokio::test]
async fn soak_of_an_endpoint_that_skips_verification_fails() {
    let report = soak(skips_verification(), 200).await;
    assert!(!report.passed(), "{}", report.summary());
    for kind in [
        soak::Kind::Tampered,
        soak::Kind::Stale,
        soak::Kind::Oversized,
    ] {
        let tally = &report.kinds[&kind];
        assert_eq!(tally.wrong, tally.sent, "{kind:?}: {}", report.summary());
    }
    assert!(report.summary().ends_with("FAILED"));
}
