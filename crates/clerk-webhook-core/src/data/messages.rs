use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An email Clerk sent or asked you to send (`email.created`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Email {
    /// `ema_…`
    pub id: String,
    /// `"email"`.
    pub object: Option<String>,
    /// The template slug (`verification_code`, …).
    pub slug: Option<String>,
    /// Recipient.
    pub to_email_address: Option<String>,
    /// The recipient's email address id.
    pub email_address_id: Option<String>,
    /// The user it was sent to.
    pub user_id: Option<String>,
    /// Sender display name.
    pub from_email_name: Option<String>,
    /// Subject line.
    pub subject: Option<String>,
    /// HTML body.
    pub body: Option<String>,
    /// Plain-text body.
    pub body_plain: Option<String>,
    /// Delivery status.
    pub status: Option<String>,
    /// Whether Clerk delivered it (false: you must).
    pub delivered_by_clerk: Option<bool>,
    /// Template variables, untyped.
    pub data: Option<Value>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A text message Clerk sent or asked you to send (`sms.created`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SmsMessage {
    /// `sms_…`
    pub id: String,
    /// `"sms_message"`.
    pub object: Option<String>,
    /// The template slug.
    pub slug: Option<String>,
    /// Sender number.
    pub from_phone_number: Option<String>,
    /// Recipient number.
    pub to_phone_number: Option<String>,
    /// The recipient's phone number id.
    pub phone_number_id: Option<String>,
    /// The user it was sent to.
    pub user_id: Option<String>,
    /// The text.
    pub message: Option<String>,
    /// Delivery status.
    pub status: Option<String>,
    /// Whether Clerk delivered it (false: you must).
    pub delivered_by_clerk: Option<bool>,
    /// Template variables, untyped.
    pub data: Option<Value>,
    /// Creation time, Unix milliseconds, as Clerk's examples name it (its spec says
    /// `created_at_ms`): read [`SmsMessage::created_at_millis`], which takes either.
    pub created_at: Option<i64>,
    /// Creation time, Unix milliseconds, as Clerk's spec names it.
    pub created_at_ms: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SmsMessage {
    /// Creation time, Unix milliseconds, under either name: `created_at_ms` (Clerk's spec)
    /// or `created_at` (Clerk's example).
    #[must_use]
    pub fn created_at_millis(&self) -> Option<i64> {
        self.created_at_ms.or(self.created_at)
    }
}
