use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::null_as_default;

/// A billing payment attempt (`paymentAttempt.created`, `paymentAttempt.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentAttempt {
    /// `pa_…`
    pub id: String,
    /// Absent in Clerk's examples.
    pub object: Option<String>,
    /// The Clerk instance.
    pub instance_id: Option<String>,
    /// The payment.
    pub payment_id: Option<String>,
    /// The statement.
    pub statement_id: Option<String>,
    /// The payment gateway's id (e.g. a Stripe PaymentIntent).
    pub gateway_external_id: Option<String>,
    /// `pending`, `paid`, `failed`.
    pub status: Option<String>,
    /// `checkout` or `recurring`.
    pub charge_type: Option<String>,
    /// The payer.
    pub payer: Option<BillingPayer>,
    /// Amounts, untyped.
    pub totals: Option<Value>,
    /// Items paid for, untyped.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subscription_items: Vec<Value>,
    /// When it was paid, Unix milliseconds.
    pub paid_at: Option<i64>,
    /// When it failed, Unix milliseconds.
    pub failed_at: Option<i64>,
    /// Why it failed, untyped.
    pub failed_reason: Option<Value>,
    /// Billing date, Unix milliseconds.
    pub billing_date: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A billing subscription (`subscription.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subscription {
    /// `csub_…`
    pub id: String,
    /// `"commerce_subscription"`.
    pub object: Option<String>,
    /// `active`, `past_due`, …
    pub status: Option<String>,
    /// The payer's id.
    pub payer_id: Option<String>,
    /// The payer.
    pub payer: Option<BillingPayer>,
    /// The latest payment.
    pub latest_payment_id: Option<String>,
    /// The payment source.
    pub payment_source_id: Option<String>,
    /// The subscription's items.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<SubscriptionItem>,
    /// When it became active, Unix milliseconds.
    pub active_at: Option<i64>,
    /// When it went past due, Unix milliseconds.
    pub past_due_at: Option<i64>,
    /// When it was canceled, Unix milliseconds.
    pub canceled_at: Option<i64>,
    /// When it ended, Unix milliseconds.
    pub ended_at: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One plan within a subscription (`subscriptionItem.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionItem {
    /// `csub_item_…`
    pub id: String,
    /// `"subscription_item"` or `"commerce_subscription_item"`.
    pub object: Option<String>,
    /// `active`, `canceled`, `ended`, `past_due`, `upcoming`, …
    pub status: Option<String>,
    /// The subscription it belongs to.
    pub subscription_id: Option<String>,
    /// The plan's id.
    pub plan_id: Option<String>,
    /// The plan, untyped.
    pub plan: Option<Value>,
    /// The payer.
    pub payer: Option<BillingPayer>,
    /// `month` or `annual`.
    pub interval: Option<String>,
    /// Whether this is a free trial.
    pub is_free_trial: Option<bool>,
    /// Seats, untyped.
    pub seats: Option<Value>,
    /// Period start, Unix milliseconds.
    pub period_start: Option<i64>,
    /// Period end, Unix milliseconds.
    pub period_end: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who pays: a user, or an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillingPayer {
    /// `cpayer_…`
    pub id: Option<String>,
    /// The paying user.
    pub user_id: Option<String>,
    /// The paying organization (may be empty).
    pub organization_id: Option<String>,
    /// The organization's name.
    pub organization_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Image.
    pub image_url: Option<String>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
