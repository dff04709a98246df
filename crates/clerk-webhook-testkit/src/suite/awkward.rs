//! Authentic deliveries that are awkward to read but must still be delivered: valid JSON
//! that trips a parser (deep nesting, escapes, huge numbers, duplicated keys) and header
//! values that are UTF-8 but not ASCII.

use crate::deliveries::{
    Delivery, ToTestRequest as _, awkward_authentic_bodies, now, user_created, verifier,
};
use crate::{TEST_SECRET, WebhookTestApp};

use super::verdict::{Expect, Verdict};
use super::{SuccessBody, Suite};

impl<A: WebhookTestApp> Suite<'_, A> {
    /// Accepted with 200 and counted as `outcome`, and the handler saw `event_type` and
    /// `data_id` (when the app echoes them).
    async fn expect_delivered(
        &self,
        case: &str,
        delivery: &Delivery,
        (outcome, event_type, data_id): (&'static str, &str, &str),
    ) {
        let expect = Expect::Delivery(Verdict::delivered(outcome, delivery, event_type));
        let response = self.send(case, delivery.request(), expect).await;
        assert_eq!(
            response.status,
            200,
            "{case}: status; body {:?}",
            response.text()
        );
        let expected = match self.options.success {
            SuccessBody::Exact(text) => text.to_owned(),
            SuccessBody::EchoTypeAndId => format!("{event_type} {data_id}"),
        };
        assert_eq!(response.text(), expected, "{case}: body");
    }

    pub(super) async fn awkward_authentic_json_is_delivered(&self) {
        for awkward in awkward_authentic_bodies() {
            assert!(
                awkward.body.len() <= self.options.body_limit,
                "{}",
                awkward.case
            );
            let delivery = crate::deliveries::signed(TEST_SECRET, awkward.body.as_str());
            let seen = (awkward.outcome, awkward.event_type, awkward.data_id);
            self.expect_delivered(awkward.case, &delivery, seen).await;
        }
    }

    pub(super) async fn non_ascii_utf8_header_values_are_accepted(&self) {
        let id = format!("msg_\u{e9}t\u{e9}_{}", now());
        let delivery = Delivery::sign(&verifier(TEST_SECRET), id, now(), user_created());
        let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
        let data_id = value["data"]["id"].as_str().unwrap_or_default();
        self.expect_delivered(
            "svix-id msg_\u{e9}t\u{e9} (UTF-8, not ASCII)",
            &delivery,
            ("accepted", "user.created", data_id),
        )
        .await;
    }
}
