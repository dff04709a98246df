//! `send`, `check` and `soak` over loopback, against a correct endpoint and broken ones.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse as _;
use axum::routing::{get, post};
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
    assert!(matches!(
        &report.deliveries[0].outcome.answer,
        Answer::Status { code: 400, body, delivery_control: None, .. } if body == "Error verifying webhook"
    ));
}

#[tokio::test]
async fn check_passes_a_correct_endpoint() {
    let rows = check(correct()).await;
    assert_eq!(rows.len(), CASES.len());
    assert!(failing(&rows).is_empty(), "{}", check::table(&rows));
    assert!(
        rows.iter().all(|row| row.note.is_none()),
        "{}",
        check::table(&rows)
    );
    assert!(check::table(&rows).ends_with("All 16 checks pass.\n"));
}

/// The cases that must be refused (the authentic body without `type`, case 6, may be
/// acknowledged).
fn refusals() -> Vec<&'static str> {
    CASES[7..].to_vec()
}

#[tokio::test]
async fn check_flags_an_endpoint_that_skips_verification() {
    let rows = check(skips_verification()).await;
    assert_eq!(failing(&rows), refusals(), "{}", check::table(&rows));
    assert!(rows.iter().filter(|r| !r.passed).all(|r| r.hint.is_some()));
    assert!(check::table(&rows).contains("9 of 16 checks FAIL."));
}

/// Right, as Clerk's reference handler (`verifyWebhook` in Express) is: verifies the raw
/// body, refuses forgeries with 400, and acknowledges every authentic body, `type` or not.
fn acknowledges_every_authentic_body() -> Router {
    async fn handler(headers: HeaderMap, body: Bytes) -> StatusCode {
        match verifier().verify(&headers, body) {
            Ok(_) => StatusCode::OK,
            Err(error) if error.is_authentic() => StatusCode::OK,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    Router::new().route("/api/webhooks", post(handler))
}

#[tokio::test]
async fn check_passes_an_endpoint_that_acknowledges_a_body_without_type_with_a_note() {
    let rows = check(acknowledges_every_authentic_body()).await;
    assert!(failing(&rows).is_empty(), "{}", check::table(&rows));
    let untyped = &rows[6];
    assert_eq!(untyped.case, "authentic body without type");
    assert!(untyped.got.is_success(), "{}", check::table(&rows));
    assert_eq!(untyped.note, Some(check::NOTE_ACKNOWLEDGED));
    let table = check::table(&rows);
    assert!(table.contains(check::NOTE_ACKNOWLEDGED), "{table}");
    assert!(table.contains("4xx|2xx"), "{table}");
    assert!(table.ends_with("All 16 checks pass.\n"), "{table}");
}

/// Broken: verifies, then answers 500 to an authentic body without `type` (Svix retries it
/// for 28 hours).
fn fails_on_a_body_without_type() -> Router {
    async fn handler(headers: HeaderMap, body: Bytes) -> StatusCode {
        match verifier().verify(&headers, body) {
            Ok(_) => StatusCode::OK,
            Err(error) if error.is_authentic() => StatusCode::INTERNAL_SERVER_ERROR,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }
    Router::new().route("/api/webhooks", post(handler))
}

#[tokio::test]
async fn check_flags_a_5xx_for_a_body_without_type() {
    let rows = check(fails_on_a_body_without_type()).await;
    assert_eq!(
        failing(&rows),
        ["authentic body without type"],
        "{}",
        check::table(&rows)
    );
    assert!(rows[6].hint.unwrap().contains("a 5xx tells Svix to retry"));
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
    // It refuses the authentic body without `type`, but without the delivery header: a
    // recommendation, not a failure.
    let unusable = &rows[6];
    assert_eq!(unusable.case, "authentic body without type");
    assert!(unusable.passed);
    assert_eq!(unusable.note, Some(check::NOTE_ABORT));
    assert!(check::table(&rows).contains(check::NOTE_ABORT));
}

/// Broken: verifies, then refuses data that does not fit the typed model (what a strict
/// typed SDK does).
fn refuses_drifted_data() -> Router {
    async fn handler(webhook: ClerkWebhook) -> StatusCode {
        if webhook.data_mismatch().is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    }
    Router::new()
        .route("/api/webhooks", post(handler))
        .with_state(WebhookConfig::new(verifier()))
}

#[tokio::test]
async fn check_flags_an_endpoint_that_refuses_drifted_data() {
    let rows = check(refuses_drifted_data()).await;
    assert_eq!(
        failing(&rows),
        CASES[4..6].to_vec(),
        "{}",
        check::table(&rows)
    );
    assert!(
        rows[4]
            .hint
            .unwrap()
            .contains("Clerk adds and changes fields")
    );
}

/// Broken: compares only the first `v1` entry of the signature header.
fn checks_only_the_first_signature() -> Router {
    async fn handler(headers: HeaderMap, body: Bytes) -> StatusCode {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let first = header("svix-signature").split(' ').next().unwrap_or("");
        let timestamp: i64 = header("svix-timestamp").parse().unwrap_or(0);
        let expected = verifier().sign(header("svix-id"), timestamp, &body);
        if first == expected
            && serde_json::from_slice::<serde_json::Value>(&body)
                .is_ok_and(|v| v["type"].is_string())
        {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        }
    }
    Router::new().route("/api/webhooks", post(handler))
}

#[tokio::test]
async fn check_flags_an_endpoint_that_checks_only_the_first_signature() {
    let rows = check(checks_only_the_first_signature()).await;
    assert!(
        failing(&rows).starts_with(&["rotation: another secret's v1 first"]),
        "{}",
        check::table(&rows)
    );
    assert!(rows[2].hint.unwrap().contains("any `v1` entry"));
    assert!(rows[3].passed, "{}", check::table(&rows));
}

/// An endpoint that answers every POST with `status`, `content_type` and `body`, plus a
/// `location` for redirects.
fn answers(status: StatusCode, content_type: &'static str, body: &'static str) -> Router {
    let handler = move || async move {
        let mut response = (status, [("content-type", content_type)], body).into_response();
        if status.is_redirection() {
            response
                .headers_mut()
                .insert("location", HeaderValue::from_static("/sign-in"));
        }
        response
    };
    Router::new()
        .route("/api/webhooks", post(handler))
        .route("/sign-in", get(|| async { "<html>Sign in</html>" }))
}

#[tokio::test]
async fn a_refused_valid_delivery_is_explained_by_its_answer() {
    let cases = [
        (
            answers(StatusCode::UNAUTHORIZED, "text/plain", "Unauthorized"),
            check::HINT_NOT_PUBLIC,
        ),
        (
            answers(StatusCode::FORBIDDEN, "text/plain", ""),
            check::HINT_NOT_PUBLIC,
        ),
        (
            answers(StatusCode::FOUND, "text/plain", ""),
            check::HINT_NOT_PUBLIC,
        ),
        (
            answers(
                StatusCode::BAD_REQUEST,
                "text/html",
                "<!doctype html><p>Sign in</p>",
            ),
            check::HINT_NOT_PUBLIC,
        ),
        (
            answers(StatusCode::NOT_FOUND, "text/plain", "Not Found"),
            check::HINT_NOT_FOUND,
        ),
        (
            Router::new().route("/api/webhooks", get(|| async { "only GET" })),
            check::HINT_NOT_POST,
        ),
    ];
    for (app, hint) in cases {
        let rows = check(app).await;
        let table = check::table(&rows);
        assert!(!rows[0].passed, "{table}");
        assert_eq!(rows[0].hint, Some(hint), "{table}");
        assert!(table.contains(hint));
    }
    // A redirect is a failed attempt for Svix: it is reported, never followed to a 200.
    let rows = check(answers(StatusCode::FOUND, "text/plain", "")).await;
    assert_eq!(check::answer_code(&rows[0].got), Some(302));
}

#[tokio::test]
async fn check_of_a_closed_port_says_to_start_the_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/webhooks", listener.local_addr().unwrap());
    drop(listener);
    let error = check::run(&Deliverer::new(&url).unwrap(), &verifier())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("Is the server running"),
        "{error}"
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
    assert_eq!(sent, [270, 25, 100, 50, 50, 5], "{}", report.summary());
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

#[tokio::test]
async fn soak_of_an_endpoint_that_refuses_drifted_data_fails() {
    let report = soak(refuses_drifted_data(), 200).await;
    assert!(!report.passed(), "{}", report.summary());
    let drifted = &report.kinds[&soak::Kind::Drifted];
    assert_eq!(
        (drifted.sent, drifted.wrong),
        (10, 10),
        "{}",
        report.summary()
    );
}
