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

/// The `outcome` of a request of the body path: `accepted`, `drifted`, `unverified`,
/// `stale`, `unusable`, `too_large` or `timed_out`.
#[must_use]
pub fn outcome(result: &Result<VerifiedWebhook, Rejection>) -> &'static str {
    match result {
        Ok(webhook) if webhook.data_mismatch().is_some() => "drifted",
        Ok(_) => "accepted",
        Err(Rejection::Verification(
            WebhookError::TimestampTooOld { .. } | WebhookError::TimestampTooNew { .. },
        )) => "stale",
        // Nothing was verified: missing or bad headers or signature, or a body that could
        // not be read.
        Err(Rejection::Verification(_) | Rejection::BodyRead(_) | Rejection::NotConfigured(_)) => {
            "unverified"
        }
        Err(Rejection::Unusable { .. }) => "unusable",
        Err(Rejection::PayloadTooLarge { .. }) => "too_large",
        Err(Rejection::BodyTimeout(_)) => "timed_out",
    }
}

/// The `event_type` label: the type of an authentic delivery when this version knows it,
/// `unknown` when it does not, `none` when nothing was verified.
#[must_use]
pub fn event_type_label(result: &Result<VerifiedWebhook, Rejection>) -> &'static str {
    match result {
        Ok(webhook) => match webhook.event() {
            ClerkEvent::Unknown { .. } => "unknown",
            event => EVENT_TYPES
                .iter()
                .find(|known| **known == event.event_type())
                .copied()
                .unwrap_or("unknown"),
        },
        Err(_) => "none",
    }
}

/// Counts one request of the body path and records its fields into the current span.
pub(crate) fn received(result: &Result<VerifiedWebhook, Rejection>, elapsed: Duration) {
    let (outcome, event_type) = (outcome(result), event_type_label(result));
    let span = tracing::Span::current();
    span.record("outcome", outcome);
    match result {
        Ok(webhook) => {
            span.record("svix_id", webhook.message_id());
            span.record("event_type", event_type);
        }
        Err(Rejection::Unusable { svix_id, .. }) => {
            span.record("svix_id", svix_id.as_str());
        }
        Err(_) => {}
    }
    #[cfg(feature = "metrics")]
    {
        metrics::counter!(
            "clerk_webhook_deliveries_total",
            "event_type" => event_type,
            "outcome" => outcome
        )
        .increment(1);
        metrics::histogram!("clerk_webhook_receive_duration_seconds", "outcome" => outcome)
            .record(elapsed.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = elapsed;
}
