//! The one check every spec payload must pass: signed and verified as a receiver would, it
//! parses into its typed variant, and neither the raw nor the typed `data` loses anything.

use std::time::{Duration, UNIX_EPOCH};

use clerk_webhook_core::testing::SignedDelivery;
use clerk_webhook_core::{ClerkEvent, WebhookVerifier};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW: i64 = 1_716_883_200;

/// A delivery of `event_type` carrying `data` must parse typed and give `data` back.
///
/// # Errors
/// What went wrong, for the test's report.
pub fn parses_typed(event_type: &str, data: &Value) -> Result<(), String> {
    let body = json!({
        "object": "event",
        "type": event_type,
        "timestamp": NOW,
        "instance_id": "ins_1",
        "data": data,
    });
    delivery_parses_typed(&body)
}

/// The same for a whole delivery body (a spec example).
///
/// # Errors
/// What went wrong, for the test's report.
pub fn delivery_parses_typed(body: &Value) -> Result<(), String> {
    let event_type = body["type"]
        .as_str()
        .ok_or("the body has no string `type`")?;
    let data = &body["data"];
    let verifier = WebhookVerifier::new(SECRET).map_err(|e| e.to_string())?;
    let signed = SignedDelivery::sign(&verifier, "msg_spec", NOW, body.to_string());
    let now = UNIX_EPOCH + Duration::from_secs(NOW.unsigned_abs());
    let webhook = signed
        .verify_with(&verifier, now)
        .map_err(|error| format!("refused: {error}"))?;
    match webhook.event() {
        ClerkEvent::Mismatched { error, .. } => {
            return Err(format!(
                "Mismatched (the data did not fit the model): {error}"
            ));
        }
        ClerkEvent::Unknown { .. } => return Err("Unknown (the event type is not typed)".into()),
        _ => {}
    }
    if webhook.event_type() != event_type {
        return Err(format!("parsed as {}", webhook.event_type()));
    }
    if &webhook.data_value() != data {
        return Err(format!(
            "VerifiedWebhook::data_value() differs from the data sent: {}",
            webhook.data_value()
        ));
    }
    if webhook.data_id() != data.get("id").and_then(Value::as_str) {
        return Err(format!("data_id() is {:?}", webhook.data_id()));
    }
    let typed = webhook.event().data_value();
    let (sent, kept) = (normalized(data), normalized(&typed));
    if sent != kept {
        return Err(format!(
            "the typed data lost or changed something: at {}\n  typed, serialized: {typed}",
            first_difference(&sent, &kept, "data")
        ));
    }
    Ok(())
}

/// `value` with `null`s and empty lists removed from objects: the typed model reads an absent
/// field, a `null` and (for lists) `[]` alike, and writes `null` or `[]` back.
#[must_use]
pub fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Where two values first differ, as a path with both sides.
#[must_use]
pub fn first_difference(sent: &Value, kept: &Value, path: &str) -> String {
    match (sent, kept) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let (x, y) = (a.get(key), b.get(key));
                if x != y {
                    return match (x, y) {
                        (Some(x), Some(y)) => first_difference(x, y, &format!("{path}.{key}")),
                        _ => format!("{path}.{key}: sent {x:?}, typed {y:?}"),
                    };
                }
            }
            format!("{path}: equal")
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find(|(_, (x, y))| x != y)
            .map_or_else(
                || format!("{path}: equal"),
                |(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]")),
            ),
        _ => format!("{path}: sent {sent}, typed {kept}"),
    }
}
