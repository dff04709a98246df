//! What the store holds: messages, their deliveries (one per endpoint the message is routed
//! to), every attempt, and the endpoints.

use std::collections::BTreeMap;

use crate::clock::UnixMillis;

/// Where a message, or its delivery to one endpoint, stands, as the Dashboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Not delivered yet; an attempt is due (or waits for the endpoint to be enabled).
    Pending,
    /// An attempt got a 2xx.
    Succeeded,
    /// Every scheduled attempt failed, or the endpoint answered `abort-message`.
    Failed,
}

impl MessageStatus {
    /// The name stored and shown: `pending`, `succeeded` or `failed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// The status named `text`, `None` for any other text.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    pub(crate) fn from_column(text: &str) -> Self {
        Self::parse(text).unwrap_or(Self::Pending)
    }
}

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// Svix's schedule.
    Scheduled,
    /// A resend or a recovery.
    Manual,
}

impl Trigger {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
        }
    }

    pub(crate) fn from_column(text: &str) -> Self {
        if text == "manual" {
            Self::Manual
        } else {
            Self::Scheduled
        }
    }
}

/// One POST of a message to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The endpoint it went to (`ep_1` for the first).
    pub endpoint_id: String,
    /// 1 for the message's first attempt at this endpoint.
    pub number: u32,
    /// When it was sent.
    pub at: UnixMillis,
    /// Scheduled or manual.
    pub trigger: Trigger,
    /// The answer's status, `None` when there was no answer.
    pub status_code: Option<u16>,
    /// Why there was no answer (timeout, connection refused…).
    pub error: Option<String>,
    /// From sending to the end of the answer.
    pub latency_ms: u64,
    /// The answer's first 4 KiB, lossily decoded.
    pub response_body: String,
    /// The request headers sent (signature included; the secret is never sent).
    pub request_headers: BTreeMap<String, String>,
    /// The answer's `webhook-delivery` header.
    pub delivery_control: Option<String>,
}

impl Attempt {
    /// Whether the answer was a 2xx.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

/// A message's delivery to one endpoint: its own status and schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The endpoint.
    pub endpoint_id: String,
    /// Pending, succeeded or failed at this endpoint.
    pub status: MessageStatus,
    /// When the next scheduled attempt is due; `None` once succeeded or failed (or while
    /// an attempt is in flight).
    pub next_attempt_at: Option<UnixMillis>,
    /// Scheduled attempts to this endpoint that failed so far.
    pub scheduled_failures: u32,
}

/// A message, its deliveries and every attempt made with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `msg_…`, the `svix-id` of every attempt.
    pub id: String,
    /// The payload's `type`, when it has a string one.
    pub event_type: Option<String>,
    /// The raw payload, signed and sent as it is.
    pub payload: Vec<u8>,
    /// Over every delivery: Pending while any is, else Failed when any failed, else
    /// Succeeded (also when no endpoint subscribes to the event type: there was nothing
    /// to deliver, and `deliveries` is empty).
    pub status: MessageStatus,
    /// When it was created.
    pub created_at: UnixMillis,
    /// The earliest next scheduled attempt of its pending deliveries.
    pub next_attempt_at: Option<UnixMillis>,
    /// The most scheduled failures of any of its deliveries.
    pub scheduled_failures: u32,
    /// Every attempt, to every endpoint, in the order they were made.
    pub attempts: Vec<Attempt>,
    /// One per endpoint the message was routed to, in the endpoints' order.
    pub deliveries: Vec<Delivery>,
}

impl Message {
    /// The delivery to `endpoint_id`, if the message was routed there.
    #[must_use]
    pub fn delivery(&self, endpoint_id: &str) -> Option<&Delivery> {
        self.deliveries
            .iter()
            .find(|delivery| delivery.endpoint_id == endpoint_id)
    }

    /// The attempts made at `endpoint_id`, oldest first.
    pub fn attempts_to<'a>(&'a self, endpoint_id: &'a str) -> impl Iterator<Item = &'a Attempt> {
        self.attempts
            .iter()
            .filter(move |attempt| attempt.endpoint_id == endpoint_id)
    }

    /// Fills in the fields summed up from the deliveries.
    pub(crate) fn summarize(&mut self) {
        self.next_attempt_at = self
            .deliveries
            .iter()
            .filter(|d| d.status == MessageStatus::Pending)
            .filter_map(|d| d.next_attempt_at)
            .min();
        self.scheduled_failures = self
            .deliveries
            .iter()
            .map(|d| d.scheduled_failures)
            .max()
            .unwrap_or(0);
    }
}

/// Where messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `ep_1`, `ep_2`…: numbered in the order the endpoints were given.
    pub id: String,
    /// The URL attempts are POSTed to.
    pub url: String,
    /// The event types it subscribes to (`user.*` wildcards allowed); `None`: every type.
    pub filter_types: Option<Vec<String>>,
    /// False after a `webhook-delivery: disable` answer (or a disable), until enabled.
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<UnixMillis>,
}

/// A delivery due for an attempt, claimed, with its message (attempts not loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The message, without attempts.
    pub message: Message,
    /// The delivery as it was when claimed.
    pub delivery: Delivery,
}
