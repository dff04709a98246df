//! The shared suite: every case an integration must pass, status by status.

mod awkward;
mod verdict;

use clerk_webhook_core::samples::{SAMPLES, drifted_samples};

use clerk_webhook_core::{ABORT_MESSAGE, DELIVERY_CONTROL_HEADER};

use crate::deliveries::{
    Delivery, ToTestRequest as _, UNUSABLE_BODIES, WEBHOOK_PATH, now, signed, signed_at,
    user_created, user_created_of_size,
};
use crate::observe::Observer;
use crate::{TEST_SECRET, TestRequest, TestResponse, WRONG_SECRET, WebhookTestApp};
use verdict::{Expect, Verdict, event_type_of};

/// What the app under test answers to a verified delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuccessBody {
    /// This exact text (the examples answer `Webhook received`).
    Exact(&'static str),
    /// `"{event type} {data.id}"`: the handler echoes what it extracted, which proves the
    /// typed event reached it.
    EchoTypeAndId,
}

/// How the app under test is configured.
#[derive(Debug, Clone, Copy)]
pub struct SuiteOptions {
    /// The app's body limit, in bytes.
    pub body_limit: usize,
    /// What a verified delivery gets back.
    pub success: SuccessBody,
}

/// Held by a running suite (see [`run_suite`]).
static SUITES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs every case against `app`, which must serve `POST /api/webhooks`, accept
/// [`TEST_SECRET`], and answer verified deliveries with `options.success`.
///
/// Every request is also checked for what its operators see: counted exactly once in
/// `clerk_webhook_deliveries_total{event_type, outcome}` (and once in
/// `clerk_webhook_receive_duration_seconds{outcome}`), and handled inside one `webhook`
/// span that carries `svix_id`, `event_type`, `outcome` and `status`. So the app must
/// open the integration's delivery span around its webhook route (`delivery_span`).
///
/// Suites in one test binary run one at a time: the span capture reads what `tracing`
/// decided for a callsite, and a suite registering a callsite while another captures
/// could make that decision for both.
///
/// # Panics
/// On the first case the app gets wrong, naming it.
pub async fn run_suite(app: &impl WebhookTestApp, options: SuiteOptions) {
    let _one_at_a_time = SUITES.lock().await;
    let suite = Suite {
        app,
        options,
        observer: Observer::new(),
    };
    suite.every_sample_event_type_is_accepted().await;
    suite.unknown_event_type_is_accepted().await;
    suite.standard_webhooks_headers_are_accepted().await;
    suite.several_signatures_with_one_valid_are_accepted().await;
    suite.content_type_is_not_checked().await;
    suite.missing_header_combinations_are_rejected().await;
    suite.wrong_secret_is_rejected().await;
    suite.tampered_body_is_rejected().await;
    suite.reserialized_json_is_rejected().await;
    suite.stale_and_future_timestamps_are_rejected().await;
    suite.empty_signature_is_rejected().await;
    suite.authentic_but_unusable_bodies_stop_retries().await;
    suite.drifted_data_is_accepted().await;
    suite.awkward_authentic_json_is_delivered().await;
    suite.non_utf8_header_values_are_rejected().await;
    suite.non_ascii_utf8_header_values_are_accepted().await;
    suite.body_of_exactly_the_limit_is_accepted().await;
    suite.body_over_the_limit_is_refused().await;
    suite.get_is_not_allowed().await;
}

/// The contract's "not configured" row, for the frameworks where an app can be built without
/// its [`WebhookConfig`](clerk_webhook_core::WebhookConfig) (actix-web's app data, poem's
/// request data, Rocket's managed state): `app` serves `POST /api/webhooks` with
/// `ClerkWebhook` but was given no config. In axum and warp the config is part of the
/// router's state or the filter, so its absence does not compile.
///
/// # Panics
/// When a valid delivery does not get `500 Webhook receiver is not configured`.
pub async fn run_unconfigured_suite(app: &impl WebhookTestApp) {
    let _one_at_a_time = SUITES.lock().await;
    let delivery = signed(TEST_SECRET, user_created());
    let response = app.send(delivery.request()).await;
    assert_eq!(
        (response.status, response.text().as_str()),
        (500, "Webhook receiver is not configured"),
        "valid delivery to an app without a WebhookConfig"
    );
    let content_type = response.content_type.as_deref().unwrap_or_default();
    assert!(content_type.starts_with("text/plain"), "{content_type:?}");
    assert_eq!(response.header(DELIVERY_CONTROL_HEADER), None);
}

struct Suite<'a, A> {
    app: &'a A,
    options: SuiteOptions,
    observer: Observer,
}

impl<A: WebhookTestApp> Suite<'_, A> {
    /// Sends `request` and checks what it left behind for operators (see [`run_suite`]).
    async fn send(&self, case: &str, request: TestRequest, expect: Expect) -> TestResponse {
        let (response, seen) = self.observer.observe(self.app.send(request)).await;
        verdict::check(case, &expect, response.status, &seen);
        response
    }

    async fn expect_accepted(&self, case: &str, delivery: &Delivery) {
        self.expect_accepted_request(case, delivery, delivery.request())
            .await;
    }

    async fn expect_accepted_request(&self, case: &str, delivery: &Delivery, request: TestRequest) {
        let verdict = Verdict::accepted(delivery);
        self.expect_handed_over(case, delivery, request, verdict)
            .await;
    }

    /// Answered 200 by the handler, which saw `delivery`'s event.
    async fn expect_handed_over(
        &self,
        case: &str,
        delivery: &Delivery,
        request: TestRequest,
        verdict: Verdict,
    ) {
        let response = self.send(case, request, Expect::Delivery(verdict)).await;
        assert_eq!(
            response.status,
            200,
            "{case}: status; body {:?}",
            response.text()
        );
        match self.options.success {
            SuccessBody::Exact(text) => assert_eq!(response.text(), text, "{case}: body"),
            SuccessBody::EchoTypeAndId => {
                let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
                let expected = format!(
                    "{} {}",
                    value["type"].as_str().unwrap_or_default(),
                    value["data"]["id"].as_str().unwrap_or_default()
                );
                assert_eq!(response.text(), expected, "{case}: echoed event");
            }
        }
    }

    /// A forgery, or a delivery that cannot be verified: 400 without `webhook-delivery`,
    /// so Svix keeps retrying (a wrong secret is fixable). Counted `unverified`.
    async fn expect_rejected(&self, case: &str, request: TestRequest) {
        self.expect_rejected_as(case, request, "unverified").await;
    }

    /// [`Self::expect_rejected`], counted as `outcome`.
    async fn expect_rejected_as(&self, case: &str, request: TestRequest, outcome: &'static str) {
        let expect = Expect::Delivery(Verdict::refused(outcome));
        let response = self
            .expect_status(case, request, 400, "Error verifying webhook", expect)
            .await;
        assert_eq!(
            response.header(DELIVERY_CONTROL_HEADER),
            None,
            "{case}: a delivery that may verify on a retry must not stop its retries"
        );
    }

    async fn expect_status(
        &self,
        case: &str,
        request: TestRequest,
        status: u16,
        body: &str,
        expect: Expect,
    ) -> TestResponse {
        let response = self.send(case, request, expect).await;
        assert_eq!(
            response.status,
            status,
            "{case}: status; body {:?}",
            response.text()
        );
        assert_eq!(response.text(), body, "{case}: body");
        let content_type = response.content_type.as_deref().unwrap_or_default();
        assert!(
            content_type.starts_with("text/plain"),
            "{case}: content type {content_type:?}"
        );
        response
    }

    async fn every_sample_event_type_is_accepted(&self) {
        assert_eq!(SAMPLES.len(), 46);
        for sample in SAMPLES {
            let delivery = signed(TEST_SECRET, sample.payload);
            self.expect_accepted(sample.event_type, &delivery).await;
        }
    }

    async fn unknown_event_type_is_accepted(&self) {
        let body = r#"{"type":"invoice.paid","object":"event","data":{"id":"inv_1"}}"#;
        let delivery = signed(TEST_SECRET, body);
        self.expect_accepted("unknown event type", &delivery).await;
    }

    async fn standard_webhooks_headers_are_accepted(&self) {
        let delivery = signed(TEST_SECRET, user_created());
        let request =
            delivery.request_with_names(["webhook-id", "webhook-timestamp", "webhook-signature"]);
        self.expect_accepted_request("webhook-* headers", &delivery, request)
            .await;
    }

    async fn several_signatures_with_one_valid_are_accepted(&self) {
        let mut delivery = signed(TEST_SECRET, user_created());
        let decoy = signed(WRONG_SECRET, delivery.body.clone());
        delivery.signature = format!("v1a,abc {}  {} v2,xyz", decoy.signature, delivery.signature);
        self.expect_accepted("several signatures", &delivery).await;
    }

    async fn content_type_is_not_checked(&self) {
        let delivery = signed(TEST_SECRET, user_created());
        let mut request = delivery.request();
        request.headers.retain(|(name, _)| name != "content-type");
        let request = request.header("content-type", "text/plain");
        self.expect_accepted_request("text/plain content type", &delivery, request)
            .await;
    }

    async fn missing_header_combinations_are_rejected(&self) {
        let delivery = signed(TEST_SECRET, user_created());
        let names = ["svix-id", "svix-timestamp", "svix-signature"];
        for mask in 0..7u8 {
            let mut request = delivery.request();
            request.headers.retain(|(name, _)| {
                let position = names.iter().position(|n| n == name);
                position.is_none_or(|i| mask & (1 << i) != 0)
            });
            self.expect_rejected(&format!("headers kept by mask {mask:03b}"), request)
                .await;
        }
        let blank = delivery.request_with_names(["svix-id", "svix-timestamp", "x-unused"]);
        let blank = blank.header("svix-signature", "   ");
        self.expect_rejected("blank signature", blank).await;
    }

    async fn wrong_secret_is_rejected(&self) {
        let delivery = signed(WRONG_SECRET, user_created());
        self.expect_rejected("wrong secret", delivery.request())
            .await;
    }

    async fn tampered_body_is_rejected(&self) {
        let mut delivery = signed(TEST_SECRET, user_created());
        let text = String::from_utf8(delivery.body.clone()).unwrap();
        delivery.body = text.replacen("John", "Mallory", 1).into_bytes();
        self.expect_rejected("tampered body", delivery.request())
            .await;
    }

    async fn reserialized_json_is_rejected(&self) {
        let mut delivery = signed(TEST_SECRET, user_created());
        let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
        delivery.body = serde_json::to_vec(&value).unwrap();
        self.expect_rejected("re-serialized JSON", delivery.request())
            .await;
    }

    async fn stale_and_future_timestamps_are_rejected(&self) {
        for (case, offset) in [("stale timestamp", -360), ("future timestamp", 360)] {
            let delivery = signed_at(TEST_SECRET, user_created(), now() + offset);
            self.expect_rejected_as(case, delivery.request(), "stale")
                .await;
        }
        let mut delivery = signed(TEST_SECRET, user_created());
        delivery.timestamp -= 1;
        self.expect_rejected(
            "signature replayed with another timestamp",
            delivery.request(),
        )
        .await;
    }

    async fn empty_signature_is_rejected(&self) {
        let mut delivery = signed(TEST_SECRET, user_created());
        delivery.signature = "v1,".to_owned();
        self.expect_rejected("empty v1 signature", delivery.request())
            .await;
    }

    async fn authentic_but_unusable_bodies_stop_retries(&self) {
        for (case, body) in UNUSABLE_BODIES {
            let delivery = signed(TEST_SECRET, *body);
            let expect = Expect::Delivery(Verdict::unusable(&delivery));
            let response = self
                .expect_status(
                    case,
                    delivery.request(),
                    400,
                    "Invalid webhook payload",
                    expect,
                )
                .await;
            assert_eq!(
                response.header(DELIVERY_CONTROL_HEADER),
                Some(ABORT_MESSAGE),
                "{case}: an authentic delivery no retry can fix must stop its retries"
            );
        }
    }

    async fn drifted_data_is_accepted(&self) {
        let drifted = drifted_samples();
        assert_eq!(drifted.len(), 3);
        for (case, body) in drifted {
            let delivery = signed(TEST_SECRET, body);
            let verdict = Verdict::delivered("drifted", &delivery, &event_type_of(&delivery));
            self.expect_handed_over(case, &delivery, delivery.request(), verdict)
                .await;
        }
    }

    async fn non_utf8_header_values_are_rejected(&self) {
        if !self.app.sends_raw_header_bytes() {
            return;
        }
        let delivery = signed(TEST_SECRET, user_created());
        for target in ["svix-id", "svix-timestamp", "svix-signature"] {
            let mut request = delivery.request();
            for (name, value) in &mut request.headers {
                if name == target {
                    value.extend_from_slice(&[0xff, 0xfe]);
                }
            }
            self.expect_rejected(&format!("non-UTF-8 {target}"), request)
                .await;
        }
    }

    async fn body_of_exactly_the_limit_is_accepted(&self) {
        let body = user_created_of_size(self.options.body_limit);
        let delivery = signed(TEST_SECRET, body);
        self.expect_accepted("body of exactly the limit", &delivery)
            .await;
    }

    async fn body_over_the_limit_is_refused(&self) {
        // Correctly signed, so only the size can refuse it.
        let body = user_created_of_size(self.options.body_limit + 1);
        let delivery = signed(TEST_SECRET, body);
        self.expect_status(
            "body over the limit",
            delivery.request(),
            413,
            "Webhook payload too large",
            Expect::Delivery(Verdict::refused("too_large")),
        )
        .await;
    }

    async fn get_is_not_allowed(&self) {
        let request = TestRequest {
            method: "GET",
            path: WEBHOOK_PATH.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let response = self.send("GET", request, Expect::NotADelivery).await;
        assert!(
            matches!(response.status, 404 | 405),
            "GET: status {}",
            response.status
        );
    }
}
