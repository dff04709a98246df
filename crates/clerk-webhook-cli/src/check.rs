//! `clerk-webhook check <URL>`: audit any webhook endpoint, in any language.
//!
//! Each case is one HTTP request. The endpoint must accept the valid deliveries (2xx) and
//! refuse every forged or broken one (4xx, or closing the connection on an oversized body).
//! An authentic body without `type` may get either a 4xx or a 2xx (noted): Clerk's own
//! reference handler acknowledges it.

use std::fmt::Write as _;

use clerk_webhook_core::WebhookVerifier;

use crate::delivery::{Answer, CliError, Deliverer, SignedDelivery, unix_now};
use crate::ids::message_id;
use crate::send::answer_label;

/// What a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A 2xx.
    Accept,
    /// A 4xx, or the connection closed.
    Reject,
    /// A 4xx for an authentic delivery no retry can fix, ideally with
    /// `webhook-delivery: abort-message` (recommended, not required: other languages' SDKs
    /// do not send it).
    RejectAndAbort,
    /// An authentic body that is not a Clerk event (no `type`): a 4xx (ideally with
    /// `webhook-delivery: abort-message`) or a 2xx, noted: Clerk's own reference handler
    /// (`verifyWebhook` in Express) answers it 200, and acknowledging it harms nothing.
    RejectOrAcknowledge,
}

/// One audited case.
#[derive(Debug, Clone)]
pub struct CheckRow {
    /// The case's name.
    pub case: &'static str,
    /// What it expects.
    pub expect: Expect,
    /// What came back.
    pub got: Answer,
    /// Whether the answer meets the expectation.
    pub passed: bool,
    /// What to fix, when it does not.
    pub hint: Option<&'static str>,
    /// A recommendation on a passing answer.
    pub note: Option<&'static str>,
}

/// The oversized case's body size: 5 MiB.
pub const OVERSIZED_BODY: usize = 5 * 1024 * 1024;

/// The case names, in the order they run.
pub const CASES: [&str; 16] = [
    "valid delivery",
    "valid delivery, compact JSON",
    "rotation: another secret's v1 first",
    "rotation: another secret's v1 last",
    "drifted data: created_at as a string",
    "drifted data: unexpected nested shape",
    "authentic body without type",
    "no signature headers",
    "wrong secret",
    "tampered body",
    "re-serialized JSON",
    "stale timestamp (6 min old)",
    "future timestamp (6 min ahead)",
    "signature replayed with another timestamp",
    "empty v1 signature",
    "oversized body (5 MiB)",
];

/// Why a refused valid delivery was refused, read from the answer itself.
pub const HINT_NOT_PUBLIC: &str = "the route is behind authentication middleware (a 401/403, a redirect or an HTML page came back): make /api/webhooks public; Clerk's servers carry no session, the signature is the authentication";
/// A 404 for a valid delivery.
pub const HINT_NOT_FOUND: &str =
    "nothing answers at this path (404): check the URL's path (the examples serve /api/webhooks)";
/// A 405 for a valid delivery.
pub const HINT_NOT_POST: &str =
    "the path exists but POST is not routed to the webhook handler (405)";
/// A 2xx for an authentic body without `type`: allowed, said.
pub const NOTE_ACKNOWLEDGED: &str = "acknowledged (2xx), as Clerk's own verifyWebhook handler does: harmless; clerk-webhook-core answers 400 with `webhook-delivery: abort-message`";
/// What to add to an answer to an authentic but unusable delivery.
pub const NOTE_ABORT: &str = "recommended: add the header `webhook-delivery: abort-message`, so Svix stops retrying a delivery no retry can fix";

struct Case {
    name: &'static str,
    expect: Expect,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    hint: &'static str,
}

/// Runs every case against `deliverer`'s URL, signing with `signer` (the endpoint's secret).
///
/// # Errors
/// [`CliError::Connect`] when nothing listens there (is the server running?).
pub async fn run(
    deliverer: &Deliverer,
    signer: &WebhookVerifier,
) -> Result<Vec<CheckRow>, CliError> {
    let mut rows = Vec::with_capacity(CASES.len());
    for case in cases(signer)? {
        let outcome = deliverer.post(&case.headers, case.body).await?;
        rows.push(judge(case.name, case.expect, outcome.answer, case.hint));
    }
    refine_reserialization_hint(&mut rows);
    Ok(rows)
}

/// The hint for a refused valid delivery: what the answer says, or the case's own.
fn refusal_hint(got: &Answer, case_hint: &'static str) -> &'static str {
    match got {
        Answer::Status {
            code: 401 | 403 | 300..=399,
            ..
        } => HINT_NOT_PUBLIC,
        Answer::Status {
            content_type, body, ..
        } if content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("text/html"))
            || body.trim_start().starts_with('<') =>
        {
            HINT_NOT_PUBLIC
        }
        Answer::Status { code: 404, .. } => HINT_NOT_FOUND,
        Answer::Status { code: 405, .. } => HINT_NOT_POST,
        _ => case_hint,
    }
}

fn judge(case: &'static str, expect: Expect, got: Answer, hint: &'static str) -> CheckRow {
    let refused = |code: &u16| (400..500).contains(code);
    let (passed, hint, note) = match (expect, &got) {
        (Expect::Accept, answer) if answer.is_success() => (true, None, None),
        (Expect::Accept, answer) => (false, Some(refusal_hint(answer, hint)), None),
        (Expect::RejectOrAcknowledge, answer) if answer.is_success() => {
            (true, None, Some(NOTE_ACKNOWLEDGED))
        }
        (Expect::Reject, Answer::Closed) => (true, None, None),
        (
            Expect::Reject | Expect::RejectAndAbort | Expect::RejectOrAcknowledge,
            Answer::Status { code, .. },
        ) if refused(code) => {
            let aborts = got.delivery_control() == Some("abort-message");
            let note = (expect != Expect::Reject && !aborts).then_some(NOTE_ABORT);
            (true, None, note)
        }
        (_, Answer::Status { code, .. }) if *code >= 500 => (
            false,
            Some("answer 4xx for a bad delivery: a 5xx tells Svix to retry it for hours"),
            None,
        ),
        (_, _) => (false, Some(hint), None),
    };
    CheckRow {
        case,
        expect,
        got,
        passed,
        hint,
        note,
    }
}

/// A refused pretty-printed delivery next to an accepted compact one means the endpoint
/// verifies a re-serialized body.
fn refine_reserialization_hint(rows: &mut [CheckRow]) {
    let compact_passed = rows.get(1).is_some_and(|row| row.passed);
    if let Some(valid) = rows.first_mut()
        && !valid.passed
        && compact_passed
    {
        valid.hint = Some(
            "your framework parsed and re-serialized the JSON before verifying: verify the raw body bytes exactly as received",
        );
    }
}

/// Clerk's `user.created` sample, pretty-printed as published, and compact.
fn user_created_bodies() -> (Vec<u8>, serde_json::Value) {
    let pretty = clerk_webhook_core::samples::sample("user.created").unwrap_or_default();
    let value = serde_json::from_str(pretty).unwrap_or_default();
    (pretty.as_bytes().to_vec(), value)
}

/// Clerk's sample of `event_type` with `data[field]` replaced, compact.
fn drifted(event_type: &str, field: &str, value: serde_json::Value) -> Vec<u8> {
    clerk_webhook_core::samples::drifted(event_type, field, value)
        .unwrap_or_default()
        .into_bytes()
}

#[allow(clippy::too_many_lines)] // One entry per case: a table.
fn cases(signer: &WebhookVerifier) -> Result<Vec<Case>, CliError> {
    let (pretty, value) = user_created_bodies();
    let compact = value.to_string().into_bytes();
    let now = unix_now();
    let wrong = WebhookVerifier::new(&crate::ids::signing_secret()?)?;
    let signed =
        |signer: &WebhookVerifier, at: i64, body: &[u8]| -> Result<SignedDelivery, CliError> {
            Ok(SignedDelivery::sign(
                signer,
                message_id()?,
                at,
                body.to_vec(),
            ))
        };
    let case = |name, expect, delivery: SignedDelivery, hint| Case {
        name,
        expect,
        headers: delivery.headers().to_vec(),
        body: delivery.body,
        hint,
    };
    // During a rotation Svix signs with both secrets: the header holds two `v1` entries.
    let rotated = |other_first: bool| -> Result<SignedDelivery, CliError> {
        let mut delivery = signed(signer, now, &compact)?;
        let other = wrong.sign(&delivery.id, now, &compact);
        delivery.signature = if other_first {
            format!("{other} {}", delivery.signature)
        } else {
            format!("{} {other}", delivery.signature)
        };
        Ok(delivery)
    };

    let mut tampered = signed(signer, now, &pretty)?;
    tampered.body = String::from_utf8_lossy(&tampered.body)
        .replacen("John", "Mallory", 1)
        .into_bytes();
    let mut reserialized = signed(signer, now, &pretty)?;
    reserialized.body.clone_from(&compact);
    let mut replayed = signed(signer, now - 30, &pretty)?;
    replayed.timestamp = now;
    let mut empty = signed(signer, now, &pretty)?;
    empty.signature = "v1,".to_owned();
    let mut oversized = pretty.clone();
    oversized.resize(OVERSIZED_BODY, b' ');
    let drift_hint = "an authentic delivery whose data changed shape was refused: Clerk adds and changes fields; acknowledge it (2xx) and log the mismatch, or Svix retries it for 28 hours and may disable the endpoint";
    let rotation_hint = "a delivery signed during a secret rotation was refused: accept the delivery when any `v1` entry of svix-signature matches, not only the first";

    Ok(vec![
        case(
            CASES[0],
            Expect::Accept,
            signed(signer, now, &pretty)?,
            "a correctly signed delivery was refused: does the endpoint use this signing secret (--secret)?",
        ),
        case(
            CASES[1],
            Expect::Accept,
            signed(signer, now, &compact)?,
            "a correctly signed delivery was refused: does the endpoint use this signing secret (--secret), and HMAC-SHA256 over id.timestamp.body?",
        ),
        case(CASES[2], Expect::Accept, rotated(true)?, rotation_hint),
        case(CASES[3], Expect::Accept, rotated(false)?, rotation_hint),
        case(
            CASES[4],
            Expect::Accept,
            signed(
                signer,
                now,
                &drifted("user.created", "created_at", "2024-05-28T00:00:00Z".into()),
            )?,
            drift_hint,
        ),
        case(
            CASES[5],
            Expect::Accept,
            signed(
                signer,
                now,
                &drifted(
                    "user.created",
                    "email_addresses",
                    serde_json::json!({ "primary": { "email_address": "example@example.org" } }),
                ),
            )?,
            drift_hint,
        ),
        case(
            CASES[6],
            Expect::RejectOrAcknowledge,
            signed(signer, now, br#"{"object":"event","data":{"id":"user_1"}}"#)?,
            "an authentic body without `type` got no usable answer: answer 4xx (no retry can fix it) or 2xx (as Clerk's own handler does), never 5xx or a dropped connection",
        ),
        Case {
            name: CASES[7],
            expect: Expect::Reject,
            headers: Vec::new(),
            body: pretty.clone(),
            hint: "a delivery without signature headers was accepted: the endpoint does not verify at all",
        },
        case(
            CASES[8],
            Expect::Reject,
            signed(&wrong, now, &pretty)?,
            "a delivery signed with another secret was accepted: the signature is not checked against the secret",
        ),
        case(
            CASES[9],
            Expect::Reject,
            tampered,
            "a body changed after signing was accepted: verify the signature over the bytes received",
        ),
        case(
            CASES[10],
            Expect::Reject,
            reserialized,
            "a re-serialized body was accepted with the original's signature: verify the raw bytes",
        ),
        case(
            CASES[11],
            Expect::Reject,
            signed(signer, now - 360, &pretty)?,
            "an old delivery was accepted: refuse timestamps more than 5 minutes from now (replay protection)",
        ),
        case(
            CASES[12],
            Expect::Reject,
            signed(signer, now + 360, &pretty)?,
            "a delivery dated in the future was accepted: refuse timestamps more than 5 minutes from now",
        ),
        case(
            CASES[13],
            Expect::Reject,
            replayed,
            "the timestamp header is not covered by the check: sign and compare id.timestamp.body",
        ),
        case(
            CASES[14],
            Expect::Reject,
            empty,
            "an empty `v1,` signature was accepted (the bug of RUSTSEC-2024-0010): skip empty signatures",
        ),
        case(
            CASES[15],
            Expect::Reject,
            signed(signer, now, &oversized)?,
            "a 5 MiB body was accepted: limit the body size (e.g. 1 MiB) before buffering it",
        ),
    ])
}

/// The status code of an answer, if there was one.
#[must_use]
pub fn answer_code(answer: &Answer) -> Option<u16> {
    match answer {
        Answer::Status { code, .. } => Some(*code),
        Answer::Closed => None,
    }
}

/// The report table.
#[must_use]
pub fn table(rows: &[CheckRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<42} {:<9} {:<7} {:<7} hint",
        "case", "expected", "got", "verdict"
    );
    for row in rows {
        let expected = match row.expect {
            Expect::Accept => "2xx",
            Expect::Reject | Expect::RejectAndAbort => "4xx",
            Expect::RejectOrAcknowledge => "4xx|2xx",
        };
        let verdict = if row.passed { "pass" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{:<42} {:<9} {:<7} {:<7} {}",
            row.case,
            expected,
            answer_label(&row.got),
            verdict,
            row.hint.or(row.note).unwrap_or("")
        );
    }
    let failed = rows.iter().filter(|row| !row.passed).count();
    if failed == 0 {
        let _ = writeln!(out, "All {} checks pass.", rows.len());
    } else {
        let _ = writeln!(out, "{failed} of {} checks FAIL.", rows.len());
    }
    out
}
