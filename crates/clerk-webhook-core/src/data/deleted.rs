use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The stub Clerk sends for `user.deleted`, `organization.deleted`,
/// `organizationDomain.deleted`, `role.deleted` and `permission.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The id of what was deleted. Clerk's spec does not require it (its examples always
    /// have it).
    pub id: Option<String>,
    /// What kind of object it was (`"user"`, `"organization"`, …).
    pub object: Option<String>,
    /// Always `true` in Clerk's payloads.
    pub deleted: Option<bool>,
    /// The slug, for organizations and roles (may be `null`).
    pub slug: Option<String>,
    /// The user's external id, when Clerk includes it.
    pub external_id: Option<String>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
