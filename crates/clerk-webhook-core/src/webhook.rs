//! [`VerifiedWebhook`]: a delivery whose signature matched, parsed into a Clerk event.

use std::ops::Range;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

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

/// The event envelope, borrowing `type` checks and `data` from the body.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", default, borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "lenient")]
    object: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    event_attributes: Option<EventAttributes>,
}

/// Envelope fields beyond `type` and `data` are informational: a wrong type drops the field
/// instead of refusing a correctly signed event.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
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
        let envelope: Envelope<'_> = serde_json::from_str(text)
            .map_err(|error| problem(PayloadProblem::NotJson(error.to_string())))?;
        let event_type = envelope
            .event_type
            .and_then(|raw| serde_json::from_str::<&str>(raw.get()).ok())
            .ok_or(problem(PayloadProblem::MissingType))?;
        let data = envelope
            .data
            .filter(|raw| raw.get().starts_with('{'))
            .ok_or(problem(PayloadProblem::MissingData))?;
        // `data` is an object (checked above), so it is JSON: this never fails; a typed
        // model that does not fit is `ClerkEvent::Mismatched`, not an error.
        let event = ClerkEvent::from_data(event_type, data.get())
            .map_err(|error| problem(PayloadProblem::NotJson(error.to_string())))?;
        let data_range = range_within(text.as_bytes(), data.get());
        let Envelope {
            object,
            timestamp,
            instance_id,
            event_attributes,
            ..
        } = envelope;
        Ok(Self {
            message_id: message_id.to_owned(),
            delivery_timestamp,
            data_range,
            object,
            timestamp,
            instance_id,
            event_attributes,
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

    /// Why `data` did not fit this crate's model of a known event type
    /// ([`ClerkEvent::Mismatched`]); `None` when it did, or when the type is unknown.
    #[must_use]
    pub fn data_mismatch(&self) -> Option<&str> {
        self.event.mismatch()
    }

    /// `data.id`, when there is one.
    #[must_use]
    pub fn data_id(&self) -> Option<&str> {
        self.event.data_id()
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

    /// `data` as a JSON value (its `Display` is compact JSON, handy for logging).
    #[must_use]
    pub fn data_value(&self) -> serde_json::Value {
        // `data` was checked to be a JSON object when the delivery was parsed.
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
