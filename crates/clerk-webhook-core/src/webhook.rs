//! [`VerifiedWebhook`]: a delivery whose signature matched, parsed into a Clerk event.

use std::ops::Range;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::envelope;
use crate::error::{PayloadProblem, WebhookError};
use crate::event::ClerkEvent;

/// A verified Clerk delivery: the typed event, the envelope around it, the delivery's
/// headers and the raw body exactly as received.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    message_id: String,
    delivery_timestamp: i64,
    body: Bytes,
    data_range: Range<usize>,
    object: Option<String>,
    timestamp: Option<i64>,
    instance_id: Option<String>,
    event_attributes: Option<EventAttributes>,
    /// `data.id` when `data` could not be held as a value (the event's own `data` is then
    /// `Null`).
    unheld_data_id: Option<String>,
    event: ClerkEvent,
}

/// What Clerk knows of the request that caused the event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct EventAttributes {
    /// The originating HTTP request, when there was one.
    pub http_request: Option<HttpRequestAttributes>,
}

/// The client behind the request that caused the event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct HttpRequestAttributes {
    /// The client's IP address.
    pub client_ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// The envelope members this crate reads: `type` and `data`, then the informational ones.
const ENVELOPE_MEMBERS: [&str; 6] = [
    "type",
    "data",
    "object",
    "timestamp",
    "instance_id",
    "event_attributes",
];

/// An authentic event whose `data` is an object serde_json cannot hold as a value (nested
/// deeper than its recursion limit of 128, a number beyond `f64`, a lone surrogate): it is
/// delivered as [`ClerkEvent::Mismatched`] with `Null` data, the reason, and `data.id` read
/// from the text; the text itself stays in the body.
fn unheld_data(
    event_type: String,
    data: &str,
    error: &serde_json::Error,
) -> (ClerkEvent, Option<String>) {
    let data_id = envelope::members(data, ["id"])
        .ok()
        .and_then(|[id]| envelope::string(id));
    let event = ClerkEvent::Mismatched {
        event_type,
        data: serde_json::Value::Null,
        error: format!(
            "`data` cannot be held as a JSON value ({error}); it is intact in data_json() and raw_body()"
        ),
    };
    (event, data_id)
}

impl VerifiedWebhook {
    /// Parses a body whose signature has already been verified.
    pub(crate) fn parse(
        message_id: &str,
        delivery_timestamp: i64,
        body: Bytes,
    ) -> Result<Self, WebhookError> {
        let problem = |reason| WebhookError::payload(reason);
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(problem(match serde_json::from_slice::<IgnoredAny>(&body) {
                Ok(_) => PayloadProblem::NotObject,
                Err(error) => PayloadProblem::NotJson(error.to_string()),
            }));
        }
        // JSON is UTF-8 (RFC 8259 section 8.1). serde_json would skip an ignored field's
        // string without checking it, so check the whole body once, then parse the text.
        let text = std::str::from_utf8(&body).map_err(|error| {
            problem(PayloadProblem::NotJson(format!(
                "the body is not UTF-8: {error}"
            )))
        })?;
        // Only the members are read here, never descended into: serde_json skips a value
        // with a loop, so any nesting depth is safe. Each field is then built on its own.
        let [
            event_type,
            data,
            object,
            timestamp,
            instance_id,
            event_attributes,
        ] = envelope::members(text, ENVELOPE_MEMBERS)
            .map_err(|error| problem(PayloadProblem::NotJson(error.to_string())))?;
        let event_type =
            envelope::string(event_type).ok_or(problem(PayloadProblem::MissingType))?;
        let data = data
            .filter(|raw| raw.get().starts_with('{'))
            .ok_or(problem(PayloadProblem::MissingData))?;
        let (event, unheld_data_id) = match ClerkEvent::from_data(&event_type, data.get()) {
            Ok(event) => (event, None),
            Err(error) => unheld_data(event_type, data.get(), &error),
        };
        Ok(Self {
            message_id: message_id.to_owned(),
            delivery_timestamp,
            data_range: range_within(text.as_bytes(), data.get()),
            object: envelope::lenient(object),
            timestamp: envelope::lenient(timestamp),
            instance_id: envelope::lenient(instance_id),
            event_attributes: envelope::lenient(event_attributes),
            unheld_data_id,
            event,
            body,
        })
    }

    /// The typed event.
    #[must_use]
    pub fn event(&self) -> &ClerkEvent {
        &self.event
    }

    /// Takes the typed event out.
    #[must_use]
    pub fn into_event(self) -> ClerkEvent {
        self.event
    }

    /// The event type, as Clerk spells it (`"user.created"`).
    #[must_use]
    pub fn event_type(&self) -> &str {
        self.event.event_type()
    }

    /// Why `data` did not fit this crate's model of a known event type, or could not be
    /// held as a JSON value at all ([`ClerkEvent::Mismatched`]); `None` when it did, or
    /// when the type is unknown and its `data` a value.
    #[must_use]
    pub fn data_mismatch(&self) -> Option<&str> {
        self.event.mismatch()
    }

    /// `data.id`, when there is one (read from the text when `data` cannot be held as a
    /// value).
    #[must_use]
    pub fn data_id(&self) -> Option<&str> {
        self.event.data_id().or(self.unheld_data_id.as_deref())
    }

    /// The `svix-id` header: unique per message and repeated on retries, so it is the
    /// idempotency key.
    #[must_use]
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The `svix-timestamp` header, Unix seconds (a retry carries a new one).
    #[must_use]
    pub fn delivery_timestamp(&self) -> i64 {
        self.delivery_timestamp
    }

    /// The envelope's `object` (`"event"`).
    #[must_use]
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }

    /// The envelope's `timestamp`, unconverted: Clerk's docs show milliseconds, its
    /// OpenAPI examples seconds.
    #[must_use]
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The Clerk instance (`ins_…`) that sent the event.
    #[must_use]
    pub fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }

    /// The envelope's `event_attributes`.
    #[must_use]
    pub fn event_attributes(&self) -> Option<&EventAttributes> {
        self.event_attributes.as_ref()
    }

    /// The IP address of the client whose request caused the event.
    #[must_use]
    pub fn client_ip(&self) -> Option<&str> {
        self.http_request()?.client_ip.as_deref()
    }

    /// The `User-Agent` of the client whose request caused the event.
    #[must_use]
    pub fn user_agent(&self) -> Option<&str> {
        self.http_request()?.user_agent.as_deref()
    }

    fn http_request(&self) -> Option<&HttpRequestAttributes> {
        self.event_attributes.as_ref()?.http_request.as_ref()
    }

    /// The body exactly as received (and as signed).
    #[must_use]
    pub fn raw_body(&self) -> &Bytes {
        &self.body
    }

    /// `data` as the JSON text Clerk sent, byte for byte.
    #[must_use]
    pub fn data_json(&self) -> &str {
        // The range was taken from a `&str` slice of the body, so it is valid UTF-8; the
        // fallback is never taken.
        self.body
            .get(self.data_range.clone())
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("{}")
    }

    /// `data` as a JSON value (its `Display` is compact JSON, handy for logging); `Null`
    /// when `data` cannot be held as one (nested deeper than serde_json's recursion limit,
    /// a number beyond `f64`: see [`ClerkEvent::Mismatched`]), then read
    /// [`data_json`](Self::data_json).
    #[must_use]
    pub fn data_value(&self) -> serde_json::Value {
        self.data().unwrap_or(serde_json::Value::Null)
    }

    /// Re-parses `data` into a type of your own.
    ///
    /// # Errors
    /// When `data` does not fit `T`.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.data_json())
    }

    /// Re-parses the whole body into a type of your own.
    ///
    /// # Errors
    /// When the body does not fit `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Where `part`, a slice borrowed from `whole`, lies within it.
fn range_within(whole: &[u8], part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    start..start + part.len()
}
