use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::User;

/// A session (`session.created`, `.pending`, `.ended`, `.removed`, `.revoked`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// `sess_…`
    pub id: String,
    /// `"session"`.
    pub object: Option<String>,
    /// The session's user.
    pub user_id: Option<String>,
    /// The user, as newer payloads embed it.
    pub user: Option<Box<User>>,
    /// The client (browser or device) the session belongs to.
    pub client_id: Option<String>,
    /// `active`, `pending`, `ended`, `removed`, `revoked`, …
    pub status: Option<String>,
    /// Impersonation actor, untyped.
    pub actor: Option<Value>,
    /// The organization last active in this session.
    pub last_active_organization_id: Option<String>,
    /// Where the session was last used.
    pub latest_activity: Option<SessionActivity>,
    /// Last activity, Unix milliseconds.
    pub last_active_at: Option<i64>,
    /// Expiry, Unix milliseconds.
    pub expire_at: Option<i64>,
    /// Abandonment time, Unix milliseconds.
    pub abandon_at: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where and on what a session was last active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionActivity {
    /// `activity_…`
    pub id: Option<String>,
    /// `desktop`, `mobile`, …
    pub device_type: Option<String>,
    /// Whether the device is mobile.
    pub is_mobile: Option<bool>,
    /// Browser name.
    pub browser_name: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// Client IP address.
    pub ip_address: Option<String>,
    /// City, from the IP address.
    pub city: Option<String>,
    /// Country, from the IP address.
    pub country: Option<String>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
