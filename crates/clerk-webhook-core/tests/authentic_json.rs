//! Authentic bodies that are valid JSON but awkward: nested deeper than serde_json's
//! recursion limit, escaped `type`, numbers beyond `f64`, duplicated keys, lone surrogates.
//! None of them may be refused as unusable (only what is not JSON, not an object, has no
//! string `type` or no object `data` is), and none may overflow a 2 MiB stack.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use clerk_webhook_core::{ClerkEvent, PayloadProblem, VerifiedWebhook, WebhookError};
use common::{NOW, Signed, at, verifier};

/// The stack of a tokio test thread, and of the frameworks' worker threads.
const WORKER_STACK: usize = 2 * 1024 * 1024;

fn verify(body: &str) -> Result<VerifiedWebhook, WebhookError> {
    let verifier = verifier();
    let signed = Signed::sign(&verifier, "msg_awkward", NOW, body.as_bytes());
    verifier.verify_at(&signed.headers(), body.as_bytes().to_vec(), at(NOW))
}

/// Runs `check` on a thread with a worker's 2 MiB stack: a stack overflow aborts the test
/// process instead of passing.
fn on_worker_stack(check: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(check)
        .unwrap()
        .join()
        .unwrap();
}

/// `{"a":` `depth` times around `1`: an object nested `depth` levels deep.
fn nested_objects(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

/// A `user.updated` whose `unsafe_metadata` (written by the end user, from the browser) is
/// `metadata`.
fn user_updated_with_metadata(metadata: &str) -> String {
    format!(
        r#"{{"type":"user.updated","object":"event","timestamp":1716883200,"data":{{"id":"user_deep","object":"user","unsafe_metadata":{metadata},"created_at":1,"updated_at":2}}}}"#
    )
}

fn assert_unreadable_data_is_mismatched(webhook: &VerifiedWebhook, event_type: &str, why: &str) {
    match webhook.event() {
        ClerkEvent::Mismatched {
            event_type: mismatched,
            data,
            error,
        } => {
            assert_eq!(mismatched, event_type);
            assert_eq!(
                *data,
                serde_json::Value::Null,
                "data is not held as a value"
            );
            assert!(error.contains(why), "{error}");
            assert!(
                error.contains("data_json"),
                "says where the data is: {error}"
            );
        }
        other => panic!("expected Mismatched, got {other:?}"),
    }
    assert!(webhook.data_mismatch().is_some());
}

#[test]
fn metadata_within_serde_json_depth_is_typed() {
    let body = user_updated_with_metadata(&nested_objects(100));
    on_worker_stack(move || {
        let webhook = verify(&body).unwrap();
        let ClerkEvent::UserUpdated(user) = webhook.event() else {
            panic!("expected UserUpdated, got {:?}", webhook.event());
        };
        assert!(user.unsafe_metadata.as_ref().unwrap()["a"]["a"].is_object());
        let clone = webhook.clone();
        assert_eq!(format!("{clone:?}").len(), format!("{webhook:?}").len());
    });
}

#[test]
fn deeply_nested_data_is_delivered_with_its_text_on_a_worker_stack() {
    // 200 and 10,000 levels of objects, and the deepest a 1 MiB body can hold (arrays,
    // one byte a level).
    let deepest = format!("{}{}", "[".repeat(500_000), "]".repeat(500_000));
    for metadata in [nested_objects(200), nested_objects(10_000), deepest] {
        let body = user_updated_with_metadata(&metadata);
        on_worker_stack(move || {
            let webhook = verify(&body).unwrap_or_else(|error| panic!("refused: {error}"));
            assert_eq!(webhook.event_type(), "user.updated");
            assert_unreadable_data_is_mismatched(&webhook, "user.updated", "recursion limit");
            assert_eq!(webhook.data_id(), Some("user_deep"));
            assert!(webhook.data_json().contains(&metadata));
            assert_eq!(webhook.raw_body().as_ref(), body.as_bytes());
            assert_eq!(webhook.object(), Some("event"));
            assert_eq!(webhook.timestamp(), Some(1_716_883_200));
            assert_eq!(webhook.data_value(), serde_json::Value::Null);
            // Everything a handler does with it stays within the stack.
            let clone = webhook.clone();
            assert!(format!("{clone:?}").contains("Mismatched"));
            drop(webhook);
        });
    }
}

#[test]
fn deeply_nested_informational_fields_are_dropped() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let body = format!(
        r#"{{"type":"user.created","object":{deep},"instance_id":{deep},"event_attributes":{deep},"timestamp":{deep},"data":{{"id":"user_1"}}}}"#
    );
    on_worker_stack(move || {
        let webhook = verify(&body).unwrap();
        assert_eq!(webhook.event_type(), "user.created");
        assert_eq!(webhook.data_id(), Some("user_1"));
        assert_eq!(
            (webhook.object(), webhook.instance_id(), webhook.timestamp()),
            (None, None, None)
        );
        assert_eq!(webhook.event_attributes(), None);
    });
}

#[test]
fn deep_json_that_is_not_an_event_is_still_refused_as_such() {
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let unclosed = user_updated_with_metadata(&"[".repeat(10_000));
    let deep_type = format!(r#"{{"type":{},"data":{{}}}}"#, nested_objects(10_000));
    on_worker_stack(move || {
        let reason = |body: &str| match verify(body) {
            Err(WebhookError::InvalidPayload { reason }) => reason,
            other => panic!("expected InvalidPayload, got {other:?}"),
        };
        assert_eq!(reason(&deep_array), PayloadProblem::NotObject);
        assert!(matches!(reason(&unclosed), PayloadProblem::NotJson(_)));
        assert_eq!(reason(&deep_type), PayloadProblem::MissingType);
    });
}

#[test]
fn escaped_type_and_keys_are_read() {
    for body in [
        r#"{"type":"user\u002ecreated","data":{"id":"user_1"}}"#,
        r#"{"t\u0079pe":"user.created","d\u0061ta":{"id":"user_1"}}"#,
    ] {
        let webhook = verify(body).unwrap_or_else(|error| panic!("{body}: {error}"));
        assert!(
            matches!(webhook.event(), ClerkEvent::UserCreated(user) if user.id == "user_1"),
            "{body}: {:?}",
            webhook.event()
        );
    }
}

#[test]
fn out_of_range_numbers_in_informational_fields_drop_the_field() {
    for field in ["timestamp", "object", "instance_id", "event_attributes"] {
        let body = format!(
            r#"{{"type":"user.created","{field}":1e400,"data":{{"id":"user_1","created_at":1}}}}"#
        );
        let webhook = verify(&body).unwrap_or_else(|error| panic!("{field}: {error}"));
        assert!(matches!(webhook.event(), ClerkEvent::UserCreated(_)));
        assert_eq!(webhook.timestamp(), None);
        assert_eq!(webhook.object(), None);
    }
    let nested = r#"{"type":"user.created","event_attributes":{"http_request":{"client_ip":1e400}},"data":{"id":"user_1"}}"#;
    assert_eq!(verify(nested).unwrap().event_attributes(), None);
}

#[test]
fn out_of_range_numbers_in_data_are_delivered_with_its_text() {
    let unknown = r#"{"type":"invoice.paid","data":{"id":"inv_1","total":1e400}}"#;
    let webhook = verify(unknown).unwrap();
    assert_unreadable_data_is_mismatched(&webhook, "invoice.paid", "number out of range");
    assert_eq!(webhook.data_id(), Some("inv_1"));
    assert_eq!(webhook.data_json(), r#"{"id":"inv_1","total":1e400}"#);

    let known = user_updated_with_metadata(r#"{"score":-1e400}"#);
    let webhook = verify(&known).unwrap();
    assert_unreadable_data_is_mismatched(&webhook, "user.updated", "number out of range");
    assert_eq!(webhook.data_id(), Some("user_deep"));
}

#[test]
fn duplicated_keys_take_the_last_value_as_json_parse_does() {
    let body = r#"{"object":"event","type":"user.deleted","object":"other","data":{"id":"user_0"},"type":"user.created","data":{"id":"user_1"}}"#;
    let webhook = verify(body).unwrap();
    assert_eq!(webhook.object(), Some("other"));
    assert!(matches!(webhook.event(), ClerkEvent::UserCreated(user) if user.id == "user_1"));
    assert_eq!(webhook.data_json(), r#"{"id":"user_1"}"#);
    // The same answer as reading the whole body as a value.
    let whole: serde_json::Value = webhook.payload().unwrap();
    assert_eq!(whole["type"], "user.created");
    assert_eq!(whole["data"]["id"], "user_1");

    let last_data_not_an_object = r#"{"type":"user.created","data":{"id":"user_1"},"data":7}"#;
    assert_eq!(
        verify(last_data_not_an_object).unwrap_err(),
        WebhookError::InvalidPayload {
            reason: PayloadProblem::MissingData
        }
    );
}

#[test]
fn lone_surrogates_are_json_but_not_a_type() {
    let in_data = r#"{"type":"invoice.paid","data":{"id":"inv_1","note":"\ud800"}}"#;
    let webhook = verify(in_data).unwrap();
    assert_unreadable_data_is_mismatched(&webhook, "invoice.paid", "escape");
    let in_type = r#"{"type":"user\ud800","data":{"id":"user_1"}}"#;
    assert_eq!(
        verify(in_type).unwrap_err(),
        WebhookError::InvalidPayload {
            reason: PayloadProblem::MissingType
        }
    );
}
