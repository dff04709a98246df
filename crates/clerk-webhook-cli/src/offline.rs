//! `clerk-webhook sign` and `clerk-webhook verify`: no network involved.

use std::io::Read as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_webhook_core::{ClerkEvent, VerifiedWebhook, WebhookError, WebhookVerifier};

use crate::delivery::{CliError, SignedDelivery};
use crate::dev::CaptureLine;

/// Reads a file, or standard input for `-`.
///
/// # Errors
/// [`CliError::Read`] naming the path.
pub fn read_input(path: &str) -> Result<Vec<u8>, CliError> {
    let read = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    read.map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The three header lines for a signed delivery.
#[must_use]
pub fn header_lines(delivery: &SignedDelivery) -> String {
    delivery
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect()
}

/// A ready-to-run curl command posting the delivery to `url`. The body is referenced as
/// `@path` when it came from a file, and inlined (shell-quoted) from standard input.
#[must_use]
pub fn curl_command(delivery: &SignedDelivery, url: &str, path: &str) -> String {
    let mut command = format!("curl -sS -X POST {}", shell_quote(url));
    for (name, value) in delivery.headers() {
        command.push_str(&format!(
            " \\\n  -H {}",
            shell_quote(&format!("{name}: {value}"))
        ));
    }
    command.push_str(" \\\n  -H 'Content-Type: application/json'");
    let data = if path == "-" {
        shell_quote(&String::from_utf8_lossy(&delivery.body))
    } else {
        shell_quote(&format!("@{path}"))
    };
    command.push_str(&format!(" \\\n  --data-binary {data}\n"));
    command
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Verifies a captured delivery. With `ignore_timestamp`, any age is accepted (a capture
/// is usually older than five minutes).
///
/// # Errors
/// The exact [`WebhookError`].
pub fn verify_capture(
    verifier: &WebhookVerifier,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: Vec<u8>,
    ignore_timestamp: bool,
) -> Result<VerifiedWebhook, WebhookError> {
    let headers = [
        ("svix-id", id),
        ("svix-timestamp", timestamp),
        ("svix-signature", signature),
    ];
    if ignore_timestamp {
        let verifier = verifier.clone().with_tolerance(Duration::MAX);
        verifier.verify_at(&headers, body, SystemTime::now())
    } else {
        verifier.verify_at(&headers, body, SystemTime::now())
    }
}

/// One capture line's verdict.
#[derive(Debug)]
pub struct CaptureVerdict {
    /// The line's number in its input, from 1.
    pub line: usize,
    /// The `svix_id` the line names, when it could be read.
    pub svix_id: Option<String>,
    /// The verified delivery, or why not.
    pub result: Result<VerifiedWebhook, String>,
}

impl CaptureVerdict {
    /// What `verify --delivery` prints for this line.
    #[must_use]
    pub fn summary(&self) -> String {
        let id = self.svix_id.as_deref().unwrap_or("?");
        match &self.result {
            Ok(webhook) => format!("line {}: {id}: {}", self.line, verified_line(webhook)),
            Err(reason) => format!("line {}: {id}: Not verified: {reason}", self.line),
        }
    }
}

/// Verifies each delivery line of the Clerk CLI's capture format in `text` (NDJSON; blank
/// lines and lines whose `type` is not `event` are skipped), as
/// `clerk webhooks verify --delivery` does.
#[must_use]
pub fn verify_capture_lines(
    verifier: &WebhookVerifier,
    text: &str,
    ignore_timestamp: bool,
) -> Vec<CaptureVerdict> {
    let mut verdicts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let capture = match CaptureLine::parse(line) {
            Ok(capture) if !capture.is_event() => continue,
            Ok(capture) => capture,
            Err(error) => {
                verdicts.push(CaptureVerdict {
                    line: index + 1,
                    svix_id: None,
                    result: Err(error.to_string()),
                });
                continue;
            }
        };
        let result = (|| {
            let body = capture.body().map_err(|e| e.to_string())?;
            let header = |name| capture.header(name).map_err(|e| e.to_string());
            verify_capture(
                verifier,
                header("svix-id")?,
                header("svix-timestamp")?,
                header("svix-signature")?,
                body,
                ignore_timestamp,
            )
            .map_err(|error| timestamp_hint(&error))
        })();
        verdicts.push(CaptureVerdict {
            line: index + 1,
            svix_id: Some(capture.svix_id.clone()),
            result,
        });
    }
    verdicts
}

/// A verification error, with a hint to pass `--ignore-timestamp` when it is the age.
#[must_use]
pub fn timestamp_hint(error: &WebhookError) -> String {
    match error {
        WebhookError::TimestampTooOld { .. } | WebhookError::TimestampTooNew { .. } => {
            format!("{error} (pass --ignore-timestamp to verify an old capture)")
        }
        _ => error.to_string(),
    }
}

/// What `verify` prints for a verified delivery: the type and `data.id`, and, when the data
/// does not fit the typed model or the type is not one the model knows, that too (the
/// delivery is authentic all the same: a receiver acknowledges it).
#[must_use]
pub fn verified_line(webhook: &VerifiedWebhook) -> String {
    let event_type = webhook.event_type();
    let mut line = format!(
        "Verified: {event_type} (data.id {})",
        webhook.data_id().unwrap_or("none")
    );
    match webhook.event() {
        ClerkEvent::Mismatched { error, .. } => line.push_str(&format!(
            ", but the data did not match the {event_type} model: {error} (an authentic \
             delivery: acknowledge it and keep the data; a newer clerk-webhook-core may type it)"
        )),
        ClerkEvent::Unknown { .. } => line.push_str(&format!(
            ", an event type this clerk-webhook-core does not type ({event_type}: its data \
             stays untyped)"
        )),
        _ => {}
    }
    line
}

/// A timestamp argument: decimal seconds, or now.
#[must_use]
pub fn timestamp_or_now(timestamp: Option<i64>) -> i64 {
    timestamp.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
