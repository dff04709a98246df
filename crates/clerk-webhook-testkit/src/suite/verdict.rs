//! What each request of the suite must leave behind for its operators: exactly one count of
//! `clerk_webhook_deliveries_total` and one `clerk_webhook_receive_duration_seconds` value
//! with the right labels, and one `webhook` span carrying `svix_id`, `event_type`,
//! `outcome` and the answer's `status`. The expected values come from the case (what was
//! sent), never from the code under test.

use std::collections::BTreeMap;

use clerk_webhook_core::EVENT_TYPES;

use crate::deliveries::Delivery;
use crate::observe::{Observation, SpanFields};

const DELIVERIES: &str = "clerk_webhook_deliveries_total";
const DURATION: &str = "clerk_webhook_receive_duration_seconds";

/// What one request must be observed as.
#[derive(Debug, Clone)]
pub(crate) enum Expect {
    /// A request of the body path.
    Delivery(Verdict),
    /// Not a delivery (another method): nothing counted.
    NotADelivery,
}

/// The verdict of the shared body path on one request.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    outcome: &'static str,
    /// The `event_type` label.
    event_type: String,
    /// The verified `svix-id`, when the delivery is authentic.
    svix_id: Option<String>,
}

impl Verdict {
    /// Authentic and handed to the handler (`accepted` or `drifted`), of event type
    /// `event_type`.
    pub(crate) fn delivered(outcome: &'static str, delivery: &Delivery, event_type: &str) -> Self {
        let label = if EVENT_TYPES.contains(&event_type) {
            event_type.to_owned()
        } else {
            "unknown".to_owned()
        };
        Self {
            outcome,
            event_type: label,
            svix_id: Some(delivery.id.clone()),
        }
    }

    /// Authentic, handed over as `accepted`, its event type read from its body.
    pub(crate) fn accepted(delivery: &Delivery) -> Self {
        Self::delivered("accepted", delivery, &event_type_of(delivery))
    }

    /// Authentic but unusable: refused with `abort-message`.
    pub(crate) fn unusable(delivery: &Delivery) -> Self {
        Self {
            outcome: "unusable",
            event_type: "none".to_owned(),
            svix_id: Some(delivery.id.clone()),
        }
    }

    /// Nothing verified (`unverified`, `stale`, `too_large`): no event type, no id.
    pub(crate) fn refused(outcome: &'static str) -> Self {
        Self {
            outcome,
            event_type: "none".to_owned(),
            svix_id: None,
        }
    }

    fn handed_over(&self) -> bool {
        matches!(self.outcome, "accepted" | "drifted")
    }
}

/// The `type` of the delivery's body (empty when it has none).
pub(crate) fn event_type_of(delivery: &Delivery) -> String {
    serde_json::from_slice::<serde_json::Value>(&delivery.body)
        .ok()
        .and_then(|value| value["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Asserts what `case` (answered `status`) left behind.
pub(crate) fn check(case: &str, expect: &Expect, status: u16, seen: &Observation) {
    let counted: Vec<_> = seen
        .samples_of(DELIVERIES)
        .into_iter()
        .map(|sample| (sample.labels.clone(), sample.value))
        .collect();
    let verdict = match expect {
        Expect::NotADelivery => {
            assert!(
                counted.is_empty(),
                "{case}: not a delivery, yet counted: {counted:?}"
            );
            return;
        }
        Expect::Delivery(verdict) => verdict,
    };
    let labels = BTreeMap::from([
        ("event_type".to_owned(), verdict.event_type.clone()),
        ("outcome".to_owned(), verdict.outcome.to_owned()),
    ]);
    assert_eq!(
        counted,
        [(labels, 1.0)],
        "{case}: {DELIVERIES} must count this request exactly once, with these labels"
    );
    let durations: Vec<_> = seen
        .samples_of(DURATION)
        .into_iter()
        .map(|sample| sample.labels.clone())
        .collect();
    let outcome = BTreeMap::from([("outcome".to_owned(), verdict.outcome.to_owned())]);
    assert_eq!(durations, [outcome], "{case}: one {DURATION} value");

    let mut fields = SpanFields::from([
        ("outcome".to_owned(), verdict.outcome.to_owned()),
        ("status".to_owned(), status.to_string()),
    ]);
    if let Some(id) = &verdict.svix_id {
        fields.insert("svix_id".to_owned(), id.clone());
    }
    if verdict.handed_over() {
        fields.insert("event_type".to_owned(), verdict.event_type.clone());
    }
    assert_eq!(
        seen.spans,
        [fields],
        "{case}: one `webhook` span for the delivery, with its fields"
    );
}
