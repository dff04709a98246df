//! What one delivery tells its operators: a metric per request of the shared body path,
//! and the fields of the delivery's span. Label values come from fixed sets, never from
//! what an unauthenticated client sent.
//!
//! - `clerk_webhook_deliveries_total{event_type, outcome}` (feature `metrics`).
//! - `clerk_webhook_receive_duration_seconds{outcome}`: headers received to verdict.
//! - Span fields `svix_id`, `event_type`, `outcome` recorded into the current span (see
//!   [`delivery_span`]); the integration records `status`.

use std::time::Duration;

use tracing::field::Empty;

use crate::error::WebhookError;
use crate::event::{ClerkEvent, EVENT_TYPES};
use crate::receive::Rejection;
use crate::webhook::VerifiedWebhook;

/// The span every integration opens around one delivery, handler included, so that every
/// line logged inside names it: `webhook{svix_id, event_type, outcome, status}`, the
/// first three recorded by [`WebhookConfig::receive`](crate::WebhookConfig::receive), the
/// status by the integration once the answer is known ([`record_status`]).
#[must_use]
pub fn delivery_span() -> tracing::Span {
    tracing::info_span!(
        "webhook",
        svix_id = Empty,
        event_type = Empty,
        outcome = Empty,
        status = Empty
    )
}

/// Records the HTTP status of the answer into `span` (a [`delivery_span`]).
pub fn record_status(span: &tracing::Span, status: u16) {
    span.record("status", status);
}

/// Every `outcome`, in a fixed order.
const OUTCOMES: [&str; 7] = [
    "accepted",
    "drifted",
    "unverified",
    "stale",
    "unusable",
    "too_large",
    "timed_out",
];

/// The `event_type` labels beyond [`EVENT_TYPES`]: a type this version does not know, and
/// a request with nothing verified.
const OTHER_EVENT_TYPES: [&str; 2] = ["unknown", "none"];

/// The `outcome` of a request of the body path: `accepted`, `drifted`, `unverified`,
/// `stale`, `unusable`, `too_large` or `timed_out`.
#[must_use]
pub fn outcome(result: &Result<VerifiedWebhook, Rejection>) -> &'static str {
    OUTCOMES[outcome_index(result)]
}

/// The position of [`outcome`] in [`OUTCOMES`].
fn outcome_index(result: &Result<VerifiedWebhook, Rejection>) -> usize {
    match result {
        Ok(webhook) if webhook.data_mismatch().is_some() => 1,
        Ok(_) => 0,
        Err(Rejection::Verification(
            WebhookError::TimestampTooOld { .. } | WebhookError::TimestampTooNew { .. },
        )) => 3,
        // Nothing was verified: missing or bad headers or signature, or a body that could
        // not be read.
        Err(Rejection::Verification(_) | Rejection::BodyRead(_) | Rejection::NotConfigured(_)) => 2,
        Err(Rejection::Unusable { .. }) => 4,
        Err(Rejection::PayloadTooLarge { .. }) => 5,
        Err(Rejection::BodyTimeout(_)) => 6,
    }
}

/// The `event_type` label: the type of an authentic delivery when this version knows it,
/// `unknown` when it does not, `none` when nothing was verified.
#[must_use]
pub fn event_type_label(result: &Result<VerifiedWebhook, Rejection>) -> &'static str {
    EVENT_TYPES
        .iter()
        .chain(OTHER_EVENT_TYPES.iter())
        .nth(event_type_index(result))
        .copied()
        .unwrap_or("unknown")
}

/// The position of [`event_type_label`] in [`EVENT_TYPES`] followed by
/// [`OTHER_EVENT_TYPES`].
fn event_type_index(result: &Result<VerifiedWebhook, Rejection>) -> usize {
    let unknown = EVENT_TYPES.len();
    match result {
        Ok(webhook) => match webhook.event() {
            ClerkEvent::Unknown { .. } => unknown,
            event => EVENT_TYPES
                .iter()
                .position(|known| *known == event.event_type())
                .unwrap_or(unknown),
        },
        Err(_) => unknown + 1,
    }
}

/// Counts one request of the body path and records its fields into the current span.
pub(crate) fn received(result: &Result<VerifiedWebhook, Rejection>, elapsed: Duration) {
    let (outcome, event_type) = (outcome_index(result), event_type_index(result));
    let span = tracing::Span::current();
    span.record("outcome", OUTCOMES[outcome]);
    match result {
        Ok(webhook) => {
            span.record("svix_id", webhook.message_id());
            span.record("event_type", event_type_label(result));
        }
        Err(Rejection::Unusable { svix_id, .. }) => {
            span.record("svix_id", svix_id.as_str());
        }
        Err(_) => {}
    }
    #[cfg(feature = "metrics")]
    keys::record(event_type, outcome, elapsed);
    #[cfg(not(feature = "metrics"))]
    let _ = (event_type, outcome, elapsed);
}

/// The metrics' keys, built once: a request only looks its two up (building a key with
/// its labels, and hashing it, cost more than recording the value).
#[cfg(feature = "metrics")]
mod keys {
    use std::sync::LazyLock;
    use std::time::Duration;

    use metrics::{Key, Label, Level, Metadata};

    use super::{EVENT_TYPES, OTHER_EVENT_TYPES, OUTCOMES};

    const DELIVERIES: &str = "clerk_webhook_deliveries_total";
    const DURATION: &str = "clerk_webhook_receive_duration_seconds";

    static METADATA: Metadata<'static> =
        Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

    /// `clerk_webhook_deliveries_total{event_type, outcome}`, at
    /// `event_type * OUTCOMES.len() + outcome`.
    pub(super) static DELIVERY_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| {
        let event_types = EVENT_TYPES.iter().chain(OTHER_EVENT_TYPES.iter());
        event_types
            .flat_map(|event_type| {
                OUTCOMES.iter().map(move |outcome| {
                    let labels = vec![
                        Label::from_static_parts("event_type", event_type),
                        Label::from_static_parts("outcome", outcome),
                    ];
                    Key::from_parts(DELIVERIES, labels)
                })
            })
            .collect()
    });

    /// `clerk_webhook_receive_duration_seconds{outcome}`, at `outcome`.
    pub(super) static DURATION_KEYS: LazyLock<Vec<Key>> = LazyLock::new(|| {
        OUTCOMES
            .iter()
            .map(|outcome| {
                Key::from_parts(DURATION, vec![Label::from_static_parts("outcome", outcome)])
            })
            .collect()
    });

    /// Counts and times one request, through the recorder in effect (a thread's local
    /// one first, as the `metrics` macros do).
    pub(super) fn record(event_type: usize, outcome: usize, elapsed: Duration) {
        let delivery = DELIVERY_KEYS.get(event_type * OUTCOMES.len() + outcome);
        let duration = DURATION_KEYS.get(outcome);
        metrics::with_recorder(|recorder| {
            if let Some(key) = delivery {
                recorder.register_counter(key, &METADATA).increment(1);
            }
            if let Some(key) = duration {
                recorder
                    .register_histogram(key, &METADATA)
                    .record(elapsed.as_secs_f64());
            }
        });
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::keys::{DELIVERY_KEYS, DURATION_KEYS};
    use super::{EVENT_TYPES, OTHER_EVENT_TYPES, OUTCOMES};

    fn labels(key: &metrics::Key) -> Vec<(String, String)> {
        key.labels()
            .map(|label| (label.key().to_owned(), label.value().to_owned()))
            .collect()
    }

    #[test]
    fn every_label_pair_has_its_key_at_its_index() {
        let event_types: Vec<&str> = EVENT_TYPES
            .iter()
            .chain(&OTHER_EVENT_TYPES)
            .copied()
            .collect();
        assert_eq!(DELIVERY_KEYS.len(), event_types.len() * OUTCOMES.len());
        for (e, event_type) in event_types.iter().enumerate() {
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let key = &DELIVERY_KEYS[e * OUTCOMES.len() + o];
                assert_eq!(key.name(), "clerk_webhook_deliveries_total");
                assert_eq!(
                    labels(key),
                    [
                        ("event_type".to_owned(), (*event_type).to_owned()),
                        ("outcome".to_owned(), (*outcome).to_owned())
                    ]
                );
            }
        }
        for (o, outcome) in OUTCOMES.iter().enumerate() {
            assert_eq!(
                DURATION_KEYS[o].name(),
                "clerk_webhook_receive_duration_seconds"
            );
            assert_eq!(
                labels(&DURATION_KEYS[o]),
                [("outcome".to_owned(), (*outcome).to_owned())]
            );
        }
    }
}
