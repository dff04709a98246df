//! `LocalSvix`, through its public API only, against the axum example's app: the guide's
//! handler (`ClerkWebhook` extractor, "Webhook received") on a free port, as in
//! `examples/axum` (whose `app()` is private to its binary; the end-to-end checks of
//! `clerk-webhook-testkit` drive the real example binaries through `LocalSvix` too).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use clerk_webhook_axum::{ClerkWebhook, WebhookConfig, WebhookVerifier};
use clerk_webhook_dev::{
    EndpointOptions, LocalSvix, ManualClock, Message, MessageStatus, RETRY_SCHEDULE,
};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_b3RoZXItc2VjcmV0LWZvci1yZXBsYXktdGVzdHM=";
const WAIT: Duration = Duration::from_secs(10);

/// The example app's state, plus what a test needs to see and to make it fail.
#[derive(Clone)]
struct AppState {
    config: WebhookConfig,
    /// `(svix-id, event type)` of every delivery the handler accepted or failed.
    seen: Arc<Mutex<Vec<(String, String)>>>,
    /// The handler answers 500 (say, its database is down) this many times first.
    failures_left: Arc<AtomicUsize>,
}

impl FromRef<AppState> for WebhookConfig {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

/// The guide's handler, as in `examples/axum`.
async fn webhook(
    State(state): State<AppState>,
    ClerkWebhook(webhook): ClerkWebhook,
) -> (StatusCode, &'static str) {
    state.seen.lock().unwrap().push((
        webhook.message_id().to_owned(),
        webhook.event_type().to_owned(),
    ));
    let failing = state
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return (StatusCode::INTERNAL_SERVER_ERROR, "database unavailable");
    }
    (StatusCode::OK, "Webhook received")
}

/// The app, on a free port, verifying with `secret` and failing its first `failures`.
struct App {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl App {
    async fn start(secret: &str, failures: usize) -> Self {
        let state = AppState {
            config: WebhookConfig::new(WebhookVerifier::new(secret).unwrap()),
            seen: Arc::default(),
            failures_left: Arc::new(AtomicUsize::new(failures)),
        };
        let seen = Arc::clone(&state.seen);
        let app = Router::new()
            .route("/api/webhooks", post(webhook))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/webhooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, seen }
    }

    fn event_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.1.clone())
            .collect();
        types.sort();
        types
    }
}

fn codes(message: &Message, endpoint: &str) -> Vec<Option<u16>> {
    message
        .attempts_to(endpoint)
        .map(|a| a.status_code)
        .collect()
}

#[tokio::test]
async fn a_delivery_succeeds_on_the_first_attempt() {
    let app = App::start(SECRET, 0).await;
    let svix = LocalSvix::builder()
        .endpoint(app.url.as_str())
        .secret(SECRET)
        .time_scale(0.001)
        .start()
        .await
        .unwrap();
    let id = svix.send_example("user.created").await.unwrap();
    let message = svix.wait_settled(&id, WAIT).await.unwrap();

    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(message.attempts.len(), 1);
    let attempt = &message.attempts[0];
    assert_eq!(attempt.status_code, Some(200));
    assert_eq!(attempt.response_body, "Webhook received");
    assert_eq!(attempt.error, None);
    assert_eq!(attempt.request_headers["svix-id"], id);
    assert!(attempt.request_headers["svix-signature"].starts_with("v1,"));
    assert_eq!(
        app.seen.lock().unwrap().as_slice(),
        [(id, "user.created".to_owned())]
    );
}

#[tokio::test]
async fn a_handler_failing_twice_succeeds_on_the_third_attempt_with_one_svix_id() {
    let app = App::start(SECRET, 2).await;
    let svix = LocalSvix::builder()
        .endpoint(app.url.as_str())
        .secret(SECRET)
        .time_scale(0.001) // retries after 5 ms and 300 ms
        .start()
        .await
        .unwrap();
    let id = svix.send_example("user.created").await.unwrap();
    let message = svix.wait_settled(&id, WAIT).await.unwrap();

    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(codes(&message, "ep_1"), [Some(500), Some(500), Some(200)]);
    assert_eq!(message.attempts[0].response_body, "database unavailable");
    let seen = app.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(svix_id, _)| *svix_id == id), "{seen:?}");
}

#[tokio::test]
async fn a_manual_clock_steps_through_the_schedule_without_sleeping() {
    let app = App::start(SECRET, 2).await;
    let clock = Arc::new(ManualClock::starting_now());
    let svix = LocalSvix::builder()
        .endpoint(app.url.as_str())
        .secret(SECRET)
        .manual_clock(Arc::clone(&clock))
        .start()
        .await
        .unwrap();
    let id = svix.send_example("user.updated").await.unwrap();
    assert_eq!(
        svix.run_due().await.unwrap(),
        1,
        "the first attempt is at once"
    );
    let pending = svix.message(&id).await.unwrap();
    assert_eq!(pending.status, MessageStatus::Pending);

    clock.advance(RETRY_SCHEDULE[1] - Duration::from_millis(1));
    assert_eq!(svix.run_due().await.unwrap(), 0, "1 ms before Svix's 5 s");
    clock.advance(Duration::from_millis(1));
    assert_eq!(svix.run_due().await.unwrap(), 1, "the retry after 5 s");
    clock.advance(RETRY_SCHEDULE[2]);
    assert_eq!(svix.run_due().await.unwrap(), 1, "the retry after 5 min");

    let message = svix.wait_settled(&id, Duration::ZERO).await.unwrap();
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(codes(&message, "ep_1"), [Some(500), Some(500), Some(200)]);
    let gaps: Vec<i64> = message
        .attempts
        .windows(2)
        .map(|w| w[1].at - w[0].at)
        .collect();
    assert_eq!(
        gaps,
        [5_000, 300_000],
        "Svix's schedule, on the manual clock"
    );
}

#[tokio::test]
async fn a_filtered_endpoint_gets_only_its_event_types_and_an_unfiltered_one_gets_all() {
    let users = App::start(SECRET, 0).await;
    let everything = App::start(SECRET, 0).await;
    let svix = LocalSvix::builder()
        .endpoint(EndpointOptions::new(&users.url).filter_types(["user.*"]))
        .endpoint(everything.url.as_str())
        .secret(SECRET)
        .time_scale(0.001)
        .start()
        .await
        .unwrap();
    let organization = svix.send_example("organization.created").await.unwrap();
    let user = svix.send_example("user.created").await.unwrap();
    let organization = svix.wait_settled(&organization, WAIT).await.unwrap();
    let user = svix.wait_settled(&user, WAIT).await.unwrap();

    assert_eq!(users.event_types(), ["user.created"]);
    assert_eq!(
        everything.event_types(),
        ["organization.created", "user.created"]
    );
    assert_eq!(organization.status, MessageStatus::Succeeded);
    assert!(
        organization.delivery("ep_1").is_none(),
        "not routed to user.*"
    );
    assert_eq!(codes(&organization, "ep_1"), []);
    assert_eq!(codes(&organization, "ep_2"), [Some(200)]);
    assert_eq!(codes(&user, "ep_1"), [Some(200)]);
    assert_eq!(codes(&user, "ep_2"), [Some(200)]);
    let endpoints = svix.endpoints().await.unwrap();
    assert_eq!(endpoints[0].filter_types, Some(vec!["user.*".to_owned()]));
    assert_eq!(endpoints[1].filter_types, None);
}

#[tokio::test]
async fn two_endpoints_sign_with_their_own_secrets() {
    let first = App::start(SECRET, 0).await;
    let second = App::start(OTHER_SECRET, 0).await;
    let svix = LocalSvix::builder()
        .endpoint(first.url.as_str())
        .endpoint(EndpointOptions::new(&second.url).secret(OTHER_SECRET))
        .secret(SECRET)
        .time_scale(0.001)
        .start()
        .await
        .unwrap();
    let id = svix.send_example("session.created").await.unwrap();
    let message = svix.wait_settled(&id, WAIT).await.unwrap();

    // Each app verifies with its own secret: a signature made with the other is a 400.
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(codes(&message, "ep_1"), [Some(200)]);
    assert_eq!(codes(&message, "ep_2"), [Some(200)]);
    let signature = |endpoint: &str| {
        let attempt = message.attempts_to(endpoint).next().unwrap();
        attempt.request_headers["svix-signature"].clone()
    };
    assert_ne!(signature("ep_1"), signature("ep_2"));
    assert_eq!(first.event_types(), ["session.created"]);
    assert_eq!(second.event_types(), ["session.created"]);
}

#[tokio::test]
async fn a_disabled_endpoint_does_not_hold_the_other() {
    let held = App::start(SECRET, 0).await;
    let live = App::start(SECRET, 0).await;
    let svix = LocalSvix::builder()
        .endpoint(held.url.as_str())
        .endpoint(live.url.as_str())
        .secret(SECRET)
        .time_scale(0.001)
        .start()
        .await
        .unwrap();
    assert!(!svix.disable("ep_1").await.unwrap().enabled);
    let id = svix.send_example("user.created").await.unwrap();

    let deadline = tokio::time::Instant::now() + WAIT;
    let message = loop {
        let message = svix.message(&id).await.unwrap();
        if message.delivery("ep_2").unwrap().status != MessageStatus::Pending {
            break message;
        }
        assert!(tokio::time::Instant::now() < deadline, "{message:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(codes(&message, "ep_2"), [Some(200)]);
    assert_eq!(
        message.delivery("ep_1").unwrap().status,
        MessageStatus::Pending
    );
    assert_eq!(
        codes(&message, "ep_1"),
        [],
        "nothing goes to a disabled endpoint"
    );
    assert_eq!(message.status, MessageStatus::Pending, "still due at ep_1");
    assert!(held.event_types().is_empty());

    svix.enable("ep_1").await.unwrap();
    let message = svix.wait_settled(&id, WAIT).await.unwrap();
    assert_eq!(message.status, MessageStatus::Succeeded);
    assert_eq!(codes(&message, "ep_1"), [Some(200)]);
    assert_eq!(held.event_types(), ["user.created"]);
}

#[tokio::test]
async fn bad_settings_are_refused_with_a_reason() {
    let refused = async |builder: clerk_webhook_dev::LocalSvixBuilder| {
        builder.start().await.unwrap_err().to_string()
    };
    let url = "http://127.0.0.1:9/api/webhooks";
    let no_endpoint = refused(LocalSvix::builder().secret(SECRET)).await;
    assert!(no_endpoint.contains("no endpoint"), "{no_endpoint}");
    let no_secret = refused(LocalSvix::builder().endpoint(url)).await;
    assert!(no_secret.contains("no signing secret"), "{no_secret}");
    let bad_url = refused(LocalSvix::builder().endpoint("ftp://x").secret(SECRET)).await;
    assert!(bad_url.contains("http"), "{bad_url}");
    let bad_filter = EndpointOptions::new(url).filter_types(["user*"]);
    let bad_filter = refused(LocalSvix::builder().endpoint(bad_filter).secret(SECRET)).await;
    assert!(bad_filter.contains("\"user*\""), "{bad_filter}");
    let bad_scale = refused(
        LocalSvix::builder()
            .endpoint(url)
            .secret(SECRET)
            .time_scale(-1.0),
    )
    .await;
    assert!(bad_scale.contains("time scale"), "{bad_scale}");
    let bad_secret = refused(LocalSvix::builder().endpoint(url).secret("whsec_%%%")).await;
    assert!(
        !bad_secret.contains("%%%"),
        "never the secret: {bad_secret}"
    );
}
