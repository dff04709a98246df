//! `clerk-webhook replay`: send captured deliveries (the Clerk CLI's NDJSON lines) to a
//! local handler, as captured or re-signed with your secret and a fresh timestamp.

use clerk_webhook_core::WebhookVerifier;

use crate::delivery::{Answer, CliError, Deliverer, SignedDelivery, unix_now};
use crate::dev::CaptureLine;

/// How each line is sent.
#[derive(Debug, Clone, Copy)]
pub enum Signing<'a> {
    /// With the captured svix-* headers, byte for byte.
    AsCaptured,
    /// Re-signed with this secret and a fresh timestamp, keeping the svix-id.
    Resign(&'a WebhookVerifier),
}

/// One line's replay.
#[derive(Debug)]
pub struct Replayed {
    /// The line's number in its input, from 1.
    pub line: usize,
    /// The svix-id sent.
    pub svix_id: String,
    /// The payload's type.
    pub event_type: Option<String>,
    /// What the handler answered, or why the line could not be sent.
    pub result: Result<Answer, String>,
}

impl Replayed {
    /// Whether the handler answered 2xx.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.result.as_ref().is_ok_and(Answer::is_success)
    }

    /// One line of the report.
    #[must_use]
    pub fn summary(&self) -> String {
        let event_type = self.event_type.as_deref().unwrap_or("(no type)");
        let what = match &self.result {
            Ok(Answer::Status { code, body, .. }) => {
                let body: String = body.trim().chars().take(80).collect();
                format!("{code} {body}")
            }
            Ok(Answer::Closed) => "connection closed without an answer".to_owned(),
            Err(reason) => format!("not sent: {reason}"),
        };
        format!("line {}: {} {event_type}: {what}", self.line, self.svix_id)
    }
}

/// Sends every delivery line of `text` to `deliverer`, in order.
///
/// # Errors
/// [`CliError::Connect`] when nothing listens at the URL.
pub async fn run(
    deliverer: &Deliverer,
    text: &str,
    signing: Signing<'_>,
) -> Result<Vec<Replayed>, CliError> {
    let mut replayed = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_number = index + 1;
        let capture = match CaptureLine::parse(line) {
            Ok(capture) if !capture.is_event() => continue,
            Ok(capture) => capture,
            Err(error) => {
                replayed.push(Replayed {
                    line: line_number,
                    svix_id: "?".to_owned(),
                    event_type: None,
                    result: Err(error.to_string()),
                });
                continue;
            }
        };
        let headers = match headers_for(&capture, signing) {
            Ok(headers) => headers,
            Err(reason) => {
                replayed.push(Replayed {
                    line: line_number,
                    svix_id: capture.svix_id.clone(),
                    event_type: capture.event_type.clone(),
                    result: Err(reason),
                });
                continue;
            }
        };
        let (headers, body) = headers;
        let borrowed: Vec<(&str, String)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        let outcome = deliverer.post(&borrowed, body).await?;
        replayed.push(Replayed {
            line: line_number,
            svix_id: capture.svix_id.clone(),
            event_type: capture.event_type.clone(),
            result: Ok(outcome.answer),
        });
    }
    Ok(replayed)
}

type Request = (Vec<(String, String)>, Vec<u8>);

fn headers_for(capture: &CaptureLine, signing: Signing<'_>) -> Result<Request, String> {
    let body = capture.body().map_err(|e| e.to_string())?;
    match signing {
        Signing::AsCaptured => {
            let headers = capture
                .headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
                .collect();
            Ok((headers, body))
        }
        Signing::Resign(signer) => {
            let id = capture
                .header("svix-id")
                .map_or_else(|_| capture.svix_id.clone(), str::to_owned);
            let delivery = SignedDelivery::sign(signer, id, unix_now(), body);
            let headers = delivery
                .headers()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            Ok((headers, delivery.body))
        }
    }
}
