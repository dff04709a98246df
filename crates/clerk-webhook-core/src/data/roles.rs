use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::null_as_default;

/// An organization role (`role.created`, `role.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// `role_…`
    pub id: String,
    /// `"role"`.
    pub object: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Key, e.g. `org:admin`.
    pub key: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Whether the role may be given to an organization's creator.
    pub is_creator_eligible: Option<bool>,
    /// The role's permissions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<Permission>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An organization permission (`permission.created`, `permission.updated`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// `perm_…`
    pub id: String,
    /// `"permission"`.
    pub object: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Key, e.g. `org:posts:create`.
    pub key: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `system` or `custom`.
    #[serde(rename = "type")]
    pub permission_type: Option<String>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
