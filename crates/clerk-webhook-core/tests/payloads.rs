//! Every sample payload parses into the right variant with its key fields.
#![allow(clippy::unwrap_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_core::samples::{SAMPLES, sample};
use clerk_webhook_core::{ClerkEvent, EVENT_TYPES, VerifiedWebhook, WebhookVerifier};
use common::{NOW, Signed, USER_CREATED, at, verifier};

fn verify(verifier: &WebhookVerifier, body: &str) -> VerifiedWebhook {
    let signed = Signed::sign(verifier, "msg_sample", NOW, body.as_bytes());
    verifier
        .verify_at(&signed.headers(), body.as_bytes().to_vec(), at(NOW))
        .unwrap_or_else(|error| panic!("{error}\n{body}"))
}

fn type_of(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    value["type"].as_str().unwrap().to_owned()
}

/// The dashboard samples as (file name, body), embedded at compile time.
macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("fixtures/dashboard-samples/", $name, ".json")))),*]
    };
}

const DASHBOARD: [(&str, &str); 22] = fixtures![
    "organization.created",
    "organization.deleted",
    "organization.updated",
    "organizationInvitation.accepted",
    "organizationInvitation.created",
    "organizationInvitation.revoked",
    "organizationMembership.created",
    "organizationMembership.deleted",
    "organizationMembership.updated",
    "permission.created",
    "permission.deleted",
    "permission.updated",
    "role.created",
    "role.deleted",
    "role.updated",
    "session.created",
    "session.ended",
    "session.removed",
    "session.revoked",
    "user.created",
    "user.deleted",
    "user.updated",
];

#[test]
fn there_is_one_sample_per_event_type() {
    assert_eq!(EVENT_TYPES.len(), 46);
    let mut sampled: Vec<_> = SAMPLES.iter().map(|s| s.event_type).collect();
    let mut known = EVENT_TYPES.to_vec();
    sampled.sort_unstable();
    known.sort_unstable();
    assert_eq!(sampled, known);
    for s in SAMPLES {
        assert_eq!(
            type_of(s.payload),
            s.event_type,
            "sample file and its type agree"
        );
    }
}

fn assert_typed(webhook: &VerifiedWebhook, body: &str, origin: &str) {
    let expected_type = type_of(body);
    assert_eq!(webhook.event_type(), expected_type, "{origin}");
    assert!(
        !matches!(webhook.event(), ClerkEvent::Unknown { .. }),
        "{origin}: {expected_type} fell through to Unknown"
    );
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        webhook.data_id(),
        value["data"]["id"].as_str(),
        "{origin}: data.id"
    );
    assert!(
        webhook.data_id().is_some_and(|id| !id.is_empty()),
        "{origin}"
    );
    assert_eq!(
        webhook.timestamp(),
        value["timestamp"].as_i64(),
        "{origin}: timestamp"
    );
    assert_eq!(
        webhook.instance_id(),
        value["instance_id"].as_str(),
        "{origin}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(webhook.data_json()).unwrap(),
        value["data"],
        "{origin}: data_json is the data"
    );
    assert_key_fields(webhook.event(), origin);
}

/// The fields a handler reaches for first are populated, whatever the source.
fn assert_key_fields(event: &ClerkEvent, origin: &str) {
    match event {
        ClerkEvent::UserCreated(user) | ClerkEvent::UserUpdated(user) => {
            assert!(user.id.starts_with("user_"), "{origin}");
            assert!(
                user.first_name.is_some() && user.created_at.is_some(),
                "{origin}"
            );
        }
        ClerkEvent::UserDeleted(deleted)
        | ClerkEvent::OrganizationDeleted(deleted)
        | ClerkEvent::OrganizationDomainDeleted(deleted)
        | ClerkEvent::RoleDeleted(deleted)
        | ClerkEvent::PermissionDeleted(deleted) => {
            assert_eq!(deleted.deleted, Some(true), "{origin}");
        }
        ClerkEvent::SessionCreated(session)
        | ClerkEvent::SessionPending(session)
        | ClerkEvent::SessionEnded(session)
        | ClerkEvent::SessionRemoved(session)
        | ClerkEvent::SessionRevoked(session) => {
            assert!(
                session
                    .user_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("user_")),
                "{origin}"
            );
            assert!(session.status.is_some(), "{origin}");
        }
        ClerkEvent::OrganizationCreated(org) | ClerkEvent::OrganizationUpdated(org) => {
            assert!(org.name.is_some() && org.slug.is_some(), "{origin}");
        }
        ClerkEvent::OrganizationMembershipCreated(m)
        | ClerkEvent::OrganizationMembershipUpdated(m)
        | ClerkEvent::OrganizationMembershipDeleted(m) => {
            assert!(
                m.organization_id().is_some_and(|id| id.starts_with("org_")),
                "{origin}"
            );
            assert!(
                m.user_id().is_some_and(|id| id.starts_with("user_")),
                "{origin}"
            );
            assert!(m.role.is_some(), "{origin}");
        }
        ClerkEvent::OrganizationInvitationCreated(inv)
        | ClerkEvent::OrganizationInvitationAccepted(inv)
        | ClerkEvent::OrganizationInvitationRevoked(inv) => {
            assert!(
                inv.email_address.is_some() && inv.organization_id.is_some(),
                "{origin}"
            );
        }
        ClerkEvent::OrganizationDomainCreated(d) | ClerkEvent::OrganizationDomainUpdated(d) => {
            assert!(d.name.is_some() && d.organization_id.is_some(), "{origin}");
        }
        ClerkEvent::RoleCreated(role) | ClerkEvent::RoleUpdated(role) => {
            assert!(role.key.is_some(), "{origin}");
        }
        ClerkEvent::PermissionCreated(p) | ClerkEvent::PermissionUpdated(p) => {
            assert!(p.key.is_some(), "{origin}");
        }
        ClerkEvent::EmailCreated(email) => assert!(email.to_email_address.is_some(), "{origin}"),
        ClerkEvent::SmsCreated(sms) => assert!(sms.to_phone_number.is_some(), "{origin}"),
        ClerkEvent::WaitlistEntryCreated(w) | ClerkEvent::WaitlistEntryUpdated(w) => {
            assert!(w.email_address.is_some(), "{origin}");
        }
        ClerkEvent::PaymentAttemptCreated(p) | ClerkEvent::PaymentAttemptUpdated(p) => {
            assert!(p.status.is_some() && p.payer.is_some(), "{origin}");
        }
        ClerkEvent::SubscriptionCreated(s)
        | ClerkEvent::SubscriptionUpdated(s)
        | ClerkEvent::SubscriptionActive(s)
        | ClerkEvent::SubscriptionPastDue(s) => {
            assert!(s.status.is_some() && !s.items.is_empty(), "{origin}");
        }
        ClerkEvent::SubscriptionItemCreated(item)
        | ClerkEvent::SubscriptionItemUpdated(item)
        | ClerkEvent::SubscriptionItemActive(item)
        | ClerkEvent::SubscriptionItemCanceled(item)
        | ClerkEvent::SubscriptionItemUpcoming(item)
        | ClerkEvent::SubscriptionItemEnded(item)
        | ClerkEvent::SubscriptionItemAbandoned(item)
        | ClerkEvent::SubscriptionItemIncomplete(item)
        | ClerkEvent::SubscriptionItemPastDue(item)
        | ClerkEvent::SubscriptionItemFreeTrialEnding(item) => {
            assert!(item.plan_id.is_some() && item.status.is_some(), "{origin}");
        }
        other => panic!("{origin}: no key-field check for {}", other.event_type()),
    }
}

#[test]
fn every_openapi_example_parses_into_its_variant() {
    let verifier = verifier();
    for s in SAMPLES {
        let webhook = verify(&verifier, s.payload);
        assert_typed(&webhook, s.payload, s.event_type);
        assert_eq!(webhook.object(), Some("event"));
        assert_eq!(webhook.message_id(), "msg_sample");
        assert_eq!(webhook.delivery_timestamp(), NOW);
    }
}

#[test]
fn every_dashboard_sample_parses_into_its_variant() {
    let verifier = verifier();
    for (name, body) in DASHBOARD {
        assert_eq!(type_of(body), name);
        let webhook = verify(&verifier, body);
        assert_typed(&webhook, body, name);
    }
}

#[test]
fn docs_overview_example_parses() {
    let body = include_str!("fixtures/user.created.docs-overview.json");
    let webhook = verify(&verifier(), body);
    assert_typed(&webhook, body, "docs overview");
    assert_eq!(
        webhook.timestamp(),
        Some(1_654_012_591_835),
        "milliseconds kept as sent"
    );
    let ClerkEvent::UserCreated(user) = webhook.event() else {
        panic!("not user.created")
    };
    assert_eq!(user.primary_email_address(), Some("example@example.org"));
    assert_eq!(user.external_id.as_deref(), Some("567772"));
}

#[test]
fn quirks_are_tolerated() {
    let verifier = verifier();
    let role_deleted = verify(&verifier, sample("role.deleted").unwrap());
    let ClerkEvent::RoleDeleted(stub) = role_deleted.event() else {
        panic!()
    };
    assert_eq!(stub.slug, None);
    let invitation = verify(
        &verifier,
        sample("organizationInvitation.accepted").unwrap(),
    );
    let ClerkEvent::OrganizationInvitationAccepted(inv) = invitation.event() else {
        panic!()
    };
    assert_eq!(
        inv.user_id.as_deref(),
        Some("user_2h8op3Isl1QR7tKu5FGNfaLKEoU")
    );
    assert_eq!(inv.inviter_id, None);
    let session = verify(&verifier, sample("session.created").unwrap());
    let ClerkEvent::SessionCreated(session) = session.event() else {
        panic!()
    };
    assert_eq!(
        session.user.as_ref().map(|u| u.id.as_str()),
        Some("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S")
    );
    let user = verify(&verifier, sample("user.created").unwrap());
    assert_eq!(user.client_ip(), Some("192.168.1.100"));
    assert!(
        user.user_agent()
            .is_some_and(|ua| ua.starts_with("Mozilla/5.0"))
    );
    let ClerkEvent::UserCreated(u) = user.event() else {
        panic!()
    };
    assert_eq!(u.private_metadata, None);
}

#[test]
fn unknown_event_type_is_a_valid_event() {
    let body = r#"{"type":"invoice.paid","object":"event","data":{"id":"inv_1","total":5}}"#;
    let webhook = verify(&verifier(), body);
    assert_eq!(webhook.event_type(), "invoice.paid");
    assert_eq!(webhook.data_id(), Some("inv_1"));
    match webhook.event() {
        ClerkEvent::Unknown { event_type, data } => {
            assert_eq!(event_type, "invoice.paid");
            assert_eq!(data["total"], 5);
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn raw_body_and_data_are_exactly_as_received() {
    let body =
        " {\"type\" : \"user.created\",\n \"data\" :  {\"id\":\"user_1\",  \"extra\":[1, 2]} } ";
    let webhook = verify(&verifier(), body);
    assert_eq!(webhook.raw_body().as_ref(), body.as_bytes());
    assert_eq!(
        webhook.data_json(),
        "{\"id\":\"user_1\",  \"extra\":[1, 2]}"
    );
    #[derive(serde::Deserialize)]
    struct Mine {
        extra: Vec<u8>,
    }
    assert_eq!(webhook.data::<Mine>().unwrap().extra, [1, 2]);
    let whole: serde_json::Value = webhook.payload().unwrap();
    assert_eq!(whole["data"]["id"], "user_1");
}

#[test]
fn primary_email_address_is_looked_up_by_id() {
    let webhook = verify(&verifier(), USER_CREATED);
    let ClerkEvent::UserCreated(user) = webhook.into_event() else {
        panic!()
    };
    assert_eq!(user.primary_email_address(), Some("ada@example.com"));
}
