use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A waitlist sign-up (`waitlistEntry.created`, `waitlistEntry.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WaitlistEntry {
    /// `wle_…`
    pub id: String,
    /// `"waitlist_entry"` per the schema; `"waitlistEntry"` in Clerk's examples.
    pub object: Option<String>,
    /// The address that signed up.
    pub email_address: Option<String>,
    /// `pending`, `invited`, `rejected`, `completed`.
    pub status: Option<String>,
    /// Whether the entry is locked.
    pub is_locked: Option<bool>,
    /// The invitation sent, untyped.
    pub invitation: Option<Value>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
