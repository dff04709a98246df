//! `clerk-webhook check <URL>`: audit any webhook endpoint, in any language.
//!
//! Each case is one HTTP request. The endpoint must accept the valid deliveries (2xx) and
//! refuse every forged or broken one (4xx, or closing the connection on an oversized body).

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
}

/// The oversized case's body size: 5 MiB.
pub const OVERSIZED_BODY: usize = 5 * 1024 * 1024;

/// The case names, in the order they run.
pub const CASES: [&str; 11] = [
    "valid delivery",
    "valid delivery, compact JSON",
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
/// [`CliError::Connect`] when nothing listens there.
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

fn judge(case: &'static str, expect: Expect, got: Answer, hint: &'static str) -> CheckRow {
    let (passed, hint) = match (expect, &got) {
        (Expect::Accept, answer) if answer.is_success() => (true, None),
        (Expect::Accept, _) => (false, Some(hint)),
        (Expect::Reject, Answer::Closed) => (true, None),
        (Expect::Reject, Answer::Status { code, .. }) if (400..500).contains(code) => (true, None),
        (Expect::Reject, Answer::Status { code, .. }) if *code >= 500 => (
            false,
            Some("answer 4xx for a bad delivery: a 5xx tells Svix to retry it for hours"),
        ),
        (Expect::Reject, _) => (false, Some(hint)),
    };
    CheckRow {
        case,
        expect,
        got,
        passed,
        hint,
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

fn cases(signer: &WebhookVerifier) -> Result<Vec<Case>, CliError> {
    let pretty = clerk_webhook_core::samples::sample("user.created")
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let value: serde_json::Value = serde_json::from_slice(&pretty).unwrap_or_default();
    let compact = value.to_string().into_bytes();
    let now = unix_now();
    let wrong = WebhookVerifier::new(&crate::ids::signing_secret()?)?;
    let signed =
        |signer: &WebhookVerifier, at: i64, body: &[u8]| -> Result<SignedDelivery, CliError> {
            Ok(SignedDelivery::at(signer, message_id()?, at, body.to_vec()))
        };
    let case = |name, expect, delivery: SignedDelivery, hint| Case {
        name,
        expect,
        headers: delivery.headers().to_vec(),
        body: delivery.body,
        hint,
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
        Case {
            name: CASES[2],
            expect: Expect::Reject,
            headers: Vec::new(),
            body: pretty.clone(),
            hint: "a delivery without signature headers was accepted: the endpoint does not verify at all",
        },
        case(
            CASES[3],
            Expect::Reject,
            signed(&wrong, now, &pretty)?,
            "a delivery signed with another secret was accepted: the signature is not checked against the secret",
        ),
        case(
            CASES[4],
            Expect::Reject,
            tampered,
            "a body changed after signing was accepted: verify the signature over the bytes received",
        ),
        case(
            CASES[5],
            Expect::Reject,
            reserialized,
            "a re-serialized body was accepted with the original's signature: verify the raw bytes",
        ),
        case(
            CASES[6],
            Expect::Reject,
            signed(signer, now - 360, &pretty)?,
            "an old delivery was accepted: refuse timestamps more than 5 minutes from now (replay protection)",
        ),
        case(
            CASES[7],
            Expect::Reject,
            signed(signer, now + 360, &pretty)?,
            "a delivery dated in the future was accepted: refuse timestamps more than 5 minutes from now",
        ),
        case(
            CASES[8],
            Expect::Reject,
            replayed,
            "the timestamp header is not covered by the check: sign and compare id.timestamp.body",
        ),
        case(
            CASES[9],
            Expect::Reject,
            empty,
            "an empty `v1,` signature was accepted (the bug of RUSTSEC-2024-0010): skip empty signatures",
        ),
        case(
            CASES[10],
            Expect::Reject,
            signed(signer, now, &oversized)?,
            "a 5 MiB body was accepted: limit the body size (e.g. 1 MiB) before buffering it",
        ),
    ])
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
            Expect::Reject => "4xx",
        };
        let verdict = if row.passed { "pass" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{:<42} {:<9} {:<7} {:<7} {}",
            row.case,
            expected,
            answer_label(&row.got),
            verdict,
            row.hint.unwrap_or("")
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
