//! The typed model follows Clerk's webhook spec (`tests/fixtures/clerk-spec/`): every event
//! type it names is typed, every example parses typed and loses nothing, the shipped samples
//! are its examples, `docs/event-types.md` is generated from it, and `scripts/spec-diff.sh`
//! reports what a newer spec changes.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)] // Tests fail by panicking.

// The spec-diff tool, whose `spec` module (`tests/spec/`) this test uses too.
#[path = "../examples/spec_diff.rs"]
#[allow(dead_code)] // Its `main` runs as the example; the tests call `run`.
mod spec_diff_tool;

use clerk_webhook_core::samples::sample;
use clerk_webhook_core::{ClerkEvent, EVENT_TYPES};
use serde_json::Value;
use spec::Spec;
use spec::table::RustType;
use spec_diff_tool::spec;

/// Event types typed although the spec does not describe them, with where they come from.
const BEYOND_THE_SPEC: &[(&str, &str)] = &[(
    "subscriptionItem.created",
    "dropped from the spec in 2026-08 (commit 7987d1b7 has no such event); still in Clerk's \
     JS SDK (`@clerk/backend`'s webhook event types). Sample made from \
     `subscriptionItem.active` (`samples/README.md`).",
)];

#[test]
fn every_spec_event_type_is_typed() {
    let spec = Spec::repository_copy();
    let untyped: Vec<String> = spec
        .event_types()
        .into_iter()
        .filter(|t| !EVENT_TYPES.contains(&t.as_str()))
        .collect();
    assert!(
        untyped.is_empty(),
        "the spec has event types ClerkEvent does not type: {untyped:?}"
    );
    assert_eq!(spec.event_types().len(), 45);
}

#[test]
fn types_beyond_the_spec_are_listed_with_their_source() {
    let spec = Spec::repository_copy();
    let in_spec = spec.event_types();
    let beyond: Vec<&str> = EVENT_TYPES
        .iter()
        .copied()
        .filter(|t| !in_spec.iter().any(|s| s == t))
        .collect();
    let listed: Vec<&str> = BEYOND_THE_SPEC.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        beyond, listed,
        "list each type beyond the spec with its source"
    );
}

#[test]
fn every_spec_example_parses_typed_and_loses_nothing() {
    let spec = Spec::repository_copy();
    let failures: Vec<String> = spec
        .event_types()
        .iter()
        .filter_map(|event_type| {
            let Some(example) = spec.example(event_type) else {
                return Some(format!("{event_type}: the spec has no example"));
            };
            if example["type"] != *event_type {
                return Some(format!(
                    "{event_type}: the example's type is {}",
                    example["type"]
                ));
            }
            spec::check::delivery_parses_typed(example)
                .err()
                .map(|error| format!("{event_type}: {error}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Clerk's example says `created_at`, its schema `created_at_ms`: either (or both) is read,
/// and neither is lost.
#[test]
fn sms_created_reads_its_time_under_either_name() {
    let spec = Spec::repository_copy();
    let example = spec.example("sms.created").unwrap()["data"].clone();
    assert!(example.get("created_at").is_some() && example.get("created_at_ms").is_none());
    let mut schema_named = example.clone();
    let time = schema_named
        .as_object_mut()
        .unwrap()
        .remove("created_at")
        .unwrap();
    schema_named["created_at_ms"] = time.clone();
    let mut both = example.clone();
    both["created_at_ms"] = time.clone();
    for data in [example, schema_named, both] {
        let event = ClerkEvent::from_data("sms.created", &data.to_string()).unwrap();
        let ClerkEvent::SmsCreated(sms) = &event else {
            panic!("{event:?}");
        };
        assert_eq!(sms.created_at_millis(), time.as_i64(), "{data}");
        assert_eq!(
            spec::check::normalized(&event.data_value()),
            spec::check::normalized(&data)
        );
    }
}

/// The `samples` feature ships the spec's examples, value for value.
#[test]
fn the_shipped_samples_are_the_spec_examples() {
    let spec = Spec::repository_copy();
    for event_type in spec.event_types() {
        let shipped: Value = serde_json::from_str(sample(&event_type).unwrap()).unwrap();
        assert_eq!(
            Some(&shipped),
            spec.example(&event_type),
            "samples/{event_type}.json differs from the spec's example"
        );
    }
}

/// How the core types `event_type`, read from its parsed sample (`Debug` prints
/// `Variant(Type { .. })`).
fn rust_type(event_type: &str) -> Option<RustType> {
    let body: Value = serde_json::from_str(sample(event_type)?).ok()?;
    let event = ClerkEvent::from_data(event_type, &body["data"].to_string()).ok()?;
    let debug = format!("{event:?}");
    let (variant, rest) = debug.split_once('(')?;
    let data = rest.split([' ', '(', '{']).next()?;
    (!debug.starts_with("Unknown") && !debug.starts_with("Mismatched")).then(|| RustType {
        variant: format!("ClerkEvent::{variant}"),
        data: data.to_owned(),
    })
}

fn event_type_table(spec: &Spec) -> String {
    let beyond: Vec<(&str, RustType, &str)> = BEYOND_THE_SPEC
        .iter()
        .map(|(event_type, source)| (*event_type, rust_type(event_type).unwrap(), *source))
        .collect();
    spec::table::markdown(spec, rust_type, &beyond)
}

#[test]
fn the_event_type_table_is_up_to_date() {
    let expected = event_type_table(&Spec::repository_copy());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(spec::table::DOC_PATH, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(spec::table::DOC_PATH).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/event-types.md is out of date: run UPDATE_DOCS=1 cargo test -p \
         clerk-webhook-core --test spec_conformance\n\nexpected:\n{expected}"
    );
    assert!(!expected.contains("not typed"), "{expected}");
    assert!(
        expected.contains("| `user.created` | `ClerkEvent::UserCreated` | `data::User` | `User` |")
    );
}

/// A spec like the repository's, changed by `edit`, written where `spec-diff` can read it.
fn edited_spec(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let text = std::fs::read_to_string(spec::SPEC_PATH).unwrap();
    let mut root: Value = serde_yaml_ng::from_str(&text).unwrap();
    edit(&mut root);
    let path = format!("{}/{name}.json", env!("CARGO_TARGET_TMPDIR"));
    // JSON is YAML: the tool reads either.
    std::fs::write(&path, serde_json::to_string_pretty(&root).unwrap()).unwrap();
    path
}

#[test]
fn spec_diff_of_the_copy_against_itself_finds_nothing() {
    let report = spec_diff_tool::run(&[spec::SPEC_PATH.to_owned()]).unwrap();
    assert_eq!(report, "No event type or field differs.\n");
}

#[test]
fn spec_diff_names_new_event_types_and_changed_fields() {
    let newer = edited_spec("newer-spec", |root| {
        let hooks = root["x-webhooks"].as_object_mut().unwrap();
        let mut banned = hooks["user.updated"].clone();
        banned["post"]["operationId"] = "user.banned".into();
        hooks.insert("user.banned".to_owned(), banned);
        let mut archived = hooks["user.updated"].clone();
        archived["post"]["requestBody"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]
            ["data"] = serde_json::json!({"$ref": "#/components/schemas/Archived"});
        hooks.insert("organization.archived".to_owned(), archived);
        hooks.remove("waitlistEntry.updated");
        let schemas = &mut root["components"]["schemas"];
        schemas["Archived"] = serde_json::json!({
            "type": "object",
            "properties": {"id": {"type": "string"}, "archived_at": {"type": "integer"}},
            "required": ["id"],
        });
        schemas["User"]["properties"]["banned_at"] =
            serde_json::json!({"type": "integer", "format": "int64", "nullable": true});
        schemas["SmsEventPayload"]["properties"]["created_at_ms"]["type"] = "string".into();
        schemas["DeletedObject"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("external_id");
    });
    let report = spec_diff_tool::run(&[newer]).unwrap();
    for expected in [
        "Event types added (type them in ClerkEvent):\n  + organization.archived (data: Archived)\n      \
         data: object, required\n      data.archived_at: integer\n      data.id: string, required\n  \
         + user.banned (data: User)\n",
        "Event types removed (keep typing them; list them as beyond the spec):\n  - waitlistEntry.updated\n",
        "  session.created, session.ended, session.pending, session.removed, session.revoked:\n    + data.user.banned_at: integer/int64, nullable\n",
        "  user.created, user.updated:\n    + data.banned_at: integer/int64, nullable\n",
        "  sms.created:\n    ~ data.created_at_ms: integer/int64, required -> string/int64, required\n",
        "    - data.external_id\n",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    // A nested change inside a oneOf alternative is found too.
    let nested = edited_spec("nested-spec", |root| {
        root["components"]["schemas"]["verification_otp"]["properties"]["locale"] =
            serde_json::json!({"type": "string"});
    });
    let report = spec_diff_tool::run(&[nested]).unwrap();
    assert!(
        report.contains("+ data.email_addresses[].verification<verification_otp>.locale: string\n"),
        "{report}"
    );
}

#[test]
fn spec_diff_refuses_what_is_not_a_webhook_spec() {
    let path = format!("{}/not-a-spec.yml", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, "openapi: 3.0.3\npaths: {}\n").unwrap();
    let error = spec_diff_tool::run(&[path]).unwrap_err();
    assert!(error.contains("not a webhook spec"), "{error}");
    let dangling = format!("{}/dangling-spec.yml", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(
        &dangling,
        "x-webhooks:\n  user.created:\n    post:\n      requestBody:\n        content:\n          \
         application/json:\n            schema:\n              $ref: '#/components/schemas/Nope'\n",
    )
    .unwrap();
    let error = spec_diff_tool::run(&[dangling]).unwrap_err();
    assert!(
        error.contains("`$ref: #/components/schemas/Nope` points nowhere"),
        "{error}"
    );
    let error = spec_diff_tool::run(&["/nonexistent/spec.yml".to_owned()]).unwrap_err();
    assert!(
        error.contains("cannot read /nonexistent/spec.yml"),
        "{error}"
    );
    assert!(spec_diff_tool::run(&[]).unwrap_err().starts_with("usage:"));
}
