use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Metadata, null_as_default};

/// An organization (`organization.created`, `.updated`, and inside memberships).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Organization {
    /// `org_…`
    pub id: String,
    /// `"organization"`.
    pub object: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// URL-friendly name.
    pub slug: Option<String>,
    /// Logo.
    pub image_url: Option<String>,
    /// Whether a logo was uploaded.
    pub has_image: Option<bool>,
    /// The user who created it.
    pub created_by: Option<String>,
    /// Number of members.
    pub members_count: Option<i64>,
    /// Membership limit.
    pub max_allowed_memberships: Option<i64>,
    /// Whether admins may delete it.
    pub admin_delete_enabled: Option<bool>,
    /// Metadata readable from the frontend.
    pub public_metadata: Option<Metadata>,
    /// Backend-only metadata.
    pub private_metadata: Option<Metadata>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's membership of an organization (`organizationMembership.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// `orgmem_…`
    pub id: String,
    /// `"organization_membership"`.
    pub object: Option<String>,
    /// Role key, e.g. `org:member` (older payloads: `basic_member`).
    pub role: Option<String>,
    /// Role display name.
    pub role_name: Option<String>,
    /// Permission keys granted by the role.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<String>,
    /// The organization.
    pub organization: Option<Organization>,
    /// The member.
    pub public_user_data: Option<PublicUserData>,
    /// Metadata readable from the frontend.
    pub public_metadata: Option<Metadata>,
    /// Backend-only metadata.
    pub private_metadata: Option<Metadata>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OrganizationMembership {
    /// The organization's id.
    #[must_use]
    pub fn organization_id(&self) -> Option<&str> {
        self.organization.as_ref().map(|org| org.id.as_str())
    }

    /// The member's user id.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.public_user_data.as_ref()?.user_id.as_deref()
    }
}

/// The public part of a member's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublicUserData {
    /// `user_…`
    pub user_id: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Profile image.
    pub image_url: Option<String>,
    /// Whether an image was uploaded.
    pub has_image: Option<bool>,
    /// Email address or username.
    pub identifier: Option<String>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An invitation to an organization (`organizationInvitation.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationInvitation {
    /// `orginv_…`
    pub id: String,
    /// `"organization_invitation"`.
    pub object: Option<String>,
    /// Invitee.
    pub email_address: Option<String>,
    /// Role key.
    pub role: Option<String>,
    /// Role display name.
    pub role_name: Option<String>,
    /// The organization.
    pub organization_id: Option<String>,
    /// `pending`, `accepted`, `revoked`.
    pub status: Option<String>,
    /// The user who accepted (on `organizationInvitation.accepted`).
    pub user_id: Option<String>,
    /// The user who invited.
    pub inviter_id: Option<String>,
    /// Invitation link.
    pub url: Option<String>,
    /// Metadata readable from the frontend.
    pub public_metadata: Option<Metadata>,
    /// Backend-only metadata.
    pub private_metadata: Option<Metadata>,
    /// Expiry, Unix milliseconds.
    pub expires_at: Option<i64>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A verified email domain of an organization (`organizationDomain.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationDomain {
    /// `orgdmn_…`
    pub id: String,
    /// `"organization_domain"`.
    pub object: Option<String>,
    /// The organization.
    pub organization_id: Option<String>,
    /// The domain, e.g. `acme.com`.
    pub name: Option<String>,
    /// `manual_invitation`, `automatic_invitation`, `automatic_suggestion`.
    pub enrollment_mode: Option<String>,
    /// The address used to verify the domain.
    pub affiliation_email_address: Option<String>,
    /// Verification state, untyped.
    pub verification: Option<Value>,
    /// Pending invitations.
    pub total_pending_invitations: Option<i64>,
    /// Pending suggestions.
    pub total_pending_suggestions: Option<i64>,
    /// The organization's public fields.
    pub public_organization_data: Option<PublicOrganizationData>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Last update, Unix milliseconds.
    pub updated_at: Option<i64>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The public fields of an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublicOrganizationData {
    /// `org_…`
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// URL-friendly name.
    pub slug: Option<String>,
    /// Logo.
    pub image_url: Option<String>,
    /// Whether a logo was uploaded.
    pub has_image: Option<bool>,
    /// Every field Clerk sent that this model does not type, as sent: nothing is lost,
    /// and serializing the struct gives them back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
