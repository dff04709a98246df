use serde::{Deserialize, Serialize};

/// The stub Clerk sends for `user.deleted`, `organization.deleted`,
/// `organizationDomain.deleted`, `role.deleted` and `permission.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The id of what was deleted.
    pub id: String,
    /// What kind of object it was (`"user"`, `"organization"`, …).
    pub object: Option<String>,
    /// Always `true` in Clerk's payloads.
    pub deleted: Option<bool>,
    /// The slug, for organizations and roles (may be `null`).
    pub slug: Option<String>,
    /// The user's external id, when Clerk includes it.
    pub external_id: Option<String>,
}
