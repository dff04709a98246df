//! The Clerk CLI's capture format: one NDJSON line per delivery, as
//! `clerk webhooks listen --json` writes it.
//!
//! ```json
//! {"type":"event","svix_id":"msg_…","event_type":"user.created",
//!  "headers":{"svix-id":"msg_…","svix-signature":"v1,…","svix-timestamp":"1796059985"},
//!  "body_b64":"eyJkYXRhIjp7…","forward_status":200,"latency_ms":12}
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clerk_webhook_core::testing::SignedDelivery;

use crate::engine::AttemptReport;

/// The `type` of a line that holds a delivery.
pub const EVENT_LINE: &str = "event";

/// One captured delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaptureLine {
    /// `event` for a delivery; other kinds of line are skipped.
    #[serde(rename = "type")]
    pub kind: String,
    /// The `svix-id`.
    pub svix_id: String,
    /// The payload's `type`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The svix-* headers as sent, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The raw body in standard base64.
    pub body_b64: String,
    /// The status the local handler answered; `null` when it did not answer.
    #[serde(default)]
    pub forward_status: Option<u16>,
    /// How long the local handler took.
    #[serde(default)]
    pub latency_ms: Option<u64>,
}

/// A capture line that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Not JSON of the capture shape.
    #[error("not a capture line: {0}")]
    Shape(#[from] serde_json::Error),
    /// `body_b64` is not standard base64.
    #[error("body_b64 is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// A svix-* header is missing.
    #[error("the line has no {0} header")]
    MissingHeader(&'static str),
}

impl CaptureLine {
    /// The line for one attempt of `dev`.
    #[must_use]
    pub fn of_attempt(report: &AttemptReport) -> Self {
        Self::of_delivery(
            &report.delivery,
            report.event_type.clone(),
            report.attempt.status_code,
            Some(report.attempt.latency_ms),
        )
    }

    /// The line for `delivery`, answered with `forward_status`.
    #[must_use]
    pub fn of_delivery(
        delivery: &SignedDelivery,
        event_type: Option<String>,
        forward_status: Option<u16>,
        latency_ms: Option<u64>,
    ) -> Self {
        Self {
            kind: EVENT_LINE.to_owned(),
            svix_id: delivery.id.clone(),
            event_type,
            headers: delivery
                .headers()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            body_b64: STANDARD.encode(&delivery.body),
            forward_status,
            latency_ms,
        }
    }

    /// Parses one NDJSON line.
    ///
    /// # Errors
    /// [`CaptureError::Shape`].
    pub fn parse(line: &str) -> Result<Self, CaptureError> {
        Ok(serde_json::from_str(line)?)
    }

    /// Whether this line holds a delivery.
    #[must_use]
    pub fn is_event(&self) -> bool {
        self.kind == EVENT_LINE
    }

    /// A captured header's value, found by name in any case.
    ///
    /// # Errors
    /// [`CaptureError::MissingHeader`].
    pub fn header(&self, name: &'static str) -> Result<&str, CaptureError> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .ok_or(CaptureError::MissingHeader(name))
    }

    /// The raw body.
    ///
    /// # Errors
    /// [`CaptureError::Base64`].
    pub fn body(&self) -> Result<Vec<u8>, CaptureError> {
        Ok(STANDARD.decode(&self.body_b64)?)
    }

    /// The line as one line of NDJSON.
    #[must_use]
    pub fn to_ndjson(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
